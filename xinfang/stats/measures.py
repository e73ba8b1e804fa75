"""统计口径: every figure of the statistics, defined once.

A :class:`Measure` names a figure (label, unit, the formula in words) and gives the SQL
condition that selects the rows it counts; a :class:`Rate` divides one measure by another.
The summary table, the breakdowns, the unit table, the drill-down lists, the exports, the
annual report and the tests all read these definitions, so a figure and the list of rows
behind it cannot disagree.

Contacts (来访/来信/来电记录) give the 基本情况 line: 批次 counts rows, 人次 sums their
``people_count``. Cases give the rest. Clock conditions refer to per-case expressions that
``queries.case_scope`` adds (``clocks.case_aliases``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from types import MappingProxyType
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Exists, OuterRef, Q, QuerySet

from xinfang.cases.enums import FINAL_STATUSES, CaseStatus, Channel
from xinfang.cases.models import Contact
from xinfang.portal.models import Evaluation
from xinfang.stats.clocks import Clocks
from xinfang.stats.enums import Aggregate, Base, EvaluationBasis, HandlingDone
from xinfang.stats.periods import Period
from xinfang.supervision.enums import ResponseKind
from xinfang.supervision.models import LeaderCase, Listing, SupervisionOrder
from xinfang.supervision.queries import RESOLVED_TERMINATIONS


class Window:
    """What a condition depends on besides the row: the period and the day it is computed."""

    def __init__(self, period: Period, today: dt.date) -> None:
        self.period = period
        self.today = today

    @cached_property
    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        return self.period.bounds()

    @property
    def due_until(self) -> dt.date:
        """Due dates up to here have passed: the period's end, or yesterday."""
        return min(self.period.end, self.today - dt.timedelta(days=1))

    @cached_property
    def clocks(self) -> Clocks:
        return Clocks(self.period.start, self.due_until)


Condition = Callable[[Window], Q]


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    unit: str  # 批, 人次, 件
    base: Base
    formula: str
    condition: Condition | None  # None: the figure does not exist yet (``pending`` says why)
    aggregate: Aggregate = Aggregate.COUNT
    #: A cheap condition the rows also meet (an indexed date range), so a query for several
    #: measures may narrow its WHERE; None when there is none.
    indexed: Condition | None = None
    #: The condition once ``indexed`` holds (``condition`` = ``indexed`` & ``rest``): what
    #: each aggregate still tests when the WHERE has narrowed the rows to ``indexed``.
    rest: Condition | None = None
    #: The date column the period restricts, when it is the only period condition: a month
    #: breakdown may then GROUP BY month of this column instead of one query per month.
    bucket: str = ""
    #: A contact measure's condition as (field, value) pairs a contact must all match: what
    #: ``facts`` evaluates per contact for the precomputed daily counts (``condition`` and
    #: ``rest`` are built from the same pairs).
    flags: tuple[tuple[str, object], ...] = ()
    pending: str = ""

    @property
    def is_pending(self) -> bool:
        return self.condition is None


@dataclass(frozen=True)
class Rate:
    key: str
    label: str
    numerator: str
    denominator: str
    pending: str = ""

    @property
    def formula(self) -> str:
        if self.pending:
            return self.pending
        return f"{MEASURES[self.numerator].label} ÷ {MEASURES[self.denominator].label} × 100%"


# --- contacts --------------------------------------------------------------------------------


def _occurred(window: Window) -> Q:
    first, after = window.bounds
    return Q(occurred_at__gte=first, occurred_at__lt=after)


def _contacts(**conditions: object) -> Condition:
    def condition(window: Window) -> Q:
        return _occurred(window) & Q(**conditions)

    return condition


def _flags(**conditions: object) -> Condition:
    def condition(window: Window) -> Q:
        return Q(**conditions)

    return condition


VISIT = Channel.VISIT


def _contact_measure(
    key: str, label: str, unit: str, formula: str, *, people: bool = False, **where: object
) -> Measure:
    return Measure(
        key=key,
        label=label,
        unit=unit,
        base=Base.CONTACT,
        formula=formula,
        condition=_contacts(**where),
        rest=_flags(**where),
        aggregate=Aggregate.PEOPLE if people else Aggregate.COUNT,
        indexed=_occurred,
        bucket="occurred_at",
        flags=tuple(where.items()),
    )


