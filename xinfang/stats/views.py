"""统计分析 pages. Each view: bind the filters, ask one query (or one audited service for a
download), render. Every figure is scoped by the visibility query inside the queries."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from xinfang.accounts import rules
from xinfang.core.views import allowed, signed_in_user
from xinfang.stats import exporters, overview, services
from xinfang.stats.checks import chart_library_installed
from xinfang.stats.enums import Dimension
from xinfang.stats.forms import ReportForm, StatsFilterForm
from xinfang.stats.measures import MEASURES, SUMMARY_KEYS, Measure
from xinfang.stats.periods import Period
from xinfang.stats.queries import (
    StatsFilters,
    breakdown,
    drill_page,
    figures,
    needed_for_rates,
    unit_table,
)

#: The breakdown tables show the 基本情况 line, the cases received and every rate.
TABLE_KEYS = needed_for_rates(SUMMARY_KEYS)
TABLE_DIMENSIONS = [d for d in Dimension if d != Dimension.MONTH] + [Dimension.MONTH]


def _filters(request: HttpRequest) -> tuple[StatsFilterForm, StatsFilters]:
    user = signed_in_user(request)
    form = StatsFilterForm(request.GET or None, user=user)
    filters = form.to_filters()
    if not form.is_bound:  # show the default period in the date fields
        initial = {"start": filters.period.start, "end": filters.period.end}
        form = StatsFilterForm(user=user, initial=initial)
    return form, filters


def _dimension(value: str) -> Dimension:
    try:
        return Dimension(value)
    except ValueError:
        raise Http404("没有这种分组") from None


def _measure(value: str) -> Measure:
    measure = MEASURES.get(value)
    if measure is None or measure.is_pending:
        raise Http404("没有这项统计指标")
    return measure


def _presets(filters: StatsFilters) -> list[dict[str, str]]:
    """One-click periods, keeping the other filters."""
    today = timezone.localdate()
    quarter = (today.month - 1) // 3 * 3 + 1
    last_month = Period.month(today.year, today.month).previous()
    choices = [
        ("本年", Period(dt.date(today.year, 1, 1), today)),
        ("上年", Period.year(today.year - 1)),
        ("本季度", Period(dt.date(today.year, quarter, 1), today)),
        ("本月", Period(dt.date(today.year, today.month, 1), today)),
        ("上月", last_month),
    ]
    return [
        {"label": label, "query": urlencode(filters.with_period(period).as_params())}
        for label, period in choices
    ]


def _common(form: StatsFilterForm, filters: StatsFilters) -> dict[str, object]:
    return {
        "form": form,
        "filters": filters,
        "query": urlencode(filters.as_params()),
        "dimensions": TABLE_DIMENSIONS,
        "presets": _presets(filters),
    }


@require_GET
@allowed(rules.can_view_statistics)
def dashboard(request: HttpRequest) -> HttpResponse:
    form, filters = _filters(request)
    context = {
        **_common(form, filters),
        "data": overview.dashboard(request.user, filters),
        "chart_library": chart_library_installed(),
        "report_form": ReportForm(initial={"year": filters.period.end.year}),
    }
    return render(request, "stats/dashboard.html", context)


@require_GET
@allowed(rules.can_view_statistics)
def table(request: HttpRequest, dimension: str) -> HttpResponse:
    chosen = _dimension(dimension)
    form, filters = _filters(request)
    result = breakdown(request.user, filters, chosen, keys=TABLE_KEYS)
    context = {**_common(form, filters), "table": result, "dimension": chosen}
    return render(request, "stats/table.html", context)


@require_GET
@allowed(rules.can_view_statistics)
def units(request: HttpRequest) -> HttpResponse:
    form, filters = _filters(request)
    context = {**_common(form, filters), "table": unit_table(request.user, filters)}
    return render(request, "stats/units.html", context)


@require_GET
@allowed(rules.can_view_statistics)
def drill(request: HttpRequest) -> HttpResponse:
    measure = _measure(request.GET.get("measure", ""))
    form, filters = _filters(request)
    page = drill_page(
        request.user,
        filters,
        measure,
        after=request.GET.get("after", ""),
        before=request.GET.get("before", ""),
    )
    total = figures(request.user, filters, keys=[measure.key])[measure.key]
    context = {
        **_common(form, filters),
        "measure": measure,
        "page": page,
        "total": total,
        "page_query": urlencode({"measure": measure.key, **filters.as_params()}),
    }
    return render(request, "stats/drill.html", context)


@require_GET
@allowed(rules.can_view_statistics)
def export(request: HttpRequest, table: str) -> FileResponse:
    user = signed_in_user(request)
    _, filters = _filters(request)
    today = timezone.localdate()
    if table == "summary":
        title, sheets = (
            "统计汇总",
            exporters.summary_sheets(overview.summary(user, filters, keys=overview.DASHBOARD_KEYS)),
        )
    elif table == "units":
        title = "单位履责情况"
        sheets = [exporters.breakdown_sheet(unit_table(user, filters), filters, title)]
    elif table == "cases":
        measure = _measure(request.GET.get("measure", ""))
        title = f"{measure.label}明细"
        sheets = [exporters.drill_sheet(user, filters, measure, today=today)]
    else:
        chosen = _dimension(table.removeprefix("by-"))
        title = f"按{chosen.label}统计"
        sheets = [
            exporters.breakdown_sheet(
                breakdown(user, filters, chosen, keys=TABLE_KEYS), filters, title
            )
        ]
    result = services.export_tables(
        actor=user, table=table, title=title, sheets=sheets, filters=filters
    )
    return FileResponse(
        result.file, as_attachment=True, filename=result.filename, content_type=result.content_type
    )


@require_GET
@allowed(rules.can_view_statistics)
def report(request: HttpRequest) -> HttpResponseBase:
    user = signed_in_user(request)
    form = ReportForm(request.GET)
    if not form.is_valid():
        messages.error(request, "请填写正确的年度（2000—2100）。")
        return redirect("stats:dashboard")
    _, filters = _filters(request)
    result = services.annual_report(actor=user, filters=filters, year=form.cleaned_data["year"])
    return FileResponse(
        result.file, as_attachment=True, filename=result.filename, content_type=result.content_type
    )
