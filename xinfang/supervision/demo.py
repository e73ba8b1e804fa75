"""Demo supervision on top of ``seed_demo``: a few 督办单 in each state, a 挂牌督办 list and
the demo leader's 包案 cases, with a 批示 and a 催办 — all written by the real services in the
demo users' names (so the audit trail and the notifications are what the product writes).
Runs once: a database that already has orders or listings is left alone."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import F
from django.utils import timezone

from xinfang.accounts.models import User
from xinfang.cases.deadlines import Calendar
from xinfang.cases.enums import CaseStatus
from xinfang.cases.models import Case
from xinfang.supervision import services, triggers
from xinfang.supervision.enums import Trigger
from xinfang.supervision.models import LeaderCase, Listing, SupervisionOrder

DEMO_SUPERVISOR, DEMO_LEADER, DEMO_HANDLER = "supervisor", "leader", "handler"
_WORKING = (
    CaseStatus.TRANSFERRED,
    CaseStatus.ASSIGNED,
    CaseStatus.RECEIVED,
    CaseStatus.IN_HANDLING,
    CaseStatus.EXTENSION_REQUESTED,
    CaseStatus.UNDER_REVIEW,
)


@dataclass(frozen=True)
class DemoSupervision:
    orders: int = 0
    listings: int = 0
    taken: int = 0

    @property
    def summary(self) -> str:
        return (
            f"督办演示数据：督办单 {self.orders} 件，挂牌督办 {self.listings} 件，"
            f"领导包案 {self.taken} 件。"
        )


def seed_supervision_demo(*, today: dt.date | None = None) -> DemoSupervision:
    """Orders, listings and 包案 on the demo housing bureau's open cases, most overdue first."""
    if SupervisionOrder.objects.exists() or Listing.objects.exists():
        return DemoSupervision()
    people = {
        user.username: user
        for user in User.objects.filter(
            username__in=[DEMO_SUPERVISOR, DEMO_LEADER, DEMO_HANDLER]
        ).select_related("unit")
    }
    if len(people) < 3 or people[DEMO_HANDLER].unit is None:
        return DemoSupervision()
    supervisor, leader, handler = (
        people[DEMO_SUPERVISOR],
        people[DEMO_LEADER],
        people[DEMO_HANDLER],
    )
    today = today or timezone.localdate()
    cases = list(
        Case.objects.filter(
            handling_unit=handler.unit, responsible_unit=handler.unit, status__in=_WORKING
        )
        .select_related(
            "registering_unit", "responsible_unit", "handling_unit", "region", "content_category"
        )
        .order_by(F("due_on").asc(nulls_last=True), "id")[:9]
    )
    if len(cases) < 9:
        return DemoSupervision()
    orders = [
        services.issue_order(
            case,
            actor=supervisor,
            requirement=(
                "请于期限内查明该事项的办理情况，书面答复存在的问题、已采取的措施和办结时间"
                "（《信访工作条例》第四十条）。"
            ),
        )
        for case in cases[:3]
    ]
    services.answer_order(
        orders[0],
        actor=handler,
        text="已约谈相关企业负责人，责令限期整改；拟于本月底前出具处理意见并送达信访人。",
    )
    ruled = next(iter(triggers.RULES[Trigger.OVERDUE](today)), None)
    if ruled is not None:
        services.raise_rule_order(
            ruled.case,
            trigger=Trigger.OVERDUE,
            requirement=ruled.requirement,
            today=today,
            calendar=Calendar(),
        )
    services.add_instruction(
        cases[0], actor=leader, text="请住建局主要负责同志亲自过问，依法依规解决群众合理诉求。"
    )
    services.send_reminder(
        cases[1], actor=supervisor, text="该事项即将超期，请抓紧办理并报告进展。"
    )
    for number, case in enumerate(cases[3:6], start=1):
        services.list_case(
            case,
            actor=supervisor,
            name=f"{case.region.name}{case.content_category.name}问题",
            leader=leader,
            deadline=today + dt.timedelta(days=30 * number),
        )
    for case in cases[6:9]:
        services.take_case(case, actor=leader, note="领导包案，协调有关部门共同化解。")
    return DemoSupervision(
        orders=SupervisionOrder.objects.count(),
        listings=Listing.objects.count(),
        taken=LeaderCase.objects.count(),
    )
