"""站内通知 delivered through the task queue after commit: new assignments, send-backs, due and
overdue steps, 督办 — to the role-appropriate members of the unit concerned, nobody else."""

from __future__ import annotations

import datetime as dt
import smtplib
from collections.abc import Sequence
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.mail.backends.base import BaseEmailBackend

from tests.cases.workflow_cast import Cast, fresh, opinion, register
from tests.supervision.conftest import at, in_handling
from xinfang.accounts.models import User
from xinfang.cases import steps
from xinfang.supervision import services, triggers
from xinfang.supervision.models import Notification

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tasks_in_process")]


def inbox(user: User) -> list[tuple[str, str]]:
    return [(n.kind, n.text) for n in Notification.objects.filter(recipient=user).order_by("id")]


def kinds() -> list[tuple[str, str]]:
    return sorted(Notification.objects.values_list("recipient__username", "kind"))


def test_a_transfer_notifies_the_handlers_and_leaders_of_the_receiving_unit(
    cast: Cast, unit_leader: User, django_capture_on_commit_callbacks: Any
) -> None:
    case = register(cast)
    with django_capture_on_commit_callbacks(execute=True):
        steps.transfer_case(case, actor=cast.clerk, to_unit=cast.units.unit_a)
    assert kinds() == [("handler", "assigned"), ("unit_leader", "assigned")]
    assert inbox(cast.handler) == [
        ("assigned", f"新转送交办：{case.number} 小区物业多收费（转送）")
    ]
    note = Notification.objects.filter(recipient=cast.handler).get()
    assert note.url == f"/cases/{case.number}/"
    assert note.read_at is None


def test_an_assignment_notifies_too_and_nobody_outside_the_unit_hears_of_it(
    cast: Cast, supervisor: User, django_capture_on_commit_callbacks: Any
) -> None:
    case = register(cast)
    with at("2026-03-02"), django_capture_on_commit_callbacks(execute=True):
        steps.assign_case(
            case,
            actor=cast.clerk,
            to_unit=cast.units.unit_a,
            due_on=dt.date(2026, 4, 1),
            requirement="请调查处理并报送办结报告。",
        )
    assert kinds() == [("handler", "assigned")]
    for stranger in (cast.outsider, cast.clerk, cast.reviewer, supervisor, cast.leader):
        assert inbox(stranger) == []


