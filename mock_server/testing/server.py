"""Run the fake on a free loopback port inside this process (uvicorn in a background thread),
so tests reach the same :class:`~mock_server.runtime.MockRSpace` object directly."""

from __future__ import annotations

import asyncio
import copy
import logging
import threading
from typing import Any

from ..runtime import MockRSpace, build_mock
from ..settings import Settings

START_TIMEOUT_SECONDS = 20.0

log = logging.getLogger("rspace_mock")


class ThreadedServer:
    """``with ThreadedServer(settings) as server: requests.get(server.base_url + ...)``."""

    def __init__(self, settings: Settings | None = None, mock: MockRSpace | None = None) -> None:
        import uvicorn

        from ..web.app import create_app

        self.settings = settings or Settings(port=0)
        self.mock = mock or build_mock(self.settings)
        self.app = create_app(self.settings, mock=self.mock)
        #: The fixtures loaded at start (the plugin resets each test back to them).
        self.session_fixtures: dict[str, Any] = copy.deepcopy(self.mock.fixture_data)
        config = uvicorn.Config(
            self.app,
            host=self.settings.host,
            port=0,
            log_level="warning",
            lifespan="off",
            server_header=False,
            access_log=False,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name="rspace-mock", daemon=True)
        self._error: BaseException | None = None
        self.port = 0

    def _run(self) -> None:
        try:
            asyncio.run(self._server.serve())
        except BaseException as exc:  # surfaced by start()
            self._error = exc

    def start(self) -> ThreadedServer:
        self._thread.start()
        waited = 0.0
        while not self._server.started and self._thread.is_alive():
            if waited > START_TIMEOUT_SECONDS:
                break
            self._thread.join(0.005)
            waited += 0.005
        if not self._server.started:
            raise RuntimeError(f"rspace-mock did not start: {self._error!r}")
        for server in self._server.servers:
            for sock in server.sockets:
                self.port = sock.getsockname()[1]
        exposure = self.settings.admin_exposure_warning()
        if exposure is not None:
            log.warning("%s", exposure)
        return self

    @property
    def base_url(self) -> str:
        host = self.settings.host if ":" not in self.settings.host else f"[{self.settings.host}]"
        return f"http://{host}:{self.port}"

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(START_TIMEOUT_SECONDS)

    def __enter__(self) -> ThreadedServer:
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()
