"""The annual report (《信访工作条例》第四十一条) as a .docx in GB/T 9704 layout: the
statistics, the fields the petitions concern and the organs they concentrate on, transfer /
assignment / 督办 activity, recommendations — written from the numbers, with tables and
native charts (``charts``). The page, styles and signature come from ``documents.layout``."""

from __future__ import annotations

import datetime as dt
import io
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm

from xinfang.cases.enums import HandlingCategory
from xinfang.documents import layout
from xinfang.documents.services import chinese_date
from xinfang.stats.charts import BarChart, Series, add_chart
from xinfang.stats.enums import Dimension
from xinfang.stats.measures import SUMMARY_KEYS, SUPERVISION_KEYS
from xinfang.stats.overview import Summary, percent, summary
from xinfang.stats.periods import Period
from xinfang.stats.queries import (
    UNIT_KEYS,
    Breakdown,
    StatsFilters,
    breakdown,
    computation,
    figures,
)
from xinfang.stats.rollup import NO_UNIT_LABEL

if TYPE_CHECKING:
    from xinfang.accounts.models import User

DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TABLE_PT = 12  # 小四: tables and captions are set smaller than the 3号 body
CAPTION_PT = 14
TOP = 10
REPORT_KEYS = (*SUMMARY_KEYS, *SUPERVISION_KEYS, "overdue_now")


#: Table 1: the 基本情况 figures of the period, compared with the year before.
COMPARABLE_KEYS = frozenset(SUMMARY_KEYS)


def report_period(year: int, today: dt.date) -> Period:
    """The year, cut at today while it is still running."""
    whole = Period.year(year)
    return Period(whole.start, min(whole.end, today)) if whole.start <= today else whole


@dataclass(frozen=True)
class ReportData:
    unit_name: str
    year: int
    today: dt.date
    summary: Summary
    months: Breakdown
    categories: Breakdown
    regions: Breakdown
    units: Breakdown
    suggestions: int


def report_data(
    user: User, filters: StatsFilters, *, year: int, today: dt.date | None = None
) -> ReportData:
    """Everything the report says, for ``year`` within the user's scope and ``filters``."""
    with computation():
        return _report_data(user, filters, year, today or timezone.localdate())


def _report_data(user: User, filters: StatsFilters, year: int, today: dt.date) -> ReportData:
    filters = filters.with_period(report_period(year, today))
    received = ("cases_received",)
    suggestions = figures(
        user,
        filters.narrowed(handling_category=HandlingCategory.SUGGESTION),
        keys=received,
        today=today,
    )["cases_received"]
    return ReportData(
        unit_name=user.unit.name if user.unit else "",
        year=year,
        today=today,
        summary=summary(user, filters, keys=REPORT_KEYS, today=today),
        months=breakdown(
            user, filters, Dimension.MONTH, keys=("contacts_total", "repeat_contacts"), today=today
        ),
        categories=breakdown(user, filters, Dimension.CATEGORY, keys=received, today=today),
        regions=breakdown(user, filters, Dimension.REGION, keys=received, today=today),
        units=breakdown(user, filters, Dimension.UNIT, keys=UNIT_KEYS, today=today),
        suggestions=suggestions,
    )


# --- writing -------------------------------------------------------------------------------


def _share(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.1f}%" if whole else "—"


def _ranked(table: Breakdown, key: str, top: int = TOP) -> list[tuple[str, int]]:
    rows = [(row.group.label, row.figures.values.get(key, 0)) for row in table.rows]
    return sorted((r for r in rows if r[1]), key=lambda r: -r[1])[:top]


def _paragraph(document: Any, text: str, style: str = layout.BODY) -> Any:
    return layout.add_paragraph(document, style, text)


def _caption(document: Any, text: str) -> None:
    paragraph = layout.add_paragraph(document, layout.BODY, align=WD_ALIGN_PARAGRAPH.CENTER)
    paragraph.paragraph_format.first_line_indent = 0
    layout.add_run(paragraph, text, font=layout.HEITI, points=CAPTION_PT)


def _unsnapped(paragraph: Any) -> None:
    """Single line spacing, off the page's 28.95 pt line grid (else each table line would
    take a whole body line)."""
    paragraph.paragraph_format.line_spacing = 1.0
    paragraph.paragraph_format.first_line_indent = 0
    props = paragraph._p.get_or_add_pPr()
    snap = OxmlElement("w:snapToGrid")
    snap.set(qn("w:val"), "0")
    props.insert_element_before(snap, *layout.AFTER_SNAP)


