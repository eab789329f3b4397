"""Text-field HTML as RSpace stores it. RSpace cleans field content with an HTML parser
(jsoup) and keeps its pretty-printed body: implied end tags are added, block elements go on
lines of their own, and whitespace runs in text collapse to one space. For example
``<p> Add 2ul EDTA. <p> See <a href="x">here</a>`` becomes
``<p>Add 2ul EDTA.</p>\\n<p>See <a href="x">here</a></p>`` (RSpace's own API test).

This reproduces the common cases (paragraphs, headings, lists, tables, inline markup,
entities); it is not a complete HTML5 tree builder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

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
_WHITESPACE = re.compile(r"[ \t\n\r\f]+")


@dataclass
class Element:
    tag: str
    attrs: list[tuple[str, str | None]] = field(default_factory=list)
    children: list[Element | str] = field(default_factory=list)


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("body")
        self.stack = [self.root]

    def _close(self, tag: str) -> bool:
        for index in range(len(self.stack) - 1, 0, -1):
            if self.stack[index].tag == tag:
                del self.stack[index:]
                return True
        return False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in CLOSES_P:
            self._close_in_scope("p")
        if tag == "li":
            self._close_in_scope("li", stop={"ul", "ol"})
        if tag in ("dd", "dt"):
            self._close_in_scope("dd", stop={"dl"})
            self._close_in_scope("dt", stop={"dl"})
        if tag == "tr" and self.stack[-1].tag == "table":
            body = Element("tbody")  # HTML's implied <tbody>
            self.stack[-1].children.append(body)
            self.stack.append(body)
        element = Element(tag, attrs)
        self.stack[-1].children.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def _close_in_scope(self, tag: str, stop: set[str] | None = None) -> None:
        for index in range(len(self.stack) - 1, 0, -1):
            current = self.stack[index].tag
            if current == tag:
                del self.stack[index:]
                return
            if stop and current in stop:
                return

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self._close(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "p" and not any(e.tag == "p" for e in self.stack):
            self.stack[-1].children.append(Element("p"))  # a stray </p> makes an empty <p>
            return
        if tag == "br":
            self.stack[-1].children.append(Element("br"))
            return
        self._close(tag)

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


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


def _render_inline(nodes: list[Element | str], preformatted: bool) -> str:
    out: list[str] = []
    for node in nodes:
        if isinstance(node, str):
            out.append(_escape_text(node if preformatted else _WHITESPACE.sub(" ", node)))
        else:
            out.append(_render_element(node, 0, preformatted))
    return "".join(out)


def _render_children(element: Element, depth: int, preformatted: bool) -> str:
    """Children of ``element``: inline runs stay on one line, blocks get lines of their own."""
    children = element.children
    if preformatted or not any(_is_block(c) for c in children):
        text = _render_inline(children, preformatted)
        return text if preformatted else text.strip(" ")
    lines: list[str] = []
    run: list[Element | str] = []

    def flush() -> None:
        text = _render_inline(run, False).strip(" ")
        if text:
            lines.append(" " * depth + text)
        run.clear()

    for child in children:
        if _is_block(child):
            flush()
            assert isinstance(child, Element)
            lines.append(" " * depth + _render_element(child, depth, False))
        else:
            run.append(child)
    flush()
    return "\n".join(lines)


def _render_element(element: Element, depth: int, preformatted: bool) -> str:
    if element.tag in VOID:
        return _open_tag(element)
    preformatted = preformatted or element.tag == "pre"
    inner = _render_children(element, depth + 1, preformatted)
    if not preformatted and ("\n" in inner or any(_is_block(c) for c in element.children)):
        return f"{_open_tag(element)}\n{inner}\n{' ' * depth}</{element.tag}>"
    return f"{_open_tag(element)}{inner.strip() if not preformatted else inner}</{element.tag}>"


def normalise_field_html(content: str) -> str:
    """Field content as RSpace returns it after saving."""
    if not content:
        return content
    builder = _TreeBuilder()
    builder.feed(content)
    builder.close()
    return _render_children(builder.root, 0, False)
