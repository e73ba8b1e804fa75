"""分办: the rules table on real division codes, overriding with a reason, the unit's desk."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.cases.workflow_cast import Cast, fresh, register, walk_to
from tests.conftest import Units, logged_in
from tests.factories import UnitFactory, UserFactory
from xinfang.accounts.enums import Role, UnitKind
from xinfang.accounts.models import Region, User
from xinfang.accounts.services import load_regions
from xinfang.cases import routing, steps
from xinfang.cases.enums import CaseStatus, ClaimRoute
from xinfang.cases.models import Case, ContentCategory, RoutingRule

pytestmark = pytest.mark.django_db
S = CaseStatus


@pytest.fixture
def admin(units: Units) -> User:
    return UserFactory(username="sysadmin", unit=units.office, roles=[Role.SYSTEM_ADMIN])


def test_the_routing_table_on_real_division_codes(
    shared_data: Path, cast: Cast, admin: User
) -> None:
    """长沙市 (4301): 岳麓区 matters go to its government, except 物业 anywhere in the city, which
    goes to the housing bureau; a 岳麓区 street's property matter still goes to housing (谁主管),
    a 天心区 one with no district rule falls back to the city backstop."""
    load_regions(actor=None, folder=shared_data / "regions", root="4301")
    yuelu = Region.objects.get(code="430104")
    street = Region.objects.filter(parent=yuelu).order_by("code").first()
    tianxin_street = Region.objects.filter(parent__code="430103").order_by("code").first()
    assert street is not None
    assert tianxin_street is not None
    yuelu_government = UnitFactory(
        code="Y01", name="岳麓区人民政府", kind=UnitKind.GOVERNMENT, parent=cast.units.office
    )
    city = Region.objects.get(code="4301")
    routing.add_rule(actor=admin, unit=yuelu_government, region=yuelu)
    routing.add_rule(actor=admin, unit=cast.units.unit_a, content_category=cast.category)
    routing.add_rule(actor=admin, unit=cast.units.unit_b, region=city, note="兜底")
    other_category = ContentCategory.objects.create(
        code="0901", name="劳动工资", parent=None, level=1
    )

    def suggested(region: Region, category: ContentCategory) -> str:
        case = register(cast)
        Case.objects.filter(pk=case.pk).update(region=region, content_category=category)
        found = routing.suggest_unit(fresh(case))
        return found.unit.name if found else ""

    assert suggested(street, cast.category) == cast.units.unit_a.name
    assert suggested(street, other_category) == "岳麓区人民政府"
    assert suggested(tianxin_street, other_category) == cast.units.unit_b.name


def test_litigation_matters_are_only_suggested_to_legal_organs(cast: Cast, admin: User) -> None:
    court = UnitFactory(
        code="C01", name="市中级人民法院", kind=UnitKind.LEGAL, parent=cast.units.office
    )
    routing.add_rule(actor=admin, unit=cast.units.unit_a, content_category=cast.category)
    routing.add_rule(actor=admin, unit=court, claim_route=ClaimRoute.LITIGATION)
    case = register(cast, route=ClaimRoute.LITIGATION, litigation=True)
    found = routing.suggest_unit(case)
    assert found is not None
    assert found.unit == court


def test_transferring_elsewhere_than_suggested_needs_a_reason_kept_on_the_timeline(
    cast: Cast, admin: User
) -> None:
    routing.add_rule(actor=admin, unit=cast.units.unit_a, content_category=cast.category)
    case = register(cast)
    with pytest.raises(ValidationError, match="改派其他单位时请写明理由"):
        steps.transfer_case(case, actor=cast.clerk, to_unit=cast.units.unit_b)
    steps.transfer_case(
        fresh(case),
        actor=cast.clerk,
        to_unit=cast.units.unit_b,
        override_reason="涉及社保缴费，人社局主管。",
    )
    event = fresh(case).events.get(kind="transferred")
    assert event.payload["override_reason"] == "涉及社保缴费，人社局主管。"
    assert event.payload["suggested"] == cast.units.unit_a.name


def test_the_transfer_form_preselects_the_suggested_unit(cast: Cast, admin: User) -> None:
    routing.add_rule(actor=admin, unit=cast.units.unit_a, content_category=cast.category)
    case = register(cast)
    page = logged_in(cast.clerk).get(reverse("cases:detail", args=[case.number]))
    html = page.content.decode()
    assert f"建议：{cast.units.unit_a.name}" in html
    assert f'<option value="{cast.units.unit_a.pk}" selected>' in html


def test_only_the_system_administrator_edits_rules_and_each_change_is_audited(
    cast: Cast, admin: User
) -> None:
    from xinfang.audit.models import AuditEvent

    assert logged_in(cast.clerk).get(reverse("cases:routing")).status_code == 403
    response = logged_in(admin).post(
        reverse("cases:routing"), {"unit": cast.units.unit_a.pk, "note": "物业"}
    )
    assert response.status_code == 302
    rule = RoutingRule.objects.get()
    logged_in(admin).post(reverse("cases:routing_retire", args=[rule.pk]))
    assert not RoutingRule.objects.get().is_active
    events = AuditEvent.objects.filter(event__startswith="routing.").values_list("event", flat=True)
    assert sorted(events) == ["routing.add_rule", "routing.retire_rule"]


def test_the_desk_shows_the_units_cases_by_tab_and_nothing_of_other_units(cast: Cast) -> None:
    new = walk_to(cast, S.TRANSFERRED)
    handling = walk_to(cast, S.IN_HANDLING)
    returned = walk_to(cast, S.UNDER_REVIEW)
    steps.send_back_draft(returned, actor=cast.reviewer, comments="请补充。")
    page = logged_in(cast.handler).get(reverse("cases:desk"))
    assert [c.number for c in page.context["desk"].cases] == [new.number]
    counts = page.context["desk"].counts
    assert (counts["new"], counts["handling"], counts["returned"]) == (1, 2, 1)
    returned_tab = logged_in(cast.handler).get(reverse("cases:desk") + "?tab=returned")
    assert [c.number for c in returned_tab.context["desk"].cases] == [returned.number]
    assert logged_in(cast.outsider).get(reverse("cases:desk")).context["desk"].counts == {
        "new": 0,
        "handling": 0,
        "near": 0,
        "overdue": 0,
        "returned": 0,
        "cooperating": 0,
    }
    assert (
        handling.number
        in logged_in(cast.handler).get(reverse("cases:desk") + "?tab=handling").content.decode()
    )


def test_a_handler_adds_an_investigation_record_that_the_portal_never_shows(cast: Cast) -> None:
    from django.test import Client

    from xinfang.cases.services import query_code_of

    case = walk_to(cast, S.IN_HANDLING)
    response = logged_in(cast.handler).post(
        reverse("cases:add_note", args=[case.number]),
        {"kind": "investigation", "text": "实地走访物业公司，核实收费台账。"},
    )
    assert response.status_code == 302
    event = fresh(case).events.get(kind="investigation")
    assert event.payload == {"note": "实地走访物业公司，核实收费台账。"}
    page = logged_in(cast.handler).get(reverse("cases:detail", args=[case.number]))
    assert "实地走访物业公司" in page.content.decode()
    visitor = Client()
    visitor.post(
        reverse("portal:lookup"), {"number": case.number, "query_code": query_code_of(case)}
    )
    public = visitor.get(reverse("portal:progress", args=[case.number]))
    assert public.status_code == 200
    assert "实地走访物业公司" not in public.content.decode()


def test_an_empty_record_is_refused_and_nothing_is_written(cast: Cast) -> None:
    case = walk_to(cast, S.IN_HANDLING)
    before = fresh(case).events.count()
    response = logged_in(cast.handler).post(
        reverse("cases:add_note", args=[case.number]), {"kind": "note", "text": "  "}
    )
    assert response.status_code == 422
    assert fresh(case).events.count() == before
    assert (
        logged_in(cast.outsider)
        .post(reverse("cases:add_note", args=[case.number]), {"kind": "note", "text": "x"})
        .status_code
        == 404
    )
