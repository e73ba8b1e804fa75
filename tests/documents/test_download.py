"""A notice is downloaded through the visibility query, as an attachment, and audited."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import Units, logged_in
from tests.documents.conftest import issue
from tests.factories import CaseFactory
from xinfang.accounts.models import User
from xinfang.audit.models import AuditEvent
from xinfang.cases.models import Case
from xinfang.documents.enums import NoticeKind
from xinfang.documents.models import Document
from xinfang.documents.services import DOCX_CONTENT_TYPE

pytestmark = pytest.mark.django_db


@pytest.fixture
def notice(case: Case, handler: User, units: Units) -> Document:
    return issue(case, NoticeKind.ACCEPTANCE, actor=handler, unit=units.unit_a)


def url(document: Document, number: str = "A01-2026-000001") -> str:
    return f"/documents/{number}/{document.uid}/"


def test_the_handler_of_the_case_downloads_the_notice_as_an_attachment(
    notice: Document, handler: User
) -> None:
    client = logged_in(handler)
    before = AuditEvent.objects.count()

    response = client.get(url(notice))

    assert response.status_code == 200
    assert response.content == bytes(Document.objects.defer(None).get(pk=notice.pk).content)
    assert response["Content-Type"] == DOCX_CONTENT_TYPE
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''A01-2026-000001_"
        "%E5%8F%97%E7%90%86%E5%91%8A%E7%9F%A5%E4%B9%A6.docx"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    events = list(AuditEvent.objects.order_by("seq")[before:])
    assert [(e.event, e.object_id, e.detail) for e in events] == [
        (
            "document.download",
            notice.number,
            {"case": "A01-2026-000001", "kind": "acceptance"},
        )
    ]


def test_the_url_name_builds_the_download_address(notice: Document) -> None:
    from django.urls import reverse

    assert reverse("documents:download", args=[notice.case.number, notice.uid]) == url(notice)


def test_a_user_of_another_unit_gets_404_and_nothing_is_audited(
    notice: Document, outsider: User
) -> None:
    client = logged_in(outsider)
    before = AuditEvent.objects.count()

    assert client.get(url(notice)).status_code == 404
    assert AuditEvent.objects.count() == before


def test_a_notice_asked_for_under_another_visible_case_is_404(
    notice: Document, clerk: User, handler: User, units: Units
) -> None:
    other = CaseFactory(number="A01-2026-000002", registered_by=clerk, handling_unit=units.unit_a)

    assert logged_in(handler).get(url(notice, other.number)).status_code == 404


def test_an_unknown_notice_is_404(case: Case, handler: User) -> None:
    path = "/documents/A01-2026-000001/00000000-0000-0000-0000-000000000000/"

    assert logged_in(handler).get(path).status_code == 404


def test_the_registering_office_downloads_too(notice: Document, clerk: User) -> None:
    assert logged_in(clerk).get(url(notice)).status_code == 200


def test_anonymous_visitors_are_sent_to_sign_in(notice: Document) -> None:
    response = Client().get(url(notice))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_user_without_a_case_role_gets_403(notice: Document, auditor: User) -> None:
    assert logged_in(auditor).get(url(notice)).status_code == 403


def test_post_is_refused_with_405(notice: Document, handler: User) -> None:
    assert logged_in(handler).post(url(notice)).status_code == 405
