"""The parity report: clause -> outcome per target, as Markdown and JUnit XML.

Outcomes: ``fail``; ``pass`` (checks of the clause ran and held); ``partly checked`` (they held,
but a part of the clause could not be checked against this target); ``not checked`` (no check
of it could run here, e.g. it needs a clock the target does not let the suite move);
``skipped`` (its tests were skipped, e.g. for want of credentials). Only ``pass`` is a pass.

Two runs (say the mock and a real RSpace) give two reports with the same rows, so they can be
put side by side.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from .clauses import CLAUSES, NOT_CHECKED_PREFIX, Evidence, clauses_named_in

#: Outcomes that are not a pass (JUnit: ``skipped``), besides ``fail``.
NOT_PASSED = ("partly checked", "not checked", "skipped")


@dataclass
class ClauseResult:
    passed: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    #: Tests among ``failed`` whose failure named no clause (an error, not a violation): they
    #: count against all of their clauses, since none can be ruled out.
    unattributed: set[str] = field(default_factory=set)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    #: (test id, why): a test that ran could not check (a part of) the clause
    not_checked: list[tuple[str, str]] = field(default_factory=list)

    @property
    def outcome(self) -> str:
        if self.failed:
            return "fail"
        if self.passed:
            return "partly checked" if self.not_checked else "pass"
        if self.not_checked:
            return "not checked"
        return "skipped"


@dataclass
class ParityReport:
    #: target kind -> clause id -> result
    results: dict[str, dict[str, ClauseResult]] = field(default_factory=dict)
    #: target kind -> server description (base URL, ``rspaceVersion``)
    servers: dict[str, str] = field(default_factory=dict)

    def record(
        self,
        target_kind: str,
        test_id: str,
        clauses: list[str],
        outcome: str,
        text: str,
        evidence: Evidence | None = None,
        blamed: set[str] | None = None,
    ) -> None:
        """Attribute one test's outcome to its clauses.

        A failure counts against ``blamed`` (the clauses of the violations raised), else
        against the clauses its text names as ``[ID]`` on its error lines, else against all
        of the test's clauses; the test's other clauses are then left undecided
        by this test. A pass counts for a clause only if the ``evidence`` shows a check of it
        ran (no evidence given: all of them); the others are "not checked".
        """
        by_clause = self.results.setdefault(target_kind, {})
        if outcome == "failed":
            error_lines = "\n".join(line for line in text.splitlines() if line.startswith("E "))
            named = blamed or clauses_named_in(error_lines)
            for clause in sorted(named or clauses):
                result = by_clause.setdefault(clause, ClauseResult())
                result.failed.append((test_id, text))
                if not named:
                    result.unattributed.add(test_id)
            return
        for clause in clauses:
            result = by_clause.setdefault(clause, ClauseResult())
            if outcome == "passed":
                if evidence is not None and clause not in evidence.checked:
                    reason = evidence.not_checked.get(clause, "no check of it ran on this target")
                    result.not_checked.append((test_id, reason))
                    continue
                result.passed.append(test_id)
                if evidence is not None and clause in evidence.not_checked:
                    result.not_checked.append((test_id, evidence.not_checked[clause]))
            elif text.strip().startswith(NOT_CHECKED_PREFIX):
                result.not_checked.append((test_id, text.strip()[len(NOT_CHECKED_PREFIX) :]))
            else:
                result.skipped.append((test_id, text))

    def failed_clauses(self, target_kind: str | None = None) -> set[str]:
        kinds = [target_kind] if target_kind else list(self.results)
        return {
            clause
            for kind in kinds
            for clause, result in self.results.get(kind, {}).items()
            if result.failed
        }

    def write(self, directory: Path) -> tuple[Path, Path]:
        directory.mkdir(parents=True, exist_ok=True)
        markdown = directory / "contract-report.md"
        junit = directory / "contract-report.xml"
        markdown.write_text(self.to_markdown(), encoding="utf-8")
        ET.ElementTree(self.to_junit()).write(junit, encoding="utf-8", xml_declaration=True)
        return markdown, junit

    def to_markdown(self) -> str:
        lines = ["# RSpace contract parity report", ""]
        for kind in sorted(self.results):
            lines += [f"## Target: {kind}", "", f"Server: {self.servers.get(kind, 'unknown')}", ""]
            lines += ["| Clause | Result | Statement | Detail |", "|---|---|---|---|"]
            by_clause = self.results[kind]
            for clause, statement in CLAUSES.items():
                result = by_clause.get(clause)
                if result is None:
                    lines.append(f"| {clause} | not run | {statement} | |")
                    continue
                lines.append(f"| {clause} | {result.outcome} | {statement} | {_detail(result)} |")
            lines.append("")
        return "\n".join(lines)

    def to_junit(self) -> ET.Element:
        root = ET.Element("testsuites", name="rspace-contract")
        for kind in sorted(self.results):
            suite = ET.SubElement(root, "testsuite", name=kind)
            suite.set("hostname", self.servers.get(kind, "unknown"))
            counts = {"tests": 0, "failures": 0, "skipped": 0}
            for clause, statement in CLAUSES.items():
                result = self.results[kind].get(clause)
                case = ET.SubElement(suite, "testcase", classname=kind, name=clause)
                ET.SubElement(case, "system-out").text = statement
                counts["tests"] += 1
                if result is None or result.outcome in NOT_PASSED:
                    counts["skipped"] += 1
                    reason = f"{result.outcome}: {_detail(result)}" if result else "not run"
                    ET.SubElement(case, "skipped", message=xml_text(reason))
                elif result.outcome == "fail":
                    counts["failures"] += 1
                    failure = ET.SubElement(case, "failure", message=_detail(result))
                    failure.text = xml_text("\n\n".join(text for _, text in result.failed))
            for key, value in counts.items():
                suite.set(key, str(value))
        return root


#: What XML 1.0 cannot carry (a failure may quote a binary body): shown as U+FFFD.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _detail(result: ClauseResult | None) -> str:
    if result is None:
        return ""
    if result.failed:
        named = sorted({test for test, _ in result.failed} - result.unattributed)
        parts = ["failed in " + ", ".join(named)] if named else []
        if result.unattributed:
            parts.append("errors (naming no clause) in " + ", ".join(sorted(result.unattributed)))
        return "; ".join(parts)
    unchecked = "; ".join(sorted({reason.replace("|", "/") for _, reason in result.not_checked}))
    if result.passed and unchecked:
        return f"{len(result.passed)} test(s) passed; not checked: {unchecked}"
    if result.passed:
        return f"{len(result.passed)} test(s) passed"
    if unchecked:
        return f"not checked: {unchecked}"
    reasons = sorted({_first_line(text) for _, text in result.skipped})
    return "skipped: " + "; ".join(reasons)


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0].replace("|", "/") if text.strip() else ""
