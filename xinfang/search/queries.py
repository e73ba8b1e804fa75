"""Reads: full-text search over the cases a user may see.

Every search starts from :func:`cases_visible_to` and the case list's filters, compiled by Django
into a subquery that is joined to the index, so the database intersects visibility, filters and
text in one query and nobody can find a case they may not open. (The ORM does not model FTS5 or
our tsvector column; the SQL around the compiled scope is ours and takes values only as
parameters.)

How a query becomes index conditions (see :mod:`xinfang.search.analyzer`):

- SQLite FTS5: each run of a term is a phrase of its bigrams (``"物业 业管 管理"``), a run of
  one character a prefix (``"区"*``); all ANDed; ranked by bm25 (the title weighted most)
  of each term's rarest bigram.
- PostgreSQL: each run's bigrams ANDed in a tsquery literal (``'物业' & '业管' & '管理'``),
  a single character as a prefix (``'区':*``), found through the GIN index (by the function
  ``search_matches``, migration 0003, which keeps the planner on it); terms longer than two
  characters are then confirmed with ``strpos`` on the stored normalised text (positions in a
  tsvector are capped, so phrase operators could miss). Ranked by ts_rank.
- Either way, a term with punctuation between its runs (``a-3``) is confirmed on the stored
  text. The result is exactly the set a substring scan of the same fields would return.

Two plans give the same cases. Index first (the usual one): the index walks the words'
matches, newest first, and each is checked against the scope, so the walk grows with the
matches it takes to fill a page (a filter keeping one case in ten walks ten matches for each
result). Scope first: when the words are common and the scope is small (fewer than
``SCOPE_FIRST_BELOW`` cases: a narrow filter, a unit that sees few cases), the scope is read
through its own indexes and each case's stored normalised text is searched for every term
(``instr``/``strpos``: exactly the substring semantics above). Reading the scope's ids, up
to that many and only when word statistics say the words are common, chooses between them
(:func:`plan`). Index first over a received-date range walks only the matches between the
lowest and highest id received in it (:func:`received_id_range`): a month's cases are a
narrow band of ids, so the matches registered after it are skipped. On PostgreSQL the GIN
index gives its matches in no order and each costs a visit to its row for the case id, so the
walk reads bands of ids from the newest down, each as wide as the word statistics say it takes
to fill what is asked (:func:`_ranged_ids`): a common word's newest thousand cost about a
thousand rows, not every match.

Orders: newest first walks the matches by case id (ids follow registration) and stops after a
page; relevance ranks the newest ``RANK_WINDOW`` matches, so a page costs the same for a word
in ten cases or in a million; the same window gives its count. Counts stop at ``MAX_RESULTS``
("more than 500").
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from django.db import connection, models
from django.db.models import QuerySet

from xinfang.cases.access import accuser_withheld
from xinfang.cases.models import Case
from xinfang.cases.queries import CaseFilters, cases_visible_to
from xinfang.search.analyzer import ParsedQuery, QueryTerm, run_tokens
from xinfang.search.documents import FIELD_LABELS, texts_of
from xinfang.search.index import DOC_TABLE, FTS_TABLE
from xinfang.search.snippets import Snippet, excerpt, highlight, lead
from xinfang.search.termstats import frequencies_of, weights_for

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser
    from django.utils.safestring import SafeString

    from xinfang.accounts.models import User

PAGE_SIZE = 20
MAX_RESULTS = 500  # relevance order pages this far; narrow the query for more
MAX_PAGE = MAX_RESULTS // PAGE_SIZE
# bm25 column weights: title, request, facts and reasons, reply.
BM25_SCORE = f"-bm25({FTS_TABLE}, 4.0, 2.0, 1.0, 1.0)"
RANK_WINDOW = 1000  # relevance ranks the newest this many matches (see _window)
PG_MAX_ID = 2**63 - 1  # bigint
# Scope first when the scope holds fewer cases than this (its documents are read, scattered
# over the table: 3–15 µs a case). Deciding reads up to this many of the scope's ids, which
# costs most when its filter has no index of its own (a district: ~35 ms for 2000 at 1M).
SCOPE_FIRST_BELOW = 500
# … and the words are estimated to match at least this many documents: below it, walking the
# matches costs little whatever the scope, and the scope is not even counted.
SCOPE_FIRST_MATCHES = 10_000
# Index first over a received-date range: the range's lowest and highest case id bound the
# walk, read from the date index when the range is at most this long (see received_id_range).
ID_RANGE_MAX_DAYS = 92
# PostgreSQL index first: the first band of ids is expected to hold this many times the matches
# asked for (the scope and the other terms thin them); each further band is wider.
BAND_MARGIN = 2.0


class Order(models.TextChoices):
    RELEVANCE = "relevance", "按相关度"
    NEWEST = "newest", "按登记时间（新→旧）"


def _bigrams(run: str) -> list[str]:
    return run_tokens(run)[:-1] if len(run) > 1 else [run]


def _term_bigrams(term: QueryTerm) -> list[str]:
    """The bigrams of a term's runs of two characters or more (none for single characters)."""
    return [gram for run in term.runs if len(run) > 1 for gram in _bigrams(run)]


