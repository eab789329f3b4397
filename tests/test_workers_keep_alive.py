"""``serve --workers N``: a keep-alive client is served as fast as by one worker (no Nagle
delay on the sockets the workers accept)."""

from __future__ import annotations

import asyncio
import http.client
import socket
import statistics
import threading
import time
from collections.abc import Callable
from pathlib import Path

import uvicorn

from mock_server import Settings, create_app
from mock_server.cli import worker_listener
from tests.conftest import ServedMock
from tests.http_helpers import API_KEYS

Serve = Callable[..., ServedMock]

#: Nagle's algorithm against the client's delayed ACK costs about 40 ms a request; the fake
#: itself answers a status call in about a millisecond. Far from both, so robust on a busy
#: machine.
KEEP_ALIVE_MEDIAN_LIMIT_MS = 15.0


def timed_keep_alive_requests(url: str, count: int) -> tuple[list[float], set[int]]:
    """``count`` API calls over one HTTP/1.1 connection: their latencies in ms, and the local
    ports used (one, if the connection was really kept alive)."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    latencies, local_ports = [], set()
    try:
        for _ in range(count):
            started = time.perf_counter()
            connection.request("GET", "/api/v1/status", headers={"apiKey": API_KEYS["alice"]})
            response = connection.getresponse()
            response.read()
            latencies.append((time.perf_counter() - started) * 1000)
            assert response.status == 200
            assert connection.sock is not None
            local_ports.add(connection.sock.getsockname()[1])
    finally:
        connection.close()
    return latencies, local_ports


def test_keep_alive_requests_to_workers_are_not_held_back_by_nagle(
    serve_mock: Serve, tmp_path: Path
) -> None:
    server = serve_mock("--state", str(tmp_path / "state.sqlite"), "--workers", "2")
    timed_keep_alive_requests(server.url, 5)  # warm up both workers' connections
    latencies, local_ports = timed_keep_alive_requests(server.url, 50)
    assert len(local_ports) == 1, "the connection was not kept alive"
    median = statistics.median(latencies)
    assert median < KEEP_ALIVE_MEDIAN_LIMIT_MS, (
        f"median keep-alive latency {median:.1f} ms with --workers 2 "
        f"(limit {KEEP_ALIVE_MEDIAN_LIMIT_MS} ms; about 40 ms means Nagle's algorithm is on)"
    )


def test_every_connection_accepted_on_the_workers_socket_has_tcp_nodelay() -> None:
    config = uvicorn.Config(
        create_app(Settings(random_seed=1)),
        host="127.0.0.1",
        port=0,
        lifespan="off",
        log_level="warning",
        access_log=False,
    )
    listener = worker_listener(config)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[listener])))
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.01)
        assert server.started
        port = listener.getsockname()[1]
        connections = [http.client.HTTPConnection("127.0.0.1", port, timeout=10) for _ in "ab"]
        for connection in connections:
            connection.request("GET", "/api/v1/status", headers={"apiKey": API_KEYS["alice"]})
            connection.getresponse().read()
        accepted = [
            protocol.transport.get_extra_info("socket")
            for protocol in server.server_state.connections
        ]
        assert len(accepted) == len(connections)
        for sock in accepted:
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        for connection in connections:
            connection.close()
    finally:
        server.should_exit = True
        thread.join(20)
        listener.close()
