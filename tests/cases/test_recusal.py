"""回避 (《信访工作条例》第二十八条第三款): a handler with an interest in the matter declares it
(or a leader records it); from then on they take no step on the case, write nothing on it and
see no full personal data — and the service says so in Chinese. Others of the unit carry on.

There is no per-handler assignment in the system (a case is handled by a unit), so the rule is
kept per (user, case) and enforced where a user acts: ``workflow.may_act_as`` and the step check.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.api.conftest import api_client
from tests.cases.workflow_cast import Cast, fresh, walk_to
from tests.conftest import Units, logged_in
from tests.factories import UserFactory
from xinfang.accounts.enums import Role
from xinfang.accounts.models import User
from xinfang.audit.models import AuditEvent
from xinfang.cases import services, steps, workflow
from xinfang.cases.enums import CaseStatus, EventKind
from xinfang.cases.models import Case, Recusal

pytestmark = pytest.mark.django_db
S = CaseStatus
RECUSED = "依照《信访工作条例》第二十八条第三款应当回避"


@pytest.fixture
def colleague(units: Units) -> User:
    """Another handler of unit A, who takes over."""
    user: User = UserFactory(
        username="colleague", full_name="承办人小赵", unit=units.unit_a, roles=[Role.HANDLER]
    )
    return user


@pytest.fixture
def unit_leader(units: Units) -> User:
    user: User = UserFactory(
        username="a_leader", full_name="住建局领导", unit=units.unit_a, roles=[Role.LEADER]
    )
    return user


def declare(case: Case, user: User, *, actor: User | None = None) -> Recusal:
    return services.declare_recusal(
        case, actor=actor or user, user=user, reason="信访人是本人的近亲属。"
    )


def test_a_handler_who_declares_an_interest_is_offered_no_step_and_refused_each_in_chinese(
    cast: Cast, colleague: User
) -> None:
    case = walk_to(cast, S.TRANSFERRED)
    declare(case, cast.handler)

    offered = (
        workflow.available_actions(cast.handler, fresh(case)),
        workflow.available_actions(colleague, fresh(case)),
    )
    with pytest.raises(PermissionDenied, match=RECUSED):
        steps.sign_case(fresh(case), actor=cast.handler)
    steps.sign_case(fresh(case), actor=colleague)

    assert offered == ([], [workflow.Action.SIGN, workflow.Action.OBJECT])
    assert fresh(case).status == S.RECEIVED


def test_a_recused_handler_writes_no_record_uploads_nothing_and_reveals_nothing(
    cast: Cast, settings: Any, tmp_path: Any
) -> None:
    settings.ATTACHMENT_DIR = tmp_path
    case = walk_to(cast, S.IN_HANDLING)
    declare(case, cast.handler)
    person = case.case_petitioners.get().petitioner
    upload = SimpleUploadedFile("材料.pdf", b"%PDF-1.4\n%x\n")

    refusals = []
    for attempt in (
        lambda: services.add_note(case, actor=cast.handler, kind=EventKind.NOTE, text="记录"),
        lambda: services.add_attachment(case, actor=cast.handler, upload=upload),
        lambda: services.reveal_personal_data(person, actor=cast.handler, case=case),
    ):
        with pytest.raises(PermissionDenied) as refused:
            attempt()
        refusals.append(RECUSED in str(refused.value))

    assert refusals == [True, True, True]
    assert case.events.filter(kind__in=[EventKind.NOTE, EventKind.ATTACHMENT_ADDED]).count() == 0


def test_declaring_writes_the_recusal_one_timeline_entry_and_exactly_one_audit_event(
    cast: Cast,
) -> None:
    case = walk_to(cast, S.TRANSFERRED)
    before = AuditEvent.objects.count()

    recusal = declare(case, cast.handler)

    events = list(AuditEvent.objects.order_by("seq")[before:].values_list("event", flat=True))
    entry = case.events.get(kind=EventKind.RECUSAL_DECLARED)
    assert events == ["case.declare_recusal"]
    assert (recusal.user, recusal.declared_by, entry.text) == (
        cast.handler,
        cast.handler,
        "信访人是本人的近亲属。",
    )


def test_a_leader_records_an_interest_for_staff_of_their_unit_but_not_of_another(
    cast: Cast, unit_leader: User
) -> None:
    case = walk_to(cast, S.TRANSFERRED)

    declare(case, cast.handler, actor=unit_leader)
    with pytest.raises(PermissionDenied, match="只能为本单位及下属单位的工作人员记录回避"):
        declare(case, cast.outsider, actor=unit_leader)

    assert list(Recusal.objects.values_list("user__username", "declared_by__username")) == [
        ("handler", "a_leader")
    ]


def test_only_a_leader_records_an_interest_for_someone_else(cast: Cast, colleague: User) -> None:
    case = walk_to(cast, S.TRANSFERRED)

    with pytest.raises(PermissionDenied, match="只有领导可以为他人记录回避"):
        declare(case, cast.handler, actor=colleague)


def test_an_interest_is_declared_once_and_needs_a_reason(cast: Cast) -> None:
    case = walk_to(cast, S.TRANSFERRED)

    with pytest.raises(ValidationError, match="请写明回避事由"):
        services.declare_recusal(case, actor=cast.handler, user=cast.handler, reason="  ")
    declare(case, cast.handler)
    with pytest.raises(ValidationError, match="已就本事项申报回避"):
        declare(case, cast.handler)

    assert Recusal.objects.count() == 1


def test_the_case_page_lists_declared_interests_and_says_the_handler_must_step_aside(
    cast: Cast, unit_leader: User
) -> None:
    case = walk_to(cast, S.TRANSFERRED)
    declare(case, cast.handler, actor=unit_leader)

    page = logged_in(cast.handler).get(reverse("cases:detail", args=[case.number]))
    html = page.content.decode()

    assert page.context["step_forms"] == []
    assert "您已申报与本事项有利害关系" in html
    assert "住建局领导记录" in html
    assert "信访人是本人的近亲属。" in html
    assert 'id="declare-recusal"' not in html  # nothing left to declare for oneself


def test_the_recusal_form_declares_and_a_refusal_keeps_the_text_typed(cast: Cast) -> None:
    case = walk_to(cast, S.TRANSFERRED)
    url = reverse("cases:declare_recusal", args=[case.number])
    client = logged_in(cast.handler)

    empty = client.post(url, {"recusal-reason": ""})
    done = client.post(url, {"recusal-reason": "与被反映人系同学关系。"})
    again = client.post(url, {"recusal-reason": "再次申报。"})

    assert (empty.status_code, done.status_code, again.status_code) == (422, 302, 422)
    assert "这个字段是必填项" in empty.content.decode()
    assert "再次申报。" in again.content.decode()
    assert list(Recusal.objects.values_list("reason", flat=True)) == ["与被反映人系同学关系。"]


def test_a_leader_picks_the_staff_member_on_the_form(cast: Cast, unit_leader: User) -> None:
    case = walk_to(cast, S.TRANSFERRED)

    response = logged_in(unit_leader).post(
        reverse("cases:declare_recusal", args=[case.number]),
        {"recusal-user": cast.handler.pk, "recusal-reason": "近亲属。"},
    )

    assert response.status_code == 302
    assert list(Recusal.objects.values_list("user_id", flat=True)) == [cast.handler.pk]


def test_the_recusal_view_answers_404_out_of_scope_and_405_to_get(cast: Cast) -> None:
    case = walk_to(cast, S.TRANSFERRED)
    url = reverse("cases:declare_recusal", args=[case.number])

    outsider = logged_in(cast.outsider).post(url, {"recusal-reason": "近亲属。"})
    get = logged_in(cast.handler).get(url)

    assert (outsider.status_code, get.status_code) == (404, 405)
    assert Recusal.objects.count() == 0


def test_the_api_refuses_a_recused_handlers_step_with_the_reason(cast: Cast) -> None:
    case = walk_to(cast, S.TRANSFERRED)
    declare(case, cast.handler)

    response = api_client(cast.handler).post(
        f"/api/v1/cases/{case.number}/steps/sign",
        {"version": fresh(case).version, "fields": {}},
        content_type="application/json",
    )

    assert response.status_code == 403
    assert RECUSED in response.json()["detail"]
