"""The OAuth token lifecycle as a state machine.

A small model predicts, for every token the run was ever given, whether RSpace must accept it;
each API call and the final sweep over all tokens check the server agrees. The model follows
reference section A.4: one token row per (app, user); a generation counter per row goes up
whenever the row's refresh token changes, and a token is valid exactly while its generation is
the row's current one.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Literal

import jwt
import pytest
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from .clauses import expect
from .conftest import TargetFactory
from .helpers import (
    bearer,
    marker_document,
    password_grant,
    refresh_grant,
    require_apps,
    require_password_users,
    require_writable,
    sha256_hex,
)
from .shapes import JWT, OPAQUE_TOKEN, check_error, check_token_response, json_body
from .target import AppCredentials, Target, UserCredentials

TokenKind = Literal["access", "jwt", "refresh"]
RowState = Literal["absent", "present", "unknown"]
BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

LIFECYCLE_CLAUSES = (
    "OAUTH-GRANT-1",
    "OAUTH-FORMAT-1",
    "OAUTH-ONEPAIR-1",
    "OAUTH-ROTATE-1",
    "OAUTH-ROTATE-2",
    "OAUTH-JWT-1",
    "OAUTH-JWT-2",
    "OAUTH-JWT-3",
    "OAUTH-JWT-4",
    "OAUTH-ISOLATION-1",
    "OAUTH-ERR-CREDENTIALS-1",
    "OAUTH-ERR-CLIENT-1",
    "OAUTH-ERR-REFRESH-1",
    "OAUTH-ERR-REFRESH-2",
    "WIRE-TOKEN-1",
    "ERR-SHAPE-1",
)


@dataclass
class IssuedToken:
    kind: TokenKind
    value: str
    user: UserCredentials
    app: AppCredentials
    generation: int
    step: int
    #: RSpace may fail (a null-expiry NPE) on opaque tokens of JWT-first rows: not asserted.
    unspecified: bool = False

    @property
    def pair(self) -> tuple[str, str]:
        return (self.user.username, self.app.client_id)


@dataclass
class TokenRow:
    """What the model knows about one (user, app) token row."""

    state: RowState
    generation: int = 0
    refresh_hash: str | None = None
    #: A row made by a JWT-first password grant has no expiry in RSpace (see docstring above).
    null_expiry: bool = False
    #: generation -> why it ended ("password" or "refresh").
    ended_by: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Event:
    step: int
    pair: tuple[str, str]
    kind: str


class TokenLifecycle(RuleBasedStateMachine):
    def __init__(self, factory: TargetFactory) -> None:
        super().__init__()
        self.factory = factory
        self.target: Target = factory.new()
        self.users = self.target.credentials.password_users[:2]
        self.apps = self.target.credentials.apps[:2]
        initial: RowState = "absent" if self.target.fresh else "unknown"
        self.rows = {
            (u.username, a.client_id): TokenRow(initial) for u in self.users for a in self.apps
        }
        self.issued: list[IssuedToken] = []
        self.unchecked: list[IssuedToken] = []
        self.events: list[Event] = []
        self.step = 0
        self.markers: dict[str, int | None] = {}

    @initialize()
    def find_marker_documents(self) -> None:
        for user in self.users:
            self.markers[user.username] = marker_document(self.target, user)

    # --- grants ---------------------------------------------------------------------------

    @rule(data=st.data(), is_jwt=st.booleans())
    def password_grant(self, data: st.DataObject, is_jwt: bool) -> None:
        user = data.draw(st.sampled_from(self.users), label="user")
        app = data.draw(st.sampled_from(self.apps), label="app")
        self.step += 1
        response = self.target.token(password_grant(user, app, is_jwt=is_jwt))
        expect(
            response.status_code == 200,
            "OAUTH-GRANT-1",
            f"password grant for {user.username} gave {response.status_code}: {response.text}",
        )
        body = check_token_response(json_body(response, "WIRE-TOKEN-1"))
        row = self.rows[(user.username, app.client_id)]
        if not is_jwt:
            expect("refresh_token" in body, "OAUTH-GRANT-1", f"no refresh_token in {body}")
            self._check_opaque(body["access_token"], body["refresh_token"])
            self._new_generation(row, "password")
            row.refresh_hash = sha256_hex(body["refresh_token"])
            row.null_expiry = False
            self._issue("access", body["access_token"], user, app, row)
            self._issue("refresh", body["refresh_token"], user, app, row)
        else:
            if row.state == "present":
                expect(
                    "refresh_token" not in body,
                    "OAUTH-JWT-2",
                    f"JWT password grant on an existing token row returned refresh_token: {body}",
                )
            elif row.state == "absent":
                expect(
                    "refresh_token" in body,
                    "OAUTH-JWT-2",
                    f"JWT password grant creating the first token row lacks refresh_token: {body}",
                )
            if "refresh_token" in body:
                self._check_opaque(None, body["refresh_token"])
                self._new_generation(row, "password")
                row.refresh_hash = sha256_hex(body["refresh_token"])
                row.null_expiry = True
                self._issue("refresh", body["refresh_token"], user, app, row)
            self._check_jwt(body["access_token"], row)
            self._issue("jwt", body["access_token"], user, app, row)
        row.state = "present"
        self.events.append(Event(self.step, (user.username, app.client_id), _kind(is_jwt)))

    @precondition(lambda self: any(t.kind == "refresh" for t in self.issued))
    @rule(data=st.data(), is_jwt=st.booleans())
    def refresh_grant(self, data: st.DataObject, is_jwt: bool) -> None:
        token = data.draw(
            st.sampled_from([t for t in self.issued if t.kind == "refresh"]), label="refresh"
        )
        app = data.draw(st.sampled_from(self.apps), label="app")
        self.step += 1
        response = self.target.token(refresh_grant(app, token.value, is_jwt=is_jwt))
        row = self.rows[token.pair]
        if app.client_id != token.app.client_id:
            check_error(response, "OAUTH-ERR-REFRESH-2", 404, 50301)
            return
        if token.generation != row.generation:
            ended_by_password = row.ended_by[token.generation] == "password"
            clause = "OAUTH-ONEPAIR-1" if ended_by_password else "OAUTH-ROTATE-2"
            check_error(response, clause, 404, 50301)
            return
        expect(
            response.status_code == 200,
            self._clause_for_rejected(token),
            f"current refresh token of {token.pair} refused: {response.status_code} "
            f"{response.text}",
        )
        body = check_token_response(json_body(response, "WIRE-TOKEN-1"))
        if is_jwt:
            expect(
                "refresh_token" not in body,
                "OAUTH-JWT-2",
                f"JWT refresh grant returned refresh_token: {body}",
            )
            self._check_jwt(body["access_token"], row)
            self._issue("jwt", body["access_token"], token.user, app, row)
        else:
            expect("refresh_token" in body, "OAUTH-ROTATE-1", f"no refresh_token in {body}")
            old_values = {t.value for t in self.issued if t.pair == token.pair}
            expect(
                body["refresh_token"] != token.value and body["refresh_token"] not in old_values,
                "OAUTH-ROTATE-1",
                "refresh grant did not rotate the refresh token",
            )
            expect(
                body["access_token"] not in old_values,
                "OAUTH-ROTATE-1",
                "refresh grant did not rotate the access token",
            )
            self._check_opaque(body["access_token"], body["refresh_token"])
            self._new_generation(row, "refresh")
            row.refresh_hash = sha256_hex(body["refresh_token"])
            self._issue("access", body["access_token"], token.user, app, row)
            self._issue("refresh", body["refresh_token"], token.user, app, row)
        self.events.append(Event(self.step, token.pair, _kind(is_jwt)))

    @rule(
        data=st.data(),
        garbage=st.one_of(
            st.just(""),
            st.text(BASE64, min_size=1, max_size=31),
            st.text(BASE64, min_size=33, max_size=48),
            st.tuples(st.text(BASE64, min_size=31, max_size=31), st.sampled_from("!*~%#")).map(
                lambda parts: parts[0] + parts[1]
            ),
        ),
    )
    def refresh_with_malformed_token(self, data: st.DataObject, garbage: str) -> None:
        app = data.draw(st.sampled_from(self.apps), label="app")
        response = self.target.token(refresh_grant(app, garbage))
        check_error(response, "OAUTH-ERR-REFRESH-1", 422, 42201)

    @rule(data=st.data())
    def refresh_with_unknown_token(self, data: st.DataObject) -> None:
        app = data.draw(st.sampled_from(self.apps), label="app")
        unknown = "".join(secrets.choice(BASE64) for _ in range(32))
        response = self.target.token(refresh_grant(app, unknown))
        check_error(response, "OAUTH-ERR-REFRESH-2", 404, 50301)

    @precondition(lambda self: any(t.kind == "refresh" for t in self.issued))
    @rule(data=st.data())
    def refresh_with_wrong_secret(self, data: st.DataObject) -> None:
        token = data.draw(
            st.sampled_from([t for t in self.issued if t.kind == "refresh"]), label="refresh"
        )
        wrong = AppCredentials(token.app.client_id, _wrong_secret(token.app.client_secret))
        response = self.target.token(refresh_grant(wrong, token.value))
        check_error(response, "OAUTH-ERR-REFRESH-2", 404, 50301)

    @rule(data=st.data())
    def password_grant_with_wrong_password(self, data: st.DataObject) -> None:
        user = data.draw(st.sampled_from(self.users), label="user")
        app = data.draw(st.sampled_from(self.apps), label="app")
        wrong = UserCredentials(user.username, (user.password or "") + "-wrong")
        response = self.target.token(password_grant(wrong, app))
        check_error(response, "OAUTH-ERR-CREDENTIALS-1", 401, 40101, "Invalid user credentials.")

    @rule(data=st.data())
    def password_grant_with_wrong_secret(self, data: st.DataObject) -> None:
        user = data.draw(st.sampled_from(self.users), label="user")
        app = data.draw(st.sampled_from(self.apps), label="app")
        wrong = AppCredentials(app.client_id, _wrong_secret(app.client_secret))
        response = self.target.token(password_grant(user, wrong))
        check_error(response, "OAUTH-ERR-CLIENT-1", 401, 40101, "OAuth token could not be created.")

    # --- API calls ------------------------------------------------------------------------

    @precondition(lambda self: bool(self.issued))
    @rule(data=st.data())
    def call_api_with_any_token(self, data: st.DataObject) -> None:
        self._check_api_call(data.draw(st.sampled_from(self.issued), label="token"))

    @invariant()
    def newest_tokens_agree_with_model(self) -> None:
        while self.unchecked:
            self._check_api_call(self.unchecked.pop())

    def teardown(self) -> None:
        try:
            for token in self.issued:
                self._check_api_call(token)
        finally:
            if self.factory.fresh_each_time:
                self.target.close()

    # --- model helpers --------------------------------------------------------------------

    def _issue(
        self, kind: TokenKind, value: str, user: UserCredentials, app: AppCredentials, row: TokenRow
    ) -> None:
        token = IssuedToken(
            kind,
            value,
            user,
            app,
            row.generation,
            self.step,
            unspecified=kind == "access" and row.null_expiry,
        )
        self.issued.append(token)
        if kind != "refresh":
            self.unchecked.append(token)

    def _new_generation(self, row: TokenRow, reason: str) -> None:
        row.ended_by[row.generation] = reason
        row.generation += 1

    def _check_opaque(self, access: str | None, refresh: str) -> None:
        for value in (access, refresh):
            if value is not None:
                expect(
                    OPAQUE_TOKEN.match(value),
                    "OAUTH-FORMAT-1",
                    f"{value!r} is not 32 Base64 characters",
                )

    def _check_jwt(self, value: str, row: TokenRow) -> None:
        expect(JWT.match(value), "OAUTH-JWT-1", f"{value!r} is not a JWT")
        try:
            header = jwt.get_unverified_header(value)
            claims = jwt.decode(value, options={"verify_signature": False})
        except jwt.PyJWTError as error:
            raise AssertionError(f"[OAUTH-JWT-1] undecodable JWT {value!r}: {error}") from error
        expect(str(header.get("alg", "")).startswith("HS"), "OAUTH-JWT-1", f"header {header}")
        expect(
            set(claims) == {"iss", "iat", "exp", "refreshTokenHash"},
            "OAUTH-JWT-1",
            f"JWT claims are {sorted(claims)}, not exactly iss, iat, exp, refreshTokenHash",
        )
        expect(claims["exp"] - claims["iat"] == 3600, "OAUTH-JWT-1", f"exp - iat in {claims}")
        if row.refresh_hash is None:
            row.refresh_hash = claims["refreshTokenHash"]
        expect(
            claims["refreshTokenHash"] == row.refresh_hash,
            "OAUTH-JWT-1",
            "refreshTokenHash is not the SHA-256 of the current refresh token",
        )

    def _clause_for_rejected(self, token: IssuedToken) -> str:
        """Which rule a wrongly refused token points at: what happened since it was issued."""
        later = [e for e in self.events if e.step > token.step]
        if any(e.pair == token.pair and e.kind.endswith("jwt") for e in later):
            return "OAUTH-JWT-4"
        if any(e.pair != token.pair for e in later):
            return "OAUTH-ISOLATION-1"
        return {"jwt": "OAUTH-JWT-3", "refresh": "OAUTH-ROTATE-1"}.get(token.kind, "OAUTH-GRANT-1")

    def _clause_for_accepted(self, token: IssuedToken, row: TokenRow) -> str:
        """Which rule a wrongly accepted token breaks: JWTs have their own; others by cause."""
        if token.kind == "jwt":
            return "OAUTH-JWT-3"
        if row.ended_by[token.generation] == "password":
            return "OAUTH-ONEPAIR-1"
        return "OAUTH-ROTATE-2"

    def _check_api_call(self, token: IssuedToken) -> None:
        if token.kind == "refresh" or token.unspecified:
            return
        row = self.rows[token.pair]
        marker = self.markers.get(token.user.username)
        path = f"/api/v1/documents/{marker}" if marker else "/api/v1/status"
        response = self.target.get(path, headers=bearer(token.value))
        if token.generation == row.generation:
            expect(
                response.status_code == 200,
                self._clause_for_rejected(token)
                if response.status_code == 401
                else "OAUTH-ISOLATION-1",
                f"valid {token.kind} token of {token.pair} gave {response.status_code} on "
                f"{path}: {response.text[:300]}",
            )
            if marker:
                owner = response.json()["owner"]["username"]
                expect(
                    owner == token.user.username,
                    "OAUTH-ISOLATION-1",
                    f"token of {token.user.username} authenticated as {owner}",
                )
        else:
            check_error(response, self._clause_for_accepted(token, row), 401, 40101)


def _kind(is_jwt: bool) -> str:
    return "jwt" if is_jwt else "opaque"


def _wrong_secret(secret: str) -> str:
    return ("B" if secret[:1] == "A" else "A") + secret[1:]


@pytest.mark.real_port
@pytest.mark.clause(*LIFECYCLE_CLAUSES)
def test_token_lifecycle_matches_model(target_factory: TargetFactory) -> None:
    probe = target_factory.new()
    require_writable(probe, "password grants replace the test user's OAuth token pair")
    require_password_users(probe)
    require_apps(probe)
    if target_factory.fresh_each_time:
        probe.close()
    run_state_machine_as_test(
        lambda: TokenLifecycle(target_factory), settings=target_factory.state_machine_settings()
    )
