"""Registering a batch of parsed ledger rows at once: the rows ``register_case`` would write
for each of them, with the same numbering, sealing, people, deadlines and search text, in a
handful of statements per batch instead of some twenty per row. Audited once per batch with
every row's key and case number (``ledger.register``).

Rows whose ledger records a reply date (答复/办结时间) are matters the office answered long
ago: they arrive as historical records, 已办结 on that date with no running clock, instead of
已登记 and at once 严重超期. They are written in that final state; no status ever changes
here (a case's status changes only through ``workflow.set_status``). Rows without a reply
date are open matters and get the deadline registration gives them.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from secrets import token_bytes

from django.conf import settings
from django.db import connection, models
from django.utils import timezone

from xinfang.accounts.models import Unit, User
from xinfang.audit.services import record
from xinfang.cases import workflow
from xinfang.cases.deadlines import Calendar, RuleSetData, rule_set_for
from xinfang.cases.enums import CaseStatus, EventKind, PetitionForm
from xinfang.cases.models import Case, CaseEvent, CasePetitioner, Contact, Petitioner
from xinfang.cases.services import (
    QUERY_CODE_ALPHABET,
    QUERY_CODE_LENGTH,
    SEALED_COLUMNS,
    PetitionerInput,
    case_number,
    case_number_scope,
    case_row,
    contact_row,
    id_number_index,
    new_query_code,
    next_number,
    phone_index,
)
from xinfang.core.crypto import Keyring, keyring, seal
from xinfang.core.inserts import RowInserter
from xinfang.ledger.models import ImportedRow, LedgerImport
from xinfang.ledger.parsing import ParsedRow
from xinfang.search.analyzer import AnalysedText, analyse
from xinfang.search.documents import CaseText
from xinfang.search.index import index_analysed, index_form, index_texts

QUERY_CODE_LETTERS = 32


def idempotency_key(ledger: LedgerImport, row_key: str) -> str:
    """The case's idempotency key: the same row of the same source is the same submission."""
    marker = f"ledger|{ledger.unit_id}|{ledger.source}|{row_key}"
    return hashlib.sha256(marker.encode()).hexdigest()


@dataclass
class RegistrationContext:
    """What stays the same for every batch of one import: who, where, the calendar, the
    rule set in force on each day met so far (one read per distinct received date), and
    one INSERT statement per table."""

    actor: User
    unit: Unit
    calendar: Calendar = field(default_factory=Calendar)
    rule_sets: dict[dt.date, RuleSetData] = field(default_factory=dict)
    inserters: dict[type[models.Model], RowInserter] = field(default_factory=dict)

    def inserter(self, model: type[models.Model]) -> RowInserter:
        """The writer of one model's rows (see :mod:`xinfang.core.inserts`)."""
        if model not in self.inserters:
            self.inserters[model] = RowInserter(model)
        return self.inserters[model]

    days: list[dt.date] = field(default_factory=list)  # of rule_sets, in order

    def rules_on(self, day: dt.date) -> RuleSetData:
        """The rule set in force on ``day``. A day between two days known to have the same
        rule set has it too (rule sets take effect on a date and stay until a newer one),
        so a year of received dates costs a few reads, not one per day."""
        if day not in self.rule_sets:
            at = bisect.bisect(self.days, day)
            if 0 < at < len(self.days) and _same(
                before := self.rule_sets[self.days[at - 1]], self.rule_sets[self.days[at]]
            ):
                rules = before
            else:
                rules = rule_set_for(settings.XF_RULE_JURISDICTION, day)
                self.calendar.rule_sets[rules.key] = rules
            self.rule_sets[day] = rules
            self.days.insert(at, day)
        return self.rule_sets[day]

    def read_rules(self, days: Sequence[dt.date]) -> None:
        """Know the rule sets of these days: the first and last first, so that the days
        between them are read only where the rules change."""
        ordered = sorted(set(days))
        for day in [ordered[0], ordered[-1], *ordered[1:-1]] if ordered else []:
            self.rules_on(day)


def _same(one: RuleSetData, other: RuleSetData) -> bool:
    return (one.key, one.id) == (other.key, other.id)


# --- people ---------------------------------------------------------------------------------------

PERSON_COLUMNS = ("uid", "name", *SEALED_COLUMNS)


@dataclass
class SealedPerson:
    """A petitioner of the batch: a stored one (``pk``) or a new one, and the sealed columns
    this batch's rows give them (a later row wins, as in ``upsert_petitioners``)."""

    pk: int | None
    uid: uuid.UUID
    name: str
    sealed: dict[str, object] = field(default_factory=dict)


