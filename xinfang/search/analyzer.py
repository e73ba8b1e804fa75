"""The CJK analyzer: the one definition of what a searchable text and a search term are.

Normalisation works character by character — NFKC (full-width ＡＢＣ１２３ → ABC123, the
ideographic space → a space, ① → 1), then lower case; format characters (zero-width space,
soft hyphen, BOM) disappear and other control characters become spaces. Because it is per
character, every position in the normalised text maps back to one position in the original,
which is what highlighting needs.

Tokens: the normalised text splits into *runs* of word characters (letters of any script,
digits); everything else (spaces, punctuation) separates runs. A run of one
character is one token; a longer run gives its overlapping bigrams and then its last character
alone (物业管理 → 物业 业管 管理 理). ASCII letters and digits are characters of the run like any
other (a3区 → a3 3区 区), so an infix such as 3区 or 019 is found as a substring would be.

Why this gives substring semantics: a query run of two or more characters occurs in a text
exactly when its bigrams occur at consecutive positions (a phrase); a single character occurs
exactly when some token starts with it (a prefix query), because it either starts a bigram or
ends its run. The trailing single character also separates runs, so a bigram phrase never
spans two runs. A query term with punctuation inside matches each of its runs through the index
and is then checked against the stored normalised text (:attr:`QueryTerm.needs_check`).
"""

from __future__ import annotations

import operator
import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

# Bump when normalisation or tokens change: stored documents of an older version are
# re-indexed by ``rebuild_search_index`` (the SQLite index deletes by re-tokenising).
ANALYZER_VERSION = 1

MAX_TERMS = 8
MAX_TERM_CHARS = 50


def normalize_char(ch: str) -> str:
    """One character's normalised form: "" (dropped), " " (a separator) or 1+ characters."""
    return _TABLE[ord(ch)]


def _normalized(ch: str) -> str:
    category = unicodedata.category(ch)
    if category == "Cf":
        return ""
    if category[0] in "CZ":
        return ch if ch in "\n\t" else " "
    return unicodedata.normalize("NFKC", ch).lower()


class _Table(dict[int, str]):
    """Code point → normalised form, for ``str.translate``; filled on first sight."""

    def __missing__(self, code: int) -> str:
        value = self[code] = _normalized(chr(code))
        return value


_TABLE = _Table()


def normalize(text: str) -> str:
    return text.translate(_TABLE)


_SINGLE: set[str] = set()  # characters seen to normalise to exactly one character


def _one_to_one(text: str) -> bool:
    """Whether every character of ``text`` normalises to exactly one character."""
    for ch in set(text).difference(_SINGLE):
        if len(_TABLE[ord(ch)]) != 1:
            return False
        _SINGLE.add(ch)
    return True


def normalize_with_origin(text: str) -> tuple[str, Sequence[int]]:
    """The normalised text and, for each of its characters, the index it came from. Most
    texts map character for character (every distinct character keeps a length of one): then
    the origin of position i is i, found without a step per character."""
    normalized = text.translate(_TABLE)
    if len(normalized) == len(text) and _one_to_one(text):
        return normalized, range(len(text))
    parts: list[str] = []
    origin: list[int] = []
    for index, ch in enumerate(text):
        piece = normalize_char(ch)
        parts.append(piece)
        origin.extend([index] * len(piece))
    return "".join(parts), origin


# A run: letters of any script and digits (Unicode categories L and N); "_" and everything else,
# combining marks included, separate runs.
_RUN = re.compile(r"[^\W_]+")


def runs(normalized: str) -> list[str]:
    """The maximal runs of word characters of an already normalised text."""
    return _RUN.findall(normalized)


def run_tokens(run: str) -> list[str]:
    """A run's bigrams, then its last character alone (a run of one: just itself)."""
    bigrams = list(map(operator.add, run, run[1:]))
    bigrams.append(run[-1])
    return bigrams


def tokens(normalized: str) -> list[str]:
    """The token stream of an already normalised text, in order."""
    stream: list[str] = []
    for run in runs(normalized):
        stream.extend(run_tokens(run))
    return stream


# --- the index's form of a text ------------------------------------------------------------------
# What ``xinfang.search.index`` writes to the database's own index. Here, free of Django, so that a
# process without it (the ledger import's reading child) can analyse texts ahead of the write.

