"""Field HTML of any depth and size is saved as jsoup would clean it, in time linear in its size.

jsoup parses and pretty-prints without recursing and caps indentation at 30 spaces, so a field
5,000 elements deep is saved like a shallow one, never a 500, and twice the markup costs about
twice the time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from mock_server.testing import RSpaceMockHandle
from tests.http_helpers import API_KEYS, make_client

ALICE = {"apiKey": API_KEYS["alice"]}
DEPTH = 5000
#: jsoup's ``OutputSettings.maxPaddingWidth``.
MAX_PADDING = 30


@pytest.fixture(scope="module")
def client() -> TestClient:
    return make_client()


def pad(depth: int) -> str:
    return " " * min(depth, MAX_PADDING)


#: Elements jsoup prints with their content inline (``Tag.formatAsBlock`` false): the first
#: text follows the start tag, and the end tag follows the last child's end.
FORMAT_AS_INLINE = {"li", "td"}


def closed_blocks(tag: str, depth: int) -> str:
    """``<div><div>x</div></div>``: an element a line, the innermost's text on a line of its
    own, each end tag on a line of its own."""
    opening = [pad(level) + f"<{tag}>" for level in range(depth)]
    closing = [pad(level) + f"</{tag}>" for level in reversed(range(depth))]
    return "\n".join([*opening, pad(depth) + "x", *closing])


def unclosed_block_chain(tags: list[str], repeats: int) -> str:
    """``<ul><li>x<ul><li>x...`` never closed: each last tag of a repeat holds an ``x``, then
    the next repeat, as jsoup prints it."""
    levels = [
        (tag, index == len(tags) - 1) for _ in range(repeats) for index, tag in enumerate(tags)
    ]
    lines: list[str] = []
    for depth, (tag, holds_x) in enumerate(levels):
        innermost = depth == len(levels) - 1
        if tag in FORMAT_AS_INLINE:
            lines.append(pad(depth) + f"<{tag}>" + ("x" if holds_x else ""))
        else:
            lines.append(pad(depth) + f"<{tag}>")
            if holds_x:
                lines.append(pad(depth + 1) + "x")
        if innermost and tag in FORMAT_AS_INLINE:
            lines[-1] += f"</{tag}>"
        elif innermost:
            lines.append(pad(depth) + f"</{tag}>")
    for depth in reversed(range(len(levels) - 1)):
        tag = levels[depth][0]
        if tag in FORMAT_AS_INLINE:
            lines[-1] += f"</{tag}>"
        else:
            lines.append(pad(depth) + f"</{tag}>")
    return "\n".join(lines)


DEEP_SHAPES = {
    "closed divs": ("<div>" * DEPTH + "x" + "</div>" * DEPTH, closed_blocks("div", DEPTH)),
    "unclosed divs": ("<div>x" * DEPTH, unclosed_block_chain(["div"], DEPTH)),
    "nested lists": ("<ul><li>x" * (DEPTH // 2), unclosed_block_chain(["ul", "li"], DEPTH // 2)),
    # <tr> straight in <table> gets HTML's implied <tbody>.
    "nested tables": (
        "<table><tr><td>x" * (DEPTH // 4),
        unclosed_block_chain(["table", "tbody", "tr", "td"], DEPTH // 4),
    ),
    "unclosed spans": ("<span>x" * DEPTH, "<span>x" * DEPTH + "</span>" * DEPTH),
    "unclosed bold": ("<b>x" * DEPTH, "<b>x" * DEPTH + "</b>" * DEPTH),
    "closed spans": ("<span>" * DEPTH + "x" + "</span>" * DEPTH, None),
    "unclosed inline and block": ("<em><blockquote>x" * (DEPTH // 2), None),
}


def without_whitespace(html: str) -> str:
    return "".join(html.split())


def post_field(client: TestClient, content: str) -> str:
    response = client.post(
        "/api/v1/documents", json={"fields": [{"content": content}]}, headers=ALICE
    )
    assert response.status_code == 201, response.text[:500]
    stored: str = response.json()["fields"][0]["content"]
    return stored


def test_shallow_nesting_prints_the_shapes_the_deep_expectations_are_built_from(
    client: TestClient,
) -> None:
    # The deep expectations below extend these (jsoup's own output) to any depth.
    assert post_field(client, "<div><div>x</div></div>") == ("<div>\n <div>\n  x\n </div>\n</div>")
    assert post_field(client, "<div>x<div>x") == "<div>\n x\n <div>\n  x\n </div>\n</div>"
    assert post_field(client, "<ul><li>x<ul><li>x") == (
        "<ul>\n <li>x\n  <ul>\n   <li>x</li>\n  </ul></li>\n</ul>"
    )
    assert post_field(client, "<table><tr><td>x") == (
        "<table>\n <tbody>\n  <tr>\n   <td>x</td>\n  </tr>\n </tbody>\n</table>"
    )
    assert post_field(client, "<div>x<div>x") == unclosed_block_chain(["div"], 2)
    assert post_field(client, "<ul><li>x<ul><li>x") == unclosed_block_chain(["ul", "li"], 2)
    assert post_field(client, "<div><div>x</div></div>") == closed_blocks("div", 2)


@pytest.mark.parametrize("shape", list(DEEP_SHAPES))
def test_deeply_nested_field_markup_is_saved_like_shallow_markup(
    client: TestClient, shape: str
) -> None:
    sent, expected = DEEP_SHAPES[shape]
    stored = post_field(client, sent)
    if expected is not None:
        assert stored == expected
    assert stored.count("x") == sent.count("x")  # no content is cut, however deep
    # Saved again, it keeps its elements and text (jsoup may move a space next to a line break).
    assert without_whitespace(post_field(client, stored)) == without_whitespace(stored)


def test_deep_markup_in_an_update_is_saved_like_shallow_markup(client: TestClient) -> None:
    created = client.post("/api/v1/documents", json={}, headers=ALICE).json()
    sent, expected = DEEP_SHAPES["unclosed divs"]
    response = client.put(
        f"/api/v1/documents/{created['id']}",
        json={"fields": [{"content": sent}]},
        headers=ALICE,
    )
    assert response.status_code == 200, response.text[:500]
    assert response.json()["fields"][0]["content"] == expected


markup_pieces = st.sampled_from(
    [
        "<",
        ">",
        "</",
        "/>",
        "<!--",
        "-->",
        "<!",
        "<?",
        "<![",
        "<![CDATA[",
        "]]>",
        "=",
        '"',
        "'",
        "&",
        ";",
    ]
    + ["&amp;", "&#x3c;", "&nbsp", " ", "\n", "\t", "x", "A", "p", "div", "li", "ul", "dd", "dl"]
    + ["table", "tr", "td", "pre", "br", "span", "b", "script", "style", "href", "\u00a0", "\x00"]
)


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(pieces=st.lists(markup_pieces, max_size=60))
def test_any_field_markup_is_saved(client: TestClient, pieces: list[str]) -> None:
    content = "".join(pieces)
    stored = post_field(client, content)
    assert isinstance(stored, str)


# -- cost ---------------------------------------------------------------------------------------

SMALL = 800
#: 8x the markup; a quadratic step makes the time 64x, a linear one about 8x.
LARGE = 8 * SMALL
#: Generous for a noisy shared machine, and still far below what a quadratic step takes.
MAX_RATIO = 20.0

COST_SHAPES: dict[str, Callable[[int], str]] = {
    "unfinished start tags": lambda n: "x<a" * n,
    "unfinished end tags": lambda n: "x</" * n,
    "unclosed comments": lambda n: "x<!--" * n,
    "deep inline elements": lambda n: "<span>x" * n,
    "deep block elements": lambda n: "<div>x" * n,
    "deep lists": lambda n: "<ul><li>x" * (n // 2),
    "stray end tags under deep blocks": lambda n: "<div>" * (n // 8) + "</p></span>" * n,
}


def fastest_post_seconds(client: TestClient, content: str, repeats: int) -> float:
    """The fastest of a few runs: other load on the machine only ever adds time."""
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        post_field(client, content)
        best = min(best, time.perf_counter() - started)
    return best


@pytest.mark.parametrize("shape", list(COST_SHAPES))
def test_saving_field_markup_costs_time_linear_in_its_size(client: TestClient, shape: str) -> None:
    make = COST_SHAPES[shape]
    post_field(client, make(SMALL))  # warm up
    small = fastest_post_seconds(client, make(SMALL), repeats=5)
    large = fastest_post_seconds(client, make(LARGE), repeats=2)
    assert large / small < MAX_RATIO, f"{shape}: {small:.4f}s for n, {large:.4f}s for 8n"


# -- other clients meanwhile ----------------------------------------------------------------------

#: About 150 KB of nested, never-closed markup of every kind: a save that takes a while.
LARGE_MARKUP = "<div><span>x<ul><li>y<table><tr><td>z<p><b>w" * 3300
#: However slow the machine, no status request waits anything like the whole save.
MAX_STATUS_SECONDS = 1.0
MAX_SHARE_OF_SAVE = 0.5


def test_saving_a_large_field_does_not_hold_up_other_clients(
    rspace_mock: RSpaceMockHandle,
) -> None:
    headers = {"apiKey": rspace_mock.seeded.user("alice")["apiKey"]}
    saved: list[requests.Response] = []
    finished = threading.Event()

    def save() -> None:
        try:
            body = {"fields": [{"content": LARGE_MARKUP}]}
            saved.append(
                requests.post(
                    rspace_mock.api_url + "/documents", json=body, headers=headers, timeout=120
                )
            )
        finally:
            finished.set()

    status_url = rspace_mock.api_url + "/status"
    requests.get(status_url, headers=headers, timeout=10)  # warm up
    saving = threading.Thread(target=save)
    started = time.perf_counter()
    saving.start()
    waits: list[float] = []
    while not finished.is_set():  # every status request sent while the save is under way
        sent = time.perf_counter()
        assert requests.get(status_url, headers=headers, timeout=60).status_code == 200
        waits.append(time.perf_counter() - sent)
    saving.join()
    took = time.perf_counter() - started
    assert saved and saved[0].status_code == 201, saved and saved[0].text[:300]
    assert waits, f"the save took {took:.3f}s, too short to overlap a status request"
    longest = max(waits)
    assert longest < min(MAX_STATUS_SECONDS, MAX_SHARE_OF_SAVE * took), (
        f"a status request waited {longest:.3f}s while a {len(LARGE_MARKUP)}-character field "
        f"was saved (in {took:.3f}s)"
    )
