"""``rspace-mock create-app`` and friends, against a running fake."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests

from mock_server.cli import main
from mock_server.settings import Settings
from mock_server.testing import RSpaceMockHandle, ThreadedServer


def run(capsys: pytest.CaptureFixture[str], url: str, *argv: str) -> tuple[int, Any, str]:
    code = main([*argv, "--url", url])
    captured = capsys.readouterr()
    output = json.loads(captured.out) if captured.out.strip() else None
    return code, output, captured.err


def test_create_app_prints_the_secret_once_and_it_works(
    rspace_mock: RSpaceMockHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    code, app, err = run(
        capsys, rspace_mock.base_url, "create-app", "--user", "alice", "--name", "My app"
    )
    assert code == 0
    assert app["appName"] == "My app" and len(app["clientSecret"]) == 32
    assert "shown this once" in err
    token = requests.post(
        rspace_mock.token_url,
        data={
            "grant_type": "password",
            "client_id": app["clientId"],
            "client_secret": app["clientSecret"],
            "username": "alice",
            "password": rspace_mock.seeded.user("alice")["password"],
        },
        timeout=5,
    )
    assert token.status_code == 200


def test_user_document_and_app_commands(
    rspace_mock: RSpaceMockHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    url = rspace_mock.base_url
    assert run(capsys, url, "create-user", "--username", "gus", "--password", "pw-gus-1")[0] == 0
    assert run(capsys, url, "update-user", "gus", "--locked")[1]["accountLocked"] is True
    code, doc, _ = run(capsys, url, "create-document", "--owner", "gus", "--name", "CLI doc")
    assert code == 0 and doc["name"] == "CLI doc"
    users = run(capsys, url, "list-users")[1]["users"]
    assert "gus" in {u["username"] for u in users}
    client_id = rspace_mock.seeded.apps[0]["clientId"]
    disconnected = run(capsys, url, "disconnect-app", "--user", "alice", "--client-id", client_id)
    assert disconnected[1]["disconnected"] is False  # alice had no tokens yet
    assert run(capsys, url, "delete-app", "--client-id", client_id)[1]["deleted"] is True
    assert client_id not in {a["clientId"] for a in run(capsys, url, "list-apps")[1]["apps"]}


def test_clock_commands(rspace_mock: RSpaceMockHandle, capsys: pytest.CaptureFixture[str]) -> None:
    url = rspace_mock.base_url
    frozen = run(capsys, url, "clock", "freeze", "2030-01-01T00:00:00Z")[1]
    assert frozen["now"] == "2030-01-01T00:00:00.000Z"
    assert run(capsys, url, "clock", "advance", "3600")[1]["now"] == "2030-01-01T01:00:00.000Z"
    assert run(capsys, url, "clock", "set", "2030-02-01T00:00:00Z")[1]["now"].startswith("2030-02")
    assert run(capsys, url, "clock", "unfreeze")[1]["frozen"] is False
    assert run(capsys, url, "clock")[1]["frozen"] is False
    assert run(capsys, url, "clock", "reset")[1]["offsetSeconds"] == 0.0


def test_settings_journal_fault_and_reset_commands(
    rspace_mock: RSpaceMockHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    url = rspace_mock.base_url
    assert run(capsys, url, "settings", "--no-oauth")[1]["oauthEnabled"] is False
    assert run(capsys, url, "settings")[1]["oauthEnabled"] is False
    added = run(
        capsys,
        url,
        "fault",
        "add",
        "--path",
        "/api/v1/status",
        "--kind",
        "error",
        "--status",
        "503",
        "--times",
        "0",
    )[1]
    assert added["times"] is None
    assert requests.get(rspace_mock.api_url + "/status", timeout=5).status_code == 503
    assert len(run(capsys, url, "fault", "list")[1]["faults"]) == 1
    entries = run(capsys, url, "journal", "--path", "/api/v1/status")[1]["entries"]
    assert entries[0]["status"] == 503
    assert run(capsys, url, "journal", "--clear")[1] == {"cleared": 1}
    assert run(capsys, url, "fault", "remove", str(added["id"]))[1] == {"removed": added["id"]}
    assert run(capsys, url, "fault", "clear")[1] == {"faults": []}
    assert run(capsys, url, "reset")[0] == 0
    assert run(capsys, url, "settings")[1]["oauthEnabled"] is True


def test_load_fixtures_command(
    rspace_mock: RSpaceMockHandle, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    fixtures = tmp_path / "lab.json"
    fixtures.write_text(json.dumps({"users": [{"username": "hal", "password": "pw-hal-9"}]}))
    try:
        code, report, _ = run(capsys, rspace_mock.base_url, "load-fixtures", str(fixtures))
        assert code == 0 and report["users"] == 1
    finally:
        from mock_server.settings import DEFAULT_FIXTURES

        rspace_mock.control.load_fixtures(json.loads(DEFAULT_FIXTURES.read_text()))


def test_errors_are_explained(
    rspace_mock: RSpaceMockHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        capsys, rspace_mock.base_url, "create-app", "--user", "nobody", "--name", "X"
    )
    assert code == 1
    assert "HTTP 404" in err and "nobody" in err
    code, _, err = run(capsys, "http://127.0.0.1:9", "clock")
    assert code == 1
    assert "cannot reach the fake" in err


def test_clock_and_settings_values_out_of_range_are_explained(
    rspace_mock: RSpaceMockHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    url = rspace_mock.base_url
    for value in ("nan", "inf", "1e400"):
        code, _, err = run(capsys, url, "clock", "advance", value)
        assert code == 1 and f"not a finite number of seconds: '{value}'" in err
    code, _, err = run(capsys, url, "clock", "advance", "1e300")
    assert code == 1 and "HTTP 400" in err and "cannot move the clock by 1e+300 seconds" in err
    code, _, err = run(capsys, url, "clock", "set", "9999-12-31T00:00:00Z")
    assert code == 1 and "HTTP 400" in err and "outside the clock's range" in err
    with pytest.raises(SystemExit):
        run(capsys, url, "settings", "--token-ttl", "0")
    assert "argument --token-ttl: must be a whole number of seconds" in capsys.readouterr().err
    assert run(capsys, url, "clock")[1]["offsetSeconds"] == 0.0


def test_admin_token_option(capsys: pytest.CaptureFixture[str]) -> None:
    with ThreadedServer(Settings(port=0, admin_token="tok-123")) as server:
        code, _, err = run(capsys, server.base_url, "clock")
        assert code == 1 and "HTTP 401" in err
        code, clock, _ = run(capsys, server.base_url, "clock", "--admin-token", "tok-123")
        assert code == 0 and clock["frozen"] is False


def test_serve_flags_map_to_settings() -> None:
    from mock_server.cli import build_parser, settings_from_args

    args = build_parser().parse_args(["serve", "--no-admin", "--admin-token", "t", "--throttling"])
    settings = settings_from_args(args)
    assert (settings.admin_enabled, settings.admin_token, settings.throttling) == (
        False,
        "t",
        True,
    )
    defaults = settings_from_args(build_parser().parse_args(["serve"]))
    assert (defaults.admin_enabled, defaults.admin_token, defaults.throttling) == (
        True,
        None,
        False,
    )


def test_admin_token_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from mock_server.cli import build_parser, settings_from_args

    monkeypatch.setenv("RSPACE_MOCK_ADMIN_TOKEN", "from-env")
    assert settings_from_args(build_parser().parse_args(["serve"])).admin_token == "from-env"
    flagged = build_parser().parse_args(["serve", "--admin-token", "flag"])
    assert settings_from_args(flagged).admin_token == "flag"


def test_create_form_and_a_document_from_it(
    rspace_mock: RSpaceMockHandle, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url = rspace_mock.base_url
    body = tmp_path / "assay.json"
    body.write_text(
        json.dumps(
            {
                "name": "Assay",
                "fields": [
                    {"name": "Wells", "type": "Number", "min": 1, "max": 96},
                    {"name": "Notes", "type": "Text"},
                ],
            }
        )
    )
    code, form, _ = run(capsys, url, "create-form", str(body), "--owner", "alice", "--shared")
    assert code == 0
    assert (form["formState"], form["fields"], form["owner"]) == ("PUBLISHED", 2, "alice")
    code, doc, _ = run(
        capsys, url, "create-document", "--owner", "alice", "--form", str(form["id"])
    )
    assert code == 0
    read = requests.get(
        f"{url}/api/v1/documents/{doc['id']}",
        headers={"apiKey": "aliceApiKey000000000000000000001"},
        timeout=10,
    ).json()
    assert [f["type"] for f in read["fields"]] == ["number", "text"]
    shared = requests.get(
        f"{url}/api/v1/forms/{form['id']}",
        headers={"apiKey": "aliceApiKey000000000000000000001"},
        timeout=10,
    ).json()
    assert shared["accessControl"]["groupPermissionType"] == "READ"
    body.write_text(
        '{"name": "Bad", "fields": [{"name": "n", "type": "Number", "min": 2, "max": 1}]}'
    )
    code, _, err = run(capsys, url, "create-form", str(body), "--owner", "alice")
    assert code != 0 and "Min must be < max" in err
    body.write_text("[1]")
    code, _, err = run(capsys, url, "create-form", str(body), "--owner", "alice")
    assert code != 0 and "must be a JSON object" in err


def test_a_group_made_by_the_cli_lets_its_members_share(
    rspace_mock: RSpaceMockHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    url = rspace_mock.base_url
    for name, extra in (("hana", ["--pi"]), ("ivo", []), ("jun", [])):
        argv = ["create-user", "--username", name, "--password", f"pw-{name}-1"]
        argv += ["--api-key", f"{name}ApiKey123456789", *extra]
        assert run(capsys, url, *argv)[0] == 0
    code, group, _ = run(
        capsys, url, "create-group", "--name", "Lab Hana", "--pi", "hana", "--members", "ivo, jun"
    )
    assert code == 0
    assert [(m["username"], m["role"]) for m in group["members"]] == [
        ("hana", "PI"),
        ("ivo", "DEFAULT"),
        ("jun", "DEFAULT"),
    ]
    assert "Lab Hana" in {g["name"] for g in run(capsys, url, "list-groups")[1]["groups"]}
    groups = requests.get(
        rspace_mock.api_url + "/groups", headers={"apiKey": "ivoApiKey123456789"}, timeout=5
    )
    assert [g["name"] for g in groups.json()] == ["Lab Hana"]
    code, _, err = run(capsys, url, "create-group", "--name", "No PI", "--members", "ivo")
    assert code != 0 and "Exactly one user must be the group's PI." in err
