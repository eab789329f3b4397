"""A real headless Chromium for the browser tests, driven by Playwright, and where their
screenshots go.

The browser is found by ``scripts/chromium.sh find`` (which, as root on Debian, installs
Debian's chromium). Where none can be had the tests are skipped, saying so, on a developer's
machine, and fail in CI (``CI`` set) or with ``RSPACE_MOCK_REQUIRE_BROWSER=1``, which
``make test`` sets.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
#: Every step's screenshot, kept as the test run's artefacts.
ARTIFACTS = Path(os.environ.get("RSPACE_MOCK_ARTIFACTS", REPO_ROOT / "test-artifacts")) / "browser"
#: The README's screenshots: written by the tests only with RSPACE_MOCK_UPDATE_SCREENSHOTS=1.
README_IMAGES = REPO_ROOT / "docs" / "images"


def browser_required() -> bool:
    return bool(os.environ.get("CI")) or os.environ.get("RSPACE_MOCK_REQUIRE_BROWSER") == "1"


def unavailable(reason: str) -> None:
    message = f"no headless browser for the browser tests: {reason}"
    if browser_required():
        pytest.fail(message + " (required here: CI or RSPACE_MOCK_REQUIRE_BROWSER=1)")
    pytest.skip(message)


def chromium_path() -> str:
    done = subprocess.run(
        ["bash", str(REPO_ROOT / "scripts" / "chromium.sh"), "find"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    if done.returncode != 0 or not done.stdout.strip():
        unavailable(done.stderr.strip() or "scripts/chromium.sh found none")
    return done.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """One browser per module: Playwright's synchronous API keeps an event loop running in
    the main thread while it is open, which later tests' ``asyncio.run`` could not share."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("Playwright is not installed (pip install playwright)")
    path = chromium_path()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=["--no-sandbox"])
        yield browser
        browser.close()


class Steps:
    """Screenshots of one test's steps, numbered in order."""

    def __init__(self, page: Any, test_name: str) -> None:
        self.page = page
        self.folder = ARTIFACTS / re.sub(r"[^\w.-]+", "_", test_name)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.count = 0

    def shot(self, name: str, *, readme: str | None = None) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{name}.png"
        self.page.screenshot(path=str(path))
        if readme and os.environ.get("RSPACE_MOCK_UPDATE_SCREENSHOTS") == "1":
            README_IMAGES.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(README_IMAGES / readme))
        return path


@pytest.fixture
def page(chromium: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 1100, "height": 760})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def steps(page: Any, request: pytest.FixtureRequest) -> Steps:
    return Steps(page, request.node.name)
