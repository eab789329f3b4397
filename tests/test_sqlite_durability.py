"""What only a file-backed store promises: state survives a restart, several processes share
it without losing writes, and a ``kill -9`` loses no acknowledged write."""

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
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from mock_server.domain.document_query import DocumentQuery, SearchTerm
from mock_server.domain.models import (
    Document,
    Field,
    OAuthApp,
    SystemSwitches,
    TokenRow,
    User,
)
from mock_server.storage.sql_search import SEARCH_COLUMNS
from mock_server.storage.sqlite import SCHEMA_VERSION, SqliteStore, StateFileError

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


def run_python(code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_state_survives_closing_and_reopening(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    store = SqliteStore(path)
    user = User(1, "alice", "00$11", "a@x.org", "Alice", "Moreau", api_key_hash="k")
    store.add_user(user)
    store.add_app(OAuthApp("CID", "app", 1, "s"))
    row = TokenRow("CID", 1, "r", "a", T0 + timedelta(hours=1))
    store.save_token_row(row)
    store.add_document(make_document(100))
    store.save_switches(SystemSwitches(api_enabled=True, oauth_enabled=False))
    store.set_meta("jwt_secret", "c2VjcmV0")
    store.set_meta("clock", "frozen at 2026-09-14T08:31:02.120000+00:00")
    store.next_id("record")
    store.close()

    reopened = SqliteStore(path)
    assert reopened.get_user(1) == user
    assert reopened.get_app("CID") == OAuthApp("CID", "app", 1, "s")
    assert reopened.find_token_by_access_hash("a") == row
    assert reopened.get_document(100) == make_document(100)
    assert reopened.query_documents(DocumentQuery(owner_id=1))[0] == 1
    assert reopened.get_switches() == SystemSwitches(api_enabled=True, oauth_enabled=False)
    assert reopened.get_meta("jwt_secret") == "c2VjcmV0"
    assert reopened.get_meta("clock") == "frozen at 2026-09-14T08:31:02.120000+00:00"
    assert reopened.next_id("record") == 101
    reopened.close()


def test_state_file_is_in_wal_mode_with_the_current_schema_version(tmp_path: Path) -> None:
    SqliteStore(tmp_path / "state.db").close()
    connection = sqlite3.connect(tmp_path / "state.db")
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    connection.close()


def test_a_state_file_from_a_newer_schema_is_refused(tmp_path: Path) -> None:
    SqliteStore(tmp_path / "state.db").close()
    connection = sqlite3.connect(tmp_path / "state.db")
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    connection.close()
    with pytest.raises(StateFileError, match="newer"):
        SqliteStore(tmp_path / "state.db")


def test_a_state_file_of_schema_1_gains_the_search_columns(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    store = SqliteStore(path)
    store.add_document(make_document(100))
    store.add_document(make_document(101))
    store.close()
    # What version 1 wrote: no search columns.
    db = sqlite3.connect(path)
    for column in SEARCH_COLUMNS:
        db.execute(f"ALTER TABLE documents DROP COLUMN {column}")
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    reopened = SqliteStore(path)
    try:
        total, page = reopened.query_documents(
            DocumentQuery(owner_id=1, terms=(SearchTerm("global", "DOCUMENT 101"),))
        )
        assert (total, [d.id for d in page]) == (1, [101])
        total, _ = reopened.query_documents(
            DocumentQuery(owner_id=1, terms=(SearchTerm("fullText", "x"),))
        )
        assert total == 2
    finally:
        reopened.close()
    with contextlib.closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_a_foreign_database_is_refused(tmp_path: Path) -> None:
    connection = sqlite3.connect(tmp_path / "other.db")
    connection.execute("CREATE TABLE notes (text TEXT)")
    connection.close()
    with pytest.raises(StateFileError, match="not an rspace-mock state file"):
        SqliteStore(tmp_path / "other.db")


def test_a_file_that_is_not_a_database_is_refused_with_its_name(tmp_path: Path) -> None:
    path = tmp_path / "fixtures.json"
    path.write_text('{"users": []}\n' * 100)
    with pytest.raises(StateFileError, match="fixtures.json: not an rspace-mock state file"):
        SqliteStore(path)


def test_a_state_file_in_a_missing_folder_is_refused_with_its_name(tmp_path: Path) -> None:
    with pytest.raises(StateFileError, match="cannot open the state file"):
        SqliteStore(tmp_path / "no" / "such" / "folder" / "state.db")


def test_an_exception_inside_a_transaction_rolls_back_all_its_writes(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "state.db")
    store.set_meta("k", "before")
    with pytest.raises(RuntimeError), store.transaction():
        store.set_meta("k", "during")
        store.add_document(make_document(100))
        raise RuntimeError("boom")
    assert store.get_meta("k") == "before"
    assert store.get_document(100) is None
    assert store.query_documents(DocumentQuery(owner_id=1))[0] == 0
    store.close()


def test_a_write_outside_a_transaction_is_visible_to_another_connection_at_once(
    tmp_path: Path,
) -> None:
    writer = SqliteStore(tmp_path / "state.db")
    reader = SqliteStore(tmp_path / "state.db")
    writer.set_meta("k", "v")
    assert reader.get_meta("k") == "v"
    writer.close()
    reader.close()


def test_uncommitted_writes_are_invisible_to_other_connections(tmp_path: Path) -> None:
    writer = SqliteStore(tmp_path / "state.db")
    reader = SqliteStore(tmp_path / "state.db")
    with writer.transaction():
        writer.set_meta("k", "v")
        assert reader.get_meta("k") is None
    assert reader.get_meta("k") == "v"
    writer.close()
    reader.close()


def test_two_connections_never_hand_out_the_same_id(tmp_path: Path) -> None:
    first = SqliteStore(tmp_path / "state.db")
    second = SqliteStore(tmp_path / "state.db")
    ids = []
    for _ in range(5):
        with first.transaction():
            ids.append(first.next_id("record"))
            ids.append(first.next_id("record"))
        ids.append(second.next_id("record"))
    assert ids == list(range(100, 115))
    first.close()
    second.close()


def test_ids_of_a_rolled_back_transaction_are_handed_out_again(tmp_path: Path) -> None:
    # The documents that used them were rolled back too: the state stays gap-free.
    store = SqliteStore(tmp_path / "state.db")
    with pytest.raises(RuntimeError), store.transaction():
        store.next_id("record")
        raise RuntimeError("boom")
    assert store.next_id("record") == 100
    store.close()


def test_finished_threads_leave_no_open_connections_behind(tmp_path: Path) -> None:
    # The server's thread pool retires idle threads and starts new ones: over hours a
    # connection per dead thread would run out of file descriptors.
    store = SqliteStore(tmp_path / "state.db")
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
    assert len(store._states) == 1  # only the main thread's connection is open
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
    from mock_server.storage.sqlite import SqliteStore

    store = SqliteStore(sys.argv[1])
    while not os.path.exists(sys.argv[3]):  # start together, to contend for the lock
        time.sleep(0.005)
    for _ in range(int(sys.argv[2])):
        with store.transaction():
            value = int(store.get_meta("counter") or "0")
            store.set_meta("counter", str(value + 1))
    store.close()
"""


def test_processes_incrementing_one_counter_in_transactions_lose_no_increment(
    tmp_path: Path,
) -> None:
    path = tmp_path / "state.db"
    SqliteStore(path).close()
    go = tmp_path / "go"
    processes = [run_python(COUNTER_WORKER, str(path), "250", str(go)) for _ in range(4)]
    go.touch()
    for process in processes:
        _, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr
    store = SqliteStore(path)
    assert store.get_meta("counter") == "1000"
    store.close()


def test_processes_opening_a_new_state_file_at_once_all_start_cleanly(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    go = tmp_path / "go"
    go.touch()
    processes = [run_python(COUNTER_WORKER, str(path), "5", str(go)) for _ in range(4)]
    for process in processes:
        _, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr
    store = SqliteStore(path)
    assert store.get_meta("counter") == "20"
    store.close()


WRITE_BURST = """
    import sys
    from datetime import datetime, timezone
    from mock_server.domain.models import Document, Field, TokenRow
    from mock_server.storage.sqlite import SqliteStore

    store = SqliteStore(sys.argv[1])
    now = datetime(2026, 9, 14, tzinfo=timezone.utc)
    for document_id in range(100, 100_000_000):
        fields = [Field(document_id * 10, "Data", "text", "<p>" + "x" * 500 + "</p>", now, 0)]
        store.add_document(Document(document_id, 1, f"doc {document_id}", 3, now, now, 11, 10,
                                    fields))
        with store.transaction():
            store.save_token_row(TokenRow("CID", 1, f"r{document_id}", f"a{document_id}", now))
            store.set_meta("last", str(document_id))
        print(document_id, flush=True)
"""


def test_kill_9_during_a_write_burst_loses_no_acknowledged_write(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    SqliteStore(path).close()
    writer = run_python(WRITE_BURST, str(path))
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

    store = SqliteStore(path)
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    for document_id in acknowledged:
        assert store.get_document(document_id) is not None, document_id
    last = int(store.get_meta("last") or "0")
    assert last >= acknowledged[-1]
    # The token row and the meta value were written in one transaction: they agree.
    row = store.get_token_row("CID", 1)
    assert row is not None and row.access_token_hash == f"a{last}"
    # The trigger-kept total agrees with the rows that survived.
    stored = db.execute("SELECT count(*) FROM documents WHERE owner_id = 1").fetchone()[0]
    assert store.query_documents(DocumentQuery(owner_id=1))[0] == stored
    db.close()
    store.close()
