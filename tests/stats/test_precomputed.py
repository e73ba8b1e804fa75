"""The precomputed daily counts give exactly the direct count: on a seeded random set of cases
(two rule sets and an unknown one, extensions, 交办, ratings, contacts at day boundaries), for
many periods, every filter and every breakdown; after writes of every kind; when stale; and
they step aside when they cannot answer."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.cases.workflow_cast import S, make_cast, walk_to
from tests.conftest import Units
from tests.stats.conftest import Places, at, visit
from xinfang.accounts.models import Region, User
from xinfang.audit.models import AuditEvent
from xinfang.cases.enums import (
    Channel,
    HandlingCategory,
)
from xinfang.cases.models import CalendarOverride, Case, Contact, ContentCategory
from xinfang.portal.enums import EvaluationChannel, EvaluationTarget
from xinfang.portal.models import Evaluation
from xinfang.stats import services, tasks
from xinfang.stats.enums import Dimension
from xinfang.stats.facts import CASE_FACT_COLUMNS, COUNT_COLUMNS, KEY_COLUMNS
from xinfang.stats.measures import MEASURES
from xinfang.stats.models import CaseFact, DayCount, DirtyCase, RepeatFact, RollupState
from xinfang.stats.periods import Period
from xinfang.stats.precomputed import ANSWERED
from xinfang.stats.queries import NO_UNIT, StatsFilters, breakdown, figures

D = dt.date.fromisoformat
TODAY = D("2026-11-26")
PERIODS = [
    Period.year(2026),
    Period(D("2026-01-01"), D("2026-06-30")),
    Period.month(2026, 10),  # the National Day break
    Period(D("2026-02-15"), D("2026-04-03")),
    Period(D("2026-06-30"), D("2026-06-30")),  # one day: contacts at 23:30 and 00:10
    Period(D("2025-11-01"), D("2026-11-30")),  # into the future: clocks cut at yesterday
]


def both_ways(settings: Any, compute: Any) -> tuple[Any, Any]:
    """``compute()`` from the precomputed counts, then from the cases."""
    settings.XF_STATS_ROLLUP = True
    counted = compute()
    settings.XF_STATS_ROLLUP = False
    direct = compute()
    settings.XF_STATS_ROLLUP = True
    return counted, direct


def read_counts(queries: CaptureQueriesContext) -> bool:
    """Whether any of the queries summed the daily counts."""
    return any('SUM("stats_daycount"' in query["sql"] for query in queries)


def rows_of(table: Any) -> list[tuple[str, dict[str, int]]]:
    return [(row.group.label, row.figures.values) for row in table.rows]


def filter_choices(places: Places, units: Units) -> list[dict[str, Any]]:
    return [
        {},
        {"region_code": "990102"},
        {"region_code": "990102", "region_exact": True},
        {"region_code": "9999"},  # no such region: nothing
        {"category_code": "03"},
        {"category_code": "0501", "category_exact": True},
        {"unit_id": units.office.pk},
        {"unit_id": units.unit_a.pk, "unit_exact": True},
        {"unit_id": NO_UNIT},
        {"handling_category": HandlingCategory.CLAIM},
        {"channel": Channel.LETTER},
        {"reception_id": units.hall.pk},
        {"region_code": "990102", "channel": Channel.VISIT},  # two dimensions: read directly
    ]


@pytest.mark.usefixtures("mixed")
@pytest.mark.parametrize("period", PERIODS, ids=str)
def test_every_total_under_every_filter_equals_the_direct_count(
    leader: User, places: Places, units: Units, settings: Any, period: Period
) -> None:
    for changes in filter_choices(places, units):
        filters = StatsFilters(period=period).narrowed(**changes)
        counted, direct = both_ways(
            settings, lambda f=filters: figures(leader, f, today=TODAY).values
        )
        assert counted == direct, changes


@pytest.mark.usefixtures("mixed")
@pytest.mark.parametrize("dimension", list(Dimension))
def test_every_breakdown_equals_the_direct_count(
    leader: User, settings: Any, dimension: Dimension
) -> None:
    for period in PERIODS[:4]:
        filters = StatsFilters(period=period)
        counted, direct = both_ways(
            settings, lambda f=filters: rows_of(breakdown(leader, f, dimension, today=TODAY))
        )
        assert counted == direct, period


@pytest.mark.usefixtures("mixed")
@pytest.mark.parametrize(
    ("dimension", "changes"),
    [
        (Dimension.REGION, {"region_code": "990102"}),
        (Dimension.CATEGORY, {"category_code": "03"}),
        (Dimension.UNIT, {"unit_id": "office"}),
        (Dimension.MONTH, {"channel": Channel.VISIT}),
        (Dimension.RECEPTION, {"reception_id": "hall"}),
        (Dimension.CATEGORY, {"region_code": "990102"}),  # another dimension: read directly
    ],
)
def test_a_breakdown_within_a_filter_equals_the_direct_count(
    leader: User, units: Units, settings: Any, dimension: Dimension, changes: dict[str, Any]
) -> None:
    named = {"office": units.office.pk, "hall": units.hall.pk}
    changes = {key: named.get(value, value) for key, value in changes.items()}
    filters = StatsFilters(period=PERIODS[0]).narrowed(**changes)

    counted, direct = both_ways(
        settings, lambda: rows_of(breakdown(leader, filters, dimension, today=TODAY))
    )

    assert counted == direct


@pytest.mark.usefixtures("mixed")
def test_the_settings_that_change_a_formula_change_the_counted_figure_too(
    leader: User, settings: Any
) -> None:
    filters = StatsFilters(period=PERIODS[0])
    for name, value in [
        ("XF_STATS_HANDLING_DONE", "replied"),
        ("XF_STATS_EVALUATION_TARGET", "office"),
        ("XF_STATS_SATISFIED_RATINGS", ["满意"]),
        ("XF_DUE_SEVERE_DAYS", 3),
    ]:
        setattr(settings, name, value)
        counted, direct = both_ways(settings, lambda: figures(leader, filters, today=TODAY).values)
        assert counted == direct, name


@pytest.mark.usefixtures("mixed")
def test_a_year_of_the_counted_figures_reads_no_case_or_contact_row(leader: User) -> None:
    keys = [key for key in MEASURES if key in ANSWERED]
    year = StatsFilters(period=PERIODS[0])
    figures(leader, year, keys=keys, today=TODAY)  # folds the queue

    with CaptureQueriesContext(connection) as queries:
        by_region = breakdown(leader, year, Dimension.REGION, keys=keys, today=TODAY)
        totals = figures(leader, year, keys=keys, today=TODAY)

    sql = " ".join(query["sql"] for query in queries)
    assert read_counts(queries)
    assert '"cases_case"' not in sql
    assert '"cases_contact"' not in sql
    assert by_region.total.values == totals.values


@pytest.mark.usefixtures("mixed")
def test_a_leader_of_another_unit_reads_the_cases(leader_b: User) -> None:
    with CaptureQueriesContext(connection) as queries:
        figures(leader_b, StatsFilters(period=PERIODS[0]), today=TODAY)

    assert not read_counts(queries)


# --- kept in step with every kind of write ---------------------------------------------------


def counted_state() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The daily counts without empty rows, and every case fact, in a stable order."""
    days = sorted(
        row
        for row in DayCount.objects.values_list(*KEY_COLUMNS, *COUNT_COLUMNS)
        if any(row[len(KEY_COLUMNS) :])
    )
    facts = sorted(CaseFact.objects.values_list(*CASE_FACT_COLUMNS))
    return days, facts


