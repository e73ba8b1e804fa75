"""The statistics' writes. Every export and every annual report is one audited operation
(``stats.export``, ``stats.report``: who, which table, which filters, how many rows); no
personal data leaves through them: numbers, titles, dates and units only.

The precomputed daily counts (``models``) are kept in step here: ``fold_changes`` recomputes
the cases the triggers noted (a statistics page folds a short queue itself before reading; the
queue task folds the rest), ``rebuild_rollup`` recomputes everything (audited ``stats.rebuild``).
Folding is cache upkeep, like the search index's, and writes no audit event."""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO

import chinese_calendar
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from xinfang.accounts import rules
from xinfang.accounts.models import User
from xinfang.audit.services import record
from xinfang.stats import facts
from xinfang.stats.exporters import XLSX_CONTENT_TYPE, Sheet, write_xlsx
from xinfang.stats.models import (
    CaseFact,
    ContactFact,
    DayCount,
    DirtyCase,
    RepeatFact,
    RollupState,
)
from xinfang.stats.queries import StatsFilters
from xinfang.stats.report import DOCX_CONTENT_TYPE, report_data, write_report


@dataclass
class Export:
    filename: str
    content_type: str
    file: IO[bytes]  # a temporary file at its start; closing it deletes it
    rows: int


def _check(actor: User) -> None:
    if not rules.can_view_statistics(actor):
        raise PermissionDenied("您的角色无权导出统计数据。")


def export_tables(
    *, actor: User, table: str, title: str, sheets: Sequence[Sheet], filters: StatsFilters
) -> Export:
    """Write ``sheets`` as one .xlsx to a temporary file (memory stays flat however many
    rows), then audit ``stats.export`` with the row count."""
    _check(actor)
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the response, which closes it
    rows = write_xlsx(sheets, handle)
    handle.seek(0)
    record(
        "stats.export",
        actor=actor,
        object_type="stats.table",
        object_id=table,
        detail={"format": "xlsx", "filters": filters.as_params(), "rows": rows},
    )
    period = filters.period
    return Export(
        f"{title}_{period.start:%Y%m%d}-{period.end:%Y%m%d}.xlsx", XLSX_CONTENT_TYPE, handle, rows
    )


def annual_report(
    *, actor: User, filters: StatsFilters, year: int, today: dt.date | None = None
) -> Export:
    """第四十一条 annual report of ``year`` for the actor's scope, as .docx; audited
    ``stats.report``."""
    _check(actor)
    today = today or timezone.localdate()
    content = write_report(report_data(actor, filters, year=year, today=today))
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the response, which closes it
    handle.write(content)
    handle.seek(0)
    record(
        "stats.report",
        actor=actor,
        object_type="stats.report",
        object_id=str(year),
        detail={"format": "docx", "filters": filters.as_params(), "bytes": len(content)},
    )
    unit = actor.unit.name if actor.unit else ""
    return Export(f"{unit}{year}年度信访工作情况报告.docx", DOCX_CONTENT_TYPE, handle, 0)


# --- the precomputed daily counts ------------------------------------------------------------

#: Bump when ``facts`` derives anything differently: the counts are then rebuilt.
FACTS_VERSION = 1
#: Noted changes a statistics page folds itself before reading; beyond that it reads the cases
#: directly (exact, slower) and leaves the queue to the task.
PAGE_FOLD_LIMIT = 500
#: Noted changes the task folds per transaction.
TASK_FOLD_BATCH = 20_000
#: Beyond this many noted changes (a bulk load) the task rebuilds instead of folding.
REBUILD_ABOVE = 200_000


def signature() -> str:
    """What the facts' due dates and days depend on besides the tables the triggers watch."""
    return (
        f"facts {FACTS_VERSION}; chinesecalendar {chinese_calendar.__version__}; "
        f"{settings.TIME_ZONE}"
    )


def _locked_state() -> RollupState:
    """The state row, locked until the transaction ends (folds and rebuilds take turns). A
    missing row on a database without counts is a fresh start; with counts, they are stale."""
    state = RollupState.objects.select_for_update().filter(pk=1).first()
    if state is None:
        fresh = not CaseFact.objects.exists() and not DayCount.objects.exists()
        RollupState.objects.get_or_create(
            pk=1, defaults={"signature": signature() if fresh else "", "stale": not fresh}
        )
        state = RollupState.objects.select_for_update().get(pk=1)
    return state


def _usable(state: RollupState) -> bool:
    """Whether the facts were derived under today's calendar, rules and code. Stale but empty
    counts are simply started afresh."""
    if not state.stale and state.signature == signature():
        return True
    if CaseFact.objects.exists() or DayCount.objects.exists():
        return False
    state.stale, state.signature = False, signature()
    state.save(update_fields=["stale", "signature"])
    return True


