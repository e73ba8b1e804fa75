"""The supervision pages as people use them: who may open what (404 out of scope, 403 not
allowed, 405 wrong method), bad input shown again in Chinese with what was typed, no N+1."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.cases.workflow_cast import Cast, fresh
from tests.conftest import logged_in
from tests.supervision.conftest import at, in_handling
from xinfang.accounts.models import User
from xinfang.cases.models import Case
from xinfang.supervision import services
from xinfang.supervision.enums import ListingStatus, OrderStatus
from xinfang.supervision.models import (
    Directive,
    LeaderCase,
    Listing,
    Notification,
    SupervisionOrder,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("strict_templates")]


def order_for(cast: Cast, supervisor: User, case: Case | None = None) -> SupervisionOrder:
    case = case or in_handling(cast)
    return services.issue_order(fresh(case), actor=supervisor, requirement="请书面答复办理进展。")


def queries_for(client: Client, url: str) -> int:
    client.get(url)  # warm per-process caches
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


# --- 督办 board --------------------------------------------------------------------------------


def test_the_supervisor_sees_the_open_orders_on_the_board(cast: Cast, supervisor: User) -> None:
    order = order_for(cast, supervisor)
    page = logged_in(supervisor).get(reverse("supervision:board"))
    assert page.status_code == 200
    assert [o.number for o in page.context["board"].orders] == [order.number]
    assert page.context["board"].counts == {
        "open": 1,
        "due_soon": 0,
        "overdue": 0,
        "answered": 0,
        "closed": 0,
    }
    html = page.content.decode()
    assert "发起督办" in html
    assert order.number in html


def test_the_unit_sees_its_orders_and_another_unit_sees_none(cast: Cast, supervisor: User) -> None:
    order = order_for(cast, supervisor)
    mine = logged_in(cast.handler).get(reverse("supervision:board"))
    assert [o.pk for o in mine.context["board"].orders] == [order.pk]
    assert "发起督办" not in mine.content.decode()
    theirs = logged_in(cast.outsider).get(reverse("supervision:board"))
    assert theirs.context["board"].orders == []
    assert order.number not in theirs.content.decode()


def test_the_overdue_tab_lists_orders_past_their_answer_date(cast: Cast, supervisor: User) -> None:
    with at("2026-03-10"):
        order = order_for(cast, supervisor)
    with at("2026-04-20"):
        page = logged_in(supervisor).get(reverse("supervision:board") + "?tab=overdue")
    assert [o.pk for o in page.context["board"].orders] == [order.pk]
    assert "超期" in page.content.decode()


def test_the_board_costs_the_same_queries_for_one_and_three_orders(
    cast: Cast, supervisor: User
) -> None:
    client = logged_in(supervisor)
    order_for(cast, supervisor)
    one = queries_for(client, reverse("supervision:board"))
    order_for(cast, supervisor)
    order_for(cast, supervisor)
    assert queries_for(client, reverse("supervision:board")) == one


def test_anonymous_visitors_are_sent_to_sign_in_and_admins_are_refused(
    auditor: User,
) -> None:
    assert Client().get(reverse("supervision:board")).status_code == 302
    assert logged_in(auditor).get(reverse("supervision:board")).status_code == 403


# --- 发起督办 -----------------------------------------------------------------------------------


def test_a_supervisor_issues_an_order_from_the_form(cast: Cast, supervisor: User) -> None:
    case = in_handling(cast)
    client = logged_in(supervisor)
    form = client.get(reverse("supervision:issue") + f"?case={case.number}")
    assert form.context["form"]["case_number"].value() == case.number
    response = client.post(
        reverse("supervision:issue"),
        {"case_number": case.number, "requirement": "请于30日内书面答复。", "due_on": ""},
    )
    order = SupervisionOrder.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("supervision:order", args=[order.pk])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"requirement": ""}, "请填写督办要求。"),
        ({"case_number": "A01-2099-999999"}, "找不到该信访件编号，或该事项不在您的工作范围内。"),
        ({"due_on": "2026-02-30"}, "请输入有效的日期，如 2026-09-30。"),
        ({"due_on": "2020-01-01"}, "答复期限必须晚于今天。"),
    ],
)
def test_bad_input_on_the_issue_form_is_shown_in_chinese_and_nothing_typed_is_lost(
    cast: Cast, supervisor: User, data: dict[str, str], message: str
) -> None:
    case = in_handling(cast)
    posted = {"case_number": case.number, "requirement": "请答复：小区物业问题。", "due_on": ""}
    posted.update(data)
    response = logged_in(supervisor).post(reverse("supervision:issue"), posted)
    html = response.content.decode()
    assert response.status_code == 422
    assert message in html
    for value in posted.values():
        assert value in html
    assert SupervisionOrder.objects.count() == 0


def test_a_case_outside_the_supervisors_scope_is_not_found(cast: Cast, other_leader: User) -> None:
    case = in_handling(cast)
    response = logged_in(other_leader).post(
        reverse("supervision:issue"), {"case_number": case.number, "requirement": "请答复。"}
    )
    assert response.status_code == 422
    assert "不在您的工作范围内" in response.content.decode()


@pytest.mark.parametrize("method", ["put", "delete"])
def test_the_issue_form_answers_405_to_other_methods(
    supervisor: User, units: Any, method: str
) -> None:
    assert getattr(logged_in(supervisor), method)(reverse("supervision:issue")).status_code == 405


def test_handlers_may_not_issue(cast: Cast) -> None:
    assert logged_in(cast.handler).get(reverse("supervision:issue")).status_code == 403


# --- the order page -----------------------------------------------------------------------------


def test_the_unit_answers_on_the_order_page_and_the_supervisor_closes_it(
    cast: Cast, supervisor: User
) -> None:
    order = order_for(cast, supervisor)
    url = reverse("supervision:order", args=[order.pk])
    unit = logged_in(cast.handler)
    page = unit.get(url)
    assert page.context["answer_form"] is not None
    assert page.context["review_form"] is None
    response = unit.post(reverse("supervision:answer", args=[order.pk]), {"text": "已约谈物业。"})
    assert response.status_code == 302
    page = logged_in(supervisor).get(url)
    assert page.context["answer_form"] is None
    assert "已约谈物业。" in page.content.decode()
    response = logged_in(supervisor).post(
        reverse("supervision:review", args=[order.pk]), {"decision": "accept", "comment": ""}
    )
    assert response.status_code == 302
    assert SupervisionOrder.objects.get().status == OrderStatus.CLOSED


def test_an_empty_answer_is_shown_again_with_a_message(cast: Cast, supervisor: User) -> None:
    order = order_for(cast, supervisor)
    response = logged_in(cast.handler).post(
        reverse("supervision:answer", args=[order.pk]), {"text": "   "}
    )
    assert response.status_code == 422
    assert "请填写答复内容。" in response.content.decode()
    assert SupervisionOrder.objects.get().status == OrderStatus.OPEN


def test_a_second_submit_of_the_answer_is_refused_with_a_message(
    cast: Cast, supervisor: User
) -> None:
    order = order_for(cast, supervisor)
    client = logged_in(cast.handler)
    url = reverse("supervision:answer", args=[order.pk])
    assert client.post(url, {"text": "已办理。"}).status_code == 302
    second = client.post(url, {"text": "已办理。"})
    assert second.status_code == 422  # read as answered: refused with a message
    assert "该督办单已答复，不能再次答复。" in second.content.decode()


def test_sending_back_without_a_reason_is_refused_and_keeps_the_order_answered(
    cast: Cast, supervisor: User
) -> None:
    order = order_for(cast, supervisor)
    services.answer_order(order, actor=cast.handler, text="已办理。")
    response = logged_in(supervisor).post(
        reverse("supervision:review", args=[order.pk]), {"decision": "send_back", "comment": ""}
    )
    assert response.status_code == 422
    assert "请填写退回理由。" in response.content.decode()
    assert SupervisionOrder.objects.get().status == OrderStatus.ANSWERED


def test_an_order_out_of_scope_is_404_and_acting_without_the_role_is_403(
    cast: Cast, supervisor: User
) -> None:
    order = order_for(cast, supervisor)
    url = reverse("supervision:order", args=[order.pk])
    assert logged_in(cast.outsider).get(url).status_code == 404
    assert (
        logged_in(cast.outsider)
        .post(reverse("supervision:answer", args=[order.pk]), {"text": "x"})
        .status_code
        == 404
    )
    assert logged_in(cast.reviewer).get(url).status_code == 200
    assert (
        logged_in(cast.reviewer)
        .post(reverse("supervision:answer", args=[order.pk]), {"text": "x"})
        .status_code
        == 403
    )
    assert (
        logged_in(cast.handler)
        .post(reverse("supervision:review", args=[order.pk]), {"decision": "accept"})
        .status_code
        == 403
    )
    assert (
        logged_in(cast.handler).get(reverse("supervision:answer", args=[order.pk])).status_code
        == 405
    )


def test_a_supervisor_of_the_office_cannot_answer_for_the_unit(
    cast: Cast, supervisor: User
) -> None:
    order = order_for(cast, supervisor)
    response = logged_in(cast.leader).post(
        reverse("supervision:answer", args=[order.pk]), {"text": "代答。"}
    )
    assert response.status_code == 403


# --- the case page's panel and its forms --------------------------------------------------------


def lenient_templates(settings: Any) -> None:
    """The case page belongs to the cases app and is rendered as that app's tests do; the
    panel's own template is rendered strictly in test_case_panel_renders_strictly."""
    engine = {**settings.TEMPLATES[0]}
    engine["OPTIONS"] = {
        key: value for key, value in engine["OPTIONS"].items() if key != "string_if_invalid"
    }
    settings.TEMPLATES = [engine]


