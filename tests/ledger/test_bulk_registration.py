"""The import registers a batch at a time: what it stores is what registering each row through
``register_case`` stored, except that rows the ledger records as answered arrive closed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.db import IntegrityError
from django.urls import reverse

from tests.conftest import logged_in
from tests.factories import PetitionerFactory, id_number
from tests.ledger.conftest import import_now, upload, xlsx_bytes
from xinfang.accounts.models import User
from xinfang.audit.models import AuditEvent
from xinfang.cases.deadlines import rule_set_for
from xinfang.cases.enums import CaseStatus, DeadlineTier, EventKind
from xinfang.cases.models import Case, ContentCategory, Petitioner, RuleSet
from xinfang.cases.queries import CaseFilters, cases_due_soon
from xinfang.cases.services import query_code_of, register_case
from xinfang.ledger import reading, registration, services
from xinfang.ledger.models import ImportedRow, LedgerImport
from xinfang.ledger.parsing import ParsedRow
from xinfang.ledger.reading import Row, RowSpool, cell_text, open_sheet
from xinfang.ledger.registration import idempotency_key
from xinfang.search.analyzer import FTS5, TSVECTOR, analyse, parse_query
from xinfang.search.index import clear_index, index_cases
from xinfang.search.models import SearchDocument
from xinfang.search.queries import search_ids

WIDE = ["编号", "信访人", "身份证号", "联系电话", "住址", "人数", "涉法涉诉", "标题", "收到日期"]
WIDE += ["诉求", "事实和理由", "答复意见", "答复时间"]
SAME_PERSON = id_number(7)
ON_FILE = id_number(8)  # a person the office already knows

SAMPLE: list[list[object]] = [
    ["W1", "张一", SAME_PERSON, "13900001111", "幸福路1号", 1, "否", "物业乱收费", "2025-03-02"],
    ["W2", "李二", "", "", "", 6, "是", "征地补偿款未到位", "2024年12月30日"],
    ["W3", "张一", SAME_PERSON, "13900002222", "幸福路2号", 1, "", "电梯长期停运", "2025/3/9"],
    ["W4", "王三", ON_FILE, "", "", 2, "否", "工资被拖欠", 45000],
    ["W5", "", "", "", "", "", "", "路灯不亮", "2025-01-05 08:30"],
]
TEXTS: list[list[object]] = [
    ["请求退还多收的物业费。", "物业公司多收停车费。", "", ""],
    ["请求兑现征地补偿。", "", "", ""],
    ["请求尽快修复电梯。", "电梯停运三个月。", "已责成物业公司维修。", ""],
    ["请求支付拖欠工资。", "", "经调解，公司已支付。", "2025-04-01"],
    ["请求修复路灯。", "", "", "2025-01-20"],
]


def sample_file() -> bytes:
    return xlsx_bytes([row + texts for row, texts in zip(SAMPLE, TEXTS, strict=True)], WIDE)


def _parsed(clerk: User, ledger: LedgerImport, data: bytes) -> list[ParsedRow]:
    parser = services.row_parser(ledger, clerk)
    with open_sheet("xlsx", data) as sheet:
        results = [parser.parse(row) for row in sheet.rows]
    assert all(isinstance(result, ParsedRow) for result in results)
    return [result for result in results if isinstance(result, ParsedRow)]


def import_row_by_row(clerk: User, ledger: LedgerImport, rows: list[ParsedRow]) -> list[Case]:
    """The import as it was before batches: ``register_case`` per row, then the row key and
    a re-index for the reply."""
    cases = []
    for parsed in rows:
        registration = register_case(
            actor=clerk,
            contact=parsed.contact,
            case=parsed.case,
            petitioners=[parsed.petitioner],
            idempotency_key=idempotency_key(ledger, parsed.key),
        )
        ImportedRow.objects.create(
            unit=ledger.unit,
            source=ledger.source,
            row_key=parsed.key,
            case=registration.case,
            ledger_import=ledger,
            row_number=parsed.number,
            reply=parsed.reply,
            replied_on=parsed.replied_on,
        )
        if parsed.reply:
            index_cases([registration.case.pk])
        cases.append(registration.case)
    return cases


CASE_COLUMNS = [
    "channel", "form", "people_count", "handling_category", "claim_route",
    "content_category_id", "involves_litigation", "region_id", "title", "request",
    "facts_reasons", "received_on", "registered_by_id", "registering_unit_id", "rule_set_key",
    "contact_count", "handling_unit_id", "accused_unit_id",
]  # fmt: skip
CLOCK_COLUMNS = ["status", "due_on", "due_step", "due_explanation", "tier", "responsible_unit_id"]
CONTACT_COLUMNS = [
    "channel", "occurred_at", "reception_unit_id", "people_count", "representative_count",
    "is_collective", "is_repeat", "skipped_level", "involves_litigation", "note",
    "registered_by_id",
]  # fmt: skip


def stored(case: Case, *, clock: bool) -> dict[str, Any]:
    """What a case holds, without what differs by construction (ids, numbers, times, nonces)."""
    case = Case.objects.get(pk=case.pk)
    columns = CASE_COLUMNS + (CLOCK_COLUMNS if clock else [])
    link = case.case_petitioners.select_related("petitioner").get()
    person = link.petitioner
    contact = case.contacts.get()
    return {
        "case": {name: getattr(case, name) for name in columns},
        "person": (
            person.name,
            person.decrypt("id_number"),
            person.decrypt("phone"),
            person.decrypt("address"),
            link.is_representative,
            link.position,
        ),
        "contact": {name: getattr(contact, name) for name in CONTACT_COLUMNS},
        "registered": [
            (event.kind, event.actor_id, sorted(event.payload))
            for event in case.events.filter(kind=EventKind.REGISTERED)
        ],
        "search": SearchDocument.objects.get(case=case).body,
        "row": ImportedRow.objects.values_list("row_key", "row_number", "reply", "replied_on").get(
            case=case
        ),
    }


@time_machine.travel(dt.datetime(2025, 6, 2, 10, tzinfo=dt.UTC), tick=False)
def test_a_batch_stores_what_registering_each_row_stored(
    clerk: User, category: ContentCategory
) -> None:
    PetitionerFactory(name="王三", id_number=ON_FILE)
    data = sample_file()
    batched = import_now(clerk, upload(clerk, data, source="批量"), category)
    assert (batched.imported, batched.rejected) == (5, 0)
    by_row = upload(clerk, data, source="逐行")
    services.save_mapping(
        by_row, actor=clerk, data=services.MappingInput(by_row.columns, content_category=category)
    )
    one_by_one = import_row_by_row(clerk, by_row, _parsed(clerk, by_row, data))

    batch_cases = [
        row.case for row in ImportedRow.objects.filter(source="批量").order_by("row_number")
    ]
    for batch_case, single_case in zip(batch_cases, one_by_one, strict=True):
        answered = batch_case.ledger_row.replied_on is not None
        assert stored(batch_case, clock=not answered) == stored(single_case, clock=not answered)
        # The query code is sealed to the case's number, as registration seals it.
        assert len(query_code_of(batch_case)) == len(query_code_of(single_case)) == 8
    # The same ID number is one person, in the file and with the office's earlier cases.
    people = [case.case_petitioners.get().petitioner_id for case in batch_cases]
    assert people[0] == people[2]
    assert people[3] == Petitioner.objects.get(name="王三").pk
    assert Petitioner.objects.filter(name="张一").count() == 1
    # Numbers follow the year received, in row order, continuing each year's counter.
    assert [case.number for case in batch_cases] == [
        "A01-2025-000001", "A01-2024-000001", "A01-2025-000002", "A01-2023-000001",
        "A01-2025-000003",
    ]  # fmt: skip


@time_machine.travel(dt.datetime(2025, 6, 2, 10, tzinfo=dt.UTC), tick=False)
def test_rows_answered_in_the_ledger_arrive_closed_on_their_date_with_no_running_clock(
    clerk: User, category: ContentCategory
) -> None:
    import_now(clerk, upload(clerk, sample_file()), category)
    cases = {case.title: case for case in Case.objects.all()}
    answered = [cases["工资被拖欠"], cases["路灯不亮"]]
    assert [
        (case.status, case.replied_on, case.closed_on, case.due_on, case.tier) for case in answered
    ] == [
        (CaseStatus.CLOSED, dt.date(2025, 4, 1), dt.date(2025, 4, 1), None, DeadlineTier.NORMAL),
        (CaseStatus.CLOSED, dt.date(2025, 1, 20), dt.date(2025, 1, 20), None, DeadlineTier.NORMAL),
    ]
    assert [case.responsible_unit_id for case in answered] == [None, None]
    assert [event.text for event in answered[1].events.filter(kind=EventKind.CLOSED)] == [
        "台账导入的历史事项：台账记载已于2025-01-20答复办结。"
    ]
    # A row without a reply date is an open matter: its registration clock runs from receipt.
    open_case = cases["电梯长期停运"]
    assert (open_case.status, open_case.due_on, open_case.tier) == (
        CaseStatus.REGISTERED, dt.date(2025, 3, 24), DeadlineTier.SEVERE,
    )  # fmt: skip
    assert [case.title for case in cases_due_soon(clerk)] == [
        "征地补偿款未到位", "物业乱收费", "电梯长期停运",
    ]  # fmt: skip
    registered = AuditEvent.objects.get(event="ledger.register")
    assert (registered.detail["cases"], registered.detail["historical"]) == (5, 2)


def test_a_batch_that_loses_a_race_on_a_unique_key_is_rolled_back_and_redone(
    clerk: User, category: ContentCategory, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = registration.register_rows
    calls = []

    def racing(ledger: LedgerImport, rows: list[ParsedRow], **kwargs: Any) -> list[int]:
        calls.append(len(rows))
        cases = real(ledger, rows, **kwargs)
        if len(calls) == 1:  # what a concurrent import of the same rows makes PostgreSQL say
            raise IntegrityError("duplicate key value violates unique constraint")
        return cases

    monkeypatch.setattr(services, "register_rows", racing)
    done = import_now(clerk, upload(clerk, sample_file()), category)
    assert (done.imported, done.duplicates, calls) == (5, 0, [5, 5])
    assert (Case.objects.count(), AuditEvent.objects.filter(event="ledger.register").count()) == (
        5, 1,
    )  # fmt: skip


def test_a_batch_that_keeps_failing_on_a_unique_key_fails_the_import(
    clerk: User, category: ContentCategory, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> list[int]:
        raise IntegrityError("UNIQUE constraint failed")

    monkeypatch.setattr(services, "register_rows", broken)
    with pytest.raises(IntegrityError):
        import_now(clerk, upload(clerk, sample_file()), category)
    assert (LedgerImport.objects.get().status, Case.objects.count()) == ("failed", 0)


def test_the_spool_gives_back_every_row_of_the_file_in_order() -> None:
    rows = [
        Row(number, [f"第{number}行", number, dt.datetime(2025, 1, 1)]) for number in range(2500)
    ]
    spool = RowSpool(iter(rows))
    assert (spool.total, list(spool), list(spool)) == (2500, rows, rows)
    assert spool.size < 60_000


@time_machine.travel(dt.datetime(2025, 6, 2, 10, tzinfo=dt.UTC), tick=False)
def test_a_historical_case_page_says_where_it_came_from_and_offers_no_deadline(
    clerk: User, category: ContentCategory
) -> None:
    import_now(clerk, upload(clerk, sample_file()), category)
    case = Case.objects.get(title="路灯不亮")
    response = logged_in(clerk).get(reverse("cases:detail", args=[case.number]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "台账导入的历史事项：台账记载已于2025-01-20答复办结。" in page
    assert "已办结" in page


def test_rows_read_by_the_child_process_are_the_rows_read_here(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    typed = ["W9", "赵六", "", "", "", 3, "否", "路面破损", dt.datetime(2025, 2, 3, 8, 30)]
    sample = [row + texts for row, texts in zip(SAMPLE, TEXTS, strict=True)]
    data = xlsx_bytes([*sample, [*typed, "请求修路。", "", "", ""]], WIDE)
    with open_sheet("xlsx", data) as sheet:
        here = list(sheet.rows)
    monkeypatch.setattr(reading, "READ_APART_BYTES", 0)
    with reading.sheet_rows("xlsx", data) as rows:
        apart = list(rows)
    assert apart == here
    assert (apart[3].values[8], apart[5].values[8]) == (45000, dt.datetime(2025, 2, 3, 8, 30))


@time_machine.travel(dt.datetime(2025, 6, 2, 10, tzinfo=dt.UTC), tick=False)
def test_each_case_keeps_the_rule_set_in_force_on_the_day_it_was_received(
    clerk: User, category: ContentCategory, settings: Any
) -> None:
    for name, day in [("甲", dt.date(2025, 1, 1)), ("乙", dt.date(2025, 3, 5))]:
        RuleSet.objects.create(
            jurisdiction=settings.XF_RULE_JURISDICTION, name=name, effective_from=day
        )
    import_now(clerk, upload(clerk, sample_file()), category)
    cases = Case.objects.order_by("received_on")
    assert [case.rule_set_key for case in cases] == [
        rule_set_for(settings.XF_RULE_JURISDICTION, case.received_on).key for case in cases
    ]
    assert len({case.rule_set_key for case in cases}) == 3


TEXT_COLUMNS = [WIDE.index(name) for name in ("标题", "诉求", "事实和理由", "答复意见")]


@pytest.mark.parametrize("form", [FTS5, TSVECTOR])
def test_the_reading_child_analyses_each_rows_search_text_as_it_would_be_analysed_here(
    monkeypatch: pytest.MonkeyPatch, form: str
) -> None:
    data = sample_file()
    with reading.read_sheet("xlsx", data, text_columns=TEXT_COLUMNS, form=form) as sheet:
        rows = list(sheet.rows)
        here = list(sheet.texts)
    monkeypatch.setattr(reading, "READ_APART_BYTES", 0)
    monkeypatch.setattr(reading, "CHILD_CHUNK", 2)  # several messages, one left over
    with reading.read_sheet("xlsx", data, text_columns=TEXT_COLUMNS, form=form) as sheet:
        assert list(sheet.rows) == rows
        apart = list(sheet.texts)
    expected = [
        (row.number, analyse([cell_text(row.get(column)) for column in TEXT_COLUMNS], form))
        for row in rows
    ]
    assert (here, apart) == (expected, expected)


def test_texts_are_taken_by_row_number_passing_over_the_rows_not_asked_for() -> None:
    texts = [(number, analyse([f"第{number}行"], FTS5)) for number in (2, 3, 5, 8)]
    taken = services.RowTexts(iter(texts))
    assert list(taken.take([3, 4, 5])) == [3, 5]
    assert list(taken.take([])) == []
    assert taken.take([8, 9]) == {8: texts[3][1]}
    assert taken.take([10]) == {}


@time_machine.travel(dt.datetime(2025, 6, 2, 10, tzinfo=dt.UTC), tick=False)
def test_an_import_read_apart_indexes_each_case_as_its_text_would_be_indexed(
    clerk: User, category: ContentCategory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reading, "READ_APART_BYTES", 0)
    done = import_now(clerk, upload(clerk, sample_file()), category)
    assert (done.imported, done.rejected) == (5, 0)
    ids = list(ImportedRow.objects.values_list("case_id", flat=True))
    assert index_cases(ids) == 0  # each document holds what its case's text gives
    searches = ["电梯", "停运三个月", "责成", "支付", "路"]
    found = [sorted(search_ids(clerk, parse_query(q), CaseFilters())) for q in searches]
    assert [len(ids) for ids in found] == [1, 1, 1, 1, 1]
    clear_index()
    assert index_cases(ids) == 5
    assert [sorted(search_ids(clerk, parse_query(q), CaseFilters())) for q in searches] == found