FTS5 = "fts5"  # SQLite: each field's token stream, tokens separated by spaces
TSVECTOR = "tsvector"  # PostgreSQL: one tsvector literal
# tsvector weights per field (title, request, facts, reply): ts_rank's A..D.
PG_WEIGHTS = ("A", "B", "C", "C")
PG_MAX_POSITION = 16383  # PostgreSQL caps positions here
PG_MAX_POSITIONS_PER_LEXEME = 255
PG_MAX_LITERAL = 700_000  # well under the 1 MB tsvector limit


def fts_text(normalized: str) -> str:
    """An already normalised field as FTS5 is given it: its tokens separated by spaces."""
    return " ".join(tokens(normalized))


def tsvector_literal(fields: Sequence[str]) -> str:
    """The tsvector of normalised fields: every token with its positions and field weight.
    Positions only serve ranking (matching never relies on them), so a document too large
    for positions is written as bare lexemes."""
    positions: dict[str, list[str]] = defaultdict(list)
    position = 0
    for weight, field in zip(PG_WEIGHTS, fields, strict=True):
        for token in tokens(field):
            position += 1
            held = positions[token]
            if len(held) < PG_MAX_POSITIONS_PER_LEXEME:
                held.append(f"{min(position, PG_MAX_POSITION)}{weight}")
    literal = " ".join(f"{_quote(lexeme)}:{','.join(at)}" for lexeme, at in positions.items())
    if len(literal) > PG_MAX_LITERAL:
        literal = " ".join(_quote(lexeme) for lexeme in positions)
    return literal


def _quote(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


class AnalysedText(NamedTuple):
    """A case's searchable fields analysed ahead of the index write: the normalised fields
    and what the index is given of them (``form``: FTS5, each field's tokens; TSVECTOR, one
    tsvector literal)."""

    form: str
    fields: tuple[str, ...]
    indexed: tuple[str, ...]  # what the index is given


def analyse(fields: Sequence[str], form: str) -> AnalysedText:
    """The original (unnormalised) fields, in index column order, analysed for ``form``."""
    normalized = tuple(map(normalize, fields))
    if form == FTS5:
        return AnalysedText(form, normalized, tuple(map(fts_text, normalized)))
    if form == TSVECTOR:
        return AnalysedText(form, normalized, (tsvector_literal(normalized),))
    raise ValueError(f"unknown index form {form!r}")


# --- queries ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueryTerm:
    """One whitespace-separated term of a query, normalised. Every term must occur (AND)."""

    text: str
    runs: tuple[str, ...]

    @property
    def needs_check(self) -> bool:
        """The index finds each run; only a term with separators between or around its runs
        needs the stored text to confirm the whole term (an index phrase is exact)."""
        return len(self.runs) != 1 or self.runs[0] != self.text

    @property
    def bigrams_only(self) -> bool:
        """Matched exactly by tokens without positions: one run of one or two characters."""
        return not self.needs_check and len(self.text) <= 2


@dataclass(frozen=True)
class ParsedQuery:
    terms: tuple[QueryTerm, ...]
    ignored: tuple[str, ...] = ()  # terms of punctuation only: no index can find them

    def __bool__(self) -> bool:
        return bool(self.terms)

    @property
    def text(self) -> str:
        return " ".join(term.text for term in self.terms)


def parse_query(raw: str) -> ParsedQuery:
    """Split on whitespace, normalise, drop repeats; at most ``MAX_TERMS`` terms of at most
    ``MAX_TERM_CHARS`` characters (longer input is cut, never an error)."""
    terms: list[QueryTerm] = []
    ignored: list[str] = []
    seen: set[str] = set()
    for word in normalize(raw[: MAX_TERMS * (MAX_TERM_CHARS + 1) * 2]).split():
        word = word[:MAX_TERM_CHARS]
        if word in seen:
            continue
        seen.add(word)
        word_runs = tuple(runs(word))
        if not word_runs:
            ignored.append(word)
            continue
        terms.append(QueryTerm(text=word, runs=word_runs))
        if len(terms) == MAX_TERMS:
            break
    return ParsedQuery(terms=tuple(terms), ignored=tuple(ignored))


def substring_match(query: ParsedQuery, fields: list[str]) -> bool:
    """The reference semantics, in plain Python: every term occurs in some field, after
    normalisation. The index must find exactly the documents this accepts."""
    normalized = [normalize(field) for field in fields]
    return all(any(term.text in field for field in normalized) for term in query.terms)
