"""Field HTML as RSpace stores it (jsoup-cleaned, pretty-printed)."""

from __future__ import annotations

import pytest

from mock_server.domain.html_content import normalise_field_html


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        # RSpace's own API test (DocumentsApiControllerMVCIT.createUpdateDeleteBasicDocument).
        (
            '<p> Add 2ul 50uM EDTA to Xenopus egg extract. <p> See <a href="https://a.b.com">'
            "here</a>",
            "<p>Add 2ul 50uM EDTA to Xenopus egg extract.</p>\n"
            '<p>See <a href="https://a.b.com">here</a></p>',
        ),
        ("<p>already clean</p>", "<p>already clean</p>"),
        ("<p>a</p><p>b</p>", "<p>a</p>\n<p>b</p>"),
        ("words   with\n runs", "words with runs"),
        ("a & b < c", "a &amp; b &lt; c"),
        ("<p>55 &deg;C</p>", "<p>55 °C</p>"),
        ("<ul><li>x<li>y</ul>", "<ul>\n <li>x</li>\n <li>y</li>\n</ul>"),
        ("<div><p>in</p></div>", "<div>\n <p>in</p>\n</div>"),
        ("<p>x<br>y</p>", "<p>x<br>y</p>"),
        ("<pre>  keep\n  this</pre>", "<pre>  keep\n  this</pre>"),
        ("", ""),
    ],
)
def test_field_html_is_normalised_like_rspace(sent: str, stored: str) -> None:
    assert normalise_field_html(sent) == stored


@pytest.mark.parametrize("content", ["<p>x</p>", "<ul><li>a<li>b</ul>", "a  b", "<p> a <p> b"])
def test_normalising_twice_changes_nothing(content: str) -> None:
    once = normalise_field_html(content)
    assert normalise_field_html(once) == once


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        # A tag the input ends inside is dropped; a tag name ends at "<" (jsoup's TokeniserState).
        ("<p>a<b", "<p>a</p>"),
        ('<p>a</p><a href="x>y', "<p>a</p>"),
        ("<b<i>x</i></b>", "<b><i>x</i></b>"),
        # Only a value with nothing after "=" keeps its tag at the end of the input.
        ("<a href=", '<a href=""></a>'),
        # An unclosed comment runs to the end; bogus comments end at ">".
        ("a<!-- never closed <p>b</p>", "a"),
        ("<?php x ?>y", "y"),
        ("<!DOCTYPE html>y", "y"),
        ("</>a", "a"),
        ("a</", "a&lt;/"),
        # jsoup keeps a CDATA section's content as text.
        ("<![CDATA[x < y]]>z", "x &lt; yz"),
        # A repeated attribute keeps its first value.
        ('<a href="1" HREF="2">x</a>', '<a href="1">x</a>'),
        ("<div/>x", "<div></div>\nx"),
    ],
)
def test_malformed_markup_is_read_as_jsoup_reads_it(sent: str, stored: str) -> None:
    assert normalise_field_html(sent) == stored


@pytest.mark.parametrize(("spans", "closes"), [(100, True), (101, False)])
def test_a_block_closes_a_p_only_within_jsoups_scope_depth(spans: int, closes: bool) -> None:
    # jsoup looks at most 100 elements up the stack for the <p> a block start tag closes.
    stored = normalise_field_html("<p>" + "<span>" * spans + "<div>x</div>")
    assert (stored.index("</p>") < stored.index("<div>")) is closes


def test_indentation_stops_growing_at_jsoups_maximum_padding() -> None:
    stored = normalise_field_html("<div>" * 40 + "x")
    indents = [len(line) - len(line.lstrip(" ")) for line in stored.split("\n")]
    assert max(indents) == 30
    assert indents[:31] == list(range(31))
