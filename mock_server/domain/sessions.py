"""Signing in to RSpace's web pages: the login form's rules, its lockout policy, and sessions.

As rspace-web's Shiro setup decides it (``StandaloneShiroFormAuthFilterExt``,
``DefaultLockoutPolicy``, ``AccountEnabledAuthorizer``, ``web.xml``):

* an unknown user, a wrong password and a locked account all get the login page again with
  the same two messages (RSpace tells no one which it was);
* four failures in a row within two minutes of the first lock the account (the API refuses
  it too, as RSpace's lock is the account's); the next attempt more than seven minutes after
  the first failure lifts that lock. A lock a sysadmin (or a fixture) set stays;
* a disabled account, once its password is right, is sent to "Login not Available";
* a session lives 30 minutes from its last request, on the fake's clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from ..clock import Clock
from .credentials import CredentialFactory, password_matches, sha256_hex
from .kinds import LOGIN_FAILURES, USERS, WEB_SESSIONS
from .models import LoginFailures, User, WebSession
from .store import Store

#: ``errors.login.credentials.wrong`` and ``errors.login.lockout.policyDescription``.
MSG_WRONG_CREDENTIALS = "Invalid username or password, please try again."
MSG_LOCKOUT_POLICY = (
    "After four unsuccessful login attempts the account is temporarily locked - try again in "
    "10 minutes."
)

MAX_CONSECUTIVE_FAILURES = 4
FAILURE_WINDOW = timedelta(minutes=2)
LOCKOUT_TIME = timedelta(minutes=5)
SESSION_TIMEOUT = timedelta(minutes=30)


class Refusal(Enum):
    #: Wrong password, unknown user or a locked account: the login page again.
    CREDENTIALS = "credentials"
    #: The password was right but the account is disabled: ``/public/accountDisabled``.
    DISABLED = "disabled"


class SignInRefused(Exception):
    def __init__(self, refusal: Refusal, reason: str) -> None:
        super().__init__(reason)
        self.refusal = refusal
        #: For the server's log only (never shown): why.
        self.reason = reason


@dataclass(frozen=True)
class SignedIn:
    #: The cookie's value (only its hash is kept).
    session_id: str
    user: User


class SignIn:
    def __init__(self, store: Store, clock: Clock, credentials: CredentialFactory) -> None:
        self.store = store
        self.clock = clock
        self.credentials = credentials

    # -- the login form ---------------------------------------------------------------------

    def sign_in(self, username: str, password: str) -> SignedIn:
        """A new session for the user, or :class:`SignInRefused`. A failure is recorded (the
        transaction commits) before it is raised."""
        with self.store.transaction():
            outcome = self._attempt(username, password)
        if isinstance(outcome, SignInRefused):
            raise outcome
        return outcome

    def _attempt(self, username: str, password: str) -> SignedIn | SignInRefused:
        user = self.store.collection(USERS).find("username", username) if username else None
        if user is None:
            return SignInRefused(Refusal.CREDENTIALS, f"no user {username!r}")
        now = self.clock.now()
        user = self._lift_expired_lock(user, now)
        correct = bool(password) and password_matches(password, user.password_hash)
        if user.account_locked:
            self._failed(user, now)
            return SignInRefused(Refusal.CREDENTIALS, f"{user.username!r} is locked")
        if not correct:
            self._failed(user, now)
            return SignInRefused(Refusal.CREDENTIALS, f"wrong password for {user.username!r}")
        if not user.enabled:
            return SignInRefused(Refusal.DISABLED, f"{user.username!r} is disabled")
        self.store.collection(LOGIN_FAILURES).delete(user.username)
        session_id = self.credentials.session_id()
        self.store.collection(WEB_SESSIONS).insert(
            WebSession(sha256_hex(session_id), user.id, now, now)
        )
        return SignedIn(session_id, user)

    def _failed(self, user: User, now: datetime) -> None:
        failures = self.store.collection(LOGIN_FAILURES)
        record = failures.get(user.username) or LoginFailures(user.username, now)
        record.count += 1
        within = now - record.first_failure <= FAILURE_WINDOW
        if record.count >= MAX_CONSECUTIVE_FAILURES and within and not user.account_locked:
            user.account_locked = True
            record.locked_by_policy = True
            self.store.collection(USERS).put(user)
        failures.put(record)

    def _lift_expired_lock(self, user: User, now: datetime) -> User:
        """A run of failures ends, and the policy's own lock with it, at the first attempt more
        than seven minutes after its first failure (``DefaultLockoutPolicy``)."""
        record = self.store.collection(LOGIN_FAILURES).get(user.username)
        if record is None or now - record.first_failure <= FAILURE_WINDOW + LOCKOUT_TIME:
            return user
        self.store.collection(LOGIN_FAILURES).delete(user.username)
        if record.locked_by_policy and user.account_locked:
            user.account_locked = False
            self.store.collection(USERS).put(user)
        return user

    # -- sessions ---------------------------------------------------------------------------

    def user_of(self, session_id: str | None) -> User | None:
        """The signed-in user of a cookie's session, if it is live; touching it keeps it so."""
        if not session_id:
            return None
        with self.store.transaction():
            sessions = self.store.collection(WEB_SESSIONS)
            session = sessions.get(sha256_hex(session_id))
            if session is None:
                return None
            now = self.clock.now()
            if now - session.last_seen > SESSION_TIMEOUT:
                sessions.delete(session.id_hash)
                return None
            user = self.store.collection(USERS).get(session.user_id)
            if user is None or user.blocked:
                sessions.delete(session.id_hash)
                return None
            session.last_seen = now
            sessions.put(session)
            return user

    def sign_out(self, session_id: str | None) -> None:
        if session_id:
            with self.store.transaction():
                self.store.collection(WEB_SESSIONS).delete(sha256_hex(session_id))
