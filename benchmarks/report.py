"""The bench's report: targets met or missed, ``latest.md`` and the chart."""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

from harness import BARE, NODE, START_REPEATS

#: The fake's backends, in the order of the report's columns, and the columns' titles.
BACKENDS = {"memory": "memory store", "sqlite": "SQLite store", "postgresql": "PostgreSQL store"}
JOURNAL_OFF = "journal off"
#: The PostgreSQL servers row: API-key calls to two servers on one database.
SERVERS_KEY = "servers:apikey"


def journal_off_key(backend: str) -> str:
    """The API-key calls to the server of ``backend`` whose journal is switched off."""
    return f"{backend}:apikey-{JOURNAL_OFF.replace(' ', '-')}"


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return round(a / b, 3)


#: Why a target is missed, when it is, as far as the profiles say (shown only for misses).
EXPLANATIONS = {
    ("memory", "list"): "The memory engine keeps a sorted index per owner and order, built on "
    "the first listing: a first listing of a large owner pays the sort once.",
    ("any", "startup"): "Mostly Python imports: the fake imports far more than FastAPI and "
    "uvicorn (python -X importtime: the API router's pydantic schemas and the admin "
    "command-line client in mock_server.cli are the largest parts); seeding the default "
    "fixtures and, with --state, creating the state file take a few milliseconds.",
    ("any", "api"): "Six ASGI middlewares run around every API request (journal recording, "
    "fault injection, path normalising, rate-limit headers, throttle, admin mount) and the body "
    "is rendered in Jackson's pretty-printed style; the bare app has neither.",
    ("any", "grants"): "A grant does a salted SHA-256 password check, two token draws and a "
    "store write inside a transaction, on top of the same form parsing.",
    ("sqlite", "workers"): "The bench pins the server to one core, so the workers share it "
    "(process switches, no parallelism); a ratio near 0.1 would mean that keep-alive requests "
    "wait for the client's delayed ACK again (no TCP_NODELAY on the workers' sockets).",
    ("sqlite", "grants"): "Every grant is a durable commit (a WAL append, about 40 us) and half a "
    "dozen SQL statements where the memory store touches dicts; the request journal then looks "
    "the grant's user up in the store again (a py-spy profile of refresh grants: journal about "
    "20% of the time, store calls about 15%).",
    ("sqlite", "journal"): "With --state, each request's journal entry is masked, encoded as "
    "JSON and written to the store by a flusher thread of the server's own process, on its one "
    "core: every 20 ms one BEGIN IMMEDIATE transaction with, per entry, an id draw, an insert "
    "and the delete of the entry 1000 back. On API key calls the server used about 0.55 ms of "
    "CPU per request with the journal on against 0.35 ms with it off; in a py-spy profile the "
    "flusher thread was busy a quarter of the time, about 40% of that in the row insert and 20% "
    "in masking.",
    ("postgresql", "startup"): "Mostly Python imports, as on the other stores (python -X "
    "importtime: the API router's pydantic schemas and the admin command-line client are the "
    "largest parts), plus psycopg (about 0.05 s); on a new database the tables are created "
    "and the default fixtures seeded in about 140 statements over loopback TCP (create_app "
    "about 0.05 s, against 0.01 s on a new SQLite file).",
    ("postgresql", "grants"): "A grant is a write transaction on PostgreSQL: about eleven "
    "synchronous round trips made on the event loop (BEGIN, the advisory lock that serialises "
    "every write, the settings, the user and app reads, the token row under a savepoint, "
    "COMMIT), while the server serves no other request; in a py-spy profile of password grants "
    "the event loop waits in psycopg's Connection.wait about 40% of the time. The grant's "
    "journal entry costs five statements more, in the journal's flusher thread.",
    ("postgresql", "api"): "Besides the ASGI middlewares and the Jackson-style rendering "
    "that every store pays, each API call waits on the event loop for two or three synchronous "
    "round trips to PostgreSQL (the request's settings snapshot, SELECT key, value FROM "
    "store_meta, and the API key or token lookups), serving no other request meanwhile: in a "
    "py-spy profile of API key calls with the journal off, the event loop waits in psycopg's "
    "Connection.wait about 37% of the time.",
    ("postgresql", "journal"): "The journal's flusher thread adds five statements per request "
    "(an id draw, the row insert under a savepoint and its release, the delete of the entry "
    "1000 back; and per 20 ms batch a transaction with the advisory lock) to the request's own "
    "two, and shares the server's core and GIL with the event loop. On API key calls the server "
    "used about 1.0 ms of CPU per request with the journal on against 0.5 ms with it off; in "
    "a py-spy profile the flusher thread was busy about as often as the event loop, about 70% "
    "of that waiting for PostgreSQL.",
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
    for backend in BACKENDS:
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
            EXPLANATIONS.get((backend, "startup"), EXPLANATIONS[("any", "startup")]),
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
                EXPLANATIONS.get((backend, "grants"), EXPLANATIONS[("any", "grants")]),
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
                    EXPLANATIONS.get((backend, "grants"), EXPLANATIONS[("any", "grants")]),
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
                EXPLANATIONS.get((backend, "api"), EXPLANATIONS[("any", "api")]),
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
        apikey = by_key.get(f"{backend}:apikey", {})
        if journal_off_key(backend) in apikey.get("ratios", {}):
            add(
                backend,
                "API key calls/s, journal on / journal off",
                apikey["ratios"][journal_off_key(backend)],
                ">= 0.8",
                0.8,
                "journal",
                True,
                EXPLANATIONS.get((backend, "journal"), "see the profile"),
            )
        if backend == "sqlite" and (workers := by_key.get("workers:apikey")) is not None:
            add(
                backend,
                "keep-alive API key calls/s, 2 workers / 1 worker",
                workers["ratios"].get("sqlite:apikey"),
                ">= 0.8",
                0.8,
                "workers",
                True,
                EXPLANATIONS[("sqlite", "workers")],
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
    names = {
        "bare:form": "bare form POST",
        "bare:get": "bare JSON GET",
        "node:password": "Node",
        "sqlite:apikey": "1 worker",
        "postgresql:apikey": "1 server",
        **{journal_off_key(b): JOURNAL_OFF for b in BACKENDS},
    }
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
        *(
            [
                f"- PostgreSQL: {meta['postgresql']}, on this machine over loopback TCP, "
                "not pinned (it shares the cores with the server and wrk)"
            ]
            if "postgresql" in meta and not meta["postgresql"].startswith("skipped")
            else []
        ),
        "",
        *summary(results),
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
    skipped_sizes: list[str] = []
    for backend, scale in results["scale"].items():
        rows = [
            ("list", "p50_ms", "document list page"),
            ("search", "p50_ms", "document search (query), p50"),
            ("search", "p99_ms", "document search (query), p99"),
            ("validate", "p50_ms", "opaque token check"),
        ]
        for key, figure, label in rows:
            if key not in scale:
                continue
            small, large = (
                fmt(scale[key][size][figure], 3) if size in scale[key] else "skipped"
                for size in ("small", "large")
            )
            paired = fmt(scale[key]["ratio"], 2) if figure == "p50_ms" else ""
            lines.append(f"| {backend} | {label} | {small} | {large} | {paired} |")
        lines.append(
            f"| {backend} | start-up with the fixture, s | {fmt(scale['startup_s']['small'], 2)} "
            f"| {fmt(scale['startup_s']['large'], 2)} | |"
        )
        for size, why in scale.get("skipped", {}).items():
            skipped_sizes.append(f"- {backend}, {size} fixture: {why}.")
    if skipped_sizes:
        lines += ["", *skipped_sizes]

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
        for line in data.get("log_errors", []):
            lines.append(f"  - error in its log: `{line}`")
    if results.get("chart_note"):
        lines += ["", results["chart_note"]]
    return "\n".join(lines) + "\n"


def summary(results: dict[str, Any]) -> list[str]:
    """One column per backend: the ratios of the targets, and of the journal and workers rows."""
    servers = results["servers"]
    by_key = {row["key"]: row for row in results["throughput"]}
    bare_start = servers[BARE]["startup_s"]

    def data(backend: str) -> dict[str, Any]:
        found: dict[str, Any] = servers.get(f"rspace-mock ({backend})", {})
        return found

    def times(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.2f}x"

    def throughput(key: str, baseline: str) -> str:
        return times(by_key.get(key, {}).get("ratios", {}).get(baseline))

    def scale(backend: str, measure: str) -> str:
        value = results["scale"].get(backend, {}).get(measure, {}).get("ratio")
        return "n/a" if value is None else f"{value:.2f}"

    rows: list[tuple[str, dict[str, str], str]] = [
        (
            "start-up to first token, / bare FastAPI",
            {b: times(ratio(data(b).get("startup_s"), bare_start)) for b in BACKENDS},
            "<= 1.2x",
        ),
        (
            "password grants/s, / bare form POST",
            {b: throughput(f"{b}:password", "bare:form") for b in BACKENDS},
            ">= 0.6x",
        ),
        (
            "refresh grants/s, / bare form POST",
            {b: throughput(f"{b}:refresh", "bare:form") for b in BACKENDS},
            ">= 0.6x",
        ),
        (
            "API calls/s (opaque Bearer / JWT / API key), / bare JSON GET",
            {
                b: " / ".join(
                    throughput(f"{b}:{kind}", "bare:get") for kind in ("opaque", "jwt", "apikey")
                )
                for b in BACKENDS
            },
            ">= 0.6x",
        ),
        (
            "API key calls/s, journal on / journal off",
            {b: throughput(f"{b}:apikey", journal_off_key(b)) for b in ("sqlite", "postgresql")},
            ">= 0.8x",
        ),
        (
            "keep-alive API key calls/s, 2 workers / 1 worker",
            {"sqlite": throughput("workers:apikey", "sqlite:apikey")},
            ">= 0.8x",
        ),
        (
            "keep-alive API key calls/s, 2 servers on one database / 1 server",
            {"postgresql": throughput(SERVERS_KEY, "postgresql:apikey")},
            "",
        ),
        (
            "list page p50, 100k vs 1k documents",
            {b: scale(b, "list") for b in BACKENDS},
            "< 1.5",
        ),
        (
            "search p50, 100k vs 1k documents",
            {b: scale(b, "search") for b in BACKENDS},
            "< 1.5",
        ),
        (
            "token check p50, 10k vs 10 users",
            {b: scale(b, "validate") for b in BACKENDS},
            "< 1.5",
        ),
        (
            "RSS with the default fixtures",
            {
                b: fmt(data(b).get("rss_mb", {}).get("default_fixtures"), 0) + " MB"
                for b in BACKENDS
                if data(b).get("rss_mb", {}).get("default_fixtures") is not None
            },
            "< 80 MB",
        ),
    ]
    lines = [
        "## Summary",
        "",
        "| measure | " + " | ".join(BACKENDS.values()) + " | target |",
        "|---|" + "---:|" * len(BACKENDS) + "---|",
    ]
    for measure, cells, target in rows:
        shown = []
        for backend in BACKENDS:
            if "skipped" in data(backend):
                shown.append("skipped")
            else:
                shown.append(cells.get(backend, ""))
        lines.append(f"| {measure} | " + " | ".join(shown) + f" | {target} |")
    skipped = [f"- {BACKENDS[b]}: {data(b)['skipped']}" for b in BACKENDS if "skipped" in data(b)]
    return [*lines, *([""] + skipped if skipped else []), ""]


def chart(results: dict[str, Any], path: Path) -> str | None:
    """Requests/s per case, baselines in grey; None when drawn, else why not."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "No chart: matplotlib is not installed (pip install matplotlib)."
    palette = {BARE: "#999999", NODE: "#6a9f58"}
    backend_colours = {"memory": "#4878a8", "sqlite": "#d1793b", "postgresql": "#8a62b0"}
    rows = results["throughput"]
    labels = [f"{r['server']}: {r['request']}" for r in rows]
    values = [r["rps"] for r in rows]

    def colour(server: str) -> str:
        if server in palette:
            return palette[server]
        backend = server.removeprefix("rspace-mock (").split(",")[0].rstrip(")")
        return backend_colours.get(backend, "#d1793b")

    colours = [colour(r["server"]) for r in rows]
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
