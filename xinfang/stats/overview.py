"""What the dashboard and the annual report show, assembled from the queries: the 基本情况
line, the rates with their formulas, 同比/环比, and the chart series (each point with the
link to the rows it counts)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone

from xinfang.stats.enums import Dimension
from xinfang.stats.measures import (
    MEASURES,
    SUMMARY_KEYS,
    SUPERVISION_KEYS,
    Measure,
    Rate,
    rates,
)
from xinfang.stats.periods import Period
from xinfang.stats.queries import (
    Breakdown,
    Figures,
    StatsFilters,
    breakdown,
    computation,
    figures,
    needed_for_rates,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from xinfang.accounts.models import User

    AnyUser = User | AnonymousUser


def drill_url(measure: str, filters: StatsFilters) -> str:
    """The page listing the rows behind ``measure`` under ``filters``."""
    return f"{reverse('stats:drill')}?{urlencode({'measure': measure, **filters.as_params()})}"


def basic_sentence(values: Figures, period: Period) -> str:
    """基本情况 as an office's summary words it, from the numbers."""
    lead = f"{period.label}全年" if period.is_whole_year else period.label
    v = values.values
    text = (
        f"{lead}共受理群众来访集体访{v['collective_batches']}批{v['collective_people']}人次"
        f"（其中重访{v['collective_repeat_batches']}批{v['collective_repeat_people']}人次），"
        f"个体访{v['individual_people']}人次（其中重访{v['individual_repeat_people']}人次、"
        f"涉法涉诉{v['individual_litigation_people']}人次）；来信{v['letters']}件，"
        f"网上信访{v['online']}件，来电{v['phone']}件"
    )
    if v.get("fax"):
        text += f"，传真{v['fax']}件"
    return text + "。"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


def change(now: float | None, before: float | None) -> str:
    """增减 in words: +12.5%, −3.0%, 持平; — when there is nothing to compare with."""
    if now is None or before is None:
        return "—"
    if before == 0:
        return "—" if now == 0 else "新增"
    if now >= 10 * before:  # "+44600.0%" reads worse than what it means
        return f"增长{now / before - 1:.0f}倍"
    delta = 100.0 * (now - before) / before
    if abs(delta) < 0.05:
        return "持平"
    return f"{'+' if delta > 0 else '−'}{abs(delta):.1f}%"


def point_change(now: float | None, before: float | None) -> str:
    """A rate's change in percentage points."""
    if now is None or before is None:
        return "—"
    delta = now - before
    if abs(delta) < 0.05:
        return "持平"
    return f"{'+' if delta > 0 else '−'}{abs(delta):.1f}个百分点"


@dataclass(frozen=True)
class FigureLine:
    measure: Measure
    value: int | None
    year_before: int | None
    previous: int | None
    url: str

    @property
    def year_change(self) -> str:
        return change(self.value, self.year_before)

    @property
    def previous_change(self) -> str:
        return change(self.value, self.previous)


@dataclass(frozen=True)
class RateLine:
    rate: Rate
    value: float | None
    year_before: float | None
    previous: float | None
    numerator: int | None
    denominator: int | None
    numerator_url: str
    denominator_url: str

    @property
    def shown(self) -> str:
        if self.rate.pending:
            return self.rate.pending
        return percent(self.value) if self.denominator else "—（无可计算的事项）"

    @property
    def year_change(self) -> str:
        return point_change(self.value, self.year_before)

    @property
    def previous_change(self) -> str:
        return point_change(self.value, self.previous)


@dataclass(frozen=True)
class Summary:
    filters: StatsFilters
    year_before: Period
    previous: Period
    figures: Figures
    lines: list[FigureLine]
    rate_lines: list[RateLine]
    sentence: str

    @property
    def basic_lines(self) -> list[FigureLine]:
        """The 基本情况 line's figures."""
        return [line for line in self.lines if line.measure.key in SUMMARY_KEYS]

    @property
    def activity_lines(self) -> list[FigureLine]:
        """转送、交办、督办、挂牌督办、领导包案 (第四十一条)."""
        return [line for line in self.lines if line.measure.key in SUPERVISION_KEYS]


def summary(
    user: AnyUser,
    filters: StatsFilters,
    *,
    keys: tuple[str, ...] = SUMMARY_KEYS,
    today: dt.date | None = None,
) -> Summary:
    """The summary figures and rates for the period, the same period a year before (同比)
    and the period just before (环比)."""
    with computation():
        return _summary(user, filters, keys, today or timezone.localdate())