def _seal_person(
    person: SealedPerson,
    data: PetitionerInput,
    index: str | None,
    scratch: Petitioner,
    ring: Keyring,
) -> None:
    """What ``cases.services._seal_petitioner`` writes, without a model instance per row: the
    AAD comes from ``Petitioner.aad`` (one scratch instance carries the uid)."""
    scratch.uid = person.uid
    if data.id_number:
        person.sealed["id_number_sealed"] = seal(
            data.id_number, aad=scratch.aad("id_number"), ring=ring
        )
        person.sealed["id_number_index"] = index
    if data.phone:
        person.sealed["phone_sealed"] = seal(data.phone, aad=scratch.aad("phone"), ring=ring)
        person.sealed["phone_index"] = phone_index(data.phone)
    if data.address:
        person.sealed["address_sealed"] = seal(data.address, aad=scratch.aad("address"), ring=ring)


class PersonSealer:
    """Seals a row's petitioner as a new person ahead of the import's writes (while the
    file is still being read): most rows bring someone new, and the batch then only has to
    write them. A row whose person turns out to be known is sealed again under theirs."""

    def __init__(self) -> None:
        self.scratch = Petitioner(name="")
        self.ring = keyring()
        self.new_uid = Petitioner._meta.get_field("uid").get_default

    def __call__(self, data: PetitionerInput) -> SealedPerson:
        person = SealedPerson(pk=None, uid=self.new_uid(), name=data.name)
        index = id_number_index(data.id_number) if data.id_number else None
        _seal_person(person, data, index, self.scratch, self.ring)
        return person


def register_people(
    inputs: Sequence[PetitionerInput],
    *,
    context: RegistrationContext,
    sealed: Sequence[SealedPerson] | None = None,
) -> list[int]:
    """The stored person's id for each input, in order, as ``upsert_petitioners`` decides it:
    the same ID number is the same person (the office's oldest row with it, or the first row
    of the batch), their phone and address refreshed; everyone else is a new row. One lookup,
    one INSERT of the new people, one UPDATE statement for the known ones. ``sealed``: each
    input already sealed as a new person (:class:`PersonSealer`)."""
    keys = {data.id_number: id_number_index(data.id_number) for data in inputs if data.id_number}
    known: dict[str, SealedPerson] = {}
    if keys:
        # Newest first, so that of two rows with one ID number the oldest is the person.
        found = (
            Petitioner.objects.filter(id_number_index__in=set(keys.values()))
            .order_by("-pk")
            .values_list("id_number_index", "pk", "uid")
        )
        known = {index: SealedPerson(pk=pk, uid=uid, name="") for index, pk, uid in found}
    new_uid = Petitioner._meta.get_field("uid").get_default
    scratch = Petitioner(name="")
    ring = keyring()
    people: list[SealedPerson] = []
    for at, data in enumerate(inputs):
        key = keys.get(data.id_number)
        person = known.get(key) if key else None
        if person is None and sealed is not None:
            # A copy: a batch that is redone must not find the ids of its failed attempt.
            person = replace(sealed[at], sealed=dict(sealed[at].sealed))
        elif person is None:
            person = SealedPerson(pk=None, uid=new_uid(), name=data.name)
            _seal_person(person, data, key, scratch, ring)
        else:
            _seal_person(person, data, key, scratch, ring)
        if key and key not in known:
            known[key] = person
        people.append(person)
    refreshed = list({id(person): person for person in people if person.pk is not None}.values())
    new = list({id(person): person for person in people if person.pk is None}.values())
    defaults = [getattr(scratch, name) for name in SEALED_COLUMNS]
    ids = context.inserter(Petitioner).insert_values(
        scratch,
        PERSON_COLUMNS,
        [
            (person.uid, person.name, *map(person.sealed.get, SEALED_COLUMNS, defaults))
            for person in new
        ],
    )
    for person, pk in zip(new, ids, strict=True):
        person.pk = pk
    _refresh_people(refreshed, context=context)
    return [int(person.pk) for person in people if person.pk is not None]


