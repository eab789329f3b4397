"""Text-field HTML parsed and printed as jsoup 1.15.3, RSpace's HTML library, does it.

The tree builder follows jsoup's: implied end tags, tables with their implied sections, foster
parenting, formatting elements reopened after an end tag closed them, and jsoup's bounds on how
far up the stack of open elements it looks. The printer writes jsoup's pretty-printed body in XML
syntax: block elements on lines of their own, indented a space a level, whitespace runs in text
collapsed, void elements as ``<br />``. ``html_safelist`` cleans the tree in between, as RSpace
does. For example ``<p> Add 2ul EDTA. <p> See <a href="x">here</a>`` becomes
``<p>Add 2ul EDTA.</p>\n<p>See <a href="x">here</a></p>`` (RSpace's own API test).

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
    "col",
}
#: Start tags that close an open ``<p>`` (HTML's implied end tag).
CLOSES_P = BLOCK - {
    "body",
    "td",
    "th",
    "tr",
    "tbody",
    "thead",
    "tfoot",
    "caption",
    "colgroup",
    "col",
}
#: A table's parts: jsoup ignores them outside a table.
TABLE_PARTS = {"caption", "col", "colgroup", "tbody", "td", "tfoot", "th", "thead", "tr"}
_CLOSED_BY_TABLE_PART = {
    "td": ("td", "th"),
    "th": ("td", "th"),
    "tr": ("td", "th", "tr"),
    "tbody": ("td", "th", "tr", "tbody", "thead", "tfoot"),
    "thead": ("td", "th", "tr", "tbody", "thead", "tfoot"),
    "tfoot": ("td", "th", "tr", "tbody", "thead", "tfoot"),
    "caption": ("td", "th", "tr", "tbody", "thead", "tfoot", "caption"),
    "colgroup": ("td", "th", "tr", "tbody", "thead", "tfoot", "caption", "colgroup"),
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
#: Elements whose content is text up to their end tag, and what jsoup makes of it: script data
#: (``DataNode``, which cleaning drops), raw text, or text with its entities decoded (RCDATA).
DATA, RAW, RCDATA = "data", "raw", "rcdata"
RAW_TEXT = {
    "script": DATA,
    "style": DATA,
    "iframe": RAW,
    "noembed": RAW,
    "noframes": RAW,
    "xmp": RAW,
    "title": RCDATA,
    "textarea": RCDATA,
}
#: How far up the stack of open elements jsoup 1.15.3 (RSpace's version) looks, counted in
#: elements from the innermost: a scope check (``MaxScopeSearchDepth`` = 100, so 101 elements),
#: ``getFromStack`` (``maxQueueDepth`` = 256) and the ``dd``/``dt`` scan (``MaxStackScan`` = 24).
#: An end tag whose element is open deeper than that is ignored; a start tag does not close it.
SCOPE_REACH = 101
STACK_REACH = 257
DD_DT_REACH = 25
#: jsoup's ``OutputSettings.maxPaddingWidth``: indentation stops growing past 30 spaces.
MAX_PADDING = 30
_PADDING = [" " * width for width in range(MAX_PADDING + 1)]


@dataclass(eq=False)
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


_TABLE_STRUCTURE = {"tbody", "thead", "tfoot", "tr", "colgroup"}
#: Where an element start tag is not simply appended to the current node but "fostered" before
#: the table (jsoup 1.15.3 fosters elements, not text).
TABLE_FOSTER = {"table", "tbody", "tfoot", "thead", "tr"}
_NOT_FOSTERED = TABLE_PARTS | {"table", "script", "style", "form", "input"}
#: Elements an end tag's scope search stops at (jsoup's default scope).
SCOPE_BOUNDARIES = ("table", "td", "th", "caption", "object", "marquee", "applet", "html")
#: Elements whose start ends the formatting of open cells (markers in the list of active
#: formatting elements).
MARKERS = {"td", "th", "caption", "object", "marquee", "applet"}
#: jsoup's "special" elements: an end tag of another element does not close past them.
SPECIAL = {
    "address", "applet", "area", "article", "aside", "base", "basefont", "bgsound", "blockquote",
    "body", "br", "button", "caption", "center", "col", "colgroup", "command", "dd", "details",
    "dir", "div", "dl", "dt", "embed", "fieldset", "figcaption", "figure", "footer", "form",
    "frame", "frameset", "h1", "h2", "h3", "h4", "h5", "h6", "head", "header", "hgroup", "hr",
    "html", "iframe", "img", "input", "isindex", "li", "link", "listing", "marquee", "menu",
    "meta", "nav", "noembed", "noframes", "noscript", "object", "ol", "p", "param", "plaintext",
    "pre", "script", "section", "select", "style", "summary", "table", "tbody", "td",
    "textarea", "tfoot", "th", "thead", "title", "tr", "ul", "wbr", "xmp",
}  # fmt: skip
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
#: Start tags before which jsoup does not reopen the formatting elements an earlier end tag
#: closed (the blocks, lists, tables and head elements it handles on their own).
_NO_RECONSTRUCT = (
    BLOCK
    | TABLE_PARTS
    | HEADINGS
    | {"hr", "form", "plaintext", "listing", "menu", "dir", "center", "details", "summary"}
    | {"main", "article", "aside", "footer", "header", "hgroup", "nav", "section", "fieldset"}
    | {"figure", "figcaption", "base", "basefont", "bgsound", "link", "meta", "html", "body"}
    | {"head", "frame", "frameset", "script", "style", "title", "textarea", "iframe"}
    | {"noembed", "noframes"}
)
#: jsoup recreates at most this many closed formatting elements, and none past this depth.
MAX_REOPENED = 12
MAX_QUEUE_DEPTH = 256


class _TreeBuilder:
    """The stack of open elements, with the index of every open element by tag, so that finding
    the innermost open ``<p>`` costs the same however deep the stack is, and the list of active
    formatting elements (``<b>``, ``<i>``, ...), which an end tag that closes them implicitly
    leaves to be reopened before the next text."""

    def __init__(self) -> None:
        self.root = Element("body")
        self.stack = [self.root]
        #: tag -> stack indexes of its open elements, innermost last (the root is not listed).
        self.open_at: dict[str, list[int]] = {}
        #: Stack indexes of the open special elements, innermost last.
        self.special_at: list[int] = []
        #: Stack indexes of the special elements that an <li>'s search for an open <li> stops
        #: at (all but <address>, <div> and <p>), innermost last.
        self.item_barrier_at: list[int] = []
        self.on_stack: set[int] = set()
        #: Formatting elements, ``None`` for a marker (a cell's start).
        self.active: list[Element | None] = []
        #: id(table) -> the element its children are fostered into, before the table.
        self.table_parent: dict[int, Element] = {}

    def _push(self, element: Element) -> None:
        index = len(self.stack)
        self.open_at.setdefault(element.tag, []).append(index)
        if element.tag in SPECIAL:
            self.special_at.append(index)
            if element.tag not in ("address", "div", "p"):
                self.item_barrier_at.append(index)
        self.on_stack.add(id(element))
        self.stack.append(element)

    def _pop_from(self, index: int) -> None:
        for element in self.stack[index:]:
            self.open_at[element.tag].pop()
            self.on_stack.discard(id(element))
            if element.tag in MARKERS:
                self._clear_to_marker()
        del self.stack[index:]
        while self.special_at and self.special_at[-1] >= index:
            self.special_at.pop()
        while self.item_barrier_at and self.item_barrier_at[-1] >= index:
            self.item_barrier_at.pop()

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

    def _building_table(self) -> bool:
        """A table is open and the current node is outside its cells: its structure, or what
        was fostered out of it."""
        table = self._innermost("table")
        return bool(table) and max(self._innermost(t) for t in ("td", "th", "caption")) < table

    def _clear_to_table_context(self) -> None:
        """A table's part outside any cell of the innermost table closes what was fostered
        out of it: the table is still being built."""
        if not self._building_table():
            return
        table = self._innermost("table")
        keep = table + 1
        while keep < len(self.stack) and self.stack[keep].tag in _TABLE_STRUCTURE:
            keep += 1
        if keep < len(self.stack):
            self._pop_from(keep)

    def _close_list_item(self, tags: tuple[str, ...], reach: int | None) -> bool:
        index = max(self._innermost(tag, reach) for tag in tags)
        barrier = self.item_barrier_at[-1] if self.item_barrier_at else 0
        if index and index >= barrier:
            self._pop_from(index)
            return True
        return False

    def _in_table_scope(self, tag: str) -> bool:
        """An open ``tag`` with no table opened after it (for ``table``: any open table)."""
        index = self._innermost(tag, SCOPE_REACH)
        return bool(index) and (tag == "table" or index > self._innermost("table", SCOPE_REACH))

    # -- active formatting elements --

    def _clear_to_marker(self) -> None:
        while self.active:
            if self.active.pop() is None:
                break

    def _remove_active(self, element: Element) -> None:
        for position in range(len(self.active) - 1, -1, -1):
            if self.active[position] is element:
                del self.active[position]
                return

    def _last_active(self, tag: str) -> Element | None:
        for entry in reversed(self.active):
            if entry is None:
                return None
            if entry.tag == tag:
                return entry
        return None

    def _push_active(self, element: Element) -> None:
        """Noah's ark: at most three equal formatting elements since the last marker."""
        seen = 0
        attrs = dict(element.attrs)
        last = len(self.active) - 1
        for position in range(last, max(0, last - MAX_REOPENED) - 1, -1):
            entry = self.active[position]
            if entry is None:
                break
            if entry.tag == element.tag and dict(entry.attrs) == attrs:
                seen += 1
                if seen == 3:
                    del self.active[position]
                    break
        self.active.append(element)

    def _reconstruct(self) -> None:
        """Reopen the formatting elements an end tag closed around them (jsoup's
        ``reconstructFormattingElements``: at most the last twelve)."""
        active = self.active
        if len(self.stack) > MAX_QUEUE_DEPTH or not active:
            return
        last = active[-1]
        if last is None or id(last) in self.on_stack:
            return
        size = len(active)
        floor = max(0, size - MAX_REOPENED)
        position = size - 1
        while position > floor:
            entry = active[position - 1]
            if entry is None or id(entry) in self.on_stack:
                break
            position -= 1
        for index in range(position, size):
            entry = active[index]
            assert entry is not None
            reopened = Element(entry.tag, list(entry.attrs))
            self._insert(reopened)
            active[index] = reopened

    # -- insertion --

    def _insert(self, element: Element, foster: bool = True) -> None:
        """Append ``element`` to the current node, or before the table when the current node
        is a table's structure (foster parenting), and open it unless it is void."""
        current = self.stack[-1]
        table_index = self._innermost("table")
        if (
            foster
            and current.tag in TABLE_FOSTER
            and element.tag not in _NOT_FOSTERED
            and table_index
        ):
            table = self.stack[table_index]
            parent = self.table_parent.get(id(table), self.stack[table_index - 1])
            parent.children.insert(len(parent.children) - 1, element)
        else:
            current.children.append(element)
            if element.tag == "table":
                self.table_parent[id(element)] = current
        if element.tag not in VOID:
            self._push(element)

    def start(self, tag: str, attrs: list[tuple[str, str | None]], self_closing: bool) -> None:
        # jsoup fosters an element out of a table only if handling its start tag ran no end
        # tag first (an end tag's handling switches fostering off): a <p> that closes a
        # fostered <p> goes into the table.
        ended = False
        if tag in CLOSES_P:
            ended = self._close("p", SCOPE_REACH, stop=SCOPE_BOUNDARIES)
        if tag == "li":
            # jsoup scans the stack for an open <li>, stopping at a special element other than
            # <address>, <div> and <p> (a list, a cell, a quotation...).
            ended = self._close_list_item(("li",), None) or ended
        if tag in ("dd", "dt"):
            ended = self._close_list_item(("dd", "dt"), DD_DT_REACH) or ended
        if tag in HEADINGS and self.stack[-1].tag in HEADINGS:
            self._pop_from(len(self.stack) - 1)  # a heading does not nest in a heading
        if tag in TABLE_PARTS and not self._in_table_scope("table"):
            return  # jsoup ignores a table's parts outside a table
        if tag in TABLE_PARTS:
            self._clear_to_table_context()
        if tag == "table" and self._building_table():
            self._close("table", None)  # a table in a table, outside its cells, ends the first
        if tag == "a":
            # An <a> inside an open <a> first closes it (the adoption agency's common case).
            open_link = self._last_active("a")
            if open_link is not None:
                self._remove_active(open_link)
                self._close("a", SCOPE_REACH)
                ended = True
        if tag in _CLOSED_BY_TABLE_PART:
            # A new cell closes the open cell; a new row the open row; a new section the open
            # section (each as far as the innermost table).
            for closes in _CLOSED_BY_TABLE_PART[tag]:
                if self._in_table_scope(closes):
                    self._close(closes, None, stop=("table",))
        if self.stack[-1].tag == "colgroup" and tag != "col":
            self._pop_from(len(self.stack) - 1)  # only <col> goes in a <colgroup>
        if tag == "col" and self.stack[-1].tag == "table":
            self._insert(Element("colgroup"))  # HTML's implied <colgroup>
        if tag in ("tr", "td", "th") and self.stack[-1].tag == "table":
            self._insert(Element("tbody"))  # HTML's implied <tbody>
        if tag in ("td", "th") and self.stack[-1].tag in ("tbody", "thead", "tfoot"):
            self._insert(Element("tr"))  # and <tr>
        if tag not in _NO_RECONSTRUCT:
            self._reconstruct()
        element = Element(tag, attrs)
        self._insert(element, foster=not ended)
        if tag in FORMATTING:
            self._push_active(element)
        elif tag in MARKERS:
            self.active.append(None)
        if self_closing and tag not in VOID:
            # jsoup closes a self-closed element straight away (``<div/>`` is empty).
            self._pop_from(len(self.stack) - 1)

    def end(self, tag: str) -> None:
        if tag in TABLE_PARTS:
            # A table part's end tag closes it only inside its own table.
            if self._in_table_scope(tag):
                self._close(tag, None, stop=("table",))
            return
        if tag == "p" and not self._close("p", SCOPE_REACH, stop=SCOPE_BOUNDARIES):
            self._insert(Element("p"))  # a stray </p> makes an empty <p>
            self._pop_from(len(self.stack) - 1)
            return
        if tag == "p":
            return
        if tag == "br":
            self._reconstruct()
            self._insert(Element("br"))
            return
        if tag in HEADINGS:
            # Any heading's end tag closes the innermost open heading.
            innermost = max(self._innermost(h, SCOPE_REACH) for h in HEADINGS)
            if innermost and not any(self._innermost(s) > innermost for s in SCOPE_BOUNDARIES):
                self._pop_from(innermost)
            return
        if tag in FORMATTING:
            self._end_formatting(tag)
            return
        if tag in BLOCK:
            self._close(tag, SCOPE_REACH, stop=SCOPE_BOUNDARIES)
            return
        # Any other end tag closes its element unless a special element is open inside it.
        index = self._innermost(tag, STACK_REACH)
        if index and not (self.special_at and self.special_at[-1] > index):
            self._pop_from(index)

    def _end_formatting(self, tag: str) -> None:
        """The adoption agency in its common case: the formatting element and everything
        opened inside it close; formatting elements among those reopen before the next text."""
        element = self._last_active(tag)
        if element is None:
            index = self._innermost(tag, STACK_REACH)
            if index and not (self.special_at and self.special_at[-1] > index):
                self._pop_from(index)
            return
        if id(element) not in self.on_stack:
            self._remove_active(element)
            return
        index = next(i for i in reversed(self.open_at[tag]) if self.stack[i] is element)
        if index < len(self.stack) - SCOPE_REACH or any(
            self._innermost(s) > index for s in SCOPE_BOUNDARIES
        ):
            return
        self._remove_active(element)
        self._pop_from(index)

    def text(self, data: str) -> None:
        if data:
            self._reconstruct()
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
            if tag.name in ("pre", "listing") and html.startswith("\n", position):
                position += 1  # a line feed straight after <pre> is not content
            if tag.name == "plaintext":
                builder.text(html[position:])  # the rest of the input is text
                break
            if tag.name in RAW_TEXT and not tag.self_closing:
                match = _RAW_TEXT_END[tag.name].search(html, position)
                raw_end = length if match is None else match.start()
                raw = html[position:raw_end]
                builder.text(unescape(raw) if RAW_TEXT[tag.name] == RCDATA else raw)
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
# jsoup 1.15.3's pretty-printed body in XML syntax (``Element.outerHtmlHead``/``outerHtmlTail``,
# ``TextNode.outerHtmlHead``, ``Entities.escape``), walked with an explicit stack. A node's
# indentation depth counts from the body's children (0).

