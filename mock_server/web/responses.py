"""Responses in RSpace's wire format: Jackson-pretty JSON, ``application/json;charset=UTF-8``."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from . import jackson

JSON_MEDIA_TYPE = "application/json;charset=UTF-8"


class RSpaceJSONResponse(Response):
    media_type = JSON_MEDIA_TYPE

    def render(self, content: Any) -> bytes:
        return jackson.dumps(content).encode("utf-8")
