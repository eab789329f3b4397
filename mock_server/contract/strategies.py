"""Hypothesis strategies for document names, tags and field contents RSpace stores verbatim.

Values avoid what RSpace normalises (HTML markup, non-breaking spaces, runs of whitespace,
leading or trailing blanks) and characters outside the Basic Multilingual Plane, so that a
round trip must give back exactly what was sent.
"""

from __future__ import annotations

from hypothesis import strategies as st

_WORD_CHARACTERS = st.characters(
    codec="utf-8",
    max_codepoint=0xFFFF,
    categories=["L", "N", "P", "S"],
    exclude_characters="<>&\\/,\"'",
)
_TAG_CHARACTERS = st.characters(codec="utf-8", max_codepoint=0xFFFF, categories=["L", "N"])


def _words(characters: st.SearchStrategy[str], max_words: int) -> st.SearchStrategy[str]:
    word = st.text(characters, min_size=1, max_size=10)
    return st.lists(word, min_size=1, max_size=max_words).map(" ".join)


#: Lower-case ASCII suffixes order the same under any collation; used to check name order.
ascii_name_suffixes = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=12)

name_suffixes = st.one_of(ascii_name_suffixes, _words(_WORD_CHARACTERS, 4))

#: A non-empty comma-separated tag string.
some_tags = st.lists(_words(_TAG_CHARACTERS, 2), min_size=1, max_size=3, unique=True).map(",".join)

#: A comma-separated tag string, or ``None`` for no tags.
tag_strings = st.one_of(st.none(), some_tags)

#: Text field content as RSpace's HTML normaliser leaves it: one paragraph of words.
field_contents = _words(_WORD_CHARACTERS, 8).map(lambda text: f"<p>{text}</p>")
