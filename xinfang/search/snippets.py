"""Highlighted snippets: the original text around the matches, HTML-escaped, matches in <mark>.

Matching runs on the normalised text (the same rules as the index) and maps back to the
original characters, so ＡＢＣ in a petition is marked when someone searched for abc. Every
piece of the original is escaped before it is joined with our own tags.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from xinfang.search.analyzer import ParsedQuery, normalize_with_origin

MAX_SPANS = 200  # per text: enough to mark a page, bounded for a hostile query
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Snippet:
    label: str
    html: SafeString


def match_spans(text: str, query: ParsedQuery) -> list[tuple[int, int]]:
    """Where the terms occur in ``text``, as merged [start, end) ranges of the original."""
    normalized, origin = normalize_with_origin(text)
    spans: list[tuple[int, int]] = []
    for term in query.terms:
        start = normalized.find(term.text)
        while start != -1 and len(spans) < MAX_SPANS:
            end = start + len(term.text)
            spans.append((origin[start], origin[end - 1] + 1))
            start = normalized.find(term.text, end)
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _plain(piece: str) -> str:
    return escape(_SPACE.sub(" ", piece))


def render(text: str, spans: Sequence[tuple[int, int]], start: int, end: int) -> SafeString:
    """``text[start:end]`` escaped, with the spans inside it marked, and … where it is cut."""
    parts = ["…" if start > 0 else ""]
    cursor = start
    for span_start, span_end in spans:
        if span_end <= start or span_start >= end:
            continue
        span_start, span_end = max(span_start, start), min(span_end, end)
        parts.append(_plain(text[cursor:span_start]))
        parts.append(f"<mark>{_plain(text[span_start:span_end])}</mark>")
        cursor = span_end
    parts.append(_plain(text[cursor:end]))
    parts.append("…" if end < len(text) else "")
    return mark_safe("".join(parts))  # noqa: S308  (every piece of the text went through escape)


def highlight(text: str, query: ParsedQuery) -> SafeString:
    """The whole text, matches marked (titles)."""
    return render(text, match_spans(text, query), 0, len(text))


def excerpt(text: str, query: ParsedQuery, *, width: int = 160) -> SafeString | None:
    """About ``width`` characters around the first match, or None when nothing matches."""
    spans = match_spans(text, query)
    if not spans:
        return None
    first = spans[0][0]
    start = max(0, min(first - width // 4, len(text) - width))
    return render(text, spans, start, min(len(text), start + width))


def lead(text: str, *, width: int = 160) -> SafeString:
    """The beginning of a text, escaped, for a hit whose only match is in its title."""
    return render(text, [], 0, min(len(text), width))
