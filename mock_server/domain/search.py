"""Document search as RSpace's Lucene index answers it (rspace-web ``RSQueryBuilder``,
``LuceneSearchTermListFactory``, ``RSpaceLuceneAnalysisConfigurer``).

Text is indexed as Lucene's standard analysis makes it: split into words (letters and digits,
kept together across ``.``, ``'`` and a digit's ``,``), lower-cased, English stop words dropped
(they still take a position, so phrases skip them). Field content is stripped of its markup and
entities first. A term then means, field by field:

- ``l:...``: Lucene's own query syntax (``AND``/``OR``/``NOT``, ``+``/``-``, ``"phrases"~n``,
  ``field:term``, wildcards, ``~`` fuzziness, parentheses); a syntax error matches nothing;
- ``word~``: a word within two edits of an indexed word that starts with the same letter;
- ``*`` or ``?`` anywhere: a wildcard pattern, matched (lower-cased) against single words;
- ``"a phrase"`` or ``'a phrase'``: the words in order, up to three positions apart in all;
- a tag term without those: each ``<<>>``-separated part as an exact phrase of the tags' words;
- otherwise: every comma-separated (else space-separated) part must match, a part matching
  when any of its words is indexed; a part that is only stop words matches nothing.

Everything here is a function of plain values, so that any store can run it.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from html import unescape

#: Lucene's ``EnglishAnalyzer.ENGLISH_STOP_WORDS_SET``, the stop filter's default.
STOP_WORDS = frozenset(
    {
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "for",
        "if",
        "in",
        "into",
        "is",
        "it",
        "no",
        "not",
        "of",
        "on",
        "or",
        "such",
        "that",
        "the",
        "their",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "was",
        "will",
        "with",
    }  # fmt: skip
)
#: A word as Lucene's standard tokenizer (Unicode word boundaries) finds one, near enough:
#: letters, digits and underscores, joined across an apostrophe, a full stop or a colon, and
#: across a comma between digits (``1,000``, ``3.5``, ``don't``, ``SD12``).
_WORD = re.compile(r"\w+(?:(?:[.'\u2019:]|(?<=\d),(?=\d))\w+)*")
_MARKUP = re.compile(r"<[^>]*>")
FUZZY_MAX_EDITS = 2
FUZZY_PREFIX_LENGTH = 1
PHRASE_SLOP = 3
NATIVE_PREFIX = "l:"
TAG_PHRASE_SEPARATOR = "<<>>"


@dataclass(frozen=True)
class Tokens:
    """One indexed value: its words and the position of each (stop words take positions)."""

    words: tuple[str, ...]
    positions: tuple[int, ...]

    @cached_property
    def vocabulary(self) -> frozenset[str]:
        return frozenset(self.words)


def words_of(text: str) -> list[str]:
    """Lower-cased words, stop words included (the query parser's analysis)."""
    return [match.group().lower() for match in _WORD.finditer(text)]


def analyse(text: str, *, markup: bool = False, stop: bool = True) -> Tokens:
    """A value as the index holds it (``markup``: an HTML field, stripped first; ``stop``: stop
    words dropped, as all but the tags field's analysis does)."""
    if markup:
        text = unescape(_MARKUP.sub(" ", text))
    words: list[str] = []
    positions: list[int] = []
    for position, word in enumerate(words_of(text)):
        if not stop or word not in STOP_WORDS:
            words.append(word)
            positions.append(position)
    return Tokens(tuple(words), tuple(positions))


@lru_cache(maxsize=1024)
def query_words(text: str, stop: bool = True) -> tuple[tuple[int, str], ...]:
    """A query text's words with their positions, stop words dropped (``stop``); a search asks
    for the same ones for every document it reads."""
    return tuple((i, w) for i, w in enumerate(words_of(text)) if not stop or w not in STOP_WORDS)


# -- single-word queries --------------------------------------------------------------------------


def _edit_distance_within(a: str, b: str, limit: int) -> bool:
    """Damerau-Levenshtein distance (adjacent transpositions count one) at most ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return False
    previous_previous: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous_previous[j - 2] + 1)
        if min(current) > limit:
            return False
        previous_previous, previous = previous, current
    return previous[len(b)] <= limit


def fuzzy_matches(vocabulary: Iterable[str], word: str, max_edits: int = FUZZY_MAX_EDITS) -> bool:
    """Lucene's ``FuzzyQuery``: an indexed word sharing the first letter, within the edits
    (fewer for short words: never more edits than the word has letters beyond the prefix)."""
    prefix = word[:FUZZY_PREFIX_LENGTH]
    edits = min(max_edits, max(0, len(word) - FUZZY_PREFIX_LENGTH))
    return any(
        candidate.startswith(prefix) and _edit_distance_within(candidate, word, edits)
        for candidate in vocabulary
    )


@lru_cache(maxsize=256)
def wildcard_pattern(pattern: str) -> re.Pattern[str]:
    """Lucene's wildcard syntax: ``*`` any run, ``?`` one character, ``\\`` escapes."""
    parts: list[str] = []
    escaped = False
    for char in pattern:
        if escaped:
            parts.append(re.escape(char))
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "*":
            parts.append(".*")
        elif char == "?":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.DOTALL)


