"""The contract suite must be able to fail: every broken variant of the mock in
``tests/contract_mutants.py`` is caught, in-process and over a real URL, by the clause that
names the rule it breaks.

Each check is one run of the suite (a subprocess) against all the mutants at once
(``--contract-targets``), each mutant only against the tests of the clause it breaks; the
parity report, one section per mutant, must list that clause as failed. The full suite runs
against the correct mock in the contract suite's own run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.contract_mutants import MUTANTS

REPO_ROOT = Path(__file__).resolve().parent.parent
MUTANTS_FILE = Path(__file__).resolve().with_name("contract_mutants.py")


@contextmanager
def served_mutants() -> Iterator[dict[str, str]]:
    """Every mutant on its own loopback port, served by one separate process."""
    process = subprocess.Popen(
        [sys.executable, str(MUTANTS_FILE), "--all"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,  # the mutants' crash logs are expected
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line, "the mutant server exited before it listened"
        yield json.loads(line)
    finally:
        process.terminate()
        process.wait(timeout=10)


#: Suite runs at once: the mutants are split between them (each run is one busy process).
PARALLEL_RUNS = max(1, min(4, os.cpu_count() or 1))


def run_suite(targets: list[dict[str, object]], tmp_path: Path) -> tuple[str, ET.Element]:
    """The suite against ``targets``, split between ``PARALLEL_RUNS`` runs at once; their
    output and one report with every run's sections."""
    # The caller's RSPACE_* settings (a real server's credentials, --read-only) are not the
    # mutants'; the backend setting is kept.
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("RSPACE_") or name == "RSPACE_MOCK_BACKEND"
    }
    env["HYPOTHESIS_PROFILE"] = "mutants"
    runs = []
    for index in range(min(PARALLEL_RUNS, len(targets))):
        spec = tmp_path / f"targets-{index}.json"
        spec.write_text(json.dumps(targets[index::PARALLEL_RUNS]), encoding="utf-8")
        report_dir = tmp_path / f"report-{index}"
        command = [
            sys.executable,
            "-m",
            "pytest",
            "mock_server/contract",
            "-q",
            "-p",
            "no:cacheprovider",
            f"--contract-targets={spec}",
            f"--contract-report={report_dir}",
        ]
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        runs.append((process, report_dir / "contract-report.xml"))
    merged = ET.Element("testsuites")
    outputs = []
    for process, report in runs:
        output, _ = process.communicate(timeout=900)
        outputs.append(output)
        assert report.exists(), f"no report:\n{output[-3000:]}"
        merged.extend(ET.parse(report).getroot().iter("testsuite"))
    return "\n".join(outputs), merged


def uncaught(root: ET.Element, machines: tuple[str, ...] = ()) -> list[str]:
    """Mutants whose clause the report does not list as failed (or not by the state machine
    among ``machines`` that must catch it), each with what failed instead."""
    problems = []
    suites = {suite.attrib["name"]: suite for suite in root.iter("testsuite")}
    for name, mutant in sorted(MUTANTS.items()):
        suite = suites.get(name)
        if suite is None:
            problems.append(f"{name}: not run at all")
            continue
        # Only failures a violation of the clause named count: an error in a test (the
        # suite crashing on the mutant) says nothing about what the suite checks.
        failures = {
            case.attrib["name"]: failure.attrib.get("message", "")
            for case in suite.iter("testcase")
            if (failure := case.find("failure")) is not None
            and failure.attrib.get("message", "").startswith("failed in ")
        }
        if mutant.clause not in failures:
            problems.append(
                f"{name} ({mutant.doc}): {mutant.clause} not failed; failed: {sorted(failures)}"
            )
        elif mutant.caught_by in machines and (
            mutant.caught_by not in failures[mutant.clause].split(";")[0]
        ):
            problems.append(
                f"{name} ({mutant.doc}): {mutant.clause} failed, but not in "
                f"{mutant.caught_by}: {failures[mutant.clause]}"
            )
    return problems


