"""The cast for 集中交办: the workflow cast, two districts of A市 (A1区 with a street under
it, and A2区), routing rules sending A1区 matters to unit A and A2区 matters to unit B, and a
supervisor of the office who also handles for it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from tests.cases.workflow_cast import Cast, fresh, make_cast
from tests.conftest import Units
from tests.factories import RegionFactory, UserFactory
from xinfang.accounts.enums import RegionLevel, Role
from xinfang.accounts.models import Region, Unit, User
from xinfang.batches.models import Batch
from xinfang.batches.services import Line, hand_over_batch
from xinfang.cases.enums import Channel, ClaimRoute, HandlingCategory
from xinfang.cases.models import Case, ContentCategory, RoutingRule
from xinfang.cases.services import CaseInput, ContactInput, PetitionerInput, register_case

DUE_IN_DAYS = 30


class MissingTemplateVariable(str):
    """``string_if_invalid`` that fails the test instead of printing nothing."""

    __slots__ = ()

    def __contains__(self, item: object) -> bool:
        return item == "%s"

    def __mod__(self, name: object) -> str:
        raise AssertionError(f"模板变量不存在：{name}")


@pytest.fixture(autouse=True)
def strict_templates(settings: Any) -> None:
    templates = [dict(engine) for engine in settings.TEMPLATES]
    templates[0]["OPTIONS"] = {
        **templates[0]["OPTIONS"],
        "string_if_invalid": MissingTemplateVariable("%s"),
    }
    settings.TEMPLATES = templates


@dataclass
class Districts:
    a1: Region
    a1_street: Region
    a2: Region


def make_districts(region: Region) -> Districts:
    assert region.parent is not None
    return Districts(
        a1=region,
        a1_street=RegionFactory(
            code="990102001", name="A1区幸福街道", level=RegionLevel.TOWNSHIP, parent=region
        ),
        a2=RegionFactory(
            code="990103", name="A2区", level=RegionLevel.COUNTY, parent=region.parent
        ),
    )


def make_batch_cast(
    units: Units,
    clerk: User,
    handler: User,
    leader: User,
    outsider: User,
    category: ContentCategory,
    districts: Districts,
) -> Cast:
    """The workflow cast, with routing rules: A1区 → unit A, A2区 → unit B."""
    RoutingRule.objects.create(region=districts.a1, unit=units.unit_a)
    RoutingRule.objects.create(region=districts.a2, unit=units.unit_b)
    return make_cast(units, clerk, handler, leader, outsider, districts.a1, category)


def make_office_supervisor(units: Units) -> User:
    """A 督查员 of the office who also holds 承办人, so the 交办 step lets them act."""
    return UserFactory(
        username="dcy",
        full_name="督查员老陈",
        unit=units.office,
        roles=[Role.SUPERVISOR, Role.HANDLER],
    )


@pytest.fixture
def districts(region: Region) -> Districts:
    return make_districts(region)


@pytest.fixture
def cast(
    units: Units,
    clerk: User,
    handler: User,
    leader: User,
    outsider: User,
    category: ContentCategory,
    districts: Districts,
) -> Cast:
    return make_batch_cast(units, clerk, handler, leader, outsider, category, districts)


@pytest.fixture
def office_supervisor(units: Units) -> User:
    return make_office_supervisor(units)


def register(
    cast: Cast,
    *,
    title: str = "小区物业多收费",
    region: Region | None = None,
    person: str = "周建华",
    request: str = "请求退还多收的物业费。",
) -> Case:
    result = register_case(
        actor=cast.clerk,
        contact=ContactInput(
            channel=Channel.VISIT,
            occurred_at=timezone.now(),
            reception_unit=cast.units.office,
        ),
        case=CaseInput(
            handling_category=HandlingCategory.CLAIM,
            claim_route=ClaimRoute.PETITION,
            content_category=cast.category,
            region=region or cast.region,
            title=title,
            request=request,
        ),
        petitioners=[PetitionerInput(name=person, phone="13900001234")],
    )
    return fresh(result.case)


def due_on() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=DUE_IN_DAYS)


def hand_over(
    actor: User,
    pairs: Sequence[tuple[Case, Unit]],
    *,
    title: str = "幸福小区物业问题集中交办",
    requirement: str = "请逐件核实，依法处理，按期报送办结报告。",
    **kwargs: Any,
) -> Batch:
    return hand_over_batch(
        actor=actor,
        title=title,
        requirement=requirement,
        due_on=kwargs.pop("due", due_on()),
        lines=[Line(case=fresh(case), to_unit=unit, **kwargs) for case, unit in pairs],
    )
