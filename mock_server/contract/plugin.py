"""Pytest wiring for the contract suite: target selection, hypothesis profiles, the report.

Options (each also readable from the environment variable named in its help):

* ``--rspace-url URL``: run against any server over HTTP.
* ``--rspace-serve``: start ``rspace-mock serve`` on a free port and run everything over HTTP.
* ``--read-only``: never create, change or delete anything (no documents, no token grants).
* ``--contract-report DIR``: where the parity report goes (default: under pytest's temp dir).
* ``--contract-app-factory MOD:FUNC``: build the in-process app with another factory (used by
  the self-check that runs the suite against broken variants of the mock).
* ``--contract-clauses ID,ID``: run only the tests that check one of these clauses.
* ``--contract-targets FILE.json``: several targets in one run, each with its own clause
  filter: ``[{"name": ..., "url": ... or "factory": ..., "clauses": [...], "skip_tests":
  [...]}]`` (the self-check runs every broken variant of the mock in one session this way).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import RuleBasedStateMachine, run_state_machine_as_test

from .clauses import CLAUSES, ContractViolation, evidence, start_evidence
from .options import CREDENTIAL_NAMES, CREDENTIALS
from .report import ParityReport
from .target import (
    DEFAULT_FIXTURES,
    ServedMock,
    Target,
    credentials_from_fixtures,
    credentials_from_options,
    fixture_credentials_accepted,
    in_process_target,
    load_app_factory,
    remote_target,
)

settings.register_profile(
    "ci",
    max_examples=20,
    stateful_step_count=25,
    derandomize=True,
    deadline=None,
    database=None,
    print_blob=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
settings.register_profile(
    "thorough",
    max_examples=200,
    stateful_step_count=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
# For the self-check against broken mocks: the same examples as "ci", without shrinking, since
# only the failing clause matters there, not the minimal example.
settings.register_profile(
    "mutants",
    settings.get_profile("ci"),
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

_CREDENTIAL_OPTIONS = CREDENTIAL_NAMES

REPORT_KEY = pytest.StashKey[ParityReport]()
SERVED_KEY = pytest.StashKey[dict[str, object]]()
REPORT_PATH_KEY = pytest.StashKey[Path]()
SPECS_KEY = pytest.StashKey[dict[str, "TargetSpec"]]()

#: Parametrised for a test that no target of a ``--contract-targets`` run wants; deselected.
UNWANTED = "unwanted"


@dataclass(frozen=True)
class TargetSpec:
    """One server the suite runs against."""

    #: The report's name for it.
    name: str
    #: ``in-process``, ``served-mock`` or ``url``.
    mode: str
    url: str | None = None
    #: ``MODULE:FUNCTION`` building the in-process app (``None``: the real mock).
    factory: str | None = None
    #: Only tests checking one of these clauses run against it (``None``: every test).
    clauses: frozenset[str] | None = None
    #: Only tests marked ``real_port`` (the default run's served mock).
    real_port_only: bool = False
    #: Tests (parts of their names) not to run against it.
    skip_tests: tuple[str, ...] = ()

    def wants(self, test_name: str, test_clauses: set[str], real_port: bool) -> bool:
        if self.real_port_only and not real_port:
            return False
        if any(part in test_name for part in self.skip_tests):
            return False
        return self.clauses is None or bool(self.clauses & test_clauses)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("rspace-contract", "RSpace contract suite")
    group.addoption(
        "--rspace-url",
        default=os.environ.get("RSPACE_URL"),
        help="base URL of the RSpace to check (env RSPACE_URL); default: the mock in-process",
    )
    group.addoption(
        "--rspace-serve",
        action="store_true",
        default=False,
        help="start `rspace-mock serve` on a free port and run every test over real HTTP",
    )
    group.addoption(
        "--read-only",
        action="store_true",
        default=os.environ.get("RSPACE_READ_ONLY") == "1",
        help="create, change and delete nothing on the server (env RSPACE_READ_ONLY=1)",
    )
    group.addoption(
        "--contract-report",
        default=os.environ.get("RSPACE_CONTRACT_REPORT"),
        help="directory for contract-report.md and contract-report.xml",
    )
    group.addoption(
        "--contract-app-factory",
        default=os.environ.get("RSPACE_CONTRACT_APP_FACTORY"),
        help="MODULE:FUNCTION (or FILE.py:FUNCTION) taking the fixtures path, returning an app",
    )
    group.addoption(
        "--contract-clauses",
        default=os.environ.get("RSPACE_CONTRACT_CLAUSES"),
        help="comma-separated clause ids: run only the tests that check one of them",
    )
    group.addoption(
        "--contract-targets",
        default=None,
        help="JSON file listing several targets (name, url or factory, clauses) for one run",
    )
    for credential in CREDENTIALS:
        group.addoption(
            "--rspace-" + credential.flag.removeprefix("--"),
            dest="rspace_" + credential.name,
            default=os.environ.get(credential.env),
            help=f"{credential.meaning} (env {credential.env})",
        )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "clause(*ids): the contract clauses a test checks")
    config.addinivalue_line(
        "markers", "real_port: also run this test against `rspace-mock serve` over real HTTP"
    )
    config.stash[REPORT_KEY] = ParityReport()
    config.stash[SERVED_KEY] = {}
    config.stash[SPECS_KEY] = {spec.name: spec for spec in _target_specs(config)}


def _clause_filter(raw: object) -> frozenset[str] | None:
    if raw is None:
        return None
    names = [raw] if isinstance(raw, str) else list(raw)  # type: ignore[call-overload]
    clauses = frozenset(c.strip() for name in names for c in str(name).split(",") if c.strip())
    unknown = sorted(clauses - CLAUSES.keys())
    if unknown:
        raise pytest.UsageError(f"unknown contract clauses: {', '.join(unknown)}")
    return clauses


def _target_specs(config: pytest.Config) -> list[TargetSpec]:
    only = _clause_filter(config.getoption("contract_clauses"))
    listed = config.getoption("contract_targets")
    if listed:
        specs = []
        for entry in json.loads(Path(listed).read_text(encoding="utf-8")):
            mode = "url" if entry.get("url") else "in-process"
            clauses = _clause_filter(entry.get("clauses"))
            skip = tuple(entry.get("skip_tests", ()))
            specs.append(
                TargetSpec(
                    entry["name"],
                    mode,
                    entry.get("url"),
                    entry.get("factory"),
                    clauses,
                    skip_tests=skip,
                )
            )
        return specs
    if config.getoption("rspace_url"):
        return [TargetSpec("url", "url", str(config.getoption("rspace_url")), clauses=only)]
    if config.getoption("rspace_serve"):
        return [TargetSpec("served-mock", "served-mock", clauses=only)]
    factory = config.getoption("contract_app_factory")
    if factory:  # a substitute app exists only in-process
        return [TargetSpec("in-process", "in-process", factory=factory, clauses=only)]
    return [
        TargetSpec("in-process", "in-process", clauses=only),
        TargetSpec("served-mock", "served-mock", clauses=only, real_port_only=True),
    ]


def _test_clauses(node: pytest.Item) -> set[str]:
    return {c for marker in node.iter_markers("clause") for c in marker.args}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "target_kind" in metafunc.fixturenames:
        real_port = metafunc.definition.get_closest_marker("real_port") is not None
        clauses = _test_clauses(metafunc.definition)
        specs = metafunc.config.stash[SPECS_KEY].values()
        name = metafunc.definition.name
        kinds = [spec.name for spec in specs if spec.wants(name, clauses, real_port)]
        metafunc.parametrize("target_kind", kinds or [UNWANTED])


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    unwanted = [item for item in items if _kind_of(item) == UNWANTED]
    if unwanted:
        config.hook.pytest_deselected(items=unwanted)
        items[:] = [item for item in items if _kind_of(item) != UNWANTED]


def _kind_of(item: pytest.Item) -> str:
    callspec = getattr(item, "callspec", None)
    return str(callspec.params.get("target_kind", "in-process")) if callspec else "in-process"


class TargetFactory:
    """Hands out targets: a fresh app each time in-process, the one shared server otherwise."""

    def __init__(self, config: pytest.Config, kind: str) -> None:
        self.config = config
        self.spec = config.stash[SPECS_KEY][kind]
        self.kind = kind
        self._made: list[Target] = []

    @property
    def fresh_each_time(self) -> bool:
        return self.spec.mode == "in-process"

    def new(self) -> Target:
        if self.fresh_each_time:
            factory = load_app_factory(self.spec.factory)
            target = in_process_target(factory, DEFAULT_FIXTURES)
            target.kind = self.kind
            self._made.append(target)
            _note_server(self.config, target)
            return target
        return _shared_target(self.config, self.spec)

    def state_machine_settings(self) -> settings:
        """The profile's settings, examples and steps alike, on every kind of target.

        A shared server is never reset, so a failing example cannot be replayed faithfully:
        there the failure is reported as found, without shrinking.
        """
        if self.fresh_each_time:
            return settings(settings.default)
        return settings(settings.default, phases=[Phase.explicit, Phase.reuse, Phase.generate])

    def run_machine(self, make: Callable[[], RuleBasedStateMachine]) -> None:
        """Run a state machine built by ``make`` with :meth:`state_machine_settings`
        (hypothesis takes any factory of machines, though its annotation names a class)."""
        machine_class = cast(type[RuleBasedStateMachine], make)
        run_state_machine_as_test(machine_class, settings=self.state_machine_settings())

    def close(self) -> None:
        for target in self._made:
            target.close()
        self._made.clear()


def _shared_target(config: pytest.Config, spec: TargetSpec) -> Target:
    shared = config.stash[SERVED_KEY]
    existing = shared.get(spec.name)
    if isinstance(existing, Target):
        return existing
    read_only = bool(config.getoption("read_only"))
    if spec.mode == "served-mock":
        served = ServedMock(DEFAULT_FIXTURES)
        shared[spec.name + ":process"] = served
        target = remote_target(
            spec.name,
            served.base_url,
            credentials_from_fixtures(DEFAULT_FIXTURES),
            read_only=read_only,
        )
        target.credentials_source = f"{DEFAULT_FIXTURES.name}, which it serves"
    else:
        assert spec.url is not None
        values = {name: config.getoption("rspace_" + name) for name in _CREDENTIAL_OPTIONS}
        credentials = credentials_from_options(values)
        source = "the suite's options"
        if not credentials.users and not credentials.apps:
            # Nothing given: a server that takes the mock's fixture credentials is the mock.
            if fixture_credentials_accepted(spec.url):
                credentials = credentials_from_fixtures(DEFAULT_FIXTURES)
                source = f"{DEFAULT_FIXTURES.name} (none given; the server accepts them)"
            else:
                source = "none given"
        target = remote_target(spec.name, spec.url, credentials, read_only=read_only)
        target.credentials_source = source
    shared[spec.name] = target
    _note_server(config, target)
    return target


def _note_server(config: pytest.Config, target: Target) -> None:
    report = config.stash[REPORT_KEY]
    if target.kind in report.servers:
        return
    version = "unknown (no API key to ask /api/v1/status)"
    for user in target.credentials.api_key_users:
        try:
            body = target.get("/api/v1/status", headers={"apiKey": user.api_key or ""}).json()
            version = f"rspaceVersion {body.get('rspaceVersion')}"
        except Exception as error:  # the report must not break the run
            version = f"unknown ({error.__class__.__name__})"
        break
    admin = "with the mock's admin API" if target.admin else "no admin API"
    report.servers[target.kind] = (
        f"{target.base_url} ({version}; {admin}; credentials: {target.credentials_source})"
    )


@pytest.fixture
def target_factory(request: pytest.FixtureRequest, target_kind: str) -> Iterator[TargetFactory]:
    factory = TargetFactory(request.config, target_kind)
    yield factory
    factory.close()


@pytest.fixture
def target(target_factory: TargetFactory) -> Target:
    return target_factory.new()


def pytest_sessionfinish(session: pytest.Session) -> None:
    shared = session.config.stash.get(SERVED_KEY, {})
    for value in shared.values():
        if isinstance(value, Target):
            value.close()
    for value in shared.values():
        if isinstance(value, ServedMock):
            value.stop()
    report = session.config.stash.get(REPORT_KEY, None)
    if report is None or not report.results:
        return
    directory = session.config.getoption("contract_report")
    if directory:
        path = Path(directory)
    else:
        try:
            path = session.config._tmp_path_factory.getbasetemp() / "contract-report"  # type: ignore[attr-defined]
        except Exception:
            path = Path(tempfile.gettempdir()) / "rspace-contract-report"
    markdown, _ = report.write(path)
    session.config.stash[REPORT_PATH_KEY] = markdown


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    path = terminalreporter.config.stash.get(REPORT_PATH_KEY, None)
    if path is not None:
        terminalreporter.write_line(f"contract parity report: {path} (and .xml)")


def pytest_runtest_setup(item: pytest.Item) -> None:
    start_evidence()


def _violated_clauses(error: BaseException | None) -> set[str]:
    """The clauses of every :class:`ContractViolation` in an exception, its causes and its
    groups (hypothesis wraps failures it could not replay in exception groups)."""
    found: set[str] = set()
    seen: set[int] = set()
    pending = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ContractViolation):
            found.update(current.clauses)
        pending += [current.__cause__, current.__context__]
        pending += list(getattr(current, "exceptions", ()))
    return found


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    clauses = [c for marker in item.iter_markers("clause") for c in marker.args]
    if not clauses:
        return report
    outcome = report.outcome
    record = (report.when == "call") or (report.when == "setup" and outcome != "passed")
    if not record:
        return report
    text = ""
    if outcome == "failed":
        text = report.longreprtext
    elif outcome == "skipped" and isinstance(report.longrepr, tuple):
        text = str(report.longrepr[2]).removeprefix("Skipped: ")
    blamed = _violated_clauses(call.excinfo.value if call.excinfo else None)
    item.config.stash[REPORT_KEY].record(
        _kind_of(item),
        item.nodeid,
        clauses,
        outcome,
        text,
        evidence=evidence() if report.when == "call" else None,
        blamed=blamed or None,
    )
    return report
