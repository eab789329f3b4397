"""Running the OAuth guide's shell flow (as the banner prints it and the README shows it)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

BANNER_HEADING = "Try it: RSpace's OAuth guide against this server (paste in order):"
README = Path(__file__).resolve().parent.parent / "README.md"
FLOW_HEADING = "## The OAuth guide's flow, against the fake"


def banner_flow(stdout: str) -> str:
    """The shell lines the banner prints under its "Try it" heading."""
    head, found, tail = stdout.partition(BANNER_HEADING)
    assert found, f"no flow in the banner:\n{stdout}"
    lines = []
    for line in tail.splitlines()[1:]:
        if line and not line.startswith("  "):
            break
        lines.append(line[2:])
    return "\n".join(lines).strip() + "\n"


def readme_flow() -> str:
    """The first ``sh`` block under the README's flow heading."""
    text = README.read_text(encoding="utf-8")
    _, found, section = text.partition(FLOW_HEADING)
    assert found, "the README lost its flow section"
    match = re.search(r"```sh\n(.*?)```", section, re.S)
    assert match, "no sh block in the README's flow section"
    return match.group(1)


def run_flow(script: str, *, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """The script in bash as a reader's paste would run it, but stopping at the first failing
    command (``-e``, ``pipefail``) and at an unset variable (``-u``)."""
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def json_answers(output: str) -> list[object]:
    """Every JSON value in the flow's output, in order (the curls print them back to back)."""
    decoder = json.JSONDecoder()
    answers, index = [], 0
    while True:
        start = min(
            (i for i in (output.find("{", index), output.find("[", index)) if i >= 0), default=-1
        )
        if start < 0:
            return answers
        value, index = decoder.raw_decode(output, start)
        answers.append(value)


def check_flow_output(result: subprocess.CompletedProcess[str], *, api_key: bool = True) -> None:
    """Two token answers (grant, refresh), then four document listings (Bearer, Bearer with
    the refreshed token, JWT, API key), and no error anywhere."""
    assert result.returncode == 0, f"the flow stopped:\n{result.stdout}\n{result.stderr}"
    answers = json_answers(result.stdout)
    tokens = [a for a in answers if isinstance(a, dict) and "access_token" in a]
    listings = [a for a in answers if isinstance(a, dict) and "totalHits" in a]
    errors = [a for a in answers if isinstance(a, dict) and "httpCode" in a]
    assert not errors, errors
    assert len(tokens) == 2, answers
    assert tokens[0]["refresh_token"] != tokens[1]["refresh_token"]  # the refresh rotated it
    assert tokens[0]["access_token"] != tokens[1]["access_token"]
    assert len(listings) == (4 if api_key else 3), answers
