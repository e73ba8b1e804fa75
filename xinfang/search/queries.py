"""Reads: full-text search over the cases a user may see.

Every search starts from :func:`cases_visible_to` and the case list's filters, compiled by Django
into a subquery that is joined to the index, so the database intersects visibility, filters and
text in one query and nobody can find a case they may not open. (The ORM does not model FTS5 or
our tsvector column; the SQL around the compiled scope is ours and takes values only as
parameters.)

How a query becomes index conditions (see :mod:`xinfang.search.analyzer`):

- SQLite FTS5: each run of a term is a phrase of its bigrams (``"物业 业管 管理"``), a run of
  one character a prefix (``"区"*``); all ANDed; ranked by bm25 with the title weighted most.
- PostgreSQL: each run's bigrams ANDed in a tsquery literal (``'物业' & '业管' & '管理'``),
  a single character as a prefix (``'区':*``), found through the GIN index; terms longer than
  two characters are then confirmed with ``strpos`` on the stored normalised text (positions
  in a tsvector are capped, so phrase operators could miss). Ranked by ts_rank.
- Either way, a term with punctuation between its runs (``a-3``) is confirmed on the stored
  text. The result is exactly the set a substring scan of the same fields would return.

Orders: newest first walks the matches by case id (ids follow registration) and stops after a
page; relevance ranks the newest ``RANK_WINDOW`` matches, so a page costs the same for a word
in ten cases or in a million. Counts stop at ``MAX_RESULTS`` ("more than 500").
"""

from __future__ import annotations

from dataclasses import dataclass, field
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

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser
    from django.utils.safestring import SafeString

    from xinfang.accounts.models import User

PAGE_SIZE = 20
MAX_RESULTS = 500  # relevance order pages this far; narrow the query for more
MAX_PAGE = MAX_RESULTS // PAGE_SIZE
# bm25 column weights: title, request, facts and reasons, reply.
BM25_SCORE = f"-bm25({FTS_TABLE}, 4.0, 2.0, 1.0, 1.0)"
RANK_WINDOW = 1000  # relevance ranks the newest this many matches (see _ranked_ids)


class Order(models.TextChoices):
    RELEVANCE = "relevance", "按相关度"
    NEWEST = "newest", "按登记时间（新→旧）"


def _bigrams(run: str) -> list[str]:
    return run_tokens(run)[:-1] if len(run) > 1 else [run]


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


def tsquery_literal(query: ParsedQuery) -> str:
    parts = []
    for term in query.terms:
        for run in term.runs:
            if len(run) == 1:
                parts.append(f"'{run}':*")
            else:
                parts.extend(f"'{bigram}'" for bigram in _bigrams(run))
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

    @property
    def params(self) -> list[Any]:
        return [*self.head_params, *self.from_params]

    def select(self, columns: str, tail: str = "") -> str:
        return f"{self.head}SELECT {columns} {self.from_where} {tail}"

    def around(self, before: str, columns: str, tail: str, after: str) -> str:
        """The match as a derived table: ``{before}(SELECT {columns} … {tail}){after}``."""
        inner = f"SELECT {columns} {self.from_where} {tail}"
        return f"{self.head}{before}({inner}){after}"


def match_sql(scope: QuerySet[Case], query: ParsedQuery) -> MatchSql:
    """The index joined to ``scope``: Django compiles the visibility and filters into a
    subquery joined to the index. Values travel only as parameters; the SQL text is our
    constants plus Django's compiled SQL.

    SQLite: FTS5 walks its matches in case-id order and each is looked up by primary key;
    CROSS JOIN keeps FTS5 the outer loop (else a selective-looking filter such as a status
    makes the planner walk cases and probe FTS5 per case). PostgreSQL: the GIN index yields
    the matching ids first (a materialised CTE), then they meet the scope. Left to itself the
    planner prices ``tsv @@ query`` as cheap and checks it row by row along the primary key,
    reading a TOASTed tsvector each time: fast for common words, minutes for rare ones."""
    scope_sql, scope_params = scope.order_by().values("id").query.sql_with_params()
    postgresql = connection.vendor == "postgresql"
    checked = [term.text for term in _checked_terms(query, postgresql=postgresql)]
    if postgresql:
        head = (
            f"WITH hits AS MATERIALIZED (SELECT case_id FROM {DOC_TABLE} "  # noqa: S608
            "WHERE tsv @@ %s::tsquery"
            + "".join(" AND strpos(body, %s) > 0" for _ in checked)
            + ") "
        )
        return MatchSql(
            head,
            [tsquery_literal(query), *checked],
            f"FROM hits JOIN ({scope_sql}) scope ON scope.id = hits.case_id",
            list(scope_params),
            "hits.case_id",
        )
    join_doc = f" JOIN {DOC_TABLE} doc ON doc.case_id = {FTS_TABLE}.rowid" if checked else ""
    return MatchSql(
        "",
        [],
        f"FROM {FTS_TABLE} CROSS JOIN ({scope_sql}) scope ON scope.id = {FTS_TABLE}.rowid"
        f"{join_doc} WHERE {FTS_TABLE} MATCH %s"
        + "".join(" AND instr(doc.body, %s) > 0" for _ in checked),
        [*scope_params, fts5_expression(query), *checked],
        f"{FTS_TABLE}.rowid",
    )


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
    direction = "DESC" if newest_first else "ASC"
    tail = f"ORDER BY {match.id_column} {direction}"
    if limit is not None:
        tail += f" LIMIT {int(limit)}"
    return [int(row[0]) for row in _fetch(match.select(match.id_column, tail), match.params)]


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
    return _ids(match_sql(scope, query), limit=limit)


