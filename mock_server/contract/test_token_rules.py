"""One short, fixed scenario per token-lifecycle rule (rspace-web's `OAuthTokenManagerImpl`).

The state machine in ``test_token_lifecycle.py`` explores sequences of grants; these
scenarios make sure each rule's plainest case is checked on every target, whatever
hypothesis happens to draw, and that a failure names exactly the rule broken.
"""

from __future__ import annotations

from typing import Any

import jwt
import pytest

from .clauses import NOT_CHECKED_PREFIX, expect
from .helpers import (
    DOCUMENTS,
    api_key,
    bearer,
    check_dead_token_message,
    marker_document,
    password_grant,
    refresh_grant,
    require_apps,
    require_password_users,
    require_writable,
    server_url_from_links,
    sha256_hex,
)
from .shapes import JWT, OPAQUE_TOKEN, check_error, check_token_response, json_body
from .target import AppCredentials, Target, UserCredentials

#: RSpace's token lifetime and the clock skew it allows a JWT.
LIFETIME = 3600
JWT_SKEW = 180


class Tokens:
    """Grants and checks for one target, each failing with the clause it is given."""

    def __init__(self, target: Target) -> None:
        require_writable(target, "password grants replace the test user's OAuth token pair")
        self.target = target
        self.users = require_password_users(target)
        self.apps = require_apps(target)

    def grant(
        self, user: UserCredentials, app: AppCredentials, clause: str, *, is_jwt: bool = False
    ) -> dict[str, Any]:
        response = self.target.token(password_grant(user, app, is_jwt=is_jwt))
        expect(
            response.status_code == 200,
            clause,
            f"password grant{' (is_jwt)' if is_jwt else ''} for {user.username} gave "
            f"{response.status_code}: {response.text[:300]}",
        )
        return check_token_response(json_body(response, "WIRE-TOKEN-1"), also=["OAUTH-GRANT-1"])

    def refresh(
        self, app: AppCredentials, refresh_token: str, clause: str, *, is_jwt: bool = False
    ) -> dict[str, Any]:
        response = self.target.token(refresh_grant(app, refresh_token, is_jwt=is_jwt))
        expect(
            response.status_code == 200,
            clause,
            f"refresh grant{' (is_jwt)' if is_jwt else ''} with a current refresh token gave "
            f"{response.status_code}: {response.text[:300]}",
        )
        return check_token_response(json_body(response, "WIRE-TOKEN-1"))

    def refresh_refused(
        self, app: AppCredentials, refresh_token: str, clause: str, what: str
    ) -> None:
        response = self.target.token(refresh_grant(app, refresh_token))
        expect(
            response.status_code == 404,
            clause,
            f"{what}: a refresh grant with it gave {response.status_code}, not 404: "
            f"{response.text[:200]}",
        )
        check_error(response, clause, 404, 50301)

    def _call(self, token: str, user: UserCredentials) -> tuple[Any, int | None]:
        marker = marker_document(self.target, user)
        path = f"{DOCUMENTS}/{marker}" if marker else "/api/v1/status"
        return self.target.get(path, headers=bearer(token)), marker

    def accepted(
        self, token: str, user: UserCredentials, clause: str, what: str, also: tuple[str, ...] = ()
    ) -> None:
        response, marker = self._call(token, user)
        expect(
            response.status_code == 200,
            clause,
            f"{what} was refused: {response.status_code} {response.text[:200]}",
            also,
        )
        if marker:
            owner = response.json()["owner"]["username"]
            expect(
                owner == user.username,
                "OAUTH-ISOLATION-1",
                f"{what}: a token of {user.username} authenticated as {owner}",
            )

    def refused(
        self, token: str, user: UserCredentials, clause: str, what: str, also: tuple[str, ...] = ()
    ) -> None:
        response, _ = self._call(token, user)
        expect(
            response.status_code == 401,
            clause,
            f"{what} was accepted: {response.status_code} {response.text[:200]}",
            also,
        )
        check_dead_token_message(check_error(response, clause, 401, 40101), token)


def _opaque(body: dict[str, Any]) -> None:
    for key in ("access_token", "refresh_token"):
        expect(
            OPAQUE_TOKEN.match(str(body.get(key, ""))),
            "OAUTH-FORMAT-1",
            f"{key} {body.get(key)!r} is not 32 Base64 characters",
        )


