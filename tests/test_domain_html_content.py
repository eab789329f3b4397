"""Field HTML as RSpace stores it (jsoup-cleaned, pretty-printed in XML syntax); each
expectation is jsoup 1.15.3's own output (``tests/test_field_html_matches_jsoup.py`` compares
with jsoup itself)."""

from __future__ import annotations

import pytest

from mock_server.domain.html_safelist import clean_field_html as normalise_field_html

pytestmark = pytest.mark.own_engines


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
        ("<p>x<br>y</p>", "<p>x<br />y</p>"),
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
        ("<div/>x", "<div></div>x"),
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


# -- RSpace's safelist (rspace-web TextFieldDataSanitizerTest states these) -----------------------


@pytest.mark.parametrize(
    "kept",
    [
        '<hr />\n<p id="234" class="cssclass" style="font-color:red" data-xc="123">text</p>',
        '<address style="text-align: left;">EH8 7NP</address>',
        '<table style="width: 559px;" border="1" cellspacing="0" cellpadding="6"></table>',
        '<a class="nfs_file mceNonEditable" data-linktype="file" href="#" rel="9:/batch.txt">'
        "batch.txt</a>",
        '<a id="attachOnText_6172" href="/Streamfile/6172" target="_blank" '
        'data-type="Miscellaneous" data-mce-href="/Streamfile/6172">my video.mp4</a>',
        '<object id="v" data="/scripts/player.swf" type="application/x-shockwave-flash" '
        'name="v" width="100%" height="100%" data-mce-tabindex="0"><param name="allowfullscreen" '
        'value="true" /><param name="flashvars" value="a=1&amp;b=2" /></object>',
        "!\"#$%&amp;'()*+,-./0123456789:;&lt;=&gt;?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`"
        "abcdefghijklmnopqrstuvwxyz{|}~",
    ],
)
def test_markup_within_rspaces_safelist_is_kept_as_it_is(kept: str) -> None:
    assert normalise_field_html(kept) == kept


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        (
            '<p>text</p><img src="/image/123"><script>alert(1);</script>',
            '<p>text</p><img src="/image/123" />',
        ),
        ('<img src="javascript:alert(1);">', "<img />"),
        ('<img src="image.png" onerror="alert(\'1\');">', '<img src="image.png" />'),
        ('<a href=" JavaScript:alert(1)" onclick="x()">x</a>', "<a>x</a>"),
        ('<a href="java\tscript:alert(1)">x</a>', "<a>x</a>"),
        ('<img src="data:image/png;base64,AA">', '<img src="data:image/png;base64,AA" />'),
        ('<a href="data:text/html,x">x</a>', "<a>x</a>"),
        ('<a href="mailto:a@b.org">m</a>', '<a href="mailto:a@b.org">m</a>'),
        ("<style>p{color:red}</style><p>x</p>", "<p>x</p>"),
        ("<font color=red>warn</font> <!-- note -->now", "warn now"),
        ("<textarea>a &amp; <b></textarea>", "a &amp; &lt;b&gt;"),
        (
            "<iframe src='https://evil.example'>fallback <b>x</b></iframe>",
            "fallback &lt;b&gt;x&lt;/b&gt;",
        ),
        ("<p>a&nbsp;b\x01</p>", "<p>a&nbsp;b&#x1;</p>"),
    ],
)
def test_markup_outside_rspaces_safelist_is_dropped(sent: str, stored: str) -> None:
    assert normalise_field_html(sent) == stored


def test_an_unknown_iframe_is_dropped_with_its_empty_wrapper() -> None:
    sent = (
        '<p>text</p><img src="/image/123"><div class="embedIframeDiv mceNonEditable"><iframe '
        'src="https://calendar.google.com/calendar/embed?src=x" width="800"></iframe></div>'
    )
    assert normalise_field_html(sent) == '<p>text</p><img src="/image/123" />'


def test_a_youtube_player_is_kept_as_rspaces_own_iframe() -> None:
    sent = (
        '<div class="embedIframeDiv mceNonEditable"><iframe width="560" height="315" '
        'src="https://www.youtube.com/embed/bhRExXIGxek?si=i85Qk9Y2son5jSZ6" onload="x()" '
        'title="YouTube video player" frameborder="0" allow="accelerometer; autoplay; '
        'web-share" referrerpolicy="strict-origin-when-cross-origin" allowfullscreen>'
        "</iframe></div>"
    )
    assert normalise_field_html(sent) == (
        '<div class="embedIframeDiv mceNonEditable">\n <iframe width="560" height="315" '
        'src="https://www.youtube.com/embed/bhRExXIGxek?si=i85Qk9Y2son5jSZ6" '
        'title="YouTube video player" frameborder="0" allow="accelerometer; autoplay; web-share" '
        'referrerpolicy="strict-origin-when-cross-origin" allowfullscreen=""> </iframe>\n</div>'
    )


def test_a_jove_player_keeps_only_the_attributes_rspace_accepts() -> None:
    sent = (
        '<p>joveTest</p><iframe id="embed-iframe" allowTransparency="true" '
        'allow="encrypted-media *" allowfullscreen height="415" width="460" border="0" '
        'scrolling="yes" src="https://www.jove.com/embed/player?id=54239&t=1&s=1&fpv=1">'
        "<p>fallback</p></iframe>"
    )
    assert normalise_field_html(sent) == (
        '<p>joveTest</p><iframe width="460" height="415" '
        'src="https://www.jove.com/embed/player?id=54239&amp;t=1&amp;s=1&amp;fpv=1" '
        'border="0" allow="encrypted-media *" allowfullscreen="" allowtransparency="true"> '
        "</iframe>"
    )


def test_markup_claiming_to_be_rspaces_own_iframe_is_dropped() -> None:
    sent = '<p class="rsKnownIframeReplacement" data-src="https://evil.example">x</p>ok'
    assert normalise_field_html(sent) == "ok"