def wildcard_matches(vocabulary: Iterable[str], pattern: str) -> bool:
    compiled = wildcard_pattern(pattern)
    return any(compiled.fullmatch(word) for word in vocabulary)


def phrase_matches(tokens: Tokens, phrase: Sequence[tuple[int, str]], slop: int) -> bool:
    """Lucene's (sloppy) phrase query: some occurrence of each word, offset from its place in
    the phrase, all within ``slop`` positions of each other. No words: no match."""
    if not phrase:
        return False
    occurrences: dict[str, list[int]] = {}
    for word, position in zip(tokens.words, tokens.positions, strict=True):
        occurrences.setdefault(word, []).append(position)
    # For each phrase word, the offsets (document position - phrase position) it could take.
    offsets: list[list[int]] = []
    for place, word in phrase:
        found = occurrences.get(word)
        if not found:
            return False
        offsets.append(sorted(position - place for position in found))
    if slop == 0:
        common = set(offsets[0]).intersection(*map(set, offsets[1:]))
        return bool(common)
    # The smallest range that holds one offset of every word (a heap over sorted lists).
    heap = [(values[0], index, 0) for index, values in enumerate(offsets)]
    heapq.heapify(heap)
    highest = max(values[0] for values in offsets)
    while True:
        lowest, index, at = heap[0]
        if highest - lowest <= slop:
            return True
        if at + 1 == len(offsets[index]):
            return False
        following = offsets[index][at + 1]
        heapq.heapreplace(heap, (following, index, at + 1))
        highest = max(highest, following)


# -- a term on one field -----------------------------------------------------------------------


def _match_words(tokens: Tokens, text: str, stop: bool) -> bool:
    """Hibernate Search's ``match``: any of the text's words is indexed; none: no match."""
    vocabulary = tokens.vocabulary
    return any(word in vocabulary for _, word in query_words(text, stop))


def term_matches_field(values: Sequence[Tokens], term: str, *, is_tag: bool = False) -> bool:
    """``RSQueryBuilder.createQueryAnalyzingTerm`` of one field, each of whose values is
    ``values`` (a document's text fields, say). The tags field is analysed without stop
    words; the others drop them."""
    stop = not is_tag
    partial = any(marker in term for marker in "*?~")
    if is_tag and not partial:
        phrases = [query_words(part, stop) for part in term.split(TAG_PHRASE_SEPARATOR)]
        return any(phrase_matches(v, phrase, 0) for v in values for phrase in phrases)
    if term.startswith(NATIVE_PREFIX):
        query = parse_native(term[len(NATIVE_PREFIX) :])
        return query is not None and any(query.matches(v) for v in values)
    if term.endswith("~"):
        words = [w for _, w in query_words(term[:-1], stop)]
        return any(fuzzy_matches(v.vocabulary, word) for v in values for word in words)
    if "*" in term or "?" in term:
        return any(wildcard_matches(v.vocabulary, term.lower()) for v in values)
    if len(term) >= 2 and term[0] == term[-1] and term[0] in "'\"":
        phrase = query_words(term[1:-1], stop)
        return any(phrase_matches(v, phrase, PHRASE_SLOP) for v in values)
    parts = term.split(",") if "," in term else term.split()
    if len(parts) > 1:
        return all(any(_match_words(v, part.strip(), stop) for v in values) for part in parts)
    return any(_match_words(v, term, stop) for v in values)


