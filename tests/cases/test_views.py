from __future__ import annotations

import base64
import io
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.conftest import Units, logged_in
from tests.factories import CaseFactory, PetitionerFactory, RegionFactory, UserFactory, id_number
from xinfang.accounts.enums import RegionLevel, Role
from xinfang.accounts.models import Region, User
from xinfang.audit.models import AuditEvent
from xinfang.cases.models import Attachment, Case, Contact, ContentCategory

pytestmark = pytest.mark.django_db

FULL_ID = re.compile(r"\d{17}[\dXx]")
FULL_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def registration_post(
    units: Units, region: Region, category: ContentCategory, **overrides: Any
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "idempotency_key": "0b6f1f66-2d1c-4a1e-9c55-3f1c3e1f0a01",
        "contact-channel": "visit",
        "contact-occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "contact-reception_unit": str(units.hall.pk),
        "contact-people_count": "12",
        "petitioners-TOTAL_FORMS": "3",
        "petitioners-INITIAL_FORMS": "0",
        "petitioners-MIN_NUM_FORMS": "1",
        "petitioners-MAX_NUM_FORMS": "50",
        "matter-handling_category": "claim",
        "matter-content_category": str(category.pk),
        "matter-region": str(region.pk),
        "matter-title": "某小区物业乱收停车费",
        "matter-request": "请求责令物业公司停止违规收费。",
        "matter-facts_reasons": "自2026年3月起每月加收停车管理费。",
    }
    for i in range(3):
        data[f"petitioners-{i}-name"] = f"代表{i + 1}"
        data[f"petitioners-{i}-id_number"] = id_number(100 + i)
        data[f"petitioners-{i}-phone"] = f"1380000000{i}"
        data[f"petitioners-{i}-is_representative"] = "on"
    data.update(overrides)
    return data


# --- list ---------------------------------------------------------------------------------------


def test_clerk_sees_the_case_list(clerk: User) -> None:
    case = CaseFactory(registered_by=clerk)

    response = logged_in(clerk).get("/cases/")

    assert response.status_code == 200
    assert list(response.context["page"].cases) == [case]