def case_url(case: Case) -> str:
    return reverse("cases:detail", args=[case.number])


def test_the_case_page_offers_each_person_the_supervision_they_may_do(
    cast: Cast, supervisor: User, settings: Any
) -> None:
    lenient_templates(settings)  # the cases app's own page
    case = in_handling(cast)
    leader = logged_in(cast.leader).get(case_url(case)).context
    assert leader["instruction_form"] is not None
    assert leader["take_form"] is not None
    assert leader["reminder_form"] is not None
    chief = logged_in(supervisor).get(case_url(case))
    assert chief.context["instruction_form"] is None
    assert chief.context["take_form"] is None
    assert chief.context["listing_form"] is not None
    assert "发起督办" in chief.content.decode()
    handler = logged_in(cast.handler).get(case_url(case))
    assert "督办与批示" in handler.content.decode()
    for form in ("instruction_form", "take_form", "reminder_form", "listing_form"):
        assert handler.context[form] is None


def test_instructions_and_reminders_appear_on_the_case_panel(
    cast: Cast, supervisor: User, settings: Any
) -> None:
    lenient_templates(settings)
    case = in_handling(cast)
    response = logged_in(cast.leader).post(
        reverse("supervision:instruct", args=[case.number]), {"text": "请依法依规办理。"}
    )
    assert response.status_code == 302
    assert response["Location"] == case_url(case) + "#supervision"
    logged_in(supervisor).post(
        reverse("supervision:remind", args=[case.number]), {"text": "请抓紧办理。"}
    )
    html = logged_in(cast.handler).get(case_url(case)).content.decode()
    assert "请依法依规办理。" in html
    assert "请抓紧办理。" in html
    assert Directive.objects.count() == 2


