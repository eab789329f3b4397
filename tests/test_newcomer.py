"""The newcomer's path, as a new user walks it: build the sdist and, from it, the wheel; install
the wheel into fresh venvs (no clone on the path, no PYTHONPATH, outside the repository);
serve the default fixtures; paste the README's flow into a shell; check the served fake with
``rspace-mock contract --url`` from a venv that has only the ``contract`` extra; and run the
testing guide's examples, saved as the guide names them, with the ``testing`` extra.

Installing takes the package registry (or pip's cache), as any user's install does.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.quickstart_helpers import check_flow_output, readme_flow, run_flow

pytestmark = pytest.mark.own_engines

REPO_ROOT = Path(__file__).resolve().parent.parent
GUIDE = REPO_ROOT / "docs" / "testing-your-client.md"


def _run(command: list[str], *, cwd: Path, env: dict[str, str], timeout: float = 600) -> str:
    done = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, f"{command} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@dataclass
class Release:
    sdist: Path
    wheel: Path
    home: Path

    def env(self, venv: Path) -> dict[str, str]:
        """A user's shell with ``venv`` activated: nothing of this project's test run."""
        keep = {"HOME", "LANG", "LC_ALL", "TMPDIR", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL"}
        env = {k: v for k, v in os.environ.items() if k in keep or k.startswith("PIP_")}
        env["PATH"] = f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"
        env["VIRTUAL_ENV"] = str(venv)
        return env

    def venv(self, name: str, *extras: str) -> Path:
        venv = self.home / name
        _run([sys.executable, "-m", "venv", str(venv)], cwd=self.home, env=dict(os.environ))
        self.install(venv, *extras)
        return venv

    def install(self, venv: Path, *extras: str) -> None:
        wanted = f"{self.wheel}[{','.join(extras)}]" if extras else str(self.wheel)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", wanted]
        _run(pip, cwd=self.home, env=self.env(venv))


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Release:
    """The sdist, and the wheel built from it (``python -m build`` does both, in that order)."""
    home = tmp_path_factory.mktemp("newcomer")
    dist = home / "dist"
    _run(
        [sys.executable, "-m", "build", "--outdir", str(dist), str(REPO_ROOT)],
        cwd=home,
        env=dict(os.environ),
    )
    (sdist,) = dist.glob("*.tar.gz")
    (wheel,) = dist.glob("*.whl")
    return Release(sdist, wheel, home)


@dataclass
class Served:
    url: str
    process: subprocess.Popen[str]


def serve(release: Release, venv: Path, workdir: Path) -> Iterator[Served]:
    port_file = workdir / "port"
    process = subprocess.Popen(
        ["rspace-mock", "serve", "--port", "0", "--port-file", str(port_file)],
        cwd=workdir,
        env=release.env(venv),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not port_file.exists():
            assert process.poll() is None, "rspace-mock serve exited"
            assert time.monotonic() < deadline, "rspace-mock serve never wrote its port file"
            time.sleep(0.05)
        yield Served(f"http://127.0.0.1:{port_file.read_text().strip()}", process)
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_the_sdist_carries_the_licence_fixtures_docs_and_changelog(release: Release) -> None:
    with tarfile.open(release.sdist) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    wanted = {
        "LICENSE",
        "README.md",
        "CHANGELOG.md",
        "fixtures/default.json",
        "docs/testing-your-client.md",
        "docs/contract.md",
        "mock_server/default_fixtures.json",
        "mock_server/contract/plugin.py",
    }
    assert wanted <= names, sorted(wanted - names)


def test_the_wheel_alone_serves_offline_docs_and_the_readmes_flow(
    release: Release, tmp_path: Path
) -> None:
    venv = release.venv("bare")
    work = tmp_path / "work"
    work.mkdir()
    missing = subprocess.run(
        ["rspace-mock", "contract"], cwd=work, env=release.env(venv), capture_output=True, text=True
    )
    assert missing.returncode == 2
    assert missing.stderr.count("\n") == 1, missing.stderr
    assert 'pip install "rspace-mock[contract]"' in missing.stderr
    for served in serve(release, venv, work):
        health = requests.get(f"{served.url}/_mock/health", timeout=10).json()
        assert health["status"] == "ok" and health["store"] == "memory"
        docs = requests.get(f"{served.url}/docs", timeout=10).text
        scripts = re.findall(r'(?:src|href)="(/[^"]+)"', docs)
        assert scripts, docs
        for path in scripts:  # nothing from a CDN: every asset is the fake's own
            assert requests.get(served.url + path, timeout=10).status_code == 200, path
        assert "https://" not in docs
        flow = readme_flow().replace("http://127.0.0.1:8080", served.url)
        check_flow_output(run_flow(flow))


def test_the_contract_command_passes_against_a_served_fake_with_only_the_contract_extra(
    release: Release, tmp_path: Path
) -> None:
    venv = release.venv("contract", "contract")
    work = tmp_path / "work"
    work.mkdir()
    for served in serve(release, venv, work):
        done = subprocess.run(
            ["rspace-mock", "contract", "--url", served.url, "--report", "report", "--", "-q"],
            cwd=work,
            env=release.env(venv),
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
        assert "takes the bundled fixtures' credentials" in done.stdout
    report = (work / "report" / "contract-report.md").read_text(encoding="utf-8")
    assert served.url in report
    assert "| OAUTH-GRANT-1 | pass |" in report, report[:3000]
    assert "| fail |" not in report


def guide_examples() -> dict[str, str]:
    """Each Python block of the testing guide that names its file, by that name."""
    text = GUIDE.read_text(encoding="utf-8")
    blocks = re.findall(r"<!-- file: (\S+) -->\n```python\n(.*?)```", text, re.S)
    return dict(blocks)


@pytest.fixture(scope="module")
def testing_venv(release: Release) -> Path:
    return release.venv("testing", "testing")


def test_the_testing_guides_examples_run_as_written(
    release: Release, testing_venv: Path, tmp_path: Path
) -> None:
    examples = guide_examples()
    assert {"test_my_client.py", "conftest.py", "test_in_process.py"} <= examples.keys()
    venv = testing_venv
    work = tmp_path / "my-client"
    work.mkdir()
    for name, source in examples.items():
        (work / name).write_text(source, encoding="utf-8")
    shutil.copy(REPO_ROOT / "fixtures" / "default.json", work / "my-lab.json")
    out = _run(
        [
            str(venv / "bin" / "python"),
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            "-W",
            "error::DeprecationWarning",
            "-rA",
        ],
        cwd=work,
        env=release.env(venv),
    )
    tests = sum(len(re.findall(r"^(?:async )?def test_", s, re.M)) for s in examples.values())
    passed = int(re.search(r"(\d+) passed", out).group(1))  # type: ignore[union-attr]
    # ClientConformance's scenarios come on top of the examples' own tests.
    assert passed >= tests, out
    summary = out.strip().splitlines()[-1]
    assert "failed" not in summary and "error" not in summary, out


def test_the_plugin_costs_a_pytest_run_nothing_until_it_is_used(
    release: Release, testing_venv: Path, tmp_path: Path
) -> None:
    """pytest loads the plugin in every run of the venv; it must not import the fake."""
    venv = testing_venv
    probe = (
        "import sys, mock_server.testing.plugin; "
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('mock_server'))))"
    )
    out = _run(
        [str(venv / "bin" / "python"), "-c", f"import json; {probe}"],
        cwd=tmp_path,
        env=release.env(venv),
    )
    assert json.loads(out) == ["mock_server", "mock_server.testing", "mock_server.testing.plugin"]
