"""RSpace's token rules, exercised on the pure domain (no HTTP)."""

from __future__ import annotations

import base64
from datetime import datetime, timezone

import jwt
import pytest

from mock_server.clock import Clock
from mock_server.domain.authentication import Principal
from mock_server.domain.credentials import sha256_hex
from mock_server.domain.directory import NewUser
from mock_server.domain.errors import AuthenticationFailed, IllegalArgument, NotFound
from mock_server.domain.kinds import APPS, TOKENS
from mock_server.domain.oauth import TokenRequest
from mock_server.domain.system import load_switches, save_switches
from mock_server.runtime import MockRSpace, build_mock
from mock_server.settings import Quirks, Settings

SERVER = "http://rspace.test"
START = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def mock() -> MockRSpace:
    clock = Clock()
    clock.freeze(START)
    mock = build_mock(Settings(fixtures=None, random_seed=7), clock=clock)
    mock.directory.create_user(NewUser("alice", "pw-alice", api_key="aliceKey"))
    mock.directory.create_user(NewUser("bob", "pw-bob"))
    mock.directory.create_app("alice", "App One", "CLIENTONE", "secret-one")
    mock.directory.create_app("bob", "App Two", "CLIENTTWO", "secret-two")
    return mock


def password(
    user: str = "alice",
    client: str = "CLIENTONE",
    secret: str = "secret-one",
    pw: str | None = None,
    is_jwt: bool = False,
) -> TokenRequest:
    return TokenRequest(
        "password",
        client,
        secret,
        username=user,
        password=pw if pw is not None else f"pw-{user}",
        is_jwt=is_jwt,
    )


def refresh(
    token: str, client: str = "CLIENTONE", secret: str = "secret-one", is_jwt: bool = False
) -> TokenRequest:
    return TokenRequest("refresh_token", client, secret, refresh_token=token, is_jwt=is_jwt)


def works(mock: MockRSpace, access_token: str) -> bool:
    try:
        principal = mock.authenticator.authenticate(None, f"Bearer {access_token}", SERVER)
    except AuthenticationFailed:
        return False
    return isinstance(principal, Principal)


def test_password_grant_issues_32_char_base64_tokens(mock: MockRSpace) -> None:
    issued = mock.tokens.grant(password(), SERVER)
    for token in (issued.access_token, issued.refresh_token):
        assert token is not None and len(token) == 32
        assert len(base64.b64decode(token + "")) == 24
    assert issued.expires_in(mock.clock.now()) == 3600
    assert issued.scope == "all"


def test_only_hashes_of_tokens_are_stored(mock: MockRSpace) -> None:
    issued = mock.tokens.grant(password(), SERVER)
    (row,) = mock.store.collection(TOKENS).select()
    assert row.access_token_hash == sha256_hex(issued.access_token)
    assert issued.refresh_token and row.refresh_token_hash == sha256_hex(issued.refresh_token)
    assert mock.store.collection(APPS).get("CLIENTONE").client_secret_hash == sha256_hex(
        "secret-one"
    )


def test_new_password_grant_invalidates_previous_pair(mock: MockRSpace) -> None:
    first = mock.tokens.grant(password(), SERVER)
    second = mock.tokens.grant(password(), SERVER)
    assert not works(mock, first.access_token)
    assert works(mock, second.access_token)
    assert first.refresh_token
    with pytest.raises(NotFound):
        mock.tokens.grant(refresh(first.refresh_token), SERVER)


def test_new_password_grant_invalidates_previous_jwts(mock: MockRSpace) -> None:
    mock.tokens.grant(password(), SERVER)
    token = mock.tokens.grant(password(is_jwt=True), SERVER).access_token
    assert works(mock, token)
    mock.tokens.grant(password(), SERVER)
    assert not works(mock, token)


def test_pairs_are_per_user_and_app(mock: MockRSpace) -> None:
    alice_one = mock.tokens.grant(password(), SERVER)
    alice_two = mock.tokens.grant(password(client="CLIENTTWO", secret="secret-two"), SERVER)
    bob_one = mock.tokens.grant(password(user="bob"), SERVER)
    mock.tokens.grant(password(), SERVER)  # replaces only alice+app one
    assert not works(mock, alice_one.access_token)
    assert works(mock, alice_two.access_token)
    assert works(mock, bob_one.access_token)


def test_refresh_rotates_both_tokens(mock: MockRSpace) -> None:
    first = mock.tokens.grant(password(), SERVER)
    assert first.refresh_token
    second = mock.tokens.grant(refresh(first.refresh_token), SERVER)
    assert second.access_token != first.access_token
    assert second.refresh_token not in (None, first.refresh_token)
    assert not works(mock, first.access_token)
    assert works(mock, second.access_token)