def _ranked_ids(match: MatchSql, *, offset: int, limit: int) -> list[int]:
    """By relevance among the ``RANK_WINDOW`` newest matches: ranking every match of a common
    word costs time in proportion to the matches; the newest window keeps a page fast at any
    scale, and a narrower query ranks everything it finds."""
    window = f"ORDER BY {match.id_column} DESC LIMIT {RANK_WINDOW}"
    page = f"ORDER BY score DESC, id DESC LIMIT {int(limit)} OFFSET {int(offset)}"
    if connection.vendor == "postgresql":
        # ts_rank reads each document's tsvector: only the window's.
        sql = match.around(
            "SELECT win.id, ts_rank(doc.tsv, %s::tsquery, 1) AS score FROM ",
            f"{match.id_column} AS id",
            window,
            f" win JOIN {DOC_TABLE} doc ON doc.case_id = win.id {page}",
        )
        params = [*match.head_params, match.head_params[0], *match.from_params]
    else:
        columns = f"{match.id_column} AS id, {BM25_SCORE} AS score"
        sql = match.around("SELECT id FROM ", columns, window, f" ranked {page}")
        params = match.params
    return [int(row[0]) for row in _fetch(sql, params)]


def _count(match: MatchSql) -> tuple[int, bool]:
    """How many matched, counted up to MAX_RESULTS (+1 to know there are more)."""
    sql = match.around("SELECT count(*) FROM ", "1", f"LIMIT {MAX_RESULTS + 1}", " n")
    counted = int(_fetch(sql, match.params)[0][0])
    return min(counted, MAX_RESULTS), counted > MAX_RESULTS


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


def _load(ids: list[int]) -> list[Case]:
    rows = Case.objects.select_related(
        "region", "content_category", "registering_unit", "handling_unit"
    ).in_bulk(ids)
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


def _newest_page(
    user: User | AnonymousUser,
    query: ParsedQuery,
    filters: CaseFilters,
    *,
    after: int | None,
    before: int | None,
    total: tuple[int, bool],
) -> SearchPage:
    """Newest first (case ids follow registration order), keyset on the id: the index walks
    its matches from the newest and stops after a page, however many there are."""
    if before is not None:
        scope = _scope(user, filters, above=before)
        ids = (
            _ids(match_sql(scope, query), newest_first=False, limit=PAGE_SIZE + 1)
            if scope is not None
            else []
        )
        more_newer = len(ids) > PAGE_SIZE
        ids = list(reversed(ids[:PAGE_SIZE]))
        return SearchPage(
            hits=_hits(_load(ids), query),
            total=total[0],
            total_capped=total[1],
            next_after=ids[-1] if ids else None,
            previous_before=ids[0] if ids and more_newer else None,
        )
    scope = _scope(user, filters, below=after)
    ids = _ids(match_sql(scope, query), limit=PAGE_SIZE + 1) if scope is not None else []
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
    match = match_sql(scope, query)
    total = _count(match)
    if order == Order.NEWEST:
        return _newest_page(user, query, filters, after=after, before=before, total=total)
    page = max(1, min(page, MAX_PAGE))
    ids = _ranked_ids(match, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE + 1)
    return SearchPage(
        hits=_hits(_load(ids[:PAGE_SIZE]), query),
        total=total[0],
        total_capped=total[1],
        page=page,
        has_next=len(ids) > PAGE_SIZE and page < MAX_PAGE,
    )