def _rarest(grams: list[str], frequencies: Mapping[str, int]) -> str:
    """The rarest of ``grams`` by ``frequencies`` (a bigram not counted is the rarest)."""
    return min(grams, key=lambda gram: frequencies.get(gram, 0))


def fts5_expression(query: ParsedQuery) -> str:
    """The FTS5 MATCH expression. Tokens hold only letters and digits, so quoting is safe."""
    parts = []
    for term in query.terms:
        for run in term.runs:
            if len(run) == 1:
                parts.append(f'"{run}"*')
            else:
                parts.append('"' + " ".join(_bigrams(run)) + '"')
    return " AND ".join(parts)


def fts5_rank_expression(query: ParsedQuery, frequencies: Mapping[str, int]) -> str:
    """What SQLite ranks the matches with: each term as its rarest bigram by ``frequencies``
    (a bigram not counted is rare), a term without one as the match expression has it. bm25
    first counts, over the whole index, the documents of every phrase it is given: for
    拖欠工资 as a phrase, every document holding its three bigrams, positions checked (32 ms
    at 1M); for one bigram, a read of its list (1–3 ms). Which cases match is the phrase's
    business (:func:`fts5_expression`); the rank weighs each term by its rarest bigram, as
    the PostgreSQL index is asked (:func:`index_tsquery`)."""
    parts = []
    for term in query.terms:
        grams = _term_bigrams(term)
        if grams:
            parts.append(f'"{_rarest(grams, frequencies)}"')
        else:
            parts.append(fts5_expression(ParsedQuery((term,))))
    return " AND ".join(parts)


def _rank_frequencies(query: ParsedQuery) -> dict[str, int]:
    """The word statistics of the query's bigrams, where a term has more than one."""
    grams = [gram for term in query.terms for gram in _term_bigrams(term)]
    return frequencies_of(grams) if len(grams) > len(query.terms) else {}


def tsquery_literal(query: ParsedQuery) -> str:
    parts = []
    for term in query.terms:
        for run in term.runs:
            if len(run) == 1:
                parts.append(f"'{run}':*")
            else:
                parts.extend(f"'{bigram}'" for bigram in _bigrams(run))
    return " & ".join(parts)


def index_tsquery(query: ParsedQuery, frequencies: Mapping[str, int]) -> str:
    """PostgreSQL: what the GIN index is asked for ``search_matches``. A term the stored text
    confirms (longer than two characters, see :func:`_checked_terms`) needs only one of its
    bigrams from the index, the rarest by ``frequencies`` (a bigram not counted is rare): the
    text check decides, so the cases found are the same, and the planner, which would take
    ``'拖欠' & '欠工' & '工资'`` for three independent words and expect a hundredth of their
    matches, estimates one word's matches well enough to AND them with a band of ids."""
    parts = []
    for term in query.terms:
        grams = _term_bigrams(term)
        if term.bigrams_only or not grams:
            parts.append(tsquery_literal(ParsedQuery((term,))))
        else:
            parts.append(f"'{_rarest(grams, frequencies)}'")
    return " & ".join(parts)


