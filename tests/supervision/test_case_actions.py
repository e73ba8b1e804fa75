"""批示, 催办, 挂牌督办 and 领导包案 on a case, and the 领导包案化解率 the statistics will read."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.cases.workflow_cast import Cast, fresh, walk_to
from tests.supervision.conftest import at, in_handling
from xinfang.accounts.models import User
from xinfang.audit.models import AuditEvent
from xinfang.cases import steps
from xinfang.cases.enums import CaseStatus, ServiceMethod, TerminationReason
from xinfang.cases.models import Case
from xinfang.cases.queries import cases_visible_to
from xinfang.supervision import services
from xinfang.supervision.enums import DirectiveKind, ListingStatus
from xinfang.supervision.models import Directive, LeaderCase, Listing
from xinfang.supervision.queries import leader_cases_resolution

pytestmark = pytest.mark.django_db
S = CaseStatus


def supervision_audit() -> list[str]:
    return list(
        AuditEvent.objects.filter(event__startswith="supervision.").values_list("event", flat=True)
    )


# --- 批示 ----------------------------------------------------------------------------------------


def test_a_leader_instructs_and_the_instruction_goes_to_the_unit_that_owes_the_step(
    cast: Cast,
) -> None:
    case = in_handling(cast)
    directive = services.add_instruction(
        fresh(case), actor=cast.leader, text="请依法依规尽快办理。"
    )
    assert directive.kind == DirectiveKind.INSTRUCTION
    assert (directive.author_unit, directive.addressed_to) == (cast.units.office, cast.units.unit_a)
    assert supervision_audit() == ["supervision.instruction"]


def test_an_instruction_on_a_finished_case_goes_to_its_handling_unit(cast: Cast) -> None:
    case = walk_to(cast, S.TERMINATED)
    directive = services.add_instruction(case, actor=cast.leader, text="总结经验。")
    assert directive.addressed_to == cast.units.unit_a


def test_an_instruction_to_the_leaders_own_unit_has_no_addressee(
    cast: Cast, unit_leader: User
) -> None:
    case = in_handling(cast)
    directive = services.add_instruction(fresh(case), actor=unit_leader, text="抓紧办理。")
    assert directive.addressed_to is None


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "请填写批示内容。"), ("x" * 5001, "批示内容不能超过 5000 字。")],
)
def test_an_empty_or_overlong_instruction_is_refused(cast: Cast, text: str, message: str) -> None:
    case = in_handling(cast)
    with pytest.raises(ValidationError) as refused:
        services.add_instruction(fresh(case), actor=cast.leader, text=text)
    assert refused.value.messages == [message]
    assert Directive.objects.count() == 0
    assert supervision_audit() == []


@pytest.mark.parametrize("who", ["handler", "clerk"])
def test_only_leaders_instruct(cast: Cast, supervisor: User, who: str) -> None:
    case = in_handling(cast)
    for actor in (getattr(cast, who), supervisor):
        with pytest.raises(PermissionDenied):
            services.add_instruction(fresh(case), actor=actor, text="批示。")


def test_a_leader_cannot_instruct_on_a_case_outside_their_scope(
    cast: Cast, other_leader: User
) -> None:
    case = in_handling(cast)
    with pytest.raises(PermissionDenied):
        services.add_instruction(fresh(case), actor=other_leader, text="批示。")


# --- 催办 ----------------------------------------------------------------------------------------


def test_a_supervisor_reminds_the_unit(cast: Cast, supervisor: User) -> None:
    case = in_handling(cast)
    reminder = services.send_reminder(fresh(case), actor=supervisor, text="请抓紧办理。")
    assert (reminder.kind, reminder.addressed_to) == (DirectiveKind.REMINDER, cast.units.unit_a)
    assert supervision_audit() == ["supervision.reminder"]


def test_a_reminder_on_a_finished_case_or_to_ones_own_unit_is_refused(
    cast: Cast, supervisor: User
) -> None:
    with pytest.raises(ValidationError) as finished:
        services.send_reminder(walk_to(cast, S.TERMINATED), actor=supervisor, text="请办理。")
    assert finished.value.messages == ["该事项已终结，无需督办。"]
    with pytest.raises(ValidationError) as own:
        services.send_reminder(walk_to(cast, S.REGISTERED), actor=supervisor, text="请办理。")
    assert own.value.messages == ["该事项当前由本单位办理，不能向本单位督办或催办。"]
    assert Directive.objects.count() == 0


def test_handlers_do_not_remind(cast: Cast) -> None:
    case = in_handling(cast)
    with pytest.raises(PermissionDenied):
        services.send_reminder(fresh(case), actor=cast.handler, text="请办理。")


# --- 挂牌督办 -------------------------------------------------------------------------------------


def listed(cast: Cast, supervisor: User, **overrides: object) -> Listing:
    case = in_handling(cast)
    arguments: dict[str, object] = {
        "name": "A1区幸福小区物业收费问题",
        "leader": cast.leader,
        "deadline": dt.date(2026, 6, 30),
    }
    arguments.update(overrides)
    with at("2026-03-10"):
        return services.list_case(fresh(case), actor=supervisor, **arguments)  # type: ignore[arg-type]


def test_a_supervisor_lists_a_case_with_a_leader_and_a_deadline(
    cast: Cast, supervisor: User
) -> None:
    listing = listed(cast, supervisor)
    assert listing.number == "A01挂〔2026〕1号"
    assert (listing.status, listing.leader, listing.listed_on) == (
        ListingStatus.LISTED,
        cast.leader,
        dt.date(2026, 3, 10),
    )
    assert supervision_audit() == ["supervision.list"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name": ""}, "请填写挂牌名称。"),
        (
            {"name": "周建华13900001234反映物业问题"},
            "挂牌名称向全体工作人员公开，不能包含身份证号码或电话号码。",
        ),
        (
            {"name": "990102198001010012号反映"},
            "挂牌名称向全体工作人员公开，不能包含身份证号码或电话号码。",
        ),
        ({"deadline": dt.date(2026, 3, 10)}, "办结时限必须晚于今天。"),
        ({"deadline": dt.date(2027, 6, 30)}, "办结时限不能超过 366 日。"),
    ],
)
def test_bad_listings_are_refused_in_chinese(
    cast: Cast, supervisor: User, overrides: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        listed(cast, supervisor, **overrides)
    assert refused.value.messages == [message]
    assert Listing.objects.count() == 0
    assert supervision_audit() == []


def test_the_responsible_leader_must_be_a_leader_in_the_supervisors_subtree(
    cast: Cast, supervisor: User
) -> None:
    with pytest.raises(ValidationError) as refused:
        listed(cast, supervisor, leader=cast.handler)
    assert refused.value.messages == ["责任领导须为本单位或下级单位在岗的领导。"]


def test_a_case_is_listed_once_at_a_time_and_may_be_listed_again_after_delisting(
    cast: Cast, supervisor: User
) -> None:
    listing = listed(cast, supervisor)
    case = fresh(listing.case)
    with at("2026-03-11"), pytest.raises(ValidationError) as twice:
        services.list_case(
            case,
            actor=supervisor,
            name="再次挂牌",
            leader=cast.leader,
            deadline=dt.date(2026, 7, 1),
        )
    assert twice.value.messages == ["该事项已在挂牌督办。"]
    with at("2026-03-12"):
        services.delist_case(listing, actor=supervisor, note="已化解。")
        again = services.list_case(
            case,
            actor=supervisor,
            name="再次挂牌",
            leader=cast.leader,
            deadline=dt.date(2026, 7, 1),
        )
    assert again.number == "A01挂〔2026〕2号"
    with pytest.raises(ValidationError) as delisted:
        services.delist_case(listing, actor=supervisor, note="重复摘牌。")
    assert delisted.value.messages == ["该事项已摘牌。"]


def test_delisting_needs_a_note(cast: Cast, supervisor: User) -> None:
    listing = listed(cast, supervisor)
    with pytest.raises(ValidationError) as refused:
        services.delist_case(listing, actor=supervisor, note="")
    assert refused.value.messages == ["请填写摘牌说明。"]
    assert Listing.objects.get().status == ListingStatus.LISTED


# --- 领导包案 ------------------------------------------------------------------------------------


def test_a_leader_takes_a_case_once_and_hands_it_back(cast: Cast, unit_leader: User) -> None:
    case = in_handling(cast)
    taken = services.take_case(fresh(case), actor=cast.leader, note="亲自协调。")
    with pytest.raises(ValidationError) as twice:
        services.take_case(fresh(case), actor=unit_leader)
    assert twice.value.messages == ["该事项已由局领导包案。"]
    with pytest.raises(PermissionDenied):
        services.release_case(taken, actor=unit_leader, note="不是我的。")
    services.release_case(taken, actor=cast.leader, note="已协调到位，交回承办单位。")
    assert services.take_case(fresh(case), actor=unit_leader).leader == unit_leader
    assert supervision_audit() == ["supervision.take", "supervision.release", "supervision.take"]


@pytest.mark.parametrize("who", ["handler", "clerk"])
def test_only_leaders_take_cases(cast: Cast, supervisor: User, who: str) -> None:
    case = in_handling(cast)
    for actor in (getattr(cast, who), supervisor):
        with pytest.raises(PermissionDenied):
            services.take_case(fresh(case), actor=actor)
    assert LeaderCase.objects.count() == 0


def test_a_finished_case_cannot_be_taken(cast: Cast) -> None:
    with pytest.raises(ValidationError):
        services.take_case(walk_to(cast, S.TERMINATED), actor=cast.leader)


# --- 领导包案化解率 ------------------------------------------------------------------------------


def test_the_resolution_rate_counts_cases_taken_in_the_period_and_those_resolved_by_its_end(
    cast: Cast, unit_leader: User
) -> None:
    with at("2026-03-02"):
        closed = walk_to(cast, S.SERVED)
        still_open = walk_to(cast, S.IN_HANDLING)
        settled = walk_to(cast, S.IN_HANDLING)
        after_recheck = walk_to(cast, S.RECHECKED)
        for case in (closed, still_open, settled, after_recheck):
            services.take_case(fresh(case), actor=cast.leader)
    with at("2026-03-20"):
        steps.close_case(fresh(closed), actor=cast.handler)
        steps.terminate_case(
            fresh(settled),
            actor=cast.handler,
            reason=TerminationReason.SETTLEMENT_PERFORMED,
            note="和解协议已履行。",
        )
        steps.record_service(  # 复核意见送达: the procedure ends, the matter is not 化解
            fresh(after_recheck),
            actor=cast.leader,
            method=ServiceMethod.IN_PERSON,
            served_on=dt.date(2026, 3, 20),
        )
    scope = cases_visible_to(cast.leader)
    march = leader_cases_resolution(dt.date(2026, 3, 1), dt.date(2026, 3, 31), scope)
    assert (march.taken, march.resolved) == (4, 2)
    assert march.rate == 0.5
    before_closing = leader_cases_resolution(dt.date(2026, 3, 1), dt.date(2026, 3, 10), scope)
    assert (before_closing.taken, before_closing.resolved) == (4, 0)
    april = leader_cases_resolution(dt.date(2026, 4, 1), dt.date(2026, 4, 30), scope)
    assert (april.taken, april.resolved, april.rate) == (0, 0, None)
    # The scope is the caller's: a unit B leader's scope holds none of these cases.
    other = leader_cases_resolution(
        dt.date(2026, 3, 1),
        dt.date(2026, 3, 31),
        Case.objects.filter(handling_unit=cast.units.unit_b),
    )
    assert (other.taken, other.resolved) == (0, 0)


def test_a_case_taken_twice_in_the_period_counts_once(cast: Cast, unit_leader: User) -> None:
    with at("2026-03-02"):
        case = walk_to(cast, S.IN_HANDLING)
        taken = services.take_case(fresh(case), actor=cast.leader)
        services.release_case(taken, actor=cast.leader, note="交由建设局领导。")
        services.take_case(fresh(case), actor=unit_leader)
    result = leader_cases_resolution(dt.date(2026, 1, 1), dt.date(2026, 12, 31), Case.objects.all())
    assert result.taken == 1


def test_the_supervision_figures_count_cases_supervised_answered_and_listed_in_the_period(
    cast: Cast, supervisor: User
) -> None:
    from xinfang.supervision.queries import supervision_figures

    answered_case, waiting_case, listed_case = (in_handling(cast) for _ in range(3))
    with at("2026-03-10"):
        first = services.issue_order(fresh(answered_case), actor=supervisor, requirement="答复。")
        services.issue_order(fresh(answered_case), actor=supervisor, requirement="再答复。")
        services.issue_order(fresh(waiting_case), actor=supervisor, requirement="答复。")
        services.list_case(
            fresh(listed_case),
            actor=supervisor,
            name="物业问题",
            leader=cast.leader,
            deadline=dt.date(2026, 6, 30),
        )
    with at("2026-04-02"):
        services.answer_order(first, actor=cast.handler, text="已办理。")
    scope = cases_visible_to(supervisor)
    march = supervision_figures(dt.date(2026, 3, 1), dt.date(2026, 3, 31), scope)
    assert (march.supervised, march.answered, march.listed) == (2, 0, 1)
    spring = supervision_figures(dt.date(2026, 3, 1), dt.date(2026, 4, 30), scope)
    assert (spring.supervised, spring.answered, spring.listed) == (2, 1, 1)
    april = supervision_figures(dt.date(2026, 4, 1), dt.date(2026, 4, 30), scope)
    assert (april.supervised, april.answered, april.listed) == (0, 0, 0)
    outside = supervision_figures(
        dt.date(2026, 3, 1), dt.date(2026, 4, 30), cases_visible_to(cast.outsider)
    )
    assert (outside.supervised, outside.answered, outside.listed) == (0, 0, 0)
