"""The dashboard (``/_mock/ui``) in Chromium: a client's requests in the journal, filtered by
status from the page's form; the clock frozen and a fault rule added with its buttons."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from mock_server.testing import RSpaceMockHandle
from tests.browser_helpers import Steps
from tests.http_helpers import grant_form

pytestmark = pytest.mark.own_engines


def test_the_dashboard_shows_what_a_client_did_and_drives_the_fake(
    rspace_mock: RSpaceMockHandle, page: Any, steps: Steps
) -> None:
    base = rspace_mock.base_url
    app = rspace_mock.seeded.apps[0]
    grant = requests.post(f"{base}/oauth/token", data=grant_form("alice", app), timeout=10).json()
    bearer = {"Authorization": f"Bearer {grant['access_token']}"}
    requests.get(f"{base}/api/v1/documents", headers=bearer, timeout=10)
    requests.get(f"{base}/api/v1/documents", headers={"apiKey": "not-a-key"}, timeout=10)

    page.goto(f"{base}/_mock/ui")
    journal = page.locator("#journal")
    journal.get_by_text("POST /oauth/token").wait_for()
    assert journal.get_by_text("GET /api/v1/documents").count() == 2
    assert grant["access_token"] not in page.content()  # masked
    people = page.locator("#people")
    assert people.get_by_text(f"{app['name']}: access token until").is_visible()
    steps.shot("dashboard", readme="dashboard.png")

    journal.get_by_label("Status").fill("401")
    journal.get_by_role("button", name="Filter").click()
    page.wait_for_url("**status=401**")
    assert journal.get_by_text("GET /api/v1/documents").count() == 1
    assert journal.get_by_text("POST /oauth/token").count() == 0
    steps.shot("journal-401")

    page.locator("#clock").get_by_role("button", name="Freeze").click()
    page.locator("#clock").get_by_text("frozen").wait_for()
    faults = page.locator("#faults")
    faults.get_by_label("Fault path").fill("/api/v1/documents")
    faults.get_by_role("button", name="Add rule").click()
    faults.get_by_text("error 503").wait_for()
    steps.shot("fault-added")
    assert requests.get(f"{base}/api/v1/documents", headers=bearer, timeout=10).status_code == 503
    faults.get_by_role("button", name="Remove").click()
    faults.get_by_text("No fault rules.").wait_for()
    assert requests.get(f"{base}/api/v1/documents", headers=bearer, timeout=10).status_code == 200
