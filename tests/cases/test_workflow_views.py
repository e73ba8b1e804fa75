"""The case page's steps as a person uses them: what is offered, what a submit does."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.api.conftest import api_client
from tests.cases.workflow_cast import Cast, fresh, register, walk_to
from tests.conftest import logged_in
from xinfang.cases.enums import CaseStatus
from xinfang.cases.models import CaseEvent

pytestmark = pytest.mark.django_db
S = CaseStatus


def step_url(number: str, action: str) -> str:
    return reverse("cases:step", args=[number, action])


def test_handler_sees_sign_and_object_on_a_case_transferred_to_their_unit(cast: Cast) -> None:
    case = walk_to(cast, S.TRANSFERRED)
    page = logged_in(cast.handler).get(reverse("cases:detail", args=[case.number]))
    html = page.content.decode()
    assert page.status_code == 200
    assert [action for action, _ in page.context["step_forms"]] == ["sign", "object"]
    assert 'id="step-sign"' in html
    assert "收到转送、交办日" in html  # the due date's explanation is on the page


def test_clerk_sees_no_handling_steps_on_a_transferred_case(cast: Cast) -> None:
    case = walk_to(cast, S.TRANSFERRED)
    page = logged_in(cast.clerk).get(reverse("cases:detail", args=[case.number]))
    assert page.context["step_forms"] == []
    assert "当前环节不需要您办理" in page.content.decode()


def test_clerk_transfers_a_case_and_gets_the_transfer_letter(cast: Cast) -> None:
    case = register(cast)
    response = logged_in(cast.clerk).post(
        step_url(case.number, "transfer"),
        {"version": case.version, "to_unit": cast.units.unit_a.pk, "note": "请依法处理。"},
    )
    assert response.status_code == 302
    case = fresh(case)
    assert (case.status, case.handling_unit_id) == (S.TRANSFERRED, cast.units.unit_a.pk)
    document = case.documents.get()
    assert document.kind == "transfer"
    download = logged_in(cast.handler).get(
        reverse("documents:download", args=[case.number, document.uid])
    )
    assert download.status_code == 200


def test_a_step_with_bad_input_shows_the_form_again_in_chinese_and_changes_nothing(
    cast: Cast,
) -> None:
    case = walk_to(cast, S.IN_HANDLING)
    response = logged_in(cast.handler).post(
        step_url(case.number, "request_extension"),
        {"version": case.version, "days": "45", "reason": "需调查。"},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "45" in html
    assert "需调查。" in html
    assert "30" in html
    assert response.context["open_step"] == "request_extension"
    assert fresh(case).status == S.IN_HANDLING


def test_a_double_submit_answers_409_and_writes_once(cast: Cast) -> None:
    case = walk_to(cast, S.TRANSFERRED)
    client = logged_in(cast.handler)
    first = client.post(step_url(case.number, "sign"), {"version": case.version})
    second = client.post(step_url(case.number, "sign"), {"version": case.version})
    assert first.status_code == 302
    assert second.status_code == 409
    assert "已被他人处理" in second.content.decode()
    assert CaseEvent.objects.filter(case=case, kind="signed").count() == 1


def test_a_step_the_table_does_not_allow_is_refused_with_a_message(cast: Cast) -> None:
    case = register(cast)
    response = logged_in(cast.handler).post(
        step_url(case.number, "sign"), {"version": case.version}
    )
    # The handler cannot see an unrouted case of the office at all.
    assert response.status_code == 404
    response = logged_in(cast.clerk).post(
        step_url(case.number, "record_service"),
        {"version": case.version, "method": "post", "served_on": "2026-01-01"},
    )
    assert response.status_code in (403, 422)


def test_a_step_not_allowed_for_the_role_is_403(cast: Cast) -> None:
    case = walk_to(cast, S.EXTENSION_REQUESTED)
    response = logged_in(cast.handler).post(
        step_url(case.number, "approve_extension"), {"version": case.version}
    )
    assert response.status_code == 403


def test_outsider_gets_404_on_a_step(cast: Cast) -> None:
    case = walk_to(cast, S.TRANSFERRED)
    response = logged_in(cast.outsider).post(step_url(case.number, "sign"), {"version": 1})
    assert response.status_code == 404


def test_an_unknown_step_is_404_and_get_is_405(cast: Cast) -> None:
    case = walk_to(cast, S.TRANSFERRED)
    client = logged_in(cast.handler)
    assert client.post(step_url(case.number, "approve_everything"), {}).status_code == 404
    assert client.get(step_url(case.number, "sign")).status_code == 405


def test_anonymous_step_redirects_to_login(cast: Cast) -> None:
    from django.test import Client

    case = walk_to(cast, S.TRANSFERRED)
    response = Client().post(step_url(case.number, "sign"), {"version": 1})
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_opinion_form_needs_an_outcome_for_each_request(cast: Cast) -> None:
    case = walk_to(cast, S.IN_HANDLING)
    response = logged_in(cast.handler).post(
        step_url(case.number, "submit_draft"),
        {"version": case.version, "request_1": "退还物业费", "outcome_1": "", "reasoning_1": ""},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "请选择予以支持、作出解释说明或不予支持之一。" in html
    assert "请写明该项请求的事实和依据。" in html


def test_my_due_soon_lists_what_my_unit_owes_soonest_first(cast: Cast) -> None:
    late = walk_to(cast, S.TRANSFERRED)
    type(late).objects.filter(pk=late.pk).update(due_on=dt.date.today() - dt.timedelta(days=2))
    soon = walk_to(cast, S.RECEIVED)
    type(soon).objects.filter(pk=soon.pk).update(due_on=dt.date.today() + dt.timedelta(days=2))
    far = walk_to(cast, S.TRANSFERRED)
    type(far).objects.filter(pk=far.pk).update(due_on=dt.date.today() + dt.timedelta(days=40))
    page = logged_in(cast.handler).get(reverse("cases:due_soon"))
    assert [c.number for c in page.context["cases"]] == [late.number, soon.number]
    assert logged_in(cast.outsider).get(reverse("cases:due_soon")).context["cases"] == []


def test_due_soon_query_count_is_the_same_for_one_and_three_cases(cast: Cast) -> None:
    client = logged_in(cast.handler)

    def due_today() -> None:
        case = walk_to(cast, S.TRANSFERRED)
        type(case).objects.filter(pk=case.pk).update(due_on=dt.date.today(), tier="near")

    due_today()
    client.get(reverse("cases:due_soon"))
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(reverse("cases:due_soon")).context["cases"]) == 1
    due_today()
    due_today()
    with CaptureQueriesContext(connection) as three:
        assert len(client.get(reverse("cases:due_soon")).context["cases"]) == 3
    assert len(one) == len(three)


def test_due_soon_pages_by_due_date_and_a_bad_cursor_shows_the_first_page(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("xinfang.cases.queries.DUE_PAGE_SIZE", 2)
    numbers = []
    for days in (3, 1, 2, 1, 5):
        case = walk_to(cast, S.TRANSFERRED)
        type(case).objects.filter(pk=case.pk).update(
            due_on=dt.date.today() + dt.timedelta(days=days)
        )
        numbers.append((days, case.pk, case.number))
    in_order = [number for _, _, number in sorted(numbers)]
    client = logged_in(cast.handler)

    seen, url = [], reverse("cases:due_soon")
    while url:
        page = client.get(url)
        seen += [case.number for case in page.context["cases"]]
        after = page.context["next_after"]
        url = f"{reverse('cases:due_soon')}?after={after}" if after else ""
    assert seen == in_order

    bad = client.get(reverse("cases:due_soon") + "?after=2026-13-40.x")
    assert bad.status_code == 200
    assert [case.number for case in bad.context["cases"]] == in_order[:2]
    assert "回到最早到期" in bad.content.decode()


def test_the_api_takes_a_step_with_the_same_rules(cast: Cast) -> None:
    case = register(cast)
    api = api_client(cast.clerk)
    url = f"/api/v1/cases/{case.number}/steps/transfer"
    body: dict[str, Any] = {"version": case.version, "fields": {"to_unit": "A11"}}
    response = api.post(url, body, content_type="application/json")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["status"]["code"] == "transferred"
    assert len(data["documents"]) == 1
    again = api.post(url, body, content_type="application/json")
    assert again.status_code == 422  # 已转送: the table no longer allows 转送
    assert "不能进行" in again.json()["detail"]


def test_the_api_answers_409_to_a_stale_version(cast: Cast) -> None:
    case = walk_to(cast, S.TRANSFERRED)
    response = api_client(cast.handler).post(
        f"/api/v1/cases/{case.number}/steps/sign",
        {"version": case.version - 1, "fields": {}},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert "已被他人处理" in response.json()["detail"]


def test_the_api_reports_field_errors_in_chinese(cast: Cast) -> None:
    case = walk_to(cast, S.IN_HANDLING)
    response = api_client(cast.handler).post(
        f"/api/v1/cases/{case.number}/steps/request_extension",
        {"version": case.version, "fields": {"days": 99, "reason": ""}},
        content_type="application/json",
    )
    assert response.status_code == 422
    fields = {error["field"] for error in response.json()["errors"]}
    assert fields >= {"fields.days", "fields.reason"}
