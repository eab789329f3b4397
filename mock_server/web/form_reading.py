"""A request body read by the server's own form parsers, with where each field lies.

``Request.form()`` (what ``POST /oauth/token`` reads its parameters with) runs Starlette's
``FormParser`` or ``MultiPartParser``. :func:`read_form` runs the very same classes, with the
same limits, over the bytes the journal captured, and notes the offsets the underlying
python-multipart parser reports for every name, value and part header. So the journal masks
exactly the fields the server parsed, in whatever spelling it accepted them.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from urllib.parse import unquote_plus

from starlette.datastructures import Headers
from starlette.formparsers import FormParser, MultiPartParser

from ..admin.masking import FormField, FormReading, Span

try:
    from python_multipart.multipart import parse_options_header
except ModuleNotFoundError:  # pragma: no cover - python-multipart before 0.0.13
    from multipart.multipart import parse_options_header  # type: ignore[no-redef]

URLENCODED = "form"
MULTIPART = "multipart"

#: Set while this module re-reads a body the endpoint has read (or will read) itself.
_REREADING: ContextVar[bool] = ContextVar("rspace_mock_rereading_form", default=False)


class _QuietWhileRereading(logging.Filter):
    """The parser's warnings about a malformed body are logged once, when the endpoint reads
    it, not again for each re-reading."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not _REREADING.get()


for _name in ("python_multipart.multipart", "multipart.multipart"):
    logging.getLogger(_name).addFilter(_QuietWhileRereading())


def form_kind(content_type: str | None) -> str | None:
    """Which form parser ``Request.form()`` runs for this ``Content-Type``, if any."""
    media_type, _ = parse_options_header(content_type)
    if media_type == b"multipart/form-data":
        return MULTIPART
    if media_type == b"application/x-www-form-urlencoded":
        return URLENCODED
    return None


async def _single_chunk(body: bytes) -> AsyncGenerator[bytes, None]:
    # As Request.stream() ends: the body, then an empty chunk.
    if body:
        yield body
    yield b""


def _widen(span: Span | None, start: int, end: int) -> Span:
    return (start, end) if span is None else (min(span[0], start), max(span[1], end))


class _Offsets:
    """Turns the parser's ``(data, start, end)`` callbacks into offsets into the body; the
    body goes to the parser in one chunk, so every callback must point into it."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.located = True

    def span(self, current: Span | None, data: bytes, start: int, end: int) -> Span:
        if data is not self.body:
            self.located = False
        return _widen(current, start, end)


class _LocatingFormParser(FormParser):
    def __init__(self, headers: Headers, body: bytes) -> None:
        super().__init__(headers, _single_chunk(body))
        self.offsets = _Offsets(body)
        self.spans: list[tuple[Span | None, Span | None]] = []
        self._name: Span | None = None
        self._value: Span | None = None

    def on_field_start(self) -> None:
        super().on_field_start()
        self._name = self._value = None

    def on_field_name(self, data: bytes, start: int, end: int) -> None:
        self._name = self.offsets.span(self._name, data, start, end)
        super().on_field_name(data, start, end)

    def on_field_data(self, data: bytes, start: int, end: int) -> None:
        self._value = self.offsets.span(self._value, data, start, end)
        super().on_field_data(data, start, end)

    def on_field_end(self) -> None:
        super().on_field_end()
        self.spans.append((self._name, self._value))


@dataclass
class _Part:
    disposition: Span | None = None
    data: Span | None = None
    finished: bool = False


class _LocatingMultiPartParser(MultiPartParser):
    def __init__(self, headers: Headers, body: bytes) -> None:
        super().__init__(headers, _single_chunk(body))
        self.offsets = _Offsets(body)
        self.parts: list[_Part] = []
        self.structure: list[Span] = []
        self._header_name = b""
        self._header_name_span: Span | None = None
        self._header_value_span: Span | None = None

    def on_part_begin(self) -> None:
        super().on_part_begin()
        self.parts.append(_Part())

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name_span = self.offsets.span(self._header_name_span, data, start, end)
        self._header_name += data[start:end]
        super().on_header_field(data, start, end)

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value_span = self.offsets.span(self._header_value_span, data, start, end)
        super().on_header_value(data, start, end)

    def on_header_end(self) -> None:
        super().on_header_end()
        part = self.parts[-1]
        if self._header_name_span is not None:
            self.structure.append(self._header_name_span)
        value = self._header_value_span
        if value is not None:
            if self._header_name.lower() == b"content-disposition":
                # The parser uses the last Content-Disposition header; an earlier one is
                # only structure (and is checked as such).
                if part.disposition is not None:
                    self.structure.append(part.disposition)
                part.disposition = value
            else:
                self.structure.append(value)
        self._header_name = b""
        self._header_name_span = self._header_value_span = None

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        part = self.parts[-1]
        part.data = self.offsets.span(part.data, data, start, end)
        super().on_part_data(data, start, end)

    def on_part_end(self) -> None:
        super().on_part_end()
        self.parts[-1].finished = True


def file_placeholder(size: int) -> str:
    """What the journal shows for an uploaded file's bytes."""
    return f"({size} bytes of a file, not kept)"


