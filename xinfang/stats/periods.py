"""统计期: an inclusive range of days, with the periods it is compared with (同比, 环比)."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from django.utils import timezone


def _shift_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (earlier if negative), clamped to the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # inclusive

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"统计期结束日 {self.end} 早于开始日 {self.start}")

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(dt.date(year, 1, 1), dt.date(year, 12, 31))

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        first = dt.date(year, month, 1)
        return cls(first, month_end(first))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def whole_months(self) -> int:
        """How many calendar months the period spans exactly, 0 if it is not whole months."""
        if self.start.day != 1 or self.end != month_end(self.end):
            return 0
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1

    @property
    def is_whole_year(self) -> bool:
        return self.whole_months == 12 and self.start.month == 1

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """[start 00:00, the day after end 00:00) in the office's time zone, for timestamps."""
        zone = timezone.get_current_timezone()
        first = dt.datetime.combine(self.start, dt.time.min, tzinfo=zone)
        after = dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
        return first, after

    def year_before(self) -> Period:
        """同比: the same days one year earlier (29 February becomes the 28th)."""
        return Period(_shift_months(self.start, -12), _shift_months(self.end, -12))

    def previous(self) -> Period:
        """环比: the period just before, as long as this one — in months when this one is
        whole months (a month, a quarter, a year), else in days."""
        months = self.whole_months
        if months:
            start = _shift_months(self.start, -months)
            return Period(start, month_end(_shift_months(start, months - 1)))
        return Period(self.start - dt.timedelta(days=self.days), self.start - dt.timedelta(days=1))

    def months(self) -> list[Period]:
        """The calendar months the period touches, each cut to the period."""
        result, first = [], self.start
        while first <= self.end:
            last = min(month_end(first), self.end)
            result.append(Period(first, last))
            first = last + dt.timedelta(days=1)
        return result

    @property
    def label(self) -> str:
        """How a report names the period: 2026年, 2026年3月, 2026年1月1日至11月26日."""
        if self.is_whole_year:
            return f"{self.start.year}年"
        if self.whole_months == 1:
            return f"{self.start.year}年{self.start.month}月"
        end = (
            f"{self.end.month}月{self.end.day}日"
            if self.end.year == self.start.year
            else f"{self.end.year}年{self.end.month}月{self.end.day}日"
        )
        return f"{self.start.year}年{self.start.month}月{self.start.day}日至{end}"

    @property
    def short_label(self) -> str:
        """For chart axes and table rows: 2026-03, or the dates."""
        if self.whole_months == 1:
            return f"{self.start:%Y-%m}"
        if self.start.day == 1 and self.end.month == self.start.month:
            return f"{self.start:%Y-%m}（至{self.end.day}日）"
        return f"{self.start:%Y-%m-%d}～{self.end:%Y-%m-%d}"