@pytest.mark.real_port
@pytest.mark.clause("OAUTH-GRANT-1", "OAUTH-FORMAT-1", "WIRE-TOKEN-1")
def test_password_grant_gives_a_working_pair(target: Target) -> None:
    tokens = Tokens(target)
    user, app = tokens.users[0], tokens.apps[0]
    body = tokens.grant(user, app, "OAUTH-GRANT-1")
    expect("refresh_token" in body, "OAUTH-GRANT-1", f"no refresh_token in {body}")
    _opaque(body)
    tokens.accepted(body["access_token"], user, "OAUTH-GRANT-1", "a new access token")


@pytest.mark.real_port
@pytest.mark.clause("OAUTH-ROTATE-1")
def test_refresh_grant_rotates_both_tokens(target: Target) -> None:
    tokens = Tokens(target)
    user, app = tokens.users[0], tokens.apps[0]
    first = tokens.grant(user, app, "OAUTH-GRANT-1")
    second = tokens.refresh(app, first["refresh_token"], "OAUTH-GRANT-1")
    expect(
        second.get("refresh_token") not in (None, first["refresh_token"]),
        "OAUTH-ROTATE-1",
        f"the refresh grant answered refresh_token {second.get('refresh_token')!r}",
    )
    expect(
        second["access_token"] != first["access_token"],
        "OAUTH-ROTATE-1",
        "the refresh grant answered the same access token",
    )
    _opaque(second)
    tokens.accepted(second["access_token"], user, "OAUTH-ROTATE-1", "a refreshed access token")
    # The refresh token a refresh grant hands out must itself work.
    third = tokens.refresh(app, second["refresh_token"], "OAUTH-ROTATE-1")
    tokens.accepted(third["access_token"], user, "OAUTH-ROTATE-1", "a twice refreshed token")


@pytest.mark.real_port
@pytest.mark.clause("OAUTH-ROTATE-2", "AUTH-BEARER-2")
def test_refresh_grant_ends_the_previous_pair(target: Target) -> None:
    tokens = Tokens(target)
    user, app = tokens.users[0], tokens.apps[0]
    first = tokens.grant(user, app, "OAUTH-GRANT-1")
    second = tokens.refresh(app, first["refresh_token"], "OAUTH-GRANT-1")
    tokens.refused(
        first["access_token"], user, "OAUTH-ROTATE-2", "the access token before a refresh grant"
    )
    tokens.refresh_refused(
        app, first["refresh_token"], "OAUTH-ROTATE-2", "the refresh token already used"
    )
    tokens.accepted(second["access_token"], user, "OAUTH-ROTATE-1", "a refreshed access token")


@pytest.mark.real_port
@pytest.mark.clause("OAUTH-ONEPAIR-1", "AUTH-BEARER-2")
def test_password_grant_ends_the_previous_pair_and_its_jwts(target: Target) -> None:
    tokens = Tokens(target)
    user, app = tokens.users[0], tokens.apps[0]
    first = tokens.grant(user, app, "OAUTH-GRANT-1")
    old_jwt = tokens.grant(user, app, "OAUTH-GRANT-1", is_jwt=True)["access_token"]
    tokens.accepted(old_jwt, user, "OAUTH-JWT-3", "a JWT of the current refresh token")
    second = tokens.grant(user, app, "OAUTH-GRANT-1")
    what = "after a newer password grant"
    tokens.refused(first["access_token"], user, "OAUTH-ONEPAIR-1", f"the access token {what}")
    tokens.refused(old_jwt, user, "OAUTH-ONEPAIR-1", f"a JWT {what}", ("OAUTH-JWT-3",))
    tokens.refresh_refused(
        app, first["refresh_token"], "OAUTH-ONEPAIR-1", f"the refresh token {what}"
    )
    tokens.accepted(second["access_token"], user, "OAUTH-GRANT-1", "the newest access token")


def _server_url(target: Target, user: UserCredentials) -> str | None:
    marker = marker_document(target, user)
    if not marker:
        return None
    response = target.get(f"{DOCUMENTS}/{marker}", headers=api_key(user))
    return server_url_from_links(response.json().get("_links", []))


