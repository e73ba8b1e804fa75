"""Deriving the statistics' facts from cases, and the daily counts from the facts.

A case's facts are the days its figures fall on, computed exactly as the direct queries'
conditions count them (``measures``, ``clocks``): the acceptance notice's due date from the
latest 转送/交办 (or receipt) under the case's rule set with the holiday roll-forward, whether it
was given by then; the handling due date (route 6 from acceptance, a 交办 by its deadline,
plus an approved extension) and whether the opinion was served (or issued) by then; the
service date and the latest ratings; the transfer; the open step's due date; the repeat
contacts' days. A contact's facts are its local day and its value in each contact measure
(``Measure.flags``). ``tests/stats/test_precomputed.py`` holds every figure equal to the direct
count, on the hand-counted world and after writes of every kind.

The daily counts are sums of the facts per day and per dimension value. Each (dimension, kind
of fact) pair is one ``Part``: a rebuild runs one INSERT … SELECT … GROUP BY per part
(``count_everything``); a fold runs all parts of a few cases in one statement, adding their
counts (sign +1) or taking them away (−1) when their facts are recomputed (``fold_sql``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from xinfang.cases.deadlines import Limit, RuleSetData, Step
from xinfang.cases.enums import CaseStatus, ClaimRoute, HandlingCategory
from xinfang.cases.models import Case, Contact
from xinfang.portal.enums import EvaluationTarget
from xinfang.portal.models import Evaluation
from xinfang.stats.clocks import DayTable, rule_sets
from xinfang.stats.enums import Aggregate
from xinfang.stats.measures import _DONE, CONTACT_MEASURES
from xinfang.stats.models import CaseFact, ContactFact, DayCount, RepeatFact
from xinfang.stats.triggers import CASE_COLUMNS, CONTACT_COLUMNS

CASE_FIELDS = ("id", *CASE_COLUMNS)
CONTACT_FIELDS = ("id", *CONTACT_COLUMNS)
CONTACT_KEYS = tuple(m.key for m in CONTACT_MEASURES)
#: A rating the petitioner left empty still counts as an evaluation (参评).
NO_RATING_TEXT = "?"

_REFUSED = (CaseStatus.NOT_ACCEPTED, CaseStatus.NOT_REACCEPTED)
_OPEN_DONE = frozenset(_DONE)


@dataclass(frozen=True)
class CaseRow:
    """One case as read by ``CASE_FIELDS``."""

    id: int
    region_id: int
    category_id: int
    unit_id: int | None
    handling_category: str
    claim_route: int | None
    channel: str
    received_on: dt.date
    transferred_on: dt.date | None
    assignment_due_on: dt.date | None
    accepted_on: dt.date | None
    status: str
    closed_on: dt.date | None
    extension_days: int
    rule_set_key: str
    served_on: dt.date | None
    replied_on: dt.date | None
    due_on: dt.date | None
    contact_count: int


class Deriver:
    """Facts of cases under one calendar and one read of the rule sets."""

    def __init__(self) -> None:
        self.table = DayTable(_calendar())
        self.rules = rule_sets()
        self.by_key = {rules.key: rules for rules in self.rules}

    def _rules_for(self, key: str) -> RuleSetData | None:
        # As the direct conditions: one rule set answers for every case; with several, a case
        # counts under the one it is pinned to (an unknown key: under none).
        return self.rules[0] if len(self.rules) == 1 else self.by_key.get(key)

    def case_fact(
        self, case: CaseRow, contacts: Sequence[tuple[Any, ...]], ratings: dict[str, str]
    ) -> tuple[list[Any], list[Any] | None]:
        """The ``CaseFact`` row (values in ``CASE_FACT_COLUMNS`` order) and the
        ``RepeatFact`` row, if the case came again."""
        rules = self._rules_for(case.rule_set_key)
        accept_due, accept_on_time = self._acceptance(case, rules)
        handling_due, served_in_time, replied_in_time = self._handling(case, rules)
        routed = case.transferred_on is not None
        fact = [
            case.id,
            case.region_id,
            case.category_id,
            case.unit_id,
            case.handling_category,
            case.channel,
            case.received_on,
            accept_due,
            int(accept_on_time),
            handling_due,
            int(served_in_time),
            int(replied_in_time),
            case.served_on,
            ratings.get(EvaluationTarget.ORGAN, ""),
            ratings.get(EvaluationTarget.OFFICE, ""),
            case.transferred_on,
            int(routed and case.assignment_due_on is None and case.unit_id is not None),
            int(routed and case.assignment_due_on is not None),
            case.due_on if case.due_on is not None and case.status not in _OPEN_DONE else None,
        ]
        return fact, self._repeat(case, contacts)

    def _acceptance(self, case: CaseRow, rules: RuleSetData | None) -> tuple[dt.date | None, bool]:
        """第二十三条: due 15 days (per rule set) after the latest 转送/交办, else receipt; in
        time when 受理, or 不予/不再受理 (its closing day), came by then."""
        if rules is None:
            return None, False
        start = case.transferred_on or case.received_on
        due = self.table.due(
            start, rules.limit(Step.ACCEPTANCE_NOTICE), roll_forward=rules.roll_forward
        )
        done = case.accepted_on
        if done is None and case.status in _REFUSED:
            done = case.closed_on
        return due, done is not None and done <= due

    def _handling(
        self, case: CaseRow, rules: RuleSetData | None
    ) -> tuple[dt.date | None, bool, bool]:
        """第三十四条: route 6 from acceptance (60 days), a 交办 by its deadline; plus an
        approved extension. In time when the opinion was served (or issued) — or the matter
        terminated — by then."""
        if rules is None:
            return None, False, False
        roll = rules.roll_forward
        more = Limit(case.extension_days) if case.extension_days else None
        if case.assignment_due_on is not None:
            start = case.assignment_due_on
            due = self.table.due(start, more, roll_forward=roll) if more else start
        elif (
            case.handling_category == HandlingCategory.CLAIM
            and case.claim_route == ClaimRoute.PETITION
            and case.accepted_on is not None
        ):
            base = self.table.due(case.accepted_on, rules.limit(Step.HANDLING), roll_forward=roll)
            due = self.table.due(base, more, roll_forward=roll) if more else base
        else:
            return None, False, False
        ended = case.closed_on if case.status == CaseStatus.TERMINATED else None
        served = case.served_on or ended
        replied = case.replied_on or ended
        return (
            due,
            served is not None and served <= due,
            replied is not None and replied <= due,
        )

    @staticmethod
    def _repeat(case: CaseRow, contacts: Sequence[tuple[Any, ...]]) -> list[Any] | None:
        if case.contact_count <= 1:
            return None
        days = [row[1] for row in contacts if row[0]]  # (is_repeat, day)
        after = [day for day in days if day >= case.received_on]
        before = [day for day in days if day < case.received_on]
        if not after and not before:
            return None
        return [
            case.id,
            case.received_on,
            min(after) if after else None,
            max(before) if before else None,
            case.region_id,
            case.category_id,
            case.unit_id,
            case.handling_category,
            case.channel,
        ]


def _calendar() -> Any:
    from xinfang.cases.deadlines import Calendar

    return Calendar()


#: The contact fields a contact measure's flags may name (``Measure.flags``).
FLAG_FIELDS = ("channel", "is_collective", "is_repeat", "involves_litigation")


class ContactDeriver:
    """Contact facts. A contact's measures depend only on its flags, so each combination of
    flags is worked out once: which measures it meets, and which of those count people."""

    def __init__(self) -> None:
        self.zone = timezone.get_default_timezone()  # the facts outlive any request
        self._met: dict[tuple[Any, ...], list[tuple[int, bool]]] = {}

    def _measures(self, flags: tuple[Any, ...]) -> list[tuple[int, bool]]:
        met = self._met.get(flags)
        if met is None:
            values = dict(zip(FLAG_FIELDS, flags, strict=True))
            met = self._met[flags] = [
                (index, measure.aggregate == Aggregate.PEOPLE)
                for index, measure in enumerate(CONTACT_MEASURES)
                if all(values[name] == wanted for name, wanted in measure.flags)
            ]
        return met

    def fact(self, row: tuple[Any, ...], case: CaseRow) -> tuple[list[Any], tuple[bool, dt.date]]:
        """The ``ContactFact`` row of one contact (``CONTACT_FIELDS`` order), and (repeat?,
        day). The day is the office's calendar day, as ``Period.bounds`` counts it."""
        pk, _, occurred_at, channel, people, collective, repeat, litigation, reception = row
        day = occurred_at.astimezone(self.zone).date()
        measures = [0] * len(CONTACT_MEASURES)
        for index, counts_people in self._measures((channel, collective, repeat, litigation)):
            measures[index] = people if counts_people else 1
        fact = [
            pk,
            case.id,
            day,
            channel,
            reception,
            case.region_id,
            case.category_id,
            case.unit_id,
            case.handling_category,
            *measures,
        ]
        return fact, (bool(repeat), day)


