"""``/_mock/ui``, the dashboard: what it shows and what its forms do (over HTTP here; in
Chromium in tests/test_browser_dashboard.py)."""

from __future__ import annotations

from typing import Any

import pytest

from mock_server import Settings, create_app
from mock_server.testing import RSpaceMockHandle

SAME_ORIGIN = {"Origin": "http://rspace.test"}


@pytest.fixture
def http(rspace_mock_app: RSpaceMockHandle) -> Any:
    with rspace_mock_app.client() as client:
        yield client


def test_the_journal_shows_requests_masked_and_filters_them(
    http: Any, rspace_mock_app: RSpaceMockHandle
) -> None:
    key = rspace_mock_app.seeded.user("alice")["apiKey"]
    http.get("/api/v1/documents", headers={"apiKey": key})
    http.get("/api/v1/status", headers={"apiKey": "wrong-key"})
    page = http.get("/_mock/ui").text
    assert "GET /api/v1/documents" in page and "GET /api/v1/status" in page
    assert key not in page  # masked, as in the journal
    only_401 = http.get("/_mock/ui", params={"status": "401"}).text
    assert "GET /api/v1/status" in only_401 and "GET /api/v1/documents" not in only_401
    by_path = http.get("/_mock/ui", params={"path": "/api/v1/documents"}).text
    assert "GET /api/v1/status" not in by_path


def test_users_show_their_apps_token_pairs_and_documents(
    http: Any, rspace_mock_app: RSpaceMockHandle
) -> None:
    rspace_mock_app.login("alice")
    page = http.get("/_mock/ui").text
    app = rspace_mock_app.seeded.apps[0]
    assert app["clientId"] in page
    assert f"{app['name']}: access token until" in page
    assert "locked" in page  # carol


def test_the_clock_settings_and_fault_forms_change_the_fake(
    http: Any, rspace_mock_app: RSpaceMockHandle
) -> None:
    done = http.post("/_mock/ui/clock", data={"action": "freeze"}, headers=SAME_ORIGIN)
    assert done.status_code == 200  # the dashboard again, after the 303
    assert 'value="unfreeze"' in done.text
    before = rspace_mock_app.clock.now()
    http.post("/_mock/ui/clock", data={"action": "advance", "seconds": "90"}, headers=SAME_ORIGIN)
    assert (rspace_mock_app.clock.now() - before).total_seconds() == 90
    http.post("/_mock/ui/settings", data={"apiEnabled": "on"}, headers=SAME_ORIGIN)
    assert rspace_mock_app.settings.get()["oauthEnabled"] is False
    rule = {"path": "/api/v1/status", "action": "error", "status": "503", "times": "1"}
    http.post("/_mock/ui/faults", data=rule, headers=SAME_ORIGIN)
    (added,) = rspace_mock_app.faults.rules()
    key = rspace_mock_app.seeded.user("alice")["apiKey"]
    assert http.get("/api/v1/status", headers={"apiKey": key}).status_code == 503
    http.post(f"/_mock/ui/faults/{added.id}/remove", headers=SAME_ORIGIN)
    assert rspace_mock_app.faults.rules() == []


def test_a_fault_form_mistake_is_shown_on_the_page(http: Any) -> None:
    page = http.post(
        "/_mock/ui/faults",
        data={"path": "/x", "action": "error", "status": "42"},
        headers=SAME_ORIGIN,
    )
    assert page.status_code == 200
    assert 'role="alert"' in page.text


def test_a_form_posted_from_another_origin_is_refused(http: Any) -> None:
    refused = http.post(
        "/_mock/ui/reset", headers={"Origin": "https://evil.example"}, follow_redirects=False
    )
    assert refused.status_code == 403


def test_with_an_admin_token_the_dashboard_asks_for_it_first() -> None:
    from starlette.testclient import TestClient

    app = create_app(Settings(admin_token="s3cret-t0ken", random_seed=1))
    with TestClient(app, base_url="http://127.0.0.1:8080") as http:
        first = http.get("/_mock/ui", follow_redirects=False)
        assert first.status_code == 303 and first.headers["location"] == "/_mock/ui/login"
        origin = {"Origin": "http://127.0.0.1:8080"}
        wrong = http.post("/_mock/ui/login", data={"token": "guess"}, headers=origin)
        assert wrong.status_code == 401
        assert http.get("/_mock/ui", follow_redirects=False).status_code == 303
        http.post("/_mock/ui/login", data={"token": "s3cret-t0ken"}, headers=origin)
        assert "Request journal" in http.get("/_mock/ui").text
        # The cookie opens the dashboard only, not the JSON admin API.
        assert http.get("/_mock/users").status_code == 401
