"""The parity report: clause -> pass/fail/skipped per target, as Markdown and JUnit XML.

Two runs (say the mock and a real RSpace) give two reports with the same rows, so they can be
put side by side.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from .clauses import CLAUSES, clauses_named_in


@dataclass
class ClauseResult:
    passed: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    @property
    def outcome(self) -> str:
        if self.failed:
            return "fail"
        if self.passed:
            return "pass"
        return "skipped"


@dataclass
class ParityReport:
    #: target kind -> clause id -> result
    results: dict[str, dict[str, ClauseResult]] = field(default_factory=dict)
    #: target kind -> server description (base URL, ``rspaceVersion``)
    servers: dict[str, str] = field(default_factory=dict)

    def record(
        self, target_kind: str, test_id: str, clauses: list[str], outcome: str, text: str
    ) -> None:
        """Attribute one test's outcome to its clauses.

        A failure counts against the clauses its message names (``[ID]``) if it names any of
        the test's clauses, otherwise against all of them; the test's other clauses are then
        left undecided by this test.
        """
        by_clause = self.results.setdefault(target_kind, {})
        if outcome == "failed":
            named = clauses_named_in(text)
            blamed = (named & set(clauses)) or (named if named else set(clauses))
            for clause in sorted(blamed):
                by_clause.setdefault(clause, ClauseResult()).failed.append((test_id, text))
            return
        for clause in clauses:
            result = by_clause.setdefault(clause, ClauseResult())
            if outcome == "passed":
                result.passed.append(test_id)
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
                if result is None or result.outcome == "skipped":
                    counts["skipped"] += 1
                    reason = _detail(result) if result else "not run"
                    ET.SubElement(case, "skipped", message=reason)
                elif result.outcome == "fail":
                    counts["failures"] += 1
                    failure = ET.SubElement(case, "failure", message=_detail(result))
                    failure.text = "\n\n".join(text for _, text in result.failed)
            for key, value in counts.items():
                suite.set(key, str(value))
        return root


def _detail(result: ClauseResult | None) -> str:
    if result is None:
        return ""
    if result.failed:
        return "failed in " + ", ".join(sorted({test for test, _ in result.failed}))
    if result.passed:
        return f"{len(result.passed)} test(s) passed"
    reasons = sorted({_first_line(text) for _, text in result.skipped})
    return "skipped: " + "; ".join(reasons)


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0].replace("|", "/") if text.strip() else ""
