"""Writing the search index: one SearchDocument per case plus the database's own index.

SQLite: the contentless FTS5 table ``search_fts`` holds each field's token stream; replacing a
case's row means telling FTS5 which tokens to forget ('delete' with the old values), which we
recompute from the stored normalised ``body``. PostgreSQL: the ``tsv`` column of the document
row, written as a tsvector literal (lexeme:position+weight), so no text-search parser or locale
stands between our analyzer and the index.

Writes run inside the caller's transaction (signals from the case services): the index commits
or rolls back with the change that caused it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.utils import timezone

from xinfang.search.analyzer import (
    ANALYZER_VERSION,
    FTS5,
    TSVECTOR,
    AnalysedText,
    fts_text,
    normalize,
    tsvector_literal,
)
from xinfang.search.documents import CaseText, case_texts
from xinfang.search.models import SearchDocument

SEP = SearchDocument.FIELD_SEPARATOR
FTS_TABLE = "search_fts"
DOC_TABLE = SearchDocument._meta.db_table


@dataclass(frozen=True)
class Prepared:
    case_id: int
    body: str  # normalised fields joined by SEP
    index: tuple[str, ...] | None = None  # the fields' index form, when already analysed

    @property
    def fields(self) -> list[str]:
        return self.body.split(SEP)


def prepare(text: CaseText) -> Prepared:
    return Prepared(text.case_id, SEP.join(normalize(field) for field in text.fields()))


def index_form() -> str:
    """The form this database's index takes a text in (``analyzer.analyse``)."""
    return TSVECTOR if connection.vendor == "postgresql" else FTS5


def prepare_analysed(case_id: int, text: AnalysedText) -> Prepared:
    """A text analysed elsewhere (``analyzer.analyse``); its index form is used when it is
    this database's, else computed again when written."""
    index = text.indexed if text.form == index_form() else None
    return Prepared(case_id, SEP.join(text.fields), index)


def _fts_values(fields: Sequence[str]) -> list[str]:
    return [fts_text(field) for field in fields]


# --- the two back ends ------------------------------------------------------------------------


def _stored(case_ids: Sequence[int]) -> dict[int, tuple[str, int]]:
    rows = SearchDocument.objects.filter(case_id__in=case_ids).values_list(
        "case_id", "body", "analyzer_version"
    )
    return {case_id: (body, version) for case_id, body, version in rows}


def _write_sqlite(docs: Sequence[Prepared], old: dict[int, str]) -> None:
    now = timezone.now()
    with connection.cursor() as cursor:
        forget: list[tuple[Any, ...]] = [
            (doc.case_id, *_fts_values(old[doc.case_id].split(SEP)))
            for doc in docs
            if doc.case_id in old
        ]
        if forget:
            cursor.executemany(
                f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, title, request, facts, reply) "  # noqa: S608
                "VALUES ('delete', %s, %s, %s, %s, %s)",
                forget,
            )
        cursor.executemany(
            f"INSERT INTO {FTS_TABLE}(rowid, title, request, facts, reply) "  # noqa: S608
            "VALUES (%s, %s, %s, %s, %s)",
            [(doc.case_id, *(doc.index or _fts_values(doc.fields))) for doc in docs],
        )
        cursor.executemany(
            f"INSERT INTO {DOC_TABLE} (case_id, body, analyzer_version, indexed_at) "  # noqa: S608
            "VALUES (%s, %s, %s, %s) ON CONFLICT (case_id) DO UPDATE SET "
            "body = excluded.body, analyzer_version = excluded.analyzer_version, "
            "indexed_at = excluded.indexed_at",
            [(doc.case_id, doc.body, ANALYZER_VERSION, now) for doc in docs],
        )


def _write_postgresql(docs: Sequence[Prepared], old: dict[int, str]) -> None:
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {DOC_TABLE} (case_id, body, analyzer_version, indexed_at, tsv) "  # noqa: S608
            "VALUES (%s, %s, %s, %s, %s::tsvector) ON CONFLICT (case_id) DO UPDATE SET "
            "body = excluded.body, analyzer_version = excluded.analyzer_version, "
            "indexed_at = excluded.indexed_at, tsv = excluded.tsv",
            [
                (
                    doc.case_id,
                    doc.body,
                    ANALYZER_VERSION,
                    now,
                    doc.index[0] if doc.index else tsvector_literal(doc.fields),
                )
                for doc in docs
            ],
        )


def _forget_sqlite(case_id: int, body: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, title, request, facts, reply) "  # noqa: S608
            "VALUES ('delete', %s, %s, %s, %s, %s)",
            [case_id, *_fts_values(body.split(SEP))],
        )


# --- operations -------------------------------------------------------------------------------


def index_texts(texts: Iterable[CaseText], *, new: bool = False) -> int:
    """Bring the index in line with these texts; unchanged documents are left alone.
    ``new``: the cases were just created, so there is nothing stored to compare or forget.
    Returns how many documents were written."""
    return _index(map(prepare, texts), new=new)


def index_analysed(texts: Iterable[tuple[int, AnalysedText]], *, new: bool = False) -> int:
    """:func:`index_texts` for texts already analysed (``analyzer.analyse``, e.g. by another
    process), given with their case ids: the same documents and index entries."""
    return _index((prepare_analysed(case_id, text) for case_id, text in texts), new=new)


def _index(docs: Iterable[Prepared], *, new: bool) -> int:
    prepared = {doc.case_id: doc for doc in docs}
    if not prepared:
        return 0
    stored = {} if new else _stored(list(prepared))
    changed = [
        doc for doc in prepared.values() if stored.get(doc.case_id) != (doc.body, ANALYZER_VERSION)
    ]
    if not changed:
        return 0
    old = {case_id: body for case_id, (body, _) in stored.items()}
    writer: Callable[[Sequence[Prepared], dict[int, str]], None] = (
        _write_postgresql if connection.vendor == "postgresql" else _write_sqlite
    )
    writer(changed, old)
    return len(changed)


def index_cases(case_ids: Sequence[int]) -> int:
    """Re-read these cases' texts and index them (a case deleted meanwhile is skipped)."""
    return index_texts(case_texts(case_ids))


def forget_document(case_id: int, body: str) -> None:
    """The document row is being deleted (its case is): drop its tokens from FTS5. PostgreSQL
    keeps the index in the row itself, so nothing is left to do there."""
    if connection.vendor == "sqlite":
        _forget_sqlite(case_id, body)


def clear_index() -> None:
    """Empty the whole index (a full rebuild, or after the analyzer changed)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('delete-all')")  # noqa: S608
        cursor.execute(f"DELETE FROM {DOC_TABLE}")  # noqa: S608


def tidy_index() -> None:
    """After a large rebuild: SQLite merges FTS5's segments into one b-tree (faster reads);
    PostgreSQL refreshes the planner's statistics of the tsvector column."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('optimize')")  # noqa: S608
        else:
            cursor.execute(f"ANALYZE {DOC_TABLE}")
