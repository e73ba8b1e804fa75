"""The statistics' deadline arithmetic is the deadline engine's, day for day."""

from __future__ import annotations

import datetime as dt

import pytest

from xinfang.cases.deadlines import Calendar, Limit, LimitUnit, due_date
from xinfang.stats.clocks import DayTable

LIMITS = [Limit(15), Limit(60), Limit(30), Limit(5, LimitUnit.WORKDAYS), Limit(1)]


@pytest.mark.parametrize("limit", LIMITS, ids=lambda limit: limit.label)
@pytest.mark.parametrize("roll_forward", [True, False])
def test_every_due_date_of_2025_to_2027_matches_the_engine(
    db: None, limit: Limit, roll_forward: bool
) -> None:
    calendar = Calendar()
    table = DayTable(calendar)
    start = dt.date(2025, 1, 1)

    for offset in range(0, 365 * 3, 1):
        day = start + dt.timedelta(days=offset)
        expected = due_date(day, limit, calendar=calendar, roll_forward=roll_forward).date
        assert table.due(day, limit, roll_forward=roll_forward) == expected, day
