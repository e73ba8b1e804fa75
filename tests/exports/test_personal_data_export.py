"""Bulk export of personal data (SECURITY.md 12): asked for with a reason, approved by a leader
above the requester, downloaded once by the requester, one audit record with rows and fields."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from tests.conftest import Units, logged_in
from tests.factories import CaseFactory, PetitionerFactory, UserFactory
from xinfang.accounts.enums import Role
from xinfang.accounts.models import User
from xinfang.audit.models import AuditEvent
from xinfang.cases.enums import CaseStatus
from xinfang.cases.models import Case
from xinfang.exports.models import ExportStatus, PersonalDataExport, PersonalField
from xinfang.exports.services import (
    ExportAlreadyDecidedError,
    ExportRefusedError,
    decide_export,
    download_export,
    request_export,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def unit_leader(units: Units) -> User:
    return UserFactory(username="a-leader", unit=units.unit_a, roles=[Role.LEADER])


@pytest.fixture
def cases_of_unit_a(clerk: User, units: Units) -> list[Case]:
    people = [
        PetitionerFactory(name="张三", id_number="110101199003077578", phone="13912345678"),
        PetitionerFactory(name="李四"),
    ]
    return [
        CaseFactory(registered_by=clerk, handling_unit=units.unit_a, petitioners=people[:1]),
        CaseFactory(registered_by=clerk, handling_unit=units.unit_a, petitioners=people[1:]),
        CaseFactory(registered_by=clerk, handling_unit=units.unit_b),  # not the handler's
    ]


def ask(user: User, **changes: object) -> PersonalDataExport:
    arguments: dict[str, object] = {
        "actor": user,
        "reason": "集中回访核对联系方式",
        "query": {},
        "summary": "全部可见事项",
        "fields": [PersonalField.NAME, PersonalField.PHONE],
    }
    arguments.update(changes)
    return request_export(**arguments)  # type: ignore[arg-type]


def rows_of(content: bytes) -> list[tuple[object, ...]]:
    sheet = load_workbook(io.BytesIO(content), read_only=True).active
    assert sheet is not None
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


def test_an_approved_export_downloads_once_with_only_the_visible_cases_and_the_chosen_fields(
    handler: User, unit_leader: User, cases_of_unit_a: list[Case]
) -> None:
    export = ask(handler)
    decide_export(export, actor=unit_leader, approve=True)

    rows = rows_of(download_export(export, actor=handler))

    assert rows[0] == ("信访件编号", "标题", "收到日期", "问题属地", "主办单位", "姓名", "联系电话")
    assert sorted(str(row[0]) for row in rows[1:]) == sorted(c.number for c in cases_of_unit_a[:2])
    assert ("张三", "13912345678") in {row[5:] for row in rows[1:]}
    export.refresh_from_db()
    assert export.status == ExportStatus.DOWNLOADED
    assert export.row_count == 2


def test_the_download_writes_one_audit_record_with_the_row_count_and_the_fields(
    handler: User, unit_leader: User, cases_of_unit_a: list[Case]
) -> None:
    export = ask(handler)
    decide_export(export, actor=unit_leader, approve=True)
    download_export(export, actor=handler)

    (event,) = AuditEvent.objects.filter(event="export.personal_data")
    assert event.detail["rows"] == 2
    assert event.detail["fields"] == ["name", "phone"]
    assert "110101199003077578" not in str(event.detail)


def test_a_second_download_is_refused_and_writes_nothing(
    handler: User, unit_leader: User, cases_of_unit_a: list[Case]
) -> None:
    export = ask(handler)
    decide_export(export, actor=unit_leader, approve=True)
    download_export(export, actor=handler)

    with pytest.raises(ExportRefusedError, match="已下载过一次"):
        download_export(export, actor=handler)
    assert AuditEvent.objects.filter(event="export.personal_data").count() == 1


def test_nothing_downloads_before_approval_after_rejection_or_after_the_approval_lapses(
    handler: User, unit_leader: User, cases_of_unit_a: list[Case]
) -> None:
    pending = ask(handler)
    with pytest.raises(ExportRefusedError, match="尚未批准"):
        download_export(pending, actor=handler)

    rejected = decide_export(ask(handler), actor=unit_leader, approve=False, note="用途不明确")
    with pytest.raises(ExportRefusedError, match="已被驳回"):
        download_export(rejected, actor=handler)

    lapsing = decide_export(ask(handler), actor=unit_leader, approve=True)
    later = timezone.now() + dt.timedelta(hours=25)
    with time_machine.travel(later), pytest.raises(ExportRefusedError, match="过有效期"):
        download_export(lapsing, actor=handler)
    assert not AuditEvent.objects.filter(event="export.personal_data").exists()


def test_only_a_leader_above_the_requester_decides_and_never_their_own_request(
    handler: User,
    unit_leader: User,
    leader: User,
    units: Units,
    cases_of_unit_a: list[Case],
) -> None:
    export = ask(handler)
    sibling_leader = UserFactory(unit=units.unit_b, roles=[Role.LEADER])
    with pytest.raises(PermissionDenied):
        decide_export(export, actor=sibling_leader, approve=True)
    with pytest.raises(PermissionDenied):
        decide_export(export, actor=handler, approve=True)

    decide_export(export, actor=leader, approve=True)  # the office is above unit A
    export.refresh_from_db()
    assert export.status == ExportStatus.APPROVED


def test_a_leader_cannot_approve_their_own_request(
    units: Units, unit_leader: User, cases_of_unit_a: list[Case]
) -> None:
    handling_leader = UserFactory(unit=units.unit_a, roles=[Role.HANDLER, Role.LEADER])
    export = ask(handling_leader)
    with pytest.raises(PermissionDenied):
        decide_export(export, actor=handling_leader, approve=True)
    decide_export(export, actor=unit_leader, approve=True)


def test_a_second_decision_on_the_same_request_is_refused(
    handler: User, unit_leader: User, leader: User, cases_of_unit_a: list[Case]
) -> None:
    export = ask(handler)
    stale = PersonalDataExport.objects.get(pk=export.pk)
    decide_export(export, actor=unit_leader, approve=True)
    with pytest.raises(ExportAlreadyDecidedError):
        decide_export(stale, actor=leader, approve=False, note="不同意")
    export.refresh_from_db()
    assert export.status == ExportStatus.APPROVED


def test_an_accusation_against_the_requesters_unit_is_left_out_of_the_file(
    handler: User, unit_leader: User, clerk: User, units: Units, cases_of_unit_a: list[Case]
) -> None:
    accusation = CaseFactory(
        registered_by=clerk, handling_unit=units.unit_a, accused_unit=units.unit_a
    )
    export = ask(handler)
    decide_export(export, actor=unit_leader, approve=True)

    numbers = {row[0] for row in rows_of(download_export(export, actor=handler))[1:]}
    assert accusation.number not in numbers
    assert len(numbers) == 2


def test_a_request_needs_a_reason_fields_and_a_role_that_may_see_personal_data(
    handler: User, supervisor: User, cases_of_unit_a: list[Case]
) -> None:
    with pytest.raises(ValidationError) as missing:
        ask(handler, reason=" 无 ", fields=[])
    assert set(missing.value.message_dict) == {"reason", "fields"}
    with pytest.raises(ValidationError):
        ask(handler, fields=["name", "salary"])
    with pytest.raises(PermissionDenied):
        ask(supervisor)
    assert not PersonalDataExport.objects.exists()


def test_a_request_over_the_limit_or_over_nothing_is_refused(
    handler: User, settings: object, cases_of_unit_a: list[Case]
) -> None:
    settings.XF_EXPORT_MAX_ROWS = 1  # type: ignore[attr-defined]
    with pytest.raises(ValidationError, match="最多导出1件"):
        ask(handler)
    with pytest.raises(ValidationError, match="没有可导出"):
        ask(handler, query={"status": CaseStatus.CLOSED})
    assert not PersonalDataExport.objects.exists()


def test_the_whole_flow_through_the_pages(
    handler: User, unit_leader: User, cases_of_unit_a: list[Case]
) -> None:
    requester, approver = logged_in(handler), logged_in(unit_leader)
    page = requester.get(reverse("exports:new") + "?status=registered")
    assert page.status_code == 200
    assert "状态：已登记" in page.content.decode()

    sent = requester.post(
        reverse("exports:new"),
        {
            "fields_wanted": ["name", "id_number"],
            "reason": "核对身份信息",
            "query": "status=registered",
        },
    )
    assert sent.status_code == 302
    export = PersonalDataExport.objects.get()
    assert export.query == {"status": "registered"}

    listing = approver.get(reverse("exports:index")).content.decode()
    assert "核对身份信息" in listing
    assert "待我审批" in listing
    approver.post(reverse("exports:decide", args=[export.uid]), {"decision": "approve"})

    download = requester.post(reverse("exports:download", args=[export.uid]))
    assert download.status_code == 200
    assert download["Content-Type"].startswith("application/vnd.openxmlformats")
    again = requester.post(reverse("exports:download", args=[export.uid]), follow=True)
    assert "已下载过一次" in again.content.decode()


def test_bad_input_on_the_request_page_keeps_what_was_typed_and_says_why(
    handler: User, cases_of_unit_a: list[Case]
) -> None:
    response = logged_in(handler).post(
        reverse("exports:new"), {"reason": "核对", "fields_wanted": [], "query": ""}
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "请选择要导出的个人信息字段" in body
    assert "核对" in body
    assert not PersonalDataExport.objects.exists()


def test_others_cannot_decide_or_download_through_the_pages(
    handler: User, outsider: User, unit_leader: User, cases_of_unit_a: list[Case]
) -> None:
    export = ask(handler)
    assert (
        logged_in(outsider).post(reverse("exports:download", args=[export.uid])).status_code == 404
    )
    assert (
        logged_in(handler)
        .post(reverse("exports:decide", args=[export.uid]), {"decision": "approve"})
        .status_code
        == 403
    )
    export.refresh_from_db()
    assert export.status == ExportStatus.PENDING
