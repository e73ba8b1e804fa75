"""检举控告 and the accused unit (《信访工作条例》第三十条、第四十六条): recorded at registration or
transfer; never the unit that handles the complaint; and the accused unit — with every unit under
it — never gets the accuser's identity or material, whichever way it reaches the case.

Unit tree (on top of the cast)::

    A市信访局 (office)
    ├── 市住房和城乡建设局 (unit A)
    │   └── 市住建局城建监察支队 (squad)
    ├── 市人力资源和社会保障局 (unit B)
    ├── A市人民政府 (government)
    └── A1区人民政府 (district)
        └── A1区信访局 (district office: registers complaints against its own government)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from tests.api.conftest import api_client
from tests.cases.test_views import registration_post
from tests.cases.workflow_cast import Cast, fresh
from tests.conftest import Units, logged_in
from tests.factories import UnitFactory, UserFactory, id_number
from xinfang.accounts.enums import Role, UnitKind
from xinfang.accounts.models import Region, Unit, User
from xinfang.cases import routing, services, steps, workflow
from xinfang.cases.access import may_see_petitioner
from xinfang.cases.enums import CaseStatus, Channel, HandlingCategory
from xinfang.cases.models import Case, ContentCategory
from xinfang.cases.queries import existing_cases_of_person

pytestmark = pytest.mark.django_db
S = CaseStatus

ACCUSER = "检举人乙某"
ACCUSER_ID = id_number(555)
ACCUSER_PHONE = "13955550555"
MATERIAL = "区人民政府在征地补偿中截留补偿款。"
FULL_ID = re.compile(r"\d{17}[\dXx]")


@dataclass
class District:
    government: Unit
    office: Unit
    clerk: User
    handler: User


@pytest.fixture
def squad(units: Units) -> Unit:
    unit: Unit = UnitFactory(code="A111", name="市住建局城建监察支队", parent=units.unit_a)
    return unit


@pytest.fixture
def district(units: Units) -> District:
    government = UnitFactory(
        code="D00", name="A1区人民政府", kind=UnitKind.GOVERNMENT, parent=units.office
    )
    office = UnitFactory(
        code="D01", name="A1区信访局", kind=UnitKind.PETITION_OFFICE, parent=government
    )
    return District(
        government=government,
        office=office,
        clerk=UserFactory(username="d_clerk", unit=office, roles=[Role.CLERK]),
        handler=UserFactory(username="d_handler", unit=government, roles=[Role.HANDLER]),
    )


def accusation(
    actor: User,
    reception: Unit,
    cast: Cast,
    *,
    accused: Unit | None,
    attachments: list[Any] | None = None,
) -> services.Registration:
    return services.register_case(
        actor=actor,
        contact=services.ContactInput(
            channel=Channel.LETTER, occurred_at=timezone.now(), reception_unit=reception
        ),
        case=services.CaseInput(
            handling_category=HandlingCategory.ACCUSATION,
            content_category=cast.category,
            region=cast.region,
            title="反映区政府截留征地补偿款",
            request=MATERIAL,
            accused_unit=accused,
        ),
        petitioners=[
            services.PetitionerInput(name=ACCUSER, id_number=ACCUSER_ID, phone=ACCUSER_PHONE)
        ],
        attachments=attachments or [],
    )


def pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile("举报材料.pdf", b"%PDF-1.4\n%evidence\n")


@pytest.fixture
def against_district(cast: Cast, district: District, settings: Any, tmp_path: Any) -> Case:
    """A complaint against A1区人民政府, registered by its own 信访局 with the letter attached."""
    settings.ATTACHMENT_DIR = tmp_path
    letter = SimpleUploadedFile("举报信.pdf", b"%PDF-1.4\n%letter\n")
    result = accusation(
        district.clerk, district.office, cast, accused=district.government, attachments=[letter]
    )
    return fresh(result.case)


# --- recording the accused unit -------------------------------------------------------------


def test_registration_records_the_accused_unit_of_an_accusation(cast: Cast, units: Units) -> None:
    result = accusation(cast.clerk, units.hall, cast, accused=units.unit_b)

    assert (result.case.accused_unit_id, result.warnings) == (units.unit_b.pk, [])


def test_an_office_inside_the_accused_unit_is_told_to_forward_it_to_the_superior(
    cast: Cast, district: District
) -> None:
    result = accusation(district.clerk, district.office, cast, accused=district.government)

    assert result.warnings == [
        "本单位属于被检举控告单位A1区人民政府。依照《信访工作条例》第三十条、第四十六条，"
        "登记后本单位不能再查看检举控告人的身份和材料，请及时转送上级机关（A市信访局）。"
    ]


def test_only_an_accusation_records_an_accused_unit(cast: Cast, units: Units) -> None:
    with pytest.raises(ValidationError, match="只有检举控告类事项可以登记被检举控告单位"):
        services.register_case(
            actor=cast.clerk,
            contact=services.ContactInput(
                channel=Channel.VISIT, occurred_at=timezone.now(), reception_unit=units.hall
            ),
            case=services.CaseInput(
                handling_category=HandlingCategory.CLAIM,
                content_category=cast.category,
                region=cast.region,
                title="物业收费",
                request="请求退费。",
                accused_unit=units.unit_b,
            ),
            petitioners=[services.PetitionerInput(name="张三")],
        )
    assert Case.objects.count() == 0


def test_the_registration_page_records_the_accused_unit_and_refuses_it_on_a_claim(
    cast: Cast, units: Units, region: Region, category: ContentCategory
) -> None:
    client = logged_in(cast.clerk)
    claim = registration_post(units, region, category, **{"matter-accused_unit": units.unit_b.pk})
    refused = client.post(reverse("cases:register"), claim)
    accepted = client.post(
        reverse("cases:register"),
        claim | {"matter-handling_category": "accusation"},
    )

    assert refused.status_code == 422
    assert "只有检举控告类事项才填写被检举控告单位。" in refused.content.decode()
    assert accepted.status_code == 302
    assert list(Case.objects.values_list("accused_unit__name", flat=True)) == [
        "市人力资源和社会保障局"
    ]


# --- routing: never to the accused ------------------------------------------------------------


@pytest.mark.parametrize("target", ["unit_a", "squad"])
def test_a_complaint_is_never_transferred_to_the_accused_unit_or_a_unit_under_it(
    cast: Cast, units: Units, squad: Unit, target: str
) -> None:
    case = fresh(accusation(cast.clerk, units.hall, cast, accused=units.unit_a).case)
    to_unit = units.unit_a if target == "unit_a" else squad

    with pytest.raises(ValidationError) as refused:
        steps.transfer_case(case, actor=cast.clerk, to_unit=to_unit)

    assert refused.value.messages == [
        "不得将检举控告事项交由被检举控告单位（市住房和城乡建设局）或其下属单位办理"
        "（《信访工作条例》第三十条、第四十六条），请转送其上级机关（A市信访局）。"
    ]
    assert fresh(case).status == S.REGISTERED


def test_an_accused_unit_named_at_transfer_is_checked_in_the_same_step_and_kept(
    cast: Cast, units: Units
) -> None:
    case = fresh(accusation(cast.clerk, units.hall, cast, accused=None).case)

    with pytest.raises(ValidationError, match="不得将检举控告事项交由被检举控告单位"):
        steps.transfer_case(case, actor=cast.clerk, to_unit=units.unit_a, accused_unit=units.unit_a)
    assert fresh(case).accused_unit_id is None
    steps.transfer_case(
        fresh(case), actor=cast.clerk, to_unit=units.unit_b, accused_unit=units.unit_a
    )

    case = fresh(case)
    assert (case.accused_unit_id, case.handling_unit_id) == (units.unit_a.pk, units.unit_b.pk)
    assert "被检举控告单位 市住房和城乡建设局" in case.events.latest("id").facts


def test_the_transfer_page_refuses_the_accused_unit_with_the_rule_and_keeps_the_form(
    cast: Cast, units: Units
) -> None:
    case = fresh(accusation(cast.clerk, units.hall, cast, accused=None).case)

    response = logged_in(cast.clerk).post(
        reverse("cases:step", args=[case.number, "transfer"]),
        {
            "version": case.version,
            "to_unit": units.unit_a.pk,
            "accused_unit": units.unit_a.pk,
            "note": "请核查。",
        },
    )

    assert response.status_code == 422
    html = response.content.decode()
    assert "请转送其上级机关（A市信访局）" in html
    assert "请核查。" in html


def test_the_suggestion_skips_a_rule_that_points_at_the_accused_unit(
    cast: Cast, units: Units
) -> None:
    admin = UserFactory(username="sysadmin", unit=units.office, roles=[Role.SYSTEM_ADMIN])
    routing.add_rule(actor=admin, unit=units.unit_a, content_category=cast.category)
    routing.add_rule(actor=admin, unit=units.unit_b, note="兜底")
    case = fresh(accusation(cast.clerk, units.hall, cast, accused=units.unit_a).case)

    suggestion = routing.suggest_unit(case)

    assert suggestion is not None
    assert suggestion.unit == units.unit_b


def test_the_accused_unit_is_never_a_cooperating_unit(cast: Cast, units: Units) -> None:
    case = fresh(accusation(cast.clerk, units.hall, cast, accused=units.unit_a).case)

    with pytest.raises(ValidationError, match="协办单位：不得将检举控告事项"):
        steps.transfer_case(
            case, actor=cast.clerk, to_unit=units.unit_b, cooperating_units=[units.unit_a]
        )


def test_an_office_inside_the_accused_unit_cannot_accept_the_complaint_itself(
    against_district: Case, district: District
) -> None:
    with pytest.raises(ValidationError, match="请转送其上级机关（A市信访局）"):
        steps.accept_case(against_district, actor=district.clerk)
    with pytest.raises(ValidationError, match="请转送其上级机关"):
        steps.not_accept_case(fresh(against_district), actor=district.clerk, reason="不受理。")

    assert fresh(against_district).status == S.REGISTERED


def test_an_office_inside_the_accused_unit_is_offered_only_to_forward_the_complaint(
    against_district: Case, district: District
) -> None:
    offered = workflow.available_actions(district.clerk, against_district)

    assert offered == [workflow.Action.TRANSFER, workflow.Action.ASSIGN]


def test_the_office_inside_the_accused_unit_forwards_the_complaint_upwards(
    against_district: Case, district: District, units: Units
) -> None:
    steps.transfer_case(against_district, actor=district.clerk, to_unit=units.unit_b)

    assert fresh(against_district).handling_unit_id == units.unit_b.pk


# --- nothing of the accuser reaches the accused unit ---------------------------------------


def test_the_rule_covers_the_accused_unit_and_units_under_it_but_not_its_superior(
    against_district: Case, district: District, cast: Cast
) -> None:
    seen = {
        "accused": may_see_petitioner(district.handler, against_district),
        "inside": may_see_petitioner(district.clerk, against_district),
        "superior": may_see_petitioner(cast.clerk, against_district),
    }

    assert seen == {"accused": False, "inside": False, "superior": True}


def test_the_case_page_of_the_accused_shows_no_identity_no_material_and_says_why(
    against_district: Case, district: District, cast: Cast
) -> None:
    accused = logged_in(district.handler).get(
        reverse("cases:detail", args=[against_district.number])
    )
    superior = logged_in(cast.clerk).get(reverse("cases:detail", args=[against_district.number]))
    accused_html, superior_html = accused.content.decode(), superior.content.decode()

    assert (accused.status_code, superior.status_code) == (200, 200)
    assert (ACCUSER in accused_html, MATERIAL in accused_html, "举报信.pdf" in accused_html) == (
        False,
        False,
        False,
    )
    assert "检举控告人身份依法保密" in accused_html
    assert (ACCUSER in superior_html, MATERIAL in superior_html, "举报信.pdf" in superior_html) == (
        True,
        True,
        True,
    )
    assert list(accused.context["case"].case_petitioners.all()) == []  # never even loaded


def test_every_page_the_accused_can_open_is_free_of_the_accuser(
    against_district: Case, district: District
) -> None:
    client = logged_in(district.clerk)
    number = against_district.number
    pages = [
        reverse("cases:list"),
        reverse("cases:detail", args=[number]),
        reverse("cases:desk"),
        reverse("cases:due_soon"),
        reverse("search:search") + "?q=截留",
        reverse("cases:person_lookup") + f"?petitioners-0-id_number={ACCUSER_ID}",
    ]

    leaks = {}
    for url in pages:
        html = client.get(url).content.decode()
        leaks[url] = (ACCUSER in html, ACCUSER_PHONE in html, bool(FULL_ID.search(html)))

    assert leaks == dict.fromkeys(pages, (False, False, False))


def test_the_reveal_service_refuses_the_accused_unit(
    against_district: Case, district: District
) -> None:
    person = against_district.case_petitioners.get().petitioner

    with pytest.raises(PermissionDenied, match="第三十条、第四十六条"):
        services.reveal_personal_data(person, actor=district.clerk, case=against_district)


def test_the_accused_unit_cannot_add_material_either(
    against_district: Case, district: District
) -> None:
    with pytest.raises(PermissionDenied, match="被检举控告单位"):
        services.add_attachment(against_district, actor=district.clerk, upload=pdf())
    response = logged_in(district.clerk).post(
        reverse("cases:upload_attachment", args=[against_district.number]), {"file": pdf()}
    )

    assert response.status_code == 403
    assert against_district.attachments.count() == 1


def test_the_api_gives_the_accused_unit_neither_petitioners_nor_the_request(
    against_district: Case, district: District, cast: Cast
) -> None:
    url = f"/api/v1/cases/{against_district.number}"
    accused = api_client(district.handler).get(url).json()
    superior = api_client(cast.clerk).get(url).json()

    def fields(body: dict[str, Any]) -> tuple[Any, ...]:
        names = [person["name"] for person in body["petitioners"]]
        return (names, body["request"], body["accuser_withheld"], body["accused_unit"]["code"])

    assert fields(accused) == ([], "", True, "D00")
    assert fields(superior) == ([ACCUSER], MATERIAL, False, "D00")


def test_the_same_person_is_not_found_by_the_accused_units_repeat_check(
    against_district: Case, district: District, cast: Cast
) -> None:
    mine = existing_cases_of_person(district.clerk, ACCUSER_ID)
    office = existing_cases_of_person(cast.clerk, ACCUSER_ID)

    assert ([c.number for c in mine], [c.number for c in office]) == (
        [],
        [against_district.number],
    )


def test_search_and_export_leave_out_the_complaint_for_the_accused_unit_only(
    against_district: Case, district: District, cast: Cast
) -> None:
    def found(user: User) -> list[str]:
        page = logged_in(user).get(reverse("search:search"), {"q": "截留"})
        return [hit.case.number for hit in page.context["page"].hits]

    assert (found(district.handler), found(cast.clerk)) == ([], [against_district.number])
