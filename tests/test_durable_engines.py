"""Durability and concurrency of the engines that keep state on disk: a SQLite file and a
PostgreSQL database. Each test that holds for both runs on both (``location``); the ones about
a file's format and start-up checks are SQLite's alone."""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from mock_server.domain.kinds import APPS, DOCUMENTS, TOKENS, USERS
from mock_server.domain.models import (
    Document,
    Field,
    OAuthApp,
    SystemSwitches,
    TokenRow,
    User,
)
from mock_server.domain.store import Store
from mock_server.domain.system import load_switches, save_switches
from mock_server.storage import StateFileError, open_state
from mock_server.storage.engines.sqlite_file import ENGINE_USER_VERSION
from tests import postgres_helpers

pytestmark = pytest.mark.own_engines

T0 = datetime(2026, 9, 14, 8, 31, 2, 120_000, tzinfo=timezone.utc)
REPO = Path(__file__).resolve().parent.parent


def make_document(document_id: int, owner_id: int = 1) -> Document:
    return Document(
        id=document_id,
        owner_id=owner_id,
        name=f"Document {document_id}",
        form_id=3,
        created=T0,
        last_modified=T0 + timedelta(microseconds=document_id),
        parent_folder_id=11,
        grand_parent_id=10,
        fields=[Field(document_id * 10, "Data", "text", "<p>x</p>", T0, 0)],
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new state: a SQLite file, or a fresh database on the test PostgreSQL server."""
    if request.param == "sqlite":
        yield str(tmp_path / "state.db")
        return
    server = postgres_helpers.server_dsn(os.environ)
    with postgres_helpers.fresh_database(server) as dsn:
        yield dsn


def listed(store: Store, owner_id: int = 1) -> int:
    return store.collection(DOCUMENTS).page(owner_id, "lastModified")[0]


def run_python(code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_state_survives_closing_and_reopening(location: str) -> None:
    store = open_state(location)
    user = User(1, "alice", "00$11", "a@x.org", "Alice", "Moreau", api_key_hash="k")
    store.collection(USERS).insert(user)
    store.collection(APPS).insert(OAuthApp("CID", "app", 1, "s"))
    row = TokenRow("CID", 1, "r", "a", T0 + timedelta(hours=1))
    store.collection(TOKENS).put(row)
    store.collection(DOCUMENTS).insert(make_document(100))
    save_switches(store, SystemSwitches(api_enabled=True, oauth_enabled=False))
    store.set_meta("jwt_secret", "c2VjcmV0")
    store.set_meta("clock", "frozen at 2026-09-14T08:31:02.120000+00:00")
    store.next_id("record")
    store.close()

    reopened = open_state(location)
    assert reopened.collection(USERS).get(1) == user
    assert reopened.collection(APPS).get("CID") == OAuthApp("CID", "app", 1, "s")
    assert reopened.collection(TOKENS).find("access_token_hash", "a") == row
    assert reopened.collection(DOCUMENTS).get(100) == make_document(100)
    assert listed(reopened) == 1
    assert load_switches(reopened) == SystemSwitches(api_enabled=True, oauth_enabled=False)
    assert reopened.get_meta("jwt_secret") == "c2VjcmV0"
    assert reopened.get_meta("clock") == "frozen at 2026-09-14T08:31:02.120000+00:00"
    assert reopened.next_id("record") == 101
    reopened.close()


def test_state_file_is_in_wal_mode_with_the_current_format_version(tmp_path: Path) -> None:
    open_state(str(tmp_path / "state.db")).close()
    connection = sqlite3.connect(tmp_path / "state.db")
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert connection.execute("PRAGMA user_version").fetchone()[0] == ENGINE_USER_VERSION
    connection.close()


def test_a_state_file_of_a_newer_format_is_refused_naming_both_versions(tmp_path: Path) -> None:
    open_state(str(tmp_path / "state.db")).close()
    connection = sqlite3.connect(tmp_path / "state.db")
    connection.execute(f"PRAGMA user_version = {ENGINE_USER_VERSION + 1}")
    connection.close()
    with pytest.raises(
        StateFileError, match=f"{ENGINE_USER_VERSION + 1} is newer.*{ENGINE_USER_VERSION}"
    ):
        open_state(str(tmp_path / "state.db"))


def test_a_foreign_database_is_refused(tmp_path: Path) -> None:
    connection = sqlite3.connect(tmp_path / "other.db")
    connection.execute("CREATE TABLE notes (text TEXT)")
    connection.close()
    with pytest.raises(StateFileError, match="not an rspace-mock state file"):
        open_state(str(tmp_path / "other.db"))


def test_a_file_that_is_not_a_database_is_refused_with_its_name(tmp_path: Path) -> None:
    path = tmp_path / "fixtures.json"
    path.write_text('{"users": []}\n' * 100)
    with pytest.raises(StateFileError, match="fixtures.json: not an rspace-mock state file"):
        open_state(str(path))


def test_a_state_file_in_a_missing_folder_is_refused_with_its_name(tmp_path: Path) -> None:
    with pytest.raises(StateFileError, match="cannot open the state file"):
        open_state(str(tmp_path / "no" / "such" / "folder" / "state.db"))


def test_an_exception_inside_a_transaction_rolls_back_all_its_writes(location: str) -> None:
    store = open_state(location)
    store.set_meta("k", "before")
    with pytest.raises(RuntimeError), store.transaction():
        store.set_meta("k", "during")
        store.collection(DOCUMENTS).insert(make_document(100))
        raise RuntimeError("boom")
    assert store.get_meta("k") == "before"
    assert store.collection(DOCUMENTS).get(100) is None
    assert listed(store) == 0
    store.close()


def test_a_write_outside_a_transaction_is_visible_to_another_connection_at_once(
    location: str,
) -> None:
    writer = open_state(location)
    reader = open_state(location)
    writer.set_meta("k", "v")
    assert reader.get_meta("k") == "v"
    writer.close()
    reader.close()


def test_uncommitted_writes_are_invisible_to_other_connections(location: str) -> None:
    writer = open_state(location)
    reader = open_state(location)
    with writer.transaction():
        writer.set_meta("k", "v")
        assert reader.get_meta("k") is None
    assert reader.get_meta("k") == "v"
    writer.close()
    reader.close()


def test_two_connections_never_hand_out_the_same_id(location: str) -> None:
    first = open_state(location)
    second = open_state(location)
    ids = []
    for _ in range(5):
        with first.transaction():
            ids.append(first.next_id("record"))
            ids.append(first.next_id("record"))
        ids.append(second.next_id("record"))
    assert ids == list(range(100, 115))
    first.close()
    second.close()


def test_ids_of_a_rolled_back_transaction_are_handed_out_again(location: str) -> None:
    # The documents that used them were rolled back too: the state stays gap-free.
    store = open_state(location)
    with pytest.raises(RuntimeError), store.transaction():
        store.next_id("record")
        raise RuntimeError("boom")
    assert store.next_id("record") == 100
    store.close()


def test_finished_threads_leave_no_open_connections_behind(tmp_path: Path) -> None:
    # The server's thread pool retires idle threads and starts new ones: over hours a
    # connection per dead thread would run out of file descriptors.
    store = open_state(str(tmp_path / "state.db"))
    store.set_meta("k", "v")

    at_once = 10

    def churn(rounds: int) -> int:
        for _ in range(rounds):
            threads = [threading.Thread(target=store.get_meta, args=("k",)) for _ in range(at_once)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        gc.collect()
        return len([p for p in Path("/proc/self/fd").iterdir() if _points_at(p, tmp_path)])

    open_files = churn(15)
    assert len(store._states) == 1  # type: ignore[attr-defined]  # only the main thread's
    # SQLite may keep a closed connection's descriptors (database, WAL, shared memory) for
    # reuse while others hold locks on the file, so up to three per thread alive at once; a
    # connection kept per finished thread would be three per each of the 150 threads.
    assert open_files <= 3 * (at_once + 1)
    store.close()


def _points_at(link: Path, directory: Path) -> bool:
    try:
        return str(link.readlink()).startswith(str(directory))
    except OSError:
        return False


COUNTER_WORKER = """
    import os, sys, time
    from mock_server.storage import open_state

    store = open_state(sys.argv[1])
    while not os.path.exists(sys.argv[3]):  # start together, to contend for the lock
        time.sleep(0.005)
    for _ in range(int(sys.argv[2])):
        with store.transaction():
            value = int(store.get_meta("counter") or "0")
            store.set_meta("counter", str(value + 1))
    store.close()
"""


def test_processes_incrementing_one_counter_in_transactions_lose_no_increment(
    location: str, tmp_path: Path
) -> None:
    open_state(location).close()
    go = tmp_path / "go"
    processes = [run_python(COUNTER_WORKER, location, "250", str(go)) for _ in range(4)]
    go.touch()
    for process in processes:
        _, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr
    store = open_state(location)
    assert store.get_meta("counter") == "1000"
    store.close()


def test_processes_opening_a_new_state_at_once_all_start_cleanly(
    location: str, tmp_path: Path
) -> None:
    go = tmp_path / "go"
    go.touch()
    processes = [run_python(COUNTER_WORKER, location, "5", str(go)) for _ in range(4)]
    for process in processes:
        _, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr
    store = open_state(location)
    assert store.get_meta("counter") == "20"
    store.close()


WRITE_BURST = """
    import sys
    from datetime import datetime, timezone
    from mock_server.domain.kinds import DOCUMENTS, TOKENS
    from mock_server.domain.models import Document, Field, TokenRow
    from mock_server.storage import open_state

    store = open_state(sys.argv[1])
    now = datetime(2026, 9, 14, tzinfo=timezone.utc)
    for document_id in range(100, 100_000_000):
        fields = [Field(document_id * 10, "Data", "text", "<p>" + "x" * 500 + "</p>", now, 0)]
        store.collection(DOCUMENTS).insert(
            Document(document_id, 1, f"doc {document_id}", 3, now, now, 11, 10, fields)
        )
        with store.transaction():
            store.collection(TOKENS).put(
                TokenRow("CID", 1, f"r{document_id}", f"a{document_id}", now)
            )
            store.set_meta("last", str(document_id))
        print(document_id, flush=True)
"""


def test_kill_9_during_a_write_burst_loses_no_acknowledged_write(location: str) -> None:
    open_state(location).close()
    writer = run_python(WRITE_BURST, location)
    assert writer.stdout is not None
    acknowledged: list[int] = []
    for line in writer.stdout:
        acknowledged.append(int(line))
        if len(acknowledged) == 300:
            break
    os.kill(writer.pid, signal.SIGKILL)
    # Ids printed before the kill but not read yet were acknowledged too.
    rest, _ = writer.communicate()
    acknowledged.extend(int(line) for line in rest.splitlines(keepends=True) if line.endswith("\n"))

    if not location.startswith("postgresql://"):
        with contextlib.closing(sqlite3.connect(location)) as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    store = open_state(location)
    documents = store.collection(DOCUMENTS)
    for document_id in acknowledged:
        assert documents.get(document_id) is not None, document_id
    last = int(store.get_meta("last") or "0")
    assert last >= acknowledged[-1]
    # The token row and the meta value were written in one transaction: they agree.
    row = store.collection(TOKENS).get("CID", 1)
    assert row is not None and row.access_token_hash == f"a{last}"
    # The trigger-kept total agrees with the rows that survived.
    assert listed(store) == documents.count(owner_id=1)
    store.close()