def _text(raw: str, span: Span | None) -> str:
    return "" if span is None else raw[span[0] : span[1]]


def _part_text(body: bytes, span: Span | None) -> str:
    data = b"" if span is None else body[span[0] : span[1]]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


async def _read_urlencoded(headers: Headers, body: bytes, raw: str) -> FormReading | None:
    parser = _LocatingFormParser(headers, body)
    items = (await parser.parse()).multi_items()
    if not parser.offsets.located or len(items) != len(parser.spans):
        return None
    fields: list[FormField] = []
    for (name, value), (name_span, value_span) in zip(items, parser.spans, strict=True):
        # Check the offsets: they must give back what the parser decoded.
        located = (unquote_plus(_text(raw, name_span)), unquote_plus(_text(raw, value_span)))
        if located != (name, value) or not isinstance(value, str):
            return None
        fields.append(FormField(name, value, name_span, value_span))
    return FormReading(tuple(fields))


async def _read_multipart(headers: Headers, body: bytes, raw: str) -> FormReading | None:
    parser = _LocatingMultiPartParser(headers, body)
    form = await parser.parse()
    await form.close()  # file parts: only their place in the body matters here
    items = form.multi_items()
    finished = [part for part in parser.parts if part.finished]
    if not parser.offsets.located or len(items) != len(finished):
        return None
    fields: list[FormField] = []
    for (name, value), part in zip(items, finished, strict=True):
        if not isinstance(value, str):  # a file: what it is, never its bytes
            size = 0 if part.data is None else part.data[1] - part.data[0]
            label = _text(raw, part.disposition)
            fields.append(
                FormField(name, file_placeholder(size), part.disposition, part.data, label, True)
            )
            continue
        text = _part_text(body, part.data)
        if value != text:
            return None
        fields.append(
            FormField(name, text, part.disposition, part.data, _text(raw, part.disposition))
        )
    structure = list(parser.structure)
    unaccepted: list[Span] = []
    for part in parser.parts:
        if not part.finished:
            structure.extend(s for s in (part.disposition,) if s is not None)
            unaccepted.extend(s for s in (part.data,) if s is not None)
    _, options = parse_options_header(headers.get("content-type"))
    delimiter = "--" + options.get(b"boundary", b"").decode("latin-1")
    return FormReading(tuple(fields), tuple(structure), tuple(unaccepted), delimiter)


async def read_form(
    headers: Iterable[tuple[str, str]] | Headers, body: bytes
) -> FormReading | None:
    """The body as the server's form parser reads it, with offsets into ``body`` decoded as
    Latin-1; ``None`` when the content type is no form or the parser refuses the body."""
    if not isinstance(headers, Headers):
        headers = Headers(
            raw=[(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]
        )
    kind = form_kind(headers.get("content-type"))
    if kind is None:
        return None
    raw = body.decode("latin-1")
    rereading = _REREADING.set(True)
    try:
        if kind == MULTIPART:
            return await _read_multipart(headers, body, raw)
        return await _read_urlencoded(headers, body, raw)
    except Exception:  # the parser refused the body (the endpoint then reads nothing from it)
        return None
    finally:
        _REREADING.reset(rereading)


def first_value(readings: Iterable[FormReading | None], name: str) -> str | None:
    """The servlet parameter map's value for ``name``: the first one, query string first."""
    for reading in readings:
        for field in reading.fields if reading is not None else ():
            if field.name == name:
                return field.value
    return None
