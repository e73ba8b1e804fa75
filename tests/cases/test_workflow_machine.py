"""A Hypothesis state machine over the workflow: random people try random steps with valid or
broken input, twice on stale copies too. Whatever they do, a case is never in an illegal
state: every success is a row of the table, every refusal writes nothing, and the stored
columns always agree with what the status implies."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from tests.cases.test_workflow import sample_arguments
from tests.cases.workflow_cast import Cast, fresh, make_cast, register
from tests.conftest import Units
from tests.factories import UserFactory
from xinfang.accounts.enums import Role
from xinfang.accounts.models import Region, User
from xinfang.audit.queries import verify_chain
from xinfang.cases import steps, workflow
from xinfang.cases.deadlines import Calendar
from xinfang.cases.enums import FINAL_STATUSES, CaseStatus, ClaimRoute, HandlingCategory
from xinfang.cases.models import Case, ContentCategory
from xinfang.cases.workflow import TRANSITIONS, Action, ConcurrentChangeError

pytestmark = pytest.mark.django_db
S = CaseStatus
REFUSALS = (ValidationError, PermissionDenied, ConcurrentChangeError)
#: Steps that end the matter or send it back; the biased rule takes them less often.
BACKWARDS = frozenset(
    {
        Action.NOT_ACCEPT,
        Action.NOT_REACCEPT,
        Action.OBJECT,
        Action.TERMINATE,
        Action.SEND_BACK,
        Action.REJECT_EXTENSION,
    }
)
ACCEPTED_OR_LATER = set(CaseStatus) - {
    S.REGISTERED,
    S.TRANSFERRED,
    S.ASSIGNED,
    S.RECEIVED,
    S.NOT_ACCEPTED,
    S.NOT_REACCEPTED,
}


def broken_arguments(action: Action, cast: Cast) -> dict[str, Any]:
    """Input a careless or hostile person might send: empty texts, dates in the future, an
    extension too long, the registering unit as target."""
    arguments = dict(sample_arguments(action, cast))
    future = timezone.localdate() + dt.timedelta(days=3)
    for name in list(arguments):
        value = arguments[name]
        if isinstance(value, str):
            arguments[name] = "  "
        elif isinstance(value, dt.date):
            arguments[name] = future
    if action == Action.REQUEST_EXTENSION:
        arguments["days"] = 365
    if action in (Action.TRANSFER, Action.ASSIGN):
        arguments["to_unit"] = cast.units.office
    return arguments


def run_machine(cast: Cast) -> None:
    chief = UserFactory(
        username="chief",
        unit=cast.units.office,
        roles=[Role.CLERK, Role.HANDLER, Role.REVIEWER, Role.LEADER],
    )
    people = {
        "clerk": cast.clerk,
        "handler": cast.handler,
        "reviewer": cast.reviewer,
        "leader": cast.leader,
        "outsider": cast.outsider,
        "chief": chief,
    }

    visited: set[CaseStatus] = set()

    class Workflow(RuleBasedStateMachine):
        case: Case

        @initialize(route=st.sampled_from([ClaimRoute.PETITION, None]))
        def register(self, route: ClaimRoute | None) -> None:
            category = HandlingCategory.CLAIM if route else HandlingCategory.SUGGESTION
            self.case = register(cast, route=route, category=category)

        @rule(
            action=st.sampled_from(list(Action)),
            who=st.sampled_from(sorted(people)),
            valid=st.booleans(),
            twice=st.booleans(),
        )
        def take_a_step(self, action: Action, who: str, valid: bool, twice: bool) -> None:
            before = fresh(self.case)
            stale = fresh(self.case)
            arguments = sample_arguments(action, cast) if valid else broken_arguments(action, cast)
            events = before.events.count()
            try:
                steps.SERVICES[action](fresh(self.case), actor=people[who], **arguments)
            except REFUSALS:
                after = fresh(self.case)
                assert (after.status, after.version) == (before.status, before.version)
                assert after.events.count() == events
                return
            after = fresh(self.case)
            visited.add(CaseStatus(after.status))
            assert TRANSITIONS[(CaseStatus(before.status), action)].to == after.status
            assert after.version == before.version + 1
            if twice:  # the same click again, from the page the person still has open
                with pytest.raises(REFUSALS):
                    steps.SERVICES[action](stale, actor=people[who], **arguments)
                assert fresh(self.case).version == after.version

        @rule(pick=st.integers(min_value=0, max_value=20), who=st.sampled_from(sorted(people)))
        def take_a_step_the_table_allows(self, pick: int, who: str) -> None:
            """Mostly by the all-roles chief, so the machine gets deep into the procedure."""
            status = CaseStatus(fresh(self.case).status)
            allowed = [action for (source, action) in TRANSITIONS if source == status]
            onward = [action for action in allowed if action not in BACKWARDS]
            if onward and pick % 5:
                allowed = onward
            if allowed:
                self.take_a_step(
                    allowed[pick % len(allowed)], "chief" if pick % 4 else who, True, pick % 3 == 0
                )

        @invariant()
        def the_stored_columns_agree_with_the_status(self) -> None:
            if not hasattr(self, "case"):
                return
            case = fresh(self.case)
            status = CaseStatus(case.status)
            assert case.version == case.events.count()
            assert (case.handling_unit_id is None) == (status == S.REGISTERED) or (
                status in (S.NOT_ACCEPTED, S.NOT_REACCEPTED)
            )
            if status in ACCEPTED_OR_LATER - {S.TERMINATED}:
                assert case.accepted_on is not None
            if status in (S.SERVED, S.REVIEW_REQUESTED, S.CLOSED):
                assert case.served_on is not None
            if status in FINAL_STATUSES:
                assert case.closed_on is not None
                assert case.due_on is None
            if status == S.CLOSED:
                assert case.served_on is not None
            expected = workflow.deadline_columns(
                case, today=timezone.localdate(), calendar=Calendar()
            )
            assert {name: getattr(case, name) for name in expected} == expected

    run_state_machine_as_test(
        Workflow,
        settings=settings(
            max_examples=25,
            derandomize=True,  # the same walk every run: CI must not depend on luck
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
    # The machine is only worth something if it gets deep: most states must have been seen.
    assert len(visited) >= 15, sorted(visited)


def test_random_people_taking_random_steps_never_reach_an_illegal_state(
    units: Units,
    clerk: User,
    handler: User,
    leader: User,
    outsider: User,
    region: Region,
    category: ContentCategory,
) -> None:
    cast = make_cast(units, clerk, handler, leader, outsider, region, category)
    run_machine(cast)
    assert verify_chain()[1] is None