@pytest.mark.real_port
@pytest.mark.clause("OAUTH-JWT-1", "OAUTH-JWT-3", "AUTH-BEARER-2")
def test_jwt_lives_while_its_refresh_token_is_current(target: Target) -> None:
    tokens = Tokens(target)
    user, app = tokens.users[0], tokens.apps[0]
    first = tokens.grant(user, app, "OAUTH-GRANT-1")
    token = tokens.grant(user, app, "OAUTH-GRANT-1", is_jwt=True)["access_token"]
    expect(JWT.match(token), "OAUTH-JWT-1", f"{token!r} is not a JWT")
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    expect(str(header.get("alg", "")).startswith("HS"), "OAUTH-JWT-1", f"header {header}")
    expect(
        set(claims) == {"iss", "iat", "exp", "refreshTokenHash"},
        "OAUTH-JWT-1",
        f"JWT claims are {sorted(claims)}, not exactly iss, iat, exp, refreshTokenHash",
    )
    expect(claims["exp"] - claims["iat"] == LIFETIME, "OAUTH-JWT-1", f"exp - iat in {claims}")
    expect(
        claims["refreshTokenHash"] == sha256_hex(first["refresh_token"]),
        "OAUTH-JWT-1",
        "refreshTokenHash is not the SHA-256 hex of the current refresh token",
    )
    server_url = _server_url(target, user)
    if server_url is not None:
        expect(
            claims["iss"] == server_url,
            "OAUTH-JWT-1",
            f"iss {claims['iss']!r} is not the server URL of the API's links ({server_url!r})",
        )
    tokens.accepted(token, user, "OAUTH-JWT-3", "a JWT of the current refresh token")
    refreshed = tokens.refresh(app, first["refresh_token"], "OAUTH-GRANT-1", is_jwt=True)
    tokens.accepted(refreshed["access_token"], user, "OAUTH-JWT-3", "a JWT of a refresh grant")
    tokens.refresh(app, first["refresh_token"], "OAUTH-JWT-4")
    for which, value in (("password", token), ("refresh", refreshed["access_token"])):
        tokens.refused(value, user, "OAUTH-JWT-3", f"a JWT from a {which} grant, after a refresh")


@pytest.mark.real_port
@pytest.mark.clause("OAUTH-JWT-2", "OAUTH-JWT-4")
def test_jwt_grants_change_nothing(target: Target) -> None:
    tokens = Tokens(target)
    user, app = tokens.users[0], tokens.apps[0]
    first = tokens.grant(user, app, "OAUTH-GRANT-1")
    by_password = tokens.grant(user, app, "OAUTH-GRANT-1", is_jwt=True)
    expect(
        "refresh_token" not in by_password,
        "OAUTH-JWT-2",
        f"a JWT password grant on an existing token row answered refresh_token: {by_password}",
    )
    tokens.accepted(
        first["access_token"], user, "OAUTH-JWT-4", "the access token after a JWT grant"
    )
    by_refresh = tokens.refresh(app, first["refresh_token"], "OAUTH-JWT-4", is_jwt=True)
    expect(
        "refresh_token" not in by_refresh,
        "OAUTH-JWT-2",
        f"a JWT refresh grant answered refresh_token: {by_refresh}",
    )
    tokens.accepted(
        first["access_token"], user, "OAUTH-JWT-4", "the access token after a JWT refresh"
    )
    tokens.refresh(app, first["refresh_token"], "OAUTH-JWT-4")


@pytest.mark.real_port
@pytest.mark.clause("OAUTH-JWT-2")
def test_jwt_grant_creating_the_first_token_row_returns_its_refresh_token(target: Target) -> None:
    tokens = Tokens(target)
    user, app = tokens.users[0], tokens.apps[0]
    admin = target.admin
    if admin is None:
        pytest.skip(
            NOT_CHECKED_PREFIX + "needs a user+app without a token row: the suite can remove "
            "one only through the mock's admin API"
        )
    admin.disconnect_app(user.username, app.client_id)
    body = tokens.grant(user, app, "OAUTH-JWT-2", is_jwt=True)
    expect(
        "refresh_token" in body,
        "OAUTH-JWT-2",
        f"a JWT password grant creating the first token row lacks refresh_token: {body}",
    )
    tokens.accepted(body["access_token"], user, "OAUTH-JWT-2", "the JWT of a new token row")
    tokens.refresh(app, body["refresh_token"], "OAUTH-JWT-2", is_jwt=True)


