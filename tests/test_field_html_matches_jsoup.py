"""A text field's HTML is saved exactly as jsoup 1.15.3 cleans it with RSpace's safelist.

Each test hands the same markup to the fake and to jsoup itself (``tests/jsoup_oracle.py``):
markup as lab notebooks hold it (written in RSpace's editor, pasted from Word or Excel, with
scripts and event handlers to strip), markup of any shape built from the elements RSpace keeps
and drops, and markup thousands of elements deep.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mock_server.domain.html_safelist import clean_field_html
from tests.jsoup_oracle import JsoupOracle, start_oracle

pytestmark = pytest.mark.own_engines


@pytest.fixture(scope="module")
def jsoup() -> Iterator[JsoupOracle]:
    oracle = start_oracle()
    yield oracle
    oracle.close()


LAB_MARKUP = {
    "editor paragraphs": "<p>Add 2 &micro;l 50 mM EDTA.&nbsp;</p>\n<p>Incubate at 37&deg;C.</p>",
    "unclosed paragraphs": "<p> Add 2ul EDTA. <p> See <a href='https://a.b.com'>here</a>",
    "a results table": (
        '<table style="width: 559px;" border="1" cellspacing="0" cellpadding="6"><thead><tr>'
        "<th>Sample</th><th>OD<sub>600</sub></th></tr></thead><tbody><tr><td>A1</td><td>0.42"
        '</td></tr><tr><td colspan="2" rowspan=1 nowrap>mean</td></tr></tbody></table>'
    ),
    "a table without its sections": "<table><tr><td>1<td>2<tr><td>3</table>",
    "lists": "<ol start=3 type=a><li>Lyse<li>Spin<ul><li>4 &deg;C</ul></ol><dl><dt>T<dd>5 min",
    "formulas": "H<sub>2</sub>O, Ca<sup>2+</sup>, 10<sup>-3&nbsp;M",
    "images": '<p><img src="/image/123" alt="gel" width="300" onerror="alert(1)"></p>'
    '<img src="data:image/png;base64,iVBOR"><img src="javascript:alert(1)">',
    "links": '<a href="https://example.org" target="_blank" onclick="x()">ok</a> '
    '<a href="/globalId/SD12">rel</a> <a href="JavaScript:alert(1)">bad</a> '
    '<a href="mailto:lab@example.org">mail</a> <a href="data:text/html,x">data</a>',
    "scripts and styles": "<style>p{color:red}</style><p>x</p><script>alert(1)</script>"
    "<noscript>n</noscript><iframe src='https://evil.example'>fallback</iframe>",
    "pasted from Word": (
        '<html xmlns:o="urn:schemas-microsoft-com:office:office"><head><meta charset="utf-8">'
        "<title>Protocol</title><style>p.MsoNormal{margin:0}</style></head><body lang=EN-GB>"
        "<!--[if gte mso 9]><xml><o:OfficeDocumentSettings/></xml><![endif]-->"
        '<p class=MsoNormal style="margin-bottom:0cm"><b><span lang=EN-GB style="font-size:'
        "11.0pt\">Buffer A</span></b><o:p></o:p></p><p class=MsoListParagraph style='mso-list:"
        "l0 level1 lfo1'><![if !supportLists]><span style='mso-list:Ignore'>1.<span "
        "style='font:7.0pt \"Times New Roman\"'>&nbsp;&nbsp; </span></span><![endif]>Tris"
        "<o:p></o:p></p><p class=MsoNormal><font color=red>warn</font></p></body></html>"
    ),
    "pasted from Excel": (
        '<table border=0 cellpadding=0 cellspacing=0 width=128 style="border-collapse:collapse">'
        "<col width=64 span=2><tr height=20><td height=20 class=xl65 width=64>1.5</td><td "
        "class=xl65 align=right>2</td></tr></table>"
    ),
    "misnested formatting": "<p><b>bold <i>both</b> italic</i></p><p><b>carried</p>on</b>",
    "headings and rules": "<h1>Aim<h2>Method</h1><hr><h3 id=r class='x' data-step=3>R</h3>",
    "data attributes and markers": (
        '<a class="nfs_file mceNonEditable" data-linktype="file" href="#" rel="9:/b.txt">b</a>'
        '<p data-x"y="1" data-ok="2">t</p>'
    ),
    "an object with parameters": (
        '<object data="/scripts/player.swf" type="application/x-shockwave-flash" width="100%">'
        '<param name="allowfullscreen" value="true" /><embed src="x"></object>'
    ),
    "whitespace and preformatted text": "<pre>\n  keep\n   this</pre> a \t b <span> c </span>",
    "entities and text that looks like markup": "a &amp; b &lt;c&gt; 5 < 6 > 4 \"q\" 'a'",
    "control characters": "a\x01b\x7fc",
}


@pytest.mark.parametrize("name", list(LAB_MARKUP))
def test_lab_markup_is_saved_as_jsoup_cleans_it(jsoup: JsoupOracle, name: str) -> None:
    content = LAB_MARKUP[name]
    assert clean_field_html(content) == jsoup.clean(content)


def test_the_markup_above_is_really_changed_by_cleaning(jsoup: JsoupOracle) -> None:
    # The comparison above would prove little if jsoup left the markup alone.
    changed = [name for name, content in LAB_MARKUP.items() if jsoup.clean(content) != content]
    assert len(changed) == len(LAB_MARKUP)


# -- markup of any shape --------------------------------------------------------------------------

KEPT_INLINE = ["span", "b", "i", "em", "strong", "a", "sub", "sup", "u", "code", "small", "q"]
DROPPED_INLINE = ["font", "o:p", "label", "abbr", "mark", "s"]
KEPT_BLOCK = ["p", "div", "h1", "h3", "blockquote", "pre", "address"]
DROPPED_BLOCK = ["section", "center", "article", "form"]
ATTRIBUTES = [
    'class="MsoNormal"',
    'style="color:red"',
    'href="x.html"',
    "href='javascript:alert(1)'",
    'src="/i.png"',
    'onclick="z()"',
    'data-step="1"',
    "id=a",
    "width=3",
    "align=left",
    'title="t &amp; u"',
]
TEXT = ["x", " ", "\n", "text ", "&nbsp;", "a &amp; b", "  y  ", "\t", "55 &deg;C", "&lt;t&gt;"]

attributes = st.lists(st.sampled_from(ATTRIBUTES), max_size=2, unique=True).map(
    lambda chosen: "".join(" " + a for a in chosen)
)
text = st.sampled_from(TEXT) | st.sampled_from(["<br>", "<br/>", '<img src="/a.png" alt="a">'])


def element(tags: list[str], children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(st.sampled_from(tags), attributes, st.lists(children, max_size=3)).map(
        lambda parts: f"<{parts[0]}{parts[1]}>{''.join(parts[2])}</{parts[0]}>"
    )


inline = st.recursive(
    text, lambda inner: element(KEPT_INLINE + DROPPED_INLINE, inner), max_leaves=8
)


def table(cells: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    cell = st.tuples(st.sampled_from(["td", "th"]), attributes, cells).map(
        lambda parts: f"<{parts[0]}{parts[1]}>{parts[2]}</{parts[0]}>"
    )
    row = st.lists(cell, min_size=1, max_size=3).map(lambda cs: "<tr>" + "".join(cs) + "</tr>")
    rows = st.lists(row, min_size=1, max_size=3).map("".join)
    return st.tuples(attributes, rows, st.booleans()).map(
        lambda p: f"<table{p[0]}>" + (f"<tbody>{p[1]}</tbody>" if p[2] else p[1]) + "</table>"
    )


def lists(items: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    item = st.tuples(attributes, items).map(lambda p: f"<li{p[0]}>{p[1]}</li>")
    return st.tuples(st.sampled_from(["ul", "ol"]), st.lists(item, max_size=3)).map(
        lambda p: f"<{p[0]}>{''.join(p[1])}</{p[0]}>"
    )


block = st.recursive(
    element(KEPT_BLOCK, inline),
    lambda inner: (
        element(["div", "blockquote"] + DROPPED_BLOCK, inner | inline)
        | table(inline | inner)
        | lists(inline | inner)
    ),
    max_leaves=12,
)
field_markup = st.lists(block | inline, min_size=1, max_size=4).map("".join)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(content=field_markup)
def test_any_markup_of_kept_and_dropped_elements_is_saved_as_jsoup_cleans_it(
    jsoup: JsoupOracle, content: str
) -> None:
    assert clean_field_html(content) == jsoup.clean(content)


# -- unclosed markup ---------------------------------------------------------------------------

#: Start tags left open, as careless or truncated markup leaves them.
UNCLOSED = ["<p>", "<li>", "<td>", "<tr>", "<div>", "<b>", "<i>", "<span>", "<ul>", "<table>"]


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(pieces=st.lists(st.sampled_from(UNCLOSED) | st.sampled_from(TEXT), max_size=12))
def test_unclosed_elements_are_closed_as_jsoup_closes_them(
    jsoup: JsoupOracle, pieces: list[str]
) -> None:
    content = "".join(pieces)
    assert clean_field_html(content) == jsoup.clean(content)


# -- depth ---------------------------------------------------------------------------------------

DEEP = 3000
DEEP_SHAPES = {
    "closed divs": "<div>" * DEEP + "x" + "</div>" * DEEP,
    "unclosed divs": "<div>x" * DEEP,
    "nested lists": "<ul><li>x" * (DEEP // 2),
    "nested tables": "<table><tr><td>x" * (DEEP // 4),
    "unclosed spans": "<span>x" * DEEP,
    "unclosed bold": "<b>x" * DEEP,
    "unclosed inline and block": "<em><blockquote>x" * (DEEP // 2),
    "a paragraph under many spans": "<p>" + "<span>" * 150 + "<div>x</div>",
    "end tags under deep blocks": "<div>" * 400 + "</p></span></b>" * 50,
}


@pytest.mark.parametrize("shape", list(DEEP_SHAPES))
def test_deep_markup_is_saved_as_jsoup_cleans_it(jsoup: JsoupOracle, shape: str) -> None:
    content = DEEP_SHAPES[shape]
    assert clean_field_html(content) == jsoup.clean(content)