CONTACT_MEASURES = [
    _contact_measure(
        "collective_batches",
        "集体访批次",
        "批",
        "统计期内来源渠道为走访、登记为集体访（人数达到集体访标准）的来访记录数，每来一次计一批",
        channel=VISIT,
        is_collective=True,
    ),
    _contact_measure(
        "collective_people",
        "集体访人次",
        "人次",
        "上述集体访各批人数之和",
        people=True,
        channel=VISIT,
        is_collective=True,
    ),
    _contact_measure(
        "collective_repeat_batches",
        "集体访重访批次",
        "批",
        "集体访中就已登记事项再次来访（重访）的批数",
        channel=VISIT,
        is_collective=True,
        is_repeat=True,
    ),
    _contact_measure(
        "collective_repeat_people",
        "集体访重访人次",
        "人次",
        "集体访重访各批人数之和",
        people=True,
        channel=VISIT,
        is_collective=True,
        is_repeat=True,
    ),
    _contact_measure(
        "individual_people",
        "个体访人次",
        "人次",
        "统计期内来源渠道为走访、未达集体访标准的来访记录人数之和",
        people=True,
        channel=VISIT,
        is_collective=False,
    ),
    _contact_measure(
        "individual_repeat_people",
        "个体访重访人次",
        "人次",
        "个体访中就已登记事项再次来访（重访）的人数之和",
        people=True,
        channel=VISIT,
        is_collective=False,
        is_repeat=True,
    ),
    _contact_measure(
        "individual_litigation_people",
        "个体访涉法涉诉人次",
        "人次",
        "个体访中涉法涉诉事项的来访人数之和",
        people=True,
        channel=VISIT,
        is_collective=False,
        involves_litigation=True,
    ),
    _contact_measure(
        "letters",
        "来信",
        "件",
        "统计期内来源渠道为来信的记录数（含重复来信）",
        channel=Channel.LETTER,
    ),
    _contact_measure(
        "online",
        "网上信访",
        "件",
        "统计期内来源渠道为网上信访的记录数（含重复提交）",
        channel=Channel.ONLINE,
    ),
    _contact_measure(
        "phone",
        "来电",
        "件",
        "统计期内来源渠道为来电的记录数（含重复来电）",
        channel=Channel.PHONE,
    ),
    _contact_measure("fax", "传真", "件", "统计期内来源渠道为传真的记录数", channel=Channel.FAX),
    _contact_measure(
        "contacts_total",
        "信访总量",
        "批/件",
        "统计期内全部来访批次及来信、网上信访、来电、传真件数",
    ),
    _contact_measure(
        "repeat_contacts",
        "重复信访批次",
        "批/件",
        "信访总量中就已登记事项再次来访、来信、来电的批次（件）",
        is_repeat=True,
    ),
]


# --- cases -----------------------------------------------------------------------------------


def _received(window: Window) -> Q:
    return Q(received_on__gte=window.period.start, received_on__lte=window.period.end)


def _received_by_end(window: Window) -> Q:
    """Implied by every period measure of a case: its dates (transfer, acceptance, due
    dates, service) never precede receipt, so a case counted for the period was received by
    its end. Lets a past period's query read the received-date index instead of every case."""
    return Q(received_on__lte=window.period.end)


def _acceptance_due(window: Window) -> Q:
    return window.clocks.acceptance().due


def _acceptance_on_time(window: Window) -> Q:
    return window.clocks.acceptance().on_time


def _handling_due(window: Window) -> Q:
    return window.clocks.handling().due


def _handling_on_time(window: Window) -> Q:
    return window.clocks.handling().on_time


def _served(window: Window) -> Q:
    return Q(served_on__gte=window.period.start, served_on__lte=window.period.end)


def _evaluations() -> QuerySet[Evaluation]:
    return Evaluation.objects.filter(target=settings.XF_STATS_EVALUATION_TARGET)


# The subqueries below do not refer to the outer case: the database runs each once (a hashed
# set on PostgreSQL, a materialised one on SQLite) instead of once per case.