def _refresh_people(people: Sequence[SealedPerson], *, context: RegistrationContext) -> None:
    """Known people get the sealed columns the batch gave them; the others stay as stored."""
    stored = [person for person in people if person.pk is not None]
    if not stored:
        return
    inserter = context.inserter(Petitioner)
    quote = connection.ops.quote_name
    columns = [inserter.column(name) for name in SEALED_COLUMNS]
    sets = ", ".join(f"{quote(column)} = COALESCE(%s, {quote(column)})" for column in columns)
    table, pk = quote(Petitioner._meta.db_table), quote(inserter.pk_column)
    converters = [inserter.converter(name) for name in SEALED_COLUMNS]
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET {sets} WHERE {pk} = %s",  # noqa: S608 - names from the model
            [
                (
                    *(
                        convert(person.sealed.get(name))
                        for convert, name in zip(converters, SEALED_COLUMNS, strict=True)
                    ),
                    person.pk,
                )
                for person in stored
            ],
        )


# --- cases ----------------------------------------------------------------------------------------


def _query_code() -> str:
    """A query code as ``new_query_code`` makes one, each letter uniform over the alphabet
    from one random byte (32 letters divide 256 evenly), instead of a ``secrets.choice``
    call per letter: a fifth of what sealing a case cost."""
    if len(QUERY_CODE_ALPHABET) != QUERY_CODE_LETTERS:
        return new_query_code()
    return "".join([QUERY_CODE_ALPHABET[byte & 31] for byte in token_bytes(QUERY_CODE_LENGTH)])


def _case_values(
    ledger: LedgerImport,
    row: ParsedRow,
    *,
    number: str,
    day: dt.date,
    rules: RuleSetData,
    ring: Keyring,
) -> dict[str, object]:
    """The columns of one row's case that are not the same for the whole batch: what
    ``case_row`` gives them, and the final state of a historical row."""
    data, people = row.case, row.contact.people_count
    collective = people >= settings.XF_COLLECTIVE_THRESHOLD
    return {
        "number": number,
        "query_code_sealed": seal(_query_code(), aad=f"cases_case.query_code.{number}", ring=ring),
        "channel": row.contact.channel,
        "form": PetitionForm.COLLECTIVE if collective else PetitionForm.INDIVIDUAL,
        "people_count": people,
        "handling_category": data.handling_category,
        "claim_route": data.claim_route,
        "content_category_id": data.content_category.pk,
        "involves_litigation": data.involves_litigation,
        "accused_unit_id": data.accused_unit.pk if data.accused_unit else None,
        "region_id": data.region.pk,
        "title": data.title,
        "request": data.request,
        "facts_reasons": data.facts_reasons,
        "received_on": day,
        "idempotency_key": idempotency_key(ledger, row.key),
        "rule_set_key": rules.key,
        # Historical: answered on the ledger's date; no step is owed, no clock runs.
        "status": CaseStatus.CLOSED if row.replied_on is not None else CaseStatus.REGISTERED,
        "replied_on": row.replied_on,
        "closed_on": row.replied_on,
    }


def _insert_cases(
    ledger: LedgerImport,
    rows: Sequence[ParsedRow],
    received: Sequence[dt.date],
    numbers: Sequence[str],
    *,
    now: dt.datetime,
    context: RegistrationContext,
) -> list[int]:
    """One INSERT for the batch's cases, deadline columns included; returns their ids. The
    batch's first case, built by ``case_row``, is the template of the columns every row
    shares and, its row's columns set in turn, what the deadline is computed on."""
    today = timezone.localdate(now)
    scratch = case_row(
        actor=context.actor,
        unit=context.unit,
        contact=rows[0].contact,
        data=rows[0].case,
        number=numbers[0],
        query_code=new_query_code(),
        now=now,
        rules=context.rules_on(received[0]),
    )
    table: list[tuple[object, ...]] = []
    columns: list[str] = []
    ring = keyring()
    for row, day, number in zip(rows, received, numbers, strict=True):
        values = _case_values(
            ledger, row, number=number, day=day, rules=context.rules_on(day), ring=ring
        )
        for name, value in values.items():
            setattr(scratch, name, value)
        values.update(workflow.deadline_columns(scratch, today=today, calendar=context.calendar))
        columns = columns or list(values)
        table.append(tuple(values[name] for name in columns))
    return context.inserter(Case).insert_values(scratch, columns, table)


CONTACT_COLUMNS = (
    "case_id", "channel", "occurred_at", "reception_unit_id", "people_count", "is_collective",
    "skipped_level", "involves_litigation", "note",
)  # fmt: skip