def test_used_refresh_token_is_then_unknown(mock: MockRSpace) -> None:
    first = mock.tokens.grant(password(), SERVER)
    assert first.refresh_token
    mock.tokens.grant(refresh(first.refresh_token), SERVER)
    with pytest.raises(NotFound) as caught:
        mock.tokens.grant(refresh(first.refresh_token), SERVER)
    assert caught.value.message == (
        "OAuth token not found! Perhaps its refresh rights have been removed."
    )


def test_refresh_kills_jwts_of_the_old_refresh_token(mock: MockRSpace) -> None:
    first = mock.tokens.grant(password(), SERVER)
    token = mock.tokens.grant(password(is_jwt=True), SERVER).access_token
    assert first.refresh_token
    mock.tokens.grant(refresh(first.refresh_token), SERVER)
    assert not works(mock, token)


def test_jwt_grant_with_existing_pair_changes_nothing_and_omits_refresh_token(
    mock: MockRSpace,
) -> None:
    pair = mock.tokens.grant(password(), SERVER)
    jwt_grant = mock.tokens.grant(password(is_jwt=True), SERVER)
    assert jwt_grant.refresh_token is None
    assert works(mock, pair.access_token)
    assert works(mock, jwt_grant.access_token)
    assert pair.refresh_token
    mock.tokens.grant(refresh(pair.refresh_token, is_jwt=True), SERVER)  # still current


def test_jwt_first_grant_creates_refresh_only_pair_and_returns_it(mock: MockRSpace) -> None:
    issued = mock.tokens.grant(password(is_jwt=True), SERVER)
    assert issued.refresh_token is not None
    (row,) = mock.store.collection(TOKENS).select()
    assert row.access_token_hash is None and row.expiry is None
    assert row.refresh_token_hash == sha256_hex(issued.refresh_token)
    # The returned refresh token works for a normal refresh.
    assert mock.tokens.grant(refresh(issued.refresh_token), SERVER).refresh_token


def test_refresh_with_is_jwt_does_not_rotate(mock: MockRSpace) -> None:
    pair = mock.tokens.grant(password(), SERVER)
    assert pair.refresh_token
    issued = mock.tokens.grant(refresh(pair.refresh_token, is_jwt=True), SERVER)
    assert issued.refresh_token is None
    assert works(mock, pair.access_token)
    assert works(mock, issued.access_token)
    again = mock.tokens.grant(refresh(pair.refresh_token, is_jwt=True), SERVER)
    assert works(mock, again.access_token) and works(mock, issued.access_token)


def test_jwt_has_exactly_rspace_claims(mock: MockRSpace) -> None:
    pair = mock.tokens.grant(password(), SERVER)
    token = mock.tokens.grant(password(is_jwt=True), SERVER).access_token
    assert jwt.get_unverified_header(token) == {"alg": "HS256"}
    claims = jwt.decode(token, options={"verify_signature": False})
    assert set(claims) == {"iss", "iat", "exp", "refreshTokenHash"}
    assert claims["iss"] == SERVER
    assert claims["exp"] - claims["iat"] == 3600
    assert pair.refresh_token and claims["refreshTokenHash"] == sha256_hex(pair.refresh_token)


def test_jwt_valid_until_exp_plus_three_minutes_skew(mock: MockRSpace) -> None:
    mock.tokens.grant(password(), SERVER)
    token = mock.tokens.grant(password(is_jwt=True), SERVER).access_token
    mock.clock.advance(3600 + 180)
    assert works(mock, token)
    mock.clock.advance(1)
    assert not works(mock, token)


def test_jwt_from_another_issuer_or_key_is_rejected(mock: MockRSpace) -> None:
    mock.tokens.grant(password(), SERVER)
    token = mock.tokens.grant(password(is_jwt=True), SERVER).access_token
    with pytest.raises(AuthenticationFailed):
        mock.authenticator.authenticate(None, f"Bearer {token}", "http://other.host")
    claims = jwt.decode(token, options={"verify_signature": False})
    forged = jwt.encode(claims, b"k" * 32, algorithm="HS256")
    assert not works(mock, forged)


def test_opaque_access_token_expires_after_ttl(mock: MockRSpace) -> None:
    issued = mock.tokens.grant(password(), SERVER)
    mock.clock.advance(3599)
    assert works(mock, issued.access_token)
    mock.clock.advance(1)
    assert not works(mock, issued.access_token)


def test_refresh_extends_expiry_by_default(mock: MockRSpace) -> None:
    first = mock.tokens.grant(password(), SERVER)
    mock.clock.advance(3000)
    assert first.refresh_token
    second = mock.tokens.grant(refresh(first.refresh_token), SERVER)
    mock.clock.advance(1000)
    assert works(mock, second.access_token)