def _evaluated(window: Window) -> Q:
    return _served(window) & Q(pk__in=_evaluations().values("case_id"))


def _satisfied(window: Window) -> Q:
    """The case's latest rating (per target) is one of the satisfied ones: a satisfied rating
    with no later rating of the same case and target (ties: the later row)."""
    later = _evaluations().filter(
        Q(case=OuterRef("case"))
        & (
            Q(created_at__gt=OuterRef("created_at"))
            | Q(created_at=OuterRef("created_at"), id__gt=OuterRef("id"))
        )
    )
    latest_satisfied = _evaluations().filter(rating__in=satisfied_ratings()).filter(~Exists(later))
    return _served(window) & Q(pk__in=latest_satisfied.values("case_id"))


def _came_again(window: Window) -> Q:
    first, after = window.bounds
    came_again = Contact.objects.filter(
        is_repeat=True, occurred_at__gte=first, occurred_at__lt=after
    )
    return Q(contact_count__gt=1) & Q(pk__in=came_again.values("case_id"))


def _repeat_cases(window: Window) -> Q:
    return _received(window) & _came_again(window)


#: Steps whose clock never runs out: nothing is owed any more.
_DONE = [*FINAL_STATUSES, CaseStatus.CLOSED]


def _overdue(window: Window) -> Q:
    return Q(due_on__lt=window.today) & ~Q(status__in=_DONE)


def _severe(window: Window) -> Q:
    limit = window.today - dt.timedelta(days=settings.XF_DUE_SEVERE_DAYS)
    return Q(due_on__lt=limit) & ~Q(status__in=_DONE)


def _routed(window: Window) -> Q:
    return Q(transferred_on__gte=window.period.start, transferred_on__lte=window.period.end)


def _transferred(window: Window) -> Q:
    return _routed(window) & Q(assignment_due_on__isnull=True, handling_unit__isnull=False)


def _assigned(window: Window) -> Q:
    return _routed(window) & Q(assignment_due_on__isnull=False)


# 督办, 挂牌督办, 领导包案: the same definitions as ``supervision.queries.supervision_figures``
# and ``leader_cases_resolution`` (tests/stats/test_supervision.py holds them equal). Each reads
# its own small table by date, so the WHERE narrows the cases to those few by primary key.


def _orders_issued(window: Window) -> QuerySet[SupervisionOrder]:
    period = window.period
    return SupervisionOrder.objects.filter(issued_on__gte=period.start, issued_on__lte=period.end)


def _supervised(window: Window) -> Q:
    return Q(pk__in=_orders_issued(window).values("case_id"))


def _supervision_answered(window: Window) -> Q:
    _, after = window.bounds
    answered = _orders_issued(window).filter(
        responses__kind=ResponseKind.ANSWER, responses__occurred_at__lt=after
    )
    return Q(pk__in=answered.values("case_id"))


def _listed(window: Window) -> Q:
    period = window.period
    listings = Listing.objects.filter(listed_on__gte=period.start, listed_on__lte=period.end)
    return Q(pk__in=listings.values("case_id"))


def _lead_taken(window: Window) -> Q:
    period = window.period
    taken = LeaderCase.objects.filter(taken_on__gte=period.start, taken_on__lte=period.end)
    return Q(pk__in=taken.values("case_id"))


def _resolved_by_end(window: Window) -> Q:
    """办结, or 终结 for a reason that settles the matter, by the period's end."""
    return Q(closed_on__lte=window.period.end) & (
        Q(status=CaseStatus.CLOSED)
        | Q(status=CaseStatus.TERMINATED, termination_reason__in=RESOLVED_TERMINATIONS)
    )


def _lead_resolved(window: Window) -> Q:
    return _lead_taken(window) & _resolved_by_end(window)


def satisfied_ratings() -> list[str]:
    return list(settings.XF_STATS_SATISFIED_RATINGS)


def _satisfied_words() -> str:
    return "或".join(f"“{rating}”" for rating in satisfied_ratings())


def _evaluation_target() -> str:
    return str(EvaluationBasis(settings.XF_STATS_EVALUATION_TARGET).label)


