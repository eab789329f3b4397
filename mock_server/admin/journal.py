"""The request journal: a bounded, thread-safe record of what clients sent and got back.

Nothing leaves the journal unmasked (see :mod:`.masking`). Two keepers, one behaviour:

* :class:`LocalJournal`, for a store that lives in this process (the default): a ring buffer
  in memory, which masks an exchange when the journal is first read after it, so that
  recording costs a request almost nothing;
* :class:`StoredJournal`, for a store shared with other processes and hosts (``--state``): each
  exchange is masked at once (no secret is ever written to a file or a database) and written
  to the store, so that every worker's requests are in one journal, each once, under ids that
  count up across all of them.

Whether the journal records (``enabled``) is kept in the store either way.
"""

from __future__ import annotations

import atexit
import itertools
import json
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from ..domain.store import Store
from .instrument_kinds import JOURNAL_ROWS, JournalRow
from .masking import (
    MASK,
    FormReading,
    field_is_secret,
    field_secrets,
    mask_form_text,
    mask_header,
    mask_query,
    read_json,
    read_query,
    unread_body,
)
from .secret_values import Secrets, header_secrets, mentions_secret, might_hold_secret

log = logging.getLogger("rspace_mock")

DEFAULT_CAPACITY = 1000
#: Bodies longer than this are cut (after masking) to keep the journal small.
MAX_BODY_CHARS = 16_384
#: Where every request carries credentials: a body the form parser did not read is never shown.
CREDENTIAL_PATHS = frozenset({"/oauth/token"})
_FORM_TYPE_WORDS = ("x-www-form-urlencoded", "multipart/form-data")


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
    #: Secret values the server read in this exchange (they are hunted for in every text).
    secrets: tuple[str, ...] = ()
    #: The body as the server's form parser read it; ``None`` when it read no form from it.
    request_form: FormReading | None = None


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
    #: The servlet-style parameter map as the server parsed it (query string, then a form or
    #: multipart body; the first value of a name wins), secrets masked.
    params: dict[str, str]
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

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> JournalEntry:
        return cls(**data)

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


def _decode(body: bytes) -> str:
    return body.decode("utf-8", errors="replace")


def _is_form_type(content_type: str) -> bool:
    lower = content_type.lower()
    return any(word in lower for word in _FORM_TYPE_WORDS)


def _header(headers: Iterable[tuple[str, str]], name: str) -> str:
    return next((v for k, v in headers if k.lower() == name), "")


def _params(readings: Iterable[FormReading | None], secrets: Secrets) -> dict[str, str]:
    params: dict[str, str] = {}
    for reading in readings:
        for item in reading.fields if reading is not None else ():
            name = item.name
            if might_hold_secret(name) or secrets.found_in(name):
                name = MASK
            secret = field_is_secret(item) or secrets.found_in(item.value)
            params.setdefault(name, MASK if secret else item.value)
    return params


