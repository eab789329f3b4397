"""The request journal: a bounded, thread-safe record of what clients sent and got back.

Entries are masked before they are stored (see :mod:`.masking`), so the journal never holds a
secret in clear, whoever reads it.
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from .masking import (
    MASK,
    is_secret_key,
    mask_body,
    mask_header,
    mask_urlencoded,
    secret_redactor,
)

DEFAULT_CAPACITY = 1000
#: Bodies longer than this are cut (after masking) to keep the journal small.
MAX_BODY_CHARS = 16_384


@dataclass(frozen=True)
class RawExchange:
    """One request and its response as the web layer saw them, before masking."""

    time: datetime
    method: str
    path: str
    query: str
    request_headers: list[tuple[str, str]]
    request_body: bytes
    status: int | None
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    response_body: bytes = b""
    username: str | None = None
    auth_method: str | None = None
    fault: str | None = None
    #: ``None`` when a response was sent; else what went wrong (``dropped``, ``truncated``).
    outcome: str = "completed"
    duration_ms: float = 0.0


@dataclass(frozen=True)
class JournalEntry:
    """One masked journal entry. ``status`` is ``None`` when the connection was dropped."""

    id: int
    time: str
    method: str
    path: str
    query: str
    request_headers: dict[str, str]
    request_body: str
    status: int | None
    response_headers: dict[str, str]
    response_body: str
    username: str | None
    auth_method: str | None
    fault: str | None
    outcome: str
    duration_ms: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def params(self) -> dict[str, str]:
        """Query and form parameters (masked), e.g. ``params["grant_type"]``."""
        content_type = self.request_headers.get("content-type", "")
        return request_params(self.query, content_type, self.request_body)

    @property
    def grant_type(self) -> str | None:
        return self.params.get("grant_type")

    def summary(self) -> str:
        """``POST /oauth/token grant_type=refresh_token -> 200`` (for failure messages)."""
        detail = ""
        if self.path == "/oauth/token":
            params = self.params
            keys = ("grant_type", "is_jwt", "username")
            detail = " " + " ".join(f"{k}={params[k]}" for k in keys if params.get(k))
            if not params.get("username") and self.username:
                detail += f" (user {self.username})"
        auth = ""
        if self.auth_method:
            auth = f" [{self.auth_method}]"
        elif "authorization" in self.request_headers:
            auth = f" [Authorization: {self.request_headers['authorization']}]"
        elif "apikey" in self.request_headers:
            auth = " [apiKey]"
        status = str(self.status) if self.status is not None else self.outcome
        fault = f" (fault: {self.fault})" if self.fault else ""
        query = f"?{self.query}" if self.query else ""
        return f"#{self.id} {self.method} {self.path}{query}{detail}{auth} -> {status}{fault}"


def request_params(query: str, content_type: str, body: str) -> dict[str, str]:
    """The servlet-style parameter map: query string, then a form or multipart body."""
    values = dict(parse_qsl(query, keep_blank_values=True))
    if "x-www-form-urlencoded" in content_type:
        values.update(parse_qsl(body, keep_blank_values=True))
    elif "multipart/" in content_type:
        values.update(_multipart_fields(body))
    return values


def _multipart_fields(body: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for part in body.split("\r\n--")[0:]:
        head, sep, value = part.partition("\r\n\r\n")
        if not sep or 'name="' not in head:
            continue
        name = head.split('name="', 1)[1].split('"', 1)[0]
        values[name] = value.split("\r\n--", 1)[0].rstrip("\r\n")
    return values


def _decode(body: bytes) -> str:
    return body.decode("utf-8", errors="replace")


def _secrets_in(exchange: RawExchange) -> list[str]:
    """Secret values in clear in this exchange, to redact wherever else they appear."""
    found: list[str] = []
    for name, value in exchange.request_headers:
        lower = name.lower()
        if lower == "apikey":
            found.append(value.strip())
        elif lower == "authorization":
            found.append(value.strip().partition(" ")[2].strip())
    texts = [exchange.query, _decode(exchange.request_body)]
    for text in texts:
        for key, value in parse_qsl(text, keep_blank_values=True):
            if is_secret_key(key):
                found.append(value)
    # multipart and JSON secrets are removed structurally by mask_body
    for part_name, value in _multipart_fields(_decode(exchange.request_body)).items():
        if is_secret_key(part_name):
            found.append(value)
    return found


def mask_exchange(entry_id: int, exchange: RawExchange) -> JournalEntry:
    """The pure masking step: a raw exchange in, a journal entry with no secret out."""
    clean = secret_redactor(_secrets_in(exchange))

    def headers(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
        result: dict[str, str] = {}
        for name, value in pairs:
            result[name.lower()] = clean(mask_header(name, value))
        return result

    request_headers = headers(exchange.request_headers)
    response_headers = headers(exchange.response_headers)
    request_body = clean(
        mask_body(_decode(exchange.request_body), request_headers.get("content-type", ""))
    )
    response_body = clean(
        mask_body(_decode(exchange.response_body), response_headers.get("content-type", ""))
    )
    return JournalEntry(
        id=entry_id,
        time=exchange.time.isoformat().replace("+00:00", "Z"),
        method=exchange.method,
        path=exchange.path,
        query=clean(mask_urlencoded(exchange.query)),
        request_headers=request_headers,
        request_body=request_body[:MAX_BODY_CHARS],
        status=exchange.status,
        response_headers=response_headers,
        response_body=response_body[:MAX_BODY_CHARS],
        username=exchange.username,
        auth_method=exchange.auth_method,
        fault=exchange.fault,
        outcome=exchange.outcome,
        duration_ms=round(exchange.duration_ms, 3),
    )


class Journal:
    """A ring buffer of the last ``capacity`` exchanges, safe to use from any thread."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self._lock = threading.Lock()
        self._entries: deque[JournalEntry] = deque(maxlen=capacity)
        self._ids = itertools.count(1)
        self.enabled = True

    @property
    def capacity(self) -> int:
        return self._entries.maxlen or 0

    def record(self, exchange: RawExchange) -> JournalEntry | None:
        if not self.enabled:
            return None
        with self._lock:
            entry = mask_exchange(next(self._ids), exchange)
            self._entries.append(entry)
            return entry

    def entries(
        self,
        *,
        path: str | None = None,
        method: str | None = None,
        user: str | None = None,
        status: int | None = None,
        since_id: int | None = None,
    ) -> list[JournalEntry]:
        """Entries oldest first. ``path`` is exact, or a prefix when it ends with ``*``."""
        with self._lock:
            entries = list(self._entries)
        return [e for e in entries if _matches(e, path, method, user, status, since_id)]

    def clear(self, restart_ids: bool = False) -> int:
        """Forget all entries. Ids keep counting up (so a ``since`` mark taken before stays
        meaningful) unless ``restart_ids``, which a full reset uses."""
        with self._lock:
            count = len(self._entries)
            self._entries.clear()
            if restart_ids:
                self._ids = itertools.count(1)
            return count

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


def _matches(
    entry: JournalEntry,
    path: str | None,
    method: str | None,
    user: str | None,
    status: int | None,
    since_id: int | None,
) -> bool:
    if path is not None:
        if path.endswith("*"):
            if not entry.path.startswith(path[:-1]):
                return False
        elif entry.path != path:
            return False
    if method is not None and entry.method.upper() != method.upper():
        return False
    if user is not None and entry.username != user:
        return False
    if status is not None and entry.status != status:
        return False
    return since_id is None or entry.id > since_id


__all__ = ["MASK", "Journal", "JournalEntry", "RawExchange", "mask_exchange", "request_params"]
