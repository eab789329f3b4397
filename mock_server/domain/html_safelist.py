"""Text-field HTML as RSpace saves it: parsed, cleaned against RSpace's safelist and printed as
jsoup 1.15.3 does it (rspace-web ``TextFieldDataSanitizer.cleanData``, which every text field's
content goes through on create and update, and ``TextFieldEmbedIframeHandler``).

The safelist (rspace-web ``DataAttributeSafeWhitelist.relaxedWithDataAttr``) is jsoup's relaxed
list plus ``address``, ``hr``, ``id``/``class``/``style`` on every element and any ``data-*``
attribute. An element outside it is dropped and its text kept; a script or style sheet is dropped
with its content, as are comments. A link or image source must be relative or use an allowed
protocol (``javascript:`` never is); ``<img src="data:image...">`` is allowed. Embedded players
from YouTube, JoVE and the TIB AV-Portal survive as RSpace's own ``<iframe>``; any other iframe
is dropped, with the empty ``div.embedIframeDiv`` the editor wrapped it in.
"""

from __future__ import annotations

import re

from .html_content import Element, parse_body, render_body

SAFE_TAGS = {
    "a", "b", "blockquote", "br", "caption", "cite", "code", "col", "colgroup", "dd", "div",
    "dl", "dt", "em", "h1", "h2", "h3", "h4", "h5", "h6", "i", "img", "li", "object", "ol", "p",
    "param", "pre", "q", "small", "span", "strike", "strong", "sub", "sup", "table", "tbody",
    "td", "tfoot", "th", "thead", "tr", "u", "ul", "address", "hr",
}  # fmt: skip
TAG_ATTRIBUTES = {
    "a": {"href", "title", "rel", "target"},
    "blockquote": {"cite"},
    "col": {"span", "width"},
    "colgroup": {"span", "width"},
    "img": {"align", "alt", "height", "src", "title", "width"},
    "object": {"data", "type", "name", "width", "height"},
    "ol": {"start", "type"},
    "param": {"name", "value"},
    "q": {"cite"},
    "table": {"summary", "width", "border", "cellspacing", "cellpadding"},
    "td": {"abbr", "axis", "colspan", "rowspan", "width"},
    "th": {"abbr", "axis", "colspan", "rowspan", "scope", "width"},
    "ul": {"type"},
}
ANY_ELEMENT_ATTRIBUTES = {"id", "class", "style"}
#: (tag, attribute) -> the protocols an absolute URL there may use.
PROTOCOLS = {
    ("a", "href"): {"ftp", "http", "https", "mailto"},
    ("blockquote", "cite"): {"http", "https"},
    ("q", "cite"): {"http", "https"},
    ("img", "src"): {"http", "https"},
}
#: Elements whose content is script data: dropped with the element (jsoup's ``DataNode``).
DATA_ELEMENTS = {"script", "style"}
#: ``java.net.URL``'s test for a scheme: a letter, then letters, digits, ``+``, ``-``, ``.``.
_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.\-]*):")
#: Where ``java.net.URL`` stops looking for the scheme's colon.
_BEFORE_PATH = re.compile(r"[^/]*")
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f]")
#: ``java.net.URL`` trims characters up to and including the space from both ends.
_URL_PADDING = "".join(chr(code) for code in range(0x21))
#: jsoup validates attribute names for XML output (``Attribute.getValidKey``).
_XML_KEY = re.compile(r"[a-zA-Z_:][-a-zA-Z0-9_:.]*")
_XML_KEY_INVALID = re.compile(r"[^-a-zA-Z0-9_:.]")


def clean_field_html(content: str) -> str:
    """A text field's content as RSpace stores and returns it."""
    if not content:
        return content
    dirty = parse_body(content)
    _encode_known_iframes(dirty)
    clean = _clean(dirty)
    _decode_known_iframes(clean)
    return render_body(clean)


# -- the safelist -------------------------------------------------------------------------------