def _fold(rows: list[tuple[int, int]]) -> None:
    """Recompute the facts and counts of the cases of these noted (row id, case id) pairs."""
    case_ids = sorted({case_id for _, case_id in rows})
    facts.add_counts(case_ids, sign=-1)
    facts.forget(case_ids)
    for batch in facts.derive(case_ids):
        facts.write(batch)
    facts.add_counts(case_ids, sign=1)
    DirtyCase.objects.filter(id__in=[row_id for row_id, _ in rows]).delete()


#: Notes per changed case a page reads at most (a registration notes the case and its contact).
_NOTES_PER_CASE = 10


def fold_changes(*, limit: int | None = PAGE_FOLD_LIMIT) -> bool:
    """Bring the daily counts up to date with the changes the triggers noted. True when they
    then answer exactly; False when they are stale (the holiday table or the rule sets changed:
    ``rebuild_rollup``) or more than ``limit`` cases changed (``None``: no limit)."""
    if not settings.XF_STATS_ROLLUP:
        return False
    state = RollupState.objects.filter(pk=1).first()
    if (
        state is not None
        and not state.stale
        and state.signature == signature()
        and not DirtyCase.objects.exists()
    ):
        return True  # nothing to do: no write lock taken (SQLite's transactions are IMMEDIATE)
    with transaction.atomic():
        state = _locked_state()
        if not _usable(state):
            return False
        noted = DirtyCase.objects.order_by("id").values_list("id", "case_id")
        cap = None if limit is None else limit * _NOTES_PER_CASE
        rows = list(noted if cap is None else noted[: cap + 1])
        if cap is not None and (
            len(rows) > cap or len({case_id for _, case_id in rows}) > (limit or 0)
        ):
            return False
        if rows:
            _fold(rows)
    return True


def catch_up(*, batch: int = TASK_FOLD_BATCH) -> int:
    """The task's round: rebuild stale counts, else fold the whole queue, a batch per
    transaction (writers wait at most one batch); returns the changes folded."""
    if not settings.XF_STATS_ROLLUP:
        return 0
    if DirtyCase.objects.count() > REBUILD_ABOVE:
        rebuild_rollup(actor=None)
        return 0
    folded = 0
    while True:
        with transaction.atomic():
            state = _locked_state()
            if not _usable(state):
                stale = True
            else:
                stale = False
                rows = list(DirtyCase.objects.order_by("id").values_list("id", "case_id")[:batch])
                if rows:
                    _fold(rows)
                    folded += len(rows)
        if stale:
            rebuild_rollup(actor=None)
            return folded
        if len(rows) < batch:
            return folded


@dataclass(frozen=True)
class Rebuilt:
    cases: int
    contacts: int
    day_rows: int
    seconds: float


def rebuild_rollup(*, actor: User | None) -> Rebuilt:
    """Recompute every fact and daily count from the cases, in one transaction, and mark
    them current; audited ``stats.rebuild`` (actor None: the task or a command).

    On PostgreSQL the transaction reads one snapshot (REPEATABLE READ), so a change committed
    meanwhile stays noted and is folded next; on SQLite writers wait for the rebuild."""
    started = time.perf_counter()
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        state = _locked_state()
        last_noted = DirtyCase.objects.aggregate(last=Max("id"))["last"]
        for model in (DayCount, CaseFact, ContactFact, RepeatFact):
            model.objects.all().delete()
        cases = contacts = 0
        for batch in facts.derive(None):
            facts.write(batch)
            cases += len(batch.cases)
            contacts += len(batch.contacts)
        facts.count_everything()
        if last_noted is not None:
            DirtyCase.objects.filter(id__lte=last_noted).delete()
        state.stale, state.signature, state.built_at = False, signature(), timezone.now()
        state.save(update_fields=["stale", "signature", "built_at"])
        result = Rebuilt(
            cases=cases,
            contacts=contacts,
            day_rows=DayCount.objects.count(),
            seconds=round(time.perf_counter() - started, 1),
        )
        record(
            "stats.rebuild",
            actor=actor,
            object_type="stats.rollup",
            object_id="daycount",
            detail={
                "cases": result.cases,
                "contacts": result.contacts,
                "day_rows": result.day_rows,
                "seconds": result.seconds,
            },
        )
    return result


def tidy_rollup() -> int:
    """Drop the daily rows whose counts all came back to 0 (cases moved away from that day)."""
    with transaction.atomic():
        _locked_state()
        return facts.drop_empty_counts()
