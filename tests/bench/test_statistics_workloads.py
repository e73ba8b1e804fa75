"""W4's baseline counts in plain Python what the statistics count: on the hand-counted world
and on the seeded random set, the baseline, the precomputed counts and the direct SQL give the
same year. (The harness test runs W4 and W8 end to end; no timing is asserted.)"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from bench import w4_stats
from tests.stats.conftest import mixed, places, today_is, world  # noqa: F401 - fixtures
from xinfang.accounts.models import User
from xinfang.stats.periods import Period
from xinfang.stats.queries import StatsFilters

TODAY = dt.date(2026, 11, 26)


@pytest.fixture(params=["world", "mixed"])
def built(request: pytest.FixtureRequest) -> Any:
    return request.getfixturevalue(request.param)


@pytest.mark.parametrize(
    "period", [Period(dt.date(2025, 11, 27), TODAY), Period.month(2026, 3)], ids=str
)
def test_the_w4_baseline_the_counts_and_the_direct_sql_agree(
    built: Any, leader: User, settings: Any, period: Period
) -> None:
    filters = StatsFilters(period=period)
    with today_is(TODAY):
        counted = w4_stats.ours(leader, filters)
        settings.XF_STATS_ROLLUP = False
        direct = w4_stats.ours(leader, filters)
        baseline = w4_stats.baseline(leader, filters, TODAY)

    assert counted == direct == baseline
    assert counted["total"]["cases_received"] > 0


def test_the_w4_year_is_the_twelve_months_up_to_the_reference_day() -> None:
    assert (w4_stats.YEAR.start, w4_stats.YEAR.end, w4_stats.YEAR.days) == (
        dt.date(2025, 11, 27),
        dt.date(2026, 11, 26),
        365,
    )
