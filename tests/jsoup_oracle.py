"""jsoup 1.15.3 itself, cleaning as RSpace configures it, for tests that compare the fake with it.

``scripts/jsoup.sh build`` (run by ``make test``) compiles the reference program and writes its
class path to ``.venv/jsoup/classpath``. Without it the tests that need jsoup are skipped on a
developer's machine, but fail where it is required: in CI (``CI`` set) or with
``RSPACE_MOCK_REQUIRE_JSOUP=1``.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

CLASSPATH_FILE = Path(__file__).resolve().parent.parent / ".venv" / "jsoup" / "classpath"
REQUIRE_ENV = "RSPACE_MOCK_REQUIRE_JSOUP"
_FALSE_WORDS = {"", "0", "false", "no", "off"}


class JsoupOracle:
    """One long-running Java process: each input goes in as a length-prefixed UTF-8 record and
    its cleaned body comes back the same way."""

    def __init__(self, classpath: str) -> None:
        self._process = subprocess.Popen(
            ["java", "-Xss16m", "-cp", classpath, "JsoupClean"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )

    def clean(self, content: str) -> str:
        assert self._process.stdin is not None and self._process.stdout is not None
        data = content.encode("utf-8")
        self._process.stdin.write(struct.pack(">i", len(data)) + data)
        self._process.stdin.flush()
        header = self._process.stdout.read(4)
        if len(header) < 4:
            raise RuntimeError(f"jsoup exited (code {self._process.poll()})")
        (length,) = struct.unpack(">i", header)
        return self._process.stdout.read(length).decode("utf-8")

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        self._process.wait(timeout=30)


def _required() -> bool:
    return any(
        os.environ.get(name, "").strip().lower() not in _FALSE_WORDS for name in ("CI", REQUIRE_ENV)
    )


def start_oracle() -> JsoupOracle:
    """The reference, or a skip (a failure where jsoup is required) saying what is missing."""
    reason = None
    if not CLASSPATH_FILE.is_file():
        reason = f"{CLASSPATH_FILE} is missing (`bash scripts/jsoup.sh build` makes it)"
    elif shutil.which("java") is None:
        reason = "no `java` on PATH"
    if reason is None:
        return JsoupOracle(CLASSPATH_FILE.read_text().strip())
    if _required():
        pytest.fail(f"jsoup is required here (CI or {REQUIRE_ENV}=1) but {reason}.")
    pytest.skip(f"no jsoup reference: {reason}")
