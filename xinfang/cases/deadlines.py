"""The deadline engine: statutory time limits, the working-day calendar and due dates.

Pure computation apart from two reads (the rule set table, the calendar override table); no
requests, no writes. Services call it and store the results as indexed columns (STYLE.md:
templates never compute deadlines).

Date arithmetic (DESIGN.md §3): day 0 is the trigger and counting starts the next day;
"N日" is calendar days, rolled forward to the next workday when the last day is a rest day;
"N个工作日" counts workdays only (调休 make-up weekend days count); pauses such as a 复核
hearing extend the due date by their length.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import chinese_calendar
from django.db import models
from django.utils.translation import gettext_lazy as _

from xinfang.cases.enums import DeadlineTier
from xinfang.cases.models import CalendarOverride, RuleSet

# A run of rest days longer than this means the override table is wrong, not that the
# deadline is half a year away.
_MAX_REST_RUN = 60


class LimitUnit(models.TextChoices):
    CALENDAR = "calendar", _("日")
    WORKDAYS = "workdays", _("个工作日")


class Step(models.TextChoices):
    """Procedure steps that carry a statutory time limit (《信访工作条例》2022)."""

    REGISTER_FORWARD = "register_forward", _("登记并转送、交办（第二十二条）")
    ACCEPTANCE_NOTICE = "acceptance_notice", _("告知受理或不予受理（第二十三条）")
    OBJECTION = "objection", _("对转送、交办提出异议（第二十三条第三款）")
    HANDLING = "handling", _("办理期限（第三十四条）")
    EXTENSION_MAX = "extension_max", _("延长期限上限（第三十四条）")
    REVIEW_REQUEST = "review_request", _("申请复查（第三十五条）")
    REVIEW_OPINION = "review_opinion", _("出具复查意见（第三十五条）")
    RECHECK_REQUEST = "recheck_request", _("申请复核（第三十六条）")
    RECHECK_OPINION = "recheck_opinion", _("出具复核意见（第三十六条）")
    SUPERVISION_ANSWER = "supervision_answer", _("书面答复督办（第四十条）")


@dataclass(frozen=True)
class Limit:
    days: int
    unit: LimitUnit = LimitUnit.CALENDAR

    def __post_init__(self) -> None:
        if self.days < 1:
            raise ValueError(f"时限天数必须为正整数：{self.days}")

    @property
    def label(self) -> str:
        """The limit as the explanation and the documents word it: 15日, 5个工作日."""
        return f"{self.days}个工作日" if self.unit == LimitUnit.WORKDAYS else f"{self.days}日"

    def as_json(self) -> dict[str, int | str]:
        return {"days": self.days, "unit": str(self.unit)}


def _days(n: int) -> Limit:
    return Limit(n, LimitUnit.CALENDAR)


NATIONAL_2022: Mapping[str, Limit] = MappingProxyType(
    {
        Step.REGISTER_FORWARD: _days(15),
        Step.ACCEPTANCE_NOTICE: _days(15),
        Step.OBJECTION: Limit(5, LimitUnit.WORKDAYS),
        Step.HANDLING: _days(60),
        Step.EXTENSION_MAX: _days(30),
        Step.REVIEW_REQUEST: _days(30),
        Step.REVIEW_OPINION: _days(30),
        Step.RECHECK_REQUEST: _days(30),
        Step.RECHECK_OPINION: _days(30),
        Step.SUPERVISION_ANSWER: _days(30),
    }
)
"""《信访工作条例》(2022-05-01) national defaults (DESIGN.md §3)."""

ZHEJIANG_EXAMPLE: Mapping[str, Limit] = MappingProxyType(
    {**NATIONAL_2022, Step.HANDLING: _days(30), Step.EXTENSION_MAX: _days(60)}
)
"""An example provincial rule set: 浙江 handles in 30 days, extendable by up to 60."""

NATIONAL = "national"
NATIONAL_2022_EFFECTIVE = dt.date(2022, 5, 1)


@dataclass(frozen=True)
class RuleSetData:
    """A rule set as the engine uses it. ``id`` is None for the built-in national defaults.

    Callers pin a case to the rule set in force when it was registered by storing ``key``
    (and ``id`` when there is one) on the case, then use that rule set for every later step,
    so a new provincial rule never moves the deadlines of cases already under way."""

    jurisdiction: str
    name: str
    effective_from: dt.date
    limits: Mapping[str, Limit]
    roll_forward: bool = True
    id: int | None = None

    @property
    def key(self) -> str:
        """Stable text key: ``"浙江@2023-01-01"``."""
        return f"{self.jurisdiction}@{self.effective_from.isoformat()}"

    def limit(self, step: str) -> Limit:
        return self.limits[step]


NATIONAL_2022_RULES = RuleSetData(
    jurisdiction=NATIONAL,
    name="《信访工作条例》（2022）",
    effective_from=NATIONAL_2022_EFFECTIVE,
    limits=NATIONAL_2022,
)


def parse_limits(raw: object) -> dict[str, Limit]:
    """``RuleSet.limits`` JSON → limits; steps it leaves out take the national defaults.
    Raises ValueError on an unknown step, a non-positive day count or an unknown unit."""
    if not isinstance(raw, dict):
        raise ValueError("时限配置必须是对象")
    limits = dict(NATIONAL_2022)
    for step, spec in raw.items():
        if step not in Step.values:
            raise ValueError(f"未知的办理环节：{step}")
        if not isinstance(spec, dict) or not isinstance(spec.get("days"), int):
            raise ValueError(f"{step} 的时限必须形如 {{'days': 15, 'unit': 'calendar'}}")
        unit = spec.get("unit", LimitUnit.CALENDAR)
        if unit not in LimitUnit.values:
            raise ValueError(f"{step} 的计算单位无效：{unit}")
        limits[step] = Limit(spec["days"], LimitUnit(unit))
    return limits


def rule_set_for(jurisdiction: str, on: dt.date) -> RuleSetData:
    """The rule set in force for ``jurisdiction`` on ``on``: the newest row with
    ``effective_from <= on``; else the newest national row; else ``NATIONAL_2022``.
    Reads at most two rows."""
    for candidate in dict.fromkeys([jurisdiction, NATIONAL]):
        row = (
            RuleSet.objects.filter(jurisdiction=candidate, effective_from__lte=on)
            .order_by("-effective_from")
            .first()
        )
        if row is not None:
            return _data(row)
    return NATIONAL_2022_RULES


def _data(row: RuleSet) -> RuleSetData:
    return RuleSetData(
        jurisdiction=row.jurisdiction,
        name=row.name,
        effective_from=row.effective_from,
        limits=MappingProxyType(parse_limits(row.limits)),
        roll_forward=row.roll_forward,
        id=row.pk,
    )


def rule_set_by_key(key: str, cache: dict[str, RuleSetData] | None = None) -> RuleSetData:
    """The rule set a case was pinned to (``RuleSetData.key``); the national defaults when the
    key names no row. ``cache`` (e.g. ``Calendar.rule_sets``) saves the query on a sweep."""
    if cache is not None and key in cache:
        return cache[key]
    jurisdiction, _, effective = key.partition("@")
    found = NATIONAL_2022_RULES
    try:
        day = dt.date.fromisoformat(effective)
    except ValueError:
        day = None
    if day is not None:
        row = RuleSet.objects.filter(jurisdiction=jurisdiction, effective_from=day).first()
        if row is not None:
            found = _data(row)
    if cache is not None:
        cache[key] = found
    return found


# chinesecalendar's holiday names → 法定节假日名称.
_HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}
_NATIONAL_MID_AUTUMN = "国庆节、中秋节"
# How the explanation names a holiday period: "国庆假期顺延至10-08".
_SHORT_NAMES = {
    "元旦": "元旦",
    "春节": "春节",
    "清明节": "清明",
    "劳动节": "劳动节",
    "端午节": "端午",
    "中秋节": "中秋",
    "国庆节": "国庆",
    _NATIONAL_MID_AUTUMN: "国庆中秋",
    _HOLIDAY_NAMES["Anti-Fascist 70th Day"]: "抗战胜利纪念日",
}


@dataclass(frozen=True)
class _Override:
    is_workday: bool
    name: str


def calendar_overrides() -> dict[dt.date, tuple[bool, str]]:
    """The override table: day → (is a workday, name)."""
    rows = CalendarOverride.objects.values_list("day", "is_workday", "name")
    return {day: (is_workday, name) for day, is_workday, name in rows}


class Calendar:
    """Workdays and rest days: the override table first, then chinesecalendar (2004–2026 in
    the installed release), then — for a year neither covers — weekends only, provisional (暂定).

    A year counts as scheduled as soon as any override row falls in it: entering a new year's
    holidays and 调休 days in November is how that year stops being provisional, and its
    unlisted days are then plain weekdays/weekends. The override table is read once per
    instance (one query, lazily); pass ``overrides`` to build one without the database.
    Make one per request or sweep, not one per process, so admin edits take effect."""

    def __init__(self, overrides: Mapping[dt.date, tuple[bool, str]] | None = None) -> None:
        self._overrides: dict[dt.date, _Override] | None = None
        self._override_years: frozenset[int] = frozenset()
        self._covered: dict[int, bool] = {}
        #: Rule sets by key, read once per calendar (see ``rule_set_by_key``).
        self.rule_sets: dict[str, RuleSetData] = {}
        if overrides is not None:
            self._set_overrides(overrides.items())

    def _set_overrides(
        self, rows: Iterable[tuple[dt.date, tuple[bool, str]]]
    ) -> dict[dt.date, _Override]:
        table = {day: _Override(is_workday, name) for day, (is_workday, name) in rows}
        self._overrides = table
        self._override_years = frozenset(day.year for day in table)
        return table

    def load(self) -> None:
        """Read the override table now rather than at the first date asked about."""
        self._table()

    def _table(self) -> dict[dt.date, _Override]:
        if self._overrides is not None:
            return self._overrides
        return self._set_overrides(calendar_overrides().items())

    def _library_covers(self, year: int) -> bool:
        if year not in self._covered:
            try:
                chinese_calendar.is_workday(dt.date(year, 6, 1))
            except NotImplementedError:
                self._covered[year] = False
            else:
                self._covered[year] = True
        return self._covered[year]

    def is_provisional(self, day: dt.date) -> bool:
        """True when ``day``'s year has no official schedule: not in chinesecalendar and no
        override row in that year."""
        self._table()
        return day.year not in self._override_years and not self._library_covers(day.year)

    def is_workday(self, day: dt.date) -> bool:
        override = self._table().get(day)
        if override is not None:
            return override.is_workday
        if self._library_covers(day.year):
            return bool(chinese_calendar.is_workday(day))
        return day.weekday() < 5  # Monday–Friday

    def holiday_name(self, day: dt.date) -> str | None:
        """The holiday ``day`` is a rest day of (元旦, 春节, … 国庆节、中秋节 for the combined
        break of 2023/2025), or the override's name; None for workdays and plain weekends."""
        override = self._table().get(day)
        if override is not None:
            return None if override.is_workday else (override.name or None)
        if not self._library_covers(day.year):
            return None
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
        if not on_holiday or name is None:
            return None
        chinese = _HOLIDAY_NAMES.get(str(name), str(name))
        if chinese in ("国庆节", "中秋节") and _is_combined_national_mid_autumn(day):
            return _NATIONAL_MID_AUTUMN
        return chinese

    def next_workday_on_or_after(self, day: dt.date) -> tuple[dt.date, list[dt.date]]:
        """The first workday from ``day`` on, and every day looked at to find it."""
        looked_at = [day]
        while not self.is_workday(day):
            if len(looked_at) > _MAX_REST_RUN:
                raise ValueError(
                    f"{looked_at[0]} 起连续{_MAX_REST_RUN}天无工作日，请检查节假日调整"
                )
            day += dt.timedelta(days=1)
            looked_at.append(day)
        return day, looked_at