def _insert_contacts(
    rows: Sequence[ParsedRow], case_ids: Sequence[int], *, context: RegistrationContext
) -> list[int]:
    """Each case's first contact, as ``contact_row`` makes it (no representative, not a
    repeat); returns their ids."""
    first = rows[0]
    template = contact_row(
        Case(involves_litigation=first.case.involves_litigation),
        first.contact,
        actor=context.actor,
        representatives=0,
        is_repeat=False,
    )
    threshold = settings.XF_COLLECTIVE_THRESHOLD
    return context.inserter(Contact).insert_values(
        template,
        CONTACT_COLUMNS,
        [
            (
                case_id,
                row.contact.channel,
                row.contact.occurred_at,
                row.contact.reception_unit.pk,
                row.contact.people_count,
                row.contact.people_count >= threshold,
                row.contact.skipped_level,
                row.case.involves_litigation,
                row.contact.note,
            )
            for row, case_id in zip(rows, case_ids, strict=True)
        ],
    )


def register_rows(
    ledger: LedgerImport,
    rows: Sequence[ParsedRow],
    *,
    context: RegistrationContext,
    people: Sequence[SealedPerson] | None = None,
    texts: Mapping[int, AnalysedText] | None = None,
) -> list[int]:
    """Register these rows (valid, not imported before) as cases: call inside the batch's
    transaction. ``people``: each row's petitioner sealed beforehand (:class:`PersonSealer`);
    ``texts``: search texts analysed beforehand, by row number. Returns the cases' ids in
    row order."""
    if not rows:
        return []
    actor, unit = context.actor, context.unit
    now = timezone.now()
    received = [timezone.localdate(row.contact.occurred_at) for row in rows]
    # Gapless numbers per year received, in row order, as one registration after another.
    following: dict[int, int] = {}
    for year in sorted({day.year for day in received}):
        count = sum(1 for day in received if day.year == year)
        following[year] = next_number(case_number_scope(unit, year), count=count) - count + 1
    numbers = []
    for day in received:
        numbers.append(case_number(unit, day.year, following[day.year]))
        following[day.year] += 1
    context.read_rules(received)
    person_ids = register_people([row.petitioner for row in rows], context=context, sealed=people)
    case_ids = _insert_cases(ledger, rows, received, numbers, now=now, context=context)
    context.inserter(CasePetitioner).insert_values(
        CasePetitioner(is_representative=False, position=0),
        ("case_id", "petitioner_id"),
        list(zip(case_ids, person_ids, strict=True)),
    )
    contact_ids = _insert_contacts(rows, case_ids, context=context)
    events: list[tuple[object, ...]] = [
        (case_id, EventKind.REGISTERED, {"contact": contact_id, "channel": row.contact.channel})
        for case_id, contact_id, row in zip(case_ids, contact_ids, rows, strict=True)
    ]
    events += [
        (
            case_id,
            EventKind.CLOSED,
            {
                "note": f"台账导入的历史事项：台账记载已于{row.replied_on:%Y-%m-%d}答复办结。",
                "source": ledger.source,
                "replied_on": row.replied_on.isoformat(),
            },
        )
        for case_id, row in zip(case_ids, rows, strict=True)
        if row.replied_on is not None
    ]
    context.inserter(CaseEvent).insert_values(
        CaseEvent(kind=EventKind.REGISTERED, actor=actor, occurred_at=now),
        ("case_id", "kind", "payload"),
        events,
    )
    context.inserter(ImportedRow).insert_values(
        ImportedRow(unit=ledger.unit, source=ledger.source, ledger_import=ledger),
        ("row_key", "case_id", "row_number", "reply", "replied_on"),
        [
            (row.key, case_id, row.number, row.reply, row.replied_on)
            for case_id, row in zip(case_ids, rows, strict=True)
        ],
    )
    # Bulk inserts send no signals: the index is written here, replies included.
    searchable = [
        CaseText(case_id, row.case.title, row.case.request, row.case.facts_reasons, row.reply)
        for case_id, row in zip(case_ids, rows, strict=True)
    ]
    if texts is None:
        index_texts(searchable, new=True)
    else:
        form = index_form()
        index_analysed(
            [
                (text.case_id, texts.get(row.number) or analyse(text.fields(), form))
                for text, row in zip(searchable, rows, strict=True)
            ],
            new=True,
        )
    record(
        "ledger.register",
        actor=actor,
        target=ledger,
        object_id=str(ledger.uid),
        detail={
            "source": ledger.source,
            "cases": len(case_ids),
            "historical": sum(1 for row in rows if row.replied_on is not None),
            "rows": [
                [row.number, row.key, number] for row, number in zip(rows, numbers, strict=True)
            ],
        },
    )
    return case_ids
