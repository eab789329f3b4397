"""rspace-mock: a faithful fake of the RSpace electronic lab notebook's API."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .settings import Quirks, Settings
    from .web.app import create_app

__all__ = ["Quirks", "Settings", "create_app"]
__version__ = "0.2.0"


def __getattr__(name: str) -> object:
    # Imported on first use, so that ``import mock_server`` stays cheap for the CLI's --help
    # and for pytest, which imports the package's plugin in every run of its venv.
    if name in ("Quirks", "Settings"):
        from . import settings

        return getattr(settings, name)
    if name == "create_app":
        from .web.app import create_app

        return create_app
    raise AttributeError(name)