def _checked_terms(query: ParsedQuery, *, postgresql: bool) -> list[QueryTerm]:
    """Terms the index cannot decide alone on this database."""
    if postgresql:
        return [term for term in query.terms if not term.bigrams_only]
    return [term for term in query.terms if term.needs_check]


@dataclass(frozen=True)
class MatchSql:
    """The index joined to a scope of cases: an optional ``WITH`` head, ``FROM … WHERE …``,
    their parameters in statement order, and the column holding the matching case id."""

    head: str
    head_params: list[Any]
    from_where: str
    from_params: list[Any]
    id_column: str
    # What the rank is computed with: the FTS5 expression or the tsquery literal.
    expression: str = ""
    # Scope first: the scope's case ids, read once (paging narrows them, see _newest_page).
    scope_ids: tuple[int, ...] | None = None
    # Index first: the ids every case of the scope lies between, if known.
    id_range: tuple[int, int] | None = None
    # Scope first, once run (see plan): every match, newest first. Its documents are scattered
    # over the table, so they are read once per page, not once per count and once per page.
    found: tuple[int, ...] | None = None
    # PostgreSQL index first: read band by band of ids (see _ranged_ids); the estimated number
    # of documents holding every term sizes the bands (None: unknown, one band).
    ranged: bool = False
    estimate: int | None = None
    # SQLite index first, when the match expression is the rank expression (no term longer
    # than two characters): bm25 is computed along the walk of the matches, in one query.
    ranks_inline: bool = False

    @property
    def scope_first(self) -> bool:
        return self.scope_ids is not None

    @property
    def order_key(self) -> str:
        """What newest first sorts by. Scope first: ``+id`` so that SQLite looks the few
        documents up by id and sorts them, never walks the whole document index in order."""
        return f"+{self.id_column}" if self.scope_first else self.id_column

    @property
    def params(self) -> list[Any]:
        return [*self.head_params, *self.from_params]

    def in_band(self, low: int, high: int) -> list[Any]:
        """PostgreSQL index first: the parameters with ``search_matches`` asked for the ids
        between ``low`` and ``high`` (its bounds follow the tsquery, see _index_first)."""
        asked, _low, _high, *rest = self.from_params
        return [*self.head_params, asked, low, high, *rest]

    def select(self, columns: str, tail: str = "") -> str:
        return f"{self.head}SELECT {columns} {self.from_where} {tail}"

    def around(self, before: str, columns: str, tail: str, after: str) -> str:
        """The match as a derived table: ``{before}(SELECT {columns} … {tail}){after}``."""
        inner = f"SELECT {columns} {self.from_where} {tail}"
        return f"{self.head}{before}({inner}){after}"


def match_sql(
    scope: QuerySet[Case],
    query: ParsedQuery,
    *,
    id_range: tuple[int, int] | None = None,
    estimate: int | None = None,
) -> MatchSql:
    """Index first: the words' matches within ``scope``. Django compiles the visibility and
    filters into a subquery; values travel only as parameters, the SQL text is our constants
    plus Django's compiled SQL. ``id_range``: bounds every case of the scope lies within
    (see :func:`received_id_range`), so the index walks only the matches between them.
    ``estimate``: about how many documents hold every term (:func:`estimated_matches`)."""
    scope_sql, scope_params = scope.order_by().values("id").query.sql_with_params()
    return _index_first(scope_sql, list(scope_params), query, id_range, estimate)


