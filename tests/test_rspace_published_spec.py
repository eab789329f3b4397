"""The fake answers as RSpace's own published OpenAPI document says, where it serves the API.

schemathesis generates requests from RSpace's ELN API document (``rspace_api_specs_2_25_0.yaml``,
copied from rspace-web into ``../shared/reference/openapi/``) for the operations the fake serves
(documents, folders, files, status) and checks every answer: no server error, and each body,
status and content type as the document describes it. RSpace's document is looser than its
server in places (``pageSize`` up to 50, where the code takes 100) and names rules that a
deployment sets (usernames of at least 6 characters); :data:`KNOWN_FAULTS` corrects those, each
with its reason, before the run. Requests RSpace's validators refuse although the document
allows them (its own 400s and 422s) are not failures here: the server's source wins.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import yaml
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events, from_schema

from tests.http_helpers import API_KEYS, make_client

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference" / "openapi"
ELN_DOCUMENT = REFERENCE / "rspace_api_specs_2_25_0.yaml"
SERVED = r"^/(documents|folders|files|status)"
CHECKS = ["not_a_server_error", "response_schema_conformance", "content_type_conformance"]


def _schemas(spec: dict[str, Any]) -> dict[str, Any]:
    schemas: dict[str, Any] = spec["components"]["schemas"]
    return schemas


def _no_username_minimum(spec: dict[str, Any]) -> None:
    _schemas(spec)["User"]["properties"]["username"].pop("minLength", None)


def _page_size_to_100(spec: dict[str, Any]) -> None:
    for parameter in spec["components"].get("parameters", {}).values():
        if parameter.get("name") == "pageSize":
            parameter["schema"]["maximum"] = 100


def _file_types_as_stored(spec: dict[str, Any]) -> None:
    download = spec["paths"]["/files/{fileId}/file"]["get"]["responses"]["200"]
    download["content"] = {"*/*": {"schema": {"type": "string", "format": "binary"}}}


def _nullable_tags(spec: dict[str, Any]) -> None:
    for schema in _schemas(spec).values():
        for name in ("tags", "tagMetaData"):
            tags = schema.get("properties", {}).get(name)
            if tags is not None:
                tags["nullable"] = True


def _nullable_caption(spec: dict[str, Any]) -> None:
    _schemas(spec)["File"]["properties"]["caption"]["nullable"] = True


#: Where RSpace's document and its server disagree, the server's way, and why.
KNOWN_FAULTS: dict[str, Callable[[dict[str, Any]], None]] = {
    # PropertyHolder.minUsernameLength: a deployment setting (6 by default); fixtures choose.
    "usernames of any length": _no_username_minimum,
    # ApiPaginationCriteria allows 1..100.
    "pageSize up to 100": _page_size_to_100,
    # FilesApiController sends the stored file's own content type (image/png, ...).
    "a file download in its own type": _file_types_as_stored,
    # A document never tagged has no tags and no tag metadata: RSpace sends null for both.
    "tags and tagMetaData may be null": _nullable_tags,
    # ApiFile.caption is the file's description, which an upload without one leaves null.
    "a file's caption may be null": _nullable_caption,
}


class _TextDates(yaml.SafeLoader):
    """YAML as OpenAPI means it: an example date stays the text it is written as."""


_TextDates.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _patched_document() -> dict[str, Any]:
    spec = yaml.load(ELN_DOCUMENT.read_text(encoding="utf-8"), Loader=_TextDates)  # noqa: S506
    patched = copy.deepcopy(spec)
    for correct in KNOWN_FAULTS.values():
        correct(patched)
    patched["servers"] = [{"url": "http://testserver/api/v1"}]
    return patched


def _config() -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "headers": {"apiKey": API_KEYS["alice"]},
            "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
            "generation": {"max-examples": int(os.environ.get("RSPACE_SPEC_EXAMPLES", "15"))},
            "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
            "workers": 1,
            "cache": {"enabled": False},
            "seed": 20261203,
        }
    )


def test_answers_follow_rspaces_published_document() -> None:
    if not REFERENCE.is_dir():
        pytest.skip(f"RSpace's published documents are not beside this clone ({REFERENCE})")
    schema = schemathesis.openapi.from_dict(_patched_document(), config=_config())
    schema = schema.include(path_regex=SERVED)
    schema.app = make_client().app
    failures: dict[tuple[str, str, str], str] = {}
    tested: set[str] = set()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            recorder = event.recorder
            tested.add(recorder.label)
            for checks in recorder.checks.values():
                for check in checks:
                    if check.status == Status.FAILURE and check.failure_info is not None:
                        failure = check.failure_info.failure
                        key = (recorder.label, check.name, failure.title)
                        failures.setdefault(
                            key, f"{recorder.label}: {failure.title}\n{failure.message}"
                        )
        elif isinstance(event, events.NonFatalError | events.FatalError):
            failures.setdefault(("run", "error", str(event)), str(getattr(event, "value", event)))
    assert len(tested) >= 15, sorted(tested)  # the served operations were really exercised
    assert not failures, "\n\n".join(failures.values())[:8000]
