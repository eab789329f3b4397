"""The contract suite must be able to fail: broken variants of the mock, each caught by the
clause that names the rule it breaks.

Each mutant is an app factory that builds the real mock and then breaks one rule at the
narrowest seam (a token-grant handler, the document service, the listing parser). The suite
runs against it in a subprocess (``--contract-app-factory``), and the parity report must list
the expected clause as failed.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
THIS_FILE = Path(__file__).resolve()


def _mock_app(fixtures: Path) -> Any:
    from contract_tests.target import default_app_factory

    return default_app_factory(fixtures)


def _sha256_hex(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- the mutants ---------------------------------------------------------------------------


def make_regrant_keeps_old_token(fixtures: Path) -> Any:
    """A password grant that leaves the previous access token working."""
    app = _mock_app(fixtures)
    mock = app.state.mock
    store, handlers = mock.store, mock.tokens._handlers
    #: (client id, user id) -> access-token hash of the latest password grant
    latest: dict[tuple[str, int], str] = {}
    #: access-token hash replaced by a later password grant -> its (client id, user id)
    superseded: dict[str, tuple[str, int]] = {}
    grant = handlers[("password", False)]

    def password_grant(request: Any, server_url: str) -> Any:
        issued = grant(request, server_url)
        row = store.find_token_by_access_hash(_sha256_hex(issued.access_token))
        key = (row.client_id, row.user_id)
        if key in latest:
            superseded[latest[key]] = key
        latest[key] = row.access_token_hash
        return issued

    find = store.find_token_by_access_hash

    def find_token_by_access_hash(access_hash: str) -> Any:
        row = find(access_hash)
        if row is None and access_hash in superseded:
            row = store.get_token_row(*superseded[access_hash])
        return row

    handlers[("password", False)] = password_grant
    store.find_token_by_access_hash = find_token_by_access_hash
    return app


def make_refresh_does_not_rotate(fixtures: Path) -> Any:
    """A refresh grant that hands back the same refresh token."""
    app = _mock_app(fixtures)
    mock = app.state.mock
    store, handlers = mock.store, mock.tokens._handlers
    grant = handlers[("refresh_token", False)]

    def refresh_grant(request: Any, server_url: str) -> Any:
        issued = grant(request, server_url)
        row = store.find_token_by_refresh_hash(_sha256_hex(issued.refresh_token))
        row.refresh_token_hash = _sha256_hex(request.refresh_token)
        store.save_token_row(row)
        return dataclasses.replace(issued, refresh_token=request.refresh_token)

    handlers[("refresh_token", False)] = refresh_grant
    return app


def make_jwt_response_includes_refresh_token(fixtures: Path) -> Any:
    """JWT grants that always answer with a refresh_token."""
    app = _mock_app(fixtures)
    mock = app.state.mock
    handlers = mock.tokens._handlers
    for key in (("password", True), ("refresh_token", True)):
        grant = handlers[key]

        def jwt_grant(request: Any, server_url: str, grant: Any = grant) -> Any:
            issued = grant(request, server_url)
            if issued.refresh_token is None:
                issued = dataclasses.replace(issued, refresh_token=mock.credentials.opaque_token())
            return issued

        handlers[key] = jwt_grant
    return app


def make_jwt_outlives_refresh_token(fixtures: Path) -> Any:
    """JWTs that stay valid after their refresh token was replaced."""
    app = _mock_app(fixtures)
    mock = app.state.mock
    store, authenticator = mock.store, mock.authenticator
    rows_by_refresh_hash: dict[str, tuple[str, int]] = {}
    save = store.save_token_row

    def save_token_row(row: Any) -> None:
        rows_by_refresh_hash[row.refresh_token_hash] = (row.client_id, row.user_id)
        save(row)

    jwt_row = authenticator._jwt_row

    def lenient_jwt_row(token: str, server_url: str) -> Any:
        row = jwt_row(token, server_url)
        if row is None:
            refresh_hash = mock.jwt_codec.verify(token, server_url, mock.clock.now())
            if refresh_hash in rows_by_refresh_hash:
                row = store.get_token_row(*rows_by_refresh_hash[refresh_hash])
        return row

    store.save_token_row = save_token_row
    authenticator._jwt_row = lenient_jwt_row
    return app


def make_grant_revokes_other_apps(fixtures: Path) -> Any:
    """A password grant that also revokes the user's tokens for every other app."""
    app = _mock_app(fixtures)
    mock = app.state.mock
    store, handlers = mock.store, mock.tokens._handlers
    grant = handlers[("password", False)]

    def password_grant(request: Any, server_url: str) -> Any:
        issued = grant(request, server_url)
        row = store.find_token_by_access_hash(_sha256_hex(issued.access_token))
        for other in store.list_token_rows():
            if other.user_id == row.user_id and other.client_id != row.client_id:
                store.delete_token_row(other.client_id, other.user_id)
        return issued

    handlers[("password", False)] = password_grant
    return app


