"""Who gets what of one 检举控告: role × unit × action, read from a table.

The case accuses 区人民政府; it was registered by 区信访局 (inside the accused unit), is
handled by 市纪委监委 with 市审计局 as 协办 and names 市人民政府 as its 复查/复核 organ. Its
petitioner has a name, an ID number, a phone and an address, it has an attachment and a
notice, and its words are in the search index: everything a leak would need.

Unit tree::

    市委市政府 (city, the root)
    ├── 区人民政府 (accused)
    │   └── 区信访局 (accused_desk: the registering office, inside the accused unit)
    ├── 中共A市委 (superior)
    │   ├── 市纪委监委 (own: the 主办)
    │   │   └── 派驻第一纪检监察组 (subordinate)
    │   └── 市委组织部 (sibling)
    ├── 市审计局 (cooperating: 协办)
    └── 市人民政府 (review: 复查/复核机关)

Outcomes: list/search/export — the case is listed (``yes``) or not (``no``); detail and API —
``full`` (the accuser's name and the request are there), ``masked`` (neither; the page says the
identity is withheld by law), or the status code; reveal and attachment — the status code;
``n/a`` where the action does not exist for the role.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from tests.api.conftest import api_client
from tests.conftest import logged_in
from tests.documents.conftest import issue
from tests.factories import CaseFactory, PetitionerFactory, UnitFactory, UserFactory, id_number
from xinfang.accounts.enums import Role, UnitKind
from xinfang.accounts.models import Unit, User
from xinfang.cases import services
from xinfang.cases.enums import HandlingCategory
from xinfang.cases.models import Attachment, Case, CaseUnit, Petitioner
from xinfang.documents.enums import NoticeKind
from xinfang.documents.models import Document

pytestmark = pytest.mark.django_db

ACCUSER = "控告人甲某"
ACCUSER_ID = id_number(417)
ACCUSER_PHONE = "13912340417"
REQUEST = "请求查处区人民政府违规发放拆迁补贴的问题。"
TITLE = "反映区人民政府违规发放拆迁补贴"
SEARCH_WORD = "违规发放"
FULL_ID = re.compile(r"\d{17}[\dXx]")

ACTIONS = ("list", "detail", "reveal", "attachment", "api", "search", "export")

MATRIX = """
role        unit          list  detail  reveal  attachment  api     search  export
handler     own           yes   full    200     200         full    yes     yes
handler     superior      yes   full    200     200         full    yes     yes
handler     city          yes   full    200     200         full    yes     yes
handler     sibling       no    404     404     404         404     no      no
handler     subordinate   no    404     404     404         404     no      no
handler     cooperating   yes   full    200     200         full    yes     yes
handler     review        yes   full    200     200         full    yes     yes
handler     accused       yes   masked  403     403         masked  no      no
clerk       accused_desk  yes   masked  403     403         masked  no      no
reviewer    own           yes   full    200     200         full    yes     yes
supervisor  own           yes   full    403     200         full    yes     yes
leader      superior      yes   full    403     200         full    yes     yes
leader      accused       yes   masked  403     403         masked  no      no
auditor     city          403   403     403     403         n/a     403     403
"""


def parse(table: str) -> list[tuple[str, str, dict[str, str]]]:
    header, *rows = [line.split() for line in table.strip().splitlines()]
    assert header == ["role", "unit", *ACTIONS]
    return [(role, unit, dict(zip(ACTIONS, cells, strict=True))) for role, unit, *cells in rows]


@dataclass
class World:
    units: dict[str, Unit]
    case: Case
    person: Petitioner
    attachment: Attachment
    document: Document


def unit(code: str, name: str, parent: Unit | None, kind: str = UnitKind.DEPARTMENT) -> Unit:
    made: Unit = UnitFactory(code=code, name=name, kind=kind, parent=parent)
    return made


@pytest.fixture
def world(settings: Any, tmp_path: Path) -> World:
    settings.ATTACHMENT_DIR = tmp_path
    city = unit("C00", "市委市政府", None, UnitKind.GOVERNMENT)
    accused = unit("D00", "区人民政府", city, UnitKind.GOVERNMENT)
    superior = unit("C10", "中共A市委", city, UnitKind.GOVERNMENT)
    own = unit("C11", "市纪委监委", superior, UnitKind.DISCIPLINE)
    units = {
        "city": city,
        "accused": accused,
        "accused_desk": unit("D01", "区信访局", accused, UnitKind.PETITION_OFFICE),
        "superior": superior,
        "own": own,
        "subordinate": unit("C111", "派驻第一纪检监察组", own, UnitKind.DISCIPLINE),
        "sibling": unit("C12", "市委组织部", superior),
        "cooperating": unit("C20", "市审计局", city),
        "review": unit("C30", "市人民政府", city, UnitKind.GOVERNMENT),
    }
    person = PetitionerFactory(
        name=ACCUSER, id_number=ACCUSER_ID, phone=ACCUSER_PHONE, address="A市A1区幸福路8号"
    )
    desk_clerk = UserFactory(username="desk_clerk", unit=units["accused_desk"], roles=[Role.CLERK])
    case = CaseFactory(
        registered_by=desk_clerk,
        handling_category=HandlingCategory.ACCUSATION,
        handling_unit=own,
        review_unit=units["review"],
        accused_unit=accused,
        title=TITLE,
        request=REQUEST,
        facts_reasons="补贴名单中有多名不符合条件的人员。",
        petitioners=[person],
    )
    own_handler = UserFactory(username="own_uploader", unit=own, roles=[Role.HANDLER])
    CaseUnit.objects.create(
        case=case,
        unit=units["cooperating"],
        registered_at=case.registered_at,
        added_at=case.registered_at,
        added_by=own_handler,
    )
    upload = SimpleUploadedFile("控告材料.pdf", b"%PDF-1.4\n%accusation\n")
    attachment = services.add_attachment(case, actor=own_handler, upload=upload)
    document = issue(case, NoticeKind.TRANSFER, actor=desk_clerk, unit=units["accused_desk"])
    return World(units, case, person, attachment, document)


ROLES = {
    "handler": Role.HANDLER,
    "clerk": Role.CLERK,
    "reviewer": Role.REVIEWER,
    "supervisor": Role.SUPERVISOR,
    "leader": Role.LEADER,
    "auditor": Role.AUDIT_ADMIN,
}


def member(world: World, role: str, unit_key: str) -> User:
    user: User = UserFactory(
        username=f"{role}_{unit_key}", unit=world.units[unit_key], roles=[ROLES[role]]
    )
    return user


def page_outcome(response: Any, world: World) -> str:
    if response.status_code != 200:
        return str(response.status_code)
    html = response.content.decode()
    assert not FULL_ID.search(html), "a full ID number is on the page"
    shown = (ACCUSER in html, REQUEST in html, "检举控告人身份依法保密" in html)
    return {(True, True, False): "full", (False, False, True): "masked"}.get(shown, repr(shown))


def api_outcome(user: User, world: World) -> str:
    if Role.AUDIT_ADMIN in user.roles:
        return "n/a"  # the 三员 hold no API tokens
    response = api_client(user).get(f"/api/v1/cases/{world.case.number}")
    if response.status_code != 200:
        return str(response.status_code)
    body = response.json()
    names = [person["name"] for person in body["petitioners"]]
    shown = (names, body["request"], body["accuser_withheld"])
    if shown == ([ACCUSER], REQUEST, False):
        return "full"
    return "masked" if shown == ([], "", True) else repr(shown)


def listed(response: Any, number: str) -> str:
    if response.status_code != 200:
        return str(response.status_code)
    return "yes" if number in response.content.decode() else "no"


def exported(response: Any, number: str) -> str:
    if response.status_code != 200:
        return str(response.status_code)
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
    assert sheet is not None
    numbers = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    return "yes" if numbers == [number] else "no" if numbers == [] else repr(numbers)


def downloaded(response: Any) -> str:
    if response.streaming:  # read to the end: the test client then closes the file
        b"".join(response.streaming_content)
    return str(response.status_code)


def observe(client: Client, user: User, world: World) -> dict[str, str]:
    number = world.case.number
    reveal = reverse("cases:reveal", args=[number, world.person.uid])
    return {
        "list": listed(client.get(reverse("cases:list")), number),
        "detail": page_outcome(client.get(reverse("cases:detail", args=[number])), world),
        "reveal": str(client.post(reveal).status_code),
        "attachment": downloaded(
            client.get(reverse("cases:attachment", args=[number, world.attachment.uid]))
        ),
        "api": api_outcome(user, world),
        "search": listed(client.get(reverse("search:search"), {"q": SEARCH_WORD}), number),
        "export": exported(client.get(reverse("search:export"), {"q": SEARCH_WORD}), number),
    }


@pytest.mark.parametrize(
    ("role", "unit_key", "expected"),
    parse(MATRIX),
    ids=[f"{role}-{unit_key}" for role, unit_key, _ in parse(MATRIX)],
)
def test_each_role_in_each_unit_gets_exactly_what_the_table_says(
    world: World, role: str, unit_key: str, expected: dict[str, str]
) -> None:
    user = member(world, role, unit_key)

    observed = observe(logged_in(user), user, world)

    assert observed == expected


def test_the_notice_of_a_withheld_case_is_refused_to_the_accused_and_served_to_the_handler(
    world: World,
) -> None:
    url = reverse("documents:download", args=[world.case.number, world.document.uid])
    accused = member(world, "handler", "accused")
    own = member(world, "handler", "own")

    statuses = (logged_in(accused).get(url).status_code, logged_in(own).get(url).status_code)

    assert statuses == (403, 200)
