"""``rspace-mock``: the command line as a user meets it (help, fixture errors, flags, banner,
shutdown), always through a real subprocess."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests

from tests.conftest import rspace_mock_command
from tests.http_helpers import refresh_form
from tests.quickstart_helpers import banner_flow, check_flow_output, readme_flow, run_flow

REPO_ROOT = Path(__file__).resolve().parent.parent

Run = Callable[..., subprocess.CompletedProcess[str]]
Serve = Callable[..., Any]

SERVE_FLAGS = [
    "--host",
    "--port",
    "--fixtures",
    "--public-url",
    "--token-ttl",
    "--jwt-secret",
    "--oauth",
    "--no-oauth",
    "--log-level",
    "--allow-host",
    "--allow-origin",
]


def write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path


def alice_password(fixtures_data: dict[str, Any]) -> str:
    password: str = next(u for u in fixtures_data["users"] if u["username"] == "alice")["password"]
    return password


def password_grant(base_url: str, **params: str) -> requests.Response:
    return requests.post(
        f"{base_url}/oauth/token", data={"grant_type": "password", **params}, timeout=10
    )


# -- help --------------------------------------------------------------------------------------


def test_top_level_help_names_the_serve_command(run_rspace_mock: Run) -> None:
    result = run_rspace_mock("--help")
    assert result.returncode == 0, result.stderr
    assert "serve" in result.stdout
    assert "usage: rspace-mock" in result.stdout


def test_serve_help_documents_every_flag(run_rspace_mock: Run) -> None:
    result = run_rspace_mock("serve", "--help")
    assert result.returncode == 0, result.stderr
    missing = [flag for flag in SERVE_FLAGS if flag not in result.stdout]
    assert not missing, f"serve --help does not mention {missing}"


def test_python_dash_m_mock_server_serve_help_works() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mock_server", "serve", "--help"],
        capture_output=True,
        text=True,
        timeout=30,
        env={k: v for k, v in os.environ.items() if not k.startswith("RSPACE_MOCK_")},
        cwd=REPO_ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert "--fixtures" in result.stdout
    assert "--public-url" in result.stdout


# -- bad fixture files -------------------------------------------------------------------------


def assert_one_clear_error_line(
    result: subprocess.CompletedProcess[str], path: Path, *mentions: str
) -> str:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    (line,) = lines
    assert path.name in line, line
    for mention in mentions:
        assert mention in line, line
    assert " at http://" not in result.stdout  # it never started
    return line


def test_fixture_file_that_is_not_json_stops_serve_with_one_line_naming_file_and_place(
    tmp_path: Path, run_rspace_mock: Run
) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"users": [\n  {"username": "a", "password": "p",}\n]}', encoding="utf-8")
    result = run_rspace_mock("serve", "--port", "0", "--fixtures", str(path))
    assert_one_clear_error_line(result, path, "line 2")


#: A bad entry in an otherwise valid fixture file, and what the one error line must name.
BAD_FIXTURE_ENTRIES: dict[str, tuple[dict[str, Any], list[str]]] = {
    "user-with-an-unknown-key": (
        {
            "users": [
                {"username": "alice", "password": "a"},
                {"username": "bob", "password": "b", "colour": "red"},
            ]
        },
        ["users[1]", "bob", "colour"],
    ),
    "user-without-a-password": (
        {"users": [{"username": "alice", "password": "a"}, {"username": "bob"}]},
        ["users[1]", "bob", "password"],
    ),
    "app-whose-owner-does-not-exist": (
        {
            "users": [{"username": "alice", "password": "a"}],
            "apps": [{"name": "Sync", "owner": "zed"}],
        },
        ["apps[0]", "Sync", "zed"],
    ),
}


@pytest.mark.parametrize("case", list(BAD_FIXTURE_ENTRIES))
def test_bad_fixture_entry_stops_serve_with_one_line_naming_file_entry_and_problem(
    case: str, tmp_path: Path, run_rspace_mock: Run
) -> None:
    data, mentions = BAD_FIXTURE_ENTRIES[case]
    path = write_json(tmp_path / f"{case}.json", data)
    result = run_rspace_mock("serve", "--port", "0", "--fixtures", str(path))
    assert_one_clear_error_line(result, path, *mentions)


def test_missing_fixture_file_stops_serve_with_one_line_naming_it(
    tmp_path: Path, run_rspace_mock: Run
) -> None:
    path = tmp_path / "nowhere.json"
    result = run_rspace_mock("serve", "--port", "0", "--fixtures", str(path))
    assert_one_clear_error_line(result, path)


@pytest.mark.parametrize("flag", ["--admin-token", "--public-url"])
def test_a_flag_that_is_not_utf8_stops_serve_with_one_clear_line(
    flag: str, run_rspace_mock: Run
) -> None:
    # Bytes that are not UTF-8 reach Python as lone surrogates, which no answer could carry.
    result = run_rspace_mock("serve", "--port", "0", flag, "lab-\udcff", timeout=15)
    assert result.returncode == 2
    assert f"error: {flag} is not UTF-8 text" in result.stderr
    assert " at http://" not in result.stdout


@pytest.mark.parametrize("ttl", ["0", "1000000000000", "1.5", "an hour"])
def test_a_token_ttl_out_of_range_is_an_argparse_error_naming_the_range(
    ttl: str, run_rspace_mock: Run
) -> None:
    result = run_rspace_mock("serve", "--port", "0", "--token-ttl", ttl, timeout=15)
    assert result.returncode == 2
    assert (
        "error: argument --token-ttl: must be a whole number of seconds from 1 to 3153600000 "
        f"(100 years), not '{ttl}'"
    ) in result.stderr


def test_a_token_ttl_out_of_range_in_the_environment_is_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from mock_server.cli import build_parser, settings_from_args

    monkeypatch.setenv("RSPACE_MOCK_TOKEN_TTL", "10000000000000")
    # main() shows this message as an argparse error (exit code 2).
    with pytest.raises(ValueError, match="^RSPACE_MOCK_TOKEN_TTL must be a whole number of sec"):
        settings_from_args(build_parser().parse_args(["serve"]))


@pytest.mark.parametrize("port", ["99999", "-1", "http"])
def test_a_port_out_of_range_is_one_line_naming_the_flag(port: str, run_rspace_mock: Run) -> None:
    result = run_rspace_mock("serve", "--port", port, timeout=15)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    shown = repr(port) if port == "http" else port
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .endswith(
            f"error: argument --port: {shown} is not a port number (0 to 65535; 0 picks a free one)"
        )
    )


def test_a_bad_port_in_the_environment_names_the_variable(run_rspace_mock: Run) -> None:
    result = run_rspace_mock("serve", timeout=15, env={"RSPACE_MOCK_PORT": "xyz"})
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last == (
        "rspace-mock serve: error: RSPACE_MOCK_PORT: 'xyz' is not a port number (0 to 65535; "
        "0 picks a free one)"
    )


def test_dash_v_prints_the_version(run_rspace_mock: Run) -> None:
    result = run_rspace_mock("-V", timeout=15)
    assert result.returncode == 0
    assert result.stdout.startswith("rspace-mock ")


def test_a_port_in_use_is_one_line_suggesting_port_0(run_rspace_mock: Run) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_rspace_mock("serve", "--port", str(port), timeout=30)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last == (
        f"rspace-mock: error: could not listen on 127.0.0.1:{port} (is the port in use? "
        "try --port 0)"
    )


def test_a_port_file_in_a_missing_directory_is_one_line_naming_the_flag(
    run_rspace_mock: Run, tmp_path: Path
) -> None:
    result = run_rspace_mock("serve", "--port-file", str(tmp_path / "no" / "port"), timeout=15)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .endswith(f"error: --port-file: no directory {tmp_path / 'no'}")
    )


def test_port_file_holds_the_port_that_port_0_chose(serve_mock: Serve, tmp_path: Path) -> None:
    path = tmp_path / "port"
    server = serve_mock("--port-file", str(path))
    assert path.read_text(encoding="utf-8") == f"{server.url.rsplit(':', 1)[1]}\n"


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["fault", "add"], "fault add needs --path"),
        (["fault", "add", "--path", "/api/v1/documents"], "fault add needs --kind"),
        (
            ["fault", "add", "--path", "/api/v1/documents", "--kind", "error"],
            "fault add --kind error needs --status",
        ),
        (
            ["fault", "add", "--path", "/api/v1/documents", "--kind", "delay"],
            "fault add --kind delay needs --delay",
        ),
    ],
)
def test_a_fault_rule_that_a_default_would_make_surprising_is_refused_by_name(
    args: list[str], named: str, run_rspace_mock: Run
) -> None:
    """No --path would match every path (/oauth/token too); no --status would be a 500."""
    result = run_rspace_mock(*args, "--url", "http://127.0.0.1:9", timeout=15)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert named in result.stderr


def test_every_flag_of_every_command_says_what_it_does() -> None:
    import argparse

    from mock_server.cli import build_parser

    parser = build_parser()
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    silent = [
        f"{name} {action.dest}"
        for name, command in commands.choices.items()
        for action in command._actions
        if not isinstance(action, argparse._HelpAction)
        and (not action.help or action.help == argparse.SUPPRESS)
    ]
    assert not silent, f"flags without help text: {silent}"
    assert all(command.help for command in commands._choices_actions)


def test_bash_completion_completes_commands_and_flags(run_rspace_mock: Run) -> None:
    result = run_rspace_mock("completion", "bash", timeout=15)
    assert result.returncode == 0, result.stderr

    def complete(*words: str) -> list[str]:
        line = " ".join(words)
        script = (
            f"{result.stdout}\nCOMP_WORDS=({line}); COMP_CWORD={len(words) - 1}; "
            f'COMP_LINE="{line}"; COMP_POINT=${{#COMP_LINE}}; _shtab_rspace_mock; '
            'printf "%s\\n" "${COMPREPLY[@]}"'
        )
        done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=15)
        assert done.returncode == 0, done.stderr
        return done.stdout.split()

    assert "serve" in complete("rspace-mock", "se")
    assert complete("rspace-mock", "serve", "--port-") == ["--port-file"]
    assert "--clauses" in complete("rspace-mock", "contract", "--cl")


def test_output_cut_short_by_its_reader_is_no_error() -> None:
    shell = f"{shlex.join(rspace_mock_command())} completion zsh | head -1"
    done = subprocess.run(["bash", "-c", shell], capture_output=True, text=True, timeout=30)
    assert done.stdout == "#compdef rspace-mock\n"
    assert "Traceback" not in done.stderr and "Broken pipe" not in done.stderr


# -- flags on a running server -----------------------------------------------------------------


def test_no_oauth_makes_every_grant_401_oauth_disabled(
    serve_mock: Serve, fixtures_data: dict[str, Any]
) -> None:
    server = serve_mock("--no-oauth")
    app = fixtures_data["apps"][0]
    response = password_grant(
        server.url,
        client_id=app["clientId"],
        client_secret=app["clientSecret"],
        username="alice",
        password=alice_password(fixtures_data),
    )
    assert response.status_code == 401, response.text
    body = response.json()
    assert body["message"] == "OAuth authentication has been disabled by RSpace administrator."
    assert body["internalCode"] == 40101
    assert body["errors"] == ["Authorisation error"]
    refresh = requests.post(
        f"{server.url}/oauth/token",
        data={
            "grant_type": "refresh_token",
            "client_id": app["clientId"],
            "client_secret": app["clientSecret"],
            "refresh_token": "A" * 32,
        },
        timeout=10,
    )
    assert refresh.status_code == 401, refresh.text
    assert refresh.json()["message"] == body["message"]
    # API keys are not affected by the OAuth switch.
    status = requests.get(
        f"{server.url}/api/v1/status",
        headers={"apiKey": fixtures_data["users"][0]["apiKey"]},
        timeout=10,
    )
    assert status.status_code == 200


def test_no_oauth_also_applies_to_a_state_file_that_already_holds_data(
    serve_mock: Serve, fixtures_data: dict[str, Any], tmp_path: Path
) -> None:
    state = str(tmp_path / "state.sqlite")
    app = fixtures_data["apps"][0]
    creds = {
        "client_id": app["clientId"],
        "client_secret": app["clientSecret"],
        "username": "alice",
        "password": alice_password(fixtures_data),
    }
    first = serve_mock("--state", state, "--public-url", "http://lab.example")
    token = password_grant(first.url, **creds).json()["access_token"]
    first.stop()

    second = serve_mock("--state", state, "--public-url", "http://lab.example", "--no-oauth")
    grant = password_grant(second.url, **creds)
    assert grant.status_code == 401, grant.text
    assert grant.json()["message"] == (
        "OAuth authentication has been disabled by RSpace administrator."
    )
    call = requests.get(
        f"{second.url}/api/v1/status", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert call.status_code == 401, call.text
    assert call.json()["message"] == (
        "Access through OAuth tokens has been disabled for user 'alice'"
    )


def test_public_url_is_the_base_of_every_link(
    serve_mock: Serve, fixtures_data: dict[str, Any]
) -> None:
    server = serve_mock("--public-url", "https://rspace.example.org")
    api_key = fixtures_data["users"][0]["apiKey"]
    listing = requests.get(
        f"{server.url}/api/v1/documents?pageSize=2", headers={"apiKey": api_key}, timeout=10
    ).json()
    links = [link["link"] for link in listing["_links"]]
    links += [link["link"] for doc in listing["documents"] for link in doc["_links"]]
    assert links
    for link in links:
        assert link.startswith("https://rspace.example.org/api/v1/documents"), link
    assert "https://rspace.example.org/api/v1/documents?pageSize=2&pageNumber=1" in links


@pytest.mark.skipif(sys.platform != "linux", reason="127.0.0.2 is a loopback address on Linux")
def test_host_sets_the_address_served_and_printed(
    serve_mock: Serve, fixtures_data: dict[str, Any]
) -> None:
    server = serve_mock("--host", "127.0.0.2")
    assert server.url.startswith("http://127.0.0.2:")
    api_key = fixtures_data["users"][0]["apiKey"]
    response = requests.get(f"{server.url}/api/v1/status", headers={"apiKey": api_key}, timeout=10)
    assert response.status_code == 200
    port = server.url.rsplit(":", 1)[1]
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/api/v1/status", timeout=5)


def banner_of(server: Any, settle_seconds: float = 2.0) -> str:
    """The start-up banner: the lines after the URL may arrive a moment after it."""
    deadline = time.monotonic() + settle_seconds
    while "Try it: " not in server.stdout and time.monotonic() < deadline:
        time.sleep(0.02)
    return str(server.stdout)


def test_banner_warns_that_a_public_bind_without_admin_token_opens_the_admin_api(
    serve_mock: Serve,
) -> None:
    banner = banner_of(serve_mock("--host", "0.0.0.0"))
    assert "WARNING:" in banner, banner
    warning = banner[banner.index("WARNING:") :].split("\n\n")[0]
    for mention in ("--host 0.0.0.0 without --admin-token", "anyone who can reach this port"):
        assert mention in " ".join(warning.split()), banner
    for mention in ("reset the fake", "read the journal", "--admin-token TOKEN", "--no-admin"):
        assert mention in " ".join(warning.split()), banner


def test_banner_has_no_admin_warning_with_an_admin_token_or_on_loopback(
    serve_mock: Serve,
) -> None:
    for flags in (["--host", "0.0.0.0", "--admin-token", "t0k"], ["--host", "127.0.0.1"]):
        banner = banner_of(serve_mock(*flags))
        assert "Try it: RSpace's OAuth guide" in banner
        assert "WARNING" not in banner, banner


def test_log_level_warning_keeps_request_logs_quiet(
    serve_mock: Serve, fixtures_data: dict[str, Any]
) -> None:
    server = serve_mock("--log-level", "warning")
    api_key = fixtures_data["users"][0]["apiKey"]
    requests.get(f"{server.url}/api/v1/status", headers={"apiKey": api_key}, timeout=10)
    server.stop()
    assert "INFO" not in server.stderr
    assert "GET /api/v1/status" not in server.stdout


def test_the_log_says_why_a_grant_was_refused_without_the_secrets_sent(
    serve_mock: Serve, fixtures_data: dict[str, Any]
) -> None:
    """RSpace answers "Invalid user credentials." alike for an unknown user and a wrong
    password, on purpose; the fake's log tells the developer which it was."""
    server = serve_mock("--seed", "1")
    app = fixtures_data["apps"][0]
    alice = alice_password(fixtures_data)
    sent = {
        "no user 'nobody'": {"username": "nobody", "password": "pw-nobody-1"},
        "wrong password for 'alice'": {"username": "alice", "password": "pw-wrong-2"},
    }
    for params in sent.values():
        response = password_grant(
            server.url, client_id=app["clientId"], client_secret=app["clientSecret"], **params
        )
        assert response.status_code == 401
    wrong_secret = "c2VjcmV0LXdyb25nLXdyb25nLXdyb25nMQ"
    for client_id, why in (
        (app["clientId"], f"wrong client secret for the OAuth app {app['name']!r}"),
        ("NOSUCHCLIENT", "no OAuth app with client id 'NOSUCHCLIENT'"),
    ):
        response = password_grant(
            server.url,
            client_id=client_id,
            client_secret=wrong_secret,
            username="alice",
            password=alice,
        )
        assert response.status_code == 401
        sent[why] = {}
    response = requests.post(
        f"{server.url}/oauth/token", data=refresh_form("A" * 32, app), timeout=10
    )
    assert response.status_code == 404
    server.stop()
    for why in [*sent, "no such refresh token"]:
        assert why in server.stderr, server.stderr
    for secret in ("pw-nobody-1", "pw-wrong-2", wrong_secret, alice, app["clientSecret"]):
        assert secret not in server.stderr