def _url_is_allowed(value: str, protocols: set[str]) -> bool:
    """jsoup's ``Safelist.testValidProtocol`` with relative links preserved: the URL, its
    control characters stripped as browsers strip them, resolved against RSpace's own (http or
    https) address, must use one of ``protocols``. A relative URL takes RSpace's own scheme, so
    it is allowed; a scheme ``java.net.URL`` has no handler for (``javascript``, ``data``,
    ``tel``) never is."""
    trimmed = _CONTROL_CHARACTERS.sub("", value).strip(_URL_PADDING)
    before_path = _BEFORE_PATH.match(trimmed)
    assert before_path is not None  # matches the empty string
    scheme = _SCHEME.match(before_path.group())
    if scheme is None:
        return True
    return scheme.group(1).lower() in protocols


def _is_safe_attribute(tag: str, name: str, value: str) -> bool:
    """``DataAttributeSafeWhitelist.isSafeAttribute``."""
    if name in TAG_ATTRIBUTES.get(tag, ()):
        protocols = PROTOCOLS.get((tag, name))
        if protocols is None or _url_is_allowed(value, protocols):
            return True
    elif name in ANY_ELEMENT_ATTRIBUTES:
        return True
    if name.startswith("data-"):
        return True
    return tag == "img" and name == "src" and value.startswith("data:image")


def _xml_key(name: str) -> str | None:
    if _XML_KEY.fullmatch(name):
        return name
    name = _XML_KEY_INVALID.sub("", name)
    return name if _XML_KEY.fullmatch(name) else None


def _safe_copy(element: Element) -> Element:
    attrs: list[tuple[str, str | None]] = []
    for name, value in element.attrs:
        if _is_safe_attribute(element.tag, name, value or ""):
            key = _xml_key(name)
            if key is not None:
                attrs.append((key, value or ""))
    return Element(element.tag, attrs)


def _clean(dirty: Element) -> Element:
    """jsoup's ``Cleaner``: safe elements are copied with their safe attributes; text is kept
    wherever it is, in the nearest safe ancestor; everything else is dropped."""
    clean = Element(dirty.tag)
    pending: list[tuple[Element | str, Element]] = [(child, clean) for child in dirty.children]
    pending.reverse()
    while pending:
        node, destination = pending.pop()
        if isinstance(node, str):
            destination.children.append(node)
            continue
        if node.tag in DATA_ELEMENTS:
            continue
        if node.tag in SAFE_TAGS:
            copy = _safe_copy(node)
            destination.children.append(copy)
            destination = copy
        pending.extend((child, destination) for child in reversed(node.children))
    return clean


# -- known iframes (rspace-web TextFieldEmbedIframeHandler) ---------------------------------------

_YOUTUBE_SUFFIX = r"([\w-])+(\?((si=[\w-]+)|((&amp;)?&?start=\d+)|((&amp;)?&?controls=0))+)?"
_JOVE_SUFFIX = r"\?id=\d+((&\w+=1)|(&language=\w+)|(&access=\w+)|(&utm_source=\w+))*"
KNOWN_IFRAME_SOURCES = [
    re.compile(re.escape(prefix) + suffix, re.ASCII)
    for prefix, suffix in [
        ("https://www.youtube.com/embed/", _YOUTUBE_SUFFIX),
        ("https://www.youtube-nocookie.com/embed/", _YOUTUBE_SUFFIX),
        ("https://www.jove.com/embed/player", _JOVE_SUFFIX),
        ("https://app.jove.com/embed/player", _JOVE_SUFFIX),
        ("https://av.tib.eu/player/", r"\d+"),
    ]
]
#: The iframe attributes RSpace keeps, in the order it copies them, with the values it accepts.
KNOWN_IFRAME_ATTRIBUTES = {
    name: re.compile(pattern, re.ASCII)
    for name, pattern in [
        ("src", ".+"),
        ("title", r"[\w\s]*"),
        ("width", r"\d+"),
        ("height", r"\d+"),
        ("border", r"\d+"),
        ("frameborder", r"\d+"),
        ("marginwheight", r"\d+"),
        ("marginwidth", r"\d+"),
        (
            "allow",
            r"((\s?accelerometer;?)|(\s?autoplay;?)|(\s?clipboard-write;?)|(\s?encrypted-media;?)"
            r"|(\s?encrypted-media \*;?)|(\s?fullscreen;?)|(\s?gyroscope;?)"
            r"|(\s?picture-in-picture;?)|(\s?web-share;?))*",
        ),
        ("allowfullscreen", ""),
        ("allowtransparency", "true"),
        ("referrerpolicy", "strict-origin-when-cross-origin"),
        ("scrolling", "no"),
    ]
}
#: The attribute order of RSpace's ``embedIframe.vm`` template.
IFRAME_TEMPLATE_ORDER = [
    "width",
    "height",
    "src",
    "title",
    "border",
    "frameborder",
    "marginwheight",
    "marginwidth",
    "allow",
    "referrerpolicy",
    "allowfullscreen",
    "allowtransparency",
    "scrolling",
]
REPLACEMENT_CLASS = "rsknowniframereplacement"
WRAPPER_CLASS = "embediframediv"


