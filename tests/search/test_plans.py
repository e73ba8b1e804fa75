"""Both search plans find the same cases: the index walked first, or a small scope read first and
its stored texts searched. Whatever the filter's selectivity and whoever searches, each returns
exactly what a substring scan of the visible cases returns, ranks them alike and pages alike."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from tests.conftest import Units
from tests.factories import CaseFactory
from xinfang.accounts.models import User
from xinfang.cases.access import accuser_withheld
from xinfang.cases.enums import CaseStatus, Channel
from xinfang.cases.models import Case
from xinfang.cases.queries import CaseFilters, cases_visible_to
from xinfang.search import queries
from xinfang.search.analyzer import parse_query, substring_match
from xinfang.search.documents import case_texts
from xinfang.search.queries import (
    PAGE_SIZE,
    Order,
    estimated_matches,
    match_sql,
    plan,
    received_id_range,
    scope_first_sql,
    search_page,
)
from xinfang.search.termstats import refresh_term_statistics

WORDS = ("小区物业乱收费", "小区停车位被占", "物业不维修电梯", "拖欠工资未结清", "征地补偿款")
QUERIES = ("物业", "小区 停车", "拖欠工资", "补偿款", "物", "a3-区", "根本没有的词")
TODAY = dt.date(2026, 11, 20)


@pytest.fixture
def corpus(units: Units, clerk: User, handler: User) -> list[int]:
    """72 cases over three statuses, two channels and six days, registered by the office or
    by unit A, half of them handled by unit A; every fourth one accuses unit A (its text is
    withheld from unit A though unit A handles it); some carry an ASCII term."""
    ids = []
    for n in range(72):
        words = WORDS[n % len(WORDS)] + ("，" + WORDS[(n // 5) % len(WORDS)] if n % 3 else "")
        case = CaseFactory(
            registered_by=handler if n % 2 else clerk,
            title=f"第{n}号 {words}",
            request="A3-区" if n % 7 == 0 else "请求依法处理。",
            status=(CaseStatus.IN_HANDLING, CaseStatus.CLOSED, CaseStatus.REGISTERED)[n % 3],
            channel=Channel.LETTER if n % 5 == 0 else Channel.VISIT,
            received_on=TODAY - dt.timedelta(days=n % 6),
            registered_at=timezone.now() + dt.timedelta(seconds=n),
            handling_unit=units.unit_a if n % 2 == 0 else None,
            accused_unit=units.unit_a if n % 4 == 0 else None,
        )
        ids.append(case.pk)
    return ids


FILTERS = (
    CaseFilters(),
    CaseFilters(status=CaseStatus.IN_HANDLING),
    CaseFilters(channel=Channel.LETTER),
    CaseFilters(received_from=TODAY - dt.timedelta(days=1), received_to=TODAY),
    CaseFilters(status=CaseStatus.CLOSED, channel=Channel.LETTER),
)


def _scope(user: User, filters: CaseFilters) -> list[int]:
    cases = filters.apply(cases_visible_to(user)).exclude(accuser_withheld(user))
    return sorted(cases.values_list("id", flat=True), reverse=True)


def _substring_scan(user: User, raw: str, filters: CaseFilters) -> list[int]:
    query = parse_query(raw)
    texts = {text.case_id: text.fields() for text in case_texts(_scope(user, filters))}
    return sorted(
        (pk for pk, fields in texts.items() if substring_match(query, fields)), reverse=True
    )


def _scope_of(user: User, filters: CaseFilters) -> QuerySet[Case]:
    scope = queries._scope(user, filters)
    assert scope is not None
    return scope


def _both_plans(user: User, raw: str, filters: CaseFilters) -> tuple[list[int], list[int]]:
    query = parse_query(raw)
    scope = _scope_of(user, filters)
    index_first = queries._ids(match_sql(scope, query, id_range=received_id_range(filters)))
    scope_first = queries._ids(scope_first_sql(_scope(user, filters), query))
    return index_first, scope_first


@pytest.mark.parametrize("filters", FILTERS)
def test_both_plans_find_exactly_what_a_substring_scan_finds(
    corpus: list[int], clerk: User, handler: User, outsider: User, filters: CaseFilters
) -> None:
    found_any = 0
    for user in (clerk, handler, outsider):
        for raw in QUERIES:
            expected = _substring_scan(user, raw, filters)
            assert _both_plans(user, raw, filters) == (expected, expected), (user, raw)
            found_any += len(expected)
    assert found_any > 0


def test_unit_a_finds_neither_way_the_cases_that_accuse_it(
    corpus: list[int], clerk: User, handler: User
) -> None:
    accusing = set(corpus[::4])
    index_first, scope_first = _both_plans(handler, "物业", CaseFilters())
    assert index_first == scope_first
    assert index_first
    assert not accusing & set(index_first)
    assert accusing & set(_both_plans(clerk, "物业", CaseFilters())[1])  # they do match


def test_both_plans_rank_the_same_window_the_same_way(corpus: list[int], clerk: User) -> None:
    for raw in ("物业", "小区 停车", "拖欠工资"):
        query = parse_query(raw)
        index_first = queries._window(match_sql(_scope_of(clerk, CaseFilters()), query))
        scope_first = queries._window(scope_first_sql(_scope(clerk, CaseFilters()), query))
        assert index_first == scope_first
        assert len(index_first) > 10


def _newest_pages(user: User, raw: str, filters: CaseFilters) -> list[list[int]]:
    """Every page newest first, following the next links, then back along the previous ones."""
    query = parse_query(raw)
    pages = [search_page(user, query, filters, order=Order.NEWEST)]
    while pages[-1].next_after is not None:
        pages.append(
            search_page(user, query, filters, order=Order.NEWEST, after=pages[-1].next_after)
        )
    back = [pages[-1]]
    while back[-1].previous_before is not None:
        back.append(
            search_page(user, query, filters, order=Order.NEWEST, before=back[-1].previous_before)
        )
    assert [[hit.case.pk for hit in page.hits] for page in reversed(back)] == [
        [hit.case.pk for hit in page.hits] for page in pages
    ]
    return [[hit.case.pk for hit in page.hits] for page in pages]


@pytest.mark.parametrize(
    "filters", [CaseFilters(), CaseFilters(received_from=TODAY - dt.timedelta(days=3))]
)
def test_newest_first_pages_are_the_same_under_either_plan(
    corpus: list[int], clerk: User, monkeypatch: pytest.MonkeyPatch, filters: CaseFilters
) -> None:
    expected = _substring_scan(clerk, "号", filters)
    assert len(expected) > 2 * PAGE_SIZE
    by_plan = {}
    for below in (0, 10_000):  # never, always scope first
        monkeypatch.setattr(queries, "SCOPE_FIRST_BELOW", below)
        assert plan(_scope_of(clerk, filters), parse_query("号"), filters).scope_first == bool(
            below
        )
        by_plan[below] = _newest_pages(clerk, "号", filters)
        assert [pk for page in by_plan[below] for pk in page] == expected
    assert by_plan[0] == by_plan[10_000]
    assert len(by_plan[0]) == -(-len(expected) // PAGE_SIZE)


def test_relevance_pages_and_counts_are_the_same_under_either_plan(
    corpus: list[int], clerk: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    query = parse_query("物业")
    seen = []
    for below in (0, 10_000):
        monkeypatch.setattr(queries, "SCOPE_FIRST_BELOW", below)
        pages = [search_page(clerk, query, CaseFilters(), page=n) for n in (1, 2)]
        seen.append([(p.total, p.has_next, [hit.case.pk for hit in p.hits]) for p in pages])
    assert seen[0] == seen[1]
    assert seen[0][0][0] == len(_substring_scan(clerk, "物业", CaseFilters()))


def test_a_small_scope_is_read_first_and_a_large_one_is_not(
    corpus: list[int], clerk: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queries, "SCOPE_FIRST_BELOW", 10)
    query = parse_query("物业")
    narrow = CaseFilters(status=CaseStatus.CLOSED, channel=Channel.LETTER)
    chosen = plan(_scope_of(clerk, narrow), query, narrow)
    assert chosen.scope_ids is not None
    assert sorted(chosen.scope_ids, reverse=True) == _scope(clerk, narrow)
    assert not plan(_scope_of(clerk, CaseFilters()), query, CaseFilters()).scope_first


def test_words_the_statistics_call_rare_walk_the_index_without_reading_the_scope(
    corpus: list[int], clerk: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queries, "estimated_matches", lambda query: 3)
    letters = CaseFilters(channel=Channel.LETTER)
    scope = _scope_of(clerk, letters)
    assert not plan(scope, parse_query("物业"), letters).scope_first
    monkeypatch.setattr(queries, "estimated_matches", lambda query: None)
    assert plan(scope, parse_query("物业"), letters).scope_first


def test_a_received_date_range_bounds_the_walk_by_the_ids_received_then(
    corpus: list[int], clerk: User
) -> None:
    two_days = CaseFilters(
        received_from=TODAY - dt.timedelta(days=2), received_to=TODAY - dt.timedelta(days=1)
    )
    low, high = received_id_range(two_days) or (0, 0)
    received = _scope(clerk, two_days)
    assert (low, high) == (min(received), max(received))
    assert received_id_range(CaseFilters(received_to=TODAY)) is None  # open-ended: not read
    nobody = CaseFilters(
        received_from=TODAY + dt.timedelta(days=1), received_to=TODAY + dt.timedelta(days=9)
    )
    assert received_id_range(nobody) == (1, 0)
    assert queries.search_ids(clerk, parse_query("号"), nobody) == []
    assert queries.search_ids(clerk, parse_query("号"), two_days) == _substring_scan(
        clerk, "号", two_days
    )


def test_word_statistics_estimate_how_many_cases_hold_every_term(corpus: list[int]) -> None:
    assert estimated_matches(parse_query("物业")) is None  # never counted: unknown
    refresh_term_statistics()
    every_case = Case.objects.filter(pk__in=corpus)
    with_both = every_case.filter(title__contains="小区").filter(title__contains="停车").count()
    assert estimated_matches(parse_query("小区 停车")) == with_both > 0
    assert estimated_matches(parse_query("停车位被占")) == with_both
    assert estimated_matches(parse_query("根本没有")) == 0
    assert estimated_matches(parse_query("物 业")) is None  # single characters: no bigram


def test_the_index_is_asked_for_the_rarest_bigram_of_a_term_the_text_confirms() -> None:
    frequencies = {"拖欠": 90, "欠工": 40, "工资": 70, "小区": 500}
    assert queries.index_tsquery(parse_query("拖欠工资 小区"), frequencies) == "'欠工' & '小区'"
    assert queries.index_tsquery(parse_query("物 a-3"), {}) == "'物':* & 'a':* & '3':*"
    # A bigram never counted is the rarest of all.
    assert queries.index_tsquery(parse_query("物业管理"), {"物业": 9, "管理": 9}) == "'业管'"


def test_sqlite_ranks_each_term_by_its_rarest_bigram_and_a_short_one_as_it_is() -> None:
    frequencies = {"拖欠": 90, "欠工": 40, "工资": 70, "小区": 500}
    rank = queries.fts5_rank_expression(parse_query("拖欠工资 小区"), frequencies)
    assert rank == '"欠工" AND "小区"'
    assert queries.fts5_rank_expression(parse_query("物 a-3"), {}) == '"物"* AND "a"* AND "3"*'


@pytest.mark.skipif(connection.vendor != "sqlite", reason="INDEXED BY: SQLite only")
def test_sqlite_checks_each_match_against_the_scope_in_the_scope_index(
    corpus: list[int], clerk: User
) -> None:
    """Without statistics SQLite would read each match's case row, whose filter columns lie
    after its long texts; the scope index holds them (cases.0010)."""
    for filters in FILTERS:
        match = match_sql(_scope_of(clerk, filters), parse_query("拖欠工资"))
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + match.select(match.id_column), match.params)
            steps = " | ".join(str(row[-1]) for row in cursor.fetchall())
        assert "COVERING INDEX case_scope (id=?" in steps, steps


@pytest.mark.skipif(connection.vendor != "postgresql", reason="bands of ids: PostgreSQL only")
@pytest.mark.parametrize("estimate", [None, 1, 10_000_000])
def test_bands_of_ids_find_the_same_newest_matches_as_one_read(
    corpus: list[int], clerk: User, estimate: int | None
) -> None:
    for raw in ("号", "物业", "拖欠工资", "小区 停车"):
        query = parse_query(raw)
        expected = _substring_scan(clerk, raw, CaseFilters())
        match = match_sql(_scope_of(clerk, CaseFilters()), query, estimate=estimate)
        assert queries._ids(match) == expected
        for limit in (1, 5, 30):
            assert queries._ids(match, limit=limit) == expected[:limit], (raw, limit)
            oldest = queries._ids(match, newest_first=False, limit=limit)
            assert oldest == sorted(expected)[:limit], (raw, limit)


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="search_matches: PostgreSQL only")
def test_the_index_reader_keeps_an_exact_bitmap_of_a_common_words_matches() -> None:
    """With the default 4 MB a bitmap of a common word's matches at 1M cases turns lossy and
    every row of its pages is rechecked (search.0004)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT proconfig FROM pg_proc WHERE proname = 'search_matches'")
        (settings,) = cursor.fetchone()
    assert "work_mem=64MB" in settings
    assert "enable_seqscan=off" in settings
