"""``make bench``: measure the fake and its baselines in one run, on one machine.

Starts each server itself (the fake on every backend, a bare FastAPI app, the Node
``oauth2-mock-server`` peer), loads it with ``wrk`` over loopback, and writes
``benchmarks/results/latest.json``, ``latest.md`` and ``latest.png``.

Nothing here is a test: numbers depend on the machine, so they are reported, never asserted.
Environment: ``RSPACE_MOCK_BENCH_SECONDS`` (length of each wrk run, default 2),
``RSPACE_MOCK_BENCH_ROUNDS`` (rounds over all throughput cases, default 3),
``RSPACE_MOCK_BENCH_CACHE`` (fixtures and the npm install; default ``~/.cache/rspace-mock-bench``).
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
sys.path.insert(0, str(BENCH))

from make_fixture import make_fixture  # noqa: E402

PYTHON = sys.executable
RSPACE_MOCK = Path(PYTHON).parent / "rspace-mock"
DEFAULT_FIXTURES = ROOT / "fixtures" / "default.json"
CACHE = Path(
    os.environ.get("RSPACE_MOCK_BENCH_CACHE") or Path.home() / ".cache" / "rspace-mock-bench"
)
DURATION = float(os.environ.get("RSPACE_MOCK_BENCH_SECONDS", "2"))
#: Every throughput case is measured once per round; medians and paired ratios over rounds.
ROUNDS = int(os.environ.get("RSPACE_MOCK_BENCH_ROUNDS", "3"))
NPROC = os.cpu_count() or 1
START_REPEATS = 3
NODE_PACKAGE = "oauth2-mock-server"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# -- machine -----------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


@dataclass
class Pinning:
    """Server on one core, load generator on the others, when there are at least two."""

    server: list[str]
    load: list[str]
    note: str


def pinning() -> Pinning:
    taskset = shutil.which("taskset")
    if taskset and NPROC >= 2:
        load_cores = f"1-{NPROC - 1}" if NPROC > 2 else "1"
        return Pinning(
            [taskset, "-c", "0"],
            [taskset, "-c", load_cores],
            f"server on core 0, wrk on cores {load_cores} (taskset)",
        )
    return Pinning([], [], "not pinned (taskset missing or a single core)")


# -- tools -------------------------------------------------------------------------------


def ensure_wrk() -> tuple[str | None, str]:
    found = shutil.which("wrk")
    if found:
        return found, "found on PATH"
    apt = shutil.which("apt-get")
    if apt is None:
        return None, "wrk is missing and apt-get is not available"
    log("wrk missing: installing the Debian package with apt-get")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    prefix = [] if os.geteuid() == 0 else ["sudo", "-n"]
    install = [*prefix, apt, "install", "-y", "-q", "wrk"]
    result = subprocess.run(install, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        subprocess.run([*prefix, apt, "update", "-q"], capture_output=True, env=env)
        result = subprocess.run(install, capture_output=True, text=True, env=env)
    found = shutil.which("wrk")
    if found:
        return found, "installed with apt-get"
    return None, f"apt-get install wrk failed: {result.stderr.strip()[-300:]}"


def ensure_node_peer() -> tuple[Path | None, str]:
    """npm-install ``oauth2-mock-server`` into the cache (never into the repository)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        return None, "node or npm is not installed"
    prefix = CACHE / "node"
    package = prefix / "node_modules" / "oauth2-mock-server" / "package.json"
    if not package.exists():
        log("installing oauth2-mock-server with npm (cached outside the repository)")
        prefix.mkdir(parents=True, exist_ok=True)
        try:
            result = subprocess.run(
                [
                    npm,
                    "install",
                    "--no-audit",
                    "--no-fund",
                    "--loglevel=error",
                    "oauth2-mock-server",
                ],
                cwd=prefix,
                capture_output=True,
                text=True,
                timeout=240,
            )
        except subprocess.TimeoutExpired:
            return None, "npm install oauth2-mock-server timed out"
        if result.returncode != 0 or not package.exists():
            reason = (result.stderr or result.stdout).strip().splitlines()
            return None, "npm install oauth2-mock-server failed: " + (
                reason[-1] if reason else f"exit {result.returncode}"
            )
    version = json.loads(package.read_text()).get("version", "?")
    return prefix / "node_modules", f"oauth2-mock-server {version}"


