"""The bench's report: targets met or missed, ``latest.md`` and the chart."""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

from harness import BARE, NODE, START_REPEATS


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return round(a / b, 3)


#: Why a target is missed, when it is, as far as the profiles say (shown only for misses).
EXPLANATIONS = {
    ("memory", "list"): "MemoryStore.query_documents filters and sorts all of the owner's "
    "documents on every request (O(n log n)) and deep-copies each page; it has no sorted index.",
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
            EXPLANATIONS[("any", "startup")],
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