CASE_FACT_COLUMNS = tuple(f.attname for f in CaseFact._meta.concrete_fields)
CONTACT_FACT_COLUMNS = tuple(f.attname for f in ContactFact._meta.concrete_fields)
REPEAT_FACT_COLUMNS = tuple(f.attname for f in RepeatFact._meta.concrete_fields)


def _latest_ratings(case_ids: Iterable[int] | None) -> dict[int, dict[str, str]]:
    """{case: {target: latest rating}} (latest by time, then id, as ``measures._satisfied``)."""
    rows = Evaluation.objects.order_by("case_id", "target", "created_at", "id")
    if case_ids is not None:
        rows = rows.filter(case_id__in=list(case_ids))
    latest: dict[int, dict[str, str]] = {}
    for case_id, target, rating in rows.values_list("case_id", "target", "rating").iterator(
        chunk_size=5000
    ):
        latest.setdefault(case_id, {})[target] = rating or NO_RATING_TEXT
    return latest


@dataclass
class Batch:
    cases: list[list[Any]]
    contacts: list[list[Any]]
    repeats: list[list[Any]]

    def __len__(self) -> int:
        return len(self.cases) + len(self.contacts)


def derive(case_ids: Sequence[int] | None, *, batch_size: int = 5000) -> Iterator[Batch]:
    """The facts of ``case_ids`` (every case when None), in batches of about ``batch_size``
    cases. Cases and their contacts are read in id order side by side, so memory holds one
    batch whatever the number of cases."""
    deriver, contact_deriver = Deriver(), ContactDeriver()
    cases = Case.objects.order_by("id")
    contacts = Contact.objects.order_by("case_id", "id")
    if case_ids is not None:
        cases = cases.filter(id__in=list(case_ids))
        contacts = contacts.filter(case_id__in=list(case_ids))
    ratings = _latest_ratings(case_ids)
    contact_rows = groupby(
        contacts.values_list(*CONTACT_FIELDS).iterator(chunk_size=batch_size),
        key=lambda row: row[1],
    )
    pending: tuple[int, list[tuple[Any, ...]]] | None = None
    batch = Batch([], [], [])
    for values in cases.values_list(*CASE_FIELDS).iterator(chunk_size=batch_size):
        case = CaseRow(*values)
        own: list[tuple[Any, ...]] = []
        while True:  # advance the contacts to this case's (both streams are in case order)
            if pending is None:
                try:
                    key, group = next(contact_rows)
                except StopIteration:
                    break
                pending = (key, list(group))
            if pending[0] < case.id:
                pending = None
                continue
            if pending[0] == case.id:
                own, pending = pending[1], None
            break
        repeat_days = []
        for row in own:
            fact, repeat_day = contact_deriver.fact(row, case)
            batch.contacts.append(fact)
            repeat_days.append(repeat_day)
        case_fact, repeat = deriver.case_fact(case, repeat_days, ratings.get(case.id, {}))
        batch.cases.append(case_fact)
        if repeat is not None:
            batch.repeats.append(repeat)
        if len(batch.cases) >= batch_size:
            yield batch
            batch = Batch([], [], [])
    if batch.cases:
        yield batch


