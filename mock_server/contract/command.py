"""``rspace-mock contract``: run the packaged contract suite against a server and write its
report. Needs the ``contract`` extra (``pip install "rspace-mock[contract]"``)."""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from .options import CREDENTIALS, missing_credentials

#: What the suite imports beyond rspace-mock's own dependencies: module -> distribution.
SUITE_REQUIREMENTS = {
    "pytest": "pytest",
    "hypothesis": "hypothesis",
    "httpx": "httpx",
    "schemathesis": "schemathesis",
}

EPILOG = """\
examples:
  rspace-mock contract                       # the bundled fake, in-process and served
  rspace-mock contract --url https://rspace.example.org --username u1 --password ... \\
      --api-key ... --client-id ... --client-secret ...
  rspace-mock contract --url http://127.0.0.1:8080 --clauses OAUTH-GRANT-1,AUTH-APIKEY-1
  rspace-mock contract --url ... --read-only  # create, change and delete nothing
  rspace-mock contract -- -x -q              # anything after -- goes to pytest

Every credential can also come from its environment variable (RSPACE_USERNAME,
RSPACE_API_KEY, RSPACE_CLIENT_SECRET, ...); flags win. Without credentials, a server that
takes the bundled fixtures' is checked with them (it is this fake); otherwise the clauses
that need an account are reported as not checked. The report (contract-report.md and
contract-report.xml, JUnit) says which clauses held, failed or were not checked, and why.
"""


def add_contract_command(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser(
        "contract",
        help="check a server (a real RSpace, or this fake) against RSpace's contract",
        description="Run the contract suite against an RSpace at --url (or, without it,\n"
        "against this fake) and write a report of which clauses hold.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--url",
        help="base URL of the RSpace to check, e.g. https://rspace.example.org (env "
        "RSPACE_URL; default: this fake, in-process and over a real port)",
    )
    parser.add_argument(
        "--report",
        metavar="DIR",
        default="rspace-contract-report",
        help="directory for contract-report.md and contract-report.xml "
        "(default: ./rspace-contract-report)",
    )
    parser.add_argument(
        "--read-only",
        action="store_true",
        help="create, change and delete nothing on the server: only the reading clauses",
    )
    parser.add_argument(
        "--clauses",
        metavar="ID,ID",
        help="check only these clauses (ids as in the report, e.g. OAUTH-GRANT-1)",
    )
    parser.add_argument(
        "--thorough",
        action="store_true",
        help="many more examples and state-machine steps (minutes rather than seconds)",
    )
    credentials = parser.add_argument_group("credentials (each also from its RSPACE_ variable)")
    for credential in CREDENTIALS:
        credentials.add_argument(
            credential.flag,
            dest=credential.name,
            metavar="VALUE",
            help=f"{credential.meaning} (env {credential.env})",
        )
    parser.add_argument(
        "pytest_args",
        nargs=argparse.REMAINDER,
        help="after --: more pytest arguments (-x, -q, -k EXPR, ...)",
    )


def missing_requirements() -> list[str]:
    return [dist for module, dist in SUITE_REQUIREMENTS.items() if not _importable(module)]


def _importable(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def run_contract(args: argparse.Namespace) -> int:
    missing = missing_requirements()
    if missing:
        print(
            f"rspace-mock contract: error: the contract suite needs {', '.join(missing)}: "
            'install them with  pip install "rspace-mock[contract]"',
            file=sys.stderr,
        )
        return 2
    url = args.url or os.environ.get("RSPACE_URL")
    values = {c.name: getattr(args, c.name) or os.environ.get(c.env) for c in CREDENTIALS}
    if url:
        gaps = missing_credentials(values)
        if gaps and not any(values.values()) and _is_this_fake(url):
            print(
                f"rspace-mock contract: {url} takes the bundled fixtures' credentials: using them"
            )
        elif gaps:
            print(f"rspace-mock contract: checking {url} with what was given; not checked:")
            for gap in gaps:
                print(textwrap.fill(gap, 92, initial_indent="  - ", subsequent_indent="    "))
    report = Path(args.report).resolve()
    pytest_args = [
        "--pyargs",
        "mock_server.contract",
        "-p",
        "mock_server.contract.plugin",
        "-p",
        "no:cacheprovider",
        f"--contract-report={report}",
        "-ra",
    ]
    if url:
        pytest_args.append(f"--rspace-url={url}")
    if args.read_only:
        pytest_args.append("--read-only")
    if args.clauses:
        pytest_args.append(f"--contract-clauses={args.clauses}")
    for credential in CREDENTIALS:
        value = getattr(args, credential.name)
        if value:
            pytest_args.append(f"--rspace-{credential.flag[2:]}={value}")
    extra = list(args.pytest_args)
    if extra[:1] == ["--"]:
        extra = extra[1:]
    env = dict(os.environ)
    if args.thorough:
        env["HYPOTHESIS_PROFILE"] = "thorough"
    with tempfile.TemporaryDirectory(prefix="rspace-contract-") as workdir:
        # An ini of its own: the caller's pytest configuration (addopts, plugins, markers) is
        # not the suite's.
        ini = Path(workdir) / "pytest.ini"
        ini.write_text("[pytest]\nconsole_output_style = count\n", encoding="utf-8")
        command = [sys.executable, "-m", "pytest", *pytest_args, "-c", str(ini)]
        command += ["--rootdir", workdir, *extra]
        # The report's path is in pytest's summary.
        return subprocess.call(command, env=env)


def _is_this_fake(url: str) -> bool:
    from .target import fixture_credentials_accepted

    try:
        return fixture_credentials_accepted(url)
    except Exception:  # unreachable or odd: the suite will say so itself
        return False
