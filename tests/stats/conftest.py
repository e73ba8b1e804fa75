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
import random
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from tests.conftest import Units
from tests.factories import CaseFactory, ContentCategoryFactory, RegionFactory, UserFactory
from xinfang.accounts.enums import RegionLevel, Role
from xinfang.accounts.models import Region, Unit, User
from xinfang.cases.enums import (
    CaseStatus,
    Channel,
    ClaimRoute,
    HandlingCategory,
    PetitionForm,
    TerminationReason,
)
from xinfang.cases.models import Case, Contact, ContentCategory, RuleSet
from xinfang.portal.enums import EvaluationChannel, EvaluationTarget
from xinfang.portal.models import Evaluation
from xinfang.stats.periods import Period
from xinfang.stats.queries import StatsFilters
from xinfang.supervision.enums import ResponseKind, Trigger
from xinfang.supervision.models import LeaderCase, Listing, OrderResponse, SupervisionOrder

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

#: 督办, 挂牌 and 包案 in the first half of 2026 (see ``supervise``).
SUPERVISION_EXPECTED = {
    "supervised": 2,
    "supervision_answered": 1,
    "listed": 1,
    "lead_taken": 3,
    "lead_resolved": 1,
}
#: … and in the whole of 2026.
SUPERVISION_YEAR = {
    "supervised": 3,
    "supervision_answered": 2,
    "listed": 2,
    "lead_taken": 3,
    "lead_resolved": 2,
}


def _order(case: Case, issued: str, *, to: Unit, by: User, number: str) -> SupervisionOrder:
    day = dt.date.fromisoformat(issued)
    assert by.unit is not None
    return SupervisionOrder.objects.create(
        number=number,
        case=case,
        trigger=Trigger.MANUAL,
        issued_to=to,
        issuing_unit=by.unit,
        issued_by=by,
        requirement="请于期限内书面答复办理情况。",
        issued_on=day,
        due_on=day + dt.timedelta(days=30),
    )


def _answer(order: SupervisionOrder, when: str, *, actor: User) -> None:
    OrderResponse.objects.create(
        order=order,
        kind=ResponseKind.ANSWER,
        text="已按要求办理。",
        actor=actor,
        actor_unit=order.issued_to,
        occurred_at=at(when),
    )


def supervise(cases: dict[str, Case], units: Units, supervisor: User, leader: User) -> None:
    """督办, 挂牌 and 包案 on the world's cases (first half of 2026 = H1):

    ====  ===================================================================================
    case  what happened
    ====  ===================================================================================
    A     督办 02-10, answered 02-20;督办 again 03-01 (the case counts once)
    C     督办 06-20, answered 07-02 (after H1); 包案 05-06; 终结 07-15 (期限届满未申请)
    F     督办 07-05 (after H1)
    I     督办 2025-12-20, answered 2026-01-05 (the order is not of 2026)
    B     挂牌 04-10; 包案 03-10; 办结 05-30 (化解 within H1)
    E     挂牌 07-10 (after H1); 包案 01-15, handed back 02-01, taken again 03-01 (counts once)
    ====  ===================================================================================

    H1: 督办 A C = 2, answered A = 1, 挂牌 B = 1, 包案 B C E = 3, 化解 B = 1.
    2026: 督办 A C F = 3, answered A C = 2, 挂牌 B E = 2, 包案 B C E = 3, 化解 B C = 2.
    """
    a, b, c, e, f, i = (cases[name] for name in "ABCEFI")
    first = _order(a, "2026-02-10", to=units.unit_a, by=supervisor, number="督-2026-1")
    _answer(first, "2026-02-20", actor=leader)
    _order(a, "2026-03-01", to=units.unit_a, by=supervisor, number="督-2026-2")
    late = _order(c, "2026-06-20", to=units.unit_b, by=supervisor, number="督-2026-3")
    _answer(late, "2026-07-02", actor=leader)
    _order(f, "2026-07-05", to=units.unit_b, by=supervisor, number="督-2026-4")
    old = _order(i, "2025-12-20", to=units.unit_b, by=supervisor, number="督-2025-9")
    _answer(old, "2026-01-05", actor=leader)
    for case, day, number in ((b, "2026-04-10", "挂-1"), (e, "2026-07-10", "挂-2")):
        Listing.objects.create(
            number=number,
            case=case,
            name=f"挂牌督办{number}",
            leader=leader,
            deadline=dt.date(2026, 9, 30),
            listed_by=supervisor,
            listed_on=dt.date.fromisoformat(day),
        )
    other_leader = UserFactory(
        username="leader_a", full_name="住建局领导", unit=units.unit_a, roles=[Role.LEADER]
    )
    on = dt.date.fromisoformat
    LeaderCase.objects.create(case=b, leader=leader, taken_on=on("2026-03-10"))
    LeaderCase.objects.create(case=c, leader=leader, taken_on=on("2026-05-06"))
    LeaderCase.objects.create(
        case=e, leader=leader, taken_on=on("2026-01-15"), released_on=on("2026-02-01")
    )
    LeaderCase.objects.create(case=e, leader=other_leader, taken_on=on("2026-03-01"))
    LeaderCase.objects.create(case=i, leader=leader, taken_on=on("2025-12-31"))
    Case.objects.filter(pk=b.pk).update(status=CaseStatus.CLOSED, closed_on=on("2026-05-30"))
    Case.objects.filter(pk=c.pk).update(
        status=CaseStatus.TERMINATED,
        closed_on=on("2026-07-15"),
        termination_reason=TerminationReason.WINDOW_LAPSED,
    )


