"""Text-field HTML as RSpace stores it. RSpace cleans field content with an HTML parser
(jsoup) and keeps its pretty-printed body: implied end tags are added, block elements go on
lines of their own, and whitespace runs in text collapse to one space. For example
``<p> Add 2ul EDTA. <p> See <a href="x">here</a>`` becomes
``<p>Add 2ul EDTA.</p>\\n<p>See <a href="x">here</a></p>`` (RSpace's own API test).

This reproduces the common cases (paragraphs, headings, lists, tables, inline markup,
entities); it is not a complete HTML5 tree builder.

Field content is user input of any size and shape, so every step here is a loop over the input,
not a recursion, and each costs time in proportion to the input: jsoup too parses and prints
deeply nested markup without recursing, looks only a bounded way up the stack of open elements
(``HtmlTreeBuilder``), and caps pretty-print indentation at 30 spaces
(``OutputSettings.maxPaddingWidth``), so that a deep tree does not print quadratically many spaces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import unescape
from typing import NamedTuple

VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "param",
    "source",
    "track",
    "wbr",
}
BLOCK = {
    "address",
    "article",
    "aside",
    "blockquote",
    "body",
    "dd",
    "details",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
    "caption",
    "colgroup",
}
#: Start tags that close an open ``<p>`` (HTML's implied end tag).
CLOSES_P = BLOCK - {
    "body",
    "li",
    "dd",
    "dt",
    "td",
    "th",
    "tr",
    "tbody",
    "thead",
    "tfoot",
    "caption",
    "colgroup",
}
#: End tags of these elements run jsoup's adoption agency, which needs the element in scope.
FORMATTING = {
    "a",
    "b",
    "big",
    "code",
    "em",
    "font",
    "i",
    "nobr",
    "s",
    "small",
    "strike",
    "strong",
    "tt",
    "u",
}
#: Elements whose content is raw text up to their end tag.
RAW_TEXT = {"script", "style"}
#: How far up the stack of open elements jsoup 1.15.3 (RSpace's version) looks, counted in
#: elements from the innermost: a scope check (``MaxScopeSearchDepth`` = 100, so 101 elements),
#: ``getFromStack`` (``maxQueueDepth`` = 256) and the ``dd``/``dt`` scan (``MaxStackScan`` = 24).
#: An end tag whose element is open deeper than that is ignored; a start tag does not close it.
SCOPE_REACH = 101
STACK_REACH = 257
DD_DT_REACH = 25
#: jsoup's ``OutputSettings.maxPaddingWidth``: indentation stops growing past 30 spaces.
MAX_PADDING = 30
_WHITESPACE = re.compile(r"[ \t\n\r\f]+")
_PADDING = [" " * width for width in range(MAX_PADDING + 1)]


@dataclass
class Element:
    tag: str
    attrs: list[tuple[str, str | None]] = field(default_factory=list)
    children: list[Element | str] = field(default_factory=list)


# -- tokenizer --------------------------------------------------------------------------------
# The states of jsoup's tokenizer (``TokeniserState``) for what fields carry: text, start and end
# tags with attributes, comments, CDATA sections, and bogus comments (doctype, ``<?..>``). Each
# token is found by a forward search from where the last one ended, so the input is read once;
# an unterminated comment or CDATA section runs to the end, and a tag the input ends inside is
# dropped. Like jsoup (and unlike the HTML standard), a ``<`` where an attribute could start
# ends the tag, so ``<b<i>`` is two tags.

_TAG_NAME = re.compile(r"[^\t\n\f\r /><]*")
_SPACES = re.compile(r"[\t\n\f\r ]*")
_ATTRIBUTE_NAME = re.compile(r"[^\t\n\f\r />][^\t\n\f\r /=>]*")
_UNQUOTED_VALUE = re.compile(r"[^\t\n\f\r >]*")
_COMMENT_END = re.compile(r"--!?>")
_RAW_TEXT_END = {
    tag: re.compile(rf"</{tag}[\t\n\f\r />]", re.IGNORECASE) for tag in sorted(RAW_TEXT)
}


class _Tag(NamedTuple):
    name: str
    attrs: list[tuple[str, str | None]]
    self_closing: bool
    #: Where the text after the tag starts.
    end: int


def _is_ascii_letter(char: str) -> bool:
    return char.isascii() and char.isalpha()


def _skip_spaces(html: str, position: int) -> int:
    match = _SPACES.match(html, position)
    assert match is not None  # the pattern matches the empty string
    return match.end()


def _read_tag(html: str, name_start: int) -> _Tag | None:
    """The tag whose name starts at ``name_start``, or ``None`` when the input ends inside it.
    A repeated attribute keeps its first value."""
    match = _TAG_NAME.match(html, name_start)
    assert match is not None
    name = match.group().lower()
    position = match.end()
    attrs: list[tuple[str, str | None]] = []
    seen: set[str] = set()
    length = len(html)
    after_name = False  # just past an attribute name and whitespace: "<" starts a new name
    while True:
        position = _skip_spaces(html, position)
        if position >= length:
            return None
        char = html[position]
        if char == ">":
            return _Tag(name, attrs, False, position + 1)
        if char == "/":
            if html.startswith(">", position + 1):
                return _Tag(name, attrs, True, position + 2)
            position += 1
            after_name = False
            continue
        if char == "<" and not after_name:
            return _Tag(name, attrs, False, position)
        match = _ATTRIBUTE_NAME.match(html, position)
        assert match is not None  # html[position] is none of the characters that end a name
        attribute = match.group().lower()
        position = _skip_spaces(html, match.end())
        after_name = position > match.end()
        value: str | None = None
        input_ends_in_value = False
        if html.startswith("=", position):
            after_name = False
            position = _skip_spaces(html, position + 1)
            quote = html[position : position + 1]
            if quote in ("", ">"):
                # No value: jsoup keeps the tag, even when the input ends here.
                value = ""
                input_ends_in_value = not quote
            elif quote in ('"', "'"):
                closing = html.find(quote, position + 1)
                if closing < 0:
                    return None
                value = unescape(html[position + 1 : closing])
                position = closing + 1
            else:
                match = _UNQUOTED_VALUE.match(html, position)
                assert match is not None
                value = unescape(match.group())
                position = match.end()
        if attribute not in seen:
            seen.add(attribute)
            attrs.append((attribute, value))
        if input_ends_in_value:
            return _Tag(name, attrs, False, length)


def _skip_to_gt(html: str, start: int) -> int:
    """A bogus comment (``<!DOCTYPE ..>``, ``<?..>``, ``</1>``) ends at the next ``>``."""
    end = html.find(">", start)
    return len(html) if end < 0 else end + 1


def _skip_comment(html: str, start: int) -> int:
    """``start`` is just after ``<!--``; a comment ends at ``-->`` or ``--!>`` (``<!-->`` and
    ``<!--->`` are empty comments), or with the input."""
    if html.startswith(">", start):
        return start + 1
    if html.startswith("->", start):
        return start + 2
    match = _COMMENT_END.search(html, start)
    return len(html) if match is None else match.end()


class _TreeBuilder:
    """The stack of open elements, with the index of every open element by tag, so that finding
    the innermost open ``<p>`` costs the same however deep the stack is."""

    def __init__(self) -> None:
        self.root = Element("body")
        self.stack = [self.root]
        #: tag -> stack indexes of its open elements, innermost last (the root is not listed).
        self.open_at: dict[str, list[int]] = {}

    def _push(self, element: Element) -> None:
        self.open_at.setdefault(element.tag, []).append(len(self.stack))
        self.stack.append(element)

    def _pop_from(self, index: int) -> None:
        for element in self.stack[index:]:
            self.open_at[element.tag].pop()
        del self.stack[index:]

    def _innermost(self, tag: str, reach: int | None = None) -> int:
        """Stack index of the innermost open ``tag`` within ``reach`` of the top; 0 if none."""
        indexes = self.open_at.get(tag)
        if not indexes:
            return 0
        index = indexes[-1]
        if reach is not None and index < len(self.stack) - reach:
            return 0
        return index

    def _close(self, tag: str, reach: int | None, stop: tuple[str, ...] = ()) -> bool:
        """Close the innermost open ``tag`` (and everything opened after it), unless an open
        ``stop`` element is nearer the top."""
        index = self._innermost(tag, reach)
        if not index or any(self._innermost(s) > index for s in stop):
            return False
        self._pop_from(index)
        return True

    def start(self, tag: str, attrs: list[tuple[str, str | None]], self_closing: bool) -> None:
        if tag in CLOSES_P:
            self._close("p", SCOPE_REACH)
        if tag == "li":
            # jsoup scans the whole stack for an open <li> (stopping at the list).
            self._close("li", None, stop=("ul", "ol"))
        if tag in ("dd", "dt"):
            self._close("dd", DD_DT_REACH, stop=("dl",))
            self._close("dt", DD_DT_REACH, stop=("dl",))
        if tag == "tr" and self.stack[-1].tag == "table":
            body = Element("tbody")  # HTML's implied <tbody>
            self.stack[-1].children.append(body)
            self._push(body)
        element = Element(tag, attrs)
        self.stack[-1].children.append(element)
        if tag not in VOID:
            self._push(element)
            if self_closing:
                # jsoup closes a self-closed element straight away (``<div/>`` is empty).
                self._pop_from(len(self.stack) - 1)

    def end(self, tag: str) -> None:
        if tag == "p" and not self._innermost("p", SCOPE_REACH):
            self.stack[-1].children.append(Element("p"))  # a stray </p> makes an empty <p>
            return
        if tag == "br":
            self.stack[-1].children.append(Element("br"))
            return
        self._close(tag, SCOPE_REACH if tag in BLOCK or tag in FORMATTING else STACK_REACH)

    def text(self, data: str) -> None:
        if data:
            self.stack[-1].children.append(data)


def _build_tree(html: str) -> Element:
    builder = _TreeBuilder()
    position = 0
    length = len(html)
    while position < length:
        open_bracket = html.find("<", position)
        if open_bracket < 0:
            builder.text(unescape(html[position:]))
            break
        builder.text(unescape(html[position:open_bracket]))
        after = html[open_bracket + 1 : open_bracket + 2]
        if _is_ascii_letter(after):
            tag = _read_tag(html, open_bracket + 1)
            if tag is None:
                break
            builder.start(tag.name, tag.attrs, tag.self_closing)
            position = tag.end
            if tag.name in RAW_TEXT and not tag.self_closing:
                match = _RAW_TEXT_END[tag.name].search(html, position)
                raw_end = length if match is None else match.start()
                builder.text(html[position:raw_end])
                position = raw_end
        elif after == "/":
            name_start = open_bracket + 2
            first = html[name_start : name_start + 1]
            if _is_ascii_letter(first):
                tag = _read_tag(html, name_start)
                if tag is None:
                    break
                builder.end(tag.name)
                position = tag.end
            elif first == ">":
                position = name_start + 1  # "</>" is dropped
            elif not first:
                builder.text("</")
                position = length
            else:
                position = _skip_to_gt(html, name_start)
        elif after == "!":
            if html.startswith("--", open_bracket + 2):
                position = _skip_comment(html, open_bracket + 4)
            elif html.startswith("[CDATA[", open_bracket + 2):
                # jsoup keeps a CDATA section's content as text.
                content_start = open_bracket + 9
                content_end = html.find("]]>", content_start)
                if content_end < 0:
                    content_end = length
                builder.text(html[content_start:content_end])
                position = min(content_end + 3, length)
            else:
                position = _skip_to_gt(html, open_bracket + 2)
        elif after == "?":
            position = _skip_to_gt(html, open_bracket + 2)
        else:
            builder.text("<")
            position = open_bracket + 1
    return builder.root


# -- pretty printer ---------------------------------------------------------------------------
# jsoup's pretty-printed body: inline runs stay on one line, blocks get lines of their own,
# indented one space a level. Written with an explicit stack of pending pieces.


def _escape_text(text: str) -> str:
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\u00a0", "&nbsp;")
    )


def _escape_attribute(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("\u00a0", "&nbsp;")


def _open_tag(element: Element) -> str:
    parts = [element.tag]
    for name, value in element.attrs:
        parts.append(f'{name}="{_escape_attribute(value or "")}"')
    return "<" + " ".join(parts) + ">"


def _is_block(node: Element | str) -> bool:
    return isinstance(node, Element) and node.tag in BLOCK


def _padding(depth: int) -> str:
    return _PADDING[min(depth, MAX_PADDING)]


class _Job(NamedTuple):
    """An element still to be written, at an indentation depth, inside ``<pre>`` or not."""

    element: Element
    depth: int
    preformatted: bool


_Piece = str | _Job
#: How an inline run's ends are trimmed: not at all, of spaces, or of all whitespace.
_KEEP, _SPACES_ONLY, _ALL_WHITESPACE = 0, 1, 2


def _multiline_elements(root: Element) -> set[int]:
    """``id()`` of each element written over several lines: one with a block child, or with a
    child whose own text spans lines (a multi-line element, or a newline in an attribute).
    Children are decided before their parents (reverse pre-order), without recursion."""
    order: list[Element] = []
    pending = [root]
    while pending:
        element = pending.pop()
        order.append(element)
        pending.extend(c for c in element.children if isinstance(c, Element))
    multiline: set[int] = set()
    has_newline: set[int] = set()
    for element in reversed(order):
        if element.tag not in VOID and any(
            isinstance(c, Element) and (c.tag in BLOCK or id(c) in has_newline)
            for c in element.children
        ):
            multiline.add(id(element))
            has_newline.add(id(element))
        elif any(value and "\n" in value for _, value in element.attrs):
            has_newline.add(id(element))
    return multiline


def _inline_run(nodes: list[Element | str], preformatted: bool, trim: int) -> list[_Piece]:
    """Text and inline elements on one line. Trimming only ever touches the text before the
    first element and after the last: an element's text starts with ``<`` and ends with ``>``."""
    pieces: list[_Piece] = []
    first_job = last_job = -1
    for node in nodes:
        if isinstance(node, str):
            pieces.append(_escape_text(node if preformatted else _WHITESPACE.sub(" ", node)))
        else:
            last_job = len(pieces)
            if first_job < 0:
                first_job = last_job
            pieces.append(_Job(node, 0, preformatted))
    if trim == _KEEP:
        return pieces
    strip_chars = " " if trim == _SPACES_ONLY else None
    if first_job < 0:
        text = _joined(pieces).strip(strip_chars)
        return [text] if text else []
    leading = _joined(pieces[:first_job]).lstrip(strip_chars)
    trailing = _joined(pieces[last_job + 1 :]).rstrip(strip_chars)
    return [leading, *pieces[first_job : last_job + 1], trailing]