def _table(
    document: Any, header: Sequence[str], rows: Sequence[Sequence[Any]], widths: Sequence[float]
) -> None:
    """A grid table in 小四: 黑体 header, 仿宋 cells, fixed column widths (mm)."""
    table = document.add_table(rows=1 + len(rows), cols=len(header))
    table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for index, column in enumerate(table.columns):
        column.width = Mm(widths[index])
    for r, values in enumerate([header, *rows]):
        for c, value in enumerate(values):
            cell = table.cell(r, c)
            cell.width = Mm(widths[c])
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            paragraph = cell.paragraphs[0]
            _unsnapped(paragraph)
            paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT if c == 0 else WD_ALIGN_PARAGRAPH.CENTER
            font = layout.HEITI if r == 0 else layout.FANGSONG
            layout.add_run(
                paragraph, "" if value is None else str(value), font=font, points=TABLE_PT
            )
    _unsnapped(document.add_paragraph())


def trend_words(now: int | None, before: int | None) -> str:
    """同比 in a report's words: 上升12.5%, 下降3.0%, 持平, 增长2.3倍; 上年同期无数据."""
    if now is None or before is None:
        return "无可比数据"
    if before == 0:
        return "上年同期无数据" if now else "持平"
    ratio = now / before
    if ratio >= 3:
        return f"增长{ratio - 1:.1f}倍"
    delta = 100.0 * (now - before) / before
    if abs(delta) < 0.05:
        return "持平"
    return f"{'上升' if delta > 0 else '下降'}{abs(delta):.1f}%"


def _named_list(items: list[tuple[str, int]], whole: int) -> str:
    return "、".join(f"{name}（{count}件，占{_share(count, whole)}）" for name, count in items)


