"""``make bench``: measure the fake and its baselines in one run, on one machine.

Starts each server itself (the fake on every backend, a bare FastAPI app, the Node
``oauth2-mock-server`` peer), loads it with ``wrk`` over loopback, and writes
``benchmarks/results/latest.json``, ``latest.md`` and ``latest.png``.

Nothing here is a test: numbers depend on the machine, so they are reported, never asserted.
Environment: ``RSPACE_MOCK_BENCH_SECONDS`` (length of each wrk run, default 2),
``RSPACE_MOCK_BENCH_ROUNDS`` (rounds over all throughput cases, default 3),
``RSPACE_MOCK_BENCH_CACHE`` (fixtures and the npm install; default ``~/.cache/rspace-mock-bench``),
``RSPACE_MOCK_TEST_POSTGRES`` (a PostgreSQL server to create the PostgreSQL backend's databases
on; without it that backend is reported as skipped).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
sys.path.insert(0, str(BENCH))

from harness import (  # noqa: E402
    BARE,
    CACHE,
    DEFAULT_FIXTURES,
    DURATION,
    NODE,
    NPROC,
    PYTHON,
    ROUNDS,
    RSPACE_MOCK,
    START_REPEATS,
    Credentials,
    Load,
    Pinning,
    PostgresDatabases,
    Server,
    StartTimeout,
    cli_has_state_flag,
    code_version,
    cpu_model,
    ensure_node_peer,
    ensure_wrk,
    free_port,
    get_json,
    log,
    lua_refresh_chains,
    lua_spread,
    lua_static,
    patch_json,
    pinning,
    post_form,
    token_ready,
)
from make_fixture import make_fixture  # noqa: E402
from report import (  # noqa: E402
    JOURNAL_OFF,
    SERVERS_KEY,
    chart,
    evaluate,
    journal_off_key,
    markdown,
)

# -- the fake ----------------------------------------------------------------------------


@dataclass
class Backend:
    name: str
    #: argv of ``serve`` for this backend, given a fixtures path (or None) and a port.
    command: Callable[[Path | None, int], list[str]]
    note: str = ""
    #: Why this backend cannot be measured here, if it cannot.
    skip: str | None = None
    #: Longest wait for a server of the scale case to seed its fixture and answer (None: the
    #: servers' usual limit); a size that takes longer is reported as skipped.
    seed_limit: float | None = None

    @property
    def label(self) -> str:
        return f"rspace-mock ({self.name})"


def serve_argv(port: int, fixtures: Path | None, *flags: str) -> list[str]:
    source = ["--fixtures", str(fixtures)] if fixtures else ["--no-fixtures"]
    return [
        str(RSPACE_MOCK),
        "serve",
        "--port",
        str(port),
        "--log-level",
        "warning",
        *flags,
        *source,
    ]


def memory_backend() -> Backend:
    def command(fixtures: Path | None, port: int) -> list[str]:
        return serve_argv(port, fixtures)

    return Backend("memory", command, "rspace-mock serve")


JOURNAL_OFF_NOTE = ', the journal switched off (PATCH /_mock/settings {"journal": false})'


def sqlite_backend(state_dir: Path, workers: int = 1, journal: bool = True) -> Backend:
    def command(fixtures: Path | None, port: int) -> list[str]:
        state = state_dir / f"state-{port}-{time.monotonic_ns()}.db"  # a fresh, empty state
        workers_flag = ["--workers", str(workers)] if workers > 1 else []
        return serve_argv(port, fixtures, "--state", str(state), *workers_flag)

    name = "sqlite" if workers == 1 else f"sqlite, {workers} workers"
    name += "" if journal else f", {JOURNAL_OFF}"
    if not cli_has_state_flag():
        return Backend(name, command, skip="skipped: `rspace-mock serve` has no --state flag")
    flags = "--state FILE" if workers == 1 else f"--state FILE --workers {workers}"
    note = f"rspace-mock serve {flags} (a new file per start)"
    return Backend(name, command, note + ("" if journal else JOURNAL_OFF_NOTE))


#: How long the PostgreSQL scale case may take to seed a fixture and answer.
POSTGRES_SEED_LIMIT = 60.0


def postgresql_backend(
    databases: PostgresDatabases | None,
    about: str,
    servers: int = 1,
    journal: bool = True,
) -> Backend:
    """The fake on PostgreSQL: ``servers`` consecutive starts share one new, empty database
    (the first of them seeds it). ``about`` is why there are no ``databases``, else the
    PostgreSQL server's version."""
    starts = 0
    state = ""

    def command(fixtures: Path | None, port: int) -> list[str]:
        nonlocal starts, state
        if databases is None:
            raise RuntimeError(about)
        if starts % servers == 0:
            state = databases.create()
        starts += 1
        return serve_argv(port, fixtures, "--state", state)

    name = "postgresql" if servers == 1 else f"postgresql, {servers} servers"
    name += "" if journal else f", {JOURNAL_OFF}"
    if databases is None:
        return Backend(name, command, skip=about)
    if not cli_has_state_flag():
        return Backend(name, command, skip="skipped: `rspace-mock serve` has no --state flag")
    shared = (
        "a new, empty database per start"
        if servers == 1
        else f"{servers} servers on one new database"
    )
    note = f"rspace-mock serve --state postgresql://... ({shared}; {about})"
    return Backend(
        name,
        command,
        note + ("" if journal else JOURNAL_OFF_NOTE),
        seed_limit=POSTGRES_SEED_LIMIT,
    )


