from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tests.conftest import Units
from tests.factories import UserFactory, id_number
from xinfang.accounts.enums import Role
from xinfang.accounts.models import Region, User
from xinfang.audit.models import AuditEvent
from xinfang.cases.enums import CaseStatus, Channel, HandlingCategory, PetitionForm
from xinfang.cases.models import Case, Contact, ContentCategory, Petitioner
from xinfang.cases.services import (
    CaseInput,
    ContactInput,
    PetitionerInput,
    add_contact,
    query_code_of,
    register_case,
)

pytestmark = pytest.mark.django_db


def contact_at(units: Units, people: int = 1, channel: Channel = Channel.VISIT) -> ContactInput:
    return ContactInput(
        channel=channel,
        occurred_at=timezone.make_aware(dt.datetime(2026, 9, 20, 9, 30)),
        reception_unit=units.hall,
        people_count=people,
    )


def matter(region: Region, category: ContentCategory) -> CaseInput:
    return CaseInput(
        handling_category=HandlingCategory.CLAIM,
        content_category=category,
        region=region,
        title="小区物业乱收费",
        request="请求责令物业公司退还多收的费用。",
        facts_reasons="物业公司自2026年起每月多收停车费。",
    )


def test_registering_a_collective_visit_creates_one_case_contact_and_audit_event(
    clerk: User, units: Units, region: Region, category: ContentCategory
) -> None:
    people = [
        PetitionerInput(
            name=f"代表{i}", id_number=id_number(i), phone=f"1390000000{i}", is_representative=True
        )
        for i in range(3)
    ]
    before = AuditEvent.objects.count()

    result = register_case(
        actor=clerk,
        contact=contact_at(units, people=12),
        case=matter(region, category),
        petitioners=people,
    )

    case = Case.objects.get()
    assert result.created
    assert case.number == "A01-2026-000001"
    assert case.form == PetitionForm.COLLECTIVE
    assert case.status == CaseStatus.REGISTERED
    assert case.received_on == dt.date(2026, 9, 20)
    assert query_code_of(case) == result.query_code
    contact = Contact.objects.get()
    assert (contact.people_count, contact.representative_count, contact.is_collective) == (
        12,
        3,
        True,
    )
    assert AuditEvent.objects.count() - before == 1
    assert AuditEvent.objects.latest("seq").event == "case.register"


def test_same_idempotency_key_twice_creates_one_case(
    clerk: User, units: Units, region: Region, category: ContentCategory
) -> None:
    people = [PetitionerInput(name="张三", id_number=id_number(1))]
    kwargs: dict[str, Any] = {
        "actor": clerk,
        "contact": contact_at(units),
        "case": matter(region, category),
        "petitioners": people,
    }

    first = register_case(**kwargs, idempotency_key="k-1")
    second = register_case(**kwargs, idempotency_key="k-1")

    assert (first.created, second.created) == (True, False)
    assert second.case.pk == first.case.pk
    assert Case.objects.count() == 1


def test_same_id_number_on_two_cases_is_one_petitioner(
    clerk: User, units: Units, region: Region, category: ContentCategory
) -> None:
    person = PetitionerInput(name="张三", id_number=id_number(7))
    for _ in range(2):
        register_case(
            actor=clerk,
            contact=contact_at(units),
            case=matter(region, category),
            petitioners=[person],
        )

    assert Petitioner.objects.count() == 1


def test_more_than_five_representatives_warns_but_registers(
    clerk: User, units: Units, region: Region, category: ContentCategory
) -> None:
    people = [PetitionerInput(name=f"代表{i}", is_representative=True) for i in range(6)]

    result = register_case(
        actor=clerk,
        contact=contact_at(units, people=30),
        case=matter(region, category),
        petitioners=people,
    )

    assert result.created
    assert len(result.warnings) == 1
    assert "第二十条" in result.warnings[0]


def test_fewer_people_than_petitioners_is_refused_and_writes_nothing(
    clerk: User, units: Units, region: Region, category: ContentCategory
) -> None:
    people = [PetitionerInput(name="甲"), PetitionerInput(name="乙")]

    with pytest.raises(ValidationError):
        register_case(
            actor=clerk,
            contact=contact_at(units, people=1),
            case=matter(region, category),
            petitioners=people,
        )

    assert (Case.objects.count(), AuditEvent.objects.count()) == (0, 0)


def test_handler_cannot_register(
    handler: User, units: Units, region: Region, category: ContentCategory
) -> None:
    with pytest.raises(PermissionDenied):
        register_case(
            actor=handler,
            contact=contact_at(units),
            case=matter(region, category),
            petitioners=[PetitionerInput(name="甲")],
        )


def test_adding_a_repeat_contact_counts_on_the_same_case(
    clerk: User, units: Units, region: Region, category: ContentCategory
) -> None:
    result = register_case(
        actor=clerk,
        contact=contact_at(units),
        case=matter(region, category),
        petitioners=[PetitionerInput(name="甲")],
    )
    before = AuditEvent.objects.count()

    add_contact(
        result.case, actor=clerk, contact=contact_at(units, people=2, channel=Channel.LETTER)
    )

    result.case.refresh_from_db()
    assert result.case.contact_count == 2
    assert list(Contact.objects.values_list("is_repeat", flat=True)) == [False, True]
    assert AuditEvent.objects.count() - before == 1


def test_another_users_idempotency_key_is_refused_and_reveals_nothing(
    clerk: User, units: Units, region: Region, category: ContentCategory
) -> None:
    other = UserFactory(username="clerk2", unit=units.office, roles=[Role.CLERK])
    people = [PetitionerInput(name="张三")]
    register_case(
        actor=clerk,
        contact=contact_at(units),
        case=matter(region, category),
        petitioners=people,
        idempotency_key="k-9",
    )

    with pytest.raises(ValidationError):
        register_case(
            actor=other,
            contact=contact_at(units),
            case=matter(region, category),
            petitioners=people,
            idempotency_key="k-9",
        )

    assert Case.objects.count() == 1
