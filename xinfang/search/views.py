"""检索, related cases at registration and 同类问题归并: thin — forms read the request, the
queries and services do the work."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from xinfang.accounts import rules
from xinfang.audit.services import record
from xinfang.core.views import allowed, signed_in_user
from xinfang.search.enums import GroupRunStatus
from xinfang.search.exporters import MAX_EXPORT_ROWS, group_xlsx, results_xlsx
from xinfang.search.forms import DraftForm, GroupFilterForm, SearchForm
from xinfang.search.groups import (
    group_bars,
    group_cases,
    group_for,
    group_page,
    latest_default_run,
    latest_run,
    request_group_run,
)
from xinfang.search.queries import MAX_RESULTS, search_page
from xinfang.search.related import related_cases

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PENDING = (GroupRunStatus.QUEUED, GroupRunStatus.RUNNING)


@require_GET
@allowed(rules.can_work_cases)
def search(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None, user=signed_in_user(request))
    query = form.to_query()
    page = search_page(
        request.user,
        query,
        form.to_filters(),
        order=form.order_value,
        page=form.page_value,
        after=form.keyset("after"),
        before=form.keyset("before"),
    )
    keep = request.GET.copy()
    for name in ("page", "after", "before"):
        keep.pop(name, None)
    context = {
        "form": form,
        "query": query,
        "page": page,
        "keep_query": keep.urlencode(),
        "max_results": MAX_RESULTS,
        "max_export": MAX_EXPORT_ROWS,
    }
    return render(request, "search/search.html", context)


@require_GET
@allowed(rules.can_work_cases)
def export(request: HttpRequest) -> HttpResponse:
    """导出: the matching visible cases (newest first, at most MAX_EXPORT_ROWS) as .xlsx.
    Audited ``search.export`` with the words and filters, never the rows."""
    user = signed_in_user(request)
    form = SearchForm(request.GET or None, user=user)
    query = form.to_query()
    content = results_xlsx(user, query, form.to_filters())
    with transaction.atomic():
        record("search.export", actor=user, object_type="search", detail={"q": query.text})
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="search-results.xlsx"'
    return response


# --- related cases at registration -----------------------------------------------------------


@require_POST
@allowed(rules.can_register_cases)
def related(request: HttpRequest) -> HttpResponse:
    """HTMX, as the clerk types: the existing cases that may be the same person or matter.
    POST because the typed text can be long; it reads and writes nothing else."""
    draft = DraftForm(request.POST).to_draft()
    context = {"related": related_cases(request.user, draft)}
    return render(request, "search/_related.html", context)


# --- 同类问题归并 --------------------------------------------------------------------------


@require_GET
@allowed(rules.can_view_issue_groups)
def groups(request: HttpRequest) -> HttpResponse:
    """The groups of the chosen period, region and unit (the nightly run before any choice);
    while a run is being computed the result area polls this page."""
    user = signed_in_user(request)
    form = GroupFilterForm(request.GET or None, user=user)
    choice = form.to_choice()
    run = latest_run(user, choice) if form.is_bound else None
    if run is None and not form.is_bound:
        run = latest_default_run(user) or latest_run(user, choice)
    done = run is not None and run.status == GroupRunStatus.DONE
    keep = request.GET.copy()
    keep.pop("page", None)
    context = {
        "form": form,
        "choice": choice,
        "run": run,
        "done": done,
        "pending": run is not None and run.status in PENDING,
        "page": group_page(user, run, form.page_value) if run is not None and done else None,
        "keep_query": keep.urlencode(),
    }
    return render(request, "search/groups.html", context)


@require_POST
@allowed(rules.can_view_issue_groups)
def groups_refresh(request: HttpRequest) -> HttpResponse:
    """重新计算: queue a run of the chosen period, region and unit, then back to the page."""
    user = signed_in_user(request)
    form = GroupFilterForm(request.POST, user=user)
    choice = form.to_choice()
    try:
        request_group_run(actor=user, choice=choice)
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    else:
        messages.success(request, "已提交计算，完成后本页自动显示结果。")
    query = urlencode(
        {
            "period_from": choice.period_from.isoformat(),
            "period_to": choice.period_to.isoformat(),
            "region": choice.region_code,
            "unit": choice.unit.pk if choice.unit else "",
        }
    )
    return redirect(f"{reverse('search:groups')}?{query}")


@require_GET
@allowed(rules.can_view_issue_groups)
def group_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    group = group_for(user, pk)
    if group is None:
        raise Http404
    cases = group_cases(user, group)
    context = {
        "group": group,
        "cases": cases,
        "bars": group_bars(group),
        "can_hand_over": rules.can_hand_over_batches(user),
    }
    return render(request, "search/group_detail.html", context)


@require_GET
@allowed(rules.can_view_issue_groups)
def group_export(request: HttpRequest, pk: int) -> HttpResponse:
    """导出: the group's visible cases as .xlsx. Audited ``search.groups.export`` with the
    group and the row count."""
    user = signed_in_user(request)
    group = group_for(user, pk)
    if group is None:
        raise Http404
    cases = group_cases(user, group)
    content = group_xlsx(group.label, cases)
    with transaction.atomic():
        record(
            "search.groups.export",
            actor=user,
            target=group,
            detail={"label": group.label, "rows": len(cases)},
        )
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="issue-group-{group.pk}.xlsx"'
    return response
