"""``make bench``: measure the fake and its baselines in one run, on one machine.

Starts each server itself (the fake on every backend, a bare FastAPI app, the Node
``oauth2-mock-server`` peer), loads it with ``wrk`` over loopback, and writes
``benchmarks/results/latest.json``, ``latest.md`` and ``latest.png``.

Nothing here is a test: numbers depend on the machine, so they are reported, never asserted.
Environment: ``RSPACE_MOCK_BENCH_SECONDS`` (length of each wrk run, default 4),
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
DURATION = float(os.environ.get("RSPACE_MOCK_BENCH_SECONDS", "4"))
NPROC = os.cpu_count() or 1
START_REPEATS = 3
NODE_PACKAGE = "oauth2-mock-server"

# Targets from the issue: (key, description, comparison, threshold)
TARGETS = {
    "startup": 1.2,
    "grants_vs_form": 0.6,
    "api_vs_get": 0.6,
    "list_ratio": 1.5,
    "rss_default_mb": 80.0,
}


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


def start_fake(
    backend: Backend, fixtures: Path | None, credentials: Credentials | None, pin: Pinning
) -> tuple[Server, float]:
    port = free_port()
    if credentials is not None:
        ready = token_ready(credentials.password_form())
    else:

        def ready(server: Server) -> bool:
            status, _ = post_form(server.url + "/oauth/token", {}, timeout=2)
            return status == 400  # no fixtures: a well-formed RSpace error is "up"

    server = Server(f"rspace-mock ({backend.name})", backend.command(fixtures, port), port, ready)
    seconds = server.start(pin.server)
    return server, seconds


def obtain_tokens(server: Server, creds: Credentials) -> dict[str, str]:
    status, opaque = post_form(server.url + "/oauth/token", creds.password_form())
    if status != 200:
        raise RuntimeError(f"password grant failed: {status} {opaque}")
    status, jwt = post_form(server.url + "/oauth/token", creds.password_form(is_jwt="true"))
    if status != 200:
        raise RuntimeError(f"JWT password grant failed: {status} {jwt}")
    return {"opaque": opaque["access_token"], "jwt": jwt["access_token"]}


def measure_fake(
    backend: Backend,
    load: Load,
    pin: Pinning,
    fixtures: dict[str, Path],
    creds: dict[str, Credentials],
) -> dict[str, Any]:
    out: dict[str, Any] = {"note": backend.note, "throughput": {}, "rss_mb": {}, "scale": {}}
    default = creds["default"]

    log(f"{backend.name}: start-up time x{START_REPEATS}")
    startups = []
    for _ in range(START_REPEATS):
        server, seconds = start_fake(backend, DEFAULT_FIXTURES, default, pin)
        startups.append(seconds)
        server.stop()
    out["startup_s"] = round(statistics.median(startups), 3)
    out["startup_runs_s"] = [round(s, 3) for s in startups]

    server, _ = start_fake(backend, None, None, pin)
    time.sleep(0.5)
    out["rss_mb"]["idle"] = server.rss_mb()
    server.stop()

    server, _ = start_fake(backend, DEFAULT_FIXTURES, default, pin)
    try:
        time.sleep(0.5)
        out["rss_mb"]["default_fixtures"] = server.rss_mb()
        tp = out["throughput"]
        form = urllib.parse.urlencode(default.password_form())
        url_form = {"Content-Type": "application/x-www-form-urlencoded"}
        log(f"{backend.name}: grants")
        tp["password grant"] = load.run(
            server.url + "/oauth/token", lua_static("POST", form, url_form)
        )
        jwt_form = urllib.parse.urlencode(default.password_form(is_jwt="true"))
        tp["password grant (JWT)"] = load.run(
            server.url + "/oauth/token", lua_static("POST", jwt_form, url_form)
        )
        chains = []
        for client_id, secret, username, password in default.chains:
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
        tp["refresh grant"] = load.run(
            server.url + "/oauth/token",
            lua_refresh_chains("/oauth/token", chains),
            threads=len(chains),
            connections=len(chains),
        )

        log(f"{backend.name}: API calls")
        tokens = obtain_tokens(server, default)
        status_url = server.url + "/api/v1/status"
        for label, headers in (
            ("API call, opaque Bearer", {"Authorization": f"Bearer {tokens['opaque']}"}),
            ("API call, JWT Bearer", {"Authorization": f"Bearer {tokens['jwt']}"}),
            ("API call, API key", {"apiKey": default.api_key}),
        ):
            tp[label] = load.run(status_url, lua_static("GET", headers=headers))
        key = {"apiKey": default.api_key}
        status, listing = get_json(server.url + "/api/v1/documents", key)
        tp["document list"] = load.run(
            server.url + "/api/v1/documents", lua_static("GET", headers=key)
        )
        document_id = listing["documents"][0]["id"]
        tp["document get"] = load.run(
            f"{server.url}/api/v1/documents/{document_id}", lua_static("GET", headers=key)
        )
    finally:
        server.stop()

    for size in ("small", "large"):
        log(f"{backend.name}: scale fixture {size}")
        c = creds[size]
        server, seconds = start_fake(backend, fixtures[size], c, pin)
        try:
            time.sleep(0.5)
            out["rss_mb"][f"{size}_fixture"] = server.rss_mb()
            tokens = obtain_tokens(server, c)
            out["scale"][size] = {
                "startup_s": round(seconds, 2),
                # one connection: latency without queueing
                "list": load.run(
                    server.url + "/api/v1/documents",
                    lua_static("GET", headers={"apiKey": c.api_key}),
                    threads=1,
                    connections=1,
                ),
                "validate": load.run(
                    server.url + "/api/v1/status",
                    lua_static("GET", headers={"Authorization": f"Bearer {tokens['opaque']}"}),
                    threads=1,
                    connections=1,
                ),
            }
        finally:
            server.stop()
    return out


# -- baselines ---------------------------------------------------------------------------


def measure_bare(load: Load, pin: Pinning, creds: Credentials) -> dict[str, Any]:
    out: dict[str, Any] = {"note": "benchmarks/baselines/bare_fastapi.py"}

    def server() -> Server:
        port = free_port()
        return Server(
            "bare FastAPI",
            [PYTHON, str(BENCH / "baselines" / "bare_fastapi.py"), "--port", str(port)],
            port,
            token_ready(creds.password_form()),
        )

    startups = []
    for _ in range(START_REPEATS):
        s = server()
        startups.append(s.start(pin.server))
        s.stop()
    out["startup_s"] = round(statistics.median(startups), 3)
    out["startup_runs_s"] = [round(x, 3) for x in startups]
    s = server()
    s.start(pin.server)
    try:
        time.sleep(0.5)
        out["rss_mb"] = {"idle": s.rss_mb()}
        form = urllib.parse.urlencode(creds.password_form())
        out["throughput"] = {
            "form POST": load.run(
                s.url + "/oauth/token",
                lua_static("POST", form, {"Content-Type": "application/x-www-form-urlencoded"}),
            ),
            "JSON GET": load.run(s.url + "/api/v1/documents", lua_static("GET")),
        }
    finally:
        s.stop()
    return out


def measure_node(load: Load, pin: Pinning, creds: Credentials) -> dict[str, Any]:
    modules, note = ensure_node_peer()
    if modules is None:
        log(f"node peer unavailable: {note}")
        return {"available": False, "note": note}
    port = free_port()
    form = {
        "grant_type": "password",
        "username": creds.username,
        "password": creds.password,
        "client_id": creds.client_id,
        "client_secret": creds.client_secret,
    }
    s = Server(
        "oauth2-mock-server",
        [shutil.which("node") or "node", str(BENCH / "baselines" / "node_peer.js"), str(port)],
        port,
        token_ready(form, "/token"),
        env={"NODE_PATH": str(modules)},
    )
    try:
        seconds = s.start(pin.server, timeout=60)
    except RuntimeError as exc:
        return {"available": False, "note": f"{note}: did not start: {exc}"}
    try:
        time.sleep(0.5)
        return {
            "available": True,
            "note": note,
            "startup_s": round(seconds, 3),
            "rss_mb": {"idle": s.rss_mb()},
            "throughput": {
                "password grant": load.run(
                    s.url + "/token",
                    lua_static(
                        "POST",
                        urllib.parse.urlencode(form),
                        {"Content-Type": "application/x-www-form-urlencoded"},
                    ),
                )
            },
        }
    finally:
        s.stop()


# -- report ------------------------------------------------------------------------------


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return round(a / b, 3)


def evaluate(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets, per backend: value, threshold, met or missed by how much."""
    bare = results["baselines"]["bare_fastapi"]
    node = results["baselines"]["node_oauth2_mock_server"]
    form_rps = bare["throughput"]["form POST"]["rps"]
    get_rps = bare["throughput"]["JSON GET"]["rps"]
    node_rps = node["throughput"]["password grant"]["rps"] if node.get("available") else None
    rows: list[dict[str, Any]] = []

    def add(backend: str, name: str, value: float | None, target: str, met: bool | None) -> None:
        rows.append(
            {"backend": backend, "target": name, "value": value, "goal": target, "met": met}
        )

    for backend, data in results["fake"].items():
        if "skipped" in data:
            continue
        tp = data["throughput"]
        r = ratio(data["startup_s"], bare["startup_s"])
        add(backend, "start-up / bare FastAPI", r, "<= 1.2", r is not None and r <= 1.2)
        for grant in ("password grant", "refresh grant"):
            r = ratio(tp[grant]["rps"], form_rps)
            add(backend, f"{grant}/s / bare form POST", r, ">= 0.6", r is not None and r >= 0.6)
            if node_rps is not None:
                r = ratio(tp[grant]["rps"], node_rps)
                add(backend, f"{grant}/s / Node peer", r, "> 1", r is not None and r > 1)
        for label in ("API call, opaque Bearer", "API call, JWT Bearer", "API call, API key"):
            r = ratio(tp[label]["rps"], get_rps)
            add(backend, f"{label}/s / bare JSON GET", r, ">= 0.6", r is not None and r >= 0.6)
        small, large = data["scale"]["small"], data["scale"]["large"]
        r = ratio(large["list"]["p50_ms"], small["list"]["p50_ms"])
        add(backend, "list p50, 100k / 1k documents", r, "< 1.5", r is not None and r < 1.5)
        r = ratio(large["validate"]["p50_ms"], small["validate"]["p50_ms"])
        add(backend, "token check p50, 10k / 10 users", r, "~ 1 (< 1.5)", r is not None and r < 1.5)
        rss = data["rss_mb"].get("default_fixtures")
        add(backend, "RSS MB, default fixtures", rss, "< 80", rss is not None and rss < 80)
    return rows


def fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def markdown(results: dict[str, Any]) -> str:
    meta = results["meta"]
    bare = results["baselines"]["bare_fastapi"]
    node = results["baselines"]["node_oauth2_mock_server"]
    form_rps = bare["throughput"]["form POST"]["rps"]
    get_rps = bare["throughput"]["JSON GET"]["rps"]
    lines = [
        "# Benchmark results",
        "",
        f"- date: {meta['date']}",
        f"- machine: {meta['nproc']} CPUs, {meta['cpu']}; {meta['platform']}",
        f"- Python {meta['python']}; wrk: {meta['wrk']}; {meta['pinning']}",
        f"- each wrk run {meta['duration_s']} s; {meta['connections']} connections "
        "unless noted; loopback only",
        f"- 1-minute load average before the run: {meta['load_average_before']:.2f}"
        + (
            " (other work was running: figures are noisy)"
            if meta["load_average_before"] > 0.7
            else ""
        ),
        "",
        "## Throughput (requests/s, latency under load)",
        "",
        "| server | request | req/s | p50 ms | p99 ms | errors | ratio to baseline |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for name, row in bare["throughput"].items():
        lines.append(
            f"| bare FastAPI | {name} | {fmt(row['rps'])} | {fmt(row['p50_ms'], 2)} "
            f"| {fmt(row['p99_ms'], 2)} | {row['errors']} | (baseline) |"
        )
    if node.get("available"):
        row = node["throughput"]["password grant"]
        lines.append(
            f"| Node oauth2-mock-server | password grant | {fmt(row['rps'])} "
            f"| {fmt(row['p50_ms'], 2)} | {fmt(row['p99_ms'], 2)} | {row['errors']} "
            f"| {fmt(ratio(row['rps'], form_rps), 2)}x bare form POST |"
        )
    for backend, data in results["fake"].items():
        if "skipped" in data:
            continue
        for name, row in data["throughput"].items():
            base = form_rps if "grant" in name else get_rps
            base_name = "bare form POST" if "grant" in name else "bare JSON GET"
            extra = f"{fmt(ratio(row['rps'], base), 2)}x {base_name}"
            if "grant" in name and node.get("available"):
                node_rps = node["throughput"]["password grant"]["rps"]
                extra += f"; {fmt(ratio(row['rps'], node_rps), 2)}x Node peer"
            lines.append(
                f"| rspace-mock ({backend}) | {name} | {fmt(row['rps'])} | {fmt(row['p50_ms'], 2)}"
                f" | {fmt(row['p99_ms'], 2)} | {row['errors']} | {extra} |"
            )
    if not node.get("available"):
        lines += ["", f"Node peer unavailable: {node['note']}"]

    lines += [
        "",
        "## Start-up: process start to first successful token response (median of "
        f"{START_REPEATS})",
        "",
        "| server | seconds | ratio to bare FastAPI |",
        "|---|---:|---:|",
        f"| bare FastAPI | {fmt(bare['startup_s'], 3)} | 1.00 |",
    ]
    if node.get("available"):
        lines.append(
            f"| Node oauth2-mock-server (1 run) | {fmt(node['startup_s'], 3)} "
            f"| {fmt(ratio(node['startup_s'], bare['startup_s']), 2)} |"
        )
    for backend, data in results["fake"].items():
        if "skipped" not in data:
            lines.append(
                f"| rspace-mock ({backend}), default fixtures | {fmt(data['startup_s'], 3)} "
                f"| {fmt(ratio(data['startup_s'], bare['startup_s']), 2)} |"
            )

    lines += ["", "## Memory (RSS, MB)", "", "| server | state | RSS MB |", "|---|---|---:|"]
    lines.append(f"| bare FastAPI | idle | {fmt(bare['rss_mb']['idle'])} |")
    if node.get("available"):
        lines.append(f"| Node oauth2-mock-server | idle | {fmt(node['rss_mb']['idle'])} |")
    labels = {
        "idle": "idle (no fixtures)",
        "default_fixtures": "default fixtures",
        "small_fixture": f"{meta['small_fixture']}",
        "large_fixture": f"{meta['large_fixture']}",
    }
    for backend, data in results["fake"].items():
        for key, value in data.get("rss_mb", {}).items():
            lines.append(f"| rspace-mock ({backend}) | {labels.get(key, key)} | {fmt(value)} |")

    lines += [
        "",
        "## Scale (one connection, so latency is service time)",
        "",
        f"small: {meta['small_fixture']}; large: {meta['large_fixture']}. The listing is the "
        "first page (20) of user `bench`, who owns 10% of the documents.",
        "",
        "| backend | measure | small p50 ms | large p50 ms | large / small |",
        "|---|---|---:|---:|---:|",
    ]
    for backend, data in results["fake"].items():
        if "skipped" in data:
            continue
        small, large = data["scale"]["small"], data["scale"]["large"]
        for key, label in (("list", "document list page"), ("validate", "opaque token check")):
            lines.append(
                f"| {backend} | {label} | {fmt(small[key]['p50_ms'], 3)} "
                f"| {fmt(large[key]['p50_ms'], 3)} "
                f"| {fmt(ratio(large[key]['p50_ms'], small[key]['p50_ms']), 2)} |"
            )
        lines.append(
            f"| {backend} | start-up with the fixture (s) | {fmt(small['startup_s'], 2)} "
            f"| {fmt(large['startup_s'], 2)} | |"
        )

    lines += [
        "",
        "## Targets",
        "",
        "| backend | target | value | goal | met |",
        "|---|---|---:|---|---|",
    ]
    for row in results["targets"]:
        met = "yes" if row["met"] else "**no**"
        lines.append(
            f"| {row['backend']} | {row['target']} | {fmt(row['value'], 2)} "
            f"| {row['goal']} | {met} |"
        )
    for backend, data in results["fake"].items():
        lines.append("")
        lines.append(f"- {backend}: {data.get('skipped') or data['note']}")
    if results.get("chart_note"):
        lines += ["", results["chart_note"]]
    return "\n".join(lines) + "\n"


def chart(results: dict[str, Any], path: Path) -> str | None:
    """A bar chart of requests/s; None when drawn, else why not."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "No chart: matplotlib is not installed (pip install matplotlib)."
    labels: list[str] = []
    values: list[float] = []
    colours: list[str] = []
    bare = results["baselines"]["bare_fastapi"]["throughput"]
    node = results["baselines"]["node_oauth2_mock_server"]
    for name, row in bare.items():
        labels.append(f"bare FastAPI: {name}")
        values.append(row["rps"])
        colours.append("#999999")
    if node.get("available"):
        labels.append("Node peer: password grant")
        values.append(node["throughput"]["password grant"]["rps"])
        colours.append("#6a9f58")
    palette = {"memory": "#4878a8", "sqlite": "#d1793b"}
    for backend, data in results["fake"].items():
        for name, row in data.get("throughput", {}).items():
            labels.append(f"{backend}: {name}")
            values.append(row["rps"])
            colours.append(palette.get(backend, "#555555"))
    figure, axis = plt.subplots(figsize=(10, 0.38 * len(labels) + 1.2))
    positions = list(range(len(labels)))[::-1]
    axis.barh(positions, values, color=colours)
    axis.set_yticks(positions, labels, fontsize=8)
    axis.set_xlabel("requests/s (wrk, loopback)")
    axis.set_title(f"rspace-mock benchmark, {results['meta']['date'][:10]}")
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
    results: dict[str, Any] = {
        "meta": {
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "nproc": NPROC,
            "cpu": cpu_model(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "wrk": (wrk_version.stdout or wrk_version.stderr).splitlines()[0].strip(),
            "pinning": pin.note,
            "duration_s": DURATION,
            "connections": 2 * NPROC,
            "load_average_before": os.getloadavg()[0],
            "small_fixture": "10 users, 1,000 documents",
            "large_fixture": "10,000 users, 100,000 documents",
        },
        "baselines": {},
        "fake": {},
    }
    with tempfile.TemporaryDirectory(prefix="rspace-bench-") as workdir:
        load = Load(wrk, pin.load, Path(workdir))
        log("baseline: bare FastAPI")
        results["baselines"]["bare_fastapi"] = measure_bare(load, pin, creds["default"])
        log("baseline: Node oauth2-mock-server")
        results["baselines"]["node_oauth2_mock_server"] = measure_node(load, pin, creds["default"])
        for backend in (memory_backend(), sqlite_backend(Path(workdir))):
            if backend.skip:
                log(f"{backend.name}: {backend.skip}")
                results["fake"][backend.name] = {"skipped": backend.skip}
                continue
            try:
                results["fake"][backend.name] = measure_fake(backend, load, pin, fixtures, creds)
            except RuntimeError as exc:
                log(f"{backend.name}: failed: {exc}")
                results["fake"][backend.name] = {"skipped": f"failed: {exc}"[:500]}
    results["targets"] = evaluate(results)
    results["meta"]["bench_seconds"] = round(time.perf_counter() - began, 1)
    results["chart_note"] = chart(results, RESULTS / "latest.png")
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / "latest.md").write_text(markdown(results))
    log(f"done in {results['meta']['bench_seconds']} s: {RESULTS / 'latest.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