def _done_words() -> str:
    if settings.XF_STATS_HANDLING_DONE == HandlingDone.REPLIED:
        return "出具处理意见书"
    return "送达处理意见书"


def _case_measure(key: str, label: str, formula: str, condition: Condition, **kw: Any) -> Measure:
    """A case measure of the period: by default narrowed to cases received by its end."""
    kw.setdefault("indexed", _received_by_end)
    kw.setdefault("rest", condition)
    return Measure(key, label, "件", Base.CASE, formula, condition, **kw)


def case_measures() -> list[Measure]:
    """The case measures; their formulas follow the settings, so they are built on demand."""
    return [
        _case_measure(
            "cases_received",
            "新收信访事项",
            "收到日期在统计期内的信访事项件数（每件事项计一次，重复来访不另计）",
            _received,
            indexed=_received,
            rest=_flags(),
            bucket="received_on",
        ),
        _case_measure(
            "acceptance_due",
            "应告知受理事项",
            "告知受理期限（自转送、交办或收到之日起，按所适用时限规则计算，末日遇节假日顺延）"
            "届满于统计期内、且早于今日的事项",
            _acceptance_due,
        ),
        _case_measure(
            "acceptance_on_time",
            "按期告知受理事项",
            "应告知受理事项中，在期限内作出受理、不予受理或不再受理决定的事项",
            _acceptance_on_time,
        ),
        _case_measure(
            "handling_due",
            "到期应办结事项",
            "办理期限（申诉求决类按信访程序办理的自受理之日起计算；交办的以交办单规定期限为准；"
            "经批准延期的加延长天数）届满于统计期内、且早于今日的事项",
            _handling_due,
        ),
        _case_measure(
            "handling_on_time",
            "按期办结事项",
            f"到期应办结事项中，在期限内{_done_words()}（或依法终结）的事项",
            _handling_on_time,
        ),
        _case_measure(
            "served",
            "意见已送达事项",
            "处理意见书送达日期在统计期内的事项",
            _served,
        ),
        _case_measure(
            "evaluated",
            "参评事项",
            f"意见已送达事项中，信访人对{_evaluation_target()}作出评价的事项（以最后一次评价为准）",
            _evaluated,
        ),
        _case_measure(
            "satisfied",
            "满意事项",
            f"参评事项中，最后一次评价为{_satisfied_words()}的事项",
            _satisfied,
        ),
        _case_measure(
            "repeat_cases",
            "重复信访事项",
            "新收信访事项中，统计期内又有重复来访、来信或来电的事项",
            _repeat_cases,
            indexed=_received,
            rest=_came_again,
        ),
        _case_measure(
            "overdue_now",
            "当前超期事项",
            "截至今日，当前环节已过期限、尚未完成的事项（不受统计期限制）",
            _overdue,
            indexed=None,
            rest=None,
        ),
        _case_measure(
            "severe_now",
            "当前严重超期事项",
            f"当前超期事项中，超过期限{settings.XF_DUE_SEVERE_DAYS}日以上的事项",
            _severe,
            indexed=None,
            rest=None,
        ),
        _case_measure(
            "transferred",
            "转送事项",
            "最近一次转送日期在统计期内的事项",
            _transferred,
        ),
        _case_measure(
            "assigned",
            "交办事项",
            "最近一次交办日期在统计期内的事项",
            _assigned,
        ),
        _case_measure(
            "supervised",
            "督办事项",
            "统计期内发出督办单（人工督办或按规则督办）的事项，一件事项多次督办计一次",
            _supervised,
            indexed=_supervised,
            rest=_flags(),
        ),
        _case_measure(
            "supervision_answered",
            "督办已答复事项",
            "督办事项中，被督办单位在统计期结束前对统计期内的督办单作出书面答复的事项",
            _supervision_answered,
            indexed=_supervision_answered,
            rest=_flags(),
        ),
        _case_measure(
            "listed",
            "挂牌督办事项",
            "统计期内列入挂牌督办名单的事项",
            _listed,
            indexed=_listed,
            rest=_flags(),
        ),
        _case_measure(
            "lead_taken",
            "领导包案事项",
            "统计期内由领导包案的事项，一件事项多次包案计一次",
            _lead_taken,
            indexed=_lead_taken,
            rest=_flags(),
        ),
        _case_measure(
            "lead_resolved",
            "包案化解事项",
            "领导包案事项中，统计期结束前已办结，或因调解、和解协议已履行或复查（复核）申请期限"
            "届满未申请而终结的事项",
            _lead_resolved,
            indexed=_lead_taken,
            rest=_resolved_by_end,
        ),
    ]


