"""文号 run gapless per issuing unit, kind and year; a notice is stored and audited with the
transaction that issued it, or not at all."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.db import transaction

from tests.conftest import Units
from tests.documents.conftest import issue
from xinfang.accounts.models import User
from xinfang.audit.models import AuditEvent
from xinfang.cases.models import Case
from xinfang.documents.enums import NoticeKind
from xinfang.documents.models import Document

pytestmark = pytest.mark.django_db


class RollbackError(Exception):
    """Something later in the caller's transaction fails."""


def issue_then_fail(case: Case, handler: User, units: Units) -> None:
    with transaction.atomic():
        issue(case, NoticeKind.ACCEPTANCE, actor=handler, unit=units.unit_a)
        raise RollbackError


def test_numbers_run_gapless_per_unit_kind_and_year(
    case: Case, handler: User, outsider: User, units: Units
) -> None:
    a, b = units.unit_a, units.unit_b
    numbers = [
        issue(case, NoticeKind.ACCEPTANCE, actor=handler, unit=a).number,
        issue(case, NoticeKind.ACCEPTANCE, actor=handler, unit=a).number,
        issue(case, NoticeKind.ACCEPTANCE, actor=outsider, unit=b).number,
        issue(case, NoticeKind.NON_ACCEPTANCE, actor=handler, unit=a).number,
        issue(case, NoticeKind.ACCEPTANCE, actor=handler, unit=a).number,
        issue(
            case, NoticeKind.ACCEPTANCE, actor=handler, unit=a, issued_on=dt.date(2027, 1, 4)
        ).number,
        issue(case, NoticeKind.REVIEW_OPINION, actor=handler, unit=a).number,
    ]

    assert numbers == [
        "A11受〔2026〕1号",
        "A11受〔2026〕2号",
        "A12受〔2026〕1号",
        "A11不受〔2026〕1号",
        "A11受〔2026〕3号",
        "A11受〔2027〕1号",
        "A11复查〔2026〕1号",
    ]


def test_every_kind_has_its_own_prefix(case: Case, handler: User, units: Units) -> None:
    numbers = [issue(case, kind, actor=handler, unit=units.unit_a).number for kind in NoticeKind]

    assert numbers == [
        "A11受〔2026〕1号",
        "A11不受〔2026〕1号",
        "A11不再受〔2026〕1号",
        "A11转〔2026〕1号",
        "A11交〔2026〕1号",
        "A11异〔2026〕1号",
        "A11延〔2026〕1号",
        "A11处〔2026〕1号",
        "A11复查〔2026〕1号",
        "A11复核〔2026〕1号",
        "A11结〔2026〕1号",
        "A11集交〔2026〕1号",
    ]


def test_a_rolled_back_transaction_leaves_no_document_no_audit_event_and_no_gap(
    case: Case, handler: User, units: Units
) -> None:
    events = AuditEvent.objects.count()

    with pytest.raises(RollbackError):
        issue_then_fail(case, handler, units)

    assert (Document.objects.count(), AuditEvent.objects.count()) == (0, events)
    after = issue(case, NoticeKind.ACCEPTANCE, actor=handler, unit=units.unit_a)
    assert after.number == "A11受〔2026〕1号"


def test_issuing_writes_exactly_one_audit_event_naming_the_number_case_and_kind(
    case: Case, handler: User, units: Units
) -> None:
    before = AuditEvent.objects.count()

    document = issue(case, NoticeKind.OPINION, actor=handler, unit=units.unit_a)

    events = list(AuditEvent.objects.order_by("seq")[before:])
    assert [(e.event, e.object_type, e.object_id, e.detail, e.actor_id) for e in events] == [
        (
            "document.issue",
            "documents.document",
            document.number,
            {"case": "A01-2026-000001", "kind": "opinion"},
            handler.pk,
        )
    ]


def test_the_file_is_stored_with_the_case_and_described(
    case: Case, handler: User, units: Units
) -> None:
    document = issue(case, NoticeKind.ACCEPTANCE, actor=handler, unit=units.unit_a)
    stored = Document.objects.defer(None).get(pk=document.pk)
    content = bytes(stored.content)

    assert content[:4] == b"PK\x03\x04"
    assert (stored.size, stored.sha256) == (len(content), hashlib.sha256(content).hexdigest())
    assert stored.filename == "A01-2026-000001_受理告知书.docx"
    assert (stored.case, stored.kind, stored.issuing_unit, stored.issued_by) == (
        case,
        NoticeKind.ACCEPTANCE,
        units.unit_a,
        handler,
    )
    assert (stored.issued_on, stored.template_version) == (dt.date(2026, 11, 26), "builtin-1")


def test_a_cases_documents_list_in_issue_order_without_loading_the_files(
    case: Case, handler: User, units: Units
) -> None:
    first = issue(case, NoticeKind.ACCEPTANCE, actor=handler, unit=units.unit_a)
    second = issue(case, NoticeKind.EXTENSION, actor=handler, unit=units.unit_a)

    listed = list(case.documents.all())

    assert listed == [first, second]
    assert all("content" in d.get_deferred_fields() for d in listed)
