"""The cast for notices: a case handled by unit A whose petitioner has an ID number, a phone and
an address (so that a leak would show), and a 系统管理员 for the template pages."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import pytest
from django.db import transaction

from tests.conftest import Units
from tests.factories import CaseFactory, PetitionerFactory, UserFactory, id_number
from xinfang.accounts.enums import Role
from xinfang.accounts.models import Unit, User
from xinfang.cases.models import Case, Petitioner
from xinfang.documents.enums import NoticeKind, Outcome
from xinfang.documents.models import Document
from xinfang.documents.services import NoticeFacts, RequestOutcome, issue_notice

ID_NUMBER = id_number(321)
PHONE = "13912345678"
ADDRESS = "西地省A市A1区幸福路88号3单元"
ISSUED_ON = dt.date(2026, 11, 26)
BODY = "该事项已由人民法院作出生效判决，属于诉讼程序处理范围。"
BASIS = "《信访工作条例》第三十一条"
OUTCOMES = (
    RequestOutcome("退还多收的停车费", Outcome.SUPPORT, "经查，物业公司超标准收取停车费属实。"),
    RequestOutcome("公开收费依据", Outcome.EXPLAIN, "收费标准已在小区公示栏公示"),
    RequestOutcome("赔偿精神损失", Outcome.REJECT, "该请求缺乏法律依据。"),
)


@pytest.fixture
def admin(units: Units) -> User:
    return UserFactory(
        username="sysadmin", full_name="系统管理员", unit=units.office, roles=[Role.SYSTEM_ADMIN]
    )


@pytest.fixture
def person(db: None) -> Petitioner:
    return PetitionerFactory(name="张三", id_number=ID_NUMBER, phone=PHONE, address=ADDRESS)


@pytest.fixture
def case(clerk: User, units: Units, person: Petitioner) -> Case:
    return CaseFactory(
        number="A01-2026-000001",
        registered_by=clerk,
        handling_unit=units.unit_a,
        title="某小区物业乱收停车费",
        request="请求责令物业公司退还多收的停车费。",
        facts_reasons="物业公司自2026年3月起每月加收停车管理费200元。",
        received_on=dt.date(2026, 11, 20),
        petitioners=[person],
    )


def facts_for(kind: NoticeKind, **overrides: object) -> NoticeFacts:
    """Complete facts for ``kind``: what the workflow would pass."""
    values: dict[str, object] = {"issued_on": ISSUED_ON, "body": BODY, "basis": BASIS}
    if kind in {NoticeKind.TRANSFER, NoticeKind.ASSIGNMENT, NoticeKind.BATCH_ASSIGNMENT}:
        values["receiving_unit_name"] = "市住房和城乡建设局"
    if kind in {NoticeKind.OBJECTION, NoticeKind.COMPLETION_REPORT}:
        values["receiving_unit_name"] = "A市信访局"
    if kind in {
        NoticeKind.ASSIGNMENT,
        NoticeKind.EXTENSION,
        NoticeKind.ACCEPTANCE,
        NoticeKind.BATCH_ASSIGNMENT,
    }:
        values["due_on"] = dt.date(2027, 1, 25)
    if kind == NoticeKind.EXTENSION:
        values["extension_days"] = 30
    if kind in {NoticeKind.OPINION, NoticeKind.REVIEW_OPINION, NoticeKind.RECHECK_OPINION}:
        values["outcomes"] = OUTCOMES
    if kind == NoticeKind.OPINION:
        values |= {"review_unit_name": "A市人民政府", "review_window_days": 30}
    if kind == NoticeKind.REVIEW_OPINION:
        values |= {"review_unit_name": "西地省人民政府", "review_window_days": 30}
    values.update(overrides)
    return NoticeFacts(**values)  # type: ignore[arg-type]


def issue(
    case: Case, kind: NoticeKind, *, actor: User, unit: Unit, **overrides: object
) -> Document:
    """As the workflow calls it: inside its own transaction."""
    with transaction.atomic():
        return issue_notice(
            case, kind, actor=actor, issuing_unit=unit, facts=facts_for(kind, **overrides)
        )


def docx_xml(content: bytes) -> str:
    """Every XML part of a .docx, joined: what a leak would be found in."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return "\n".join(
            archive.read(name).decode("utf-8")
            for name in archive.namelist()
            if name.endswith((".xml", ".rels"))
        )


def docx_text(content: bytes) -> str:
    """The visible text, runs joined per paragraph (so split runs read as one)."""
    xml = docx_xml(content)
    paragraphs = re.findall(r"<w:p[ >].*?</w:p>", xml, flags=re.S)
    return "\n".join("".join(re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", p)) for p in paragraphs)