def code_version() -> str:
    """The commit measured, and whether the server's code differed from it."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "mock_server"],
            capture_output=True,
            text=True,
            cwd=ROOT,
        ).stdout.strip()
    except OSError:
        return "unknown (no git)"
    return f"{head}" + (" with uncommitted changes in mock_server/" if dirty else "")


def cli_has_state_flag() -> bool:
    result = subprocess.run(
        [str(RSPACE_MOCK), "serve", "--help"], capture_output=True, text=True, cwd=ROOT
    )
    return "--state" in result.stdout


# -- HTTP --------------------------------------------------------------------------------


def post_form(url: str, fields: dict[str, str], timeout: float = 5) -> tuple[int, Any]:
    data = urllib.parse.urlencode(fields).encode()
    request = urllib.request.Request(url, data=data, method="POST")
    request.add_header("Content-Type", "application/x-www-form-urlencoded")
    return _send(request, timeout)


def get_json(url: str, headers: dict[str, str], timeout: float = 5) -> tuple[int, Any]:
    return _send(urllib.request.Request(url, headers=headers), timeout)


def _send(request: urllib.request.Request, timeout: float) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        body, status = exc.read(), exc.code
    try:
        return status, json.loads(body) if body else None
    except ValueError:
        return status, body.decode(errors="replace")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- servers -----------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    argv: list[str]
    port: int
    #: Returns True once the server answers a token request successfully.
    ready: Callable[[Server], bool]
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    log_file: Any = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, pin: list[str], timeout: float = 180) -> float:
        """Start and wait for the first successful token response; seconds it took."""
        self.log_file = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop())
        started = time.perf_counter()
        self.process = subprocess.Popen(
            [*pin, *self.argv],
            cwd=ROOT,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            env={**os.environ, **self.env},
        )
        while time.perf_counter() - started < timeout:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited early:\n{self.output()}")
            try:
                if self.ready(self):
                    return time.perf_counter() - started
            except OSError:
                pass
            time.sleep(0.005)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer within {timeout} s")

    def output(self) -> str:
        if self.log_file is None:
            return ""
        self.log_file.seek(0)
        return str(self.log_file.read().decode(errors="replace")[-2000:])

    def rss_mb(self) -> float | None:
        if self.process is None:
            return None
        try:
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            return None
        return None

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        if self.log_file is not None:
            self.log_file.close()
            self.log_file = None


@dataclass
class Credentials:
    """Who the bench logs in as: from the fixture file the server was started with."""

    client_id: str
    client_secret: str
    username: str
    password: str
    api_key: str
    #: (client id, client secret, username, password) per independent token row.
    chains: list[tuple[str, str, str, str]]

    @classmethod
    def from_fixture(cls, data: dict[str, Any]) -> Credentials:
        users = [
            u
            for u in data["users"]
            if not u.get("accountLocked") and u.get("apiAccess", True) and u.get("apiKey")
        ]
        apps = data["apps"]
        chains = [
            (a["clientId"], a["clientSecret"], u["username"], u["password"])
            for u in users[:4]
            for a in apps[:2]
        ]
        return cls(
            apps[0]["clientId"],
            apps[0]["clientSecret"],
            users[0]["username"],
            users[0]["password"],
            users[0]["apiKey"],
            chains,
        )

    def password_form(self, **extra: str) -> dict[str, str]:
        return {
            "grant_type": "password",
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "username": self.username,
            "password": self.password,
            **extra,
        }


def token_ready(form: dict[str, str], path: str = "/oauth/token") -> Callable[[Server], bool]:
    def ready(server: Server) -> bool:
        status, body = post_form(server.url + path, form, timeout=2)
        return status == 200 and isinstance(body, dict) and "access_token" in body

    return ready


# -- wrk ---------------------------------------------------------------------------------

LUA_REPORT = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"mean_us":%.1f,' ..
    '"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.mean, e.connect, e.read, e.write, e.status, e.timeout))
end
"""


def lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string literal is a valid Lua string literal here


def lua_static(method: str, body: str | None = None, headers: dict[str, str] | None = None) -> str:
    lines = [f"wrk.method = {lua_string(method)}"]
    if body is not None:
        lines.append(f"wrk.body = {lua_string(body)}")
    for name, value in (headers or {}).items():
        lines.append(f"wrk.headers[{lua_string(name)}] = {lua_string(value)}")
    return "\n".join(lines) + "\n" + LUA_REPORT


def lua_refresh_chains(path: str, chains: list[tuple[str, str, str]]) -> str:
    """One wrk thread per token row; each sends the refresh token the last response gave it
    (RSpace rotates the refresh token on every refresh grant)."""
    table = ",\n".join("{" + ", ".join(lua_string(v) for v in chain) + "}" for chain in chains)
    return (
        f"local chains = {{\n{table}\n}}\nlocal next_chain = 0\n"
        + r"""
setup = function(thread)
  next_chain = next_chain + 1
  local chain = chains[next_chain]
  thread:set("client_id", chain[1])
  thread:set("client_secret", chain[2])
  thread:set("refresh", chain[3])
end

local function encode(text)
  return (text:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", c:byte()) end))
end

request = function()
  local body = "grant_type=refresh_token&client_id=" .. encode(client_id) ..
    "&client_secret=" .. encode(client_secret) .. "&refresh_token=" .. encode(refresh)
  return wrk.format("POST", """
        + lua_string(path)
        + r""", {["Content-Type"] = "application/x-www-form-urlencoded"}, body)
end

response = function(status, headers, body)
  local token = body:match('"refresh_token"%s*:%s*"([^"]+)"')
  if token then refresh = token end
end
"""
        + LUA_REPORT
    )