# --- writing facts ---------------------------------------------------------------------------


def _insert(table: str, columns: Sequence[str], rows: list[list[Any]]) -> None:
    """Bulk insert: COPY on PostgreSQL (executemany there costs ~75 µs a row), executemany
    on SQLite."""
    if not rows:
        return
    names = ", ".join(columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        adapt = connection.ops.adapt_datefield_value
        prepared = [[adapt(v) if isinstance(v, dt.date) else v for v in row] for row in rows]
        marks = ", ".join(["%s"] * len(columns))
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", prepared)  # noqa: S608


def write(batch: Batch) -> None:
    _insert(CaseFact._meta.db_table, CASE_FACT_COLUMNS, batch.cases)
    _insert(ContactFact._meta.db_table, CONTACT_FACT_COLUMNS, batch.contacts)
    _insert(RepeatFact._meta.db_table, REPEAT_FACT_COLUMNS, batch.repeats)


def forget(case_ids: Sequence[int]) -> None:
    """Delete the facts of these cases."""
    for model in (CaseFact, ContactFact, RepeatFact):
        model.objects.filter(case_id__in=list(case_ids)).delete()


# --- daily counts ----------------------------------------------------------------------------

DAY_TABLE = DayCount._meta.db_table
KEY_COLUMNS = ("dim", "value", "day", "organ_rating", "office_rating")
COUNT_COLUMNS = tuple(
    f.attname for f in DayCount._meta.concrete_fields if f.attname not in ("id", *KEY_COLUMNS)
)

#: Each case family: the fact column of its day, and what it adds to which count.
CASE_FAMILIES: tuple[tuple[str, dict[str, str], bool], ...] = (
    ("received_on", {"cases_received": "1"}, False),
    ("accept_due_on", {"acceptance_due": "1", "acceptance_on_time": "accept_on_time"}, False),
    (
        "handling_due_on",
        {
            "handling_due": "1",
            "handling_on_time_served": "handling_on_time_served",
            "handling_on_time_replied": "handling_on_time_replied",
        },
        False,
    ),
    ("served_on", {"served": "1"}, True),  # by ratings: 参评, 满意 follow the settings
    ("transferred_on", {"transferred": "transferred", "assigned": "assigned"}, False),
    ("open_due_on", {"open_due": "1"}, False),
)


def _as_text(column: str) -> str:
    return f"COALESCE(CAST({column} AS TEXT), '')"


#: dim → the value of a case fact / a contact fact in it.
CASE_DIMS = {
    "all": "''",
    "region": _as_text("region_id"),
    "category": _as_text("category_id"),
    "unit": _as_text("unit_id"),
    "handling": "handling_category",
    "channel": "channel",
}
CONTACT_DIMS = {**CASE_DIMS, "reception": _as_text("reception_unit_id")}
DIMS = tuple(CONTACT_DIMS)


@dataclass(frozen=True)
class Part:
    """What one kind of fact adds to the daily counts of one dimension: from ``table``, per
    value of the dimension and per ``day``, the ``counts`` (column → SQL expression)."""

    dim: str
    table: str
    value: str
    day: str
    ratings: tuple[str, str]
    counts: dict[str, str]

    @property
    def keys(self) -> list[str]:
        return [f"'{self.dim}'", self.value, self.day, *self.ratings]

    @property
    def varying(self) -> list[str]:
        """The keys that are not constants (PostgreSQL refuses a constant in GROUP BY)."""
        return [key for key in self.keys if not key.startswith("'")]

    def select(self, where: str) -> str:
        """One row per fact, the keys as k0… and every count as c0… (0 where not added)."""
        columns = [f"{expr} AS k{i}" for i, expr in enumerate(self.keys)]
        columns += [
            f"{self.counts.get(column, '0')} AS c{i}" for i, column in enumerate(COUNT_COLUMNS)
        ]
        return (
            f"SELECT {', '.join(columns)} FROM {self.table} "  # noqa: S608 (our names)
            f"WHERE {self.day} IS NOT NULL{where}"
        )

    def grouped(self) -> str:
        """Summed per key in one pass over the table (a rebuild's statement)."""
        sums = [
            f"SUM({self.counts[column]})" if column in self.counts else "0"
            for column in COUNT_COLUMNS
        ]
        return (
            f"SELECT {', '.join([*self.keys, *sums])} FROM {self.table} "  # noqa: S608 (our names)
            f"WHERE {self.day} IS NOT NULL GROUP BY {', '.join(self.varying)}"
        )


def parts(dims: Iterable[str] = DIMS) -> list[Part]:
    """Every (dimension, kind of fact) pair: six case families and the contacts."""
    found = []
    no_ratings = ("''", "''")
    for dim in dims:
        if dim in CASE_DIMS:
            for day, adds, rated in CASE_FAMILIES:
                ratings = ("organ_rating", "office_rating") if rated else no_ratings
                found.append(Part(dim, CaseFact._meta.db_table, CASE_DIMS[dim], day, ratings, adds))
        counts = {column: column for column in CONTACT_KEYS}
        found.append(
            Part(dim, ContactFact._meta.db_table, CONTACT_DIMS[dim], "day", no_ratings, counts)
        )
    return found


_NAMES = ", ".join((*KEY_COLUMNS, *COUNT_COLUMNS))
_UPSERT = f" ON CONFLICT ({', '.join(KEY_COLUMNS)}) DO UPDATE SET " + ", ".join(
    f"{c} = {DAY_TABLE}.{c} + excluded.{c}" for c in COUNT_COLUMNS
)


def fold_sql(case_ids: int, *, sign: int) -> str:
    """Add (``sign`` +1) or take away (−1) the daily counts of ``case_ids`` cases (given as
    that many ``%s`` parameters): every part of them at once, summed per key (PostgreSQL
    refuses to update one row twice in a statement)."""
    where = " AND case_id IN (SELECT case_id FROM chosen)"
    inner = " UNION ALL ".join(part.select(where) for part in parts())
    keys = ", ".join(f"k{i}" for i in range(len(KEY_COLUMNS)))
    sums = ", ".join(f"SUM(c{i}) * {int(sign)}" for i in range(len(COUNT_COLUMNS)))
    values = ", ".join(["(%s)"] * case_ids)
    return (
        f"WITH chosen (case_id) AS (VALUES {values}) "  # noqa: S608 (our names)
        f"INSERT INTO {DAY_TABLE} ({_NAMES}) SELECT {keys}, {sums} "
        f"FROM ({inner}) AS parts WHERE 1 = 1 GROUP BY {keys}{_UPSERT}"
    )


#: Cases per statement when folding (parameters stay far below SQLite's limit).
CHUNK = 2000


def _no_jit(cursor: Any) -> None:
    """PostgreSQL would compile these long statements to machine code (their estimated cost
    is high), which takes seconds for a query that runs in milliseconds."""
    if connection.vendor == "postgresql":
        cursor.execute("SET LOCAL jit = off")


def add_counts(case_ids: Sequence[int], *, sign: int) -> None:
    """Add (sign +1) or take away (−1) the daily counts of these cases' current facts."""
    ids = list(case_ids)
    with connection.cursor() as cursor:
        _no_jit(cursor)
        for first in range(0, len(ids), CHUNK):
            chunk = ids[first : first + CHUNK]
            cursor.execute(fold_sql(len(chunk), sign=sign), chunk)


def count_everything() -> None:
    """The daily counts of every fact, into an empty table: one GROUP BY pass per part into a
    scratch table, then one sum per key (no row is written twice: on PostgreSQL each update
    would leave a dead row behind)."""
    counts = ", ".join(f"{column} bigint" for column in COUNT_COLUMNS)
    with connection.cursor() as cursor:
        _no_jit(cursor)
        cursor.execute(
            "CREATE TEMPORARY TABLE stats_parts (dim varchar(10), value varchar(20), day date, "
            f"organ_rating varchar(20), office_rating varchar(20), {counts})"
        )
        for part in parts():
            cursor.execute(f"INSERT INTO stats_parts ({_NAMES}) {part.grouped()}")
        keys = ", ".join(KEY_COLUMNS)
        sums = ", ".join(f"SUM({column})" for column in COUNT_COLUMNS)
        cursor.execute(
            f"INSERT INTO {DAY_TABLE} ({_NAMES}) SELECT {keys}, {sums} "  # noqa: S608 (our names)
            f"FROM stats_parts GROUP BY {keys}"
        )
        cursor.execute("DROP TABLE stats_parts")
        if connection.vendor == "postgresql":  # the planner's row counts for what was written
            models = (CaseFact, ContactFact, RepeatFact, DayCount)
            cursor.execute(f"ANALYZE {', '.join(m._meta.db_table for m in models)}")


def drop_empty_counts() -> int:
    """Rows whose every count came back to 0 (a case moved away from that day)."""
    empty = Q(**dict.fromkeys(COUNT_COLUMNS, 0))
    deleted, _ = DayCount.objects.filter(empty).delete()
    return deleted
