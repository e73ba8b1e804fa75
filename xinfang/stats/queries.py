"""Reads for the statistics. Everything starts from ``cases_visible_to``: nobody counts cases
they may not see. Figures are aggregate SQL (COUNT / SUM with FILTER, GROUP BY a column);
Python only loops over the groups, never over rows."""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from functools import reduce
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Case as Case_
from django.db.models import (
    Count,
    IntegerField,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from xinfang.accounts.models import Region, Unit
from xinfang.cases.enums import Channel, HandlingCategory
from xinfang.cases.models import Case, Contact, ContentCategory
from xinfang.cases.queries import Cursor, visibility_branches
from xinfang.stats import precomputed, rollup
from xinfang.stats.clocks import shared_clocks
from xinfang.stats.enums import Aggregate, Base, Dimension
from xinfang.stats.measures import MEASURES, Measure, Rate, Window, rates
from xinfang.stats.periods import Period

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from xinfang.accounts.models import User

    AnyUser = User | AnonymousUser

#: ``StatsFilters.unit_id`` for cases no handling unit has yet (still with the office).
NO_UNIT = 0


@dataclass(frozen=True)
class StatsFilters:
    """统计条件: the period and the dimensions a figure is restricted to. Region, category
    and unit mean the subtree unless ``*_exact``; the unit is the 主办单位."""

    period: Period
    region_code: str = ""
    region_exact: bool = False
    category_code: str = ""
    category_exact: bool = False
    unit_id: int | None = None
    unit_exact: bool = False
    reception_id: int | None = None
    handling_category: str = ""
    channel: str = ""

    def with_period(self, period: Period) -> StatsFilters:
        return replace(self, period=period)

    def narrowed(self, **changes: Any) -> StatsFilters:
        return replace(self, **changes)

    def as_params(self) -> dict[str, str]:
        """The query string that selects these filters (the forms read it back)."""
        params = {
            "start": self.period.start.isoformat(),
            "end": self.period.end.isoformat(),
            "region": self.region_code,
            "category": self.category_code,
            "unit": ""
            if self.unit_id is None
            else ("none" if self.unit_id == NO_UNIT else str(self.unit_id)),
            "reception": "" if self.reception_id is None else str(self.reception_id),
            "handling": self.handling_category,
            "channel": self.channel,
        }
        for name in ("region", "category", "unit"):
            if getattr(self, f"{name}_exact"):
                params[f"{name}_exact"] = "1"
        return {key: value for key, value in params.items() if value}

    def describe(self) -> list[str]:
        """The restrictions in words, for page headings, exports and the report."""
        words = []
        if self.region_code:
            region = Region.objects.filter(code=self.region_code).first()
            words.append(
                f"问题属地：{region.name if region else self.region_code}"
                + ("（仅本级）" if self.region_exact else "")
            )
        if self.category_code:
            category = ContentCategory.objects.filter(code=self.category_code).first()
            words.append(
                f"内容分类：{category.name if category else self.category_code}"
                + ("（仅本级）" if self.category_exact else "")
            )
        if self.unit_id == NO_UNIT:
            words.append("主办单位：尚未转送交办")
        elif self.unit_id is not None:
            unit = Unit.objects.filter(pk=self.unit_id).first()
            words.append(
                f"主办单位：{unit.name if unit else self.unit_id}"
                + ("（仅本级）" if self.unit_exact else "")
            )
        if self.reception_id is not None:
            point = Unit.objects.filter(pk=self.reception_id).first()
            words.append(f"接待点：{point.name if point else self.reception_id}")
        if self.handling_category:
            words.append(f"处理类别：{HandlingCategory(self.handling_category).label}")
        if self.channel:
            words.append(f"来源渠道：{Channel(self.channel).label}")
        return words


# --- scope: visibility, then the dimension filters -----------------------------------------


def _through_case(condition: Q) -> Q:
    """A condition on Case rewritten for Contact (``region`` → ``case__region``)."""
    clone = Q()
    clone.connector, clone.negated = condition.connector, condition.negated
    children: list[Any] = list(condition.children)
    clone.children = [
        _through_case(child) if isinstance(child, Q) else (f"case__{child[0]}", child[1])
        for child in children
    ]
    return clone


def _case_conditions(filters: StatsFilters) -> Q:
    """The dimension filters as a condition on Case (the reception point aside)."""
    condition = Q()
    if filters.region_code:
        if filters.region_exact:
            condition &= Q(region__code=filters.region_code)
        else:
            regions = Region.objects.filter(code__startswith=filters.region_code).values("id")
            condition &= Q(region_id__in=regions)
    if filters.category_code:
        if filters.category_exact:
            condition &= Q(content_category__code=filters.category_code)
        else:
            categories = ContentCategory.objects.filter(
                code__startswith=filters.category_code
            ).values("id")
            condition &= Q(content_category_id__in=categories)
    if filters.unit_id == NO_UNIT:
        condition &= Q(handling_unit__isnull=True)
    elif filters.unit_id is not None:
        if filters.unit_exact:
            condition &= Q(handling_unit_id=filters.unit_id)
        else:
            path = Unit.objects.filter(pk=filters.unit_id).values("path")
            subtree = Unit.objects.filter(path__startswith=Subquery(path)).values("id")
            condition &= Q(handling_unit_id__in=subtree)
    if filters.handling_category:
        condition &= Q(handling_category=filters.handling_category)
    return condition


_visibility: ContextVar[dict[int | None, tuple[Q | None, bool]] | None] = ContextVar(
    "stats_visibility", default=None
)


@contextmanager
def computation() -> Iterator[None]:
    """One page's or one report's figures: the visibility condition is read once per user,
    the clocks share one calendar, and the precomputed counts are brought up to date once
    (nested blocks reuse the outer one)."""
    with shared_clocks(), precomputed.one_fold():
        if _visibility.get() is not None:
            yield
            return
        token = _visibility.set({})
        try:
            yield
        finally:
            _visibility.reset(token)


def _scope_of(user: AnyUser) -> tuple[Q | None, bool]:
    """``cases_visible_to``'s condition (None: nothing visible), and whether it is every
    case (an unrestricted branch: the root unit)."""
    cache = _visibility.get()
    key = getattr(user, "pk", None)
    if cache is not None and key in cache:
        return cache[key]
    branches = visibility_branches(user)
    everything = any(not branch for branch in branches)  # Q() | Q(x) would be Q(x)
    visible = Q() if everything else reduce(operator.or_, branches) if branches else None
    if cache is not None:
        cache[key] = (visible, everything)
    return visible, everything


def _visible(user: AnyUser) -> Q | None:
    return _scope_of(user)[0]


def sees_everything(user: AnyUser) -> bool:
    return _scope_of(user)[1]


def contact_scope(user: AnyUser, filters: StatsFilters) -> QuerySet[Contact]:
    """The contacts on cases the user may see, within the dimension filters (any time)."""
    visible = _visible(user)
    if visible is None:
        return Contact.objects.none()
    contacts = Contact.objects.filter(_through_case(visible & _case_conditions(filters)))
    if filters.reception_id is not None:
        contacts = contacts.filter(reception_unit_id=filters.reception_id)
    if filters.channel:
        contacts = contacts.filter(channel=filters.channel)
    return contacts.order_by()


def case_scope(user: AnyUser, filters: StatsFilters) -> QuerySet[Case]:
    """The cases the user may see within the dimension filters. A reception point selects the
    cases someone came to it about."""
    visible = _visible(user)
    if visible is None:
        return Case.objects.none()
    cases = Case.objects.filter(visible & _case_conditions(filters))
    if filters.reception_id is not None:
        cases = cases.filter(
            pk__in=Contact.objects.filter(reception_unit_id=filters.reception_id).values("case_id")
        )
    if filters.channel:
        cases = cases.filter(channel=filters.channel)
    return cases.order_by()


# --- figures -------------------------------------------------------------------------------


def _measures(keys: Iterable[str] | None) -> list[Measure]:
    chosen = list(MEASURES.values()) if keys is None else [MEASURES[key] for key in keys]
    return [measure for measure in chosen if not measure.is_pending]


def _condition(measure: Measure) -> Callable[[Window], Q]:
    if measure.condition is None:
        raise ValueError(f"{measure.key}: {measure.pending}")
    return measure.condition


def _aggregate(measure: Measure, window: Window, narrowed_to: Q | None = None) -> Any:
    """COUNT or SUM of the rows meeting the measure's condition — only its ``rest`` when the
    WHERE already narrowed the rows to its indexed condition (no need to test it per row)."""
    condition = _condition(measure)(window)
    if narrowed_to is not None and measure.rest is not None:
        condition = measure.rest(window)
    if measure.aggregate == Aggregate.PEOPLE:
        total = Sum("people_count", filter=condition) if condition else Sum("people_count")
        return Coalesce(total, Value(0), output_field=IntegerField())
    return Count("pk", filter=condition) if condition else Count("pk")


def _by_index(measures: Sequence[Measure], window: Window) -> list[tuple[Q | None, list[Measure]]]:
    """The measures grouped by their indexed condition: each group is one query whose WHERE
    is that condition (an index range), so its aggregates test only the rest. Measures
    without one share a query over every row in scope."""
    groups: list[tuple[Q | None, list[Measure]]] = []
    for measure in measures:
        condition = measure.indexed(window) if measure.indexed is not None else None
        for known, members in groups:
            if known == condition:
                members.append(measure)
                break
        else:
            groups.append((condition, [measure]))
    return groups


def _narrowed(rows: QuerySet[Any], condition: Q | None) -> QuerySet[Any]:
    return rows if condition is None else rows.filter(condition)


def _aggregates(
    measures: Sequence[Measure], window: Window, narrowed_to: Q | None
) -> dict[str, Any]:
    return {m.key: _aggregate(m, window, narrowed_to) for m in measures}


Plan = dict[precomputed.Slice, list[Measure]]


def _plan(
    user: AnyUser, filters: StatsFilters, dimension: Dimension | None, chosen: Sequence[Measure]
) -> Plan:
    """The measures the precomputed counts answer exactly here, by the rows that answer
    them (one query serves contacts and cases when their rows are the same); empty when the
    counts cannot answer (the reader's scope, the filters, or counts not current)."""
    members = precomputed.answerable(chosen)
    if not members or not settings.XF_STATS_ROLLUP or not sees_everything(user):
        return {}
    plan: Plan = {}
    for base in (Base.CONTACT, Base.CASE):
        of_base = [m for m in members if m.base == base]
        part = precomputed.slice_for(filters, dimension, base) if of_base else None
        if part is not None:
            plan.setdefault(part, []).extend(of_base)
    if plan and not precomputed.ready():
        return {}
    return plan


def _counted(plan: Plan, window: Window, *, grouped: bool) -> dict[Any, dict[str, int]]:
    result: dict[Any, dict[str, int]] = {}
    for part, members in plan.items():
        for value, values in precomputed.counts(part, members, window, grouped=grouped).items():
            result.setdefault(value, {}).update(values)
    return result


def _planned(plan: Plan) -> set[str]:
    return {m.key for members in plan.values() for m in members}


@dataclass
class Figures:
    """The values of some measures for one set of filters; rates computed from them."""

    values: dict[str, int]
    rate_list: list[Rate] = field(default_factory=rates)

    def __getitem__(self, key: str) -> int:
        return self.values[key]

    def get(self, key: str) -> int | None:
        return self.values.get(key)

    def rate(self, rate: Rate) -> float | None:
        """The rate in percent; None when pending, not computed, or nothing to divide by."""
        if rate.pending:
            return None
        numerator, denominator = self.values.get(rate.numerator), self.values.get(rate.denominator)
        if numerator is None or not denominator:
            return None
        return 100.0 * numerator / denominator

    def rates(self) -> dict[str, float | None]:
        return {rate.key: self.rate(rate) for rate in self.rate_list}

    def plus(self, other: Figures) -> Figures:
        keys = self.values.keys() | other.values.keys()
        return Figures(
            {k: self.values.get(k, 0) + other.values.get(k, 0) for k in keys}, self.rate_list
        )


def needed_for_rates(keys: Iterable[str]) -> list[str]:
    """``keys`` plus every measure a rate divides, in registry order."""
    wanted = set(keys)
    for rate in rates():
        if not rate.pending:
            wanted |= {rate.numerator, rate.denominator}
    return [key for key in MEASURES if key in wanted]


def figures(
    user: AnyUser,
    filters: StatsFilters,
    *,
    keys: Iterable[str] | None = None,
    today: dt.date | None = None,
) -> Figures:
    """The values of ``keys`` (all measures by default): one query over contacts, one over
    cases."""
    window = Window(filters.period, today or timezone.localdate())
    chosen = _measures(keys)
    values: dict[str, int] = {}
    with computation():
        plan = _plan(user, filters, None, chosen)
        values.update(_counted(plan, window, grouped=False).get(None, {}))
        direct = [m for m in chosen if m.key not in _planned(plan)]
        for base, scope in ((Base.CONTACT, contact_scope), (Base.CASE, case_scope)):
            for condition, group in _by_index([m for m in direct if m.base == base], window):
                rows = _narrowed(scope(user, filters), condition)
                result = rows.aggregate(**_aggregates(group, window, condition))
                values.update({key: int(value or 0) for key, value in result.items()})
    return Figures(values)


# --- breakdowns ----------------------------------------------------------------------------

#: The column each base groups by, per dimension (None: the dimension does not apply).
GROUP_COLUMNS: dict[Dimension, dict[Base, str | None]] = {
    Dimension.REGION: {Base.CONTACT: "case__region_id", Base.CASE: "region_id"},
    Dimension.CATEGORY: {
        Base.CONTACT: "case__content_category_id",
        Base.CASE: "content_category_id",
    },
    Dimension.UNIT: {Base.CONTACT: "case__handling_unit_id", Base.CASE: "handling_unit_id"},
    Dimension.RECEPTION: {Base.CONTACT: "reception_unit_id", Base.CASE: None},
    Dimension.CHANNEL: {Base.CONTACT: "channel", Base.CASE: "channel"},
    Dimension.HANDLING: {
        Base.CONTACT: "case__handling_category",
        Base.CASE: "handling_category",
    },
}


@dataclass
class Row:
    group: rollup.Group
    figures: Figures


@dataclass
class Breakdown:
    dimension: Dimension
    rows: list[Row]
    total: Figures
    keys: list[str]


def _grouped(
    user: AnyUser,
    filters: StatsFilters,
    dimension: Dimension,
    chosen: list[Measure],
    window: Window,
) -> dict[Any, dict[str, int]]:
    """{group value: {measure: value}}: from the precomputed counts where they answer, else
    with one GROUP BY query per base."""
    plan = _plan(user, filters, dimension, chosen)
    result = _counted(plan, window, grouped=True)
    direct = [m for m in chosen if m.key not in _planned(plan)]
    for base, scope in ((Base.CONTACT, contact_scope), (Base.CASE, case_scope)):
        column = GROUP_COLUMNS[dimension][base]
        if column is None:
            continue
        for condition, group in _by_index([m for m in direct if m.base == base], window):
            rows = _narrowed(scope(user, filters), condition).values(column)
            for item in rows.annotate(**_aggregates(group, window, condition)).order_by():
                values = result.setdefault(item.pop(column), {})
                values.update({key: int(value or 0) for key, value in item.items()})
    return result


def _month_bucket(column: str, months: list[Period]) -> Case_:
    """The index of the month a row's ``column`` falls in (timestamps by local midnight)."""
    if column == "occurred_at":
        limits: list[Any] = [month.bounds()[1] for month in months]
        whens = [When(**{f"{column}__lt": limit}, then=Value(i)) for i, limit in enumerate(limits)]
    else:
        whens = [When(**{f"{column}__lte": m.end}, then=Value(i)) for i, m in enumerate(months)]
    return Case_(*whens, default=Value(-1), output_field=IntegerField())


def _by_month(
    user: AnyUser, filters: StatsFilters, chosen: list[Measure], today: dt.date
) -> list[Row]:
    """Each month of the period as its own period. Measures the precomputed counts answer,
    and those without a single date column, month by month; the others in one query GROUP BY
    month."""
    months = filters.period.months()
    counts: list[dict[str, int]] = [{} for _ in months]
    window = Window(filters.period, today)
    planned = _planned(_plan(user, filters, Dimension.MONTH, chosen))
    bucketed = [m for m in chosen if m.bucket and m.key not in planned]
    for base, scope in ((Base.CONTACT, contact_scope), (Base.CASE, case_scope)):
        for column in {m.bucket for m in bucketed if m.base == base}:
            group = [m for m in bucketed if m.base == base and m.bucket == column]
            for condition, members in _by_index(group, window):
                grouped = (
                    _narrowed(scope(user, filters), condition)
                    .annotate(st_month=_month_bucket(column, months))
                    .values("st_month")
                    .annotate(**_aggregates(members, window, condition))
                    .order_by()
                )
                for item in grouped:
                    index = item.pop("st_month")
                    if 0 <= index < len(months):
                        counts[index].update({k: int(v or 0) for k, v in item.items()})
    others = [m.key for m in chosen if m not in bucketed]
    result = []
    for index, month in enumerate(months):
        values = {m.key: 0 for m in bucketed} | counts[index]
        if others:
            values |= figures(user, filters.with_period(month), keys=others, today=today).values
        result.append(Row(rollup.month_group(month), Figures(values)))
    return result


def breakdown(
    user: AnyUser,
    filters: StatsFilters,
    dimension: Dimension,
    *,
    keys: Iterable[str] | None = None,
    today: dt.date | None = None,
) -> Breakdown:
    """The figures by ``dimension``: by month (each month its own period), or grouped by a
    column and rolled up to the level below the filter's node (region, category, unit)."""
    with computation():
        return _breakdown(user, filters, dimension, keys=keys, today=today or timezone.localdate())


def _breakdown(
    user: AnyUser,
    filters: StatsFilters,
    dimension: Dimension,
    *,
    keys: Iterable[str] | None,
    today: dt.date,
) -> Breakdown:
    requested = list(MEASURES) if keys is None else list(keys)
    chosen = _measures(requested)
    if dimension == Dimension.RECEPTION:  # a case has no single reception point
        chosen = [m for m in chosen if m.base == Base.CONTACT]
    chosen_keys = [m.key for m in chosen]
    if dimension == Dimension.MONTH:
        rows = _by_month(user, filters, chosen, today)
    else:
        window = Window(filters.period, today)
        # Groups with nothing to count are left out before the tree is rolled up: which
        # values are present decides the level shown, and must not depend on how the figures
        # were read (a GROUP BY over the cases received by the period's end lists every one).
        grouped = {
            value: counts
            for value, counts in _grouped(user, filters, dimension, chosen, window).items()
            if any(counts.values())
        }
        groups = rollup.groups_for(dimension, list(grouped), filters, user)
        merged: dict[str, Row] = {}
        for value, counts in grouped.items():
            group = groups[value]
            figures_of = Figures({m.key: counts.get(m.key, 0) for m in chosen})
            row = merged.get(group.key)
            merged[group.key] = Row(group, row.figures.plus(figures_of) if row else figures_of)
        rows = sorted(merged.values(), key=lambda r: r.group.order)
    total = Figures({m.key: 0 for m in chosen})
    for row in rows:
        total = total.plus(row.figures)
    shown = [key for key in requested if key in chosen_keys or MEASURES[key].is_pending]
    return Breakdown(dimension, rows, total, shown)


# --- drill-down: the rows behind a figure ---------------------------------------------------


def measure_rows(
    user: AnyUser, filters: StatsFilters, measure: Measure, *, today: dt.date | None = None
) -> QuerySet[Any]:
    """Exactly the rows ``measure`` counts (contacts or cases) for these filters."""
    window = Window(filters.period, today or timezone.localdate())
    condition = _condition(measure)(window)
    if measure.base == Base.CONTACT:
        return contact_scope(user, filters).filter(condition)
    return case_scope(user, filters).filter(condition)


@dataclass(frozen=True)
class DrillPage:
    rows: list[Any]  # Contact or Case
    next_cursor: str | None
    previous_cursor: str | None


def _stamp(measure: Measure) -> str:
    return "occurred_at" if measure.base == Base.CONTACT else "registered_at"


def _page_rows(rows: QuerySet[Any], measure: Measure) -> QuerySet[Any]:
    if measure.base == Base.CONTACT:
        return rows.select_related("case", "reception_unit").only(
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
    return rows.select_related("region", "content_category", "handling_unit").only(
        "number",
        "title",
        "channel",
        "people_count",
        "status",
        "received_on",
        "registered_at",
        "due_on",
        "tier",
        "due_explanation",
        "due_provisional",
        "contact_count",
        "involves_litigation",
        "region__name",
        "content_category__name",
        "handling_unit__name",
    )


def drill_page(
    user: AnyUser,
    filters: StatsFilters,
    measure: Measure,
    *,
    after: str = "",
    before: str = "",
    size: int = 50,
    today: dt.date | None = None,
) -> DrillPage:
    """One page of the rows behind a figure, newest first, by keyset (no OFFSET, no COUNT)."""
    stamp = _stamp(measure)
    rows = measure_rows(user, filters, measure, today=today)
    after_cursor, before_cursor = Cursor.decode(after), Cursor.decode(before)
    if before_cursor is not None:
        at = before_cursor.registered_at
        newer = rows.filter(**{f"{stamp}__gte": at}).filter(
            Q(**{f"{stamp}__gt": at}) | Q(id__gt=before_cursor.id)
        )
        found = list(_page_rows(newer, measure).order_by(stamp, "id")[: size + 1])
        has_newer = len(found) > size
        found = list(reversed(found[:size]))
        return DrillPage(
            found,
            _cursor(found[-1], stamp) if found else None,
            _cursor(found[0], stamp) if found and has_newer else None,
        )
    if after_cursor is not None:
        at = after_cursor.registered_at
        rows = rows.filter(**{f"{stamp}__lte": at}).filter(
            Q(**{f"{stamp}__lt": at}) | Q(id__lt=after_cursor.id)
        )
    found = list(_page_rows(rows, measure).order_by(f"-{stamp}", "-id")[: size + 1])
    has_older = len(found) > size
    found = found[:size]
    return DrillPage(
        found,
        _cursor(found[-1], stamp) if found and has_older else None,
        _cursor(found[0], stamp) if found and after_cursor else None,
    )


def _cursor(row: Any, stamp: str) -> str:
    return Cursor(registered_at=getattr(row, stamp), id=row.pk).encode()


# --- the unit accountability table ---------------------------------------------------------

UNIT_KEYS = (
    "cases_received",
    "handling_due",
    "handling_on_time",
    "overdue_now",
    "severe_now",
    "served",
    "evaluated",
    "satisfied",
    "repeat_cases",
    "supervised",
    "supervision_answered",
)


def unit_table(user: AnyUser, filters: StatsFilters, *, today: dt.date | None = None) -> Breakdown:
    """单位履责情况: per 主办单位 (rolled up below the chosen unit), the cases received, done
    on time, overdue, satisfaction, repeats, and the cases supervised (督办) and answered."""
    return breakdown(user, filters, Dimension.UNIT, keys=UNIT_KEYS, today=today)