def test_anonymous_is_sent_to_login_from_the_case_list(db: None) -> None:
    response = Client().get("/cases/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_auditor_gets_403_on_the_case_list(auditor: User) -> None:
    assert logged_in(auditor).get("/cases/").status_code == 403


def test_case_list_refuses_post_with_405(clerk: User) -> None:
    assert logged_in(clerk).post("/cases/").status_code == 405


def test_handler_sees_only_cases_assigned_to_their_unit(
    handler: User, clerk: User, units: Units
) -> None:
    mine = CaseFactory(registered_by=clerk, handling_unit=units.unit_a)
    CaseFactory(registered_by=clerk, handling_unit=units.unit_b)
    CaseFactory(registered_by=clerk)

    response = logged_in(handler).get("/cases/")

    assert list(response.context["page"].cases) == [mine]


def list_queries(client: Any, url: str) -> int:
    client.get(url)  # warm per-process caches (content types)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_case_list_query_count_is_the_same_for_one_and_three_cases(clerk: User) -> None:
    client = logged_in(clerk)
    CaseFactory(registered_by=clerk)
    with_one = list_queries(client, "/cases/")
    CaseFactory.create_batch(2, registered_by=clerk)

    with_three = list_queries(client, "/cases/")

    assert with_one == with_three


def test_case_list_pages_by_keyset_without_repeats(clerk: User, settings: Any) -> None:
    settings.XF_PAGE_SIZE = 10
    made = CaseFactory.create_batch(23, registered_by=clerk)
    client = logged_in(clerk)
    seen: list[str] = []
    url = "/cases/"
    while url:
        page = client.get(url).context["page"]
        seen += [case.number for case in page.cases]
        url = f"/cases/?after={page.next_cursor}" if page.next_cursor else ""

    assert sorted(seen) == sorted(case.number for case in made)
    assert len(seen) == 23


def test_case_list_filters_by_channel_and_ignores_a_garbage_cursor(clerk: User) -> None:
    letter = CaseFactory(registered_by=clerk, channel="letter")
    CaseFactory(registered_by=clerk, channel="visit")

    response = logged_in(clerk).get("/cases/?channel=letter&after=%%%garbage")

    assert list(response.context["page"].cases) == [letter]


# --- registration ------------------------------------------------------------------------------


def test_clerk_registers_a_collective_visit_of_twelve_with_three_representatives(
    clerk: User, units: Units, region: Region, category: ContentCategory
) -> None:
    response = logged_in(clerk).post("/cases/register/", registration_post(units, region, category))

    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{case.number}/"
    assert (case.form, case.people_count, case.case_petitioners.count()) == ("collective", 12, 3)
    contact = Contact.objects.get()
    assert (contact.people_count, contact.representative_count, contact.is_collective) == (
        12,
        3,
        True,
    )


def test_posting_the_same_registration_twice_creates_one_case(
    clerk: User, units: Units, region: Region, category: ContentCategory
) -> None:
    client = logged_in(clerk)
    data = registration_post(units, region, category)

    client.post("/cases/register/", data)
    client.post("/cases/register/", data)

    assert Case.objects.count() == 1


def test_a_wrong_id_check_digit_is_refused_in_chinese_and_keeps_what_was_typed(
    clerk: User, units: Units, region: Region, category: ContentCategory
) -> None:
    bad = id_number(5)[:-1] + ("0" if id_number(5)[-1] != "0" else "1")
    data = registration_post(units, region, category, **{"petitioners-1-id_number": bad})

    response = logged_in(clerk).post("/cases/register/", data)

    body = response.content.decode()
    assert response.status_code == 422
    assert "身份证号码校验位不正确" in body
    assert "某小区物业乱收停车费" in body  # nothing typed is lost
    assert Case.objects.count() == 0


def test_adding_a_petitioner_row_keeps_the_form_and_shows_no_errors(
    clerk: User, units: Units, region: Region, category: ContentCategory
) -> None:
    data = registration_post(units, region, category, **{"matter-title": ""})
    data["add_petitioner"] = "1"

    response = logged_in(clerk).post("/cases/register/", data)

    assert response.status_code == 200
    assert response.context["forms"].petitioners.total_form_count() == 4
    assert 'role="alert"' not in response.content.decode()
    assert Case.objects.count() == 0


def test_more_than_five_representatives_registers_with_a_warning(
    clerk: User, units: Units, region: Region, category: ContentCategory
) -> None:
    data = registration_post(units, region, category, **{"petitioners-TOTAL_FORMS": "6"})
    for i in range(3, 6):
        data[f"petitioners-{i}-name"] = f"代表{i + 1}"
        data[f"petitioners-{i}-is_representative"] = "on"

    response = logged_in(clerk).post("/cases/register/", data, follow=True)

    assert Case.objects.count() == 1
    assert "第二十条" in response.content.decode()


def test_handler_gets_403_on_the_registration_page(handler: User) -> None:
    assert logged_in(handler).get("/cases/register/").status_code == 403


def test_registration_page_refuses_put_with_405(clerk: User) -> None:
    assert logged_in(clerk).put("/cases/register/").status_code == 405


def test_typing_a_known_id_number_shows_the_persons_existing_case(clerk: User) -> None:
    person = PetitionerFactory(id_number=id_number(42))
    case = CaseFactory(registered_by=clerk, petitioners=[person])

    response = logged_in(clerk).get(
        "/cases/register/person/", {"petitioners-0-id_number": id_number(42)}
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert re.findall(r'name="attach_to" value="([^"]+)"', body) == [case.number]


def test_person_lookup_does_not_show_cases_outside_the_users_scope(
    outsider: User, clerk: User, units: Units
) -> None:
    person = PetitionerFactory(id_number=id_number(43))
    CaseFactory(registered_by=clerk, petitioners=[person], handling_unit=units.unit_a)
    outsider.roles  # noqa: B018  (outsider is a handler: not allowed to register either)

    assert (
        logged_in(outsider)
        .get("/cases/register/person/", {"x-id_number": id_number(43)})
        .status_code
        == 403
    )


def test_attaching_as_a_repeat_adds_a_contact_instead_of_a_new_case(
    clerk: User, units: Units, region: Region, category: ContentCategory
) -> None:
    person = PetitionerFactory(id_number=id_number(100))
    case = CaseFactory(registered_by=clerk, petitioners=[person])
    data = registration_post(units, region, category, attach_to=case.number, **{"matter-title": ""})

    response = logged_in(clerk).post("/cases/register/", data)

    case.refresh_from_db()
    assert response.status_code == 302
    assert Case.objects.count() == 1
    assert case.contact_count == 2
    assert Contact.objects.filter(case=case, is_repeat=True).count() == 1


# --- detail, reveal, attachments ------------------------------------------------------------------


def test_outsider_gets_404_on_case_detail(outsider: User, clerk: User, units: Units) -> None:
    case = CaseFactory(registered_by=clerk, handling_unit=units.unit_a)

    assert logged_in(outsider).get(f"/cases/{case.number}/").status_code == 404


def test_case_detail_masks_identity_and_phone_by_default(clerk: User) -> None:
    person = PetitionerFactory(id_number=id_number(7), phone="13912345678")
    case = CaseFactory(registered_by=clerk, petitioners=[person])

    body = logged_in(clerk).get(f"/cases/{case.number}/").content.decode()

    assert FULL_ID.search(body) is None
    assert FULL_MOBILE.search(body) is None
    assert f"{id_number(7)[:3]}***********{id_number(7)[-4:]}" in body
    assert "139****5678" in body


def test_revealing_full_identity_shows_it_and_writes_one_audit_event(clerk: User) -> None:
    person = PetitionerFactory(id_number=id_number(8), phone="13912345678")
    case = CaseFactory(registered_by=clerk, petitioners=[person])
    client = logged_in(clerk)
    before = AuditEvent.objects.count()

    response = client.post(
        f"/cases/{case.number}/petitioners/{person.uid}/reveal/", HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    assert id_number(8) in response.content.decode()
    assert AuditEvent.objects.count() - before == 1
    event = AuditEvent.objects.latest("seq")
    assert (event.event, event.object_id, event.detail) == (
        "petitioner.reveal",
        str(person.uid),
        {"case": case.number},
    )


def test_supervisor_may_not_reveal_full_identity(supervisor: User, clerk: User) -> None:
    case = CaseFactory(registered_by=clerk)
    person = case.case_petitioners.get().petitioner

    response = logged_in(supervisor).post(f"/cases/{case.number}/petitioners/{person.uid}/reveal/")

    assert response.status_code == 403


def test_reveal_refuses_get_with_405(clerk: User) -> None:
    case = CaseFactory(registered_by=clerk)
    person = case.case_petitioners.get().petitioner

    assert (
        logged_in(clerk).get(f"/cases/{case.number}/petitioners/{person.uid}/reveal/").status_code
        == 405
    )


def pdf_upload(name: str = "材料.pdf", body: bytes = b"%PDF-1.4\n%test\n") -> io.BytesIO:
    upload = io.BytesIO(body)
    upload.name = name
    return upload


def test_uploaded_attachment_downloads_only_as_an_attachment_for_people_in_scope(
    clerk: User, outsider: User, settings: Any, tmp_path: Any
) -> None:
    settings.ATTACHMENT_DIR = tmp_path
    case = CaseFactory(registered_by=clerk)
    client = logged_in(clerk)

    client.post(f"/cases/{case.number}/attachments/", {"file": pdf_upload()})

    attachment = Attachment.objects.get()
    url = f"/cases/{case.number}/attachments/{attachment.uid}/"
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.getvalue() == b"%PDF-1.4\n%test\n"
    assert logged_in(outsider).get(url).status_code == 404


def test_an_html_file_named_pdf_is_refused_and_nothing_is_stored(
    clerk: User, settings: Any, tmp_path: Any
) -> None:
    settings.ATTACHMENT_DIR = tmp_path
    case = CaseFactory(registered_by=clerk)

    response = logged_in(clerk).post(
        f"/cases/{case.number}/attachments/",
        {"file": pdf_upload(body=b"<html><script>x</script>")},
        follow=True,
    )

    assert "文件内容与扩展名不符" in response.content.decode()
    assert Attachment.objects.count() == 0
    assert list(tmp_path.iterdir()) == []


def test_clerk_adds_a_repeat_contact_from_the_case_page(clerk: User, units: Units) -> None:
    case = CaseFactory(registered_by=clerk)
    data = {
        "contact-channel": "letter",
        "contact-occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "contact-reception_unit": str(units.office.pk),
        "contact-people_count": "1",
        "petitioners-TOTAL_FORMS": "0",
        "petitioners-INITIAL_FORMS": "0",
        "petitioners-MIN_NUM_FORMS": "0",
        "petitioners-MAX_NUM_FORMS": "50",
    }

    response = logged_in(clerk).post(f"/cases/{case.number}/contacts/new/", data)

    case.refresh_from_db()
    assert response.status_code == 302
    assert case.contact_count == 2


def token(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [token("2026-01-01T00:00:00|1"), token("2026-01-01T00:00:00+00:00|99999999999999999999999")],
    ids=["no-time-zone", "id-beyond-bigint"],
)
def test_a_hand_made_cursor_gives_the_first_page_not_an_error(clerk: User, cursor: str) -> None:
    case = CaseFactory(registered_by=clerk)

    response = logged_in(clerk).get(f"/cases/?after={cursor}")

    assert response.status_code == 200
    assert list(response.context["page"].cases) == [case]


def test_filtering_by_a_district_lists_its_township_cases_too(clerk: User, region: Region) -> None:
    township = RegionFactory(
        code="990102001", name="幸福街道", level=RegionLevel.TOWNSHIP, parent=region
    )
    inside = CaseFactory(registered_by=clerk, region=township)
    CaseFactory(registered_by=clerk, region=RegionFactory(code="990103", name="A2区"))

    response = logged_in(clerk).get("/cases/", {"region": region.code})

    assert list(response.context["page"].cases) == [inside]


def test_an_unknown_filter_value_is_dropped_and_the_valid_filters_still_apply(clerk: User) -> None:
    letter = CaseFactory(registered_by=clerk, channel="letter")
    CaseFactory(registered_by=clerk, channel="visit")

    response = logged_in(clerk).get("/cases/", {"region": "'; drop table", "channel": "letter"})

    assert response.status_code == 200
    assert list(response.context["page"].cases) == [letter]
    assert "选择一个有效的选项" in response.content.decode()


@pytest.fixture
def clerk_elsewhere(units: Units) -> User:
    """A clerk of unit B: may register, but the office's cases are outside their scope."""
    return UserFactory(username="clerk_b", unit=units.unit_b, roles=[Role.CLERK])


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("get", ""),
        ("get", "contacts/new/"),
        ("post", "contacts/new/"),
        ("post", "petitioners/{uid}/reveal/"),
        ("post", "attachments/"),
        ("get", "attachments/00000000-0000-0000-0000-000000000000/"),
    ],
)
def test_a_clerk_of_another_unit_gets_404_on_every_case_action(
    clerk: User, clerk_elsewhere: User, method: str, suffix: str
) -> None:
    case = CaseFactory(registered_by=clerk)
    uid = case.case_petitioners.get().petitioner.uid
    client = logged_in(clerk_elsewhere)
    before = AuditEvent.objects.count()

    response = getattr(client, method)(f"/cases/{case.number}/{suffix.format(uid=uid)}")

    assert response.status_code == 404
    assert AuditEvent.objects.count() == before  # nothing revealed, nothing written


def test_uploading_an_attachment_writes_one_audit_event(
    clerk: User, settings: Any, tmp_path: Any
) -> None:
    settings.ATTACHMENT_DIR = tmp_path
    case = CaseFactory(registered_by=clerk)
    client = logged_in(clerk)
    before = AuditEvent.objects.count()

    client.post(f"/cases/{case.number}/attachments/", {"file": pdf_upload()})

    assert AuditEvent.objects.count() - before == 1
    assert AuditEvent.objects.latest("seq").event == "case.add_attachment"