def received_id_range(filters: CaseFilters) -> tuple[int, int] | None:
    """The lowest and highest id of the cases received in the filter's dates, when both ends
    are given and at most ``ID_RANGE_MAX_DAYS`` apart: two seeks per day in the
    ``(received_on, id)`` index (a month's 83,000 entries at 1M were read one by one before).
    Ids follow registration, which follows receipt, so the range of a month's cases holds
    few other cases: the index skips every match registered later."""
    start, end = filters.received_from, filters.received_to
    if start is None or end is None or (end - start).days > ID_RANGE_MAX_DAYS:
        return None
    days = [start + dt.timedelta(days=offset) for offset in range((end - start).days + 1)]
    if not days:
        return (1, 0)  # an empty range of dates
    table = connection.ops.quote_name(Case._meta.db_table)
    seek = f"(SELECT {{}}(id) FROM {table} WHERE received_on = %s)"  # noqa: S608
    columns = ", ".join(f"{seek.format('min')}, {seek.format('max')}" for _ in days)
    bounds = [
        case_id for case_id in _fetch(f"SELECT {columns}", _twice(days))[0] if case_id is not None
    ]
    if not bounds:
        return (1, 0)  # nobody received then: an empty range
    return int(min(bounds)), int(max(bounds))


def _twice(days: Sequence[dt.date]) -> list[Any]:
    return [connection.ops.adapt_datefield_value(day) for day in days for _ in range(2)]


def _index_first(
    scope_sql: str,
    scope_params: list[Any],
    query: ParsedQuery,
    id_range: tuple[int, int] | None,
    estimate: int | None = None,
) -> MatchSql:
    """The index joined to the scope.

    SQLite: FTS5 walks its matches in case-id order and each is looked up by primary key;
    CROSS JOIN keeps FTS5 the outer loop (else a selective-looking filter such as a status
    makes the planner walk cases and probe FTS5 per case). PostgreSQL: the GIN index yields
    the matching ids of a band of ids first (``search_matches``: the GIN index, ANDed with the
    primary key's range), then they meet the scope; the bands are read by :func:`_ranged_ids`.
    Left to itself the planner prices ``tsv @@ query`` as cheap and checks it row by row (a
    sequential scan, or the primary key), reading a TOASTed tsvector each time: 350 ms for a
    common word at 100k, minutes for a rare one at scale."""
    postgresql = connection.vendor == "postgresql"
    checked = [term.text for term in _checked_terms(query, postgresql=postgresql)]
    bounds = list(id_range) if id_range is not None else []
    if postgresql:
        tsquery = tsquery_literal(query)
        grams = [
            gram for term in _checked_terms(query, postgresql=True) for gram in _term_bigrams(term)
        ]
        asked = index_tsquery(query, frequencies_of(grams) if grams else {})
        low, high = id_range if id_range is not None else (0, PG_MAX_ID)
        return MatchSql(
            "",
            [],
            "FROM search_matches(%s::tsquery, %s, %s, %s::text[]) hits(case_id) "
            f"JOIN ({scope_sql}) scope ON scope.id = hits.case_id",
            [asked, low, high, checked, *scope_params],
            "hits.case_id",
            expression=tsquery,
            id_range=id_range,
            ranged=True,
            estimate=estimate,
        )
    expression = fts5_expression(query)
    scope_sql = _through_scope_index(scope_sql)
    rank = fts5_rank_expression(query, _rank_frequencies(query))
    join_doc = f" JOIN {DOC_TABLE} doc ON doc.case_id = {FTS_TABLE}.rowid" if checked else ""
    return MatchSql(
        "",
        [],
        f"FROM {FTS_TABLE} CROSS JOIN ({scope_sql}) scope ON scope.id = {FTS_TABLE}.rowid"
        f"{join_doc} WHERE {FTS_TABLE} MATCH %s"
        + (f" AND {FTS_TABLE}.rowid BETWEEN %s AND %s" if bounds else "")
        + "".join(" AND instr(doc.body, %s) > 0" for _ in checked),
        [*scope_params, expression, *bounds, *checked],
        f"{FTS_TABLE}.rowid",
        expression=rank,
        id_range=id_range,
        ranks_inline=rank == expression,
    )


SCOPE_INDEX = "case_scope"  # cases.Case.Meta.indexes: the id and what a scope filters on


