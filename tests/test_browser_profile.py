"""RSpace's OAuth guide, in a real browser: sign in, "My RSpace" -> "My Profile" -> "Show Created
OAuth Apps" -> the plus sign -> the app's name -> the client ID and secret, which then work in a
password grant and an API call over HTTP. Also the API key, "Connected Apps", deleting an app,
and the sign-in page's refusals. Every step leaves a screenshot (``test-artifacts/browser/``).
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from mock_server.testing import RSpaceMockHandle
from tests.browser_helpers import Steps
from tests.http_helpers import as_multipart, grant_form

pytestmark = pytest.mark.own_engines

ALICE_PASSWORD = "alice-password-1"


def sign_in(page: Any, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/login")
    page.get_by_placeholder("User").fill(username)
    page.get_by_placeholder("Password").fill(password)
    with page.expect_navigation():  # the form's POST is answered before the next step
        page.get_by_role("button", name="Log in").click()


def password_grant(base_url: str, client_id: str, secret: str, username: str, password: str) -> Any:
    """The guide's grant: multipart, as ``curl -F`` sends it."""
    app = {"clientId": client_id, "clientSecret": secret}
    form = grant_form(username, app, password=password)
    return requests.post(f"{base_url}/oauth/token", files=as_multipart(form), timeout=10)


