"""Boring factories. Cases made here skip the service on purpose (fast set-up for reads);
tests of writes call the services."""

from __future__ import annotations

import datetime as dt
import uuid

import factory
from django.utils import timezone

from xinfang.accounts.auth_services import begin_totp_enrolment, confirm_totp_enrolment
from xinfang.accounts.enums import RegionLevel, UnitKind
from xinfang.accounts.models import Region, Unit, User, UserRole
from xinfang.accounts.totp import PERIOD, code_at
from xinfang.cases.enums import Channel, HandlingCategory, PetitionForm
from xinfang.cases.models import Case, CasePetitioner, Contact, ContentCategory, Petitioner
from xinfang.cases.services import id_number_index, phone_index
from xinfang.core.crypto import seal
from xinfang.core.validators import with_check_digit

PASSWORD = "Xf-test-Passw0rd!"


def id_number(serial: int, *, region: str = "990102", birth: str = "19800101") -> str:
    return with_check_digit(f"{region}{birth}{serial % 1000:03d}")


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"99{n:04d}")
    name = factory.Sequence(lambda n: f"测试区{n}")
    level = RegionLevel.COUNTY


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"U{n:03d}")
    name = factory.Sequence(lambda n: f"测试单位{n}")
    kind = UnitKind.DEPARTMENT
    parent = None
    path = "/"

    @factory.post_generation
    def fix_path(self, create: bool, extracted: object, **kwargs: object) -> None:
        self.path = f"{self.parent.path if self.parent else '/'}{self.pk}/"
        if create:
            self.save(update_fields=["path"])


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"工作人员{n}")
    unit = factory.SubFactory(UnitFactory)
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def roles(self, create: bool, extracted: list[str] | None, **kwargs: object) -> None:
        for role in extracted or []:
            UserRole.objects.create(user=self, role=role)
        self.__dict__.pop("roles", None)  # drop a cached_property computed too early


def enrol_totp(user: User) -> str:
    """Bind an authenticator to ``user`` through the services; returns its secret. Confirmed
    with the previous step's code, so the code an app shows now is still unused."""
    secret = begin_totp_enrolment(user)
    confirm_totp_enrolment(user, code=code_at(secret, timezone.now().timestamp() - PERIOD))
    return secret


class ContentCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContentCategory
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"T{n:02d}")
    name = factory.Sequence(lambda n: f"测试分类{n}")


class PetitionerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Petitioner
        exclude = ("id_number", "phone", "address")

    uid = factory.LazyFunction(uuid.uuid4)
    name = factory.Sequence(lambda n: f"信访人{n}")
    id_number = factory.Sequence(lambda n: id_number(n))
    phone = factory.Sequence(lambda n: f"139{n:08d}")
    address = "西地省A市A1区幸福路1号"
    id_number_sealed = factory.LazyAttribute(
        lambda o: seal(o.id_number, aad=f"cases_petitioner.id_number.{o.uid}")
    )
    id_number_index = factory.LazyAttribute(lambda o: id_number_index(o.id_number))
    phone_sealed = factory.LazyAttribute(
        lambda o: seal(o.phone, aad=f"cases_petitioner.phone.{o.uid}")
    )
    phone_index = factory.LazyAttribute(lambda o: phone_index(o.phone))
    address_sealed = factory.LazyAttribute(
        lambda o: seal(o.address, aad=f"cases_petitioner.address.{o.uid}")
    )


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Case
        skip_postgeneration_save = True

    number = factory.Sequence(lambda n: f"T-2026-{n:06d}")
    query_code_sealed = factory.LazyAttribute(
        lambda o: seal("ABCD2345", aad=f"cases_case.query_code.{o.number}")
    )
    channel = Channel.VISIT
    form = PetitionForm.INDIVIDUAL
    handling_category = HandlingCategory.CLAIM
    content_category = factory.SubFactory(ContentCategoryFactory)
    region = factory.SubFactory(RegionFactory)
    title = factory.Sequence(lambda n: f"测试信访事项{n}")
    request = "请求依法处理。"
    received_on = factory.LazyFunction(timezone.localdate)
    registered_at = factory.LazyFunction(timezone.now)
    registered_by = factory.SubFactory(UserFactory)
    registering_unit = factory.SelfAttribute("registered_by.unit")

    @factory.post_generation
    def petitioners(
        self, create: bool, extracted: list[Petitioner] | None, **kwargs: object
    ) -> None:
        people: list[Petitioner] = extracted if extracted is not None else [PetitionerFactory()]
        for position, person in enumerate(people):
            CasePetitioner.objects.create(case=self, petitioner=person, position=position)
        Contact.objects.create(
            case=self,
            channel=self.channel,
            occurred_at=self.registered_at - dt.timedelta(minutes=5),
            reception_unit=self.registering_unit,
            people_count=self.people_count,
            registered_by=self.registered_by,
        )
