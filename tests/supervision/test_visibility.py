"""Who sees which supervision: a unit its own orders (and its subtree's), the supervising side
what it issued, nobody outside the case's chain — with data that could leak if it were wrong."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.cases.workflow_cast import Cast, fresh, walk_to
from tests.conftest import logged_in
from tests.factories import UnitFactory, UserFactory
from tests.supervision.conftest import in_handling
from xinfang.accounts.enums import Role
from xinfang.accounts.models import User
from xinfang.cases import steps
from xinfang.cases.enums import CaseStatus, ClaimRoute
from xinfang.supervision import services
from xinfang.supervision.models import SupervisionOrder
from xinfang.supervision.queries import case_panel, leader_desk, listings, orders_visible_to

pytestmark = pytest.mark.django_db
S = CaseStatus


def visible(user: User) -> list[str]:
    return sorted(o.issued_to.name for o in orders_visible_to(user).select_related("issued_to"))


def test_each_unit_sees_its_own_orders_and_the_office_sees_all(
    cast: Cast, supervisor: User
) -> None:
    to_a = in_handling(cast)
    to_b = walk_to(cast, S.REGISTERED)
    steps.transfer_case(to_b, actor=cast.clerk, to_unit=cast.units.unit_b)
    for case in (to_a, fresh(to_b)):
        services.issue_order(fresh(case), actor=supervisor, requirement="请答复。")

    assert visible(cast.handler) == ["市住房和城乡建设局"]
    assert visible(cast.reviewer) == ["市住房和城乡建设局"]
    assert visible(cast.outsider) == ["市人力资源和社会保障局"]
    assert visible(supervisor) == ["市人力资源和社会保障局", "市住房和城乡建设局"]
    assert visible(cast.clerk) == ["市人力资源和社会保障局", "市住房和城乡建设局"]


def test_a_superior_unit_sees_its_subtrees_orders_and_the_subunit_only_its_own(
    cast: Cast, supervisor: User
) -> None:
    township = UnitFactory(code="A111", name="幸福街道办事处", parent=cast.units.unit_a)
    township_handler = UserFactory(username="township", unit=township, roles=[Role.HANDLER])
    at_a = in_handling(cast)
    at_township = walk_to(cast, S.REGISTERED)
    steps.transfer_case(at_township, actor=cast.clerk, to_unit=township)
    steps.sign_case(fresh(at_township), actor=township_handler)
    steps.accept_case(fresh(at_township), actor=township_handler, claim_route=ClaimRoute.PETITION)
    for case in (at_a, at_township):
        services.issue_order(fresh(case), actor=supervisor, requirement="请答复。")

    assert visible(cast.handler) == ["市住房和城乡建设局", "幸福街道办事处"]
    assert visible(township_handler) == ["幸福街道办事处"]
    assert visible(cast.outsider) == []


def test_a_unit_that_sees_the_case_does_not_see_an_order_sent_to_another_organ(
    cast: Cast, supervisor: User
) -> None:
    case = walk_to(cast, S.REVIEW_REQUESTED)  # unit A handled it; the government reviews it
    order = services.issue_order(case, actor=supervisor, requirement="请按期出具复查意见。")
    assert order.issued_to == cast.government
    assert visible(cast.handler) == []
    assert case_panel(cast.handler, case).orders == []
    assert logged_in(cast.handler).get(f"/supervision/orders/{order.pk}/").status_code == 404


def test_an_outsider_sees_neither_the_order_nor_the_case(cast: Cast, supervisor: User) -> None:
    case = in_handling(cast)
    order = services.issue_order(fresh(case), actor=supervisor, requirement="请答复。")
    services.add_instruction(fresh(case), actor=cast.leader, text="不得外传的批示。")
    client = logged_in(cast.outsider)
    assert client.get(f"/supervision/orders/{order.pk}/").status_code == 404
    assert client.get(f"/cases/{case.number}/").status_code == 404
    board = client.get("/supervision/?tab=open").content.decode()
    assert order.number not in board
    assert SupervisionOrder.objects.count() == 1


def test_administrators_see_no_orders_and_no_list(
    cast: Cast, supervisor: User, auditor: User
) -> None:
    case = in_handling(cast)
    services.issue_order(fresh(case), actor=supervisor, requirement="请答复。")
    services.list_case(
        fresh(case),
        actor=supervisor,
        name="物业问题",
        leader=cast.leader,
        deadline=dt.date.today() + dt.timedelta(days=30),
    )
    assert list(orders_visible_to(auditor)) == []
    assert listings(auditor) == []


def test_the_staff_wide_list_opens_a_case_only_for_those_who_may_see_it(
    cast: Cast, supervisor: User
) -> None:
    case = in_handling(cast)
    services.list_case(
        fresh(case),
        actor=supervisor,
        name="物业问题",
        leader=cast.leader,
        deadline=dt.date.today() + dt.timedelta(days=30),
    )
    assert [row.visible for row in listings(cast.outsider)] == [False]
    assert [row.visible for row in listings(cast.handler)] == [True]
    assert [row.visible for row in listings(supervisor)] == [True]


def test_my_cases_drops_a_case_that_left_the_leaders_scope(cast: Cast, unit_leader: User) -> None:
    case = in_handling(cast)
    services.take_case(fresh(case), actor=unit_leader)
    assert [t.case.pk for t in leader_desk(unit_leader).taken] == [case.pk]
    # Moved to unit B by hand (data fix); the leader of unit A no longer sees it.
    type(case).objects.filter(pk=case.pk).update(handling_unit=cast.units.unit_b)
    assert leader_desk(unit_leader).taken == []
