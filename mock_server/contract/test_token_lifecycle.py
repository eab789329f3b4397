"""The OAuth token lifecycle as a state machine.

A small model predicts, for every token the run was ever given, whether RSpace must accept it;
each API call and the final sweep over all tokens check the server agrees. The model follows
reference section A.4: one token row per (app, user); a generation counter per row goes up
whenever the row's refresh token changes, and a token is valid exactly while its generation is
the row's current one.

Every run starts from token rows the model knows: removed through the mock's admin API where
the target has it (as in-process, where each run gets a fresh mock), else replaced by a
password grant. Draws never depend on what the server answered, so a shared server cannot
make hypothesis see an inconsistent run. The final sweep uses every current refresh token once
and tries every stale one, so a refresh grant that hands out a dead refresh token, or leaves
the old one alive, fails in every run that refreshed at all.
"""

from __future__ import annotations

import secrets
import sys
from dataclasses import dataclass, field
from typing import Literal

import jwt
import pytest
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
)

from .clauses import Reach, expect
from .helpers import (
    DOCUMENTS,
    bearer,
    check_dead_token_message,
    marker_document,
    password_grant,
    pick,
    refresh_grant,
    require_apps,
    require_password_users,
    require_writable,
    server_url_from_links,
    sha256_hex,
)
from .plugin import TargetFactory
from .shapes import JWT, OPAQUE_TOKEN, check_error, check_token_response, json_body
from .target import AppCredentials, Target, UserCredentials

TokenKind = Literal["access", "jwt", "refresh"]
#: Which grant made a token: its rule is the one a wrongly refused token breaks.
Origin = Literal["password", "refresh", "jwt"]
RowState = Literal["absent", "present"]
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
    "AUTH-BEARER-2",
    "AUTH-HEADERS-1",
)

#: What the runs must get to, per clause, for the clause to count as checked by the machine.
REACH = {
    "OAUTH-ONEPAIR-1": (
        "access token after a newer password grant",
        "refresh token after a newer password grant",
        "JWT after a newer password grant",
    ),
    "OAUTH-ROTATE-1": ("refresh token handed out by a refresh grant, used",),
    "OAUTH-ROTATE-2": (
        "access token after a refresh grant",
        "refresh token after a refresh grant",
    ),
    "OAUTH-JWT-2": (
        "JWT password grant on an existing token row",
        "JWT password grant creating the first token row",
        "JWT refresh grant",
    ),
    "OAUTH-JWT-3": ("JWT while its refresh token is current", "JWT after a refresh grant"),
    "OAUTH-JWT-4": ("token used after a JWT grant on its user+app",),
    "OAUTH-ISOLATION-1": (
        "token used after a grant for another user+app",
        "token's owner",
    ),
    "OAUTH-ERR-REFRESH-2": ("another app's refresh token", "wrong client secret"),
}

#: Weighted: a refresh grant needs a token, so it comes up twice as often as the others.
ACTIONS = ("password_grant", "refresh_grant", "refresh_grant", "call_api", "failing_request")
FAILURES = (
    "unknown refresh token",
    "malformed refresh token",
    "wrong secret",
    "wrong password",
    "wrong client secret",
)
MALFORMED_REFRESH_TOKENS = st.one_of(
    st.just(""),
    st.text(BASE64, min_size=1, max_size=31),
    st.text(BASE64, min_size=33, max_size=48),
    st.tuples(st.text(BASE64, min_size=31, max_size=31), st.sampled_from("!*~%#")).map(
        lambda parts: parts[0] + parts[1]
    ),
)


