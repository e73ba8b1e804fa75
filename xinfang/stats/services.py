"""The statistics' operations that leave a trace: every export and every annual report is
one audited operation (``stats.export``, ``stats.report``: who, which table, which filters,
how many rows). No personal data leaves through them: numbers, titles, dates and units only."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from xinfang.accounts import rules
from xinfang.accounts.models import User
from xinfang.audit.services import record
from xinfang.stats.exporters import XLSX_CONTENT_TYPE, Sheet, write_xlsx
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