DEFAULT_RATES = (
    Rate("timely_acceptance", "及时受理率", "acceptance_on_time", "acceptance_due"),
    Rate("on_time_completion", "按期办结率", "handling_on_time", "handling_due"),
    Rate("participation", "参评率", "evaluated", "served"),
    Rate("satisfaction", "满意率", "satisfied", "evaluated"),
    Rate("repeat_rate", "重复信访率", "repeat_cases", "cases_received"),
    Rate("lead_resolution", "领导包案化解率", "lead_resolved", "lead_taken"),
)


def _settings_signature() -> tuple[object, ...]:
    """The settings the formulas' words depend on (tests change them)."""
    return (
        tuple(settings.XF_STATS_SATISFIED_RATINGS),
        settings.XF_STATS_EVALUATION_TARGET,
        settings.XF_STATS_HANDLING_DONE,
        settings.XF_DUE_SEVERE_DAYS,
    )


@lru_cache(maxsize=8)
def _registry_for(signature: tuple[object, ...]) -> Mapping[str, Measure]:
    return MappingProxyType({m.key: m for m in [*CONTACT_MEASURES, *case_measures()]})


def _registry() -> Mapping[str, Measure]:
    return _registry_for(_settings_signature())


class _Measures(Mapping[str, Measure]):
    """The registry, rebuilt when a test changes the settings the formulas mention."""

    def _current(self) -> Mapping[str, Measure]:
        return _registry()

    def __getitem__(self, key: str) -> Measure:
        return self._current()[key]

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._current())

    def __len__(self) -> int:
        return len(self._current())


MEASURES: Mapping[str, Measure] = _Measures()


def rates() -> list[Rate]:
    """The rates, with ``XF_STATS_RATES`` overrides (``key=numerator/denominator``) applied."""
    overrides = parse_rate_overrides(settings.XF_STATS_RATES)
    result = []
    for rate in DEFAULT_RATES:
        if rate.key in overrides and not rate.pending:
            numerator, denominator = overrides[rate.key]
            rate = Rate(rate.key, rate.label, numerator, denominator)
        result.append(rate)
    return result


def parse_rate_overrides(items: list[str]) -> dict[str, tuple[str, str]]:
    """``["repeat_rate=repeat_contacts/contacts_total"]`` → {rate: (numerator, denominator)};
    ImproperlyConfigured names the first bad item."""
    known_rates = {rate.key for rate in DEFAULT_RATES if not rate.pending}
    known = _registry()
    parsed = {}
    for item in items:
        key, _, formula = item.partition("=")
        numerator, _, denominator = formula.partition("/")
        key, numerator, denominator = key.strip(), numerator.strip(), denominator.strip()
        if key not in known_rates:
            raise ImproperlyConfigured(f"XF_STATS_RATES: 未知的比率 {key!r}")
        for part in (numerator, denominator):
            if part not in known or known[part].is_pending:
                raise ImproperlyConfigured(
                    f"XF_STATS_RATES: {key} 的口径 {part!r} 不是可用的统计指标"
                )
        parsed[key] = (numerator, denominator)
    return parsed


#: The 基本情况 line, in the order the annual summary reads it.
SUMMARY_KEYS = (
    "collective_batches",
    "collective_people",
    "collective_repeat_batches",
    "collective_repeat_people",
    "individual_people",
    "individual_repeat_people",
    "individual_litigation_people",
    "letters",
    "online",
    "phone",
    "fax",
    "contacts_total",
    "repeat_contacts",
    "cases_received",
)

#: 转送、交办、督办 activity (第四十一条), shown beside the 基本情况 line and in the report.
SUPERVISION_KEYS = (
    "transferred",
    "assigned",
    "supervised",
    "supervision_answered",
    "listed",
    "lead_taken",
    "lead_resolved",
)
