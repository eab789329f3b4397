"""What a web page in the developer's browser can do to a fake on their machine: nothing that a
client could not do anyway. Real loopback ports: DNS rebinding and cross-site requests are
about what arrives over a socket."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from starlette.testclient import TestClient

from mock_server import Settings, create_app
from mock_server.cli import build_parser, settings_from_args
from mock_server.testing import ThreadedServer
from tests.http_helpers import API_KEYS, assert_api_error

ALICE = {"apiKey": API_KEYS["alice"]}
EVIL = "http://evil.example"


@pytest.fixture(scope="module")
def server() -> Iterator[ThreadedServer]:
    """The fake on 127.0.0.1 with default settings: what `rspace-mock serve` runs."""
    with ThreadedServer(Settings(port=0, random_seed=1)) as running:
        yield running


def get(server: ThreadedServer, path: str, **headers: str) -> requests.Response:
    return requests.get(server.base_url + path, headers=headers, timeout=10)


def clock_is_frozen(server: ThreadedServer) -> bool:
    frozen: bool = get(server, "/_mock/clock").json()["frozen"]
    return frozen


# -- DNS rebinding: foreign Host headers on a loopback bind -------------------------------------


@pytest.mark.parametrize(
    "path", ["/api/v1/documents", "/api/v1/status", "/_mock/journal", "/_mock/users"]
)
def test_a_foreign_host_on_a_loopback_bind_gets_403_naming_the_flag_that_allows_it(
    server: ThreadedServer, path: str
) -> None:
    response = get(server, path, Host="evil.example:8080", **ALICE)
    body = assert_api_error(response, 403, 40301, errors=["Host 'evil.example' is not allowed"])
    assert "DNS rebinding" in body["message"]
    assert "--allow-host evil.example" in body["message"]
    assert body["status"] == "FORBIDDEN"


def test_a_foreign_host_cannot_get_a_token_either(server: ThreadedServer) -> None:
    response = requests.post(
        server.base_url + "/oauth/token",
        data={"grant_type": "password"},
        headers={"Host": "attacker.test"},
        timeout=10,
    )
    assert_api_error(response, 403, 40301)


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "127.0.0.1:{port}", "localhost:{port}", "LOCALHOST.", "app.localhost:{port}"]
    + ["127.8.9.10", "[::1]:{port}", "[::ffff:127.0.0.1]"],
)
def test_names_that_mean_this_machine_are_answered(server: ThreadedServer, host: str) -> None:
    response = get(server, "/api/v1/status", Host=host.format(port=server.port), **ALICE)
    assert response.status_code == 200, response.text


def test_a_request_without_host_header_is_answered(server: ThreadedServer) -> None:
    # HTTP/1.0 has no Host; browsers always send one.
    import socket

    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(f"GET /api/v1/status HTTP/1.0\r\napiKey: {API_KEYS['alice']}\r\n\r\n".encode())
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 200"), reply[:200]


def test_allow_host_and_the_public_url_host_are_answered() -> None:
    settings = Settings(
        port=0,
        allowed_hosts=["rspace.test", "Proxy.Example."],
        public_url="https://lab.example.org/rspace",
    )
    with ThreadedServer(settings) as running:
        for host in ("rspace.test:8080", "proxy.example", "lab.example.org"):
            assert get(running, "/api/v1/status", Host=host, **ALICE).status_code == 200, host
        assert get(running, "/api/v1/status", Host="other.test", **ALICE).status_code == 403


def test_allow_host_star_answers_any_host() -> None:
    with ThreadedServer(Settings(port=0, allowed_hosts=["*"])) as running:
        assert get(running, "/_mock/journal", Host="anything.example").status_code == 200


def test_a_server_bound_to_all_interfaces_answers_any_host() -> None:
    # Reached under many names there; the banner warns about its admin API instead.
    with ThreadedServer(Settings(host="0.0.0.0", port=0)) as running:
        url = f"http://127.0.0.1:{running.port}/api/v1/status"
        response = requests.get(url, headers={"Host": "lab-pc.example", **ALICE}, timeout=10)
        assert response.status_code == 200


def test_an_in_process_app_is_not_checked_for_its_host() -> None:
    # No socket a page could reach: TestClient's "testserver" is fine.
    with TestClient(create_app(Settings(random_seed=1))) as client:
        assert client.get("/api/v1/status", headers=ALICE).status_code == 200
        assert client.post("/_mock/clock/freeze").status_code == 200


# -- cross-site requests to the admin API --------------------------------------------------------

#: Requests a page can send without a CORS preflight (or with one it need not wait for).
SIMPLE_REQUESTS: dict[str, dict[str, Any]] = {
    "reset, text/plain": {
        "method": "POST",
        "path": "/_mock/reset",
        "data": "x",
        "headers": {"Content-Type": "text/plain"},
    },
    "freeze the clock, form": {
        "method": "POST",
        "path": "/_mock/clock/freeze",
        "data": {"at": "2020-01-01T00:00:00Z"},
    },
    "add a fault, multipart": {
        "method": "POST",
        "path": "/_mock/faults",
        "files": {"path": (None, "/api/*")},
    },
    "clear the journal": {"method": "DELETE", "path": "/_mock/journal"},
}


@pytest.mark.parametrize("name", list(SIMPLE_REQUESTS))
def test_a_cross_origin_state_changing_admin_call_gets_403_and_changes_nothing(
    server: ThreadedServer, name: str
) -> None:
    request = dict(SIMPLE_REQUESTS[name])
    method, path = request.pop("method"), request.pop("path")
    headers = {**request.pop("headers", {}), "Origin": EVIL}
    get(server, "/api/v1/status", **ALICE)  # something in the journal
    journal_before = get(server, "/_mock/journal").json()["entries"]
    response = requests.request(
        method, server.base_url + path, headers=headers, timeout=10, **request
    )
    body = assert_api_error(response, 403, 40301)
    assert f"Refused {method} {path} from a web page at {EVIL}" in body["message"]
    assert f"--allow-origin {EVIL}" in body["message"]
    assert not clock_is_frozen(server)
    assert get(server, "/_mock/faults").json()["faults"] == []
    assert get(server, "/_mock/journal").json()["entries"] == journal_before


@pytest.mark.parametrize("site", ["cross-site", "same-site"])
def test_an_admin_call_a_browser_marks_as_from_another_site_gets_403(
    server: ThreadedServer, site: str
) -> None:
    response = requests.post(
        server.base_url + "/_mock/clock/freeze", headers={"Sec-Fetch-Site": site}, timeout=10
    )
    body = assert_api_error(response, 403, 40301)
    assert f"Sec-Fetch-Site: {site}" in body["message"]
    assert not clock_is_frozen(server)


def test_an_admin_call_from_a_page_with_an_opaque_origin_gets_403(server: ThreadedServer) -> None:
    response = requests.post(
        server.base_url + "/_mock/reset", headers={"Origin": "null"}, timeout=10
    )
    assert_api_error(response, 403, 40301)


def test_pages_of_the_servers_own_origin_and_non_browser_clients_change_state(
    server: ThreadedServer,
) -> None:
    own = server.base_url
    for headers in (
        {"Origin": own, "Sec-Fetch-Site": "same-origin"},  # e.g. /_mock/docs' "Try it out"
        {"Origin": own.replace("127.0.0.1", "localhost"), "Host": f"localhost:{server.port}"},
        {"Sec-Fetch-Site": "none"},  # typed into the address bar
        {},  # curl, requests, the rspace-mock admin commands
    ):
        response = requests.post(own + "/_mock/clock/freeze", headers=headers, timeout=10)
        assert response.status_code == 200, (headers, response.text)
        assert clock_is_frozen(server)
        requests.post(own + "/_mock/clock/unfreeze", timeout=10).raise_for_status()


def test_a_cross_origin_admin_read_is_answered(server: ThreadedServer) -> None:
    # The browser does not let the page read the answer (no CORS headers), and it changes
    # nothing; a rebinding page, which could read it, is stopped by its Host.
    response = get(server, "/_mock/clock", Origin=EVIL)
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


def test_allow_origin_and_the_public_url_origin_admit_their_pages() -> None:
    settings = Settings(
        port=0,
        allowed_origins=["https://dashboard.example:8443"],
        public_url="https://mock.example.org/base",
    )
    with ThreadedServer(settings) as running:
        for origin in ("https://dashboard.example:8443", "https://mock.example.org"):
            response = requests.post(
                running.base_url + "/_mock/reset", headers={"Origin": origin}, timeout=10
            )
            assert response.status_code == 200, (origin, response.text)
        other = requests.post(
            running.base_url + "/_mock/reset", headers={"Origin": EVIL}, timeout=10
        )
        assert other.status_code == 403


def test_a_cross_origin_call_to_rspaces_api_is_not_the_guards_business(
    server: ThreadedServer,
) -> None:
    # It needs an apiKey or Authorization header, which no page can add without a preflight
    # that the fake (like RSpace) does not grant.
    response = requests.post(
        server.base_url + "/api/v1/documents",
        json={"name": "from a page"},
        headers={"Origin": EVIL, **ALICE},
        timeout=10,
    )
    assert response.status_code == 201


def test_without_the_admin_api_its_paths_are_rspaces_404_even_cross_origin() -> None:
    with ThreadedServer(Settings(port=0, admin_enabled=False)) as running:
        response = requests.post(
            running.base_url + "/_mock/reset", headers={"Origin": EVIL}, timeout=10
        )
        assert_api_error(response, 404, 40401)


# -- flags and environment ----------------------------------------------------------------------


def test_allow_host_and_allow_origin_flags_repeat_and_normalise() -> None:
    args = build_parser().parse_args(
        ["serve", "--allow-host", "RSpace.Test", "--allow-host", "[::2]"]
        + ["--allow-origin", "HTTP://Proxy.Example:80/", "--allow-origin", "https://a.b:8443"]
    )
    settings = settings_from_args(args)
    assert settings.allowed_hosts == ["rspace.test", "::2"]
    assert settings.allowed_origins == ["http://proxy.example", "https://a.b:8443"]
    assert Settings.from_json(settings.to_json()).allowed_origins == settings.allowed_origins


def test_allow_host_and_allow_origin_come_from_the_environment_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RSPACE_MOCK_ALLOW_HOST", "a.test, b.test")
    monkeypatch.setenv("RSPACE_MOCK_ALLOW_ORIGIN", "http://localhost:3000")
    settings = settings_from_args(build_parser().parse_args(["serve"]))
    assert settings.allowed_hosts == ["a.test", "b.test"]
    assert settings.allowed_origins == ["http://localhost:3000"]
    flagged = settings_from_args(build_parser().parse_args(["serve", "--allow-host", "c.test"]))
    assert flagged.allowed_hosts == ["c.test"]


@pytest.mark.parametrize(
    ("flag", "value", "says"),
    [
        ("--allow-host", "rspace.test:8080", "without scheme or port"),
        ("--allow-host", "http://rspace.test", "without scheme or port"),
        ("--allow-origin", "http://localhost:3000/app", "no path"),
        ("--allow-origin", "localhost:3000", "scheme://host[:port]"),
    ],
)
def test_a_bad_allow_flag_stops_serve_saying_what_it_wants(
    flag: str, value: str, says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from mock_server.cli import main

    with pytest.raises(SystemExit) as stopped:
        main(["serve", flag, value])
    assert stopped.value.code == 2
    error = capsys.readouterr().err
    assert flag in error and says in error and repr(value) in error