# -- Lucene's classic query syntax (``l:`` terms) --------------------------------------------


class NativeQuery:
    """A parsed ``l:`` query; :meth:`matches` one value of the default field (other fields named
    in the query are not the default field's, so they match nothing here)."""

    def matches(self, tokens: Tokens) -> bool:
        raise NotImplementedError


@dataclass(frozen=True)
class _Word(NativeQuery):
    word: str

    def matches(self, tokens: Tokens) -> bool:
        return self.word in tokens.vocabulary


@dataclass(frozen=True)
class _Pattern(NativeQuery):
    pattern: str

    def matches(self, tokens: Tokens) -> bool:
        return wildcard_matches(tokens.vocabulary, self.pattern)


@dataclass(frozen=True)
class _Fuzzy(NativeQuery):
    word: str
    max_edits: int

    def matches(self, tokens: Tokens) -> bool:
        return fuzzy_matches(tokens.vocabulary, self.word, self.max_edits)


@dataclass(frozen=True)
class _Phrase(NativeQuery):
    words: tuple[tuple[int, str], ...]
    slop: int

    def matches(self, tokens: Tokens) -> bool:
        return phrase_matches(tokens, self.words, self.slop)


@dataclass(frozen=True)
class _Nothing(NativeQuery):
    def matches(self, tokens: Tokens) -> bool:
        return False


MUST, SHOULD, MUST_NOT = "must", "should", "must_not"


@dataclass(frozen=True)
class _Boolean(NativeQuery):
    clauses: tuple[tuple[str, NativeQuery], ...]

    def matches(self, tokens: Tokens) -> bool:
        required = [q for occur, q in self.clauses if occur == MUST]
        optional = [q for occur, q in self.clauses if occur == SHOULD]
        prohibited = [q for occur, q in self.clauses if occur == MUST_NOT]
        if not required and not optional:
            return False  # only prohibitions match nothing, as in Lucene
        if any(q.matches(tokens) for q in prohibited):
            return False
        if not all(q.matches(tokens) for q in required):
            return False
        return bool(required) or any(q.matches(tokens) for q in optional)


class NativeSyntaxError(ValueError):
    pass


_NATIVE_TOKEN = re.compile(
    r'\s*(?:(?P<quote>"(?:[^"\\]|\\.)*"(?:~\d+)?)|(?P<open>\()|(?P<close>\)(?:\^[\d.]+)?)'
    r"|(?P<op>&&|\|\||[+\-!](?=\S))|(?P<word>(?:[^\s()\"\\]|\\.)+))"
)
#: How deeply a native query may nest its parentheses.
_MAX_NATIVE_DEPTH = 50


def _tokenise_native(text: str) -> list[tuple[str, str]]:
    pieces: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _NATIVE_TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise NativeSyntaxError(text[position:])
        kind = match.lastgroup
        assert kind is not None
        pieces.append((kind, match.group(kind)))
        position = match.end()
    return pieces


def _leaf(text: str, field: str | None) -> NativeQuery:
    """One bare term of a native query, on the default field (``field`` is ``None``)."""
    if field is not None:
        return _Nothing()  # another field: not this one's text
    text = re.sub(r"\^[\d.]+$", "", text)  # a boost changes no match
    if text.startswith(("*", "?")):
        raise NativeSyntaxError(text)  # the classic parser refuses a leading wildcard
    fuzzy = re.fullmatch(r"(.+?)~(\d+(?:\.\d+)?)?", text)
    if fuzzy and not text.endswith("\\~"):
        edits = fuzzy.group(2)
        max_edits = min(FUZZY_MAX_EDITS, int(float(edits))) if edits else FUZZY_MAX_EDITS
        return _Fuzzy(fuzzy.group(1).lower(), max_edits)
    if re.search(r"(?<!\\)[*?]", text):
        return _Pattern(text.lower())
    # StandardAnalyzer keeps stop words; a term of several words is a phrase of them.
    words = tuple(enumerate(words_of(text.replace("\\", ""))))
    if not words:
        return _Nothing()
    if len(words) == 1:
        return _Word(words[0][1])
    return _Phrase(words, 0)