# -- the start-up banner -----------------------------------------------------------------------


def test_the_banners_flow_runs_in_a_shell_from_the_first_line_to_the_last(
    serve_mock: Serve,
) -> None:
    """Pasted in order, the banner's commands get a pair, call the API with it, refresh and
    call with the new pair, get a JWT and call with it, and call with the API key."""
    server = serve_mock("--seed", "1")
    flow = banner_flow(server.stdout)
    assert f"export RSPACE_URL={server.url}\n" in flow
    check_flow_output(run_flow(flow))


def test_the_banners_flow_is_the_readmes_with_this_servers_address(serve_mock: Serve) -> None:
    server = serve_mock("--seed", "1")
    readme = readme_flow().replace("http://127.0.0.1:8080", server.url)
    assert banner_flow(server.stdout) == readme


def test_the_banner_says_where_the_docs_the_admin_api_and_its_health_are(
    serve_mock: Serve,
) -> None:
    server = serve_mock("--seed", "1")
    assert f"{server.url}/docs" in server.stdout
    assert f"{server.url}/_mock " in server.stdout
    assert "/_mock/health" in server.stdout
    health = requests.get(f"{server.url}/_mock/health", timeout=10)
    assert health.status_code == 200 and health.json()["status"] == "ok"
    quiet = serve_mock("--no-admin")
    assert "/_mock" not in quiet.stdout


