"""Template helpers for the statistics tables."""

from __future__ import annotations

from urllib.parse import urlencode

from django import template

from xinfang.stats.measures import MEASURES, Measure, Rate, rates
from xinfang.stats.overview import drill_url, percent, row_filters
from xinfang.stats.queries import Breakdown, Figures, StatsFilters
from xinfang.stats.rollup import Group

register = template.Library()


@register.filter
def columns(table: Breakdown) -> list[Measure]:
    return [MEASURES[key] for key in table.keys]


@register.filter
def rate_columns(table: Breakdown) -> list[Rate]:
    """The rates the table's measures can compute."""
    present = set(table.total.values)
    return [r for r in rates() if not r.pending and {r.numerator, r.denominator} <= present]


@register.filter
def pending_notes(table: Breakdown) -> list[str]:
    notes = {MEASURES[key].pending for key in table.keys if MEASURES[key].is_pending}
    return [
        f"{', '.join(MEASURES[k].label for k in table.keys if MEASURES[k].pending == note)}：{note}"
        for note in sorted(notes)
    ]


@register.filter
def for_group(filters: StatsFilters, group: Group) -> StatsFilters:
    return row_filters(filters, group)


@register.filter
def query(filters: StatsFilters) -> str:
    return urlencode(filters.as_params())


@register.filter
def value(figures: Figures, key: str) -> int:
    return figures.values.get(key, 0)


@register.filter
def rate(figures: Figures, rate: Rate) -> str:
    return percent(figures.rate(rate))


@register.simple_tag
def drill_link(measure: str, filters: StatsFilters) -> str:
    return drill_url(measure, filters)