#: jsoup's ``Tag`` categories. A known tag is a block unless listed inline; a block formats as a
#: block unless listed as formatting as inline (``p``: a block whose content prints inline).
JSOUP_INLINE = {
    "object", "base", "font", "tt", "i", "b", "u", "big", "small", "em", "strong", "dfn", "code",
    "samp", "kbd", "var", "cite", "abbr", "time", "acronym", "mark", "ruby", "rt", "rp", "a",
    "img", "br", "wbr", "map", "q", "sub", "sup", "bdo", "iframe", "embed", "span", "input",
    "select", "textarea", "label", "button", "optgroup", "option", "legend", "datalist",
    "keygen", "output", "progress", "meter", "area", "param", "source", "track", "summary",
    "command", "device", "basefont", "bgsound", "menuitem", "data", "bdi", "s", "strike", "nobr",
}  # fmt: skip
JSOUP_FORMAT_AS_INLINE = {
    "title", "a", "p", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "address", "li", "th", "td",
    "script", "style", "ins", "del", "s",
}  # fmt: skip
JSOUP_EMPTY = {
    "meta", "link", "base", "frame", "img", "br", "wbr", "embed", "hr", "input", "keygen", "col",
    "command", "device", "area", "basefont", "bgsound", "menuitem", "param", "source", "track",
}  # fmt: skip
JSOUP_PRESERVE_WHITESPACE = {"pre", "plaintext", "title", "textarea"}
#: ``Element.preserveWhitespace`` looks at the text's parent and five more levels up.
PRESERVE_WHITESPACE_REACH = 6
_JSOUP_WHITESPACE = " \t\n\f\r"


