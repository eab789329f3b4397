"""``benchmarks/make_fixture.py`` writes fixture files the fake loads, the same every time."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

from mock_server.domain.kinds import APPS, DOCUMENTS, USERS
from mock_server.domain.store import Store
from mock_server.runtime import build_mock
from mock_server.settings import Settings
from mock_server.storage import open_state

pytestmark = pytest.mark.own_engines

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "make_fixture.py"


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_fixture", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_same_seed_writes_the_same_file() -> None:
    generator = load_generator()
    assert generator.make_fixture(20, 50, seed=7) == generator.make_fixture(20, 50, seed=7)
    assert generator.make_fixture(20, 50, seed=7) != generator.make_fixture(20, 50, seed=8)


def test_the_first_user_owns_the_requested_share_of_documents() -> None:
    data = load_generator().make_fixture(50, 2_000, owner_share=0.25)
    owned = sum(1 for d in data["documents"] if d["owner"] == "bench")
    assert 400 < owned < 600


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_a_generated_file_loads_into_every_store(backend: str, tmp_path: Path) -> None:
    path = tmp_path / "fixture.json"
    load_generator().main(["--users", "30", "--documents", "300", "--apps", "2", "-o", str(path)])
    data = json.loads(path.read_text())
    store: Store = open_state(None if backend == "memory" else str(tmp_path / "s.db"))
    mock = build_mock(Settings(fixtures=path), store=store)
    assert store.collection(USERS).count() == 30
    assert store.collection(APPS).count() == 2
    bench = mock.directory.user_named("bench")
    owned = sum(1 for d in data["documents"] if d["owner"] == "bench")
    assert store.collection(DOCUMENTS).page(bench.id, "lastModified")[0] == owned
    store.close()
