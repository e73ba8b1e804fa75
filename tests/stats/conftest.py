"""A known world for the statistics: every figure of the first half of 2026 is counted by hand
in the docstring of :func:`world` and asserted exactly by the tests.

Regions (on top of tests/conftest.py's A市 9901 › A1区 990102)::

    A市 9901
    ├── A1区 990102
    │   └── 幸福街道 990102001   (a subtree: counts into A1区)
    └── A2区 990103

Categories: 城乡建设 03 › 物业管理 0301 (tests/conftest.py), 房屋征收 0302; 劳动保障 05 ›
工资 0501.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from tests.conftest import Units
from tests.factories import CaseFactory, ContentCategoryFactory, RegionFactory, UserFactory
from xinfang.accounts.enums import RegionLevel, Role
from xinfang.accounts.models import Region, User
from xinfang.cases.enums import Channel, HandlingCategory, PetitionForm
from xinfang.cases.models import Case, Contact, ContentCategory
from xinfang.stats.periods import Period
from xinfang.stats.queries import StatsFilters

ZONE = dt.timezone(dt.timedelta(hours=8))  # Asia/Shanghai, what the settings use
FIRST_HALF = Period(dt.date(2026, 1, 1), dt.date(2026, 6, 30))
TODAY = dt.date(2026, 12, 31)


def at(day: str, time: str = "10:00") -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=ZONE)


@dataclass
class Places:
    city: Region
    district: Region  # A1区 990102
    township: Region  # 幸福街道 990102001, under A1区
    other: Region  # A2区 990103
    property: ContentCategory  # 0301
    expropriation: ContentCategory  # 0302
    wages: ContentCategory  # 0501


@pytest.fixture
def places(region: Region, category: ContentCategory) -> Places:
    city = Region.objects.get(code="9901")
    return Places(
        city=city,
        district=region,
        township=RegionFactory(
            code="990102001", name="幸福街道", level=RegionLevel.TOWNSHIP, parent=region
        ),
        other=RegionFactory(code="990103", name="A2区", level=RegionLevel.COUNTY, parent=city),
        property=category,
        expropriation=ContentCategoryFactory(
            code="0302", name="房屋征收", parent=category.parent, level=2
        ),
        wages=ContentCategoryFactory(
            code="0501",
            name="工资",
            parent=ContentCategoryFactory(code="05", name="劳动保障"),
            level=2,
        ),
    )


def make_case(
    clerk: User,
    *,
    received: str,
    region: Region,
    category: ContentCategory,
    handling_unit: Any = None,
    channel: str = Channel.VISIT,
    title: str = "",
    litigation: bool = False,
    **fields: Any,
) -> Case:
    """A case without contacts (add them with :func:`visit`); registered by ``clerk``."""
    fields.setdefault("handling_category", HandlingCategory.CLAIM)
    case = CaseFactory(
        registered_by=clerk,
        registering_unit=clerk.unit,
        handling_unit=handling_unit,
        channel=channel,
        received_on=dt.date.fromisoformat(received),
        registered_at=at(received, "11:00"),
        region=region,
        content_category=category,
        involves_litigation=litigation,
        title=title or f"测试事项{received}",
        **fields,
    )
    Contact.objects.filter(case=case).delete()
    Case.objects.filter(pk=case.pk).update(contact_count=0)
    return case


def visit(
    case: Case,
    when: dt.datetime,
    *,
    channel: str = Channel.VISIT,
    people: int = 1,
    repeat: bool = False,
    reception: Any = None,
) -> Contact:
    """One contact, the way the registration service stores it (collective from 5 people)."""
    contact = Contact.objects.create(
        case=case,
        channel=channel,
        occurred_at=when,
        reception_unit=reception or case.registering_unit,
        people_count=people,
        is_collective=people >= 5,
        is_repeat=repeat,
        involves_litigation=case.involves_litigation,
        registered_by=case.registered_by,
    )
    Case.objects.filter(pk=case.pk).update(contact_count=Contact.objects.filter(case=case).count())
    if people >= 5:
        Case.objects.filter(pk=case.pk).update(form=PetitionForm.COLLECTIVE, people_count=people)
    return contact


@dataclass
class World:
    places: Places
    units: Units
    cases: dict[str, Case]
    filters: StatsFilters


#: The first half of 2026, counted by hand (see ``world``).
EXPECTED = {
    "collective_batches": 2,
    "collective_people": 14,
    "collective_repeat_batches": 1,
    "collective_repeat_people": 6,
    "individual_people": 4,
    "individual_repeat_people": 2,
    "individual_litigation_people": 1,
    "letters": 2,
    "online": 1,
    "phone": 1,
    "fax": 1,
    "contacts_total": 10,
    "repeat_contacts": 3,
    "cases_received": 7,
    "repeat_cases": 2,
}


@pytest.fixture
def world(units: Units, clerk: User, places: Places) -> World:
    """Contacts of the first half of 2026 (A1区 = 990102 with its township 990102001):

    ====  ==========  ================  ===================================================
    case  region      category / unit   contacts (local time)
    ====  ==========  ================  ===================================================
    A     township    0301 / unit A     01-10 visit 1 person; 02-01 visit 2 people, repeat;
                                        07-05 visit, repeat (after the period)
    B     A1区        0302 / unit A     03-05 visit 8 people (collective); 04-01 visit 6,
                                        repeat (collective repeat); 04-20 letter, repeat
    C     A2区        0501 / unit B     05-05 visit 1 person, 涉法涉诉
    D     A2区        0501 / —          02-02 letter
    E     A2区        0301 / unit A     03-03 online
    F     A1区        0301 / unit B     06-30 23:30 phone (the last minutes of the period)
    G     A1区        0301 / unit B     07-01 00:10 phone (after it)
    H     township    0302 / —          01-05 fax
    I     A2区        0501 / unit B     2025-12-31 23:59 visit (before it)
    ====  ==========  ================  ===================================================

    集体访 2 批 14 人次 (重访 1 批 6 人次); 个体访 4 人次 (A 1 + 2, C 1; 重访 2, 涉法 1);
    来信 2 (B, D), 网上 1, 来电 1 (F), 传真 1; 10 contacts, 3 repeats. Received in the
    period: A B C D E F H = 7; of these, A and B had repeat contacts in it = 2.
    """
    p, u = places, units
    a = make_case(
        clerk,
        received="2026-01-10",
        region=p.township,
        category=p.property,
        handling_unit=u.unit_a,
        title="幸福小区物业费",
    )
    visit(a, at("2026-01-10"))
    visit(a, at("2026-02-01"), people=2, repeat=True)
    visit(a, at("2026-07-05"), repeat=True)
    b = make_case(
        clerk,
        received="2026-03-05",
        region=p.district,
        category=p.expropriation,
        handling_unit=u.unit_a,
        title="拆迁补偿",
    )
    visit(b, at("2026-03-05"), people=8, reception=u.hall)
    visit(b, at("2026-04-01"), people=6, repeat=True, reception=u.hall)
    visit(b, at("2026-04-20"), channel=Channel.LETTER, repeat=True)
    c = make_case(
        clerk,
        received="2026-05-05",
        region=p.other,
        category=p.wages,
        handling_unit=u.unit_b,
        litigation=True,
        title="劳动争议判决执行",
    )
    visit(c, at("2026-05-05"), reception=u.hall)
    d = make_case(
        clerk, received="2026-02-02", region=p.other, category=p.wages, channel=Channel.LETTER
    )
    visit(d, at("2026-02-02"), channel=Channel.LETTER)
    e = make_case(
        clerk,
        received="2026-03-03",
        region=p.other,
        category=p.property,
        handling_unit=u.unit_a,
        channel=Channel.ONLINE,
    )
    visit(e, at("2026-03-03"), channel=Channel.ONLINE)
    f = make_case(
        clerk,
        received="2026-06-30",
        region=p.district,
        category=p.property,
        handling_unit=u.unit_b,
        channel=Channel.PHONE,
    )
    visit(f, at("2026-06-30", "23:30"), channel=Channel.PHONE)
    g = make_case(
        clerk,
        received="2026-07-01",
        region=p.district,
        category=p.property,
        handling_unit=u.unit_b,
        channel=Channel.PHONE,
    )
    visit(g, at("2026-07-01", "00:10"), channel=Channel.PHONE)
    h = make_case(
        clerk,
        received="2026-01-05",
        region=p.township,
        category=p.expropriation,
        channel=Channel.FAX,
    )
    visit(h, at("2026-01-05"), channel=Channel.FAX)
    i = make_case(
        clerk, received="2025-12-31", region=p.other, category=p.wages, handling_unit=u.unit_b
    )
    visit(i, at("2025-12-31", "23:59"))
    cases = {
        name: Case.objects.get(pk=case.pk)
        for name, case in zip("ABCDEFGHI", [a, b, c, d, e, f, g, h, i], strict=True)
    }
    return World(p, u, cases, StatsFilters(period=FIRST_HALF))


@pytest.fixture
def leader_b(units: Units) -> User:
    """A leader of unit B: sees only the cases unit B registered, handles or reviews."""
    return UserFactory(
        username="leader_b", full_name="人社局领导", unit=units.unit_b, roles=[Role.LEADER]
    )


def today_is(day: dt.date) -> Any:
    """Freeze the clock at noon of ``day`` in the office's time zone."""
    import time_machine

    return time_machine.travel(dt.datetime.combine(day, dt.time(12), tzinfo=ZONE), tick=False)


__all__ = ["TODAY", "timezone"]
