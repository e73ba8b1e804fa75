"""Tables as spreadsheets. Rows are built once (``*_sheet``), the format renders them
(``write_xlsx``, streamed by ``xlsx``: one row in memory at a time, ~1 s per 100k rows), and
every text cell that a spreadsheet would read as a formula (= + - @, tab, CR at its start)
is neutralised."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

from django.utils import timezone

from xinfang.cases.enums import CaseStatus, Channel, DeadlineTier
from xinfang.stats import xlsx
from xinfang.stats.enums import Base
from xinfang.stats.measures import MEASURES, Measure, rates
from xinfang.stats.overview import Summary, percent
from xinfang.stats.queries import Breakdown, StatsFilters, measure_rows

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from xinfang.accounts.models import User

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A text a spreadsheet would run as a formula gets a leading apostrophe (OWASP)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


@dataclass
class Sheet:
    title: str
    heading: list[str]  # lines above the table: what, which period, which filters
    columns: list[str]
    rows: Iterable[Sequence[Any]]
    widths: list[int] = field(default_factory=list)


def _lines(sheet: Sheet, counter: list[int]) -> Iterator[Sequence[Any]]:
    """The sheet as written: the heading (its first line bold), a blank line, the bold
    column names, then the rows (counted in ``counter``)."""
    for index, line in enumerate(sheet.heading):
        yield [xlsx.Cell(neutralise(line), xlsx.BOLD if index == 0 else xlsx.PLAIN)]
    yield []
    yield [xlsx.Cell(neutralise(name), xlsx.HEADER) for name in sheet.columns]
    for row in sheet.rows:
        counter[0] += 1
        yield [neutralise(value) for value in row]


def write_xlsx(sheets: Sequence[Sheet], handle: IO[bytes]) -> int:
    """Write ``sheets`` to ``handle``; returns the number of data rows written."""
    counter = [0]
    xlsx.write_tables(
        [
            xlsx.Table(
                sheet.title[:31],
                _lines(sheet, counter),
                sheet.widths or [14] * len(sheet.columns),
            )
            for sheet in sheets
        ],
        handle,
    )
    return counter[0]


def heading(title: str, filters: StatsFilters) -> list[str]:
    lines = [title, f"统计期：{filters.period.start:%Y-%m-%d} 至 {filters.period.end:%Y-%m-%d}"]
    described = filters.describe()
    if described:
        lines.append("；".join(described))
    return lines


def _value(measure: Measure, value: int | None) -> Any:
    return measure.pending if measure.is_pending else value


def summary_sheets(data: Summary) -> list[Sheet]:
    figures = Sheet(
        "基本情况",
        [*heading("信访统计基本情况", data.filters), data.sentence],
        ["指标", "单位", "本期", "上年同期", "同比", "上期", "环比", "口径"],
        (
            [
                line.measure.label,
                line.measure.unit,
                _value(line.measure, line.value),
                line.year_before,
                line.year_change,
                line.previous,
                line.previous_change,
                line.measure.formula,
            ]
            for line in data.lines
        ),
        [18, 9, 10, 10, 10, 10, 10, 60],
    )
    rate_sheet = Sheet(
        "比率",
        heading("信访工作比率", data.filters),
        ["比率", "本期", "分子", "分母", "上年同期", "同比", "上期", "环比", "计算公式"],
        (
            [
                line.rate.label,
                line.shown,
                line.numerator,
                line.denominator,
                percent(line.year_before),
                line.year_change,
                percent(line.previous),
                line.previous_change,
                line.rate.formula,
            ]
            for line in data.rate_lines
        ),
        [16, 14, 10, 10, 12, 14, 12, 14, 50],
    )
    return [figures, rate_sheet]


def breakdown_sheet(table: Breakdown, filters: StatsFilters, title: str) -> Sheet:
    measures = [MEASURES[key] for key in table.keys]
    rate_list = [rate for rate in rates() if not rate.pending]
    shown_rates = [r for r in rate_list if {r.numerator, r.denominator} <= set(table.total.values)]

    def lines() -> Iterator[list[Any]]:
        for label, figures in [
            *((r.group.label, r.figures) for r in table.rows),
            ("合计", table.total),
        ]:
            yield [
                label,
                *(_value(m, figures.values.get(m.key)) for m in measures),
                *(percent(figures.rate(rate)) for rate in shown_rates),
            ]

    return Sheet(
        title,
        heading(title, filters),
        [
            str(table.dimension.label),
            *(f"{m.label}（{m.unit}）" for m in measures),
            *(rate.label for rate in shown_rates),
        ],
        lines(),
        [24, *([11] * (len(measures) + len(shown_rates)))],
    )


CHANNELS = {value: str(label) for value, label in Channel.choices}
STATUSES = {value: str(label) for value, label in CaseStatus.choices}
TIERS = {value: str(label) for value, label in DeadlineTier.choices}


def _yes(flag: bool) -> str:
    return "是" if flag else ""


def drill_sheet(
    user: User | AnonymousUser, filters: StatsFilters, measure: Measure, *, today: dt.date
) -> Sheet:
    """Every row behind ``measure`` (no personal data: numbers, titles, dates, units)."""
    rows = measure_rows(user, filters, measure, today=today)
    title = f"{measure.label}明细"
    if measure.base == Base.CONTACT:
        values = rows.order_by("-occurred_at", "-id").values_list(
            "occurred_at",
            "channel",
            "people_count",
            "is_collective",
            "is_repeat",
            "involves_litigation",
            "reception_unit__name",
            "case__number",
            "case__title",
        )

        def contact_lines() -> Iterator[list[Any]]:
            for (
                at,
                channel,
                people,
                collective,
                repeat,
                litigation,
                unit,
                number,
                name,
            ) in values.iterator(chunk_size=2000):
                yield [
                    timezone.localtime(at).strftime("%Y-%m-%d %H:%M"),
                    CHANNELS.get(channel, channel),
                    people,
                    _yes(collective),
                    _yes(repeat),
                    _yes(litigation),
                    unit,
                    number,
                    name,
                ]

        return Sheet(
            title[:31],
            [*heading(title, filters), f"口径：{measure.formula}"],
            [
                "时间",
                "渠道",
                "人数",
                "集体访",
                "重访",
                "涉法涉诉",
                "接待/收件单位",
                "信访件编号",
                "事项标题",
            ],
            contact_lines(),
            [17, 8, 6, 7, 6, 8, 22, 18, 40],
        )
    case_values = rows.order_by("-registered_at", "-id").values_list(
        "number",
        "title",
        "channel",
        "people_count",
        "region__name",
        "content_category__name",
        "received_on",
        "status",
        "due_on",
        "tier",
        "handling_unit__name",
        "contact_count",
    )

    def case_lines() -> Iterator[list[Any]]:
        for (
            number,
            name,
            channel,
            people,
            region,
            category,
            received,
            status,
            due,
            tier,
            unit,
            contacts,
        ) in case_values.iterator(chunk_size=2000):
            yield [
                number,
                name,
                CHANNELS.get(channel, channel),
                people,
                region,
                category,
                received.isoformat(),
                STATUSES.get(status, status),
                due.isoformat() if due else "",
                TIERS.get(tier, tier) if due else "",
                unit or "",
                contacts,
            ]

    return Sheet(
        title[:31],
        [*heading(title, filters), f"口径：{measure.formula}"],
        [
            "信访件编号",
            "标题",
            "渠道",
            "人数",
            "问题属地",
            "内容分类",
            "收到日期",
            "状态",
            "期限",
            "预警",
            "主办单位",
            "来访/来信次数",
        ],
        case_lines(),
        [18, 40, 8, 6, 14, 14, 11, 11, 11, 8, 22, 8],
    )
