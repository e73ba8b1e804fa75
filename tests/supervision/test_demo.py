"""The demo shows supervision: open and answered orders, a rule order, a 挂牌 list and the
demo leader's 包案 cases, written by the real services; seeding twice adds nothing."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from tests.supervision.conftest import at
from xinfang.cases.demo import seed_demo
from xinfang.supervision.demo import seed_supervision_demo
from xinfang.supervision.enums import OrderStatus, Trigger
from xinfang.supervision.models import Directive, LeaderCase, Listing, SupervisionOrder

pytestmark = pytest.mark.django_db


def test_the_demo_has_orders_a_list_and_a_leaders_cases_once() -> None:
    with at("2026-11-26"):
        seed_demo(cases=400, seed=7)
        result = seed_supervision_demo()
        again = seed_supervision_demo()
    assert (result.orders, result.listings, result.taken) == (4, 3, 3)
    assert sorted(SupervisionOrder.objects.values_list("trigger", "status")) == [
        (Trigger.MANUAL, OrderStatus.ANSWERED),
        (Trigger.MANUAL, OrderStatus.OPEN),
        (Trigger.MANUAL, OrderStatus.OPEN),
        (Trigger.OVERDUE, OrderStatus.OPEN),
    ]
    assert Listing.objects.filter(leader__username="leader").count() == 3
    assert LeaderCase.objects.filter(leader__username="leader").count() == 3
    assert sorted(Directive.objects.values_list("kind", flat=True)) == ["instruction", "reminder"]
    assert (again.orders, again.listings, again.taken) == (0, 0, 0)
    assert SupervisionOrder.objects.count() == 4


def test_seed_demo_prints_the_supervision_line() -> None:
    out = StringIO()
    with at("2026-11-26"):
        call_command("seed_demo", "--cases", "400", "--seed", "7", "--no-walk", stdout=out)
    assert "督办演示数据：督办单 4 件，挂牌督办 3 件，领导包案 3 件。" in out.getvalue()