def write_report(data: ReportData) -> bytes:
    document = layout.new_document()
    s = data.summary
    v = s.figures.values
    period = s.filters.period
    title = f"{data.unit_name}关于{data.year}年度信访工作情况的报告"
    layout.add_paragraph(document, layout.TITLE, title)
    layout.add_paragraph(document, layout.BODY)
    running = (
        ""
        if period.end.month == 12 and period.end.day == 31
        else (f"（统计截至{period.end.month}月{period.end.day}日）")
    )
    _paragraph(
        document,
        f"根据《信访工作条例》第四十一条规定，现将{data.unit_name}{data.year}年度信访工作情况"
        f"报告如下{running}。",
    )

    # 一、基本情况
    _paragraph(document, "一、基本情况", layout.HEADING)
    _paragraph(document, s.sentence)
    total = next(line for line in s.lines if line.measure.key == "contacts_total")
    received = next(line for line in s.lines if line.measure.key == "cases_received")
    _paragraph(
        document,
        f"信访总量{v['contacts_total']}批（件），"
        f"同比{trend_words(total.value, total.year_before)}，"
        f"其中重复信访{v['repeat_contacts']}批（件）；新收信访事项{v['cases_received']}件，同比"
        f"{trend_words(received.value, received.year_before)}。",
    )
    rate_words = "，".join(
        f"{line.rate.label}{percent(line.value)}"
        if line.value is not None
        else f"{line.rate.label}无可计算的事项"
        for line in s.rate_lines
        if not line.rate.pending
    )
    pending = "；".join(
        f"{line.rate.label}{line.rate.pending}" for line in s.rate_lines if line.rate.pending
    )
    _paragraph(document, f"{rate_words}{'；' + pending if pending else ''}。")
    numbers = itertools.count(1)  # tables in order; some appear only when there is data
    _caption(document, f"表{next(numbers)}　{data.year}年度信访基本情况")
    _table(
        document,
        ["指标", "本期", "上年同期", "同比"],
        [
            [
                f"{line.measure.label}（{line.measure.unit}）",
                line.value,
                line.year_before,
                trend_words(line.value, line.year_before),
            ]
            for line in s.lines
            if line.measure.key in COMPARABLE_KEYS
        ],
        [64, 28, 28, 36],
    )
    add_chart(
        document,
        BarChart(
            f"{data.year}年各月信访量",
            [
                f"{row.group.period.start.month}月" if row.group.period else row.group.label
                for row in data.months.rows
            ],
            [
                Series(
                    "信访总量（批/件）",
                    [r.figures.values.get("contacts_total", 0) for r in data.months.rows],
                ),
                Series(
                    "重复信访（批/件）",
                    [r.figures.values.get("repeat_contacts", 0) for r in data.months.rows],
                ),
            ],
        ),
    )
    _rates_table(document, data, next(numbers))

    # 二、涉及领域
    _paragraph(document, "二、信访事项涉及的领域", layout.HEADING)
    whole = v["cases_received"]
    top_categories = _ranked(data.categories, "cases_received")
    if top_categories:
        _paragraph(
            document,
            f"从内容分类看，反映较为集中的领域依次为{_named_list(top_categories[:5], whole)}。",
        )
        _caption(document, f"表{next(numbers)}　信访事项内容分类情况")
        _table(
            document,
            ["内容分类", "新收事项（件）", "占比"],
            [[name, count, _share(count, whole)] for name, count in top_categories],
            [76, 40, 40],
        )
        add_chart(
            document,
            BarChart(
                "信访事项内容分类（前十位）",
                [name for name, _ in reversed(top_categories)],
                [Series("新收事项（件）", [count for _, count in reversed(top_categories)])],
                horizontal=True,
                height_mm=90,
            ),
        )
    else:
        _paragraph(document, "本年度没有新收信访事项。")
    top_regions = _ranked(data.regions, "cases_received")
    if top_regions:
        _paragraph(
            document, f"从问题属地看，信访事项较多的是{_named_list(top_regions[:5], whole)}。"
        )

    # 三、被投诉较多的机关
    _paragraph(document, "三、信访事项较为集中的机关", layout.HEADING)
    top_units = [
        item for item in _ranked(data.units, "cases_received", TOP + 1) if item[0] != NO_UNIT_LABEL
    ][:TOP]
    if top_units:
        number = next(numbers)
        _paragraph(
            document,
            f"按主办单位统计，承办信访事项较多的机关依次为{_named_list(top_units[:5], whole)}。"
            f"各机关的办理情况见表{number}。",
        )
        _caption(document, f"表{number}　主要机关办理情况")
        by_label = {row.group.label: row.figures for row in data.units.rows}
        rates_of = {rate.rate.key: rate.rate for rate in s.rate_lines}
        _table(
            document,
            ["主办单位", "新收事项", "按期办结率", "满意率", "重复信访率", "当前超期"],
            [
                [
                    name,
                    count,
                    percent(by_label[name].rate(rates_of["on_time_completion"])),
                    percent(by_label[name].rate(rates_of["satisfaction"])),
                    percent(by_label[name].rate(rates_of["repeat_rate"])),
                    by_label[name].values.get("overdue_now", 0),
                ]
                for name, count in top_units
            ],
            [52, 20, 22, 20, 22, 20],
        )

    # 四、转送、交办、督办
    _paragraph(document, "四、转送、交办、督办情况", layout.HEADING)
    lead_rate = next(line for line in s.rate_lines if line.rate.key == "lead_resolution")
    _paragraph(
        document,
        f"本年度转送信访事项{v['transferred']}件，交办{v['assigned']}件；截至"
        f"{data.today.month}月{data.today.day}日，办理超期事项{v['overdue_now']}件。"
        f"对{v['supervised']}件信访事项发出督办单，其中{v['supervision_answered']}件已书面答复"
        f"（{_share(v['supervision_answered'], v['supervised'])}）；挂牌督办{v['listed']}件；"
        f"领导包案{v['lead_taken']}件，已化解{v['lead_resolved']}件，"
        f"领导包案化解率{lead_rate.shown}。",
    )
    _caption(document, f"表{next(numbers)}　转送、交办、督办情况")
    _table(
        document,
        ["事项", "本期（件）", "上年同期（件）", "同比"],
        [
            [
                line.measure.label,
                line.value,
                line.year_before,
                trend_words(line.value, line.year_before),
            ]
            for line in s.lines
            if line.measure.key in SUPERVISION_KEYS
        ],
        [64, 28, 28, 36],
    )
    supervised = [item for item in _ranked(data.units, "supervised") if item[0] != NO_UNIT_LABEL]
    if supervised:
        answered = {row.group.label: row.figures["supervision_answered"] for row in data.units.rows}
        named = "、".join(
            f"{name}（督办{count}件，已答复{answered[name]}件）" for name, count in supervised[:5]
        )
        _paragraph(document, f"按主办单位统计，督办事项较多的是{named}。")

    # 五、建议
    _paragraph(document, "五、提出的建议及采纳情况", layout.HEADING)
    _paragraph(
        document,
        f"本年度收到建议意见类信访事项{data.suggestions}件。向有关机关提出的完善政策、改进工作的"
        "建议及其采纳情况，系统尚未登记（相关功能未上线），请据实补充。",
    )

    layout.add_paragraph(document, layout.BODY)
    layout.add_paragraph(document, layout.SIGN_UNIT, data.unit_name)
    layout.add_paragraph(document, layout.SIGN_DATE, chinese_date(data.today))
    layout.center_signature(document)
    properties = document.core_properties
    properties.title = title
    properties.author = properties.last_modified_by = data.unit_name
    properties.comments = properties.keywords = properties.subject = properties.category = ""
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _rates_table(document: Any, data: ReportData, number: int) -> None:
    _caption(document, f"表{number}　{data.year}年度信访工作比率")
    _table(
        document,
        ["比率", "本期", "上年同期", "计算公式"],
        [
            [
                line.rate.label,
                line.shown,
                "—" if line.rate.pending else percent(line.year_before),
                line.rate.formula,
            ]
            for line in data.summary.rate_lines
        ],
        [26, 34, 24, 72],
    )