def test_the_banners_flow_works_for_other_fixtures_too(serve_mock: Serve, tmp_path: Path) -> None:
    """Custom fixtures get the flow with their own user, and an app whose secret was generated
    at start; a user without an API key gets no API-key step."""
    path = write_json(
        tmp_path / "lab.json",
        {
            "users": [
                {"username": "locked", "password": "x", "accountLocked": True},
                {"username": "erin", "password": "erin pass; $HOME"},
            ],
            "apps": [{"name": "Sync", "owner": "erin"}],
        },
    )
    server = serve_mock("--fixtures", str(path))
    flow = banner_flow(server.stdout)
    assert "RSPACE_USERNAME=erin" in flow and "apiKey" not in flow
    assert "erin pass; $HOME" not in server.stdout  # read from the file, not in the log
    check_flow_output(run_flow(flow), api_key=False)


def test_fixture_app_without_credentials_gets_generated_ones_printed_once_that_work(
    serve_mock: Serve, tmp_path: Path
) -> None:
    path = write_json(
        tmp_path / "lab.json",
        {
            "users": [{"username": "erin", "password": "erin-pass"}],
            "apps": [{"name": "Sync", "owner": "erin"}],
        },
    )
    server = serve_mock("--fixtures", str(path))
    match = re.search(
        r"client id (?P<client_id>\S+), client secret (?P<client_secret>\S+)", server.stdout
    )
    assert match, server.stdout
    client_id, client_secret = match["client_id"], match["client_secret"]
    assert re.fullmatch(r"[A-Z2-7]{39}", client_id), client_id
    assert re.fullmatch(r"[A-Za-z0-9+/]{32}", client_secret), client_secret
    # In the banner only: its app line, and the flow that uses it.
    assert server.stdout.count(client_secret) == 2
    assert f"export RSPACE_CLIENT_SECRET={client_secret}" in server.stdout
    assert client_secret not in server.stderr
    response = password_grant(
        server.url,
        client_id=client_id,
        client_secret=client_secret,
        username="erin",
        password="erin-pass",
    )
    assert response.status_code == 200, response.text
    assert response.json()["scope"] == "all"


