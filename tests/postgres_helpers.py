"""The test PostgreSQL server: where its DSN comes from, and a fresh database on it per test.

``make test`` starts a real server (``scripts/postgres.sh run``) and passes its DSN in
``RSPACE_MOCK_TEST_POSTGRES``; ``make postgres-start`` also writes it to ``.venv/pg/dsn``, where
tests run by hand find it. Without a server, tests that need one are skipped on a developer's
machine, but fail where PostgreSQL is required: in CI (``CI`` set) or with
``RSPACE_MOCK_REQUIRE_POSTGRES=1``, so that a broken set-up can never pass as a green run.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit, urlunsplit

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent

POSTGRES_DSN_ENV = "RSPACE_MOCK_TEST_POSTGRES"
REQUIRE_POSTGRES_ENV = "RSPACE_MOCK_REQUIRE_POSTGRES"
#: Written by ``scripts/postgres.sh start``, removed by ``stop``.
DSN_FILE = REPO_ROOT / ".venv" / "pg" / "dsn"
#: Every database ``fresh_database`` creates is named so, which tells them apart from others.
TEST_DATABASE_PREFIX = "rspace_mock_test_"
CONNECT_TIMEOUT_SECONDS = 10

_FALSE_WORDS = {"", "0", "false", "no", "off"}


def postgres_required(environ: Mapping[str, str]) -> bool:
    """True in CI (``CI`` set to anything but a false word) or with
    ``RSPACE_MOCK_REQUIRE_POSTGRES=1``."""
    return (
        environ.get("CI", "").strip().lower() not in _FALSE_WORDS
        or environ.get(REQUIRE_POSTGRES_ENV, "").strip().lower() not in _FALSE_WORDS
    )


def postgres_unavailable(reason: str, environ: Mapping[str, str]) -> NoReturn:
    """Fail the test where PostgreSQL is required, else skip it, saying why either way."""
    if postgres_required(environ):
        pytest.fail(
            f"PostgreSQL is required here (CI or {REQUIRE_POSTGRES_ENV}=1) but {reason}. "
            f"`make test` starts a server and sets {POSTGRES_DSN_ENV}; "
            "`make postgres-start` starts one for tests run by hand.",
            pytrace=False,
        )
    pytest.skip(f"no PostgreSQL server: {reason} (`make postgres-start` starts one)")


def without_password(dsn: str) -> str:
    """The DSN as it may appear in a test report."""
    parts = urlsplit(dsn)
    if parts.password is None:
        return dsn
    userinfo, _, host_and_port = parts.netloc.rpartition("@")
    user = userinfo.partition(":")[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host_and_port}"))


def with_database(dsn: str, database: str) -> str:
    """The same server and role, another database."""
    return urlunsplit(urlsplit(dsn)._replace(path=f"/{database}"))


def server_dsn(environ: Mapping[str, str], dsn_file: Path = DSN_FILE) -> str:
    """The test server's DSN (``postgresql://`` URL), checked by connecting to it.

    A DSN given in the environment that does not work is always a failure: someone asked for that
    server. One left in ``dsn_file`` by a server that has since gone counts as no server.
    """
    from_environment = bool(environ.get(POSTGRES_DSN_ENV))
    if from_environment:
        dsn, source = environ[POSTGRES_DSN_ENV].strip(), POSTGRES_DSN_ENV
    elif dsn_file.is_file():
        dsn, source = dsn_file.read_text(encoding="utf-8").strip(), str(dsn_file)
    else:
        postgres_unavailable(
            f"{POSTGRES_DSN_ENV} is not set and {dsn_file} does not exist", environ
        )
    if urlsplit(dsn).scheme not in ("postgresql", "postgres"):
        pytest.fail(
            f"{source} must hold a postgresql:// URL, not {without_password(dsn)!r}", pytrace=False
        )
    try:
        import psycopg
    except ImportError:
        postgres_unavailable("psycopg is not installed (pip install -e '.[test]')", environ)
    try:
        with psycopg.connect(dsn, connect_timeout=CONNECT_TIMEOUT_SECONDS):
            pass
    except psycopg.OperationalError as error:
        reason = f"{without_password(dsn)} (from {source}) does not answer: {error}".strip()
        if not from_environment:
            postgres_unavailable(reason, environ)
        pytest.fail(reason, pytrace=False)
    return dsn


@contextmanager
def fresh_database(dsn: str) -> Iterator[str]:
    """Create an empty database with a name of its own on ``dsn``'s server, yield its DSN, and
    drop it afterwards (closing any connection still open to it)."""
    import psycopg
    from psycopg import sql

    name = TEST_DATABASE_PREFIX + uuid.uuid4().hex[:16]
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield with_database(dsn, name)
    finally:
        drop_database(dsn, name)


def drop_database(dsn: str, name: str, timeout: float = 30.0) -> None:
    """Drop a database, closing this role's connections to it first. ``WITH (FORCE)`` would
    also have to end the server's own processes on it (an autovacuum worker), which only a
    superuser may: PostgreSQL stops those itself for a plain ``DROP DATABASE``, so a drop that
    meets one is tried again until it has gone."""
    import time

    import psycopg
    from psycopg import sql

    deadline = time.monotonic() + timeout
    with psycopg.connect(dsn, autocommit=True) as admin:
        while True:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND usename = current_user AND pid <> pg_backend_pid()",
                (name,),
            )
            try:
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
                return
            except (psycopg.errors.ObjectInUse, psycopg.errors.InsufficientPrivilege):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