def test_refresh_keeps_expiry_quirk_reproduces_rspace_bug() -> None:
    clock = Clock()
    clock.freeze(START)
    mock = build_mock(
        Settings(fixtures=None, quirks=Quirks(refresh_keeps_expiry=True)), clock=clock
    )
    mock.directory.create_user(NewUser("alice", "pw-alice"))
    mock.directory.create_app("alice", "App", "CLIENTONE", "secret-one")
    first = mock.tokens.grant(password(), SERVER)
    mock.clock.advance(3000)
    assert first.refresh_token
    second = mock.tokens.grant(refresh(first.refresh_token), SERVER)
    assert second.expires_in(mock.clock.now()) == 3600  # the response still says an hour
    mock.clock.advance(600)
    assert not works(mock, second.access_token)


@pytest.mark.parametrize(
    ("request_", "error", "message"),
    [
        (
            TokenRequest("password", "", "s"),
            AuthenticationFailed,
            "Parameter client_id must be present!",
        ),
        (
            TokenRequest("password", "c", ""),
            AuthenticationFailed,
            "Parameter client_secret must be present!",
        ),
        (
            TokenRequest("client_credentials", "c", "s"),
            IllegalArgument,
            "Only password grant and token refresh is supported for OAuth at this time.",
        ),
        (
            TokenRequest("password", "c", "s", username="alice"),
            IllegalArgument,
            "Password grant requires parameters `username` and `password` to be present.",
        ),
        (password(user="nobody"), AuthenticationFailed, "Invalid user credentials."),
        (password(pw="wrong"), AuthenticationFailed, "Invalid user credentials."),
        (password(secret="wrong"), AuthenticationFailed, "OAuth token could not be created."),
        (password(client="UNKNOWN"), AuthenticationFailed, "OAuth token could not be created."),
        (
            TokenRequest("refresh_token", "CLIENTONE", "secret-one"),
            IllegalArgument,
            "Refresh grant requires parameter `refresh_token` to be present.",
        ),
        (refresh("short"), IllegalArgument, "token length incorrect"),
        (refresh("!" * 32), IllegalArgument, "token not in base64 format"),
        (refresh("a!.b.c"), IllegalArgument, "a! not in base64 format"),
        (refresh("A" * 32, secret="wrong"), NotFound, "ClientId or ClientSecret incorrect"),
        (
            refresh("A" * 32),
            NotFound,
            "OAuth token not found! Perhaps its refresh rights have been removed.",
        ),
    ],
)
def test_grant_errors_match_rspace(
    mock: MockRSpace, request_: TokenRequest, error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as caught:
        mock.tokens.grant(request_, SERVER)
    assert str(caught.value) == message


def test_locked_user_is_refused_before_the_password_is_checked(mock: MockRSpace) -> None:
    mock.directory.create_user(NewUser("carol", "pw-carol", account_locked=True))
    with pytest.raises(AuthenticationFailed) as caught:
        mock.tokens.grant(password(user="carol", pw="wrong"), SERVER)
    assert caught.value.message == "User 'carol' has their account locked or disabled."


def test_user_without_api_access_is_refused(mock: MockRSpace) -> None:
    mock.directory.create_user(NewUser("dave", "pw-dave", api_access=False))
    with pytest.raises(AuthenticationFailed) as caught:
        mock.tokens.grant(password(user="dave"), SERVER)
    assert caught.value.message == "User 'dave' doesn't have access to API"


def test_refresh_token_of_another_app_is_not_found(mock: MockRSpace) -> None:
    issued = mock.tokens.grant(password(), SERVER)
    assert issued.refresh_token
    with pytest.raises(NotFound):
        mock.tokens.grant(refresh(issued.refresh_token, "CLIENTTWO", "secret-two"), SERVER)


def test_oauth_switch_off_refuses_both_grants(mock: MockRSpace) -> None:
    issued = mock.tokens.grant(password(), SERVER)
    switches = load_switches(mock.store)
    switches.oauth_enabled = False
    save_switches(mock.store, switches)
    assert issued.refresh_token
    for request_ in (password(), refresh(issued.refresh_token)):
        with pytest.raises(AuthenticationFailed) as caught:
            mock.tokens.grant(request_, SERVER)
        assert caught.value.message == (
            "OAuth authentication has been disabled by RSpace administrator."
        )


def test_disconnecting_an_app_kills_its_tokens_and_jwts(mock: MockRSpace) -> None:
    pair = mock.tokens.grant(password(), SERVER)
    token = mock.tokens.grant(password(is_jwt=True), SERVER).access_token
    assert mock.directory.disconnect_app("alice", "CLIENTONE")
    assert not works(mock, pair.access_token) and not works(mock, token)


def test_deleting_an_app_kills_every_users_tokens(mock: MockRSpace) -> None:
    alice = mock.tokens.grant(password(), SERVER)
    bob = mock.tokens.grant(password(user="bob"), SERVER)
    assert mock.directory.delete_app("CLIENTONE") == 2
    assert not works(mock, alice.access_token) and not works(mock, bob.access_token)
    with pytest.raises(AuthenticationFailed):
        mock.tokens.grant(password(), SERVER)
