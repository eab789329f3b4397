"""Fixture files: what they seed, and the one clear message a bad one gets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mock_server.domain.credentials import sha256_hex
from mock_server.domain.documents import parse_listing
from mock_server.domain.fixtures import FixtureError
from mock_server.domain.kinds import USERS
from mock_server.runtime import build_mock
from mock_server.settings import Settings

GOOD: dict[str, Any] = {
    "users": [{"username": "u1", "password": "p1", "apiKey": "key1"}],
    "apps": [{"name": "App", "owner": "u1"}],
    "documents": [{"owner": "u1", "name": "D", "created": "2026-01-02T03:04:05.678Z"}],
}


def load(tmp_path: Path, data: object) -> Any:
    path = tmp_path / "lab.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return build_mock(Settings(fixtures=path, random_seed=1))


def test_good_fixture_seeds_everything(tmp_path: Path) -> None:
    mock = load(tmp_path, GOOD)
    user = mock.store.collection(USERS).find("username", "u1")
    assert user is not None and user.api_key_hash == sha256_hex("key1")
    (created,) = mock.seed_report.generated_credentials
    assert len(created.app.client_id) == 39 and len(created.client_secret) == 32
    assert created.app.client_secret_hash == sha256_hex(created.client_secret)
    assert mock.seed_report.documents == 1


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("{nope", "not valid JSON at line 1"),
        ([], "the top level must be an object"),
        ({"people": []}, "unknown top-level key(s) people"),
        ({"users": [{"username": "u"}]}, "users[0] ('u'): 'password' is required"),
        (
            {"users": [{"username": "u", "password": "p", "colour": "red"}]},
            "users[0] ('u'): unknown key(s) colour",
        ),
        (
            {"users": [{"username": "u", "password": "p", "apiKey": "has space"}]},
            "users[0] ('u'): apiKey must match",
        ),
        ({"users": [GOOD["users"][0], GOOD["users"][0]]}, "users[1] ('u1'): User 'u1' already"),
        ({"apps": [{"name": "A", "owner": "ghost"}]}, "apps[0] ('A'): User 'ghost' not found"),
        (
            {**GOOD, "documents": [{"owner": "u1", "created": "yesterday"}]},
            "documents[0]: 'created' must be an ISO-8601 time",
        ),
        (
            {
                **GOOD,
                "documents": [{"owner": "u1", "fields": [{"content": "a"}, {"content": "b"}]}],
            },
            'documents[0]: "fields" array should have 1 fields, but had 2',
        ),
        (
            {**GOOD, "documents": [{"owner": "u1", "created": "0001-01-01T00:00:00+01:00"}]},
            "documents[0]: 'created' 0001-01-01T00:00:00+01:00 is outside the clock's range, "
            "from 1970-01-01T00:00:00Z to 9000-12-31T23:59:59Z",
        ),
        (
            {"users": [{"username": "u\ud800", "password": "p"}]},
            "users[0].username holds a lone surrogate (\\ud800), which is not Unicode text",
        ),
        (
            {**GOOD, "documents": [{"owner": "u1", "fields": [{"content": "\udfff"}]}]},
            "documents[0].fields[0].content holds a lone surrogate (\\udfff)",
        ),
        (
            {
                **GOOD,
                "forms": [{"owner": "u1", "name": "F", "fields": [{"type": "Radio", "name": "r"}]}],
            },
            "forms[0] ('F'): fields[0].options: Please provide at least one option",
        ),
        (
            {**GOOD, "forms": [{"owner": "nobody", "name": "F"}]},
            "forms[0] ('F'): User 'nobody' not found",
        ),
        (
            {**GOOD, "forms": [{"owner": "u1", "name": "F", "state": "OLD"}]},
            "forms[0] ('F'): 'state' must be one of NEW, PUBLISHED, UNPUBLISHED",
        ),
        (
            {**GOOD, "documents": [{"owner": "u1", "form": "No such form"}]},
            "documents[0]: no form named 'No such form' (in the fixtures or shipped by RSpace)",
        ),
        (
            {
                **GOOD,
                "documents": [
                    {
                        "owner": "u1",
                        "form": "Experiment",
                        "fields": [{"content": "x"}, {}, {}, {}, {}],
                    }
                ],
            },
            "documents[0]: Validation problem with field 1: Invalid date format [x]",
        ),
    ],
)
def test_bad_fixture_names_file_entry_and_problem(
    tmp_path: Path, data: object, expected: str
) -> None:
    with pytest.raises(FixtureError) as caught:
        load(tmp_path, data)
    message = str(caught.value)
    assert message.startswith(str(tmp_path / "lab.json"))
    assert expected in message
    assert "\n" not in message


def test_a_fixture_file_that_is_not_utf8_names_the_byte(tmp_path: Path) -> None:
    path = tmp_path / "lab.json"
    path.write_bytes(b'{"users": [{"username": "caf\xe9", "password": "p"}]}')
    with pytest.raises(FixtureError) as caught:
        build_mock(Settings(fixtures=path))
    assert str(caught.value) == f"{path}: not UTF-8 text: byte 0xe9 at offset 28"


def test_missing_fixture_file(tmp_path: Path) -> None:
    with pytest.raises(FixtureError, match="cannot read the fixture file"):
        build_mock(Settings(fixtures=tmp_path / "missing.json"))


def test_fixture_forms_and_documents_made_from_them(tmp_path: Path) -> None:
    mock = load(
        tmp_path,
        {
            **GOOD,
            "forms": [
                {
                    "owner": "u1",
                    "name": "Assay",
                    "state": "UNPUBLISHED",
                    "shared": True,
                    "fields": [{"name": "Wells", "type": "Number", "defaultValue": 96}],
                }
            ],
            "documents": [
                {
                    "owner": "u1",
                    "form": "Experiment",
                    "fields": [{"content": "2026-01-02"}, {}, {}, {}, {}],
                },
                {"owner": "u1", "form": "Basic Document"},
            ],
        },
    )
    assert mock.seed_report.forms == 1 and mock.seed_report.documents == 2
    assay = next(f for f in mock.forms.all_forms().values() if f.name == "Assay")
    assert (assay.form_state, assay.group_permission, assay.owner_id) == ("UNPUBLISHED", "READ", 1)
    user = mock.store.collection(USERS).find("username", "u1")
    _, documents = mock.documents.search(parse_listing({}, user.id))
    made = {mock.forms.find(d.form_id).name: d for d in documents}
    assert set(made) == {"Experiment", "Basic Document"}
    assert made["Experiment"].fields[0].content == "2026-01-02"


def test_default_fixtures_load() -> None:
    mock = build_mock(Settings(random_seed=1))
    assert mock.seed_report.users == 6 and mock.seed_report.documents == 10
    assert mock.seed_report.groups == 1 and mock.seed_report.forms == 1
    assert mock.seed_report.snippets == 1
    assert mock.seed_report.generated_credentials == []