def _is_block(tag: str) -> bool:
    return tag not in JSOUP_INLINE


def _formats_as_block(tag: str) -> bool:
    return tag not in JSOUP_INLINE and tag not in JSOUP_FORMAT_AS_INLINE


def _is_blank(text: str) -> bool:
    return not text.strip(_JSOUP_WHITESPACE)


def _escape_char(char: str) -> str:
    """A character jsoup writes as a reference: a control character, or half a surrogate pair
    (which UTF-8 cannot encode)."""
    return f"&#x{ord(char):x};"


_REFERENCED = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
_TEXT_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\u00a0": "&nbsp;"}
_ATTRIBUTE_ESCAPES = {"&": "&amp;", "<": "&lt;", '"': "&quot;", "\u00a0": "&nbsp;"}
_TEXT_SPECIAL = re.compile(r"[&<>\u00a0]")
_ATTRIBUTE_SPECIAL = re.compile(r'[&<"\u00a0]')
_JSOUP_WHITESPACE_RUN = re.compile(r"[ \t\n\f\r]+")


def _escape(text: str, special: re.Pattern[str], names: dict[str, str]) -> str:
    text = special.sub(lambda match: names[match.group()], text)
    return _REFERENCED.sub(lambda match: _escape_char(match.group()), text)


def _escape_text(text: str, normalise: bool, trim_leading: bool, trim_trailing: bool) -> str:
    """``Entities.escape`` of character data: with whitespace normalised, each run becomes one
    space, dropped at the start or end where asked."""
    if normalise:
        text = _JSOUP_WHITESPACE_RUN.sub(" ", text)
        if trim_leading:
            text = text.lstrip(" ")
        if trim_trailing:
            text = text.rstrip(" ")
    return _escape(text, _TEXT_SPECIAL, _TEXT_ESCAPES)