@dataclass
class IssuedToken:
    kind: TokenKind
    value: str
    user: UserCredentials
    app: AppCredentials
    generation: int
    step: int
    origin: Origin
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
    #: The refresh token of the current generation, once the run has been given it.
    refresh_token: IssuedToken | None = None
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
    def __init__(self, factory: TargetFactory, reach: Reach) -> None:
        super().__init__()
        self.factory = factory
        self.reach = reach
        self.target: Target = factory.new()
        self.users = self.target.credentials.password_users[:2]
        self.apps = self.target.credentials.apps[:2]
        self.rows = {
            (u.username, a.client_id): TokenRow("absent") for u in self.users for a in self.apps
        }
        self.issued: list[IssuedToken] = []
        self.unchecked: list[IssuedToken] = []
        self.events: list[Event] = []
        self.step = 0
        self.markers: dict[str, int | None] = {}
        self.server_url: str | None = None

    @initialize()
    def start_from_known_rows(self) -> None:
        for user in self.users:
            self.markers[user.username] = marker_document(self.target, user)
        self.server_url = self._server_url()
        if len(self.rows) == 1:
            self.reach.cannot(
                "OAUTH-ISOLATION-1",
                "token used after a grant for another user+app",
                "needs a second user or app",
            )
        if self.target.fresh:
            return
        admin = self.target.admin
        for user in self.users:
            for app in self.apps:
                if admin is not None:
                    admin.disconnect_app(user.username, app.client_id)
                else:
                    self._password_grant(user, app, is_jwt=False)
        if admin is None:
            self.reach.cannot(
                "OAUTH-JWT-2",
                "JWT password grant creating the first token row",
                "the suite cannot remove a token row on this server (no admin API)",
            )

    def _server_url(self) -> str | None:
        for user in self.users:
            marker = self.markers.get(user.username)
            if marker and user.api_key:
                response = self.target.get(
                    f"{DOCUMENTS}/{marker}", headers={"apiKey": user.api_key}
                )
                if response.status_code == 200:
                    return server_url_from_links(response.json().get("_links", []))
        return None

    # --- the one rule ----------------------------------------------------------------------

    @rule(data=st.data())
    def act(self, data: st.DataObject) -> None:
        """One step: a grant, an API call or a request that must fail, drawn afresh each
        step. (One rule, not one per action: hypothesis would enable a random subset of
        rules per run, and with the ci profile's 20 runs most of them would never grant.)"""
        action = data.draw(st.sampled_from(ACTIONS), label="action")
        refresh_tokens = [t for t in self.issued if t.kind == "refresh"]
        if action == "refresh_grant" and refresh_tokens:
            token = pick(data, refresh_tokens, "refresh token")
            self._refresh_grant(token, pick(data, self.apps, "app"), data.draw(st.booleans()))
        elif action == "call_api" and self.issued:
            self._check_api_call(pick(data, self.issued, "token"))
        elif action == "failing_request":
            self._failing_request(data, refresh_tokens)
        else:
            user = pick(data, self.users, "user")
            app = pick(data, self.apps, "app")
            self._password_grant(user, app, data.draw(st.booleans(), label="is_jwt"))

    def _password_grant(self, user: UserCredentials, app: AppCredentials, is_jwt: bool) -> None:
        self.step += 1
        response = self.target.token(password_grant(user, app, is_jwt=is_jwt))
        expect(
            response.status_code == 200,
            "OAUTH-GRANT-1",
            f"password grant for {user.username} gave {response.status_code}: {response.text}",
        )
        body = check_token_response(json_body(response, "WIRE-TOKEN-1"), also=["OAUTH-GRANT-1"])
        row = self.rows[(user.username, app.client_id)]
        if not is_jwt:
            expect("refresh_token" in body, "OAUTH-GRANT-1", f"no refresh_token in {body}")
            self._check_opaque(body["access_token"], body["refresh_token"])
            self._new_generation(row, "password")
            row.refresh_hash = sha256_hex(body["refresh_token"])
            row.null_expiry = False
            self._issue("access", body["access_token"], user, app, row, "password")
            self._issue("refresh", body["refresh_token"], user, app, row, "password")
        else:
            if row.state == "present":
                self.reach.hit("OAUTH-JWT-2", "JWT password grant on an existing token row")
                expect(
                    "refresh_token" not in body,
                    "OAUTH-JWT-2",
                    f"JWT password grant on an existing token row returned refresh_token: {body}",
                    self._others_since((user.username, app.client_id)),
                )
            else:
                self.reach.hit("OAUTH-JWT-2", "JWT password grant creating the first token row")
                expect(
                    "refresh_token" in body,
                    "OAUTH-JWT-2",
                    f"JWT password grant creating the first token row lacks refresh_token: {body}",
                )
                self._check_opaque(None, body["refresh_token"])
                self._new_generation(row, "password")
                row.refresh_hash = sha256_hex(body["refresh_token"])
                row.null_expiry = True
                self._issue("refresh", body["refresh_token"], user, app, row, "password")
            self._check_jwt(body["access_token"], row)
            self._issue("jwt", body["access_token"], user, app, row, "jwt")
        row.state = "present"
        self.events.append(Event(self.step, (user.username, app.client_id), _kind(is_jwt)))
        self._check_other_pairs((user.username, app.client_id))

    def _check_other_pairs(self, granted: tuple[str, str]) -> None:
        """A grant leaves every other user+app alone: the newest access token of each other
        pair still works (or still fails, as its own history says) right after it."""
        newest: dict[tuple[str, str], IssuedToken] = {}
        for token in self.issued:
            if token.pair != granted and token.kind == "access" and not token.unspecified:
                newest[token.pair] = token
        for token in newest.values():
            self._check_api_call(token)

    def _refresh_grant(self, token: IssuedToken, app: AppCredentials, is_jwt: bool) -> None:
        self.step += 1
        response = self.target.token(refresh_grant(app, token.value, is_jwt=is_jwt))
        row = self.rows[token.pair]
        if app.client_id != token.app.client_id:
            self.reach.hit("OAUTH-ERR-REFRESH-2", "another app's refresh token")
            check_error(response, "OAUTH-ERR-REFRESH-2", 404, 50301)
            return
        if token.generation != row.generation:
            if row.ended_by[token.generation] == "password":
                self.reach.hit("OAUTH-ONEPAIR-1", "refresh token after a newer password grant")
                check_error(response, "OAUTH-ONEPAIR-1", 404, 50301)
            else:
                self.reach.hit("OAUTH-ROTATE-2", "refresh token after a refresh grant")
                check_error(response, "OAUTH-ROTATE-2", 404, 50301)
            return
        if token.origin == "refresh":
            self.reach.hit("OAUTH-ROTATE-1", "refresh token handed out by a refresh grant, used")
        clause, also = self._blame_for_rejected(token)
        expect(
            response.status_code == 200,
            clause,
            f"current refresh token of {token.pair} refused: {response.status_code} "
            f"{response.text}",
            also,
        )
        body = check_token_response(json_body(response, "WIRE-TOKEN-1"))
        if is_jwt:
            self.reach.hit("OAUTH-JWT-2", "JWT refresh grant")
            expect(
                "refresh_token" not in body,
                "OAUTH-JWT-2",
                f"JWT refresh grant returned refresh_token: {body}",
            )
            self._check_jwt(body["access_token"], row)
            self._issue("jwt", body["access_token"], token.user, app, row, "jwt")
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
            self._issue("access", body["access_token"], token.user, app, row, "refresh")
            self._issue("refresh", body["refresh_token"], token.user, app, row, "refresh")
        self.events.append(Event(self.step, token.pair, _kind(is_jwt)))

    def _failing_request(self, data: st.DataObject, refresh_tokens: list[IssuedToken]) -> None:
        """A grant that must fail with its error, and change nothing (the model stays)."""
        kind = data.draw(st.sampled_from(FAILURES), label="failure")
        app = pick(data, self.apps, "app")
        user = pick(data, self.users, "user")
        if kind == "malformed refresh token":
            garbage = data.draw(MALFORMED_REFRESH_TOKENS, label="refresh_token")
            response = self.target.token(refresh_grant(app, garbage))
            check_error(response, "OAUTH-ERR-REFRESH-1", 422, 42201)
        elif kind == "wrong secret" and refresh_tokens:
            token = pick(data, refresh_tokens, "refresh token")
            wrong = AppCredentials(token.app.client_id, _wrong_secret(token.app.client_secret))
            response = self.target.token(refresh_grant(wrong, token.value))
            self.reach.hit("OAUTH-ERR-REFRESH-2", "wrong client secret")
            check_error(response, "OAUTH-ERR-REFRESH-2", 404, 50301)
        elif kind == "wrong password":
            wrong_user = UserCredentials(user.username, (user.password or "") + "-wrong")
            response = self.target.token(password_grant(wrong_user, app))
            check_error(
                response, "OAUTH-ERR-CREDENTIALS-1", 401, 40101, "Invalid user credentials."
            )
        elif kind == "wrong client secret":
            wrong_app = AppCredentials(app.client_id, _wrong_secret(app.client_secret))
            response = self.target.token(password_grant(user, wrong_app))
            check_error(
                response, "OAUTH-ERR-CLIENT-1", 401, 40101, "OAuth token could not be created."
            )
        else:
            unknown = "".join(secrets.choice(BASE64) for _ in range(32))
            response = self.target.token(refresh_grant(app, unknown))
            check_error(response, "OAUTH-ERR-REFRESH-2", 404, 50301)

    # --- checks ----------------------------------------------------------------------------

    @invariant()
    def newest_tokens_agree_with_model(self) -> None:
        while self.unchecked:
            self._check_api_call(self.unchecked.pop())

    def teardown(self) -> None:

        try:
            if sys.exc_info()[0] is None:  # a failed run is reported as it failed
                self._final_sweep()
        finally:
            if self.factory.fresh_each_time:
                self.target.close()

    def _final_sweep(self) -> None:
        """Every current refresh token must give a new pair, and every stale one a 404;
        then every token the run was given must be accepted exactly as the model says."""
        stale = [
            t
            for t in self.issued
            if t.kind == "refresh" and t.generation != self.rows[t.pair].generation
        ]
        for token in stale:
            self._refresh_grant(token, token.app, is_jwt=False)
        for row in list(self.rows.values()):
            current = row.refresh_token
            if current is not None and current.generation == row.generation:
                self._refresh_grant(current, current.app, is_jwt=False)
                self._refresh_grant(current, current.app, is_jwt=False)  # now stale: 404
        for token in self.issued:
            self._check_api_call(token)

    # --- model helpers --------------------------------------------------------------------

    def _issue(
        self,
        kind: TokenKind,
        value: str,
        user: UserCredentials,
        app: AppCredentials,
        row: TokenRow,
        origin: Origin,
    ) -> None:
        token = IssuedToken(
            kind,
            value,
            user,
            app,
            row.generation,
            self.step,
            origin,
            unspecified=kind == "access" and row.null_expiry,
        )
        self.issued.append(token)
        if kind == "refresh":
            row.refresh_token = token
        else:
            self.unchecked.append(token)

    def _new_generation(self, row: TokenRow, reason: str) -> None:
        row.ended_by[row.generation] = reason
        row.generation += 1
        row.refresh_token = None

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
        if self.server_url is not None:
            expect(
                claims["iss"] == self.server_url,
                "OAUTH-JWT-1",
                f"iss {claims['iss']!r} is not the server URL of the API's links "
                f"({self.server_url!r})",
            )
        # A mismatch means the JWT is wrong, or the refresh token the run was given is not the
        # one the server keeps: the grant that handed it out is blamed too, and so is this JWT
        # grant, which may have replaced it (JWT grants must change nothing).
        source = row.refresh_token.origin if row.refresh_token else None
        also = {"refresh": ["OAUTH-ROTATE-1"], "password": ["OAUTH-GRANT-1"]}.get(source or "", [])
        expect(
            claims["refreshTokenHash"] == row.refresh_hash,
            "OAUTH-JWT-1",
            "refreshTokenHash is not the SHA-256 of the refresh token the server handed out "
            "last for this user+app: the JWT is wrong, that refresh token was, or this JWT "
            "grant replaced it",
            [*also, "OAUTH-JWT-4"],
        )

    def _others_since(self, pair: tuple[str, str]) -> list[str]:
        """OAUTH-ISOLATION-1 when another user+app was granted since ``pair``'s last grant
        (the row may have been ended by that grant, which is what the clause forbids)."""
        last = max((e.step for e in self.events if e.pair == pair), default=0)
        later = any(e.pair != pair and e.step > last for e in self.events)
        return ["OAUTH-ISOLATION-1"] if later else []

    def _blame_for_rejected(self, token: IssuedToken) -> tuple[str, list[str]]:
        """The rule a wrongly refused token breaks (by the grant that made it), and the rules
        of what happened to other tokens since, which may be the cause."""
        clause = {"password": "OAUTH-GRANT-1", "refresh": "OAUTH-ROTATE-1", "jwt": "OAUTH-JWT-3"}[
            token.origin
        ]
        later = [e for e in self.events if e.step > token.step]
        also = []
        if any(e.pair == token.pair and e.kind == "jwt" for e in later):
            also.append("OAUTH-JWT-4")
        if any(e.pair != token.pair for e in later):
            also.append("OAUTH-ISOLATION-1")
        return clause, also

    def _note_reach(self, token: IssuedToken, row: TokenRow) -> None:
        later = [e for e in self.events if e.step > token.step]
        if any(e.pair == token.pair and e.kind == "jwt" for e in later):
            self.reach.hit("OAUTH-JWT-4", "token used after a JWT grant on its user+app")
        if any(e.pair != token.pair for e in later):
            self.reach.hit("OAUTH-ISOLATION-1", "token used after a grant for another user+app")
        if token.generation == row.generation:
            if token.kind == "jwt":
                self.reach.hit("OAUTH-JWT-3", "JWT while its refresh token is current")
            return
        if row.ended_by[token.generation] == "password":
            part = "JWT" if token.kind == "jwt" else "access token"
            self.reach.hit("OAUTH-ONEPAIR-1", f"{part} after a newer password grant")
        elif token.kind == "jwt":
            self.reach.hit("OAUTH-JWT-3", "JWT after a refresh grant")
        else:
            self.reach.hit("OAUTH-ROTATE-2", "access token after a refresh grant")

    def _check_api_call(self, token: IssuedToken) -> None:
        if token.kind == "refresh" or token.unspecified:
            return
        row = self.rows[token.pair]
        marker = self.markers.get(token.user.username)
        path = f"{DOCUMENTS}/{marker}" if marker else "/api/v1/status"
        response = self.target.get(path, headers=bearer(token.value))
        self._note_reach(token, row)
        if token.generation == row.generation:
            clause, also = self._blame_for_rejected(token)
            if response.status_code not in (200, 401):
                clause, also = "OAUTH-ISOLATION-1", []
            expect(
                response.status_code == 200,
                clause,
                f"valid {token.kind} token of {token.pair} gave {response.status_code} on "
                f"{path}: {response.text[:300]}",
                also,
            )
            if marker:
                self.reach.hit("OAUTH-ISOLATION-1", "token's owner")
                owner = response.json()["owner"]["username"]
                expect(
                    owner == token.user.username,
                    "OAUTH-ISOLATION-1",
                    f"token of {token.user.username} authenticated as {owner}",
                )
        else:
            ended_by_password = row.ended_by[token.generation] == "password"
            if token.kind == "jwt":
                # A JWT dies with its refresh token, whichever grant replaced it.
                also = ["OAUTH-ONEPAIR-1"] if ended_by_password else []
                body = check_error(response, "OAUTH-JWT-3", 401, 40101, also=also)
            else:
                clause = "OAUTH-ONEPAIR-1" if ended_by_password else "OAUTH-ROTATE-2"
                body = check_error(response, clause, 401, 40101)
            check_dead_token_message(body, token.value)


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
    reach = Reach(REACH)
    target_factory.run_machine(lambda: TokenLifecycle(target_factory, reach))
    reach.note_missed()