@dataclass
class Load:
    wrk: str
    pin: list[str]
    workdir: Path

    def run(
        self,
        url: str,
        script: str,
        threads: int | None = None,
        connections: int | None = None,
        duration: float = DURATION,
    ) -> dict[str, Any]:
        load_cores = max(1, NPROC - 1) if self.pin else NPROC
        threads = threads or load_cores
        connections = connections or 2 * NPROC
        script_path = self.workdir / f"s{time.monotonic_ns()}.lua"
        script_path.write_text(script)
        argv = [
            *self.pin,
            self.wrk,
            f"-t{threads}",
            f"-c{max(connections, threads)}",
            f"-d{max(1, round(duration))}s",
            "--timeout",
            "10s",
            "-s",
            str(script_path),
            url,
        ]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60)
        match = re.search(r"^WRKJSON (\{.*\})$", result.stdout, re.MULTILINE)
        if not match:
            raise RuntimeError(f"wrk gave no report:\n{result.stdout}\n{result.stderr}")
        raw = json.loads(match.group(1))
        errors = raw["connect"] + raw["read"] + raw["write"] + raw["status"] + raw["timeout"]
        seconds = raw["duration_us"] / 1e6
        return {
            "rps": round((raw["requests"] - errors) / seconds, 1),
            "p50_ms": round(raw["p50_us"] / 1000, 3),
            "p99_ms": round(raw["p99_us"] / 1000, 3),
            "requests": raw["requests"],
            "errors": errors,
            "non_2xx": raw["status"],
            "threads": threads,
            "connections": max(connections, threads),
        }


# -- the fake ----------------------------------------------------------------------------


@dataclass
class Backend:
    name: str
    #: argv of ``serve`` for this backend, given a fixtures path (or None) and a port.
    command: Callable[[Path | None, int], list[str]]
    note: str = ""
    #: Why this backend cannot be measured here, if it cannot.
    skip: str | None = None

    @property
    def label(self) -> str:
        return f"rspace-mock ({self.name})"


def memory_backend() -> Backend:
    def command(fixtures: Path | None, port: int) -> list[str]:
        source = ["--fixtures", str(fixtures)] if fixtures else ["--no-fixtures"]
        return [str(RSPACE_MOCK), "serve", "--port", str(port), "--log-level", "warning", *source]

    return Backend("memory", command, "rspace-mock serve")


def sqlite_backend(state_dir: Path) -> Backend:
    def command(fixtures: Path | None, port: int) -> list[str]:
        state = state_dir / f"state-{port}-{time.monotonic_ns()}.db"  # a fresh, empty state
        source = ["--fixtures", str(fixtures)] if fixtures else ["--no-fixtures"]
        return [
            str(RSPACE_MOCK),
            "serve",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--state",
            str(state),
            *source,
        ]

    if not cli_has_state_flag():
        return Backend("sqlite", command, skip="skipped: `rspace-mock serve` has no --state flag")
    return Backend("sqlite", command, "rspace-mock serve --state FILE (a new file per start)")


def fake_server(backend: Backend, fixtures: Path | None, creds: Credentials | None) -> Server:
    port = free_port()
    if creds is not None:
        ready = token_ready(creds.password_form())
    else:

        def ready(server: Server) -> bool:
            status, _ = post_form(server.url + "/oauth/token", {}, timeout=2)
            return status == 400  # no fixtures: a well-formed RSpace error means "up"

    return Server(backend.label, backend.command(fixtures, port), port, ready)


def bare_server(creds: Credentials) -> Server:
    port = free_port()
    return Server(
        BARE,
        [PYTHON, str(BENCH / "baselines" / "bare_fastapi.py"), "--port", str(port)],
        port,
        token_ready(creds.password_form()),
    )


def node_form(creds: Credentials) -> dict[str, str]:
    return {
        "grant_type": "password",
        "username": creds.username,
        "password": creds.password,
        "client_id": creds.client_id,
        "client_secret": creds.client_secret,
    }


def node_server(modules: Path, creds: Credentials) -> Server:
    port = free_port()
    return Server(
        NODE,
        [shutil.which("node") or "node", str(BENCH / "baselines" / "node_peer.js"), str(port)],
        port,
        token_ready(node_form(creds), "/token"),
        env={"NODE_PATH": str(modules)},
    )


def obtain_tokens(server: Server, creds: Credentials) -> dict[str, str]:
    """A fresh opaque token and a JWT built on the same row (both valid together)."""
    status, opaque = post_form(server.url + "/oauth/token", creds.password_form())
    if status != 200:
        raise RuntimeError(f"password grant failed: {status} {opaque}")
    status, jwt = post_form(server.url + "/oauth/token", creds.password_form(is_jwt="true"))
    if status != 200:
        raise RuntimeError(f"JWT password grant failed: {status} {jwt}")
    return {"opaque": opaque["access_token"], "jwt": jwt["access_token"]}