#: The state machines: run against a mutant only when they must catch it (``caught_by``),
#: since they are the slowest tests and other tests check the other clauses they name.
DOCUMENTS_MACHINE = "test_documents_match_model"
FORMS_MACHINE = "test_forms_match_model"
SHARING_MACHINE = "test_sharing_matches_model"
MACHINES = ("test_token_lifecycle_matches_model", DOCUMENTS_MACHINE, FORMS_MACHINE, SHARING_MACHINE)


#: The mutants break the RSpace API, never the mock's admin API: its fuzzing is not run.
NOT_FOR_MUTANTS = ("test_admin_api_does_what_its_openapi_document_says",)


def target_spec(
    name: str, *, machines: tuple[str, ...] = MACHINES, **where: str
) -> dict[str, object]:
    """The mutant's target, run against the tests of its clause; of the state machines only
    those in ``machines`` that must catch it."""
    mutant = MUTANTS[name]
    wanted = mutant.caught_by if mutant.caught_by in machines else None
    skip = [test for test in MACHINES if test != wanted] + list(NOT_FOR_MUTANTS)
    return {"name": name, **where, "clauses": [mutant.clause], "skip_tests": skip}


def test_contract_suite_catches_every_mutant_in_process(tmp_path: Path) -> None:
    # The token machine draws the same steps in-process as over a URL, where it must catch
    # its mutants itself (below); here the token scenarios must. The documents and forms
    # machines are their rules' only tests, so they run in both.
    machines = (DOCUMENTS_MACHINE, FORMS_MACHINE, SHARING_MACHINE)
    targets = [
        target_spec(name, machines=machines, factory=f"{MUTANTS_FILE}:{name}") for name in MUTANTS
    ]
    output, root = run_suite(targets, tmp_path)
    problems = uncaught(root, machines)
    assert not problems, "\n".join(problems) + "\n" + output[-2000:]


def test_contract_suite_catches_every_mutant_over_a_url(tmp_path: Path) -> None:
    with served_mutants() as urls:
        targets = [target_spec(name, url=urls[name]) for name in MUTANTS]
        output, root = run_suite(targets, tmp_path)
    problems = uncaught(root, MACHINES)
    assert not problems, "\n".join(problems) + "\n" + output[-2000:]


def test_the_mutants_script_serves_each_mutant_by_name() -> None:
    """``python tests/contract_mutants.py NAME`` is how the docs say to try one by hand."""
    run = subprocess.run(
        [sys.executable, str(MUTANTS_FILE), "--help"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    unlisted = [name for name in MUTANTS if name not in run.stdout]
    assert not unlisted, f"--help does not offer {unlisted}"


# --- the clause list stays complete ----------------------------------------------------------


def test_every_clause_is_listed_in_docs() -> None:
    from mock_server.contract.clauses import CLAUSES

    text = (REPO_ROOT / "docs" / "contract.md").read_text(encoding="utf-8")
    missing = [clause for clause in CLAUSES if f"| `{clause}` |" not in text]
    assert not missing, f"docs/contract.md lacks clauses {missing}"


def test_every_clause_is_checked_by_a_test() -> None:
    from mock_server.contract.clauses import CLAUSES

    sources = "\n".join(
        path.read_text(encoding="utf-8")
        for path in (REPO_ROOT / "mock_server" / "contract").glob("test_*.py")
    )
    unchecked = [clause for clause in CLAUSES if f'"{clause}"' not in sources]
    assert not unchecked, f"clauses no contract test names: {unchecked}"


def test_every_clause_has_a_mutant() -> None:
    """A clause without a broken variant has never been seen to fail."""
    from mock_server.contract.clauses import CLAUSES

    covered = {mutant.clause for mutant in MUTANTS.values()}
    assert not CLAUSES.keys() - covered, (
        f"clauses no mutant breaks: {sorted(CLAUSES.keys() - covered)}"
    )


def test_every_mutant_is_listed_in_docs() -> None:
    text = (REPO_ROOT / "docs" / "contract.md").read_text(encoding="utf-8")
    missing = [name for name in MUTANTS if f"`{name}`" not in text]
    assert not missing, f"docs/contract.md lacks mutants {missing}"
