"""Lucene's analysis and queries as RSpace's index uses them (``domain/search.py``)."""

from __future__ import annotations

import pytest

from mock_server.domain.search import (
    analyse,
    fuzzy_matches,
    parse_native,
    phrase_matches,
    query_words,
    term_matches_field,
)

pytestmark = pytest.mark.own_engines

TEXT = analyse(
    "<p>The quick brown fox jumps over the lazy dog; pH 7.5, 1,000 cells, don't SD12</p>",
    markup=True,
)


def test_words_are_lower_cased_without_stop_words_or_markup() -> None:
    assert TEXT.words == (
        "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "ph", "7.5", "1,000", "cells",
        "don't", "sd12",
    )  # fmt: skip
    # Stop words keep their positions: "the" before "quick" and before "lazy".
    assert TEXT.positions[:6] == (1, 2, 3, 4, 5, 7)


def test_the_tags_field_keeps_stop_words() -> None:
    assert analyse("the heat shock, to do", stop=False).words == (
        "the",
        "heat",
        "shock",
        "to",
        "do",
    )


@pytest.mark.parametrize(
    ("word", "found"),
    [("qiuck", True), ("quikc", True), ("quack", True), ("qu", False), ("kuick", False)],
)
def test_fuzzy_words_are_two_edits_away_with_the_first_letter_kept(word: str, found: bool) -> None:
    assert fuzzy_matches(TEXT.vocabulary, word) is found


def test_short_fuzzy_words_allow_fewer_edits() -> None:
    assert not fuzzy_matches({"dog"}, "dx")  # one letter past the prefix: one edit at most
    assert fuzzy_matches({"do"}, "dx")


@pytest.mark.parametrize(
    ("phrase", "slop", "found"),
    [
        ("quick brown", 0, True),
        ("brown quick", 0, False),
        ("quick fox", 0, False),
        ("quick fox", 1, True),
        ("fox quick", 3, True),
        ("quick lazy", 3, False),  # six positions apart
        ("jumps lazy", 2, True),  # "over the" between: the stop word still counts
    ],
)
def test_phrases_allow_their_slop(phrase: str, slop: int, found: bool) -> None:
    assert phrase_matches(TEXT, query_words(phrase), slop) is found


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("quick AND fox", True),
        ("quick AND cat", False),
        ("quick OR cat", True),
        ("cat OR mouse", False),
        ("quick NOT fox", False),
        ("quick -cat", True),
        ("+quick +cat", False),
        ("(cat OR fox) AND lazy", True),
        ('"brown fox"', True),
        ('"fox brown"~2', True),
        ("qu*", True),
        ("qick~", True),
        ("-fox", False),  # only a prohibition matches nothing
        ("name:quick", False),  # another field
    ],
)
def test_native_queries_follow_lucenes_classic_syntax(query: str, found: bool) -> None:
    parsed = parse_native(query)
    assert parsed is not None and parsed.matches(TEXT) is found


@pytest.mark.parametrize("query", ["(quick", 'quick "fox', "AND fox", "quick AND", "*ick", ""])
def test_a_native_syntax_error_is_no_query(query: str) -> None:
    assert parse_native(query) is None


@pytest.mark.parametrize(
    ("term", "found"),
    [
        ("Quick", True),
        ("quick cat", False),  # every space-separated part
        ("quick,fox", True),
        ("quick, cat", False),
        ("pH-7.5", True),  # a part matches when any of its words does
        ("the", False),
        ("the quick", False),  # a part of stop words matches nothing
        ("qu*k", True),
        ("Q?ICK", True),
        ("quick brown*", False),  # a pattern is one word
        ("'lazy dog'", True),
        ("l:quick AND dog", True),
        ("l:quick AND", False),
    ],
)
def test_a_term_on_a_field_means_what_rspaces_query_builder_makes_of_it(
    term: str, found: bool
) -> None:
    assert term_matches_field([TEXT], term) is found