def refresh_chains(server: Server, creds: Credentials) -> list[tuple[str, str, str]]:
    chains = []
    for client_id, secret, username, password in creds.chains:
        status, body = post_form(
            server.url + "/oauth/token",
            {
                "grant_type": "password",
                "client_id": client_id,
                "client_secret": secret,
                "username": username,
                "password": password,
            },
        )
        if status == 200:
            chains.append((client_id, secret, body["refresh_token"]))
    if not chains:
        raise RuntimeError("no password grant succeeded: cannot start refresh chains")
    return chains


# -- measurements ------------------------------------------------------------------------

BARE = "bare FastAPI"
NODE = "Node oauth2-mock-server"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@dataclass
class Case:
    """One kind of request to one server, measured once per round."""

    key: str
    server: str
    request: str
    path: str
    #: Builds the wrk script just before each run (tokens must be fresh: grants replace them).
    script: Callable[[Server], str]
    #: Keys of the cases this one is compared with, measured in the same round.
    baselines: tuple[str, ...] = ()
    threads: int | None = None
    connections: int | None = None
    runs: list[dict[str, Any]] = field(default_factory=list)


def median_of(runs: list[dict[str, Any]], key: str) -> float:
    return round(statistics.median(r[key] for r in runs), 3)


def fake_cases(backend: Backend, creds: Credentials) -> list[Case]:
    label = backend.label
    form = urllib.parse.urlencode(creds.password_form())
    jwt_form = urllib.parse.urlencode(creds.password_form(is_jwt="true"))
    key = {"apiKey": creds.api_key}
    chain_count = len(creds.chains)

    def bearer(kind: str) -> Callable[[Server], str]:
        def script(server: Server) -> str:
            token = obtain_tokens(server, creds)[kind]
            return lua_static("GET", headers={"Authorization": f"Bearer {token}"})

        return script

    def document_path() -> str:
        return "/api/v1/documents/{first}"

    grants = ("bare:form", "node:password")
    gets = ("bare:get",)
    b = backend.name
    return [
        Case(
            f"{b}:password",
            label,
            "password grant",
            "/oauth/token",
            lambda _: lua_static("POST", form, FORM),
            grants,
        ),
        Case(
            f"{b}:password-jwt",
            label,
            "password grant (JWT)",
            "/oauth/token",
            lambda _: lua_static("POST", jwt_form, FORM),
            grants,
        ),
        Case(
            f"{b}:refresh",
            label,
            "refresh grant",
            "/oauth/token",
            lambda server: lua_refresh_chains("/oauth/token", refresh_chains(server, creds)),
            grants,
            threads=chain_count,
            connections=chain_count,
        ),
        Case(f"{b}:opaque", label, "API call, opaque Bearer", STATUS, bearer("opaque"), gets),
        Case(f"{b}:jwt", label, "API call, JWT Bearer", STATUS, bearer("jwt"), gets),
        Case(
            f"{b}:apikey",
            label,
            "API call, API key",
            STATUS,
            lambda _: lua_static("GET", headers=key),
            gets,
        ),
        Case(
            f"{b}:list",
            label,
            "document list",
            "/api/v1/documents",
            lambda _: lua_static("GET", headers=key),
            gets,
        ),
        Case(
            f"{b}:get",
            label,
            "document get",
            document_path(),
            lambda _: lua_static("GET", headers=key),
            gets,
        ),
    ]


STATUS = "/api/v1/status"


def first_document_id(server: Server, creds: Credentials) -> int:
    status, listing = get_json(server.url + "/api/v1/documents", {"apiKey": creds.api_key})
    if status != 200 or not listing.get("documents"):
        raise RuntimeError(f"cannot list documents: {status} {listing}")
    return int(listing["documents"][0]["id"])


def run_rounds(
    load: Load, servers: dict[str, Server], cases: list[Case], creds: Credentials
) -> None:
    """Every case once per round, rounds one after the other: a ratio is taken between runs of
    the same round, so a change in background load hits both sides of it alike."""
    first_ids: dict[str, int] = {}
    for round_number in range(ROUNDS):
        log(f"throughput round {round_number + 1}/{ROUNDS} ({len(cases)} runs)")
        for case in cases:
            server = servers[case.server]
            path = case.path
            if "{first}" in path:
                if case.server not in first_ids:
                    first_ids[case.server] = first_document_id(server, creds)
                path = path.format(first=first_ids[case.server])
            case.runs.append(
                load.run(
                    server.url + path,
                    case.script(server),
                    threads=case.threads,
                    connections=case.connections,
                )
            )


def summarise(cases: list[Case]) -> list[dict[str, Any]]:
    by_key = {c.key: c for c in cases}
    rows = []
    for case in cases:
        row: dict[str, Any] = {
            "key": case.key,
            "server": case.server,
            "request": case.request,
            "rps": median_of(case.runs, "rps"),
            "p50_ms": median_of(case.runs, "p50_ms"),
            "p99_ms": median_of(case.runs, "p99_ms"),
            "errors": sum(r["errors"] for r in case.runs),
            "runs": case.runs,
            "ratios": {},
        }
        for baseline_key in case.baselines:
            baseline = by_key.get(baseline_key)
            if baseline is None:
                continue
            paired = [
                mine["rps"] / theirs["rps"]
                for mine, theirs in zip(case.runs, baseline.runs, strict=True)
                if theirs["rps"]
            ]
            if paired:
                row["ratios"][baseline_key] = round(statistics.median(paired), 3)
        rows.append(row)
    return rows