def _open_tag(element: Element) -> str:
    """XML syntax: every attribute with a value (``allowfullscreen=""``), an empty element of a
    void kind closed in its tag (``<br />``)."""
    parts = [element.tag]
    for name, value in element.attrs:
        parts.append(f'{name}="{_escape(value or "", _ATTRIBUTE_SPECIAL, _ATTRIBUTE_ESCAPES)}"')
    closing = " />" if not element.children and element.tag in JSOUP_EMPTY else ">"
    return "<" + " ".join(parts) + closing


def _indent(depth: int) -> str:
    return "\n" + _PADDING[min(depth, MAX_PADDING)]


def _should_indent(element: Element, parent: Element, index: int) -> bool:
    """``Element.shouldIndent``: it or its parent formats as a block, and it is not an inline
    element after a sibling in a block."""
    formats_as_block = _formats_as_block(element.tag) or _formats_as_block(parent.tag)
    inlineable = not _is_block(element.tag) and _is_block(parent.tag) and index > 0
    return formats_as_block and not inlineable


class _Visit(NamedTuple):
    node: Element | str
    #: The node's parent and its ancestors, innermost first (at most as far as whitespace
    #: preservation looks).
    ancestors: tuple[Element, ...]
    #: The node's place among its parent's children.
    position: int
    depth: int