@pytest.fixture
def world(units: Units, clerk: User, places: Places, supervisor: User, leader: User) -> World:
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
    supervise(cases, u, supervisor, leader)
    cases = {name: Case.objects.get(pk=case.pk) for name, case in cases.items()}
    return World(p, u, cases, StatsFilters(period=FIRST_HALF))


STATUSES = [
    CaseStatus.REGISTERED,
    CaseStatus.TRANSFERRED,
    CaseStatus.ASSIGNED,
    CaseStatus.IN_HANDLING,
    CaseStatus.NOT_ACCEPTED,
    CaseStatus.NOT_REACCEPTED,
    CaseStatus.SERVED,
    CaseStatus.CLOSED,
    CaseStatus.TERMINATED,
]


D = dt.date.fromisoformat


def _maybe(rng: random.Random, day: dt.date, low: int, high: int) -> dt.date | None:
    return day + dt.timedelta(days=rng.randint(low, high)) if rng.random() < 0.7 else None


@pytest.fixture
def mixed(clerk: User, places: Places, units: Units) -> list[Case]:
    """90 cases received from October 2025 to November 2026, their contacts and ratings."""
    RuleSet.objects.create(
        jurisdiction="浙江",
        name="浙江省信访条例",
        effective_from=D("2025-01-01"),
        limits={"acceptance_notice": {"days": 5, "unit": "workdays"}, "handling": {"days": 30}},
        roll_forward=False,
    )
    rng = random.Random(20261126)
    regions = [places.city, places.district, places.township, places.other]
    categories = [places.property, places.expropriation, places.wages]
    cases = []
    for n in range(90):
        received = D("2025-10-01") + dt.timedelta(days=rng.randint(0, 420))
        transferred = _maybe(rng, received, 0, 12)
        accepted = _maybe(rng, transferred or received, 0, 25)
        status = rng.choice(STATUSES)
        case = make_case(
            clerk,
            received=received.isoformat(),
            region=rng.choice(regions),
            category=rng.choice(categories),
            handling_unit=rng.choice([None, units.unit_a, units.unit_b]),
            channel=rng.choice(list(Channel)),
            title=f"随机{n}",
            litigation=rng.random() < 0.1,
            handling_category=rng.choice(list(HandlingCategory)),
            claim_route=rng.choice([None, ClaimRoute.PETITION, ClaimRoute.PETITION, 1]),
            status=status,
            transferred_on=transferred,
            assignment_due_on=_maybe(rng, received, 20, 60) if rng.random() < 0.3 else None,
            accepted_on=accepted,
            extension_days=rng.choice([0, 0, 0, 15, 30]),
            replied_on=_maybe(rng, accepted or received, 20, 80),
            served_on=_maybe(rng, accepted or received, 25, 85),
            closed_on=_maybe(rng, received, 5, 120),
            termination_reason=TerminationReason.WINDOW_LAPSED
            if status == CaseStatus.TERMINATED
            else "",
            due_on=_maybe(rng, received, -30, 90),
            rule_set_key=rng.choice(
                ["national@2022-05-01", "浙江@2025-01-01", "浙江@2025-01-01", "湖南@2020-01-01"]
            ),
        )
        first = at(received.isoformat(), rng.choice(["00:10", "10:00", "23:30"]))
        for visit_number in range(rng.choice([1, 1, 2, 3, 4])):
            when = first + dt.timedelta(days=rng.randint(-3, 90) if visit_number else 0)
            visit(
                case,
                when,
                channel=rng.choice([Channel.VISIT, Channel.VISIT, Channel.LETTER, Channel.PHONE]),
                people=rng.choice([1, 1, 2, 5, 8]),
                repeat=visit_number > 0,
                reception=rng.choice([units.office, units.hall]),
            )
        for target in EvaluationTarget:
            for _ in range(rng.choice([0, 0, 1, 2])):
                Evaluation.objects.create(
                    case=case,
                    target=target,
                    rating=rng.choice(["满意", "基本满意", "不满意"]),
                    channel=EvaluationChannel.PORTAL,
                    created_at=at(received.isoformat()) + dt.timedelta(days=rng.randint(30, 90)),
                )
        cases.append(case)
    return cases


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
