"""Schema-driven fuzzing: schemathesis, with every check it has, over the server's own OpenAPI
documents (the RSpace API's ``/openapi.json`` and the admin API's ``/_mock/openapi.json``).

The run is schemathesis' own engine, as ``schemathesis run --checks all`` drives it: the
coverage phase (boundary values, wrong types, missing headers, methods the document does not
list), the fuzzing phase and the stateful phase (created documents read, changed and deleted).
Every check applies: no 5xx; statuses, content types, bodies and headers as documented;
schema-valid requests accepted and schema-violating ones refused; 405 with an ``Allow`` that
names exactly the documented methods; authentication enforced; deleted documents gone.
The rules no schema can state are in :mod:`.openapi_hooks`.

Generated requests create, change and delete arbitrary data (the admin API's resets, fixture
loads and settings too), so this runs against the mock only: in-process, served, or at a
``--rspace-url`` whose admin API shows it is the mock (against any other server the report
says "not checked"). The admin document always gets a mock of its own: in-process (every
target is fresh there), or a second ``rspace-mock serve`` with ``--rspace-serve``.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from hypothesis import settings
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events, from_schema

from . import openapi_hooks  # noqa: F401 - registers the hooks
from .clauses import NOT_CHECKED_PREFIX, expect
from .helpers import require_api_key_users
from .plugin import TargetFactory
from .target import DEFAULT_FIXTURES, ServedMock, Target, credentials_from_fixtures, remote_target

EXAMPLES_PER_OPERATION = 25
#: A fixed seed in CI (the "ci" profile is derandomised); a fresh one for "thorough" runs.
SEED = None if os.environ.get("HYPOTHESIS_PROFILE") == "thorough" else 20261201

API_DOCUMENT = "/openapi.json"
ADMIN_DOCUMENT = "/_mock/openapi.json"


def _profile_examples() -> int:
    profile = settings.default
    return profile.max_examples if profile is not None else EXAMPLES_PER_OPERATION


def _config(api_key: str, *, over_real_port: bool) -> SchemathesisConfig:
    examples = max(5, min(EXAMPLES_PER_OPERATION, _profile_examples() // 2))
    if over_real_port:
        # Over the socket, fewer random examples check what the transport adds (headers,
        # framing); the coverage phase still walks every boundary.
        examples = max(5, examples // 2)
    data: dict[str, Any] = {
        "headers": {"apiKey": api_key},
        "checks": {"enabled": True},
        "generation": {"max-examples": examples},
        "workers": 1,
        # The crash cache would replay one run's failures in the next: runs stay independent.
        "cache": {"enabled": False},
        "operations": [
            {
                # A valid id may name a system folder (the home folder, the Gallery, ...),
                # which RSpace never deletes: its 422 is the documented answer.
                "include-path": "/api/v1/folders/{id}",
                "include-method": "DELETE",
                "checks": {
                    "positive_data_acceptance": {
                        "expected-statuses": ["2XX", "401", "403", "404", "422"]
                    }
                },
            },
            *(
                {
                    # A valid file may still be refused: an image whose bytes are not of its
                    # type, a folder of another Gallery section, an empty name, a replacement
                    # of another type, a form icon that is no image. RSpace's 422 is the
                    # documented answer.
                    "include-name": f"POST {path}",
                    "checks": {
                        "positive_data_acceptance": {
                            "expected-statuses": ["2XX", "401", "403", "404", "422"]
                        }
                    },
                }
                for path in (
                    "/api/v1/files",
                    "/api/v1/files/{id}/file",
                    "/api/v1/forms/{id}/icon",
                )
            ),
            *(
                {
                    # An export of a selection needs ids (the path says nothing of them), and
                    # the ids of a user's or a group's export must be theirs to export:
                    # RSpace's 422 and 401 are the documented answers.
                    "include-name": f"POST {path}",
                    "checks": {
                        "positive_data_acceptance": {
                            "expected-statuses": ["2XX", "401", "404", "422", "429"]
                        }
                    },
                }
                for path in (
                    "/api/v1/export/{format}/{scope}",
                    "/api/v1/export/{format}/{scope}/{id}",
                )
            ),
            {
                # A schema-valid group may still break RSpace's rules for groups, which no
                # schema states: one PI, who has the PI role; 1 to 20 members; users who exist.
                "include-name": "POST /_mock/groups",
                "checks": {
                    "positive_data_acceptance": {"expected-statuses": ["2XX", "400", "401", "404"]}
                },
            },
            *(
                {
                    # Spring answers a wrong method on these paths with the mappings whose
                    # pattern also matches them: /folders/{id} (GET, DELETE), /documents/{id}
                    # (GET, PUT, DELETE; a PUT there is its 400 for the id "move"). No schema
                    # can say that for the one path.
                    "include-path": path,
                    "checks": {
                        "allow_header_conformance": {"enabled": False},
                        "unsupported_method": {"enabled": False},
                    },
                }
                for path in ("/api/v1/folders/tree", "/api/v1/documents/move")
            ),
        ],
    }
    # The coverage phase (boundary values: the longest name, the smallest number) runs over
    # the socket too: a crash on a boundary is found there by design, not by a lucky draw.
    if SEED is not None:
        data["seed"] = SEED
    return SchemathesisConfig.from_dict(data)


def _load(target: Target, document: str, config: SchemathesisConfig) -> Any:
    if target.in_process:
        app = target.client.app  # type: ignore[attr-defined]
        return schemathesis.openapi.from_asgi(document, app, config=config)
    return schemathesis.openapi.from_url(target.base_url + document, config=config)


def _describe(recorder: Any, case_id: str, check: Any) -> str:
    info = check.failure_info
    failure = info.failure
    text = (
        f"{recorder.label}: [{check.name}] {failure.title}\n{failure.message}\n{info.code_sample}"
    )
    response = recorder.find_response(case_id=case_id)
    if response is not None:
        shown = response.content[:300].decode("utf-8", errors="replace")
        text += f"\n-> {response.status_code} {shown}"
    return text


def run_all_checks(target: Target, document: str, api_key: str) -> list[str]:
    """Every failure schemathesis finds, one text per (operation, check, title)."""
    schema = _load(target, document, _config(api_key, over_real_port=not target.in_process))
    found: dict[tuple[str, str, str], str] = {}
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            recorder = event.recorder
            for case_id, checks in recorder.checks.items():
                for check in checks:
                    if check.status == Status.FAILURE and check.failure_info is not None:
                        key = (recorder.label, check.name, check.failure_info.failure.title)
                        found.setdefault(key, _describe(recorder, case_id, check))
        elif isinstance(event, events.NonFatalError):
            found.setdefault(
                (event.label, "error", str(event.value)), f"{event.label}: {event.value}"
            )
        elif isinstance(event, events.FatalError):
            found.setdefault(("run", "fatal", str(event.exception)), f"fatal: {event.exception}")
    return list(found.values())


def _check_document(target: Target, document: str) -> None:
    user = require_api_key_users(target)[0]
    if target.get(document).status_code != 200:
        pytest.skip(f"the server publishes no {document}")
    failures = run_all_checks(target, document, user.api_key or "")
    expect(not failures, "OPENAPI-FUZZ-1", "\n\n".join(failures)[:8000])


@pytest.mark.real_port
@pytest.mark.clause("OPENAPI-FUZZ-1")
def test_api_does_what_its_openapi_document_says(target_factory: TargetFactory) -> None:
    target = target_factory.new()
    if target_factory.spec.mode == "url" and target.admin is None:
        pytest.skip(
            NOT_CHECKED_PREFIX + "schema fuzzing writes arbitrary data; it runs against the "
            "mock only (a server with the mock's admin API)"
        )
    _check_document(target, API_DOCUMENT)


@pytest.mark.clause("OPENAPI-FUZZ-1")
def test_admin_api_does_what_its_openapi_document_says(target_factory: TargetFactory) -> None:
    if target_factory.spec.mode == "url":
        pytest.skip("the admin API's fuzzing needs a mock of its own; a URL is someone's server")
    # Fuzzing the admin API resets state, loads fixtures and switches the API off: it gets a
    # mock of its own (in-process every target is one; with --rspace-serve, a second server).
    if target_factory.fresh_each_time:
        _check_document(target_factory.new(), ADMIN_DOCUMENT)
        return
    served = ServedMock(DEFAULT_FIXTURES)
    target = remote_target(
        target_factory.kind,
        served.base_url,
        credentials_from_fixtures(DEFAULT_FIXTURES),
        read_only=False,
    )
    try:
        _check_document(target, ADMIN_DOCUMENT)
    finally:
        target.close()
        served.stop()
