"""A big fixture file does not load in silence: the log says how far it has got."""

from __future__ import annotations

import logging

import pytest

from mock_server.runtime import SeedProgress, build_mock
from mock_server.settings import DEFAULT_FIXTURES, Settings


def test_a_big_fixture_load_logs_its_progress_and_its_end(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(SeedProgress, "BIG", 3)  # the default fixtures' ten are "big" here
    monkeypatch.setattr(SeedProgress, "EVERY_SECONDS", 0.0)
    with caplog.at_level(logging.INFO, logger="rspace_mock"):
        mock = build_mock(Settings(fixtures=DEFAULT_FIXTURES))
    total = mock.seed_report.documents
    lines = [r.getMessage() for r in caplog.records if "documents" in r.getMessage()]
    assert lines[0] == f"{DEFAULT_FIXTURES}: loading {total} documents"
    assert any(f"of {total} documents loaded" in line for line in lines[1:-1])
    assert lines[-1].startswith(f"{DEFAULT_FIXTURES}: {total} documents loaded in ")


def test_a_small_fixture_load_logs_nothing_of_it(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="rspace_mock"):
        build_mock(Settings(fixtures=DEFAULT_FIXTURES))
    assert not [r for r in caplog.records if "documents loaded" in r.getMessage()]


@pytest.mark.parametrize("documents", [None, True, 7, "docs", {}])
def test_a_documents_section_that_is_no_list_is_refused_not_counted(documents: object) -> None:
    from mock_server.domain.fixtures import FixtureError

    mock = build_mock(Settings(fixtures=None))
    with pytest.raises(FixtureError, match="documents"):
        mock.load_fixtures(data={"documents": documents})
