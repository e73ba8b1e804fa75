"""The 集中交办 pages as a person uses them: choose cases by region, words or group, review the
units, hand over; bad input keeps what was typed and changes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.batches.conftest import Districts, hand_over, register
from tests.cases.workflow_cast import Cast, fresh, walk_to
from tests.conftest import logged_in
from xinfang.accounts.models import User
from xinfang.batches.models import Batch
from xinfang.cases import steps
from xinfang.cases.enums import CaseStatus
from xinfang.cases.models import Case
from xinfang.search.enums import GroupRunStatus
from xinfang.search.models import GroupRun, IssueGroup, IssueGroupMember

pytestmark = pytest.mark.django_db
S = CaseStatus
NEW = "/batches/new/"
REVIEW = "/batches/new/review/"


def numbers(response: Any, which: str = "eligible") -> list[str]:
    return [c.case.number for c in getattr(response.context["selection"], which)]


def hand_over_form(cases: list[Case], **changes: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "hand_over": "1",
        "case": [c.number for c in cases],
        "key": "k-view",
        "criteria": "问题属地：A1区",
        "title": "幸福小区物业问题集中交办",
        "requirement": "请逐件核实，依法处理。",
        "due_on": (timezone.localdate() + dt.timedelta(days=30)).isoformat(),
    }
    for case in cases:
        data |= {
            f"include_{case.pk}": "on",
            f"unit_{case.pk}": str(case.handling_unit_id or ""),
            f"reason_{case.pk}": "",
            f"version_{case.pk}": str(case.version),
        }
    data.update(changes)
    return data


def test_choosing_a_district_offers_its_cases_and_those_of_its_streets_only(
    cast: Cast, districts: Districts
) -> None:
    district = register(cast, title="幸福小区物业多收费")
    street = register(cast, title="幸福街道路灯不亮", region=districts.a1_street)
    register(cast, title="A2区工地欠薪", region=districts.a2)

    response = logged_in(cast.clerk).get(NEW, {"region": districts.a1.code})

    assert response.status_code == 200
    assert numbers(response) == [district.number, street.number]
    assert [c.suggestion.unit.name for c in response.context["selection"].eligible] == [
        "市住房和城乡建设局",
        "市住房和城乡建设局",
    ]
    assert response.context["criteria"] == "问题属地：A1区"


def test_choosing_by_words_uses_the_full_text_search(cast: Cast, districts: Districts) -> None:
    elevator = register(cast, title="幸福小区电梯停运", request="请求尽快修复电梯。")
    register(cast, title="幸福小区物业多收费")

    response = logged_in(cast.clerk).get(NEW, {"q": "电梯"})

    assert numbers(response) == [elevator.number]


def test_cases_already_routed_are_not_offered_and_refused_ones_say_why(
    cast: Cast, settings: Any
) -> None:
    waiting = register(cast)
    walk_to(cast, S.TRANSFERRED)
    settings.XF_MAX_TRANSFERS = 1
    objected = walk_to(cast, S.TRANSFERRED)
    steps.object_to_case(fresh(objected), actor=cast.handler, reason="不属于本单位职权范围。")

    response = logged_in(cast.clerk).get(NEW)

    assert numbers(response) == [waiting.number]
    assert [c.refusal for c in response.context["selection"].refused] == [
        "该事项已转送、交办 1 次，达到上限（1 次），不能再次转交。"
    ]
    assert "达到上限" in response.content.decode()


def issue_group(cast: Cast, unit_scope: Any, cases: list[Case]) -> IssueGroup:
    """A finished 同类问题 run of the office with one group of ``cases`` (as the nightly
    grouping would store it)."""
    today = timezone.localdate()
    run = GroupRun.objects.create(
        scope_unit=unit_scope,
        period_from=today - dt.timedelta(days=365),
        period_to=today,
        status=GroupRunStatus.DONE,
        requested_at=timezone.now(),
    )
    group = IssueGroup.objects.create(
        run=run,
        label="幸福小区",
        size=len(cases),
        first_received=today,
        last_received=today,
    )
    IssueGroupMember.objects.bulk_create(IssueGroupMember(group=group, case=c) for c in cases)
    return group


def test_choosing_a_same_issue_group_offers_its_waiting_cases(
    cast: Cast, office_supervisor: User
) -> None:
    fees = register(cast, title="幸福小区物业多收费")
    lift = register(cast, title="幸福小区电梯停运")
    register(cast, title="A1区工地欠薪")
    routed = walk_to(cast, S.TRANSFERRED)
    group = issue_group(cast, cast.units.office, [fees, lift, routed])

    response = logged_in(office_supervisor).get(NEW, {"group": str(group.pk)})

    assert numbers(response) == [fees.number, lift.number]
    assert response.context["selection"].group == group
    assert response.context["criteria"] == f"同类问题：幸福小区（第{group.pk}组）"


def test_a_group_of_another_unit_offers_nothing_and_says_so(
    cast: Cast, office_supervisor: User
) -> None:
    group = issue_group(cast, cast.units.unit_b, [register(cast)])

    response = logged_in(office_supervisor).get(NEW, {"group": str(group.pk)})

    assert numbers(response) == []
    assert response.context["selection"].group_missing is True
    assert "找不到该同类问题组" in response.content.decode()


def test_the_review_page_preselects_the_suggested_unit_for_each_chosen_case(
    cast: Cast, districts: Districts
) -> None:
    first = register(cast)
    second = register(cast, region=districts.a2)

    response = logged_in(cast.clerk).post(
        REVIEW, {"case": [first.number, second.number], "criteria": "问题属地：A市"}
    )

    assert response.status_code == 200
    form = response.context["form"]
    assert [form[f"unit_{c.pk}"].value() for c in (first, second)] == [
        cast.units.unit_a.pk,
        cast.units.unit_b.pk,
    ]
    assert form["criteria"].value() == "问题属地：A市"
    assert "集中交办" in response.content.decode()


def test_handing_over_from_the_review_page_goes_to_the_batch(
    cast: Cast, districts: Districts
) -> None:
    first = register(cast)
    second = register(cast, region=districts.a2)
    data = hand_over_form(
        [first, second],
        **{
            f"unit_{first.pk}": str(cast.units.unit_a.pk),
            f"unit_{second.pk}": str(cast.units.unit_b.pk),
        },
    )

    response = logged_in(cast.clerk).post(REVIEW, data, follow=True)

    batch = Batch.objects.get()
    assert response.redirect_chain == [(reverse("batches:detail", args=[batch.pk]), 302)]
    assert (batch.criteria, batch.title) == ("问题属地：A1区", "幸福小区物业问题集中交办")
    assert [fresh(c).status for c in (first, second)] == [S.ASSIGNED, S.ASSIGNED]
    page = response.content.decode()
    assert "已集中交办 2 件" in page
    assert "下载集中交办单" in page


def test_overriding_the_suggestion_without_a_reason_is_refused_on_its_row_keeping_the_input(
    cast: Cast,
) -> None:
    case = register(cast)
    data = hand_over_form([case], **{f"unit_{case.pk}": str(cast.units.unit_b.pk)})

    response = logged_in(cast.clerk).post(REVIEW, data)

    assert response.status_code == 422
    form = response.context["form"]
    assert form.errors[f"reason_{case.pk}"] == [
        "分办规则建议交由市住房和城乡建设局办理；改派其他单位时请写明理由。"
    ]
    assert form["title"].value() == "幸福小区物业问题集中交办"
    assert form[f"unit_{case.pk}"].value() == str(cast.units.unit_b.pk)
    assert (fresh(case).status, Batch.objects.count()) == (S.REGISTERED, 0)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"title": ""}, "title", "这个字段是必填项。"),
        ({"due_on": "2026-13-40"}, "due_on", "输入一个有效的日期。"),
        ({"due_on": "2020-01-01"}, None, "交办办结期限必须晚于今天。"),
    ],
)
def test_bad_batch_input_shows_a_chinese_message_and_changes_nothing(
    cast: Cast, changes: dict[str, str], field: str | None, message: str
) -> None:
    case = register(cast)
    data = hand_over_form([case], **{f"unit_{case.pk}": str(cast.units.unit_a.pk), **changes})

    response = logged_in(cast.clerk).post(REVIEW, data)

    assert response.status_code == 422
    errors = response.context["form"].errors
    assert errors[field or "__all__"] == [message]
    assert response.context["form"]["requirement"].value() == "请逐件核实，依法处理。"
    assert (fresh(case).status, Batch.objects.count()) == (S.REGISTERED, 0)


def test_a_case_taken_meanwhile_refuses_the_batch_naming_the_case(cast: Cast) -> None:
    first, second = register(cast), register(cast)
    data = hand_over_form(
        [first, second],
        **{
            f"unit_{first.pk}": str(cast.units.unit_a.pk),
            f"unit_{second.pk}": str(cast.units.unit_a.pk),
        },
    )
    # Someone else changes the second case after the page was shown (any write bumps it).
    Case.objects.filter(pk=second.pk).update(version=second.version + 1)

    response = logged_in(cast.clerk).post(REVIEW, data)

    assert response.status_code == 422
    page = response.content.decode()
    assert f"{second.number}：该信访事项已被他人处理或修改" in page
    assert "整批未交办，所有事项均未改动" in page
    assert [fresh(c).status for c in (first, second)] == [S.REGISTERED, S.REGISTERED]


def test_unticking_every_case_is_refused(cast: Cast) -> None:
    case = register(cast)
    data = hand_over_form([case], **{f"unit_{case.pk}": str(cast.units.unit_a.pk)})
    del data[f"include_{case.pk}"]

    response = logged_in(cast.clerk).post(REVIEW, data)

    assert response.status_code == 422
    assert response.context["form"].errors["__all__"] == ["请至少保留一件信访事项。"]


def test_a_case_the_user_cannot_see_is_never_offered_nor_handed_over(
    cast: Cast, outsider: User, office_supervisor: User
) -> None:
    case = register(cast)

    # A handler of unit B may not open the page; numbers the office's supervisor cannot see
    # (none here) would simply be dropped.
    assert logged_in(outsider).get(NEW).status_code == 403
    assert logged_in(outsider).post(REVIEW, {"case": [case.number]}).status_code == 403
    response = logged_in(office_supervisor).post(REVIEW, {"case": ["NO-SUCH-CASE"]})
    assert response.context["form"].candidates == []


def test_the_pages_refuse_wrong_methods_and_strangers(cast: Cast) -> None:
    client = logged_in(cast.clerk)

    assert client.post(NEW).status_code == 405
    assert client.get(REVIEW).status_code == 405
    assert client.post(reverse("batches:list")).status_code == 405
    assert logged_in(cast.handler).get(NEW).status_code == 403
    assert logged_in(cast.handler).get(reverse("batches:list")).status_code == 200


def test_the_list_shows_progress_and_the_new_button_only_to_those_who_may_hand_over(
    cast: Cast,
) -> None:
    hand_over(cast.clerk, [(register(cast), cast.units.unit_a)])

    office = logged_in(cast.clerk).get(reverse("batches:list")).content.decode()
    unit = logged_in(cast.handler).get(reverse("batches:list")).content.decode()

    assert "新建集中交办" in office
    assert "新建集中交办" not in unit
    assert "已办结 0/1（0%）" in unit


def test_odd_query_parameters_are_ignored_not_an_error(cast: Cast) -> None:
    hand_over(cast.clerk, [(register(cast), cast.units.unit_a)])
    client = logged_in(cast.clerk)

    assert client.get(reverse("batches:list"), {"before": "²", "overdue": "x"}).status_code == 200
    assert client.get(reverse("batches:list"), {"before": "9" * 40}).status_code == 200
    assert (
        client.get(NEW, {"group": "abc", "region": "nowhere", "q": "物" * 500}).status_code == 200
    )