def _through_scope_index(scope_sql: str) -> str:
    """SQLite: the scope's case read through ``case_scope`` (the id and the columns of the
    visibility rule and the list filters), one index seek per match instead of a read of a
    case row that holds them after its long texts. Without statistics SQLite's planner reads
    the row by its rowid; ``INDEXED BY`` tells it. The scope's own ``FROM`` comes first in
    the SQL Django compiles (its columns are the id alone)."""
    table = connection.ops.quote_name(Case._meta.db_table)
    return scope_sql.replace(f"FROM {table} ", f"FROM {table} INDEXED BY {SCOPE_INDEX} ", 1)


def scope_first_sql(scope_ids: Sequence[int], query: ParsedQuery) -> MatchSql:
    """Scope first: those of the scope's cases (``scope_ids``, read from the scope) whose
    stored normalised text holds every term. A substring test per case, so the result is by
    definition the substring scan's; each document is found by its case id."""
    terms = [term.text for term in query.terms]
    ids = tuple(scope_ids)
    if connection.vendor == "postgresql":
        return MatchSql(
            "",
            [],
            f"FROM {DOC_TABLE} doc WHERE doc.case_id = ANY(%s) AND "
            + " AND ".join("strpos(doc.body, %s) > 0" for _ in terms),
            [list(ids), *terms],
            "doc.case_id",
            expression=tsquery_literal(query),
            scope_ids=ids,
        )
    return MatchSql(
        "",
        [],
        f"FROM {DOC_TABLE} doc WHERE doc.case_id IN (SELECT value FROM json_each(%s)) AND "  # noqa: S608
        + " AND ".join("instr(doc.body, %s) > 0" for _ in terms),
        [json.dumps(ids), *terms],
        "doc.case_id",
        expression=fts5_rank_expression(query, _rank_frequencies(query)),
        scope_ids=ids,
    )


def estimated_matches(query: ParsedQuery) -> int | None:
    """About how many documents hold every term, from the word statistics (a term is at most
    as common as its rarest bigram); None when unknown (no statistics, or a term of single
    characters only, which bigrams cannot estimate)."""
    grams = [
        [run[i : i + 2] for run in term.runs for i in range(len(run) - 1)] for term in query.terms
    ]
    weights = weights_for(gram for term_grams in grams for gram in term_grams)
    if not weights.sample or not all(grams):
        return None
    return min(
        min(weights.estimated_documents(gram) for gram in term_grams) for term_grams in grams
    )


def small_scope_ids(scope: QuerySet[Case], estimate: int | None) -> list[int] | None:
    """The scope's case ids when reading the scope costs less than walking the matches: the
    words are common (``estimate``: :func:`estimated_matches`, None when unknown) and the
    scope holds fewer than ``SCOPE_FIRST_BELOW`` cases; else None. The read stops there, so
    deciding costs at most that many index entries or rows, and the scope is not read again."""
    if estimate is not None and estimate < SCOPE_FIRST_MATCHES:
        return None
    ids = list(scope.order_by().values_list("id", flat=True)[:SCOPE_FIRST_BELOW])
    return ids if len(ids) < SCOPE_FIRST_BELOW else None


def plan(scope: QuerySet[Case], query: ParsedQuery, filters: CaseFilters) -> MatchSql:
    """The cheaper of the two plans for these words in this scope (``filters``: what the
    scope was filtered by)."""
    estimate = estimated_matches(query)
    ids = small_scope_ids(scope, estimate)
    if ids is not None:
        return _run(scope_first_sql(ids, query))
    return match_sql(scope, query, id_range=received_id_range(filters), estimate=estimate)


def _run(match: MatchSql) -> MatchSql:
    """Scope first with its matches read (at most ``SCOPE_FIRST_BELOW``)."""
    return replace(match, found=tuple(_ids(match)))