def measure_startups(
    backends: list[Backend], modules: Path | None, creds: Credentials, pin: Pinning
) -> dict[str, list[float]]:
    """Process start to first successful token response, interleaved over the servers."""
    times: dict[str, list[float]] = {}
    for round_number in range(START_REPEATS):
        log(f"start-up round {round_number + 1}/{START_REPEATS}")
        makers: list[Callable[[], Server]] = [lambda: bare_server(creds)]
        if modules is not None:
            makers.append(lambda: node_server(modules, creds))
        for backend in backends:
            makers.append(lambda b=backend: fake_server(b, DEFAULT_FIXTURES, creds))
        for make in makers:
            server = make()
            try:
                times.setdefault(server.name, []).append(round(server.start(pin.server), 3))
            except RuntimeError as exc:
                if server.name != NODE:
                    raise
                log(f"node peer did not start: {exc}")  # the peer is optional
            finally:
                server.stop()
    return times


def measure_idle_rss(backends: list[Backend], pin: Pinning) -> dict[str, float | None]:
    rss = {}
    for backend in backends:
        server = fake_server(backend, None, None)
        server.start(pin.server)
        try:
            time.sleep(0.5)
            rss[backend.label] = server.rss_mb()
        finally:
            server.stop()
    return rss


def measure_scale(
    backend: Backend,
    load: Load,
    pin: Pinning,
    fixtures: dict[str, Path],
    creds: dict[str, Credentials],
) -> dict[str, Any]:
    """List and token-check latency on a small and a large state, one connection (service
    time, no queueing), small and large measured alternately."""
    log(f"{backend.name}: scale (starting the small and the large fixture)")
    out: dict[str, Any] = {"startup_s": {}, "rss_mb": {}, "list": {}, "validate": {}}
    servers: dict[str, Server] = {}
    try:
        for size in ("small", "large"):
            server = fake_server(backend, fixtures[size], creds[size])
            out["startup_s"][size] = round(server.start(pin.server), 2)
            servers[size] = server
            time.sleep(0.5)
            out["rss_mb"][size] = server.rss_mb()
        runs: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for _ in range(ROUNDS):
            for measure in ("list", "validate"):
                for size, server in servers.items():
                    c = creds[size]
                    if measure == "list":
                        url = server.url + "/api/v1/documents"
                        script = lua_static("GET", headers={"apiKey": c.api_key})
                    else:
                        url = server.url + STATUS
                        token = obtain_tokens(server, c)["opaque"]
                        script = lua_static("GET", headers={"Authorization": f"Bearer {token}"})
                    runs.setdefault((measure, size), []).append(
                        load.run(url, script, threads=1, connections=1)
                    )
        for (measure, size), measured in runs.items():
            out[measure][size] = {
                "p50_ms": median_of(measured, "p50_ms"),
                "p99_ms": median_of(measured, "p99_ms"),
                "rps": median_of(measured, "rps"),
                "errors": sum(r["errors"] for r in measured),
            }
        for measure in ("list", "validate"):
            paired = [
                large["p50_ms"] / small["p50_ms"]
                for small, large in zip(
                    runs[(measure, "small")], runs[(measure, "large")], strict=True
                )
                if small["p50_ms"]
            ]
            out[measure]["ratio"] = round(statistics.median(paired), 3)
    finally:
        for server in servers.values():
            server.stop()
    return out


# -- report ------------------------------------------------------------------------------


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return round(a / b, 3)


#: Why a target is missed, when it is, as far as the profiles say (shown only for misses).
EXPLANATIONS = {
    ("memory", "list"): "MemoryStore.query_documents filters and sorts all of the owner's "
    "documents on every request (O(n log n)) and deep-copies each page; it has no sorted index.",
    ("sqlite", "startup"): "Opening the state file (WAL, schema) and seeding the fixtures "
    "through one write transaction.",
    ("any", "api"): "Per request the fake runs six ASGI middlewares (journal, faults, path "
    "normalising, rate-limit headers, throttle, admin mount) and two thread-pool hops (the sync "
    "authenticate dependency and the sync endpoint); the bare app has none of them.",
    ("any", "grants"): "A grant does a salted SHA-256 password check, two token draws and a "
    "store write inside a transaction, on top of the same form parsing.",
}


