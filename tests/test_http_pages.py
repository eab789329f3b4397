"""The sign-in and My Profile pages over HTTP, each of RSpace's answers and refusals (the browser
tests walk the same pages in Chromium)."""

from __future__ import annotations

from typing import Any

import pytest

from mock_server.testing import RSpaceMockHandle

BASE = "http://rspace.test"
ORIGIN = {"Origin": BASE, "X-Requested-With": "XMLHttpRequest"}
WRONG = "Invalid username or password, please try again."


@pytest.fixture
def http(rspace_mock_app: RSpaceMockHandle) -> Any:
    with rspace_mock_app.client() as client:
        yield client


def sign_in(http: Any, username: str = "alice", password: str = "alice-password-1") -> Any:
    return http.post(
        "/login", data={"username": username, "password": password}, follow_redirects=False
    )


def test_a_sign_in_sets_an_httponly_samesite_session_cookie_and_goes_to_the_workspace(
    http: Any,
) -> None:
    response = sign_in(http)
    assert response.status_code == 302
    assert response.headers["location"] == "/workspace"
    cookie = next(c for c in response.headers.get_list("set-cookie") if "JSESSIONID" in c)
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert http.get("/workspace").status_code == 200
    assert http.get("/login", follow_redirects=False).headers["location"] == "/workspace"


@pytest.mark.parametrize(
    ("username", "password"),
    [("alice", "wrong"), ("nobody", "x"), ("carol", "carol-password-3"), ("", "")],
)
def test_a_refused_sign_in_shows_rspaces_two_messages_and_sets_no_session(
    http: Any, username: str, password: str
) -> None:
    response = sign_in(http, username, password)
    assert response.status_code == 200
    assert WRONG in response.text
    assert "After four unsuccessful login attempts" in response.text
    assert "JSESSIONID" not in response.headers.get("set-cookie", "")


def test_four_failures_lock_the_account_for_the_api_too_until_seven_minutes_pass(
    http: Any, rspace_mock_app: RSpaceMockHandle
) -> None:
    rspace_mock_app.clock.freeze()
    for _ in range(4):
        assert WRONG in sign_in(http, password="wrong").text
    assert WRONG in sign_in(http).text  # locked: the right password is refused too
    app = rspace_mock_app.seeded.apps[0]
    grant = {
        "grant_type": "password",
        "client_id": app["clientId"],
        "client_secret": app["clientSecret"],
        "username": "alice",
        "password": "alice-password-1",
    }
    refused = http.post("/oauth/token", data=grant)
    assert refused.status_code == 401
    assert refused.json()["message"] == "User 'alice' has their account locked or disabled."
    rspace_mock_app.clock.advance(6 * 60)
    assert WRONG in sign_in(http).text  # not yet
    rspace_mock_app.clock.advance(61 + 60)
    assert sign_in(http).status_code == 302
    assert http.post("/oauth/token", data=grant).status_code == 200


def test_three_failures_then_a_success_start_the_count_again(
    http: Any, rspace_mock_app: RSpaceMockHandle
) -> None:
    for _ in range(3):
        sign_in(http, password="wrong")
    assert sign_in(http).status_code == 302
    for _ in range(3):
        sign_in(http, password="wrong")
    assert sign_in(http).status_code == 302


def test_a_session_ends_after_30_idle_minutes_and_at_sign_out(
    http: Any, rspace_mock_app: RSpaceMockHandle
) -> None:
    rspace_mock_app.clock.freeze()
    sign_in(http)
    rspace_mock_app.clock.advance(29 * 60)
    assert http.get("/userform", follow_redirects=False).status_code == 200
    rspace_mock_app.clock.advance(29 * 60)  # 29 minutes after the last request: still live
    assert http.get("/userform", follow_redirects=False).status_code == 200
    rspace_mock_app.clock.advance(31 * 60)
    gone = http.get("/userform", follow_redirects=False)
    assert gone.status_code == 302 and gone.headers["location"] == "/login"
    sign_in(http)
    assert http.get("/logout").status_code == 200
    assert http.get("/userform", follow_redirects=False).status_code == 302


def test_an_ajax_call_without_a_session_gets_rspaces_403_text(http: Any) -> None:
    response = http.get("/userform/ajax/oAuthApps", headers=ORIGIN)
    assert response.status_code == 403
    assert response.text == (
        "You are no longer authenticated - please refresh the page and log in again."
    )


@pytest.mark.parametrize(
    ("headers", "problem"),
    [
        ({}, "no origin or referer"),
        ({"Origin": "https://evil.example"}, "mismatched origin 'https://evil.example'"),
        (
            {"Referer": "https://evil.example/page"},
            "mismatched referer 'https://evil.example/page'",
        ),
    ],
)
def test_a_change_from_another_origin_is_refused_as_rspace_refuses_it(
    http: Any, headers: dict[str, str], problem: str
) -> None:
    sign_in(http)
    response = http.post("/userform/ajax/oAuthApps/Sneaky", headers=headers)
    assert response.status_code == 403
    assert response.text.endswith(problem)
    assert http.get("/userform/ajax/oAuthApps", headers=ORIGIN).json()["data"]["oauthApps"] == [
        {"appName": "Lab notebook sync", "clientId": "NRQWELLON52GKYTPN5VS243ZNZRS2YLQOAWTAMI"}
    ]