def _is_combined_national_mid_autumn(day: dt.date) -> bool:
    """Whether ``day`` sits in one unbroken break that holds both 国庆 and 中秋 days."""
    names: set[str] = set()
    for step in (-1, 1):
        probe = day
        while probe.year == day.year:
            on_holiday, name = chinese_calendar.get_holiday_detail(probe)
            if not on_holiday:
                break
            if name is not None:
                names.add(str(name))
            probe += dt.timedelta(days=step)
    return {"National Day", "Mid-autumn Festival"} <= names


@dataclass(frozen=True)
class Due:
    date: dt.date
    provisional: bool
    explanation: str


def _short(day: dt.date, start: dt.date) -> str:
    # MM-DD reads best; a due date in another year than the trigger spells the year.
    return f"{day:%m-%d}" if day.year == start.year else day.isoformat()


def _pause_days(pauses: Iterable[tuple[dt.date, dt.date]]) -> int:
    """Distinct days covered by inclusive ranges: overlapping pauses are not counted twice."""
    days: set[dt.date] = set()
    for first, last in pauses:
        if last < first:
            raise ValueError(f"中止期间结束日早于开始日：{first}～{last}")
        days.update(first + dt.timedelta(days=i) for i in range((last - first).days + 1))
    return len(days)


def due_date(
    start: dt.date,
    limit: Limit,
    *,
    calendar: Calendar,
    roll_forward: bool = True,
    pauses: Sequence[tuple[dt.date, dt.date]] = (),
    trigger_label: str = "起算日",
) -> Due:
    """The last day of ``limit`` counted from trigger ``start`` (day 0), with its explanation,
    e.g. "受理日2026-09-20；15日→10-05，国庆假期顺延至10-08".

    ``roll_forward`` applies to calendar-day limits (a workday limit always ends on a workday).
    ``pauses`` are inclusive date ranges not counted (复核听证 etc.); they extend the due date
    by their length in calendar days, before any roll-forward. The result is provisional when
    any day the calendar was asked about lies in a year without a schedule; a calendar-day
    limit without roll-forward never asks, so it is never provisional."""
    looked_at: list[dt.date] = []
    if limit.unit == LimitUnit.WORKDAYS:
        day, counted = start, 0
        while counted < limit.days:
            day += dt.timedelta(days=1)
            looked_at.append(day)
            if calendar.is_workday(day):
                counted += 1
    else:
        day = start + dt.timedelta(days=limit.days)
    parts = [f"{trigger_label}{start.isoformat()}", f"；{limit.label}→{_short(day, start)}"]

    paused = _pause_days(pauses)
    if paused:
        day += dt.timedelta(days=paused)
        parts.append(f"；听证等中止{paused}日→{_short(day, start)}")

    if limit.unit == LimitUnit.WORKDAYS or roll_forward:
        due, seen = calendar.next_workday_on_or_after(day)
        looked_at.extend(seen)
        if due != day:
            holiday = calendar.holiday_name(day)
            if holiday is None:
                reason = "休息日"  # a plain weekend, or an unnamed override
            elif holiday in _SHORT_NAMES:
                reason = f"{_SHORT_NAMES[holiday]}假期"
            else:
                reason = holiday  # an override's own name: "民族节日顺延至…"
            parts.append(f"，{reason}顺延至{_short(due, start)}")
        day = due

    unscheduled = sorted({d.year for d in looked_at if calendar.is_provisional(d)})
    if unscheduled:
        years = "、".join(f"{year}年" for year in unscheduled)
        parts.append(f"（暂定：{years}节假日安排未公布）")
    return Due(date=day, provisional=bool(unscheduled), explanation="".join(parts))


def warning_tier(
    due: dt.date, today: dt.date, *, near_days: int = 3, severe_days: int = 15
) -> DeadlineTier:
    """正常 with more than ``near_days`` left; 临期 from ``near_days`` left to the due day
    itself; 超期 after it; 严重超期 once more than ``severe_days`` over."""
    left = (due - today).days
    if left > near_days:
        return DeadlineTier.NORMAL
    if left >= 0:
        return DeadlineTier.NEAR
    if -left > severe_days:
        return DeadlineTier.SEVERE
    return DeadlineTier.OVERDUE
