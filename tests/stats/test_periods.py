"""统计期: 同比, 环比, months, labels."""

from __future__ import annotations

import datetime as dt

import pytest

from xinfang.stats.periods import Period

D = dt.date.fromisoformat


@pytest.mark.parametrize(
    ("period", "year_before", "previous"),
    [
        (Period.month(2026, 3), Period.month(2025, 3), Period.month(2026, 2)),
        (Period.month(2026, 1), Period.month(2025, 1), Period.month(2025, 12)),
        (
            Period(D("2026-04-01"), D("2026-06-30")),
            Period(D("2025-04-01"), D("2025-06-30")),
            Period(D("2026-01-01"), D("2026-03-31")),
        ),
        (Period.year(2026), Period.year(2025), Period.year(2025)),
        (
            Period(D("2026-01-01"), D("2026-11-26")),
            Period(D("2025-01-01"), D("2025-11-26")),
            Period(D("2025-02-05"), D("2025-12-31")),
        ),
        (
            Period(D("2024-02-29"), D("2024-02-29")),
            Period(D("2023-02-28"), D("2023-02-28")),
            Period(D("2024-02-28"), D("2024-02-28")),
        ),
    ],
)
def test_comparison_periods(period: Period, year_before: Period, previous: Period) -> None:
    assert period.year_before() == year_before
    assert period.previous() == previous


def test_months_cut_the_period_at_its_ends() -> None:
    months = Period(D("2026-01-15"), D("2026-03-10")).months()

    assert months == [
        Period(D("2026-01-15"), D("2026-01-31")),
        Period.month(2026, 2),
        Period(D("2026-03-01"), D("2026-03-10")),
    ]


def test_labels_read_like_a_report() -> None:
    assert Period.year(2026).label == "2026年"
    assert Period.month(2026, 3).label == "2026年3月"
    assert Period(D("2026-01-01"), D("2026-11-26")).label == "2026年1月1日至11月26日"
    assert Period(D("2025-12-01"), D("2026-01-31")).label == "2025年12月1日至2026年1月31日"


def test_the_end_may_not_come_before_the_start() -> None:
    with pytest.raises(ValueError, match="早于"):
        Period(D("2026-02-01"), D("2026-01-31"))


def test_bounds_are_local_midnights() -> None:
    first, after = Period.month(2026, 3).bounds()

    assert first.isoformat() == "2026-03-01T00:00:00+08:00"
    assert after.isoformat() == "2026-04-01T00:00:00+08:00"
