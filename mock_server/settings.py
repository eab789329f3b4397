"""Start-up configuration: one object that the CLI flags and environment variables map to."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from .domain.text import is_unicode_text

#: ``fixtures/default.json`` of the source tree; an installed package carries the same file
#: as ``mock_server/default_fixtures.json`` (a link to it in the source tree).
DEFAULT_FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "default.json"
if not DEFAULT_FIXTURES.exists():  # installed from a wheel
    DEFAULT_FIXTURES = Path(__file__).resolve().parent / "default_fixtures.json"

#: RSpace version reported by ``GET /api/v1/status`` (the release the reference describes).
RSPACE_VERSION = "2.25.0"

#: RSpace's hard-coded OAuth access-token lifetime (``OAuthAppManagerImpl``): one hour.
DEFAULT_TOKEN_TTL_SECONDS = 3600
#: The longest lifetime the fake gives tokens: 100 years, about what an older RSpace release
#: issued (its tutorial shows ``expires_in`` 3153599999). Longer ones could overflow the
#: expiry time; ``clock.LATEST`` leaves room for this much.
MAX_TOKEN_TTL_SECONDS = 100 * 365 * 86400


def token_ttl_problem(seconds: object) -> str | None:
    """Why ``seconds`` cannot be the token lifetime, or ``None``: the one check behind
    ``--token-ttl``, ``RSPACE_MOCK_TOKEN_TTL`` and the admin API's ``tokenTtlSeconds``."""
    if (
        isinstance(seconds, int)
        and not isinstance(seconds, bool)
        and 1 <= seconds <= MAX_TOKEN_TTL_SECONDS
    ):
        return None
    return f"must be a whole number of seconds from 1 to {MAX_TOKEN_TTL_SECONDS} (100 years)"


def token_ttl_from_text(text: str) -> int:
    """A token lifetime given as text; ValueError says what is wrong with it."""
    try:
        seconds = int(text)
    except ValueError:
        raise ValueError(f"{token_ttl_problem(text)}, not {text!r}") from None
    problem = token_ttl_problem(seconds)
    if problem is not None:
        raise ValueError(f"{problem}, not {text!r}")
    return seconds


