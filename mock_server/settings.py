"""Start-up configuration: one object that the CLI flags and environment variables map to."""

from __future__ import annotations

import argparse
import dataclasses
import ipaddress
import json
import os
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from .domain.files import MAX_UPLOAD_BYTES
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


MAX_PORT = 65535


def port_from_text(text: str) -> int:
    """A TCP port, 0 (a free one) to 65535."""
    try:
        port = int(text.strip())
    except ValueError:
        raise ValueError(
            f"{text!r} is not a port number (0 to {MAX_PORT}; 0 picks a free one)"
        ) from None
    if not 0 <= port <= MAX_PORT:
        raise ValueError(f"{port} is not a port number (0 to {MAX_PORT}; 0 picks a free one)")
    return port


def port_argument(text: str) -> int:
    """``type=`` for ``--port``: argparse shows the message as it shows its own."""
    try:
        return port_from_text(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


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
    #: The fixtures file (``str`` or ``Path``; a relative one is taken from the working
    #: directory when the settings are made, and kept as an absolute ``Path``); ``None``: none.
    fixtures: Path | str | None = DEFAULT_FIXTURES
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
    #: RSpace's ``files.maxUploadSize``: the largest upload request, in bytes (``--max-upload``).
    max_upload_bytes: int = MAX_UPLOAD_BYTES
    log_level: str = "info"
    quirks: Quirks = field(default_factory=Quirks)
    #: Seed for generated ids, secrets and tokens; ``None`` uses the OS's secure random source.
    random_seed: int | None = None
    #: SQLite file that keeps all state across restarts; ``None`` keeps state in memory.
    state_file: Path | str | None = None
    #: PostgreSQL database (``postgresql://user:pass@host:5432/db``) that keeps all state, shared
    #: by every process and host that names it; ``--state`` with such a URL sets it.
    state_url: str | None = None
    #: Store for a server without ``state_file`` or ``state_url``: ``memory`` (default),
    #: ``sqlite`` for a throw-away SQLite file per server, or ``postgresql`` for a throw-away
    #: schema per server in the database that ``RSPACE_MOCK_SCRATCH_POSTGRES`` names
    #: (``RSPACE_MOCK_BACKEND``; lets a whole test suite run on a durable engine).
    backend: str = field(default_factory=lambda: os.environ.get("RSPACE_MOCK_BACKEND", "memory"))
    #: Worker processes (``--workers``); more than one needs ``state_file`` or ``state_url``.
    workers: int = 1
    #: RSpace's ``api.throttling.enabled`` (off by default, as in RSpace).
    throttling: bool = False
    #: Serve the test-control API under ``/_mock/`` (``--no-admin`` turns it off).
    admin_enabled: bool = True
    #: When set, admin calls must send ``X-Admin-Token: <token>`` (``--admin-token``).
    admin_token: str | None = None
    #: Host names a loopback-bound server also answers (``--allow-host``), besides
    #: ``localhost``, loopback addresses, ``host`` and the host of ``public_url``; ``*``: any.
    allowed_hosts: list[str] = field(default_factory=list)
    #: Origins (``scheme://host[:port]``) whose web pages may change state through the admin
    #: API (``--allow-origin``), besides the server's own and that of ``public_url``.
    allowed_origins: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.fixtures is not None:
            self.fixtures = Path(self.fixtures).absolute()
        if self.state_file is not None:
            self.state_file = Path(self.state_file)

    @property
    def fixtures_path(self) -> Path | None:
        """:attr:`fixtures` as the ``Path`` it always is once the settings are made."""
        return None if self.fixtures is None else Path(self.fixtures)

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Defaults, then ``RSPACE_MOCK_*`` environment variables, then explicit overrides."""
        env = os.environ
        settings = cls()
        if "RSPACE_MOCK_HOST" in env:
            settings.host = env["RSPACE_MOCK_HOST"]
        if "RSPACE_MOCK_PORT" in env:
            try:
                settings.port = port_from_text(env["RSPACE_MOCK_PORT"])
            except ValueError as exc:
                raise ValueError(f"RSPACE_MOCK_PORT: {exc}") from None
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
            settings.set_state(env["RSPACE_MOCK_STATE"])
        if "RSPACE_MOCK_LOG_LEVEL" in env:
            settings.log_level = env["RSPACE_MOCK_LOG_LEVEL"]
        if "RSPACE_MOCK_ADMIN_TOKEN" in env:
            settings.admin_token = env["RSPACE_MOCK_ADMIN_TOKEN"]
        if "RSPACE_MOCK_ALLOW_HOST" in env:
            settings.allowed_hosts = _list(env["RSPACE_MOCK_ALLOW_HOST"])
        if "RSPACE_MOCK_ALLOW_ORIGIN" in env:
            settings.allowed_origins = _list(env["RSPACE_MOCK_ALLOW_ORIGIN"])
        for name, value in overrides.items():
            if not hasattr(settings, name):
                raise TypeError(f"unknown setting {name!r}")
            setattr(settings, name, value)
        settings.check()
        return settings

    def set_state(self, value: str | Path) -> None:
        """``--state``: a ``postgresql://`` URL names a database, anything else a SQLite file."""
        text = str(value)
        if text.startswith(("postgresql://", "postgres://")):
            self.state_url, self.state_file = text, None
        else:
            self.state_url, self.state_file = None, Path(text)

    @property
    def state(self) -> str | None:
        """Where the state is kept, as ``--state`` names it; ``None`` when in memory."""
        if self.state_url is not None:
            return self.state_url
        return str(self.state_file) if self.state_file is not None else None

    @property
    def durable(self) -> bool:
        return self.state_file is not None or self.state_url is not None

    def check(self) -> None:
        """Refuse combinations that cannot work, with a message that says what to do."""
        if self.workers < 1:
            raise ValueError("--workers must be at least 1")
        if self.max_upload_bytes < 1:
            raise ValueError("--max-upload must be at least 1 byte")
        if self.workers > 1 and not self.durable:
            raise ValueError(
                "--workers needs --state FILE or --state postgresql://...: the in-memory store "
                "lives in one process, so several workers would each have their own users, "
                "tokens and documents"
            )
        if self.state_file is not None and self.state_url is not None:
            raise ValueError("give --state one place: a SQLite file or a postgresql:// URL")
        if self.backend not in ("memory", "sqlite", "postgresql"):
            raise ValueError(f"unknown backend {self.backend!r}: use memory, sqlite or postgresql")
        ttl_problem = token_ttl_problem(self.token_ttl_seconds)
        if ttl_problem is not None:
            raise ValueError(f"--token-ttl {ttl_problem}")
        for flag, value in (
            ("--host", self.host),
            ("--public-url", self.public_url),
            ("--jwt-secret", self.jwt_secret),
            ("--admin-token", self.admin_token),
            *(("--allow-host", name) for name in self.allowed_hosts),
            *(("--allow-origin", url) for url in self.allowed_origins),
        ):
            # From argv or the environment, bytes that are not UTF-8 arrive as lone
            # surrogates, which no response (or header comparison) could use.
            if value is not None and not is_unicode_text(value):
                raise ValueError(f"{flag} is not UTF-8 text")
        self.allowed_hosts = [_allowed_host(name) for name in self.allowed_hosts]
        self.allowed_origins = [_allowed_origin(url) for url in self.allowed_origins]

    @property
    def binds_loopback(self) -> bool:
        """Only this machine can connect (``--host`` is a loopback address or ``localhost``)."""
        return is_loopback_host(self.host)

    def admin_exposure_warning(self) -> str | None:
        """Why the admin API is open to the network, for the start-up banner; else None."""
        if not self.admin_enabled or self.admin_token is not None or self.binds_loopback:
            return None
        return (
            f"WARNING: --host {self.host} without --admin-token leaves the admin API "
            "(/_mock/) open: anyone who can reach this port can reset the fake, change its "
            "users, apps, settings, clock and faults, and read the journal (every request, "
            "with its body). Start it with --admin-token TOKEN (admin calls then send "
            "X-Admin-Token: TOKEN), or --no-admin, or bind to 127.0.0.1."
        )

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


def is_loopback_host(host: str) -> bool:
    """``localhost`` or a loopback address (``127.0.0.0/8``, ``::1``, with or without brackets)."""
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:127.0.0.1
    return address.is_loopback or (mapped is not None and mapped.is_loopback)


def origin_of(url: str, *, path_allowed: bool = False) -> str:
    """A URL's origin as a browser writes it in ``Origin``: ``HTTP://Lab.org:80/`` ->
    ``http://lab.org``. Raises ``ValueError`` for anything else (or a path, unless allowed)."""
    parts = urllib.parse.urlsplit(url.strip())
    port = parts.port  # raises ValueError for a port that is not a number
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url!r}")
    if parts.username is not None or parts.query or parts.fragment:
        raise ValueError(f"not an origin: {url!r}")
    if not path_allowed and parts.path not in ("", "/"):
        raise ValueError(f"not an origin (it has a path): {url!r}")
    scheme, host = parts.scheme.lower(), parts.hostname
    if ":" in host:
        host = f"[{host}]"
    default_port = 80 if scheme == "http" else 443
    return f"{scheme}://{host}" + (f":{port}" if port is not None and port != default_port else "")


def _list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def _allowed_host(name: str) -> str:
    host = name.strip().lower().rstrip(".")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if host != "*" and (not host or any(c in host for c in "/@ []") or host.count(":") == 1):
        raise ValueError(
            f"--allow-host wants a host name or address without scheme or port, like "
            f"rspace.test or 10.0.0.5 (or * for any); got {name!r}"
        )
    return host


def _allowed_origin(url: str) -> str:
    try:
        return origin_of(url)
    except ValueError:
        raise ValueError(
            f"--allow-origin wants an origin, scheme://host[:port] with no path, like "
            f"http://localhost:3000; got {url!r}"
        ) from None
