"""The import registers each valid row through the registration service, once."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from openpyxl import load_workbook

from tests.conftest import Units
from tests.factories import UserFactory, id_number
from tests.ledger.conftest import HEADERS, import_now, row, upload, xlsx_bytes
from xinfang.accounts.enums import Role
from xinfang.accounts.models import User
from xinfang.audit.models import AuditEvent
from xinfang.cases.enums import CaseStatus, Channel
from xinfang.cases.models import Case, ContentCategory
from xinfang.cases.queries import CaseFilters
from xinfang.ledger import storage
from xinfang.ledger.exporters import rejected_rows_xlsx
from xinfang.ledger.models import ImportedRow, LedgerImport
from xinfang.ledger.services import (
    MappingInput,
    purge_expired_files,
    run_import,
    save_mapping,
    start_import,
)
from xinfang.search.analyzer import parse_query
from xinfang.search.queries import search_ids


def _events(name: str) -> int:
    return AuditEvent.objects.filter(event=name).count()


def test_each_valid_row_becomes_a_registered_case_and_the_batch_one_audit_event(
    clerk: User, category: ContentCategory
) -> None:
    person = id_number(3)
    ledger = import_now(
        clerk,
        upload(clerk, xlsx_bytes([row(1), row(2, 身份证号=person, 收到日期="2023/6/2 9:15:00")])),
        category,
    )
    assert (ledger.status, ledger.rows_total, ledger.imported, ledger.rejected) == (
        "done", 2, 2, 0,
    )  # fmt: skip
    cases = Case.objects.order_by("received_on")
    assert [case.title for case in cases] == ["小区物业乱收费问题1", "小区物业乱收费问题2"]
    assert [case.number for case in cases] == ["A01-2023-000001", "A01-2023-000002"]
    assert {case.status for case in cases} == {CaseStatus.REGISTERED}
    assert {case.channel for case in cases} == {Channel.ONLINE}
    assert str(cases[1].received_on) == "2023-06-02"
    assert cases[1].case_petitioners.get().petitioner.decrypt("id_number") == person
    registered = AuditEvent.objects.get(event="ledger.register")
    assert registered.detail["rows"] == [
        [2, "id:l0001", "A01-2023-000001"],
        [3, "id:l0002", "A01-2023-000002"],
    ]
    assert (registered.object_id, registered.actor_id) == (str(ledger.uid), clerk.pk)
    assert (_events("ledger.upload"), _events("ledger.map"), _events("ledger.finish")) == (1, 1, 1)


def test_importing_the_same_file_again_creates_no_duplicates(
    clerk: User, category: ContentCategory
) -> None:
    data = xlsx_bytes([row(1), row(2)])
    import_now(clerk, upload(clerk, data), category)
    again = import_now(clerk, upload(clerk, data), category)
    assert (again.imported, again.duplicates) == (0, 2)
    assert Case.objects.count() == 2
    assert ImportedRow.objects.count() == 2


def test_a_row_repeated_inside_one_file_is_imported_once(
    clerk: User, category: ContentCategory
) -> None:
    ledger = import_now(clerk, upload(clerk, xlsx_bytes([row(1), row(1)])), category)
    assert (ledger.imported, ledger.duplicates) == (1, 1)


def test_rows_without_a_ledger_number_are_recognised_by_their_content(
    clerk: User, category: ContentCategory
) -> None:
    data = xlsx_bytes([row(1, 编号=None), row(2, 编号=None)])
    import_now(clerk, upload(clerk, data), category)
    again = import_now(clerk, upload(clerk, data), category)
    assert (again.imported, again.duplicates) == (0, 2)


def test_another_source_is_another_ledger(clerk: User, category: ContentCategory) -> None:
    data = xlsx_bytes([row(1)])
    import_now(clerk, upload(clerk, data, source="市长信箱"), category)
    other = import_now(clerk, upload(clerk, data, source="12345热线"), category)
    assert (other.imported, Case.objects.count()) == (1, 2)


def test_rejected_rows_are_listed_with_reasons_and_handed_back_as_xlsx(
    clerk: User, category: ContentCategory
) -> None:
    rows = [
        row(1),
        row(2, 收到日期="2023-02-30"),
        row(3, 身份证号="110101198001011235", 诉求="-退钱@所有人"),
        row(4, 标题=None),
    ]
    ledger = import_now(clerk, upload(clerk, xlsx_bytes(rows)), category)
    assert (ledger.imported, ledger.rejected) == (1, 3)
    reasons = list(ledger.rejected_rows.values_list("row_number", "reasons"))
    assert reasons == [
        (3, "收到时间：无法识别的日期：2023-02-30"),
        (4, "身份证号：身份证号码校验位不正确，请核对后重新输入。"),
        (5, "标题为空"),
    ]
    content = rejected_rows_xlsx(ledger)
    assert content is not None
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    values = [[cell.value for cell in line] for line in sheet.iter_rows()]
    assert values[0] == [*HEADERS, "原行号", "未导入原因"]
    assert values[2][4] == "'-退钱@所有人"  # neutralised: no spreadsheet formula
    assert values[2][-2:] == [4, "身份证号：身份证号码校验位不正确，请核对后重新输入。"]


def test_the_fixed_rejected_rows_file_imports_what_was_missing(
    clerk: User, category: ContentCategory
) -> None:
    ledger = import_now(
        clerk, upload(clerk, xlsx_bytes([row(1), row(2, 收到日期="昨天")])), category
    )
    content = rejected_rows_xlsx(ledger)
    assert content is not None
    book = load_workbook(io.BytesIO(content))
    sheet = book.active
    assert sheet is not None
    sheet["D2"] = "2023-05-02"
    fixed = io.BytesIO()
    book.save(fixed)
    again = import_now(clerk, upload(clerk, fixed.getvalue(), "未导入的行.xlsx"), category)
    assert (again.imported, again.rejected, Case.objects.count()) == (1, 0, 2)


def test_an_imported_reply_is_searchable_as_reply_text(
    clerk: User, category: ContentCategory
) -> None:
    reply = "经核实，该小区物业服务合同已于2023年续签，收费标准已公示。"
    import_now(
        clerk, upload(clerk, xlsx_bytes([row(1, 答复意见=reply, 答复时间="2023-05-20")])), category
    )
    found = search_ids(clerk, parse_query("续签"), CaseFilters())
    assert found == list(Case.objects.values_list("pk", flat=True))
    imported = ImportedRow.objects.get()
    assert (imported.reply, str(imported.replied_on)) == (reply, "2023-05-20")


def test_only_a_clerk_may_import(units: Units, handler: User) -> None:
    with pytest.raises(PermissionDenied):
        upload(handler, xlsx_bytes([row(1)]))


def test_a_clerk_who_lost_the_role_before_the_queue_ran_gets_a_failed_import(
    units: Units, category: ContentCategory
) -> None:
    clerk = UserFactory(unit=units.office, roles=[Role.CLERK])
    ledger = upload(clerk, xlsx_bytes([row(1)]))
    clerk.role_grants.all().delete()
    clerk.__dict__.pop("roles", None)
    LedgerImport.objects.filter(pk=ledger.pk).update(status="queued", columns=ledger.columns)
    result = run_import(ledger.pk)
    assert (result.status, result.message, Case.objects.count()) == (
        "failed", "只有登记员可以导入台账。", 0,
    )  # fmt: skip


def test_the_uploaded_file_is_sealed_on_disk_and_deleted_after_the_import(
    clerk: User, category: ContentCategory, settings: Any
) -> None:
    data = xlsx_bytes([row(1, 身份证号=id_number(5))])
    ledger = upload(clerk, data)
    sealed = (settings.VAR_DIR / "ledger" / f"{ledger.uid}.sealed").read_bytes()
    assert id_number(5).encode() not in sealed
    assert b"PK\x03\x04" not in sealed
    assert storage.load(str(ledger.uid)) == data
    import_now(clerk, ledger, category)
    assert storage.load(str(ledger.uid)) is None


def test_the_original_of_rejected_rows_is_kept_until_the_nightly_purge(
    clerk: User, category: ContentCategory
) -> None:
    ledger = import_now(clerk, upload(clerk, xlsx_bytes([row(1, 标题=None)])), category)
    assert ledger.file_kept_until is not None
    assert purge_expired_files() == 0
    assert rejected_rows_xlsx(ledger) is not None
    assert purge_expired_files(ledger.file_kept_until + dt.timedelta(seconds=1)) == 1
    purged = LedgerImport.objects.get(pk=ledger.pk)
    assert (purged.file_kept_until, rejected_rows_xlsx(purged)) == (None, None)
    assert purged.status == "done"


def test_an_abandoned_upload_is_purged_and_cancelled(clerk: User) -> None:
    ledger = upload(clerk, xlsx_bytes([row(1)]))
    assert ledger.file_kept_until is not None
    purge_expired_files(ledger.file_kept_until + dt.timedelta(seconds=1))
    ledger.refresh_from_db()
    assert (ledger.status, storage.load(str(ledger.uid))) == ("cancelled", None)


def test_starting_twice_queues_once_and_writes_one_audit_event(
    clerk: User, category: ContentCategory, django_capture_on_commit_callbacks: Any
) -> None:
    ledger = upload(clerk, xlsx_bytes([row(1)]))
    save_mapping(
        ledger, actor=clerk, data=MappingInput(columns=ledger.columns, content_category=category)
    )
    with django_capture_on_commit_callbacks() as queued:
        start_import(ledger, actor=clerk)
        with pytest.raises(ValidationError):
            start_import(ledger, actor=clerk)
    assert (len(queued), _events("ledger.start")) == (1, 1)
    assert LedgerImport.objects.get(pk=ledger.pk).status == "queued"
