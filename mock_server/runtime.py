"""The composition root: one :class:`MockRSpace` holds the store, the clock and the services
built on them. The web app, the CLI and the test helpers all work through it."""

from __future__ import annotations

import base64
import logging
import os
import tempfile
import time
import weakref
from pathlib import Path
from typing import Any

from .admin.instrument_kinds import INSTRUMENT_KINDS
from .admin.instruments import Instruments
from .clock import Clock
from .domain.accounts import AccountService
from .domain.activity import ActivityService, AuditTrail
from .domain.archive_sources import ArchiveSources
from .domain.authentication import ApiAuthenticator
from .domain.credentials import CredentialFactory
from .domain.directory import Directory
from .domain.documents import DocumentService
from .domain.export import ExportService
from .domain.files import FileService
from .domain.fixtures import FixtureError, SeedReport, read_fixture_file, seed
from .domain.folders import FolderService
from .domain.forms import FormService
from .domain.groups import GroupService
from .domain.inventory.samples import SampleService
from .domain.jwt_tokens import JwtCodec
from .domain.kinds import ALL_KINDS, FIRST_IDS, USERS
from .domain.models import SystemSwitches
from .domain.oauth import TokenService
from .domain.permissions import Permissions
from .domain.profile import Profile
from .domain.sessions import SignIn
from .domain.sharing import SharingService
from .domain.snippets import SnippetService
from .domain.store import Store
from .domain.system import load_switches, save_switches
from .settings import Settings
from .storage import open_state

log = logging.getLogger("rspace_mock")


def _count(entries: object) -> int:
    """How many entries a fixture section holds (none, for a section seed() will refuse)."""
    return len(entries) if isinstance(entries, list) else 0


class SeedProgress:
    """Log lines while a big fixture file loads (a line every few seconds, and one at the
    end), so that a long start is not a silent one."""

    #: Fewer documents load in about a second: no lines.
    BIG = 5000
    EVERY_SECONDS = 3.0

    def __init__(self, source: str, total: int) -> None:
        self.source = source
        self.total = total
        self.started = time.monotonic()
        self.last = self.started
        if total >= self.BIG:
            log.info("%s: loading %d documents", source, total)

    def __call__(self, done: int) -> None:
        if self.total < self.BIG:
            return
        now = time.monotonic()
        if done == self.total:
            log.info("%s: %d documents loaded in %.1f s", self.source, done, now - self.started)
        elif now - self.last >= self.EVERY_SECONDS:
            self.last = now
            log.info("%s: %d of %d documents loaded", self.source, done, self.total)


JWT_KEY_META = "jwt_key"
CLOCK_META = "clock"
SEEDED_META = "seeded"
#: What the store keeps: the fake RSpace's entities and its test instruments' state.
STATE_KINDS = (*ALL_KINDS, *INSTRUMENT_KINDS)
#: A PostgreSQL database where the ``postgresql`` backend makes a throw-away schema per server.
SCRATCH_POSTGRES_ENV = "RSPACE_MOCK_SCRATCH_POSTGRES"