@pytest.mark.real_port
@pytest.mark.clause("OAUTH-ISOLATION-1")
def test_grants_leave_other_users_and_apps_alone(target: Target) -> None:
    tokens = Tokens(target)
    if len(tokens.users) < 2 and len(tokens.apps) < 2:
        pytest.skip("needs a second user or app: provide RSPACE_USERNAME_2 or RSPACE_CLIENT_ID_2")
    user, app = tokens.users[0], tokens.apps[0]
    mine = tokens.grant(user, app, "OAUTH-GRANT-1")
    what = f"{user.username}'s token for the first app, after a grant for"
    for other_user, other_app in ((user, a) for a in tokens.apps[1:2]):
        theirs = tokens.grant(other_user, other_app, "OAUTH-GRANT-1")
        tokens.accepted(mine["access_token"], user, "OAUTH-ISOLATION-1", f"{what} another app")
        tokens.refresh(other_app, theirs["refresh_token"], "OAUTH-GRANT-1")
        tokens.accepted(mine["access_token"], user, "OAUTH-ISOLATION-1", f"{what} a refresh")
    for other_user in tokens.users[1:2]:
        theirs = tokens.grant(other_user, app, "OAUTH-GRANT-1")
        tokens.accepted(mine["access_token"], user, "OAUTH-ISOLATION-1", f"{what} another user")
        tokens.accepted(
            theirs["access_token"], other_user, "OAUTH-ISOLATION-1", "another user's token"
        )
    tokens.refresh(app, mine["refresh_token"], "OAUTH-ISOLATION-1")


@pytest.mark.real_port
@pytest.mark.clause("OAUTH-ERR-REFRESH-2")
def test_refresh_token_of_another_app_or_with_a_wrong_secret_is_404(target: Target) -> None:
    tokens = Tokens(target)
    user, app = tokens.users[0], tokens.apps[0]
    mine = tokens.grant(user, app, "OAUTH-GRANT-1")
    wrong_secret = AppCredentials(app.client_id, "Q" + app.client_secret[1:])
    if wrong_secret.client_secret == app.client_secret:
        wrong_secret = AppCredentials(app.client_id, "R" + app.client_secret[1:])
    others = [wrong_secret, *tokens.apps[1:2]]
    for other in others:
        tokens.refresh_refused(
            other,
            mine["refresh_token"],
            "OAUTH-ERR-REFRESH-2",
            "a refresh token sent with another app's or a wrong secret",
        )
    # Refused requests change nothing: the refresh token still works.
    tokens.refresh(app, mine["refresh_token"], "OAUTH-ERR-REFRESH-2")


@pytest.mark.real_port
@pytest.mark.clause("OAUTH-EXPIRY-1", "AUTH-BEARER-2")
def test_tokens_expire_after_their_hour(target: Target) -> None:
    tokens = Tokens(target)
    admin = target.admin
    if admin is None:
        pytest.skip(NOT_CHECKED_PREFIX + "needs a clock the suite can move (the mock's admin API)")
    user, app = tokens.users[0], tokens.apps[0]
    pair = tokens.grant(user, app, "OAUTH-GRANT-1")
    token = tokens.grant(user, app, "OAUTH-GRANT-1", is_jwt=True)["access_token"]
    moved = 0.0

    def advance(seconds: float) -> None:
        nonlocal moved
        admin.advance_clock(seconds)
        moved += seconds

    try:
        advance(LIFETIME - 30)
        tokens.accepted(pair["access_token"], user, "OAUTH-EXPIRY-1", "an access token at 59 min")
        tokens.accepted(token, user, "OAUTH-EXPIRY-1", "a JWT at 59 min")
        advance(60)
        tokens.refused(pair["access_token"], user, "OAUTH-EXPIRY-1", "an access token at 61 min")
        tokens.accepted(token, user, "OAUTH-EXPIRY-1", "a JWT 30 s past exp (180 s skew)")
        advance(JWT_SKEW)
        tokens.refused(token, user, "OAUTH-EXPIRY-1", "a JWT 210 s past exp")
        renewed = tokens.refresh(app, pair["refresh_token"], "OAUTH-EXPIRY-1")
        expect(
            "refresh_token" in renewed,
            "OAUTH-EXPIRY-1",
            "the refresh token no longer worked after its access token expired",
        )
    finally:
        if moved:
            admin.advance_clock(-moved)