def evaluate(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets, per backend: value, goal, met, and by how much when missed."""
    rows: list[dict[str, Any]] = []
    by_key = {row["key"]: row for row in results["throughput"]}
    servers = results["servers"]

    def add(
        backend: str,
        target: str,
        value: float | None,
        goal: str,
        limit: float,
        kind: str,
        higher_is_better: bool,
        why: str,
    ) -> None:
        if value is None:
            met, miss = None, None
        elif higher_is_better:
            met = value >= limit if goal.startswith(">=") else value > limit
            miss = None if met else f"{(1 - value / limit) * 100:.0f}% below"
        else:
            met = value <= limit if goal.startswith("<=") else value < limit
            miss = None if met else f"{(value / limit - 1) * 100:.0f}% above"
        rows.append(
            {
                "backend": backend,
                "target": target,
                "value": value,
                "goal": goal,
                "met": met,
                "missed_by": miss,
                "why": None if met or met is None else why,
                "kind": kind,
            }
        )

    bare_start = statistics.median(servers[BARE]["startup_runs_s"])
    for backend in ("memory", "sqlite"):
        label = f"rspace-mock ({backend})"
        data = servers.get(label, {})
        if "skipped" in data or not data:
            continue
        startup = ratio(statistics.median(data["startup_runs_s"]), bare_start)
        add(
            backend,
            "start-up / bare FastAPI",
            startup,
            "<= 1.2",
            1.2,
            "startup",
            False,
            EXPLANATIONS.get(
                (backend, "startup"), "Importing and building the app, and seeding the fixtures."
            ),
        )
        for grant in ("password", "refresh"):
            row = by_key.get(f"{backend}:{grant}")
            if row is None:
                continue
            add(
                backend,
                f"{row['request']}/s / bare form POST",
                row["ratios"].get("bare:form"),
                ">= 0.6",
                0.6,
                "grants",
                True,
                EXPLANATIONS[("any", "grants")],
            )
            if "node:password" in row["ratios"]:
                add(
                    backend,
                    f"{row['request']}/s / Node peer",
                    row["ratios"]["node:password"],
                    "> 1",
                    1.0,
                    "grants",
                    True,
                    EXPLANATIONS[("any", "grants")],
                )
        for api in ("opaque", "jwt", "apikey"):
            row = by_key.get(f"{backend}:{api}")
            if row is None:
                continue
            add(
                backend,
                f"{row['request']}/s / bare JSON GET",
                row["ratios"].get("bare:get"),
                ">= 0.6",
                0.6,
                "api",
                True,
                EXPLANATIONS[("any", "api")],
            )
        scale = results["scale"].get(backend, {})
        if "list" in scale:
            add(
                backend,
                "list p50, 100k / 1k documents",
                scale["list"]["ratio"],
                "< 1.5",
                1.5,
                "list",
                False,
                EXPLANATIONS.get((backend, "list"), "see the profile"),
            )
            add(
                backend,
                "token check p50, 10k / 10 users",
                scale["validate"]["ratio"],
                "< 1.5",
                1.5,
                "validate",
                False,
                "see the profile",
            )
        rss = data.get("rss_mb", {}).get("default_fixtures")
        add(
            backend,
            "RSS MB, default fixtures",
            rss,
            "< 80",
            80.0,
            "rss",
            False,
            "Python, FastAPI, pydantic and the app's modules.",
        )
    return rows


def fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def markdown(results: dict[str, Any]) -> str:
    meta = results["meta"]
    servers = results["servers"]
    names = {"bare:form": "bare form POST", "bare:get": "bare JSON GET", "node:password": "Node"}
    lines = [
        "# Benchmark results",
        "",
        f"- date: {meta['date']}; the whole bench took {meta['bench_seconds']} s",
        f"- code: {meta['code']}",
        f"- machine: {meta['nproc']} CPUs, {meta['cpu']}; {meta['platform']}",
        f"- Python {meta['python']}; {meta['wrk']}; {meta['pinning']}",
        f"- throughput: {meta['rounds']} rounds, every case once per round, {meta['duration_s']} s "
        f"per wrk run, {meta['connections']} connections unless noted; loopback only. Figures "
        "are medians over the rounds; a ratio is the median of the ratios within each round.",
        f"- 1-minute load average before the run: {meta['load_average_before']:.2f}"
        + (
            " (other work was running on this machine: absolute figures are noisy, the "
            "paired ratios less so)"
            if meta["load_average_before"] > 0.7
            else ""
        ),
        "",
        "## Throughput",
        "",
        "| server | request | req/s | p50 ms | p99 ms | errors | ratio to baselines |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for row in results["throughput"]:
        ratios = "; ".join(
            f"{fmt(value, 2)}x {names.get(key, key)}" for key, value in row["ratios"].items()
        )
        lines.append(
            f"| {row['server']} | {row['request']} | {fmt(row['rps'])} | {fmt(row['p50_ms'], 2)} "
            f"| {fmt(row['p99_ms'], 2)} | {row['errors']} | {ratios or '(baseline)'} |"
        )
    node = servers.get(NODE, {})
    if not node.get("available", True):
        lines += ["", f"Node peer unavailable: {node['note']}"]

    bare_start = servers[BARE]["startup_s"]
    lines += [
        "",
        f"## Start-up: process start to first successful token response (median of "
        f"{START_REPEATS}, interleaved)",
        "",
        "| server | seconds | runs | ratio to bare FastAPI |",
        "|---|---:|---|---:|",
    ]
    for name, data in servers.items():
        if "startup_s" in data:
            lines.append(
                f"| {name} | {fmt(data['startup_s'], 3)} | "
                f"{', '.join(fmt(x, 3) for x in data['startup_runs_s'])} "
                f"| {fmt(ratio(data['startup_s'], bare_start), 2)} |"
            )

    labels = {
        "idle": "idle (no fixtures)",
        "default_fixtures": "default fixtures",
        "small_fixture": meta["small_fixture"],
        "large_fixture": meta["large_fixture"],
    }
    lines += ["", "## Memory (RSS, MB)", "", "| server | state | RSS MB |", "|---|---|---:|"]
    for name, data in servers.items():
        for key, value in data.get("rss_mb", {}).items():
            lines.append(f"| {name} | {labels.get(key, key)} | {fmt(value)} |")

    lines += [
        "",
        "## Scale (one connection: latency is service time)",
        "",
        f"small: {meta['small_fixture']}; large: {meta['large_fixture']}. The listing is the "
        "first page (20) of user `bench`, who owns 10% of the documents; the token check is "
        "`GET /api/v1/status` with an opaque Bearer token.",
        "",
        "| backend | measure | small p50 ms | large p50 ms | large / small |",
        "|---|---|---:|---:|---:|",
    ]
    for backend, scale in results["scale"].items():
        for key, label in (("list", "document list page"), ("validate", "opaque token check")):
            lines.append(
                f"| {backend} | {label} | {fmt(scale[key]['small']['p50_ms'], 3)} "
                f"| {fmt(scale[key]['large']['p50_ms'], 3)} | {fmt(scale[key]['ratio'], 2)} |"
            )
        lines.append(
            f"| {backend} | start-up with the fixture, s | {fmt(scale['startup_s']['small'], 2)} "
            f"| {fmt(scale['startup_s']['large'], 2)} | |"
        )

    lines += [
        "",
        "## Targets",
        "",
        "| backend | target | value | goal | met | missed by |",
        "|---|---|---:|---|---|---|",
    ]
    whys: dict[str, str] = {}
    for row in results["targets"]:
        met = {True: "yes", False: "**no**", None: "n/a"}[row["met"]]
        lines.append(
            f"| {row['backend']} | {row['target']} | {fmt(row['value'], 2)} | {row['goal']} "
            f"| {met} | {row['missed_by'] or ''} |"
        )
        if row["why"]:
            whys.setdefault(f"{row['backend']}, {row['kind']}", row["why"])
    if whys:
        lines += ["", "Why targets are missed (from profiles of this code):", ""]
        lines += [f"- {where}: {why}" for where, why in whys.items()]
    lines += ["", "Servers:", ""]
    for name, data in servers.items():
        lines.append(f"- {name}: {data.get('skipped') or data.get('note', '')}")
    if results.get("chart_note"):
        lines += ["", results["chart_note"]]
    return "\n".join(lines) + "\n"


def chart(results: dict[str, Any], path: Path) -> str | None:
    """Requests/s per case, baselines in grey; None when drawn, else why not."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "No chart: matplotlib is not installed (pip install matplotlib)."
    palette = {BARE: "#999999", NODE: "#6a9f58", "rspace-mock (memory)": "#4878a8"}
    rows = results["throughput"]
    labels = [f"{r['server']}: {r['request']}" for r in rows]
    values = [r["rps"] for r in rows]
    colours = [palette.get(r["server"], "#d1793b") for r in rows]
    figure, axis = plt.subplots(figsize=(10, 0.38 * len(labels) + 1.2))
    positions = list(range(len(labels)))[::-1]
    axis.barh(positions, values, color=colours)
    axis.set_yticks(positions, labels, fontsize=8)
    axis.set_xlabel(f"requests/s (wrk over loopback, median of {results['meta']['rounds']} runs)")
    axis.set_title(f"rspace-mock and baselines, {results['meta']['date'][:10]}")
    for y, value in zip(positions, values, strict=True):
        axis.text(value, y, f" {value:,.0f}", va="center", fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return None


# -- main --------------------------------------------------------------------------------


def prepare_fixtures() -> dict[str, Path]:
    CACHE.mkdir(parents=True, exist_ok=True)
    specs = {"small": (10, 1_000), "large": (10_000, 100_000)}
    paths = {}
    for name, (users, documents) in specs.items():
        path = CACHE / f"fixture-{users}u-{documents}d.json"
        if not path.exists():
            log(f"writing {path.name}")
            data = make_fixture(users, documents, apps=2)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(data), encoding="utf-8")
            tmp.replace(path)
        paths[name] = path
    return paths


def main() -> int:
    began = time.perf_counter()
    RESULTS.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()[0]
    wrk, wrk_note = ensure_wrk()
    if wrk is None:
        print(f"bench: cannot run without wrk: {wrk_note}", file=sys.stderr)
        return 1
    wrk_version = subprocess.run([wrk, "-v"], capture_output=True, text=True)
    pin = pinning()
    fixtures = prepare_fixtures()
    creds = {
        "default": Credentials.from_fixture(json.loads(DEFAULT_FIXTURES.read_text())),
        **{k: Credentials.from_fixture(json.loads(p.read_text())) for k, p in fixtures.items()},
    }
    default = creds["default"]
    modules, node_note = ensure_node_peer()
    results: dict[str, Any] = {
        "meta": {
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "code": code_version(),
            "nproc": NPROC,
            "cpu": cpu_model(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "wrk": (wrk_version.stdout or wrk_version.stderr).splitlines()[0].strip(),
            "pinning": pin.note,
            "duration_s": DURATION,
            "rounds": ROUNDS,
            "connections": 2 * NPROC,
            "load_average_before": load_before,
            "small_fixture": "10 users, 1,000 documents",
            "large_fixture": "10,000 users, 100,000 documents",
        },
        "servers": {
            BARE: {"note": "benchmarks/baselines/bare_fastapi.py (uvicorn, as the fake is run)"},
            NODE: {"available": modules is not None, "note": node_note},
        },
        "throughput": [],
        "scale": {},
    }
    servers_info = results["servers"]
    with tempfile.TemporaryDirectory(prefix="rspace-bench-") as workdir:
        load = Load(wrk, pin.load, Path(workdir))
        backends = []
        for backend in (memory_backend(), sqlite_backend(Path(workdir))):
            if backend.skip:
                log(f"{backend.name}: {backend.skip}")
                servers_info[backend.label] = {"skipped": backend.skip}
            else:
                servers_info[backend.label] = {"note": backend.note, "rss_mb": {}}
                backends.append(backend)

        for name, runs in measure_startups(backends, modules, default, pin).items():
            if len(runs) < START_REPEATS:
                continue  # the node peer failed to start in some round
            servers_info[name]["startup_runs_s"] = runs
            servers_info[name]["startup_s"] = round(statistics.median(runs), 3)
        for name, rss in measure_idle_rss(backends, pin).items():
            servers_info[name]["rss_mb"]["idle"] = rss

        log("starting every server for the throughput rounds")
        running: dict[str, Server] = {}
        try:
            running[BARE] = bare_server(default)
            if modules is not None:
                running[NODE] = node_server(modules, default)
            for backend in backends:
                running[backend.label] = fake_server(backend, DEFAULT_FIXTURES, default)
            for name, server in list(running.items()):
                try:
                    server.start(pin.server)
                except RuntimeError as exc:
                    if name != NODE:
                        raise
                    # The peer is optional: report it unavailable and go on without it.
                    servers_info[NODE] = {"available": False, "note": f"did not start: {exc}"}
                    del running[NODE]
            time.sleep(0.5)
            servers_info[BARE]["rss_mb"] = {"idle": running[BARE].rss_mb()}
            if NODE in running:
                servers_info[NODE]["rss_mb"] = {"idle": running[NODE].rss_mb()}
            for backend in backends:
                servers_info[backend.label]["rss_mb"]["default_fixtures"] = running[
                    backend.label
                ].rss_mb()

            form = urllib.parse.urlencode(default.password_form())
            cases = [
                Case(
                    "bare:form",
                    BARE,
                    "form POST",
                    "/oauth/token",
                    lambda _: lua_static("POST", form, FORM),
                ),
            ]
            if NODE in running:
                node_body = urllib.parse.urlencode(node_form(default))
                cases.append(
                    Case(
                        "node:password",
                        NODE,
                        "password grant",
                        "/token",
                        lambda _: lua_static("POST", node_body, FORM),
                        ("bare:form",),
                    )
                )
            cases.append(
                Case("bare:get", BARE, "JSON GET", "/api/v1/documents", lambda _: lua_static("GET"))
            )
            for backend in backends:
                cases.extend(fake_cases(backend, default))
            run_rounds(load, running, cases, default)
            results["throughput"] = summarise(cases)
        finally:
            for server in running.values():
                server.stop()

        for backend in backends:
            try:
                scale = measure_scale(backend, load, pin, fixtures, creds)
            except RuntimeError as exc:
                log(f"{backend.name}: scale failed: {exc}")
                continue
            results["scale"][backend.name] = scale
            servers_info[backend.label]["rss_mb"]["small_fixture"] = scale["rss_mb"]["small"]
            servers_info[backend.label]["rss_mb"]["large_fixture"] = scale["rss_mb"]["large"]
    results["targets"] = evaluate(results)
    results["meta"]["bench_seconds"] = round(time.perf_counter() - began, 1)
    results["chart_note"] = chart(results, RESULTS / "latest.png")
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / "latest.md").write_text(markdown(results))
    log(f"done in {results['meta']['bench_seconds']} s: {RESULTS / 'latest.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
