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