def test_an_app_made_on_the_page_is_listed_without_its_secret_and_deleted_with_its_tokens(
    http: Any, rspace_mock_app: RSpaceMockHandle
) -> None:
    sign_in(http)
    made = http.post("/userform/ajax/oAuthApps/Plate%20reader", headers=ORIGIN).json()
    assert made["success"] is True
    data = made["data"]
    assert set(data) == {"appName", "clientId", "unhashedClientSecret"}
    listed = http.get("/userform/ajax/oAuthApps", headers=ORIGIN).text
    assert data["clientId"] in listed and data["unhashedClientSecret"] not in listed
    grant = http.post(
        "/oauth/token",
        data={
            "grant_type": "password",
            "client_id": data["clientId"],
            "client_secret": data["unhashedClientSecret"],
            "username": "alice",
            "password": "alice-password-1",
        },
    ).json()
    connected = http.get("/userform/ajax/oAuthConnectedApps", headers=ORIGIN).json()
    assert {"clientName": "Plate reader", "clientId": data["clientId"], "scope": "all"} in (
        connected["data"]["oauthConnectedApps"]
    )
    deleted = http.delete(f"/userform/ajax/oAuthApps/{data['clientId']}", headers=ORIGIN)
    assert deleted.status_code == 200 and deleted.json()["success"] is False
    bearer = {"Authorization": f"Bearer {grant['access_token']}"}
    assert http.get("/api/v1/status", headers=bearer).status_code == 401
    # Secrets never reach the journal in clear.
    journal = str([e.response_body for e in rspace_mock_app.journal.requests()])
    assert data["unhashedClientSecret"] not in journal


def test_another_users_app_cannot_be_deleted(http: Any) -> None:
    sign_in(http)
    bobs = "NRQWELLON52GKYTPN5VS243ZNZRS2YLQOAWTAMI"  # alice's, so bob may not
    http.get("/logout")
    sign_in(http, "bob", "bob-password-2")
    answer = http.delete(f"/userform/ajax/oAuthApps/{bobs}", headers=ORIGIN).json()
    assert answer["success"] is False
    assert answer["error"]["errorMessages"][0].startswith(f"OAuth app with clientId {bobs}does")


def test_disconnecting_with_no_connection_says_so(http: Any) -> None:
    sign_in(http)
    answer = http.delete("/userform/ajax/oAuthConnectedApps/NOSUCH", headers=ORIGIN).json()
    assert answer["error"]["errorMessages"] == [
        "Could not find OAuth connection for the given client app and user."
    ]


@pytest.mark.parametrize(
    ("password", "message"),
    [("", "Password is a required field."), ("wrong", "Invalid password.")],
)
def test_an_api_key_needs_the_password(http: Any, password: str, message: str) -> None:
    sign_in(http)
    answer = http.post("/userform/ajax/apiKey", data={"password": password}, headers=ORIGIN)
    assert answer.json()["error"]["errorMessages"] == [message]


def test_an_api_key_is_shown_once_and_revoked_with_a_bare_count(
    http: Any, rspace_mock_app: RSpaceMockHandle
) -> None:
    sign_in(http)
    made = http.post(
        "/userform/ajax/apiKey", data={"password": "alice-password-1"}, headers=ORIGIN
    ).json()["data"]
    key = made["key"]
    assert len(key) == 32 and key.isalnum() and made["revokable"] is True
    info = http.get("/userform/ajax/apiKeyDisplayInfo", headers=ORIGIN).json()["data"]
    assert info["key"] is None and info["revokable"] is True and info["age"] == 0
    assert http.get("/userform/ajax/apiKeyValue", headers=ORIGIN).json()["data"] == (
        "apiKey is ACTIVE"
    )
    assert http.get("/api/v1/status", headers={"apiKey": key}).status_code == 200
    journal = str([e.response_body for e in rspace_mock_app.journal.requests()])
    assert key not in journal
    revoked = http.post("/userform/ajax/apiKey", data={"_method": "DELETE"}, headers=ORIGIN)
    assert revoked.text == "1"
    assert http.delete("/userform/ajax/apiKey", headers=ORIGIN).text == "0"
    assert http.get("/api/v1/status", headers={"apiKey": key}).status_code == 401
    assert http.get("/userform/ajax/apiKeyValue", headers=ORIGIN).json()["error"] == {
        "errorMessages": ["API key is not set"]
    }


def test_the_api_key_section_says_when_the_api_is_off_for_the_user(
    http: Any, rspace_mock_app: RSpaceMockHandle
) -> None:
    rspace_mock_app.users.set_api_access("alice", False)
    sign_in(http)
    info = http.get("/userform/ajax/apiKeyDisplayInfo", headers=ORIGIN).json()["data"]
    assert info["enabled"] is False and info["message"]