def test_a_refused_instruction_is_shown_again_with_what_was_typed(cast: Cast) -> None:
    case = in_handling(cast)
    response = logged_in(cast.leader).post(
        reverse("supervision:instruct", args=[case.number]), {"text": "批" * 5001}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "批示内容不能超过 5000 字。" in html
    assert "批" * 5001 in html
    assert Directive.objects.count() == 0


ActionPost = Callable[[Client, Case], Any]
CASE_ACTIONS: dict[str, tuple[str, dict[str, str]]] = {
    "instruct": ("leader", {"text": "批示。"}),
    "remind": ("supervisor", {"text": "催办。"}),
    "take": ("leader", {"note": ""}),
}


@pytest.mark.parametrize("action", sorted(CASE_ACTIONS))
def test_case_actions_are_404_out_of_scope_403_without_the_role_405_on_get(
    cast: Cast, supervisor: User, other_leader: User, action: str
) -> None:
    case = in_handling(cast)
    url = reverse(f"supervision:{action}", args=[case.number])
    _role, data = CASE_ACTIONS[action]
    assert logged_in(other_leader).post(url, data).status_code == 404
    assert logged_in(cast.handler).post(url, data).status_code == 403
    allowed = cast.leader if CASE_ACTIONS[action][0] == "leader" else supervisor
    assert logged_in(allowed).get(url).status_code == 405
    assert logged_in(allowed).post(url, data).status_code == 302


def test_listing_from_the_case_page_and_the_staff_wide_list(cast: Cast, supervisor: User) -> None:
    case = in_handling(cast)
    with at("2026-03-10"):
        response = logged_in(supervisor).post(
            reverse("supervision:list_case", args=[case.number]),
            {
                "name": "A1区幸福小区物业收费问题",
                "leader": cast.leader.pk,
                "deadline": "2026-06-30",
            },
        )
    assert response.status_code == 302
    listing = Listing.objects.get()
    page = logged_in(cast.outsider).get(reverse("supervision:listed"))  # another unit's staff
    assert page.status_code == 200
    assert [(row.listing.number, row.visible) for row in page.context["listings"]] == [
        (listing.number, False)
    ]
    html = page.content.decode()
    for shown in (
        "A1区幸福小区物业收费问题",
        "局领导",
        "2026-06-30",
        case.number,
        "市住房和城乡建设局",
    ):
        assert shown in html
    assert reverse("cases:detail", args=[case.number]) not in html  # not theirs to open
    for withheld in ("小区物业多收费", "周建华", "13900001234", "请求退还"):
        assert withheld not in html
    mine = logged_in(cast.handler).get(reverse("supervision:listed"))
    assert [row.visible for row in mine.context["listings"]] == [True]


def test_a_bad_listing_is_shown_again_with_what_was_typed(cast: Cast, supervisor: User) -> None:
    case = in_handling(cast)
    response = logged_in(supervisor).post(
        reverse("supervision:list_case", args=[case.number]),
        {"name": "周建华13900001234物业问题", "leader": cast.leader.pk, "deadline": "2099-01-01"},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "不能包含身份证号码或电话号码" in html
    assert "周建华13900001234物业问题" in html
    assert Listing.objects.count() == 0


def test_the_listed_page_costs_the_same_queries_for_one_and_three_listings(
    cast: Cast, supervisor: User
) -> None:
    def list_one() -> None:
        case = in_handling(cast)
        services.list_case(
            fresh(case),
            actor=supervisor,
            name="物业问题",
            leader=cast.leader,
            deadline=dt.date.today() + dt.timedelta(days=30),
        )

    client = logged_in(cast.handler)
    list_one()
    one = queries_for(client, reverse("supervision:listed"))
    list_one()
    list_one()
    assert queries_for(client, reverse("supervision:listed")) == one


def test_a_supervisor_delists_from_the_list(cast: Cast, supervisor: User) -> None:
    case = in_handling(cast)
    listing = services.list_case(
        fresh(case),
        actor=supervisor,
        name="物业问题",
        leader=cast.leader,
        deadline=dt.date.today() + dt.timedelta(days=30),
    )
    client = logged_in(supervisor)
    refused = client.post(reverse("supervision:delist", args=[listing.pk]), {"note": ""})
    assert refused.status_code == 422
    assert "请填写摘牌说明。" in refused.content.decode()
    done = client.post(reverse("supervision:delist", args=[listing.pk]), {"note": "已化解。"})
    assert done.status_code == 302
    assert Listing.objects.get().status == ListingStatus.DELISTED
    page = client.get(reverse("supervision:listed") + "?show=delisted")
    assert [row.listing.pk for row in page.context["listings"]] == [listing.pk]
    assert (
        logged_in(cast.handler)
        .post(reverse("supervision:delist", args=[listing.pk]), {"note": "x"})
        .status_code
        == 403
    )


# --- 我的包案 -----------------------------------------------------------------------------------


def test_a_leader_takes_a_case_and_finds_it_on_their_desk(cast: Cast) -> None:
    case = in_handling(cast)
    client = logged_in(cast.leader)
    assert (
        client.post(reverse("supervision:take", args=[case.number]), {"note": "协调。"}).status_code
        == 302
    )
    page = client.get(reverse("supervision:mine"))
    assert [taken.case.number for taken in page.context["desk"].taken] == [case.number]
    taken = LeaderCase.objects.get()
    refused = client.post(reverse("supervision:release", args=[taken.pk]), {"note": ""})
    assert refused.status_code == 422
    done = client.post(reverse("supervision:release", args=[taken.pk]), {"note": "已协调到位。"})
    assert done.status_code == 302
    assert client.get(reverse("supervision:mine")).context["desk"].taken == []


def test_my_cases_is_for_leaders_and_shows_only_their_own(
    cast: Cast, supervisor: User, unit_leader: User
) -> None:
    case = in_handling(cast)
    taken = services.take_case(fresh(case), actor=cast.leader)
    assert logged_in(supervisor).get(reverse("supervision:mine")).status_code == 403
    assert logged_in(unit_leader).get(reverse("supervision:mine")).context["desk"].taken == []
    assert (
        logged_in(unit_leader)
        .post(reverse("supervision:release", args=[taken.pk]), {"note": "x"})
        .status_code
        == 404
    )


def test_my_cases_costs_the_same_queries_for_one_and_three_cases(cast: Cast) -> None:
    client = logged_in(cast.leader)
    services.take_case(fresh(in_handling(cast)), actor=cast.leader)
    one = queries_for(client, reverse("supervision:mine"))
    services.take_case(fresh(in_handling(cast)), actor=cast.leader)
    services.take_case(fresh(in_handling(cast)), actor=cast.leader)
    assert queries_for(client, reverse("supervision:mine")) == one


# --- 通知 ---------------------------------------------------------------------------------------


def note_for(user: User, case: Case, *, text: str = "新转送交办：测试") -> Notification:
    return Notification.objects.create(
        recipient=user,
        kind="assigned",
        case=case,
        text=text,
        url=reverse("cases:detail", args=[case.number]),
        created_at=dt.datetime.now(dt.UTC),
    )


def test_the_bell_counts_unread_notices_and_the_page_opens_and_marks_them(cast: Cast) -> None:
    case = in_handling(cast)
    first, _second = note_for(cast.handler, case), note_for(cast.handler, case, text="第二条")
    client = logged_in(cast.handler)
    page = client.get(reverse("notifications:list"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'class="sup-bell has-unread"' in html
    assert '<span class="sup-bell-count" aria-label="2 条未读">2</span>' in html
    opened = client.post(reverse("notifications:open", args=[first.pk]))
    assert opened.status_code == 302
    assert opened["Location"] == reverse("cases:detail", args=[case.number])
    first.refresh_from_db()
    assert first.read_at is not None
    assert [n.text for n in client.get(reverse("notifications:list")).context["notifications"]] == [
        "第二条"
    ]
    assert client.post(reverse("notifications:read_all")).status_code == 302
    assert Notification.objects.filter(read_at__isnull=True).count() == 0
    assert "sup-bell-count" not in client.get(reverse("notifications:list")).content.decode()


def test_nobody_opens_anothers_notice(cast: Cast) -> None:
    case = in_handling(cast)
    theirs = note_for(cast.handler, case)
    response = logged_in(cast.outsider).post(reverse("notifications:open", args=[theirs.pk]))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert (
        logged_in(cast.outsider).get(reverse("notifications:list")).context["notifications"] == []
    )


def test_a_notice_pointing_off_site_opens_the_list_instead(cast: Cast) -> None:
    case = in_handling(cast)
    note = note_for(cast.handler, case)
    Notification.objects.filter(pk=note.pk).update(url="https://evil.example/")
    response = logged_in(cast.handler).post(reverse("notifications:open", args=[note.pk]))
    assert response["Location"] == reverse("notifications:list")


def test_the_notifications_page_costs_the_same_queries_for_one_and_three(cast: Cast) -> None:
    case = in_handling(cast)
    client = logged_in(cast.handler)
    note_for(cast.handler, case)
    one = queries_for(client, reverse("notifications:list") + "?show=all")
    note_for(cast.handler, case)
    note_for(cast.handler, case)
    assert queries_for(client, reverse("notifications:list") + "?show=all") == one


def test_the_notification_actions_take_only_post(cast: Cast) -> None:
    case = in_handling(cast)
    note = note_for(cast.handler, case)
    client = logged_in(cast.handler)
    assert client.get(reverse("notifications:open", args=[note.pk])).status_code == 405
    assert client.get(reverse("notifications:read_all")).status_code == 405


def test_the_case_panel_renders_strictly_for_everyone_with_everything_on_it(
    cast: Cast, supervisor: User
) -> None:
    from django.template import engines

    case = in_handling(cast)
    with at("2026-03-10"):
        order_for(cast, supervisor, case)
        services.add_instruction(fresh(case), actor=cast.leader, text="批示内容。")
        services.send_reminder(fresh(case), actor=supervisor, text="催办内容。")
        services.list_case(
            fresh(case),
            actor=supervisor,
            name="物业问题",
            leader=cast.leader,
            deadline=dt.date(2026, 6, 30),
        )
        services.take_case(fresh(case), actor=cast.leader)
        template = engines["django"].from_string(
            "{% load supervision %}{% supervision_case_panel case %}"
        )
        shown = {
            who.username: template.render({"case": fresh(case), "user": who})
            for who in (cast.leader, supervisor, cast.handler, cast.reviewer)
        }
    for html in shown.values():
        for text in ("A01督〔2026〕1号", "批示内容。", "催办内容。", "A01挂〔2026〕1号", "局领导"):
            assert text in html
    assert "由我包案" not in shown["leader"]  # taken already
    assert "发起督办" in shown["supervisor"]
    assert "发起督办" not in shown["handler"]
