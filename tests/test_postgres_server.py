"""The test PostgreSQL server that ``make test`` starts, and the fixtures that hand it out.

These check that the server is a real one (transactions, row locks, constraints seen from several
connections), that every test gets an empty database of its own, and that a missing server fails
the run where PostgreSQL is required instead of being skipped.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest

from tests import postgres_helpers
from tests.postgres_helpers import (
    POSTGRES_DSN_ENV,
    REQUIRE_POSTGRES_ENV,
    TEST_DATABASE_PREFIX,
    fresh_database,
    postgres_unavailable,
    server_dsn,
)

pytestmark = pytest.mark.own_engines

LOCK_WAIT_TIMEOUT = 10.0


def connect(dsn: str) -> psycopg.Connection[tuple[Any, ...]]:
    return psycopg.connect(dsn, connect_timeout=postgres_helpers.CONNECT_TIMEOUT_SECONDS)


def database_exists(server_dsn: str, name: str) -> bool:
    with connect(server_dsn) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_database WHERE datname = %s", (name,)
        ).fetchone()
    return row == (1,)


# -- a real server ------------------------------------------------------------------------------


def test_rows_committed_in_one_connection_are_read_in_another(postgres_dsn: str) -> None:
    with connect(postgres_dsn) as writer, connect(postgres_dsn) as reader:
        with writer.transaction():
            writer.execute("CREATE TABLE notes (id integer PRIMARY KEY, body text NOT NULL)")
        with writer.transaction():
            writer.execute("INSERT INTO notes VALUES (1, 'first'), (2, 'second')")
            with reader.transaction():
                uncommitted = reader.execute("SELECT count(*) FROM notes").fetchone()
        with reader.transaction():
            rows = reader.execute("SELECT id, body FROM notes ORDER BY id").fetchall()

    assert uncommitted == (0,)
    assert rows == [(1, "first"), (2, "second")]


def test_select_for_update_blocks_a_second_connection_until_the_first_commits(
    postgres_dsn: str,
) -> None:
    with connect(postgres_dsn) as setup:
        setup.execute("CREATE TABLE counter (id integer PRIMARY KEY, value integer NOT NULL)")
        setup.execute("INSERT INTO counter VALUES (1, 0)")
        setup.commit()

    seen_by_second: list[int] = []
    second_done = threading.Event()

    def second_connection() -> None:
        with connect(postgres_dsn) as conn, conn.transaction():
            row = conn.execute("SELECT value FROM counter WHERE id = 1 FOR UPDATE").fetchone()
            assert row is not None
            seen_by_second.append(row[0])
            conn.execute("UPDATE counter SET value = value + 1 WHERE id = 1")
        second_done.set()

    with connect(postgres_dsn) as first, connect(postgres_dsn) as observer:
        observer.autocommit = True
        with first.transaction():
            first.execute("SELECT value FROM counter WHERE id = 1 FOR UPDATE")
            first_pid = first.info.backend_pid
            thread = threading.Thread(target=second_connection, daemon=True)
            thread.start()
            # The server's own view of the wait, rather than a sleep: the second connection's
            # backend waits for a lock that the first one's holds.
            deadline = time.monotonic() + LOCK_WAIT_TIMEOUT
            blocked_by: list[int] = []
            while time.monotonic() < deadline and first_pid not in blocked_by:
                row = observer.execute(
                    "SELECT pg_blocking_pids(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                ).fetchone()
                blocked_by = list(row[0]) if row else []
                time.sleep(0.02)
            assert first_pid in blocked_by, "the second SELECT ... FOR UPDATE did not wait"
            assert not second_done.is_set()
            first.execute("UPDATE counter SET value = 10 WHERE id = 1")
        thread.join(timeout=LOCK_WAIT_TIMEOUT)
        final = observer.execute("SELECT value FROM counter WHERE id = 1").fetchone()

    assert second_done.is_set()
    assert seen_by_second == [10], "the second connection read the row before the first committed"
    assert final == (11,)


def test_a_unique_constraint_violation_raises_and_rolls_back_its_transaction(
    postgres_dsn: str,
) -> None:
    with connect(postgres_dsn) as conn:
        conn.execute("CREATE TABLE users (username text UNIQUE NOT NULL)")
        conn.execute("INSERT INTO users VALUES ('alice')")
        conn.commit()
        with pytest.raises(psycopg.errors.UniqueViolation), conn.transaction():
            conn.execute("INSERT INTO users VALUES ('bob')")
            conn.execute("INSERT INTO users VALUES ('alice')")
        rows = conn.execute("SELECT username FROM users").fetchall()

    assert rows == [("alice",)]


# -- the fixtures -------------------------------------------------------------------------------


@pytest.mark.parametrize("run", ["first", "second"])
def test_each_test_gets_an_empty_database_of_its_own(
    run: str, postgres_dsn: str, postgres_server_dsn: str
) -> None:
    with connect(postgres_dsn) as conn:
        database = conn.execute("SELECT current_database()").fetchone()
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchall()
        # Left behind on purpose: the other run of this test must not see it.
        conn.execute("CREATE TABLE left_behind (run text)")
        conn.execute("INSERT INTO left_behind VALUES (%s)", (run,))
        conn.commit()

    assert database is not None
    assert database[0].startswith(TEST_DATABASE_PREFIX)
    assert database[0] != urlsplit(postgres_server_dsn).path.lstrip("/")
    assert tables == []


def test_a_test_database_is_dropped_afterwards_even_with_a_connection_open(
    postgres_server_dsn: str,
) -> None:
    with fresh_database(postgres_server_dsn) as dsn:
        name = urlsplit(dsn).path.lstrip("/")
        assert database_exists(postgres_server_dsn, name)
        still_open = connect(dsn)
    try:
        assert not database_exists(postgres_server_dsn, name)
    finally:
        still_open.close()


def test_fresh_databases_have_different_names(postgres_server_dsn: str) -> None:
    with fresh_database(postgres_server_dsn) as one, fresh_database(postgres_server_dsn) as two:
        assert one != two


# -- no server: a failure where PostgreSQL is required, a skip only on a developer's machine ----


@pytest.mark.parametrize(
    "environ", [{"CI": "true"}, {"CI": "1"}, {REQUIRE_POSTGRES_ENV: "1"}], ids=str
)
def test_a_missing_server_fails_where_postgres_is_required(environ: dict[str, str]) -> None:
    with pytest.raises(pytest.fail.Exception, match=POSTGRES_DSN_ENV):
        postgres_unavailable("no server was started", environ)


@pytest.mark.parametrize("environ", [{}, {"CI": "false"}, {REQUIRE_POSTGRES_ENV: "0"}], ids=str)
def test_a_missing_server_skips_only_on_a_developer_machine(environ: dict[str, str]) -> None:
    with pytest.raises(pytest.skip.Exception, match="make postgres-start"):
        postgres_unavailable("no server was started", environ)


def test_no_dsn_anywhere_fails_in_ci(tmp_path: Path) -> None:
    with pytest.raises(pytest.fail.Exception, match=f"{POSTGRES_DSN_ENV} is not set"):
        server_dsn({"CI": "true"}, dsn_file=tmp_path / "absent")


def test_a_dsn_in_the_environment_that_does_not_answer_fails_even_on_a_developer_machine(
    tmp_path: Path,
) -> None:
    # Port 1 on loopback: nothing listens there.
    dsn = "postgresql://someone:secret@127.0.0.1:1/nothing"
    with pytest.raises(pytest.fail.Exception, match="does not answer") as failure:
        server_dsn({POSTGRES_DSN_ENV: dsn}, dsn_file=tmp_path / "absent")
    assert "secret" not in str(failure.value)


def test_a_stale_dsn_file_counts_as_no_server(tmp_path: Path) -> None:
    dsn_file = tmp_path / "dsn"
    dsn_file.write_text("postgresql://someone:secret@127.0.0.1:1/nothing\n", encoding="utf-8")
    with pytest.raises(pytest.skip.Exception):
        server_dsn({}, dsn_file=dsn_file)
    with pytest.raises(pytest.fail.Exception):
        server_dsn({"CI": "true"}, dsn_file=dsn_file)
