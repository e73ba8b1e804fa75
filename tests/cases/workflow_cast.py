"""The cast and a walker for workflow tests: a case moved by the real services, step by step.

Unit tree (on top of tests/conftest.py): A市人民政府 (the 复查 organ) sits under the office;
the office itself is the 复核 organ. The leader (office) may act for both."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone

from tests.conftest import Units
from tests.factories import UnitFactory, UserFactory
from xinfang.accounts.enums import Role, UnitKind
from xinfang.accounts.models import Region, Unit, User
from xinfang.cases import steps
from xinfang.cases.enums import (
    CaseStatus,
    Channel,
    ClaimRoute,
    HandlingCategory,
    ServiceMethod,
)
from xinfang.cases.models import Case, ContentCategory
from xinfang.cases.services import CaseInput, ContactInput, PetitionerInput, register_case
from xinfang.documents.enums import Outcome
from xinfang.documents.services import RequestOutcome

S = CaseStatus


@dataclass
class Cast:
    clerk: User
    handler: User
    reviewer: User
    leader: User
    outsider: User
    units: Units
    government: Unit
    region: Region
    category: ContentCategory


def make_cast(
    units: Units,
    clerk: User,
    handler: User,
    leader: User,
    outsider: User,
    region: Region,
    category: ContentCategory,
) -> Cast:
    government = UnitFactory(
        code="A02", name="A市人民政府", kind=UnitKind.GOVERNMENT, parent=units.office
    )
    reviewer = UserFactory(
        username="reviewer", full_name="审核人", unit=units.unit_a, roles=[Role.REVIEWER]
    )
    return Cast(clerk, handler, reviewer, leader, outsider, units, government, region, category)


def register(
    cast: Cast,
    *,
    route: ClaimRoute | None = ClaimRoute.PETITION,
    category: HandlingCategory = HandlingCategory.CLAIM,
    litigation: bool = False,
    when: dt.datetime | None = None,
) -> Case:
    result = register_case(
        actor=cast.clerk,
        contact=ContactInput(
            channel=Channel.VISIT,
            occurred_at=when or timezone.now(),
            reception_unit=cast.units.office,
        ),
        case=CaseInput(
            handling_category=category,
            claim_route=route,
            content_category=cast.category,
            region=cast.region,
            title="小区物业多收费",
            request="请求退还多收的物业费。",
            involves_litigation=litigation,
        ),
        petitioners=[PetitionerInput(name="周建华", phone="13900001234")],
    )
    return fresh(result.case)


def fresh(case: Case) -> Case:
    """The case as a view would load it (units joined), so services see the stored version."""
    return Case.objects.select_related(
        "registering_unit", "handling_unit", "review_unit", "recheck_unit"
    ).get(pk=case.pk)


def opinion(outcome: Outcome = Outcome.SUPPORT) -> steps.OpinionInput:
    return steps.OpinionInput(
        outcomes=[RequestOutcome("请求退还多收的物业费。", outcome, "经核实，收费标准未经备案。")],
        body="请物业公司于30日内退还。",
        basis="《物业管理条例》第四十条",
    )


def main_line(cast: Cast) -> list[tuple[CaseStatus, Callable[[Case], object]]]:
    """The usual road from registration to 终结, one service call per step."""
    today = timezone.localdate()
    return [
        (
            S.TRANSFERRED,
            lambda c: steps.transfer_case(c, actor=cast.clerk, to_unit=cast.units.unit_a),
        ),
        (S.RECEIVED, lambda c: steps.sign_case(c, actor=cast.handler)),
        (
            S.IN_HANDLING,
            lambda c: steps.accept_case(
                c, actor=cast.handler, claim_route=ClaimRoute(c.claim_route or ClaimRoute.PETITION)
            ),
        ),
        (
            S.EXTENSION_REQUESTED,
            lambda c: steps.request_extension(
                c, actor=cast.handler, days=30, reason="需要补充调查。"
            ),
        ),
        (S.IN_HANDLING, lambda c: steps.approve_extension(c, actor=cast.leader)),
        (S.UNDER_REVIEW, lambda c: steps.submit_draft(c, actor=cast.handler, opinion=opinion())),
        (
            S.IN_HANDLING,
            lambda c: steps.send_back_draft(c, actor=cast.reviewer, comments="依据不足。"),
        ),
        (S.UNDER_REVIEW, lambda c: steps.submit_draft(c, actor=cast.handler, opinion=opinion())),
        (
            S.REPLIED,
            lambda c: steps.approve_draft(c, actor=cast.reviewer, review_unit=cast.government),
        ),
        (
            S.SERVED,
            lambda c: steps.record_service(
                c, actor=cast.handler, method=ServiceMethod.IN_PERSON, served_on=today
            ),
        ),
        (
            S.REVIEW_REQUESTED,
            lambda c: steps.request_review(
                c, actor=cast.clerk, requested_on=today, request_text="不服，申请复查。"
            ),
        ),
        (
            S.REVIEWED,
            lambda c: steps.issue_review_opinion(
                c,
                actor=cast.leader,
                opinion=opinion(Outcome.EXPLAIN),
                recheck_unit=cast.units.office,
            ),
        ),
        (
            S.REVIEW_SERVED,
            lambda c: steps.record_service(
                c, actor=cast.leader, method=ServiceMethod.POST, served_on=today
            ),
        ),
        (
            S.RECHECK_REQUESTED,
            lambda c: steps.request_recheck(
                c, actor=cast.clerk, requested_on=today, request_text="不服，申请复核。"
            ),
        ),
        (S.RECHECK_HEARING, lambda c: steps.start_hearing(c, actor=cast.leader, started_on=today)),
        (S.RECHECK_REQUESTED, lambda c: steps.end_hearing(c, actor=cast.leader, ended_on=today)),
        (
            S.RECHECKED,
            lambda c: steps.issue_recheck_opinion(
                c, actor=cast.leader, opinion=opinion(Outcome.REJECT)
            ),
        ),
        (
            S.TERMINATED,
            lambda c: steps.record_service(
                c, actor=cast.leader, method=ServiceMethod.IN_PERSON, served_on=today
            ),
        ),
    ]


def walk_to(cast: Cast, target: CaseStatus, case: Case | None = None) -> Case:
    """A new case (or ``case``, from where it stands) moved along the main line until it
    reaches ``target``."""
    case = case or register(cast)
    line = main_line(cast)
    sources = [S.REGISTERED] + [status for status, _ in line[:-1]]
    if case.status == S.ASSIGNED and target != S.ASSIGNED:
        steps.sign_case(case, actor=cast.handler)
        case = fresh(case)
    if case.status == target:
        return case
    start = sources.index(CaseStatus(case.status))
    if case.status == target:
        return case
    for status, step in line[start:]:
        step(fresh(case))
        if status == target:
            return fresh(case)
    raise AssertionError(f"{target} is not on the main line after {case.status}")