def make_listing_drops_last_document(fixtures: Path) -> Any:
    """A listing that leaves out the last document of every page."""
    app = _mock_app(fixtures)
    documents = app.state.mock.documents
    search = documents.search

    def search_dropping_last(listing: Any) -> tuple[int, list[Any]]:
        total, page = search(listing)
        return total, page[:-1]

    documents.search = search_dropping_last
    return app


def make_deleted_documents_still_counted(fixtures: Path) -> Any:
    """A listing whose totalHits still counts the caller's deleted documents."""
    app = _mock_app(fixtures)
    documents = app.state.mock.documents
    deleted_by_owner: dict[int, int] = {}
    search, delete = documents.search, documents.delete

    def delete_and_count(user: Any, document_id: int) -> None:
        delete(user, document_id)
        deleted_by_owner[user.id] = deleted_by_owner.get(user.id, 0) + 1

    def search_counting_deleted(listing: Any) -> tuple[int, list[Any]]:
        total, page = search(listing)
        return total + deleted_by_owner.get(listing.query.owner_id, 0), page

    documents.delete = delete_and_count
    documents.search = search_counting_deleted
    return app


def make_other_users_document_readable(fixtures: Path) -> Any:
    """GET of another user's document answers 200 instead of 404."""
    app = _mock_app(fixtures)
    documents = app.state.mock.documents
    store = app.state.mock.store
    get = documents.get

    def get_any_owner(user: Any, document_id: int) -> Any:
        document = store.get_document(document_id)
        if document is not None and not document.deleted:
            return document
        return get(user, document_id)

    documents.get = get_any_owner
    return app


def make_bad_parameter_500(fixtures: Path) -> Any:
    """A listing with an out-of-range pageSize or pageNumber crashes (500)."""
    from mock_server.web import api_router

    parse_listing = api_router.parse_listing
    if not getattr(parse_listing, "mutated", False):

        def crashing_parse_listing(params: Any, owner_id: int) -> Any:
            for name, low, high in (("pageSize", 1, 100), ("pageNumber", 0, 10**9)):
                value = params.get(name)
                numeric = value is not None and value.lstrip("-").isdigit()
                if numeric and not low <= int(value) <= high:
                    raise RuntimeError(f"unchecked {name}")
            return parse_listing(params, owner_id)

        crashing_parse_listing.mutated = True  # type: ignore[attr-defined]
        api_router.parse_listing = crashing_parse_listing  # type: ignore[attr-defined]
    return _mock_app(fixtures)


def make_api_error_drops_null_fields(fixtures: Path) -> Any:
    """ApiError bodies that leave out null fields (messageCode, data) instead of sending null."""
    from mock_server.web import errors

    api_error = errors.api_error
    if not getattr(api_error, "mutated", False):

        def api_error_without_nulls(problem: Any, now: Any) -> dict[str, Any]:
            return {k: v for k, v in api_error(problem, now).items() if v is not None}

        api_error_without_nulls.mutated = True  # type: ignore[attr-defined]
        errors.api_error = api_error_without_nulls  # type: ignore[attr-defined]
    return _mock_app(fixtures)


