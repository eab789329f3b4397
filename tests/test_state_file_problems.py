"""``serve --state FILE`` with a file it cannot use stops at start with one line naming the file
and the problem, exit code 2, instead of starting and failing every write (or every read of a
damaged page) with a 500 later.

Read-only situations are made for real: file and folder permissions (as root, which ignores
them, the server runs without the capabilities that override them), an immutable file and a
read-only bind mount (root only; skipped where the file system or the container does not allow
them).
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mock_server import Settings
from mock_server.domain.kinds import USERS
from mock_server.runtime import build_mock
from mock_server.storage import StateFileError, open_state
from mock_server.storage.engines.sqlite_file import ENGINE_USER_VERSION
from tests.conftest import (
    BANNER_URL,
    DEFAULT_FIXTURES_PATH,
    REPO_ROOT,
    clean_environment,
    rspace_mock_command,
)

pytestmark = pytest.mark.own_engines

IS_ROOT = sys.platform == "linux" and os.geteuid() == 0

#: Linux's ``prctl(PR_CAPBSET_DROP, cap)``, and the capabilities with which root ignores file
#: and folder permissions: CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER.
PR_CAPBSET_DROP = 24
PERMISSION_OVERRIDES = (1, 2, 3)


@dataclass
class Refusal:
    returncode: int
    stderr: str


def serve_expecting_refusal(
    state: Path, *, before_exec: Callable[[], None] | None = None
) -> Refusal:
    """``serve --state STATE``; fails the test if it starts (prints its URL) instead."""
    process = subprocess.Popen(
        [*rspace_mock_command(), "serve", "--port", "0", "--state", str(state)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_environment(),
        cwd=REPO_ROOT,
        preexec_fn=before_exec,
    )
    try:
        stdout, stderr = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        stdout, stderr = process.communicate()
        started = BANNER_URL.search(stdout)
        pytest.fail(
            f"serve started on {state.name} instead of refusing it"
            + (f" (at {started.group(1)})" if started else "")
            + f"\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}"
        )
    return Refusal(process.returncode, stderr)


def assert_one_clear_line(refusal: Refusal, state: Path, *mentions: str) -> str:
    assert "Traceback" not in refusal.stderr, refusal.stderr
    lines = [line for line in refusal.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, refusal.stderr
    (line,) = lines
    assert line.startswith(f"rspace-mock: error: {state}: "), line
    for mention in mentions:
        assert mention in line, line
    assert refusal.returncode == 2, refusal
    return line


def make_state_file(path: Path, documents: int = 0, tmp: Path | None = None) -> Path:
    """A state file as ``serve --state`` leaves it: seeded from fixtures (the default ones plus
    ``documents`` more for alice), closed, its WAL folded back into the file."""
    fixtures = DEFAULT_FIXTURES_PATH
    if documents:
        data: dict[str, Any] = json.loads(DEFAULT_FIXTURES_PATH.read_text(encoding="utf-8"))
        data["documents"] = [
            {
                "owner": "alice",
                "name": f"Plate reading {n}",
                "tags": "plate,reader",
                "fields": [{"content": f"<p>Well A{n % 12}: {n * 7 % 1000} nm</p>" * 8}],
            }
            for n in range(documents)
        ]
        fixtures = (tmp or path.parent) / "many-documents.json"
        fixtures.write_text(json.dumps(data), encoding="utf-8")
    mock = build_mock(Settings(state_file=path, fixtures=fixtures, random_seed=1))
    mock.store.close()
    assert not Path(f"{path}-wal").exists()
    return path


def _drop_permission_overrides() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in PERMISSION_OVERRIDES:
        if libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def permissions_that_apply() -> Callable[[], None] | None:
    """What to run in the server's process before it starts so that file permissions apply to
    it: nothing for an ordinary user; for root, dropping the capabilities that override them
    (root keeps everything else, so it can still run the command from wherever it is)."""
    if not IS_ROOT:
        return None
    probe = subprocess.run(
        ["true"], preexec_fn=_drop_permission_overrides, capture_output=True, check=False
    )
    if probe.returncode != 0:
        pytest.skip("root here, and it cannot drop CAP_DAC_OVERRIDE for the server")
    return _drop_permission_overrides


def test_a_read_only_state_file_stops_serve_with_one_line_naming_it(tmp_path: Path) -> None:
    before_exec = permissions_that_apply()
    state = make_state_file(tmp_path / "state.sqlite")  # the folder stays writable
    state.chmod(0o444)
    refusal = serve_expecting_refusal(state, before_exec=before_exec)
    assert_one_clear_line(
        refusal, state, "cannot be written", "the file is read-only", "permissions"
    )


def test_an_immutable_state_file_stops_serve_with_one_line_naming_it(tmp_path: Path) -> None:
    if not IS_ROOT or shutil.which("chattr") is None:
        pytest.skip("needs root and chattr")
    state = make_state_file(tmp_path / "state.sqlite")
    made = subprocess.run(["chattr", "+i", str(state)], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"this file system has no immutable attribute: {made.stderr.strip()}")
    try:
        refusal = serve_expecting_refusal(state)
    finally:
        subprocess.run(["chattr", "-i", str(state)], check=True)
    assert_one_clear_line(refusal, state, "cannot be written", "immutable attribute")


def test_a_state_file_in_a_read_only_folder_stops_serve_with_one_line_naming_it(
    tmp_path: Path,
) -> None:
    # In WAL mode SQLite must create FILE-wal and FILE-shm next to the file, even to read it.
    before_exec = permissions_that_apply()
    folder = tmp_path / "read-only"
    folder.mkdir()
    state = make_state_file(folder / "state.sqlite", tmp=tmp_path)  # the file stays writable
    folder.chmod(0o555)
    try:
        refusal = serve_expecting_refusal(state, before_exec=before_exec)
    finally:
        folder.chmod(0o755)
    assert_one_clear_line(
        refusal, state, f"its folder {folder} is not writable", "state.sqlite-wal", "writable"
    )


@pytest.fixture
def read_only_mount(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """(a writable folder, the same folder mounted read-only)."""
    if not IS_ROOT or shutil.which("mount") is None:
        pytest.skip("needs root and mount")
    source, mounted = tmp_path / "source", tmp_path / "mounted"
    source.mkdir()
    mounted.mkdir()
    made = subprocess.run(
        ["mount", "--bind", "-o", "ro", str(source), str(mounted)], capture_output=True, text=True
    )
    if made.returncode != 0:
        pytest.skip(f"cannot bind-mount here: {made.stderr.strip()}")
    try:
        yield source, mounted
    finally:
        subprocess.run(["umount", str(mounted)], check=True)


def test_a_state_file_on_a_read_only_mount_stops_serve_with_one_line_naming_it(
    read_only_mount: tuple[Path, Path],
) -> None:
    source, mounted = read_only_mount
    make_state_file(source / "state.sqlite")
    state = mounted / "state.sqlite"
    assert state.exists()
    refusal = serve_expecting_refusal(state)
    assert_one_clear_line(refusal, state, "read-only file system", "state.sqlite-shm")


def damage_a_middle_page(path: Path) -> None:
    """Overwrite one whole page halfway through the file, as a bad disk block or a stray
    write would; the file header and the schema stay intact, so the file still opens."""
    with sqlite3.connect(path) as db:
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
        page_count = db.execute("PRAGMA page_count").fetchone()[0]
    db.close()
    assert page_count > 50, page_count  # many pages: the middle one holds documents
    with path.open("r+b") as file:
        file.seek((page_count // 2) * page_size)
        file.write(b"\xde\xad\xbe\xef" * (page_size // 4))


def test_a_state_file_damaged_in_the_middle_stops_serve_with_one_line_saying_so(
    tmp_path: Path,
) -> None:
    state = make_state_file(tmp_path / "state.sqlite", documents=1500)
    damage_a_middle_page(state)
    with sqlite3.connect(state) as db:  # still opens: nothing at start noticed the damage
        assert db.execute("PRAGMA user_version").fetchone()[0] == ENGINE_USER_VERSION
    db.close()
    refusal = serve_expecting_refusal(state)
    assert_one_clear_line(refusal, state, "damaged", "quick_check", ".recover", "new --state")


def test_a_damaged_state_file_is_refused_by_the_store_itself(tmp_path: Path) -> None:
    state = make_state_file(tmp_path / "state.sqlite", documents=1500)
    damage_a_middle_page(state)
    started = time.perf_counter()
    with pytest.raises(StateFileError, match="state.sqlite: the state file is damaged"):
        open_state(str(state))
    assert time.perf_counter() - started < 10


def test_a_sound_state_file_with_data_opens_after_its_check(tmp_path: Path) -> None:
    state = make_state_file(tmp_path / "state.sqlite", documents=1500)
    store = open_state(str(state))
    try:
        assert {user.username for user in store.collection(USERS).select()} >= {"alice"}
    finally:
        store.close()