def _has_class(element: Element, lowered_class: str) -> bool:
    classes = dict(element.attrs).get("class") or ""
    return lowered_class in classes.lower().split()


def _walk(root: Element) -> list[tuple[Element, int, Element]]:
    """Every (parent, index, element) under ``root``, in document order."""
    found: list[tuple[Element, int, Element]] = []
    pending = [(root, index, child) for index, child in enumerate(root.children)]
    pending.reverse()
    while pending:
        parent, index, node = pending.pop()
        if isinstance(node, Element):
            found.append((parent, index, node))
            pending.extend(
                (node, i, child) for i, child in reversed(list(enumerate(node.children)))
            )
    return found


def _remove(parent: Element, element: Element) -> None:
    parent.children = [child for child in parent.children if child is not element]


def _is_known_iframe_source(src: str) -> bool:
    return any(pattern.fullmatch(src) for pattern in KNOWN_IFRAME_SOURCES)


def _encode_known_iframes(root: Element) -> None:
    """Before cleaning: an element claiming to be RSpace's own replacement is dropped, and each
    iframe from a known player becomes such a paragraph, its accepted attributes as ``data-*``."""
    for parent, _, element in reversed(_walk(root)):
        if _has_class(element, REPLACEMENT_CLASS):
            _remove(parent, element)
    for parent, index, element in _walk(root):
        if element.tag != "iframe":
            continue
        attrs = dict(element.attrs)
        if not _is_known_iframe_source(attrs.get("src") or ""):
            continue
        replacement: list[tuple[str, str | None]] = [("class", "rsKnownIframeReplacement")]
        for name, pattern in KNOWN_IFRAME_ATTRIBUTES.items():
            value = attrs.get(name)
            if name in attrs and pattern.fullmatch(value or ""):
                replacement.append((f"data-{name}", value or ""))
        parent.children[index] = Element("p", replacement)


def _decode_known_iframes(root: Element) -> None:
    """After cleaning: an editor's iframe wrapper left with no element in it is dropped, and each
    replacement paragraph becomes the iframe of RSpace's template."""
    for parent, _, element in _walk(root):
        if (
            element.tag == "div"
            and _has_class(element, WRAPPER_CLASS)
            and not any(isinstance(child, Element) for child in element.children)
        ):
            _remove(parent, element)
    for parent, index, element in _walk(root):
        if element.tag == "p" and _has_class(element, REPLACEMENT_CLASS):
            attrs = dict(element.attrs)
            iframe_attrs: list[tuple[str, str | None]] = [
                (name, attrs[f"data-{name}"])
                for name in IFRAME_TEMPLATE_ORDER
                if f"data-{name}" in attrs
            ]
            parent.children[index] = Element("iframe", iframe_attrs, ["\n"])