# --- running the suite against them --------------------------------------------------------

Mutant = tuple[Callable[[Path], Any], list[str], str]

MUTANTS: dict[str, Mutant] = {
    "regrant_keeps_old_token": (
        make_regrant_keeps_old_token,
        ["contract_tests/test_token_lifecycle.py"],
        "OAUTH-ONEPAIR-1",
    ),
    "refresh_does_not_rotate": (
        make_refresh_does_not_rotate,
        ["contract_tests/test_token_lifecycle.py"],
        "OAUTH-ROTATE-1",
    ),
    "jwt_response_includes_refresh_token": (
        make_jwt_response_includes_refresh_token,
        ["contract_tests/test_token_lifecycle.py"],
        "OAUTH-JWT-2",
    ),
    "jwt_outlives_refresh_token": (
        make_jwt_outlives_refresh_token,
        ["contract_tests/test_token_lifecycle.py"],
        "OAUTH-JWT-3",
    ),
    "grant_revokes_other_apps": (
        make_grant_revokes_other_apps,
        ["contract_tests/test_token_lifecycle.py"],
        "OAUTH-ISOLATION-1",
    ),
    "listing_drops_last_document": (
        make_listing_drops_last_document,
        ["contract_tests/test_documents.py"],
        "DOCS-PAGING-1",
    ),
    "deleted_documents_still_counted": (
        make_deleted_documents_still_counted,
        ["contract_tests/test_documents.py"],
        "DOCS-TOTAL-1",
    ),
    "other_users_document_readable": (
        make_other_users_document_readable,
        ["contract_tests/test_documents.py"],
        "DOCS-ISOLATION-1",
    ),
    "api_error_drops_null_fields": (
        make_api_error_drops_null_fields,
        ["contract_tests/test_error_contract.py"],
        "ERR-SHAPE-1",
    ),
    "bad_parameter_500": (
        make_bad_parameter_500,
        ["contract_tests/test_error_contract.py"],
        "ERR-NO5XX-1",
    ),
}


def failed_clauses(junit_report: Path) -> set[str]:
    root = ET.parse(junit_report).getroot()
    return {
        case.attrib["name"] for case in root.iter("testcase") if case.find("failure") is not None
    }


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_contract_suite_catches_mutant(name: str, tmp_path: Path) -> None:
    factory, test_files, clause = MUTANTS[name]
    report_dir = tmp_path / "report"
    command = [
        sys.executable,
        "-m",
        "pytest",
        *test_files,
        "-q",
        "-p",
        "no:cacheprovider",
        f"--contract-app-factory={THIS_FILE}:{factory.__name__}",
        f"--contract-report={report_dir}",
    ]
    env = {**os.environ, "HYPOTHESIS_PROFILE": "mutants"}
    run = subprocess.run(
        command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert run.returncode == 1, f"suite did not fail on mutant {name}:\n{run.stdout[-3000:]}"
    failed = failed_clauses(report_dir / "contract-report.xml")
    assert clause in failed, (
        f"mutant {name} should fail clause {clause}; failed clauses: {sorted(failed)}\n"
        f"{run.stdout[-3000:]}"
    )


# --- the clause list stays complete ----------------------------------------------------------


def test_every_clause_is_listed_in_docs() -> None:
    from contract_tests.clauses import CLAUSES

    text = (REPO_ROOT / "docs" / "contract.md").read_text(encoding="utf-8")
    missing = [clause for clause in CLAUSES if f"| `{clause}` |" not in text]
    assert not missing, f"docs/contract.md lacks clauses {missing}"


def test_every_clause_is_checked_by_a_test() -> None:
    from contract_tests.clauses import CLAUSES

    sources = "\n".join(
        path.read_text(encoding="utf-8")
        for path in (REPO_ROOT / "contract_tests").glob("test_*.py")
    )
    unchecked = [clause for clause in CLAUSES if f'"{clause}"' not in sources]
    assert not unchecked, f"clauses no contract test names: {unchecked}"
