"""Which column fills which field: suggested from the header names, or taken from a preset."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence

from xinfang.ledger.enums import SYNONYMS, LedgerField

_NOISE = re.compile(r"[\s\W_]+")


def _fold(header: str) -> str:
    return _NOISE.sub("", unicodedata.normalize("NFKC", header)).lower()


def suggest_columns(headers: Sequence[str]) -> dict[str, int]:
    """field → column index. An exact header match wins over a header that merely contains a
    synonym; each column fills at most one field, fields in ``SYNONYMS`` order."""
    folded = [_fold(header) for header in headers]
    taken: set[int] = set()
    chosen: dict[str, int] = {}
    for exact in (True, False):
        for field, words in SYNONYMS.items():
            if field.value in chosen:
                continue
            for word in words:
                matches = [
                    index
                    for index, header in enumerate(folded)
                    if index not in taken
                    and header
                    and (header == _fold(word) if exact else _fold(word) in header)
                ]
                if matches:
                    chosen[field.value] = matches[0]
                    taken.add(matches[0])
                    break
    return {field.value: chosen[field.value] for field in LedgerField if field.value in chosen}


def columns_from_preset(headers: Sequence[str], preset: Mapping[str, str]) -> dict[str, int]:
    """A preset names headers; this file's columns with those names (missing ones dropped)."""
    index = {_fold(header): position for position, header in enumerate(headers)}
    return {
        field: index[_fold(header)]
        for field, header in preset.items()
        if field in LedgerField.values and _fold(header) in index
    }


def headers_of(headers: Sequence[str], columns: Mapping[str, int]) -> dict[str, str]:
    """The other way round, for saving a preset."""
    return {field: headers[index] for field, index in columns.items() if index < len(headers)}
