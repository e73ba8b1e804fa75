"""The cast for supervision (on top of tests/conftest.py and tests/cases/workflow_cast.py):

    A市信访局 (office): clerk, supervisor 督查员, leader 局领导
    ├── 市住房和城乡建设局 (unit A): handler 承办人老李, reviewer 审核人, unit_leader 建设局领导
    └── 市人力资源和社会保障局 (unit B): outsider 外单位承办人, other_leader 人社局领导

Cases are moved by the real step services (``walk_to``), at dates set with ``at``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from huey.contrib.djhuey import HUEY

from tests.cases.workflow_cast import Cast, fresh, make_cast, walk_to
from tests.conftest import Units
from tests.factories import UserFactory
from xinfang.accounts.enums import Role
from xinfang.accounts.models import Region, User
from xinfang.cases import steps, workflow
from xinfang.cases.enums import CaseStatus
from xinfang.cases.models import Case, ContentCategory

S = CaseStatus


def at(day: str, time: str = "02:00:00") -> Any:
    """Travel to ``day`` (10:00 in Asia/Shanghai by default); the clock stands still."""
    return time_machine.travel(dt.datetime.fromisoformat(f"{day}T{time}+00:00"), tick=False)


@pytest.fixture
def cast(
    units: Units,
    clerk: User,
    handler: User,
    leader: User,
    outsider: User,
    region: Region,
    category: ContentCategory,
) -> Cast:
    return make_cast(units, clerk, handler, leader, outsider, region, category)


@pytest.fixture
def unit_leader(units: Units) -> User:
    return UserFactory(
        username="unit_leader", full_name="建设局领导", unit=units.unit_a, roles=[Role.LEADER]
    )


@pytest.fixture
def other_leader(units: Units) -> User:
    return UserFactory(
        username="other_leader", full_name="人社局领导", unit=units.unit_b, roles=[Role.LEADER]
    )


@pytest.fixture
def tasks_in_process() -> Iterator[None]:
    """Run queued tasks in-process (the notification delivery is a Huey task)."""
    HUEY.immediate = True
    yield
    HUEY.immediate = False


class _MissingVariable(str):
    """``string_if_invalid`` that fails the test on any missing template variable."""

    def __contains__(self, key: object) -> bool:
        return key == "%s"

    def __mod__(self, name: object) -> str:
        raise AssertionError(f"模板变量不存在：{name}")


@pytest.fixture
def strict_templates(settings: Any) -> None:
    """A missing variable in a rendered template raises (pages of this app only: the case
    page of the cases app is rendered without it)."""
    engine = {**settings.TEMPLATES[0]}
    engine["OPTIONS"] = {**engine["OPTIONS"], "string_if_invalid": _MissingVariable("%s")}
    settings.TEMPLATES = [engine]


def in_handling(cast: Cast, *, on: str = "2026-03-02") -> Case:
    """A route-6 case transferred to unit A and accepted on ``on`` (handling due in 60 days)."""
    with at(on):
        return walk_to(cast, S.IN_HANDLING)


def overdue_case(cast: Cast, *, accepted: str = "2026-03-02", today: str = "2026-05-20") -> Case:
    """A case in handling whose 60-day limit (05-06 for 03-02) has passed by ``today``; the
    nightly sweep has stored its tier."""
    case = in_handling(cast, on=accepted)
    with at(today):
        workflow.sweep_tiers()
    return fresh(case)


def sent_back_twice(cast: Cast, *, on: str = "2026-03-02") -> Case:
    from tests.cases.workflow_cast import opinion

    case = in_handling(cast, on=on)
    with at(on):
        for _ in range(2):
            steps.submit_draft(fresh(case), actor=cast.handler, opinion=opinion())
            steps.send_back_draft(fresh(case), actor=cast.reviewer, comments="依据不足。")
    return fresh(case)