# -- shutdown ----------------------------------------------------------------------------------


def test_sigterm_stops_the_server_promptly_with_exit_code_0(serve_mock: Serve) -> None:
    server = serve_mock("--seed", "1")
    assert requests.get(f"{server.url}/api/v1/status", timeout=10).status_code == 401
    started = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    code = server.process.wait(timeout=10)
    assert time.monotonic() - started < 8
    assert code == 0, f"exit code {code} after SIGTERM\n{server.stderr}"
    server.stop()
    assert "Traceback" not in server.stderr


def test_ctrl_c_stops_the_server_with_exit_code_0(serve_mock: Serve) -> None:
    server = serve_mock("--seed", "1")
    server.process.send_signal(signal.SIGINT)
    code = server.process.wait(timeout=10)
    assert code == 0, f"exit code {code} after SIGINT\n{server.stderr}"
    server.stop()
    assert "Traceback" not in server.stderr
    assert "KeyboardInterrupt" not in server.stderr


# -- token flags -------------------------------------------------------------------------------


def alice_grant(base_url: str, fixtures_data: dict[str, Any], **extra: str) -> dict[str, Any]:
    app = fixtures_data["apps"][0]
    response = password_grant(
        base_url,
        client_id=app["clientId"],
        client_secret=app["clientSecret"],
        username="alice",
        password=alice_password(fixtures_data),
        **extra,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_token_ttl_sets_the_lifetime_reported_in_expires_in(
    serve_mock: Serve, fixtures_data: dict[str, Any]
) -> None:
    server = serve_mock("--token-ttl", "120")
    assert alice_grant(server.url, fixtures_data)["expires_in"] in (119, 120)
    jwt_grant = alice_grant(server.url, fixtures_data, is_jwt="true")
    assert jwt_grant["expires_in"] in (119, 120)
    claims = jwt.decode(jwt_grant["access_token"], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 120


def test_jwt_secret_signs_hs256_jwts_whose_issuer_is_the_public_url(
    serve_mock: Serve, fixtures_data: dict[str, Any]
) -> None:
    key = bytes(range(32))
    server = serve_mock(
        "--jwt-secret",
        base64.b64encode(key).decode("ascii"),
        "--public-url",
        "https://rspace.example.org",
    )
    pair = alice_grant(server.url, fixtures_data)
    token = alice_grant(server.url, fixtures_data, is_jwt="true")["access_token"]
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    claims = jwt.decode(
        token, key, algorithms=["HS256"], issuer="https://rspace.example.org", leeway=5
    )
    # RSpace's claims are exactly these: no sub, jti, aud or client id.
    assert set(claims) == {"iss", "iat", "exp", "refreshTokenHash"}
    assert claims["refreshTokenHash"] == hashlib.sha256(pair["refresh_token"].encode()).hexdigest()
    assert claims["exp"] - claims["iat"] == 3600
    status = requests.get(
        f"{server.url}/api/v1/status", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert status.status_code == 200, status.text


@pytest.mark.parametrize("quirk", [False, True], ids=["default", "refresh-keeps-expiry"])
def test_refresh_keeps_expiry_quirk_makes_a_refreshed_token_die_with_the_grants_hour(
    serve_mock: Serve, fixtures_data: dict[str, Any], quirk: bool
) -> None:
    # RSpace does not update the stored expiry on refresh (rspace-web's
    # OAuthTokenManagerImpl); the fake copies that only when asked to.
    server = serve_mock(*(["--quirk", "refresh-keeps-expiry"] if quirk else []))
    assert requests.post(f"{server.url}/_mock/clock/freeze", json={}, timeout=10).ok
    app = fixtures_data["apps"][0]
    pair = alice_grant(server.url, fixtures_data)

    def advance(seconds: int) -> None:
        response = requests.post(
            f"{server.url}/_mock/clock/advance", json={"seconds": seconds}, timeout=10
        )
        assert response.ok, response.text

    advance(1800)
    refreshed = requests.post(
        f"{server.url}/oauth/token",
        data={
            "grant_type": "refresh_token",
            "client_id": app["clientId"],
            "client_secret": app["clientSecret"],
            "refresh_token": pair["refresh_token"],
        },
        timeout=10,
    ).json()
    assert refreshed["expires_in"] in (3599, 3600)  # what the response says either way
    advance(1800)
    status = requests.get(
        f"{server.url}/api/v1/status",
        headers={"Authorization": f"Bearer {refreshed['access_token']}"},
        timeout=10,
    )
    assert status.status_code == (401 if quirk else 200), status.text


def test_a_mistake_in_a_subcommand_shows_that_subcommands_usage(run_rspace_mock: Run) -> None:
    result = run_rspace_mock("serve", "--prot", "1", timeout=15)
    assert result.returncode == 2
    assert result.stderr.startswith("usage: rspace-mock serve ")
    assert result.stderr.strip().splitlines()[-1] == (
        "rspace-mock serve: error: unrecognized arguments: --prot 1"
    )