def test_writes_of_every_kind_are_folded_into_the_counts(
    mixed: list[Case],
    leader: User,
    places: Places,
    units: Units,
    clerk: User,
    handler: User,
    outsider: User,
    region: Region,
    category: ContentCategory,
    settings: Any,
) -> None:
    year = StatsFilters(period=PERIODS[0])
    figures(leader, year, today=TODAY)  # folds everything so far
    assert not DirtyCase.objects.exists()

    Case.objects.filter(pk__in=[c.pk for c in mixed[:10]]).update(region=places.other)
    moved = Case.objects.get(pk=mixed[10].pk)
    moved.handling_unit = units.unit_b
    moved.save()
    visit(mixed[11], at("2026-05-01"), people=7, repeat=True)
    Contact.objects.filter(case=mixed[12]).delete()
    Contact.objects.filter(case=mixed[13]).update(occurred_at=at("2026-03-03", "23:59"))
    Evaluation.objects.create(
        case=mixed[14],
        target=EvaluationTarget.ORGAN,
        rating="不满意",
        channel=EvaluationChannel.PHONE,
        created_at=at("2026-11-20"),
    )
    Case.objects.filter(pk=mixed[15].pk).update(served_on=D("2026-06-01"), status=S.SERVED)
    Case.objects.filter(pk=mixed[16].pk).delete()
    cast = make_cast(units, clerk, handler, leader, outsider, region, category)
    walk_to(cast, S.SERVED)  # registration, transfer, acceptance, opinion, service
    walk_to(cast, S.TERMINATED)  # 复查, 复核, hearing, 终结
    assert DirtyCase.objects.exists()

    for period in PERIODS:
        filters = StatsFilters(period=period)
        counted, direct = both_ways(settings, lambda f=filters: figures(leader, f).values)
        assert counted == direct, period
        counted, direct = both_ways(
            settings, lambda f=filters: rows_of(breakdown(leader, f, Dimension.REGION))
        )
        assert counted == direct, period
    assert not DirtyCase.objects.exists()

    folded = counted_state()
    services.rebuild_rollup(actor=None)
    assert counted_state() == folded


