"""检索 page: thin — the form reads the request, the query does the work."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from xinfang.accounts import rules
from xinfang.audit.services import record
from xinfang.core.views import allowed, signed_in_user
from xinfang.search.exporters import MAX_EXPORT_ROWS, results_xlsx
from xinfang.search.forms import SearchForm
from xinfang.search.queries import MAX_RESULTS, search_page

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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