def test_the_guides_six_steps_give_a_client_id_and_secret_that_work(
    rspace_mock: RSpaceMockHandle, page: Any, steps: Steps
) -> None:
    base = rspace_mock.base_url
    sign_in(page, base, "alice", ALICE_PASSWORD)
    page.wait_for_url(f"{base}/workspace")
    steps.shot("signed-in")
    page.get_by_role("link", name="My RSpace").click()  # 1. "My RSpace"
    page.get_by_role("link", name="My Profile").click()  # 2. "My Profile"
    page.wait_for_url(f"{base}/userform")
    steps.shot("my-profile")
    page.get_by_role("button", name="Show Created OAuth Apps").click()  # 3.
    page.get_by_role("cell", name="Lab notebook sync").wait_for()  # alice's fixture app
    steps.shot("created-apps")
    page.get_by_role("button", name="Add a new app").click()  # 4. the plus sign
    dialog = page.get_by_role("dialog", name="Create an OAuth application")
    dialog.get_by_placeholder("App name").fill("ELN sync script")  # 5. the app's name
    steps.shot("name-dialog", readme="oauth-app-dialog.png")
    dialog.get_by_role("button", name="Create").click()
    created = page.get_by_role("dialog", name="App Successfully Created")  # 6.
    client_id = created.get_by_label("Client ID").input_value()
    client_secret = created.get_by_label("Client Secret").input_value()
    assert created.get_by_text("It will not be available once you close this window.").is_visible()
    steps.shot("client-id-and-secret", readme="oauth-app-created.png")
    created.get_by_role("button", name="Close").click()
    page.get_by_role("cell", name="ELN sync script").wait_for()
    assert client_secret not in page.content()  # not available once the dialog is closed

    grant = password_grant(base, client_id, client_secret, "alice", ALICE_PASSWORD)
    assert grant.status_code == 200, grant.text
    token = grant.json()["access_token"]
    listing = requests.get(
        f"{base}/api/v1/documents", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert listing.status_code == 200
    assert listing.json()["documents"]


def test_an_api_key_is_generated_after_the_password_is_confirmed_and_shown_once(
    rspace_mock: RSpaceMockHandle, page: Any, steps: Steps
) -> None:
    base = rspace_mock.base_url
    old_key = rspace_mock.seeded.user("alice")["apiKey"]
    sign_in(page, base, "alice", ALICE_PASSWORD)
    page.goto(f"{base}/userform")
    section = page.locator("#apiKeySection")
    section.get_by_text("The current key was generated").wait_for()
    section.get_by_role("link", name="Regenerate key").click()
    dialog = page.get_by_role("dialog", name="Confirm Password")
    dialog.get_by_label("Please confirm your password").fill("not-her-password")
    dialog.get_by_role("button", name="OK").click()
    dialog.get_by_text("Invalid password.").wait_for()
    steps.shot("wrong-password")
    dialog.get_by_label("Please confirm your password").fill(ALICE_PASSWORD)
    dialog.get_by_role("button", name="OK").click()
    section.get_by_text("it will not be visible again").wait_for()
    new_key = section.locator("#apiKeyValue").inner_text()
    steps.shot("new-key")
    assert len(new_key) == 32 and new_key.isalnum()

    def status(key: str) -> int:
        return requests.get(
            f"{base}/api/v1/status", headers={"apiKey": key}, timeout=10
        ).status_code

    assert status(new_key) == 200
    assert status(old_key) == 401  # regenerating replaces the key
    page.reload()
    section.get_by_text("The current key was generated today.").wait_for()
    assert new_key not in page.content()  # shown once
    section.get_by_role("link", name="Revoke key").click()
    section.get_by_text("There is no API key set.").wait_for()
    steps.shot("revoked")
    assert status(new_key) == 401


def alice_signed_in_with_a_token(
    rspace_mock: RSpaceMockHandle, page: Any
) -> tuple[str, dict[str, str], dict[str, str]]:
    """The base URL, alice's fixture app, a Bearer header of hers for it; and her profile page
    open in the browser."""
    base = rspace_mock.base_url
    app = rspace_mock.seeded.apps[0]
    grant = password_grant(base, app["clientId"], app["clientSecret"], "alice", ALICE_PASSWORD)
    bearer = {"Authorization": f"Bearer {grant.json()['access_token']}"}
    sign_in(page, base, "alice", ALICE_PASSWORD)
    page.goto(f"{base}/userform")
    return base, app, bearer


def test_disconnecting_a_connected_app_ends_its_tokens(
    rspace_mock: RSpaceMockHandle, page: Any, steps: Steps
) -> None:
    base, app, bearer = alice_signed_in_with_a_token(rspace_mock, page)
    assert requests.get(f"{base}/api/v1/status", headers=bearer, timeout=10).status_code == 200
    page.get_by_role("button", name="Show Connected Apps").click()
    row = page.get_by_role("row").filter(has_text=app["name"])
    row.get_by_role("button", name="Disconnect").click()
    page.get_by_role("dialog", name="Confirm Disconnect").get_by_role(
        "button", name="Confirm"
    ).click()
    page.get_by_text("was successfully disconnected").wait_for()
    steps.shot("disconnected")
    assert requests.get(f"{base}/api/v1/status", headers=bearer, timeout=10).status_code == 401
    assert page.get_by_role("row").filter(has_text=app["name"]).count() == 0


def test_deleting_an_app_asks_for_its_name_and_ends_every_token_of_it(
    rspace_mock: RSpaceMockHandle, page: Any, steps: Steps
) -> None:
    base, app, bearer = alice_signed_in_with_a_token(rspace_mock, page)
    page.get_by_role("button", name="Show Created OAuth Apps").click()
    page.get_by_role("row").filter(has_text=app["name"]).get_by_role(
        "button", name="Delete"
    ).click()
    dialog = page.get_by_role("dialog", name="Confirm Deletion")
    dialog.get_by_placeholder("Type OAuth app name to confirm").fill("not its name")
    dialog.get_by_role("button", name="Confirm").click()
    dialog.get_by_text("Input does not match confirmation text").wait_for()
    dialog.get_by_placeholder("Type OAuth app name to confirm").fill(app["name"])
    dialog.get_by_role("button", name="Confirm").click()
    page.get_by_text("was successfully deleted").wait_for()
    steps.shot("deleted")
    assert requests.get(f"{base}/api/v1/status", headers=bearer, timeout=10).status_code == 401


def test_sign_in_refusals_say_what_rspace_says(
    rspace_mock: RSpaceMockHandle, page: Any, steps: Steps
) -> None:
    base = rspace_mock.base_url
    wrong = "Invalid username or password, please try again."
    for username, password in (("alice", "wrong"), ("nobody", "x"), ("carol", "carol-password-3")):
        sign_in(page, base, username, password)
        page.get_by_text(wrong).wait_for()
        assert page.url == f"{base}/login"
    steps.shot("refused")
    # Four failures in a row lock the account (the API refuses it too) until seven minutes
    # after the first.
    rspace_mock.clock.freeze()
    for _ in range(3):
        sign_in(page, base, "alice", "wrong")
    sign_in(page, base, "alice", ALICE_PASSWORD)
    page.get_by_text(wrong).wait_for()
    app = rspace_mock.seeded.apps[0]
    refused = password_grant(base, app["clientId"], app["clientSecret"], "alice", ALICE_PASSWORD)
    assert refused.status_code == 401
    assert "locked" in refused.json()["message"]
    rspace_mock.clock.advance(7 * 60 + 1)
    sign_in(page, base, "alice", ALICE_PASSWORD)
    page.wait_for_url(f"{base}/workspace")


def test_a_disabled_account_gets_login_not_available(
    rspace_mock: RSpaceMockHandle, page: Any, steps: Steps
) -> None:
    base = rspace_mock.base_url
    sysadmin = {"apiKey": rspace_mock.seeded.user("sysadmin1")["apiKey"]}
    bob = rspace_mock.mock.directory.user_named("bob")
    disabled = requests.put(
        f"{base}/api/v1/sysadmin/users/{bob.id}/disable", headers=sysadmin, timeout=10
    )
    assert disabled.status_code in (200, 204), disabled.text
    sign_in(page, base, "bob", rspace_mock.seeded.user("bob")["password"])
    page.wait_for_url(f"{base}/public/accountDisabled")
    page.get_by_role("heading", name="Login not Available").wait_for()
    steps.shot("disabled")


def test_pages_that_need_a_session_send_the_browser_to_sign_in_and_back(
    rspace_mock: RSpaceMockHandle, page: Any
) -> None:
    base = rspace_mock.base_url
    page.goto(f"{base}/userform")
    page.wait_for_url(f"{base}/login")
    page.get_by_placeholder("User").fill("alice")
    page.get_by_placeholder("Password").fill(ALICE_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/userform")
    page.get_by_role("link", name="Log Out").click()
    page.goto(f"{base}/userform")
    page.wait_for_url(f"{base}/login")
