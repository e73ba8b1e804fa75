"""Spreadsheets we hand out: rows first, then the format. Every text cell a spreadsheet would
take as a formula (=, +, -, @ and the control characters at its start) is neutralised with a
leading apostrophe (the ledger import strips it again on re-upload)."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from xinfang.cases.models import Case
from xinfang.cases.queries import CaseFilters
from xinfang.search.analyzer import ParsedQuery
from xinfang.search.queries import search_ids

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from xinfang.accounts.models import User

DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")
MAX_EXPORT_ROWS = 10_000
RESULT_HEADER = (
    "信访件编号", "标题", "状态", "来源渠道", "问题属地", "内容分类", "收到日期",
    "登记单位", "主办单位", "诉求",
)  # fmt: skip


def neutralise(value: object) -> object:
    if isinstance(value, str) and value.startswith(DANGEROUS_START):
        return "'" + value
    return value


def xlsx(title: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """One sheet, bold header, written in streaming mode (memory stays flat)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    bold = []
    for text in header:
        cell = WriteOnlyCell(sheet, value=neutralise(text))
        cell.font = Font(bold=True)
        bold.append(cell)
    sheet.append(bold)
    for row in rows:
        sheet.append([neutralise(value) for value in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def case_row(case: Case) -> list[object]:
    """One case as a row under ``RESULT_HEADER`` (region, category and units loaded)."""
    return [
        case.number,
        case.title,
        case.get_status_display(),
        case.get_channel_display(),
        case.region.name,
        case.content_category.name,
        case.received_on,
        case.registering_unit.name,
        case.handling_unit.name if case.handling_unit else "",
        case.request[:2000],
    ]


def result_rows(
    user: User | AnonymousUser, query: ParsedQuery, filters: CaseFilters
) -> Iterator[list[object]]:
    """The matching visible cases, newest first, at most MAX_EXPORT_ROWS."""
    ids = search_ids(user, query, filters, limit=MAX_EXPORT_ROWS)
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        cases = Case.objects.select_related(
            "region", "content_category", "registering_unit", "handling_unit"
        ).in_bulk(chunk)
        for pk in chunk:
            case = cases.get(pk)
            if case is not None:
                yield case_row(case)


def results_xlsx(user: User | AnonymousUser, query: ParsedQuery, filters: CaseFilters) -> bytes:
    return xlsx("检索结果", RESULT_HEADER, result_rows(user, query, filters))


GROUP_HEADER = ("问题组", *RESULT_HEADER)


def group_xlsx(label: str, cases: Iterable[Case]) -> bytes:
    """A group's visible cases, each row led by the group's label (neutralised like any text:
    a label is words of titles)."""
    return xlsx("同类问题组", GROUP_HEADER, ([label, *case_row(case)] for case in cases))
