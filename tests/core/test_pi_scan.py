"""The PI leak scan (SECURITY.md 10): every page, as every role, carries no full ID number and
no full phone number — only the masked forms. The one route that shows them in full (显示完整
信息, audited) is left out for the roles allowed to use it, and checked for the others."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from tests.cases.workflow_cast import Cast, S, fresh, make_cast, walk_to
from tests.conftest import Units, logged_in
from tests.factories import UserFactory, id_number
from xinfang.accounts import rules
from xinfang.accounts.enums import Role
from xinfang.accounts.models import Region, User
from xinfang.cases.enums import Channel, ClaimRoute, HandlingCategory
from xinfang.cases.models import Case, ContentCategory
from xinfang.cases.services import CaseInput, ContactInput, PetitionerInput, register_case
from xinfang.documents.models import Document

pytestmark = pytest.mark.django_db

FULL_ID = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
FULL_PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
ROLES = list(Role)


def patterns(resolver: URLResolver | None = None, prefix: str = "") -> list[tuple[str, str]]:
    """Every route as (name, pattern with its ``<converter:name>`` placeholders)."""
    found: list[tuple[str, str]] = []
    for entry in (resolver or get_resolver()).url_patterns:
        pattern = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            found += patterns(entry, pattern)
        elif isinstance(entry, URLPattern):
            found.append((entry.name or "", pattern))
    return found


@pytest.fixture
def world(
    units: Units,
    clerk: User,
    handler: User,
    leader: User,
    outsider: User,
    region: Region,
    category: ContentCategory,
) -> tuple[Cast, Case, str, str]:
    """A case whose petitioner has a full ID number, phone and address, walked to 已送达 by
    the real services (so its timeline, notices and due dates exist)."""
    cast = make_cast(units, clerk, handler, leader, outsider, region, category)
    full_id, phone = id_number(4242), "13912345678"
    registered = register_case(
        actor=clerk,
        contact=ContactInput(
            channel=Channel.VISIT, occurred_at=timezone.now(), reception_unit=units.office
        ),
        case=CaseInput(
            handling_category=HandlingCategory.CLAIM,
            claim_route=ClaimRoute.PETITION,
            content_category=category,
            region=region,
            title="小区物业多收费",
            request="请求退还多收的物业费。",
        ),
        petitioners=[
            PetitionerInput(name="周建华", id_number=full_id, phone=phone, address="幸福路1号")
        ],
    )
    case = walk_to(cast, S.SERVED, fresh(registered.case))
    return cast, case, full_id, phone


def concrete(name: str, pattern: str, case: Case) -> str:
    petitioner = case.case_petitioners.select_related("petitioner").first()
    document = Document.objects.filter(case=case).first()
    uid = "00000000-0000-0000-0000-000000000000"
    if name == "reveal" and petitioner is not None:
        uid = str(petitioner.petitioner.uid)
    elif document is not None:
        uid = str(document.uid)
    path = pattern.replace("<str:number>", case.number).replace("<number>", case.number)
    path = path.replace("<str:code>", "A11").replace("<str:username>", "clerk")
    path = re.sub(r"<uuid:\w+>", uid, path)
    path = re.sub(r"<int:\w+>", "1", path)
    path = re.sub(r"<(?:\w+:)?\w+>", "x", path)
    return "/" + path.lstrip("^").rstrip("$").replace("\\Z", "")


def member(role: Role, units: Units) -> User:
    """One person of ``role`` at the unit where that role works the case."""
    unit = units.unit_a if role in {Role.HANDLER, Role.REVIEWER} else units.office
    return UserFactory(username=f"scan-{role}", unit=unit, roles=[role])


@pytest.mark.parametrize("role", ROLES, ids=[str(role) for role in ROLES])
def test_no_page_shows_a_full_id_number_or_phone_to_any_role(
    world: tuple[Cast, Case, str, str], units: Units, role: Role
) -> None:
    _cast, case, full_id, phone = world
    person = member(role, units)
    client: Client = logged_in(person)
    extra = [
        "/cases/?status=served",
        f"/search/?q={case.title[:4]}",
        f"/cases/?q={case.title[:4]}",
        "/cases/desk/?tab=handling",
    ]
    scanned: list[str] = []
    for name, pattern in patterns():
        if pattern.startswith(("api/", "portal/")) or name in {"logout"}:
            continue
        path = concrete(name, pattern, case)
        if name == "reveal" and rules.can_reveal_personal_data(person):
            continue  # its purpose; audited and tested in tests/cases/test_views.py
        scanned.append(path)
    shown: list[str] = []
    for path in [*scanned, *extra]:
        response: Any = client.get(path)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        shown.append(path)
        body = response.content.decode()
        assert full_id not in body, f"{role} sees the full ID number on {path}"
        assert phone not in body, f"{role} sees the full phone number on {path}"
        assert not FULL_ID.search(body), f"{role}: an ID-shaped number on {path}"
        assert not FULL_PHONE.search(body), f"{role}: a phone-shaped number on {path}"
    assert len(scanned) > 50  # the walk really covered the site
    if rules.can_work_cases(person):  # and the case's own page was among what they saw
        assert f"/cases/{case.number}/" in shown


def test_the_scan_would_notice_a_leak(world: tuple[Cast, Case, str, str]) -> None:
    """The reveal route shows the full values to a role allowed to see them, so the regexes
    above are able to catch them."""
    cast, case, full_id, phone = world
    petitioner = case.case_petitioners.get().petitioner
    body = (
        logged_in(cast.clerk)
        .post(f"/cases/{case.number}/petitioners/{petitioner.uid}/reveal/")
        .content.decode()
    )
    assert FULL_ID.search(body)
    assert FULL_PHONE.search(body)
    assert full_id in body
    assert phone in body