def _write_text(out: list[str], visit: _Visit, text: str) -> None:
    parent = visit.ancestors[0]
    siblings = parent.children
    normalise = not any(a.tag in JSOUP_PRESERVE_WHITESPACE for a in visit.ancestors)
    trim_leading = trim_trailing = False
    if normalise:
        trim_leading = visit.position == 0 and _is_block(parent.tag)
        is_last = visit.position == len(siblings) - 1
        trim_trailing = is_last and _is_block(parent.tag)
        if _is_blank(text) and not is_last:
            following = siblings[visit.position + 1]
            if (
                isinstance(following, str)
                and _is_blank(following)
                or isinstance(following, Element)
                and _should_indent(following, parent, visit.position + 1)
            ):
                return
        if visit.position == 0 and _formats_as_block(parent.tag) and not _is_blank(text):
            out.append(_indent(visit.depth))
    out.append(_escape_text(text, normalise, trim_leading, trim_trailing))


def render_body(root: Element) -> str:
    """The body's inner HTML as jsoup prints it, trimmed as ``Element.html()`` trims it."""
    out: list[str] = []
    #: Visits still to make; a closing tag to write is pushed as a string.
    pending: list[_Visit | str] = [
        _Visit(child, (root,), index, 0) for index, child in enumerate(root.children)
    ]
    pending.reverse()
    while pending:
        visit = pending.pop()
        if isinstance(visit, str):
            out.append(visit)
            continue
        node = visit.node
        if isinstance(node, str):
            _write_text(out, visit, node)
            continue
        if _should_indent(node, visit.ancestors[0], visit.position) and out:
            out.append(_indent(visit.depth))
        out.append(_open_tag(node))
        if not node.children and node.tag in JSOUP_EMPTY:
            continue
        closing = f"</{node.tag}>"
        if node.children and _formats_as_block(node.tag):
            closing = _indent(visit.depth) + closing
        pending.append(closing)
        ancestors = (node, *visit.ancestors[: PRESERVE_WHITESPACE_REACH - 1])
        pending.extend(
            _Visit(child, ancestors, index, visit.depth + 1)
            for index, child in reversed(list(enumerate(node.children)))
        )
    return "".join(out).strip("".join(chr(code) for code in range(0x21)))


def parse_body(content: str) -> Element:
    """The body jsoup's tree builder makes of a body fragment."""
    return _build_tree(content)


def normalise_field_html(content: str) -> str:
    """Field content parsed and printed as jsoup does it, without cleaning."""
    if not content:
        return content
    return render_body(_build_tree(content))
