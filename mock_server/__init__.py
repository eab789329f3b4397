"""rspace-mock: a faithful fake of RSpace's OAuth token endpoint and documents API."""

from .settings import Quirks, Settings

__all__ = ["Quirks", "Settings", "create_app"]
__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    # Imported lazily so that ``import mock_server`` stays cheap for the CLI's --help.
    if name == "create_app":
        from .web.app import create_app

        return create_app
    raise AttributeError(name)