def test_the_tier_sweep_notes_no_case(mixed: list[Case]) -> None:
    services.fold_changes(limit=None)

    Case.objects.update(tier="overdue")

    assert not DirtyCase.objects.exists()


def test_a_page_folds_a_short_queue_itself_and_leaves_a_long_one_to_the_task(
    mixed: list[Case], leader: User, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    year = StatsFilters(period=PERIODS[0])
    monkeypatch.setattr(services, "PAGE_FOLD_LIMIT", 5)
    assert DirtyCase.objects.count() > 5

    with CaptureQueriesContext(connection) as queries:
        long_queue = figures(leader, year, today=TODAY).values
    assert not read_counts(queries)
    assert DirtyCase.objects.exists()

    assert tasks.keep_statistics_current.call_local() > 0
    assert not DirtyCase.objects.exists()
    Case.objects.filter(pk=mixed[0].pk).update(region=mixed[1].region)
    with CaptureQueriesContext(connection) as queries:
        short_queue = figures(leader, year, today=TODAY).values
    assert read_counts(queries)
    assert not DirtyCase.objects.exists()
    settings.XF_STATS_ROLLUP = False
    assert short_queue == figures(leader, year, today=TODAY).values
    assert long_queue["cases_received"] == short_queue["cases_received"]


def test_folding_costs_the_same_queries_for_one_changed_case_and_three(
    mixed: list[Case],
) -> None:
    services.fold_changes(limit=None)
    came_again = list(RepeatFact.objects.values_list("case_id", flat=True)[:4])

    def cost(case_ids: list[int]) -> int:
        Case.objects.filter(pk__in=case_ids).update(extension_days=45)
        with CaptureQueriesContext(connection) as queries:
            services.fold_changes(limit=None)
        return len(queries)

    assert cost(came_again[:1]) == cost(came_again[1:4])


def test_a_holiday_change_makes_the_counts_stale_until_they_are_rebuilt(
    mixed: list[Case], leader: User, settings: Any
) -> None:
    year = StatsFilters(period=PERIODS[0])
    figures(leader, year, today=TODAY)
    CalendarOverride.objects.create(day=D("2026-10-09"), is_workday=False, name="地方节日")
    assert RollupState.objects.get().stale

    with CaptureQueriesContext(connection) as queries:
        stale = figures(leader, year, today=TODAY).values
    assert not read_counts(queries)
    settings.XF_STATS_ROLLUP = False
    assert stale == figures(leader, year, today=TODAY).values  # exact: read from the cases

    settings.XF_STATS_ROLLUP = True
    tasks.keep_statistics_current.call_local()  # the task rebuilds stale counts
    assert not RollupState.objects.get().stale
    counted, direct = both_ways(settings, lambda: figures(leader, year, today=TODAY).values)
    assert counted == direct == stale


def test_a_trigger_lost_to_a_table_rebuild_comes_back_after_migrate_and_marks_the_counts_stale(
    mixed: list[Case],
) -> None:
    from xinfang.stats.apps import _ensure_triggers
    from xinfang.stats.triggers import existing

    services.fold_changes(limit=None)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute('DROP TRIGGER "stats_case_updated" ON "cases_case"')
        else:
            cursor.execute('DROP TRIGGER "stats_case_updated"')
    assert "stats_case_updated" not in existing(connection)

    _ensure_triggers(using="default")

    assert "stats_case_updated" in existing(connection)
    assert RollupState.objects.get().stale


def test_the_rebuild_command_recomputes_everything_and_is_audited(
    mixed: list[Case], capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("rebuild_statistics")

    assert not DirtyCase.objects.exists()
    assert CaseFact.objects.count() == len(mixed)
    event = AuditEvent.objects.filter(event="stats.rebuild").latest("seq")
    assert event.detail["cases"] == len(mixed)
    assert "统计预汇总已重建" in capsys.readouterr().out