def _joined(pieces: list[_Piece]) -> str:
    return "".join(piece for piece in pieces if isinstance(piece, str))


def _children(element: Element, depth: int) -> list[_Piece]:
    """An element's children outside ``<pre>``: one inline run, or lines at ``depth``."""
    children = element.children
    if not any(_is_block(c) for c in children):
        return _inline_run(children, False, _SPACES_ONLY)
    pieces: list[_Piece] = []
    run: list[Element | str] = []

    def new_line() -> None:
        pieces.append(("\n" if pieces else "") + _padding(depth))

    def flush() -> None:
        text = _inline_run(run, False, _SPACES_ONLY)
        if any(isinstance(piece, _Job) or piece for piece in text):
            new_line()
            pieces.extend(text)
        run.clear()

    for child in children:
        if isinstance(child, Element) and child.tag in BLOCK:
            flush()
            new_line()
            pieces.append(_Job(child, depth, False))
        else:
            run.append(child)
    flush()
    return pieces


def _element(job: _Job, multiline: set[int]) -> list[_Piece]:
    element, depth = job.element, job.depth
    if element.tag in VOID:
        return [_open_tag(element)]
    preformatted = job.preformatted or element.tag == "pre"
    if not preformatted and id(element) in multiline:
        return [
            _open_tag(element) + "\n",
            *_children(element, depth + 1),
            "\n" + _padding(depth) + f"</{element.tag}>",
        ]
    trim = _KEEP if preformatted else _ALL_WHITESPACE
    return [
        _open_tag(element),
        *_inline_run(element.children, preformatted, trim),
        f"</{element.tag}>",
    ]


def _render(root: Element) -> str:
    multiline = _multiline_elements(root)
    out: list[str] = []
    pending = _children(root, 0)
    pending.reverse()
    while pending:
        piece = pending.pop()
        if isinstance(piece, str):
            out.append(piece)
        else:
            expanded = _element(piece, multiline)
            expanded.reverse()
            pending.extend(expanded)
    return "".join(out)


def normalise_field_html(content: str) -> str:
    """Field content as RSpace returns it after saving."""
    if not content:
        return content
    return _render(_build_tree(content))