@lru_cache(maxsize=256)
def parse_native(text: str) -> NativeQuery | None:
    """Lucene's classic ``QueryParser`` (default operator OR) over the default field, or
    ``None`` for a syntax error."""
    try:
        pieces = _tokenise_native(text)
        query, rest = _parse_clauses(pieces, 0, 0)
        if rest != len(pieces):
            raise NativeSyntaxError(text)
        return query
    except NativeSyntaxError:
        return None


def _parse_clauses(
    pieces: list[tuple[str, str]], start: int, depth: int
) -> tuple[NativeQuery, int]:
    if depth > _MAX_NATIVE_DEPTH:
        raise NativeSyntaxError("too deep")
    clauses: list[list[object]] = []  # [occur, query, explicit]
    position = start
    pending_occur: str | None = None
    conjunction: str | None = None
    while position < len(pieces):
        kind, value = pieces[position]
        if kind == "close":
            break
        position += 1
        if (
            kind == "word"
            and value in ("AND", "OR", "NOT")
            or kind == "op"
            and value
            in (
                "&&",
                "||",
                "!",
            )
        ):
            if value in ("AND", "&&"):
                if not clauses:
                    raise NativeSyntaxError(value)
                conjunction = MUST
            elif value in ("OR", "||"):
                if not clauses:
                    raise NativeSyntaxError(value)
                conjunction = SHOULD
            else:
                pending_occur = MUST_NOT
            continue
        if kind == "op":
            pending_occur = MUST if value == "+" else MUST_NOT
            continue
        field: str | None = None
        if kind == "word" and value.endswith(":") and not value.endswith("\\:"):
            # "field:" followed by a phrase or a group
            field = value[:-1]
            if position >= len(pieces):
                raise NativeSyntaxError(value)
            kind, value = pieces[position]
            position += 1
        elif kind == "word":
            named = re.match(r"^((?:[^:\\]|\\.)+):(.+)$", value)
            if named:
                field, value = named.group(1), named.group(2)
        if kind == "open":
            query, position = _parse_clauses(pieces, position, depth + 1)
            if position >= len(pieces) or pieces[position][0] != "close":
                raise NativeSyntaxError("(")
            position += 1
            if field is not None:
                query = _Nothing()
        elif kind == "quote":
            quoted = re.fullmatch(r'"((?:[^"\\]|\\.)*)"(?:~(\d+))?', value)
            assert quoted is not None
            words = tuple(enumerate(words_of(quoted.group(1).replace("\\", ""))))
            slop = int(quoted.group(2)) if quoted.group(2) else 0
            if field is not None or not words:
                query = _Nothing()
            elif len(words) == 1:
                query = _Word(words[0][1])
            else:
                query = _Phrase(words, slop)
        elif kind == "word":
            query = _leaf(value, field)
        else:
            raise NativeSyntaxError(value)
        occur = pending_occur or SHOULD
        if conjunction == MUST:
            if clauses and clauses[-1][0] == SHOULD and not clauses[-1][2]:
                clauses[-1][0] = MUST
            if pending_occur is None:
                occur = MUST
        clauses.append([occur, query, pending_occur is not None])
        pending_occur = None
        conjunction = None
    if pending_occur is not None or conjunction is not None:
        raise NativeSyntaxError("dangling operator")
    if not clauses:
        raise NativeSyntaxError("empty")
    return _Boolean(tuple((str(c[0]), c[1]) for c in clauses)), position  # type: ignore[misc]