def _fetch(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _scope(
    user: User | AnonymousUser,
    filters: CaseFilters,
    *,
    below: int | None = None,
    above: int | None = None,
) -> QuerySet[Case] | None:
    """Where every search starts: the visible cases and the list filters, optionally a range
    of ids (keyset paging); None when the user may see no case at all (administrators)."""
    # The text of a 检举控告 is the accuser's material: never searched (nor exported, nor shown
    # as a snippet) by the accused unit or a unit under it (第三十条、第四十六条).
    cases = filters.apply(cases_visible_to(user)).exclude(accuser_withheld(user))
    if below is not None:
        cases = cases.filter(id__lt=below)
    if above is not None:
        cases = cases.filter(id__gt=above)
    return None if cases.query.is_empty() else cases


def _ids(match: MatchSql, *, newest_first: bool = True, limit: int | None = None) -> list[int]:
    if match.found is not None:
        ids = list(match.found if newest_first else reversed(match.found))
        return ids if limit is None else ids[:limit]
    if match.ranged:
        return _ranged_ids(match, newest_first=newest_first, limit=limit)
    direction = "DESC" if newest_first else "ASC"
    tail = f"ORDER BY {match.order_key} {direction}"
    if limit is not None:
        tail += f" LIMIT {int(limit)}"
    return [int(row[0]) for row in _fetch(match.select(match.id_column, tail), match.params)]


def _document_id_range() -> tuple[int, int]:
    """The lowest and highest case id in the index ((1, 0) when it is empty)."""
    low, high = _fetch(f"SELECT min(case_id), max(case_id) FROM {DOC_TABLE}", [])[0]  # noqa: S608
    return (1, 0) if low is None else (int(low), int(high))


def _ranged_ids(match: MatchSql, *, newest_first: bool, limit: int | None) -> list[int]:
    """PostgreSQL index first: the matches in scope, newest (or oldest) first, read band by
    band of ids from that end. The GIN index yields a word's matches in no order and each
    costs a visit to its row (for the case id), so reading every match of a common word to
    keep the newest page costs in proportion to all its matches; a band holding about what is
    asked costs about that many. The first band is as wide as the word statistics say it
    takes to find ``BAND_MARGIN`` times ``limit`` matches; each next one as wide as the
    matches found so far say it takes to find the rest (at least twice the last). The bands
    cover the range without overlap, so the result is the same as one read of it all."""
    everything = _document_id_range()
    low, high = match.id_range if match.id_range is not None else everything
    low, high = max(low, everything[0]), min(high, everything[1])
    width = high - low + 1
    if limit is not None and match.estimate:
        per_id = match.estimate / max(everything[1] - everything[0] + 1, 1)
        width = max(math.ceil(BAND_MARGIN * limit / per_id), 1)
    direction = "DESC" if newest_first else "ASC"
    found: list[int] = []
    read = 0  # ids covered so far
    while low <= high and (limit is None or len(found) < limit):
        band = (
            (max(low, high - width + 1), high)
            if newest_first
            else (low, min(high, low + width - 1))
        )
        tail = f"ORDER BY {match.id_column} {direction}"
        if limit is not None:
            tail += f" LIMIT {int(limit - len(found))}"
        params = match.in_band(*band)
        found += [int(row[0]) for row in _fetch(match.select(match.id_column, tail), params)]
        read += band[1] - band[0] + 1
        if newest_first:
            high = band[0] - 1
        else:
            low = band[1] + 1
        if limit is not None and found:
            width = max(
                2 * width, math.ceil(BAND_MARGIN * (limit - len(found)) * read / len(found))
            )
        else:
            width *= 4
    return found


def search_ids(
    user: User | AnonymousUser,
    query: ParsedQuery,
    filters: CaseFilters,
    *,
    limit: int | None = None,
) -> list[int]:
    """Every matching visible case id (or the newest ``limit``), newest first."""
    scope = _scope(user, filters)
    if not query or scope is None:
        return []
    return _ids(plan(scope, query, filters), limit=limit)


Scored = list[tuple[int, float]]


def _window(match: MatchSql) -> Scored:
    """The newest ``RANK_WINDOW`` matches with their scores, best first (ties: newest first).
    Ranking every match of a common word costs time in proportion to the matches; the newest
    window keeps a page fast at any scale, and a narrower query ranks everything it finds."""
    if match.ranks_inline:
        window = f"ORDER BY {match.id_column} DESC LIMIT {RANK_WINDOW}"
        sql = match.select(f"{match.id_column}, {BM25_SCORE}", window)
        return _ranked([(int(row[0]), float(row[1])) for row in _fetch(sql, match.params)])
    # The window's ids first, then only they are scored: ts_rank reads only their tsvectors;
    # bm25 counts the documents of the rank expression's phrases (fts5_rank_expression), not
    # those of the longer phrases that found the matches.
    return _ranked(_scores(_ids(match, limit=RANK_WINDOW), match.expression))


def _ranked(scored: Scored) -> Scored:
    return sorted(scored, key=lambda pair: (-pair[1], -pair[0]))


def _scores(ids: list[int], expression: str) -> Scored:
    """The scores of these ids (``expression``: the plan's rank expression), whichever plan
    found them. SQLite: bm25 needs an FTS5 cursor over the whole expression (it counts each
    phrase's documents once per cursor), so one walk of its matches between the lowest and
    highest id keeps only these (``+rowid``: a membership test, not a lookup per id)."""
    if not ids:
        return []
    if connection.vendor == "postgresql":
        sql = (
            f"SELECT case_id, ts_rank(tsv, %s::tsquery, 1) FROM {DOC_TABLE} "  # noqa: S608
            "WHERE case_id = ANY(%s)"
        )
        params: list[Any] = [expression, ids]
    else:
        sql = (
            f"SELECT rowid, {BM25_SCORE} FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s "  # noqa: S608
            "AND rowid BETWEEN %s AND %s AND +rowid IN (SELECT value FROM json_each(%s))"
        )
        params = [expression, min(ids), max(ids), json.dumps(ids)]
    return [(int(row[0]), float(row[1])) for row in _fetch(sql, params)]


def _capped(counted: int) -> tuple[int, bool]:
    return min(counted, MAX_RESULTS), counted > MAX_RESULTS


def _count(match: MatchSql) -> tuple[int, bool]:
    """How many matched, counted up to MAX_RESULTS (+1 to know there are more). SQLite walks
    the newest matches first, where a recent filter (this month, 办理中) finds its cases."""
    if match.found is not None:
        return _capped(len(match.found))
    if match.ranged:
        return _capped(len(_ids(match, limit=MAX_RESULTS + 1)))
    order = f"ORDER BY {match.order_key} DESC " if connection.vendor != "postgresql" else ""
    sql = match.around("SELECT count(*) FROM ", "1", f"{order}LIMIT {MAX_RESULTS + 1}", " n")
    return _capped(int(_fetch(sql, match.params)[0][0]))


# --- the search page ------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    case: Case
    title: SafeString
    snippets: list[Snippet]


@dataclass(frozen=True)
class SearchPage:
    hits: list[Hit] = field(default_factory=list)
    total: int = 0
    total_capped: bool = False  # more than MAX_RESULTS matched
    page: int = 1
    has_next: bool = False
    next_after: int | None = None  # newest first: keyset on the case id
    previous_before: int | None = None


# What a hit shows (search/search.html) and its snippets are cut from: a case row has some
# sixty columns, and building each of them for twenty hits costs more than reading them.
HIT_COLUMNS = (
    "number", "status", "channel", "received_on", "title", "request", "facts_reasons", "draft",
    "region__name", "content_category__name", "registering_unit__name", "handling_unit__name",
)  # fmt: skip


def _load(ids: list[int]) -> list[Case]:
    rows = (
        Case.objects.select_related(
            "region", "content_category", "registering_unit", "handling_unit"
        )
        .only(*HIT_COLUMNS)
        .in_bulk(ids)
    )
    return [rows[pk] for pk in ids if pk in rows]


def _hits(cases: list[Case], query: ParsedQuery) -> list[Hit]:
    hits = []
    for case, text in zip(cases, texts_of(cases), strict=True):
        snippets = []
        for label, body in zip(FIELD_LABELS[1:], text.fields()[1:], strict=True):
            html = excerpt(body, query)
            if html is not None:
                snippets.append(Snippet(label, html))
        if not snippets and text.request:
            snippets.append(Snippet(FIELD_LABELS[1], lead(text.request)))
        hits.append(Hit(case=case, title=highlight(case.title, query), snippets=snippets[:2]))
    return hits


def _part(
    user: User | AnonymousUser,
    query: ParsedQuery,
    filters: CaseFilters,
    chosen: MatchSql,
    *,
    below: int | None = None,
    above: int | None = None,
) -> MatchSql | None:
    """The chosen plan over the part of the scope a keyset page reads: the plan that suits the
    whole scope suits a part of it. Scope first narrows the ids already read."""
    if chosen.scope_ids is None:
        scope = _scope(user, filters, below=below, above=above)
        if scope is None:
            return None
        id_range = chosen.id_range
        if chosen.ranged and (below is not None or above is not None):
            # The bands start at the page's edge, not at the newest (or oldest) match.
            low, high = id_range if id_range is not None else (0, PG_MAX_ID)
            id_range = (
                (low if above is None else max(low, above + 1)),
                (high if below is None else min(high, below - 1)),
            )
        return match_sql(scope, query, id_range=id_range, estimate=chosen.estimate)

    def within(case_id: int) -> bool:
        return (below is None or case_id < below) and (above is None or case_id > above)

    part = scope_first_sql([case_id for case_id in chosen.scope_ids if within(case_id)], query)
    if chosen.found is None:
        return part
    return replace(part, found=tuple(case_id for case_id in chosen.found if within(case_id)))


def _newest_page(
    user: User | AnonymousUser,
    query: ParsedQuery,
    filters: CaseFilters,
    chosen: MatchSql,
    *,
    after: int | None,
    before: int | None,
) -> SearchPage:
    """Newest first (case ids follow registration order), keyset on the id: the index walks
    its matches from the newest and stops after a page, however many there are."""
    total = _count(chosen)
    if before is not None:
        part = _part(user, query, filters, chosen, above=before)
        ids = _ids(part, newest_first=False, limit=PAGE_SIZE + 1) if part is not None else []
        more_newer = len(ids) > PAGE_SIZE
        ids = list(reversed(ids[:PAGE_SIZE]))
        return SearchPage(
            hits=_hits(_load(ids), query),
            total=total[0],
            total_capped=total[1],
            next_after=ids[-1] if ids else None,
            previous_before=ids[0] if ids and more_newer else None,
        )
    part = _part(user, query, filters, chosen, below=after)
    ids = _ids(part, limit=PAGE_SIZE + 1) if part is not None else []
    more_older = len(ids) > PAGE_SIZE
    ids = ids[:PAGE_SIZE]
    return SearchPage(
        hits=_hits(_load(ids), query),
        total=total[0],
        total_capped=total[1],
        next_after=ids[-1] if ids and more_older else None,
        previous_before=ids[0] if ids and after is not None else None,
    )


def search_page(
    user: User | AnonymousUser,
    query: ParsedQuery,
    filters: CaseFilters,
    *,
    order: str = Order.RELEVANCE,
    page: int = 1,
    after: int | None = None,
    before: int | None = None,
) -> SearchPage:
    """One page of results with highlighted title and snippets. Relevance order pages by
    number up to ``MAX_RESULTS``; newest-first order pages by keyset without a bound."""
    scope = _scope(user, filters)
    if not query or scope is None:
        return SearchPage()
    match = plan(scope, query, filters)
    if order == Order.NEWEST:
        return _newest_page(user, query, filters, match, after=after, before=before)
    page = max(1, min(page, MAX_PAGE))
    window = _window(match)
    # The window holds the newest RANK_WINDOW (> MAX_RESULTS) matches: their number is the
    # capped count, without a second walk.
    total = _capped(len(window)) if RANK_WINDOW > MAX_RESULTS else _count(match)
    ids = [case_id for case_id, _ in window[(page - 1) * PAGE_SIZE : page * PAGE_SIZE + 1]]
    return SearchPage(
        hits=_hits(_load(ids[:PAGE_SIZE]), query),
        total=total[0],
        total_capped=total[1],
        page=page,
        has_next=len(ids) > PAGE_SIZE and page < MAX_PAGE,
    )
