"""主办 + 协办 units, the re-transfer limit with its reasons, and 涉法涉诉 to 政法机关 only."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.api.conftest import api_client
from tests.cases.workflow_cast import Cast, fresh, register
from tests.conftest import Units, logged_in
from tests.factories import UnitFactory, UserFactory
from xinfang.accounts.enums import Role, UnitKind
from xinfang.accounts.models import Unit, User
from xinfang.audit.models import AuditEvent
from xinfang.cases import routing, steps, workflow
from xinfang.cases.enums import CaseStatus, ClaimRoute, EventKind
from xinfang.cases.models import Case, CaseEvent, CaseUnit
from xinfang.cases.queries import CaseFilters, case_page, cases_visible_to, desk

pytestmark = pytest.mark.django_db
S = CaseStatus


@pytest.fixture
def audit_unit(units: Units) -> Unit:
    unit: Unit = UnitFactory(code="A13", name="市审计局", parent=units.office)
    return unit


@pytest.fixture
def auditor_handler(audit_unit: Unit) -> User:
    """A handler of the 协办 unit."""
    user: User = UserFactory(
        username="coop", full_name="审计局承办人", unit=audit_unit, roles=[Role.HANDLER]
    )
    return user


@pytest.fixture
def court(units: Units) -> Unit:
    unit: Unit = UnitFactory(
        code="C01", name="市中级人民法院", kind=UnitKind.LEGAL, parent=units.office
    )
    return unit


def transfer_with_cooperation(cast: Cast, *cooperating: Unit) -> Case:
    case = register(cast)
    steps.transfer_case(
        case, actor=cast.clerk, to_unit=cast.units.unit_a, cooperating_units=list(cooperating)
    )
    return fresh(case)


def pdf() -> io.BytesIO:
    upload = io.BytesIO(b"%PDF-1.4\n%coop\n")
    upload.name = "协办材料.pdf"
    return upload


# --- 协办 units ------------------------------------------------------------------------------


def test_a_transfer_names_cooperating_units_kept_in_the_through_table(
    cast: Cast, audit_unit: Unit
) -> None:
    case = transfer_with_cooperation(cast, audit_unit)

    links = list(CaseUnit.objects.filter(case=case).values_list("unit__name", "role"))
    event = case.events.get(kind=EventKind.TRANSFERRED)

    assert links == [("市审计局", "cooperating")]
    assert event.payload["cooperating"] == ["市审计局"]
    assert "协办 市审计局" in event.facts


def test_a_cooperating_unit_sees_the_case_and_an_unrelated_unit_does_not(
    cast: Cast, audit_unit: Unit, auditor_handler: User
) -> None:
    case = transfer_with_cooperation(cast, audit_unit)

    page = logged_in(auditor_handler).get(reverse("cases:detail", args=[case.number]))
    outsider = logged_in(cast.outsider).get(reverse("cases:detail", args=[case.number]))

    assert list(cases_visible_to(auditor_handler).values_list("number", flat=True)) == [case.number]
    assert (page.status_code, outsider.status_code) == (200, 404)
    assert "市审计局" in page.content.decode()


def test_a_cooperating_unit_takes_none_of_the_main_units_steps(
    cast: Cast, audit_unit: Unit, auditor_handler: User
) -> None:
    case = transfer_with_cooperation(cast, audit_unit)

    offered = workflow.available_actions(auditor_handler, case)
    signed = logged_in(auditor_handler).post(
        reverse("cases:step", args=[case.number, "sign"]), {"version": case.version}
    )

    assert offered == []
    assert signed.status_code == 403
    assert fresh(case).status == S.TRANSFERRED
    with pytest.raises(PermissionDenied):
        steps.sign_case(fresh(case), actor=auditor_handler)


def test_a_cooperating_unit_writes_notes_and_adds_attachments(
    cast: Cast, audit_unit: Unit, auditor_handler: User, settings: Any, tmp_path: Any
) -> None:
    settings.ATTACHMENT_DIR = tmp_path
    case = transfer_with_cooperation(cast, audit_unit)
    client = logged_in(auditor_handler)

    noted = client.post(
        reverse("cases:add_note", args=[case.number]),
        {"kind": "investigation", "text": "已调取相关审计报告。"},
    )
    uploaded = client.post(reverse("cases:upload_attachment", args=[case.number]), {"file": pdf()})

    assert (noted.status_code, uploaded.status_code) == (302, 302)
    kinds = list(case.events.filter(actor=auditor_handler).values_list("kind", flat=True))
    assert kinds == [EventKind.INVESTIGATION, EventKind.ATTACHMENT_ADDED]


def test_more_cooperating_units_than_the_setting_allows_are_refused_and_nothing_changes(
    cast: Cast, audit_unit: Unit, settings: Any
) -> None:
    settings.XF_MAX_COOPERATING_UNITS = 1
    case = register(cast)

    with pytest.raises(ValidationError, match="协办单位最多 1 个，已选择 2 个"):
        steps.transfer_case(
            case,
            actor=cast.clerk,
            to_unit=cast.units.unit_a,
            cooperating_units=[audit_unit, cast.units.unit_b],
        )

    case = fresh(case)
    assert (case.status, case.transfer_count, CaseUnit.objects.count()) == (S.REGISTERED, 0, 0)


def test_the_main_unit_cannot_also_be_a_cooperating_unit(cast: Cast) -> None:
    with pytest.raises(ValidationError, match="已是主办单位"):
        steps.transfer_case(
            register(cast),
            actor=cast.clerk,
            to_unit=cast.units.unit_a,
            cooperating_units=[cast.units.unit_a],
        )


def test_an_objection_clears_the_cooperating_units_and_the_next_transfer_names_its_own(
    cast: Cast, audit_unit: Unit
) -> None:
    case = transfer_with_cooperation(cast, audit_unit)
    steps.object_to_case(case, actor=cast.handler, reason="不属于本单位职责。")
    assert list(CaseUnit.objects.values_list("unit_id", flat=True)) == []

    steps.transfer_case(
        fresh(case),
        actor=cast.clerk,
        to_unit=cast.units.unit_b,
        cooperating_units=[cast.units.unit_a],
        reason="住建局异议退回，改由人社局主办。",
    )

    assert list(CaseUnit.objects.values_list("unit_id", flat=True)) == [cast.units.unit_a.pk]


def test_the_desk_shows_cooperating_cases_in_their_own_tab(
    cast: Cast, audit_unit: Unit, auditor_handler: User
) -> None:
    case = transfer_with_cooperation(cast, audit_unit)

    cooperating = desk(auditor_handler, "cooperating")
    main = desk(cast.handler, "cooperating")
    page = logged_in(auditor_handler).get(reverse("cases:desk") + "?tab=cooperating")

    assert [c.number for c in cooperating.cases] == [case.number]
    assert (cooperating.counts["cooperating"], cooperating.counts["new"]) == (1, 0)
    assert (main.counts["cooperating"], main.counts["new"]) == (0, 1)
    assert page.status_code == 200
    assert "本单位作为协办单位的事项" in page.content.decode()


def test_the_case_list_pages_cooperating_cases_like_any_other_branch(
    cast: Cast, audit_unit: Unit, auditor_handler: User
) -> None:
    made = [transfer_with_cooperation(cast, audit_unit) for _ in range(3)]
    register(cast)  # not the 审计局's

    first = case_page(auditor_handler, CaseFilters(), size=2)
    second = case_page(auditor_handler, CaseFilters(), after=first.next_cursor or "", size=2)

    numbers = [c.number for c in first.cases + second.cases]
    assert numbers == [c.number for c in reversed(made)]


def test_the_desks_query_count_is_the_same_for_one_and_three_cooperating_cases(
    cast: Cast, audit_unit: Unit, auditor_handler: User
) -> None:
    client = logged_in(auditor_handler)
    url = reverse("cases:desk") + "?tab=cooperating"
    transfer_with_cooperation(cast, audit_unit)
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    transfer_with_cooperation(cast, audit_unit)
    transfer_with_cooperation(cast, audit_unit)
    with CaptureQueriesContext(connection) as three:
        client.get(url)

    assert len(one) == len(three)


def test_the_transfer_form_takes_cooperating_units_and_keeps_what_was_typed_on_refusal(
    cast: Cast, audit_unit: Unit, settings: Any
) -> None:
    settings.XF_MAX_COOPERATING_UNITS = 1
    case = register(cast)
    url = reverse("cases:step", args=[case.number, "transfer"])
    data = {
        "version": case.version,
        "to_unit": cast.units.unit_a.pk,
        "cooperating_units": [audit_unit.pk, cast.units.unit_b.pk],
        "note": "请会同审计局办理。",
    }

    refused = logged_in(cast.clerk).post(url, data)
    html = refused.content.decode()
    accepted = logged_in(cast.clerk).post(url, data | {"cooperating_units": [audit_unit.pk]})

    assert refused.status_code == 422
    assert "协办单位最多 1 个" in html
    assert "请会同审计局办理。" in html
    assert accepted.status_code == 302
    assert list(CaseUnit.objects.values_list("unit_id", flat=True)) == [audit_unit.pk]


def test_the_api_names_cooperating_units_by_code_and_shows_them(
    cast: Cast, audit_unit: Unit
) -> None:
    case = register(cast)
    api = api_client(cast.clerk)

    step = api.post(
        f"/api/v1/cases/{case.number}/steps/transfer",
        {"version": case.version, "fields": {"to_unit": "A11", "cooperating_units": "A13"}},
        content_type="application/json",
    )
    detail = api.get(f"/api/v1/cases/{case.number}").json()

    assert step.status_code == 200, step.content
    assert detail["cooperating_units"] == [{"code": "A13", "name": "市审计局"}]


# --- re-transfers: a limit, and a reason for each --------------------------------------------


def test_a_re_transfer_without_a_reason_is_refused_and_one_with_a_reason_is_kept(
    cast: Cast,
) -> None:
    case = register(cast)
    steps.transfer_case(case, actor=cast.clerk, to_unit=cast.units.unit_a)
    steps.object_to_case(fresh(case), actor=cast.handler, reason="不属于本单位。")

    with pytest.raises(ValidationError, match="再次转送、交办请写明理由"):
        steps.transfer_case(fresh(case), actor=cast.clerk, to_unit=cast.units.unit_b)
    steps.transfer_case(
        fresh(case), actor=cast.clerk, to_unit=cast.units.unit_b, reason="人社局主管劳动争议。"
    )

    second = CaseEvent.objects.filter(kind=EventKind.TRANSFERRED).latest("id")
    assert fresh(case).transfer_count == 2
    assert second.facts[:3] == [
        "→ 市人力资源和社会保障局",
        "第 2 次转送交办",
        "再次转送交办理由：人社局主管劳动争议。",
    ]


def test_the_case_page_shows_the_count_against_the_limit_and_each_reason(cast: Cast) -> None:
    case = register(cast)
    steps.transfer_case(case, actor=cast.clerk, to_unit=cast.units.unit_a)
    steps.object_to_case(fresh(case), actor=cast.handler, reason="不属于本单位。")
    steps.assign_case(
        fresh(case),
        actor=cast.clerk,
        to_unit=cast.units.unit_b,
        due_on=timezone.localdate() + dt.timedelta(days=30),
        requirement="请于期限内办结。",
        reason="改由人社局主办。",
    )

    html = logged_in(cast.clerk).get(reverse("cases:detail", args=[case.number])).content
    text = html.decode()

    assert "2 / 3" in text
    assert "再次转送交办理由：改由人社局主办。" in text


def test_the_re_transfer_form_asks_for_the_reason_and_the_limit_hides_the_step(
    cast: Cast, settings: Any
) -> None:
    settings.XF_MAX_TRANSFERS = 2
    case = register(cast)
    steps.transfer_case(case, actor=cast.clerk, to_unit=cast.units.unit_a)
    steps.object_to_case(fresh(case), actor=cast.handler, reason="不属于本单位。")
    client = logged_in(cast.clerk)
    url = reverse("cases:step", args=[case.number, "transfer"])

    missing = client.post(url, {"version": fresh(case).version, "to_unit": cast.units.unit_b.pk})
    done = client.post(
        url,
        {"version": fresh(case).version, "to_unit": cast.units.unit_b.pk, "reason": "改派。"},
    )
    steps.object_to_case(fresh(case), actor=cast.outsider, reason="也不属于本单位。")
    offered = workflow.available_actions(cast.clerk, fresh(case))

    assert missing.status_code == 422
    assert "这个字段是必填项" in missing.content.decode()
    assert done.status_code == 302
    assert (workflow.Action.TRANSFER in offered, workflow.Action.ASSIGN in offered) == (
        False,
        False,
    )
    with pytest.raises(ValidationError, match="达到上限"):
        steps.transfer_case(
            fresh(case), actor=cast.clerk, to_unit=cast.units.unit_a, reason="再试。"
        )


# --- 涉法涉诉 → 政法机关 -------------------------------------------------------------------------


def test_a_route_one_matter_goes_only_to_a_legal_organ_even_without_the_flag(
    cast: Cast, court: Unit
) -> None:
    case = register(cast, route=ClaimRoute.LITIGATION, litigation=False)

    with pytest.raises(ValidationError, match="市住房和城乡建设局不是政法机关"):
        steps.transfer_case(case, actor=cast.clerk, to_unit=cast.units.unit_a)
    steps.transfer_case(fresh(case), actor=cast.clerk, to_unit=court)

    assert fresh(case).handling_unit_id == court.pk


def test_the_transfer_form_offers_only_legal_organs_and_refuses_others_in_chinese(
    cast: Cast, court: Unit
) -> None:
    case = register(cast, litigation=True)
    client = logged_in(cast.clerk)
    page = client.get(reverse("cases:detail", args=[case.number]))
    form = dict(page.context["step_forms"])[workflow.Action.TRANSFER]
    offered = [label for value, label in form.fields["to_unit"].widget.choices if value]

    refused = client.post(
        reverse("cases:step", args=[case.number, "transfer"]),
        {"version": case.version, "to_unit": cast.units.unit_a.pk},
    )

    assert offered == ["市中级人民法院"]
    assert refused.status_code == 422
    assert "涉法涉诉事项应当转送政法部门处理（第二十八条）" in refused.content.decode()
    assert fresh(case).status == S.REGISTERED


def test_a_routing_rule_for_the_litigation_route_must_name_a_legal_organ(
    cast: Cast, court: Unit, units: Units
) -> None:
    admin = UserFactory(username="sysadmin", unit=units.office, roles=[Role.SYSTEM_ADMIN])

    with pytest.raises(ValidationError, match="只能指向政法机关"):
        routing.add_rule(actor=admin, unit=units.unit_a, claim_route=ClaimRoute.LITIGATION)
    rule = routing.add_rule(actor=admin, unit=court, claim_route=ClaimRoute.LITIGATION)

    assert rule.unit == court


def test_transferring_with_cooperating_units_writes_one_transfer_audit_event(
    cast: Cast, audit_unit: Unit
) -> None:
    case = register(cast)
    before = AuditEvent.objects.count()

    steps.transfer_case(
        case, actor=cast.clerk, to_unit=cast.units.unit_a, cooperating_units=[audit_unit]
    )

    events = list(AuditEvent.objects.order_by("seq")[before:].values_list("event", flat=True))
    assert events == ["document.issue", "case.transfer"]  # the 转送函, then the step


def test_a_case_with_two_cooperating_units_in_ones_subtree_is_listed_once_per_walk(
    cast: Cast,
) -> None:
    """The 协办 branch is a join on the link index: a case meets a superior twice there."""
    first = UnitFactory(code="A021", name="市政府办公室", parent=cast.government)
    second = UnitFactory(code="A022", name="市政府研究室", parent=cast.government)
    above = UserFactory(username="gov", unit=cast.government, roles=[Role.LEADER])
    made = [transfer_with_cooperation(cast, first, second) for _ in range(3)]

    numbers, after = [], ""
    while True:
        page = case_page(above, CaseFilters(), after=after, size=2)
        numbers += [c.number for c in page.cases]
        if not page.next_cursor:
            break
        after = page.next_cursor

    assert numbers == [c.number for c in reversed(made)]
    assert cases_visible_to(above).count() == 3