def mask_exchange(entry_id: int, exchange: RawExchange) -> JournalEntry:
    """The pure masking step: a raw exchange in, a journal entry with no secret out.

    First every secret value is gathered (what the server read, headers, parameters under
    secret names, JSON members, tokens in the response); then every text is masked
    structurally and cleaned of those values in any encoding.
    """
    secrets = Secrets(exchange.secrets)
    secrets.update(header_secrets(exchange.request_headers))
    secrets.update(header_secrets(exchange.response_headers))
    query = read_query(exchange.query)
    form = exchange.request_form
    for reading in (query, form):
        if reading is not None:
            secrets.update(field_secrets(reading.fields))
    request_text = _decode(exchange.request_body)
    content_type = _header(exchange.request_headers, "content-type")
    request_json = None
    if form is None and exchange.path not in CREDENTIAL_PATHS and not _is_form_type(content_type):
        request_json = read_json(request_text)
    response_text = _decode(exchange.response_body)
    response_json = read_json(response_text)
    for parsed in (request_json, response_json):
        if parsed is not None:
            secrets.update(parsed[1])

    if not exchange.request_body:
        request_body = ""
    elif form is not None:
        masked = mask_form_text(exchange.request_body.decode("latin-1"), form, secrets)
        request_body = secrets.redact(_decode(masked.encode("latin-1")))
    elif request_json is not None:
        request_body = secrets.redact(request_json[0])
    elif (
        exchange.path in CREDENTIAL_PATHS
        or mentions_secret(request_text)
        or secrets.found_in(request_text)
    ):
        # Not parsed: no telling which part is a secret, so none of it is shown.
        request_body = unread_body(len(exchange.request_body))
    else:
        request_body = request_text
    response_body = secrets.redact(response_json[0] if response_json else response_text)

    def headers(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
        result: dict[str, str] = {}
        for name, value in pairs:
            result[name.lower()] = secrets.redact(mask_header(name, value))
        return result

    return JournalEntry(
        id=entry_id,
        time=exchange.time.isoformat().replace("+00:00", "Z"),
        method=exchange.method,
        path=exchange.path,
        query=mask_query(exchange.query, secrets),
        request_headers=headers(exchange.request_headers),
        request_body=request_body[:MAX_BODY_CHARS],
        params=_params((query, form), secrets),
        status=exchange.status,
        response_headers=headers(exchange.response_headers),
        response_body=response_body[:MAX_BODY_CHARS],
        username=exchange.username,
        auth_method=exchange.auth_method,
        fault=exchange.fault,
        outcome=exchange.outcome,
        duration_ms=round(exchange.duration_ms, 3),
    )


def _unmasked_placeholder(entry_id: int, exchange: RawExchange) -> JournalEntry:
    """An entry that keeps only what holds no secret: method, path, status, timings."""
    return JournalEntry(
        id=entry_id,
        time=exchange.time.isoformat().replace("+00:00", "Z"),
        method=exchange.method,
        path=exchange.path,
        query=MASK if exchange.query else "",
        request_headers={name.lower(): MASK for name, _ in exchange.request_headers},
        request_body=unread_body(len(exchange.request_body)) if exchange.request_body else "",
        params={},
        status=exchange.status,
        response_headers={name.lower(): MASK for name, _ in exchange.response_headers},
        response_body=unread_body(len(exchange.response_body)) if exchange.response_body else "",
        username=exchange.username,
        auth_method=exchange.auth_method,
        fault=exchange.fault,
        outcome=exchange.outcome,
        duration_ms=round(exchange.duration_ms, 3),
    )


#: Store meta key that says the journal is switched off (``"off"``); absent, it records.
JOURNAL_SWITCH_META = "instruments:journal"
#: The sequence of journal ids in the store.
JOURNAL_SEQUENCE = "journal"


class Journal:
    """What both keepers of the journal share: the switch, kept in the store."""

    def __init__(self, store: Store, capacity: int) -> None:
        self.store = store
        self._capacity = capacity

    @property
    def capacity(self) -> int:
        return self._capacity

    @property
    def enabled(self) -> bool:
        return self.store.get_meta(JOURNAL_SWITCH_META) != "off"

    @enabled.setter
    def enabled(self, value: bool) -> None:
        self.store.set_meta(JOURNAL_SWITCH_META, "on" if value else "off")

    def record(self, exchange: RawExchange) -> None:
        raise NotImplementedError

    def _all(self) -> list[JournalEntry]:
        raise NotImplementedError

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
        return [e for e in self._all() if _matches(e, path, method, user, status, since_id)]

    def clear(self, restart_ids: bool = False) -> int:
        """Forget all entries. Ids keep counting up (so a ``since`` mark taken before stays
        meaningful) unless ``restart_ids``, which a full reset uses."""
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError


class LocalJournal(Journal):
    """A ring buffer of the last ``capacity`` exchanges in this process's memory."""

    def __init__(self, store: Store, capacity: int = DEFAULT_CAPACITY) -> None:
        super().__init__(store, capacity)
        self._lock = threading.Lock()
        #: Masked entries, and exchanges not masked yet: an exchange is masked when the journal
        #: is first read after it (the admin API, the plugin, the CLI), not while its response
        #: is being sent, so that recording costs a request almost nothing. Nothing leaves the
        #: journal unmasked.
        self._entries: deque[JournalEntry | tuple[int, RawExchange]] = deque(maxlen=capacity)
        self._ids = itertools.count(1)

    def record(self, exchange: RawExchange) -> None:
        with self._lock:
            self._entries.append((next(self._ids), exchange))

    def _all(self) -> list[JournalEntry]:
        """Every entry, masking (once) the exchanges recorded since the last read."""
        with self._lock:
            if any(isinstance(item, tuple) for item in self._entries):
                self._entries = deque(
                    (_mask(*item) if isinstance(item, tuple) else item for item in self._entries),
                    maxlen=self._entries.maxlen,
                )
            return [item for item in self._entries if isinstance(item, JournalEntry)]

    def clear(self, restart_ids: bool = False) -> int:
        with self._lock:
            count = len(self._entries)
            self._entries.clear()
            if restart_ids:
                self._ids = itertools.count(1)
            return count

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


#: How often a process writes the exchanges it recorded to a shared journal (at most).
FLUSH_SECONDS = 0.05
#: How long a read of a shared journal waits for every other process's last flush.
SETTLE_SECONDS = 4 * FLUSH_SECONDS


class StoredJournal(Journal):
    """The last ``capacity`` exchanges of every process, masked, in the store.

    Recording costs a request an append to a buffer: a thread of each process masks what was
    recorded and writes it in one transaction, every :data:`FLUSH_SECONDS` (so a request never
    waits for the store's write lock, which a long save may hold). A read first writes this
    process's buffer, then waits :data:`SETTLE_SECONDS`, in which every other process writes
    its own: so a client that reads the journal right after its responses finds its requests,
    whichever process served them. Entries are listed in the order they were recorded (by
    the system time of each host); ids are given as entries are written, so across processes
    they need not follow that order. Unmasked exchanges stay in this process's memory only.
    """

    def __init__(self, store: Store, capacity: int = DEFAULT_CAPACITY) -> None:
        super().__init__(store, capacity)
        self._rows = store.collection(JOURNAL_ROWS)
        #: Exchanges recorded and not written yet, each with when (system time, microseconds).
        self._pending: list[tuple[int, RawExchange]] = []
        #: Held while a batch is written, so that a read's own flush waits for one under way.
        self._writing = threading.Lock()
        self._wake = threading.Condition()
        self._flusher: threading.Thread | None = None
        self._flusher_pid = 0

    def record(self, exchange: RawExchange) -> None:
        with self._wake:
            self._pending.append((time.time_ns() // 1000, exchange))
            if self._flusher is None or self._flusher_pid != os.getpid():
                self._start_flusher()
            self._wake.notify()

    def _start_flusher(self) -> None:
        # One per process (a thread does not survive a fork); call with ``_wake`` held.
        self._flusher_pid = os.getpid()
        self._flusher = threading.Thread(
            target=self._flush_forever, name="rspace-mock-journal", daemon=True
        )
        self._flusher.start()
        atexit.register(self.flush)

    def _flush_forever(self) -> None:
        while True:
            with self._wake:
                while not self._pending:
                    self._wake.wait()
            time.sleep(FLUSH_SECONDS)  # gather what arrives meanwhile into one batch
            try:
                self.flush()
            except Exception as exc:  # the store is gone (closed, or its database stopped)
                log.error("journal: could not write %s to the store", type(exc).__name__)

    def flush(self) -> None:
        """Write this process's recorded exchanges, masked, in one transaction."""
        with self._writing:
            with self._wake:
                batch, self._pending = self._pending, []
            if not batch:
                return
            masked = [(recorded, _mask(0, exchange)) for recorded, exchange in batch]
            with self.store.transaction():
                for recorded, entry in masked:
                    entry_id = self.store.next_id(JOURNAL_SEQUENCE)
                    # ASCII JSON: a lone surrogate a client sent is kept escaped, as text no
                    # store refuses, and read back as the in-memory journal shows it.
                    text = json.dumps({**entry.to_json(), "id": entry_id}, separators=(",", ":"))
                    self._rows.insert(JournalRow(id=entry_id, entry=text, recorded=recorded))
                    self._rows.delete(entry_id - self._capacity)

    def _settle(self) -> None:
        """Everything recorded before now, by any process, written."""
        started = time.monotonic()
        self.flush()
        remaining = SETTLE_SECONDS - (time.monotonic() - started)
        if remaining > 0:
            time.sleep(remaining)

    def _all(self) -> list[JournalEntry]:
        self._settle()
        _, rows = self._rows.page(0, "recorded", limit=self._capacity)
        return [JournalEntry.from_json(json.loads(row.entry)) for row in rows]

    def clear(self, restart_ids: bool = False) -> int:
        self._settle()
        with self.store.transaction():
            count = self._rows.delete_where()
            if restart_ids:
                self.store.set_sequence(JOURNAL_SEQUENCE, 1)
            return count

    def __len__(self) -> int:
        self._settle()
        return self._rows.count()


def _mask(entry_id: int, exchange: RawExchange) -> JournalEntry:
    try:
        return mask_exchange(entry_id, exchange)
    except Exception as exc:
        # Never keep what could not be masked (the error itself is not logged: its text might
        # hold a secret).
        log.error("journal: request #%d could not be masked (%s)", entry_id, type(exc))
        return _unmasked_placeholder(entry_id, exchange)


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


__all__ = [
    "MASK",
    "Journal",
    "JournalEntry",
    "LocalJournal",
    "RawExchange",
    "StoredJournal",
    "mask_exchange",
]