def token_ttl_argument(text: str) -> int:
    """``type=`` for ``--token-ttl`` flags: argparse shows the message as it shows its own."""
    try:
        return token_ttl_from_text(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


@dataclass
class Quirks:
    """Opt-in reproductions of real RSpace bugs. Off by default: the documented behaviour wins."""

    #: RSpace does not update the stored expiry on a refresh grant, so a refreshed opaque
    #: access token only lives until the expiry set by the last *password* grant.
    refresh_keeps_expiry: bool = False


@dataclass
class Settings:
    """Everything the server needs to start. Built by the CLI, or directly by Python tests."""

    host: str = "127.0.0.1"
    port: int = 8080
    fixtures: Path | None = DEFAULT_FIXTURES
    #: Base URL used in ``_links`` and as the JWT issuer. ``None``: taken from each request.
    public_url: str | None = None
    token_ttl_seconds: int = DEFAULT_TOKEN_TTL_SECONDS
    #: Base64 HMAC key for JWTs (RSpace's ``jwt.secret``). ``None``: random key per start.
    jwt_secret: str | None = None
    #: RSpace's ``api.oauth.authentication`` system setting (ALLOWED/DENIED). ``None``: allowed
    #: in a new state, kept as stored in a state file that already holds data.
    oauth_enabled: bool | None = None
    #: RSpace's global ``api.available`` switch.
    api_enabled: bool = True
    rspace_version: str = RSPACE_VERSION
    log_level: str = "info"
    quirks: Quirks = field(default_factory=Quirks)
    #: Seed for generated ids, secrets and tokens; ``None`` uses the OS's secure random source.
    random_seed: int | None = None
    #: SQLite file that keeps all state across restarts; ``None`` keeps state in memory.
    state_file: Path | None = None
    #: Store for a server without ``state_file``: ``memory`` (default), or ``sqlite`` for a
    #: throw-away SQLite file per server (``RSPACE_MOCK_BACKEND``; lets a whole test suite
    #: run on the durable backend).
    backend: str = field(default_factory=lambda: os.environ.get("RSPACE_MOCK_BACKEND", "memory"))
    #: Worker processes (``--workers``); more than one needs ``state_file``.
    workers: int = 1
    #: RSpace's ``api.throttling.enabled`` (off by default, as in RSpace).
    throttling: bool = False
    #: Serve the test-control API under ``/_mock/`` (``--no-admin`` turns it off).
    admin_enabled: bool = True
    #: When set, admin calls must send ``X-Admin-Token: <token>`` (``--admin-token``).
    admin_token: str | None = None

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Defaults, then ``RSPACE_MOCK_*`` environment variables, then explicit overrides."""
        env = os.environ
        settings = cls()
        if "RSPACE_MOCK_HOST" in env:
            settings.host = env["RSPACE_MOCK_HOST"]
        if "RSPACE_MOCK_PORT" in env:
            settings.port = int(env["RSPACE_MOCK_PORT"])
        if "RSPACE_MOCK_FIXTURES" in env:
            settings.fixtures = Path(env["RSPACE_MOCK_FIXTURES"])
        if "RSPACE_MOCK_PUBLIC_URL" in env:
            settings.public_url = env["RSPACE_MOCK_PUBLIC_URL"]
        if "RSPACE_MOCK_TOKEN_TTL" in env:
            try:
                settings.token_ttl_seconds = token_ttl_from_text(env["RSPACE_MOCK_TOKEN_TTL"])
            except ValueError as exc:
                raise ValueError(f"RSPACE_MOCK_TOKEN_TTL {exc}") from None
        if "RSPACE_MOCK_JWT_SECRET" in env:
            settings.jwt_secret = env["RSPACE_MOCK_JWT_SECRET"]
        if "RSPACE_MOCK_STATE" in env:
            settings.state_file = Path(env["RSPACE_MOCK_STATE"])
        if "RSPACE_MOCK_LOG_LEVEL" in env:
            settings.log_level = env["RSPACE_MOCK_LOG_LEVEL"]
        if "RSPACE_MOCK_ADMIN_TOKEN" in env:
            settings.admin_token = env["RSPACE_MOCK_ADMIN_TOKEN"]
        for name, value in overrides.items():
            if not hasattr(settings, name):
                raise TypeError(f"unknown setting {name!r}")
            setattr(settings, name, value)
        settings.check()
        return settings

    def check(self) -> None:
        """Refuse combinations that cannot work, with a message that says what to do."""
        if self.workers < 1:
            raise ValueError("--workers must be at least 1")
        if self.workers > 1 and self.state_file is None:
            raise ValueError(
                "--workers needs --state FILE: the in-memory store lives in one process, so "
                "several workers would each have their own users, tokens and documents"
            )
        if self.backend not in ("memory", "sqlite"):
            raise ValueError(f"unknown backend {self.backend!r}: use memory or sqlite")
        ttl_problem = token_ttl_problem(self.token_ttl_seconds)
        if ttl_problem is not None:
            raise ValueError(f"--token-ttl {ttl_problem}")
        for flag, value in (
            ("--host", self.host),
            ("--public-url", self.public_url),
            ("--jwt-secret", self.jwt_secret),
            ("--admin-token", self.admin_token),
        ):
            # From argv or the environment, bytes that are not UTF-8 arrive as lone
            # surrogates, which no response (or header comparison) could use.
            if value is not None and not is_unicode_text(value):
                raise ValueError(f"{flag} is not UTF-8 text")

    def to_json(self) -> str:
        """For handing the settings to worker processes."""
        data = dataclasses.asdict(self)
        for key in ("fixtures", "state_file"):
            data[key] = str(data[key]) if data[key] is not None else None
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str) -> Settings:
        data = json.loads(text)
        data["quirks"] = Quirks(**data["quirks"])
        for key in ("fixtures", "state_file"):
            data[key] = Path(data[key]) if data[key] is not None else None
        return cls(**data)