class _StoredClockState:
    """The clock's setting kept in the store's meta table."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def load(self) -> str | None:
        return self.store.get_meta(CLOCK_META)

    def save(self, state: str) -> None:
        self.store.set_meta(CLOCK_META, state)


def open_store(settings: Settings) -> Store:
    """The store ``--state`` names (a SQLite file or a PostgreSQL database); else a fresh
    in-memory store, or a throw-away SQLite file or PostgreSQL schema when
    ``settings.backend`` asks for one (to run a test suite on a durable engine)."""
    if settings.durable:
        return open_state(settings.state, STATE_KINDS)
    if settings.backend == "sqlite":
        scratch = tempfile.TemporaryDirectory(prefix="rspace-mock-")
        store = open_state(str(Path(scratch.name) / "state.sqlite"), STATE_KINDS)
        # The directory lives as long as the store does.
        weakref.finalize(store, scratch.cleanup)
        return store
    if settings.backend == "postgresql":
        from .storage.engines.sql import open_scratch_postgres

        url = os.environ.get(SCRATCH_POSTGRES_ENV)
        if not url:
            raise ValueError(
                f"the postgresql backend needs {SCRATCH_POSTGRES_ENV}=postgresql://... (a "
                "database where each server gets a throw-away schema)"
            )
        return open_scratch_postgres(url, STATE_KINDS, FIRST_IDS)
    return open_state(None, STATE_KINDS)


class MockRSpace:
    """A fake RSpace: state plus the rules that act on it. No HTTP here."""

    def __init__(
        self, settings: Settings, store: Store | None = None, clock: Clock | None = None
    ) -> None:
        # Settings built in Python (not by the CLI) get the same checks as flags.
        settings.check()
        self.settings = settings
        self.store: Store = store if store is not None else open_store(settings)
        if clock is None:
            durable = settings.durable
            clock = Clock(
                _StoredClockState(self.store) if durable else None,
                shared=settings.workers > 1 or settings.state_url is not None,
            )
        self.clock = clock
        self.credentials = CredentialFactory(settings.random_seed)
        self.jwt_codec = JwtCodec(self._jwt_key())
        self.permissions = Permissions(self.store)
        #: What RSpace's audit trail records of the changes the rules make.
        self.audit = AuditTrail(self.store, self.clock)
        self.folders = FolderService(self.store, self.clock, self.permissions, self.audit)
        self.directory = Directory(self.store, self.credentials, self.folders)
        self.groups = GroupService(self.store, self.clock, self.folders, self.permissions)
        self.sharing = SharingService(
            self.store, self.clock, self.folders, self.permissions, self.audit
        )
        self.activity = ActivityService(self.store, self.clock, self.audit, self.permissions)
        self.snippets = SnippetService(self.store, self.clock, self.folders, self.permissions)
        self.exports = ExportService(
            self.store,
            self.clock,
            self.permissions,
            ArchiveSources(self.store, self.permissions),
            self.audit,
            rspace_version=settings.rspace_version,
        )
        self.accounts = AccountService(self.store, self.directory, self.groups)
        #: Inventory: samples, subsamples and each user's workbench.
        self.samples = SampleService(self.store, self.clock, self.permissions)
        #: The web pages: signing in, and My Profile.
        self.sign_in = SignIn(self.store, self.clock, self.credentials)
        self.profile = Profile(self.store, self.clock, self.credentials, self.directory)
        self.forms = FormService(self.store, self.clock, self.permissions)
        self.documents = DocumentService(
            self.store, self.clock, self.folders, self.forms, self.permissions, self.audit
        )
        self.files = FileService(self.store, self.clock, self.folders)
        self.tokens = TokenService(
            self.store,
            self.clock,
            self.credentials,
            self.jwt_codec,
            settings.token_ttl_seconds,
            settings.quirks,
        )
        self.authenticator = ApiAuthenticator(self.store, self.clock, self.jwt_codec)
        self.fixture_data: dict[str, Any] = {}
        self.seed_report = SeedReport()
        #: Request journal, fault plan and throttle (``mock_server.admin``).
        self.instruments = Instruments(
            self.clock,
            self.store,
            throttling=settings.throttling,
            seed=settings.random_seed,
            shared=settings.durable,
        )

    def _jwt_key(self) -> bytes:
        """``--jwt-secret`` (Base64, like RSpace's ``jwt.secret``), else a key kept in the store
        (so a durable store keeps JWTs valid across restarts), else a new random key."""
        if self.settings.jwt_secret:
            try:
                return base64.b64decode(self.settings.jwt_secret, validate=True)
            except ValueError:
                raise ValueError("--jwt-secret must be Base64") from None
        with self.store.transaction():  # one key, even when several processes start at once
            stored = self.store.get_meta(JWT_KEY_META)
            if stored:
                return base64.b64decode(stored)
            key = self.credentials.hmac_key()
            self.store.set_meta(JWT_KEY_META, base64.b64encode(key).decode("ascii"))
            return key

    # -- fixtures ------------------------------------------------------------------------

    def load_fixtures(
        self, path: Path | None = None, data: dict[str, Any] | None = None
    ) -> SeedReport:
        """Seed from a file or a dict (camelCase fixture format). Raises FixtureError."""
        source = "fixtures"
        base = None
        if data is None:
            path = path or self.settings.fixtures_path
            if path is None:
                data = {}
            else:
                data = read_fixture_file(Path(path))
                source = str(path)
                base = Path(path).parent
        elif self.settings.fixtures is not None:
            base = Path(self.settings.fixtures).parent
        with self.store.transaction():
            self.forms.ensure_system_forms()
            report = seed(
                data,
                self.directory,
                self.documents,
                source,
                files=self.files,
                groups=self.groups,
                snippets=self.snippets,
                base=base,
                progress=SeedProgress(source, _count(data.get("documents"))),
            )
        self.fixture_data = data
        self.seed_report = report
        return report

    def reset(self, data: dict[str, Any] | None = None) -> SeedReport:
        """Forget all state and seed again (from ``data`` or from the fixtures last loaded)."""
        data = self.fixture_data if data is None else data
        with self.store.transaction():
            key = self.store.get_meta(JWT_KEY_META)
            clock_state = self.store.get_meta(CLOCK_META)
            self.store.clear()
            if key:
                self.store.set_meta(JWT_KEY_META, key)
            if clock_state:
                self.store.set_meta(CLOCK_META, clock_state)
            self.store.set_meta(SEEDED_META, "1")
            save_switches(self.store, self.initial_switches())
            return self.load_fixtures(data=data)

    def initial_switches(self) -> SystemSwitches:
        return SystemSwitches(
            api_enabled=self.settings.api_enabled,
            oauth_enabled=self.settings.oauth_enabled is not False,
        )


def apply_explicit_switches(mock: MockRSpace) -> None:
    if mock.settings.oauth_enabled is None:
        return
    with mock.store.transaction():
        switches = load_switches(mock.store)
        if switches.oauth_enabled != mock.settings.oauth_enabled:
            switches.oauth_enabled = mock.settings.oauth_enabled
            save_switches(mock.store, switches)
            log.info(
                "OAuth %s, as the command line says",
                "allowed" if switches.oauth_enabled else "disabled",
            )


def build_mock(
    settings: Settings,
    store: Store | None = None,
    clock: Clock | None = None,
    seed_fixtures: bool = True,
) -> MockRSpace:
    mock = MockRSpace(settings, store, clock)
    with mock.store.transaction():  # exactly one process seeds a new state file
        is_fresh = (
            mock.store.get_meta(SEEDED_META) is None and not mock.store.collection(USERS).count()
        )
        if is_fresh:
            save_switches(mock.store, mock.initial_switches())
            if seed_fixtures:
                mock.load_fixtures()
            mock.store.set_meta(SEEDED_META, "1")
        else:
            # A switch given on the command line wins over the stored one.
            apply_explicit_switches(mock)
        # A state made by an older rspace-mock has no forms yet.
        mock.forms.ensure_system_forms()
    if not is_fresh and settings.fixtures is not None:
        # Kept for reset(); the state itself is not touched.
        mock.fixture_data = read_fixture_file(Path(settings.fixtures))
        log.info("state already holds data: fixtures %s not loaded", settings.fixtures)
    return mock


__all__ = ["FixtureError", "MockRSpace", "build_mock"]