def test_a_send_back_notifies_the_units_handlers(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    case = in_handling(cast)
    steps.submit_draft(fresh(case), actor=cast.handler, opinion=opinion())
    with django_capture_on_commit_callbacks(execute=True):
        steps.send_back_draft(fresh(case), actor=cast.reviewer, comments="依据不足。")
    assert kinds() == [("handler", "sent_back")]


def test_nothing_is_delivered_before_the_commit_and_a_refusal_notifies_nobody(
    cast: Cast, supervisor: User, django_capture_on_commit_callbacks: Any
) -> None:
    case = in_handling(cast)
    with django_capture_on_commit_callbacks() as refused, pytest.raises(ValidationError):
        services.issue_order(fresh(case), actor=supervisor, requirement="")
    assert refused == []
    with django_capture_on_commit_callbacks() as queued:
        services.issue_order(fresh(case), actor=supervisor, requirement="请答复。")
    assert Notification.objects.count() == 0  # still waiting for the commit
    assert len(queued) == 1
    queued[0]()
    assert kinds() == [("handler", "order_issued")]


def test_the_order_travels_between_the_unit_and_the_supervising_side(
    cast: Cast, supervisor: User, unit_leader: User, django_capture_on_commit_callbacks: Any
) -> None:
    case = in_handling(cast)
    with django_capture_on_commit_callbacks(execute=True):
        order = services.issue_order(fresh(case), actor=supervisor, requirement="请答复。")
    assert kinds() == [("handler", "order_issued"), ("unit_leader", "order_issued")]
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        services.answer_order(order, actor=cast.handler, text="正在办理。")
    # The issuer and the leaders and supervisors of the issuing unit.
    assert kinds() == [("leader", "order_answered"), ("supervisor", "order_answered")]
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        services.send_back_answer(order, actor=supervisor, comment="请写明办结时间。")
    assert kinds() == [("handler", "order_sent_back"), ("unit_leader", "order_sent_back")]
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        services.answer_order(order, actor=unit_leader, text="4月底前办结。")
        services.accept_answer(order, actor=cast.leader)
    assert kinds() == [
        ("handler", "order_closed"),
        ("leader", "order_answered"),
        ("supervisor", "order_answered"),
        ("unit_leader", "order_closed"),
    ]
    assert Notification.objects.filter(recipient=cast.handler).get().url == (
        f"/supervision/orders/{order.pk}/"
    )


def test_reminders_instructions_and_listings_reach_the_unit(
    cast: Cast, supervisor: User, django_capture_on_commit_callbacks: Any
) -> None:
    case = in_handling(cast)
    with at("2026-03-10"), django_capture_on_commit_callbacks(execute=True):
        services.send_reminder(fresh(case), actor=supervisor, text="请抓紧。")
        services.add_instruction(fresh(case), actor=cast.leader, text="依法办理。")
        services.list_case(
            fresh(case),
            actor=supervisor,
            name="物业收费问题",
            leader=cast.leader,
            deadline=dt.date(2026, 6, 30),
        )
    assert kinds() == [
        ("handler", "instruction"),
        ("handler", "listed"),
        ("handler", "reminder"),
        ("leader", "listed"),  # the responsible leader
        ("reviewer", "instruction"),
    ]


def test_due_and_overdue_steps_are_notified_once_per_due_date(
    cast: Cast, unit_leader: User, django_capture_on_commit_callbacks: Any
) -> None:
    case = in_handling(cast, on="2026-03-02")  # due 2026-05-06; 临期 from 05-03
    with at("2026-04-20"):  # at work on it (no 久拖不办 order), only late
        steps.submit_draft(fresh(case), actor=cast.handler, opinion=opinion())
    with at("2026-05-03"):
        triggers.nightly()
    with at("2026-05-04"):
        triggers.nightly()
    assert kinds() == [("handler", "due_soon")]
    assert inbox(cast.handler) == [
        ("due_soon", f"即将到期：{case.number} 小区物业多收费（期限 2026-05-06）")
    ]
    with at("2026-05-07"), django_capture_on_commit_callbacks(execute=True):
        triggers.nightly()
        triggers.nightly()
    assert kinds() == [
        ("handler", "due_soon"),
        ("handler", "order_issued"),  # the overdue rule's 督办单
        ("handler", "overdue"),
        ("unit_leader", "order_issued"),
        ("unit_leader", "overdue"),
    ]


def test_a_new_due_date_is_notified_again(cast: Cast) -> None:
    case = in_handling(cast, on="2026-03-02")
    with at("2026-05-04"):
        triggers.nightly()
        steps.request_extension(fresh(case), actor=cast.handler, days=3, reason="补充调查。")
        steps.approve_extension(fresh(case), actor=cast.leader)  # 05-09: a 调休 Saturday
        triggers.nightly()  # 5 days left: 正常 again
    with at("2026-05-06"):
        triggers.nightly()
    assert [text for _k, text in inbox(cast.handler)] == [
        f"即将到期：{case.number} 小区物业多收费（期限 2026-05-06）",
        f"即将到期：{case.number} 小区物业多收费（期限 2026-05-09）",
    ]


# --- e-mail -------------------------------------------------------------------------------------


def test_no_mail_leaves_without_a_mail_host(
    cast: Cast, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.EMAIL_HOST = ""
    User.objects.filter(pk=cast.handler.pk).update(email="handler@example.org")
    case = register(cast)
    with django_capture_on_commit_callbacks(execute=True):
        steps.transfer_case(case, actor=cast.clerk, to_unit=cast.units.unit_a)
    assert len(mail.outbox) == 0
    assert kinds() == [("handler", "assigned")]


def test_with_a_mail_host_the_notice_is_mailed_without_the_matters_words(
    cast: Cast, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.EMAIL_HOST = "mail.example.org"
    User.objects.filter(pk=cast.handler.pk).update(email="handler@example.org")
    case = register(cast)
    with django_capture_on_commit_callbacks(execute=True):
        steps.transfer_case(case, actor=cast.clerk, to_unit=cast.units.unit_a)
    assert [m.to for m in mail.outbox] == [["handler@example.org"]]
    message = mail.outbox[0]
    assert message.subject == "【信访事项办理系统】新转送交办"
    assert case.number in message.body
    assert "物业" not in message.body
    assert "周建华" not in message.body


class FailingBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[Any]) -> int:
        raise smtplib.SMTPServerDisconnected("down")


def test_a_failing_mail_server_never_undoes_the_notice(
    cast: Cast, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.EMAIL_HOST = "mail.example.org"
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"
    User.objects.filter(pk=cast.handler.pk).update(email="handler@example.org")
    case = register(cast)
    with django_capture_on_commit_callbacks(execute=True):
        steps.transfer_case(case, actor=cast.clerk, to_unit=cast.units.unit_a)
    assert kinds() == [("handler", "assigned")]