def switch_journal_off(server: Server) -> None:
    status, body = patch_json(server.url + "/_mock/settings", {"journal": False})
    if status != 200 or not isinstance(body, dict) or body.get("journal") is not False:
        raise RuntimeError(f"{server.name}: cannot switch the journal off: {status} {body}")


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


def fake_cases(
    backend: Backend, creds: Credentials, journal_off: Backend | None = None
) -> list[Case]:
    """Every request kind on this backend; with ``journal_off`` (the same backend, its journal
    switched off), also the API-key calls to that server, right after the same calls to this
    one: the API-key row then gives journal on / journal off."""
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
    off = (journal_off_key(b),) if journal_off else ()
    cases = [
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
            (*gets, *off),
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
    if journal_off is not None:
        after = next(i for i, c in enumerate(cases) if c.key == f"{b}:apikey") + 1
        cases.insert(
            after,
            Case(
                journal_off_key(b),
                journal_off.label,
                "API call, API key",
                STATUS,
                lambda _: lua_static("GET", headers=key),
                gets,
            ),
        )
    return cases


STATUS = "/api/v1/status"

#: Worker processes of the workers row (compared with the one-worker SQLite server).
WORKERS = 2


def workers_case(backend: Backend, creds: Credentials) -> Case:
    """API-key calls over wrk's keep-alive connections to ``--workers 2``, paired with the same
    calls to one worker: a keep-alive request must not cost more with workers (it did, about
    40 ms each, while the workers' sockets had Nagle's algorithm on)."""
    return Case(
        "workers:apikey",
        backend.label,
        "API call, API key",
        STATUS,
        lambda _: lua_static("GET", headers={"apiKey": creds.api_key}),
        ("sqlite:apikey",),
    )


#: Servers of the PostgreSQL servers row (compared with one PostgreSQL server).
SERVERS = 2


def servers_case(label: str, ports: list[int], load_threads: int, creds: Credentials) -> Case:
    """API-key calls over keep-alive connections spread evenly over ``SERVERS`` servers on one
    PostgreSQL database (each wrk thread keeps to one server), paired with the same calls to
    one server: the cost of sharing one database between servers."""
    threads = SERVERS * max(1, load_threads // SERVERS)
    return Case(
        SERVERS_KEY,
        label,
        "API call, API key",
        STATUS,
        lambda _: lua_spread(ports, lua_static("GET", headers={"apiKey": creds.api_key})),
        ("postgresql:apikey",),
        threads=threads,
    )


def first_document_id(server: Server, creds: Credentials) -> int:
    status, listing = get_json(server.url + "/api/v1/documents", {"apiKey": creds.api_key})
    if status != 200 or not listing.get("documents"):
        raise RuntimeError(f"cannot list documents: {status} {listing}")
    return int(listing["documents"][0]["id"])


def progress(cases: list[Case], title: str) -> Iterable[Case]:
    """The cases, with a progress bar (and the case being run) on a terminal; as they are
    elsewhere (a CI log gets the round's log line only)."""
    if not sys.stderr.isatty():
        return cases
    try:
        from tqdm import tqdm
    except ImportError:  # the bench extra brings it; without it, no bar
        return cases
    return _with_bar(tqdm(cases, desc=title, unit="run", leave=False))


def _with_bar(bar: Any) -> Iterator[Case]:
    for case in bar:
        bar.set_postfix_str(case.key, refresh=False)
        yield case


def run_rounds(
    load: Load, servers: dict[str, Server], cases: list[Case], creds: Credentials
) -> None:
    """Every case once per round, rounds one after the other: a ratio is taken between runs of
    the same round, so a change in background load hits both sides of it alike."""
    first_ids: dict[str, int] = {}
    for round_number in range(ROUNDS):
        log(f"throughput round {round_number + 1}/{ROUNDS} ({len(cases)} runs)")
        for case in progress(cases, f"round {round_number + 1}/{ROUNDS}"):
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
    """List, search and token-check latency on a small and a large state, one connection
    (service time, no queueing), small and large measured alternately. A size whose server does not
    answer within the backend's ``seed_limit`` is reported as skipped, with no ratio."""
    log(f"{backend.name}: scale (starting the small and the large fixture)")
    out: dict[str, Any] = {
        "startup_s": {},
        "rss_mb": {},
        "list": {},
        "search": {},
        "validate": {},
    }
    servers: dict[str, Server] = {}
    try:
        for size in ("small", "large"):
            server = fake_server(backend, fixtures[size], creds[size])
            try:
                if backend.seed_limit is None:
                    started = server.start(pin.server)
                else:
                    started = server.start(pin.server, timeout=backend.seed_limit)
            except StartTimeout:
                out.setdefault("skipped", {})[size] = (
                    f"skipped: seeding the fixture ({meta_fixture(size)}) and answering a first "
                    f"token request took more than {backend.seed_limit:g} s"
                )
                log(f"{backend.name}: {size} fixture {out['skipped'][size]}")
                out["startup_s"][size] = None
                out["rss_mb"][size] = None
                continue
            out["startup_s"][size] = round(started, 2)
            servers[size] = server
            time.sleep(0.5)
            out["rss_mb"][size] = server.rss_mb()
        runs: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for _ in range(ROUNDS):
            for measure in SCALE_MEASURES:
                for size, server in servers.items():
                    c = creds[size]
                    if measure in ("list", "search"):
                        url = server.url + "/api/v1/documents"
                        if measure == "search":
                            url += "?query=" + SEARCH_QUERY
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
        for measure in SCALE_MEASURES:
            if len(servers) < 2:
                out[measure]["ratio"] = None
                continue
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


# -- main --------------------------------------------------------------------------------


FIXTURE_SIZES = {"small": (10, 1_000), "large": (10_000, 100_000)}
SCALE_MEASURES = ("list", "search", "validate")
#: Two words of one of the fixtures' techniques ("Western blot"), in names and tags.
SEARCH_QUERY = "western%20blot"


def meta_fixture(size: str) -> str:
    users, documents = FIXTURE_SIZES[size]
    return f"{users:,} users, {documents:,} documents"


def prepare_fixtures() -> dict[str, Path]:
    CACHE.mkdir(parents=True, exist_ok=True)
    specs = FIXTURE_SIZES
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


def measure_all(
    results: dict[str, Any],
    workdir: Path,
    wrk: str,
    pin: Pinning,
    modules: Path | None,
    fixtures: dict[str, Path],
    creds: dict[str, Credentials],
    databases: PostgresDatabases | None,
) -> None:
    servers_info = results["servers"]
    default = creds["default"]
    postgres_note = results["meta"]["postgresql"]
    load = Load(wrk, pin.load, workdir)
    load_threads = max(1, NPROC - 1) if pin.load else NPROC
    backends = []
    for backend in (
        memory_backend(),
        sqlite_backend(workdir),
        postgresql_backend(databases, postgres_note),
    ):
        if backend.skip:
            log(f"{backend.name}: {backend.skip}")
            servers_info[backend.label] = {"skipped": backend.skip}
        else:
            servers_info[backend.label] = {"note": backend.note, "rss_mb": {}}
            backends.append(backend)
    names = {b.name for b in backends}

    for name, runs in measure_startups(backends, modules, default, pin).items():
        if len(runs) < START_REPEATS:
            continue  # the node peer failed to start in some round
        servers_info[name]["startup_runs_s"] = runs
        servers_info[name]["startup_s"] = round(statistics.median(runs), 3)
    for name, rss in measure_idle_rss(backends, pin).items():
        servers_info[name]["rss_mb"]["idle"] = rss

    log("starting every server for the throughput rounds")
    running: dict[str, Server] = {}
    journal_off: dict[str, Backend] = {}
    if "sqlite" in names:
        journal_off["sqlite"] = sqlite_backend(workdir, journal=False)
    if "postgresql" in names:
        journal_off["postgresql"] = postgresql_backend(databases, postgres_note, journal=False)
    workers = sqlite_backend(workdir, WORKERS)
    shared = postgresql_backend(databases, postgres_note, servers=SERVERS)
    shared_ports: list[int] = []
    try:
        running[BARE] = bare_server(default)
        if modules is not None:
            running[NODE] = node_server(modules, default)
        for backend in backends:
            running[backend.label] = fake_server(backend, DEFAULT_FIXTURES, default)
        for backend in journal_off.values():
            servers_info[backend.label] = {"note": backend.note}
            running[backend.label] = fake_server(backend, DEFAULT_FIXTURES, default)
        if "sqlite" in names:
            servers_info[workers.label] = {"note": workers.note}
            running[workers.label] = fake_server(workers, DEFAULT_FIXTURES, default)
        if "postgresql" in names:
            servers_info[shared.label] = {"note": shared.note}
            # Started one after the other, in this order: the first seeds the shared database.
            for number in range(1, SERVERS + 1):
                server = fake_server(shared, DEFAULT_FIXTURES, default)
                if number > 1:
                    server.name = f"{shared.label} #{number}"
                running[server.name] = server
                shared_ports.append(server.port)
        for name, server in list(running.items()):
            try:
                server.start(pin.server)
            except RuntimeError as exc:
                if name != NODE:
                    raise
                # The peer is optional: report it unavailable and go on without it.
                servers_info[NODE] = {"available": False, "note": f"did not start: {exc}"}
                del running[NODE]
        for backend in journal_off.values():
            switch_journal_off(running[backend.label])
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
            cases.extend(fake_cases(backend, default, journal_off.get(backend.name)))
        if workers.label in running:
            cases.append(workers_case(workers, default))
        if shared.label in running:
            cases.append(servers_case(shared.label, shared_ports, load_threads, default))
        run_rounds(load, running, cases, default)
        results["throughput"] = summarise(cases)
        for name, server in running.items():
            if name.startswith("rspace-mock") and (errors := server.error_lines()):
                # The second server of the servers row is reported with the first.
                info = servers_info[name.partition(" #")[0]]
                info["log_errors"] = info.get("log_errors", []) + errors
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
            "small_fixture": meta_fixture("small"),
            "large_fixture": meta_fixture("large"),
        },
        "servers": {
            BARE: {"note": "benchmarks/baselines/bare_fastapi.py (uvicorn, as the fake is run)"},
            NODE: {"available": modules is not None, "note": node_note},
        },
        "throughput": [],
        "scale": {},
    }
    databases, postgres_note = PostgresDatabases.from_environment()
    results["meta"]["postgresql"] = postgres_note
    try:
        with tempfile.TemporaryDirectory(prefix="rspace-bench-") as workdir:
            measure_all(results, Path(workdir), wrk, pin, modules, fixtures, creds, databases)
    finally:
        if databases is not None:
            databases.drop_all()
    results["targets"] = evaluate(results)
    results["meta"]["bench_seconds"] = round(time.perf_counter() - began, 1)
    results["chart_note"] = chart(results, RESULTS / "latest.png")
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / "latest.md").write_text(markdown(results))
    log(f"done in {results['meta']['bench_seconds']} s: {RESULTS / 'latest.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
