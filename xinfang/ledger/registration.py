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

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db import models
from django.utils import timezone

from xinfang.accounts.models import Unit, User
from xinfang.audit.services import record
from xinfang.cases import workflow
from xinfang.cases.deadlines import Calendar, RuleSetData, rule_set_for
from xinfang.cases.enums import CaseStatus, EventKind
from xinfang.cases.models import Case, CaseEvent, CasePetitioner
from xinfang.cases.services import (
    case_number,
    case_number_scope,
    case_row,
    contact_row,
    new_query_code,
    next_number,
    upsert_petitioners,
)
from xinfang.core.inserts import RowInserter
from xinfang.ledger.models import ImportedRow, LedgerImport
from xinfang.ledger.parsing import ParsedRow
from xinfang.search.documents import CaseText
from xinfang.search.index import index_texts


def idempotency_key(ledger: LedgerImport, row_key: str) -> str:
    """The case's idempotency key: the same row of the same source is the same submission."""
    marker = f"ledger|{ledger.unit_id}|{ledger.source}|{row_key}"
    return hashlib.sha256(marker.encode()).hexdigest()


@dataclass
class RegistrationContext:
    """What stays the same for every batch of one import: who, where, the calendar, and the
    rule set in force on each day met so far (one read per distinct received date)."""

    actor: User
    unit: Unit
    calendar: Calendar = field(default_factory=Calendar)
    rule_sets: dict[dt.date, RuleSetData] = field(default_factory=dict)
    inserters: dict[type[models.Model], RowInserter] = field(default_factory=dict)

    def insert(self, rows: Sequence[models.Model]) -> None:
        """Write rows of one model (see :mod:`xinfang.core.inserts`), setting their ids."""
        if not rows:
            return
        model = type(rows[0])
        if model not in self.inserters:
            self.inserters[model] = RowInserter(model)
        self.inserters[model].insert(rows)

    def rules_on(self, day: dt.date) -> RuleSetData:
        if day not in self.rule_sets:
            rules = rule_set_for(settings.XF_RULE_JURISDICTION, day)
            self.rule_sets[day] = rules
            self.calendar.rule_sets[rules.key] = rules
        return self.rule_sets[day]


def register_rows(
    ledger: LedgerImport, rows: Sequence[ParsedRow], *, context: RegistrationContext
) -> list[Case]:
    """Register these rows (valid, not imported before) as cases: call inside the batch's
    transaction. Returns the cases in row order."""
    if not rows:
        return []
    actor, unit = context.actor, context.unit
    now = timezone.now()
    today = timezone.localdate(now)
    received = [timezone.localdate(row.contact.occurred_at) for row in rows]
    # Gapless numbers per year received, in row order, as one registration after another.
    following: dict[int, int] = {}
    for year in sorted({day.year for day in received}):
        count = sum(1 for day in received if day.year == year)
        following[year] = next_number(case_number_scope(unit, year), count=count) - count + 1
    people = upsert_petitioners([row.petitioner for row in rows], insert=context.insert)
    cases = []
    for row, day in zip(rows, received, strict=True):
        number = case_number(unit, day.year, following[day.year])
        following[day.year] += 1
        case = case_row(
            actor=actor,
            unit=unit,
            contact=row.contact,
            data=row.case,
            number=number,
            query_code=new_query_code(),
            now=now,
            rules=context.rules_on(day),
            idempotency_key=idempotency_key(ledger, row.key),
        )
        if row.replied_on is not None:
            # Historical: answered on the ledger's date; no step is owed, no clock runs.
            case.status = CaseStatus.CLOSED
            case.replied_on = case.closed_on = row.replied_on
        columns = workflow.deadline_columns(case, today=today, calendar=context.calendar)
        for name, value in columns.items():
            setattr(case, name, value)
        cases.append(case)
    context.insert(cases)
    context.insert(
        [
            CasePetitioner(case=case, petitioner=person, is_representative=False, position=0)
            for case, person in zip(cases, people, strict=True)
        ]
    )
    contacts = [
        contact_row(case, row.contact, actor=actor, representatives=0, is_repeat=False)
        for case, row in zip(cases, rows, strict=True)
    ]
    context.insert(contacts)
    events = [
        CaseEvent(
            case=case,
            kind=EventKind.REGISTERED,
            actor=actor,
            occurred_at=now,
            payload={"contact": contact.pk, "channel": row.contact.channel},
        )
        for case, contact, row in zip(cases, contacts, rows, strict=True)
    ]
    events += [
        CaseEvent(
            case=case,
            kind=EventKind.CLOSED,
            actor=actor,
            occurred_at=now,
            payload={
                "note": f"台账导入的历史事项：台账记载已于{row.replied_on:%Y-%m-%d}答复办结。",
                "source": ledger.source,
                "replied_on": row.replied_on.isoformat(),
            },
        )
        for case, row in zip(cases, rows, strict=True)
        if row.replied_on is not None
    ]
    context.insert(events)
    context.insert(
        [
            ImportedRow(
                unit=ledger.unit,
                source=ledger.source,
                row_key=row.key,
                case=case,
                ledger_import=ledger,
                row_number=row.number,
                reply=row.reply,
                replied_on=row.replied_on,
            )
            for case, row in zip(cases, rows, strict=True)
        ]
    )
    # Bulk inserts send no signals: the index is written here, replies included.
    index_texts(
        [
            CaseText(case.pk, case.title, case.request, case.facts_reasons, row.reply)
            for case, row in zip(cases, rows, strict=True)
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
            "cases": len(cases),
            "historical": sum(1 for row in rows if row.replied_on is not None),
            "rows": [
                [row.number, row.key, case.number] for case, row in zip(cases, rows, strict=True)
            ],
        },
    )
    return cases
