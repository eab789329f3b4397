"""The bench's machinery: the machine, the tools (wrk, the npm peer), HTTP helpers, server
processes and wrk runs with Lua scripts. ``run.py`` decides what to measure."""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
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
BARE = "bare FastAPI"
NODE = "Node oauth2-mock-server"
#: A PostgreSQL server the bench may create databases on (``scripts/postgres.sh run`` sets it).
POSTGRES_DSN_ENV = "RSPACE_MOCK_TEST_POSTGRES"
#: The prefix of every database the bench creates, so that none is mistaken for another's.
BENCH_DATABASE_PREFIX = "rspace_mock_bench_"


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


def patch_json(url: str, body: dict[str, Any], timeout: float = 5) -> tuple[int, Any]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="PATCH")
    request.add_header("Content-Type", "application/json")
    return _send(request, timeout)


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


# -- PostgreSQL --------------------------------------------------------------------------


def without_password(dsn: str) -> str:
    """The DSN as it may appear in a report."""
    parts = urllib.parse.urlsplit(dsn)
    if parts.password is None:
        return dsn
    userinfo, _, host_and_port = parts.netloc.rpartition("@")
    user = userinfo.partition(":")[0]
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{user}:***@{host_and_port}"))


class PostgresDatabases:
    """Fresh, empty databases on one PostgreSQL server, one per server start (as a new SQLite
    file is), all dropped by :meth:`drop_all`."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.created: list[str] = []

    @classmethod
    def from_environment(cls) -> tuple[PostgresDatabases | None, str]:
        """The databases and the server's version, or None and why the backend is skipped."""
        dsn = os.environ.get(POSTGRES_DSN_ENV, "").strip()
        if not dsn:
            return None, f"skipped: {POSTGRES_DSN_ENV} is not set (`make bench` sets it)"
        try:
            import psycopg
        except ImportError:
            return None, "skipped: psycopg is not installed (pip install -e '.[postgres]')"
        try:
            with psycopg.connect(dsn, autocommit=True, connect_timeout=10) as admin:
                row = admin.execute("SHOW server_version").fetchone()
                admin.execute(f"CREATE DATABASE {BENCH_DATABASE_PREFIX}probe_{os.getpid()}")
                admin.execute(f"DROP DATABASE {BENCH_DATABASE_PREFIX}probe_{os.getpid()}")
        except psycopg.Error as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            return None, f"skipped: cannot create databases on {without_password(dsn)}: {reason}"
        return cls(dsn), f"PostgreSQL {str(row[0]).split()[0] if row else '(version unknown)'}"

    def create(self) -> str:
        """The DSN of a new, empty database."""
        import psycopg

        name = f"{BENCH_DATABASE_PREFIX}{os.getpid()}_{len(self.created)}"
        with psycopg.connect(self.dsn, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name}")
            admin.execute(f"CREATE DATABASE {name}")
        self.created.append(name)
        return urllib.parse.urlunsplit(urllib.parse.urlsplit(self.dsn)._replace(path=f"/{name}"))

    def drop_all(self) -> None:
        """Drop every database made (the servers are stopped by now). A plain drop, tried
        again while the server's own autovacuum worker is still on one: ``WITH (FORCE)``
        would have to end that process, which only a superuser may."""
        import psycopg

        with psycopg.connect(self.dsn, autocommit=True) as admin:
            while self.created:
                name = self.created.pop()
                for _ in range(100):
                    try:
                        admin.execute(f"DROP DATABASE IF EXISTS {name}")
                        break
                    except (psycopg.errors.ObjectInUse, psycopg.errors.InsufficientPrivilege):
                        time.sleep(0.1)


# -- servers -----------------------------------------------------------------------------


class StartTimeout(RuntimeError):
    """The server did not answer within the time it was given."""


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
        raise StartTimeout(f"{self.name} did not answer within {timeout:g} s")

    def output(self) -> str:
        if self.log_file is None:
            return ""
        self.log_file.seek(0)
        return str(self.log_file.read().decode(errors="replace")[-2000:])

    def error_lines(self, most: int = 5) -> list[str]:
        """The first few distinct lines of the server's output that report an error."""
        if self.log_file is None:
            return []
        self.log_file.seek(0)
        found: list[str] = []
        for line in self.log_file.read().decode(errors="replace").splitlines():
            text = line.strip()[:300]
            if ("ERROR" in text or "Traceback" in text) and text not in found:
                found.append(text)
                if len(found) == most:
                    break
        return found

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


def lua_spread(ports: list[int], script: str) -> str:
    """``script``, with wrk's threads spread round-robin over servers on these loopback ports
    (every request still carries the first server's Host header)."""
    table = ", ".join(str(p) for p in ports)
    return (
        f"local ports = {{{table}}}\nlocal next_thread = 0\n"
        + r"""
setup = function(thread)
  thread.addr = wrk.lookup("127.0.0.1", tostring(ports[next_thread % #ports + 1]))[1]
  next_thread = next_thread + 1
end
"""
        + script
    )


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