def _summary(
    user: AnyUser, filters: StatsFilters, keys: tuple[str, ...], today: dt.date
) -> Summary:
    wanted = needed_for_rates(keys)
    now = figures(user, filters, keys=wanted, today=today)
    earlier_period, previous_period = filters.period.year_before(), filters.period.previous()
    earlier = figures(user, filters.with_period(earlier_period), keys=wanted, today=today)
    previous = figures(user, filters.with_period(previous_period), keys=wanted, today=today)
    lines = [
        FigureLine(
            MEASURES[key],
            now.get(key),
            earlier.get(key),
            previous.get(key),
            drill_url(key, filters),
        )
        for key in keys
    ]
    rate_lines = [
        RateLine(
            rate,
            now.rate(rate),
            earlier.rate(rate),
            previous.rate(rate),
            now.get(rate.numerator) if not rate.pending else None,
            now.get(rate.denominator) if not rate.pending else None,
            drill_url(rate.numerator, filters) if not rate.pending else "",
            drill_url(rate.denominator, filters) if not rate.pending else "",
        )
        for rate in rates()
    ]
    return Summary(
        filters,
        earlier_period,
        previous_period,
        now,
        lines,
        rate_lines,
        basic_sentence(now, filters.period),
    )


# --- charts --------------------------------------------------------------------------------

TREND_KEYS = (
    "collective_batches",
    "individual_people",
    "letters",
    "online",
    "phone",
    "repeat_contacts",
)
TOP_GROUPS = 12


def row_filters(filters: StatsFilters, group: Any) -> StatsFilters:
    """The filters that select one breakdown row's rows."""
    if group.period is not None:
        return filters.with_period(group.period)
    return filters.narrowed(**group.narrow)


@dataclass(frozen=True)
class ChartSeries:
    key: str
    label: str
    data: list[int]
    links: list[str]


@dataclass(frozen=True)
class ChartCell:
    value: int
    link: str


@dataclass(frozen=True)
class ChartData:
    labels: list[str]
    series: list[ChartSeries]

    def as_json(self) -> dict[str, Any]:
        """What dashboard.js draws: labels, and per series its values and each bar's link."""
        return {
            "labels": self.labels,
            "series": [
                {"key": s.key, "label": s.label, "data": s.data, "links": s.links}
                for s in self.series
            ],
        }

    def rows(self) -> list[tuple[str, list[ChartCell]]]:
        """The same numbers as a table (shown without JavaScript and to screen readers)."""
        return [
            (label, [ChartCell(s.data[i], s.links[i]) for s in self.series])
            for i, label in enumerate(self.labels)
        ]


def chart(
    table: Breakdown, keys: tuple[str, ...], filters: StatsFilters, *, top: int = 0
) -> ChartData:
    rows = table.rows
    if top:
        rows = sorted(rows, key=lambda r: -r.figures.values.get(keys[0], 0))[:top]
    return ChartData(
        labels=[row.group.label for row in rows],
        series=[
            ChartSeries(
                key,
                f"{MEASURES[key].label}（{MEASURES[key].unit}）",
                [row.figures.values.get(key, 0) for row in rows],
                [drill_url(key, row_filters(filters, row.group)) for row in rows],
            )
            for key in keys
        ],
    )


#: The dashboard's and the summary export's figures: the 基本情况 line and the activity.
DASHBOARD_KEYS = SUMMARY_KEYS + SUPERVISION_KEYS


@dataclass(frozen=True)
class Dashboard:
    summary: Summary
    charts: dict[str, ChartData]

    @property
    def chart_json(self) -> dict[str, Any]:
        return {key: chart.as_json() for key, chart in self.charts.items()}


def dashboard(user: AnyUser, filters: StatsFilters, *, today: dt.date | None = None) -> Dashboard:
    with computation():
        return _dashboard(user, filters, today or timezone.localdate())


def _dashboard(user: AnyUser, filters: StatsFilters, today: dt.date) -> Dashboard:
    trend = breakdown(user, filters, Dimension.MONTH, keys=TREND_KEYS, today=today)
    received = ("cases_received",)
    by_category = breakdown(user, filters, Dimension.CATEGORY, keys=received, today=today)
    by_region = breakdown(user, filters, Dimension.REGION, keys=received, today=today)
    unit_keys = ("cases_received", "overdue_now", "severe_now", "supervised")
    by_unit = breakdown(user, filters, Dimension.UNIT, keys=unit_keys, today=today)
    return Dashboard(
        summary=summary(user, filters, keys=DASHBOARD_KEYS, today=today),
        charts={
            "trend": chart(trend, TREND_KEYS, filters),
            "category": chart(by_category, received, filters, top=TOP_GROUPS),
            "region": chart(by_region, received, filters, top=TOP_GROUPS),
            "unit": chart(by_unit, unit_keys, filters, top=TOP_GROUPS),
        },
    )
