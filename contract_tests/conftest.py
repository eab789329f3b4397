"""Pytest wiring for the contract suite: target selection, hypothesis profiles, the report.

Options (each also readable from the environment variable named in its help):

* ``--rspace-url URL``: run against any server over HTTP.
* ``--rspace-serve``: start ``rspace-mock serve`` on a free port and run everything over HTTP.
* ``--read-only``: never create, change or delete anything (no documents, no token grants).
* ``--contract-report DIR``: where the parity report goes (default: under pytest's temp dir).
* ``--contract-app-factory MOD:FUNC``: build the in-process app with another factory (used by
  the self-check that runs the suite against broken variants of the mock).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, settings

from .report import ParityReport
from .target import (
    DEFAULT_FIXTURES,
    ServedMock,
    Target,
    credentials_from_fixtures,
    credentials_from_options,
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

_CREDENTIAL_OPTIONS = [
    "username",
    "password",
    "api_key",
    "client_id",
    "client_secret",
    "username_2",
    "password_2",
    "api_key_2",
    "client_id_2",
    "client_secret_2",
    "locked_username",
    "locked_password",
    "api_disabled_username",
    "api_disabled_password",
    "api_disabled_api_key",
]

REPORT_KEY = pytest.StashKey[ParityReport]()
SERVED_KEY = pytest.StashKey[dict[str, object]]()
REPORT_PATH_KEY = pytest.StashKey[Path]()


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
    for name in _CREDENTIAL_OPTIONS:
        env = "RSPACE_" + name.upper()
        group.addoption(
            "--rspace-" + name.replace("_", "-"),
            dest="rspace_" + name,
            default=os.environ.get(env),
            help=f"(env {env})",
        )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "clause(*ids): the contract clauses a test checks")
    config.addinivalue_line(
        "markers", "real_port: also run this test against `rspace-mock serve` over real HTTP"
    )
    config.stash[REPORT_KEY] = ParityReport()
    config.stash[SERVED_KEY] = {}


def _target_kinds(config: pytest.Config, over_real_port: bool) -> list[str]:
    if config.getoption("rspace_url"):
        return ["url"]
    if config.getoption("rspace_serve"):
        return ["served-mock"]
    if config.getoption("contract_app_factory"):
        return ["in-process"]  # a substitute app exists only in-process
    return ["in-process", "served-mock"] if over_real_port else ["in-process"]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "target_kind" in metafunc.fixturenames:
        over_real_port = metafunc.definition.get_closest_marker("real_port") is not None
        metafunc.parametrize("target_kind", _target_kinds(metafunc.config, over_real_port))


class TargetFactory:
    """Hands out targets: a fresh app each time in-process, the one shared server otherwise."""

    def __init__(self, config: pytest.Config, kind: str) -> None:
        self.config = config
        self.kind = kind
        self._made: list[Target] = []

    @property
    def fresh_each_time(self) -> bool:
        return self.kind == "in-process"

    def new(self) -> Target:
        if self.kind == "in-process":
            factory = load_app_factory(self.config.getoption("contract_app_factory"))
            target = in_process_target(factory, DEFAULT_FIXTURES)
            self._made.append(target)
            _note_server(self.config, target)
            return target
        return _shared_target(self.config, self.kind)

    def state_machine_settings(self) -> settings:
        """The profile's settings; at most 5 runs on a shared server, which is never reset."""
        if self.fresh_each_time:
            return settings(settings.default)
        return settings(settings.default, max_examples=min(settings.default.max_examples, 5))

    def close(self) -> None:
        for target in self._made:
            target.close()
        self._made.clear()


def _shared_target(config: pytest.Config, kind: str) -> Target:
    shared = config.stash[SERVED_KEY]
    existing = shared.get(kind)
    if isinstance(existing, Target):
        return existing
    read_only = bool(config.getoption("read_only"))
    if kind == "served-mock":
        served = ServedMock(DEFAULT_FIXTURES)
        shared["served-process"] = served
        target = remote_target(
            kind, served.base_url, credentials_from_fixtures(DEFAULT_FIXTURES), read_only=read_only
        )
    else:
        values = {name: config.getoption("rspace_" + name) for name in _CREDENTIAL_OPTIONS}
        target = remote_target(
            kind,
            str(config.getoption("rspace_url")),
            credentials_from_options(values),
            read_only=read_only,
        )
    shared[kind] = target
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
    report.servers[target.kind] = f"{target.base_url} ({version})"


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
    callspec = getattr(item, "callspec", None)
    kind = callspec.params.get("target_kind", "in-process") if callspec else "in-process"
    text = ""
    if outcome == "failed":
        text = report.longreprtext
    elif outcome == "skipped" and isinstance(report.longrepr, tuple):
        text = str(report.longrepr[2])
    item.config.stash[REPORT_KEY].record(kind, item.nodeid, clauses, outcome, text)
    return report
