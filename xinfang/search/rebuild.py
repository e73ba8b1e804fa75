"""Rebuilding the index in batches: after bulk loads (which send no signals), an analyzer
upgrade, or a restore from an old backup. Each batch commits on its own; an interrupted run
resumes where it stopped when started again."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

from xinfang.cases.models import Case
from xinfang.search import index
from xinfang.search.analyzer import ANALYZER_VERSION
from xinfang.search.models import SearchDocument

DEFAULT_BATCH = 1000


@dataclass(frozen=True)
class Progress:
    done: int  # cases looked at so far
    total: int
    written: int  # documents written so far


class StaleIndexError(Exception):
    """Documents of an older analyzer are present; only a full rebuild can replace them."""


def stale_documents() -> bool:
    return SearchDocument.objects.exclude(analyzer_version=ANALYZER_VERSION).exists()


def rebuild(
    *,
    full: bool = False,
    every_case: bool = False,
    batch: int = DEFAULT_BATCH,
    progress: Callable[[Progress], None] = lambda _: None,
) -> Progress:
    """Index the cases that have no document (default); with ``every_case`` re-read every case
    and rewrite what changed; with ``full`` empty the index first."""
    if full:
        with transaction.atomic():
            index.clear_index()
    elif stale_documents():
        raise StaleIndexError("检索索引由旧版分词规则生成，请使用 --full 完整重建。")
    cases = Case.objects.all() if every_case else Case.objects.filter(search_document__isnull=True)
    total = cases.count()
    done = written = 0
    last = 0
    while True:
        ids = list(cases.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:batch])
        if not ids:
            break
        with transaction.atomic():
            written += index.index_cases(ids)
        done += len(ids)
        last = ids[-1]
        progress(Progress(done=done, total=total, written=written))
    if written:
        index.tidy_index()
    return Progress(done=done, total=total, written=written)
