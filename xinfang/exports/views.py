"""个人信息导出 pages: thin — forms read the request, the services decide."""

from __future__ import annotations

from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from xinfang.accounts import rules
from xinfang.accounts.models import User
from xinfang.core.views import allowed, signed_in_user
from xinfang.exports.forms import DecisionForm, ExportRequestForm, describe_filters, list_query
from xinfang.exports.models import PersonalDataExport
from xinfang.exports.services import (
    ExportAlreadyDecidedError,
    ExportRefusedError,
    count_capped,
    decide_export,
    download_export,
    exportable_cases,
    may_decide,
    request_export,
    waiting_for,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _uses_exports(user: User | AnonymousUser) -> bool:
    return rules.can_request_personal_export(user) or rules.can_approve_personal_exports(user)


@require_http_methods(["GET"])
@allowed(_uses_exports)
def index(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    mine = PersonalDataExport.objects.filter(requested_by=user).select_related("decided_by")[:50]
    context = {"mine": mine, "waiting": waiting_for(user)[:100], "decision_form": DecisionForm()}
    return render(request, "exports/index.html", context)


@require_http_methods(["GET", "POST"])
@allowed(rules.can_request_personal_export)
def new(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if request.method == "POST":
        form = ExportRequestForm(request.POST)
        query = list_query(QueryDict(request.POST.get("query", "")))
        if form.is_valid():
            try:
                request_export(
                    actor=user,
                    reason=form.cleaned_data["reason"],
                    query=query,
                    summary=describe_filters(query, user),
                    fields=form.cleaned_data["fields_wanted"],
                )
            except ValidationError as error:
                for field, texts in error.message_dict.items():
                    for text in texts:
                        form.add_error(None if field == "__all__" else _form_field(field), text)
            else:
                messages.success(request, "导出申请已提交，待领导审批后可下载一次。")
                return redirect("exports:index")
        status = 422
    else:
        query = list_query(request.GET)
        form = ExportRequestForm(initial={"query": _encode(query)})
        status = 200
    context = {
        "form": form,
        "summary": describe_filters(query, user),
        "count": count_capped(exportable_cases(user, query)),
        "limit": settings.XF_EXPORT_MAX_ROWS,
    }
    return render(request, "exports/new.html", context, status=status)


def _form_field(field: str) -> str:
    return "fields_wanted" if field == "fields" else field


def _encode(query: dict[str, str]) -> str:
    data = QueryDict(mutable=True)
    data.update(query)
    return data.urlencode()


@require_POST
@allowed(rules.can_approve_personal_exports)
def decide(request: HttpRequest, uid: UUID) -> HttpResponse:
    user = signed_in_user(request)
    export = get_object_or_404(PersonalDataExport.objects.select_related("unit"), uid=uid)
    if not may_decide(user, export):
        raise PermissionDenied
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请选择批准或驳回。")
        return redirect("exports:index")
    try:
        decide_export(
            export,
            actor=user,
            approve=form.cleaned_data["decision"] == "approve",
            note=form.cleaned_data["note"],
        )
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    except ExportAlreadyDecidedError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "已审批。")
    return redirect("exports:index")


@require_POST
@allowed(rules.can_request_personal_export)
def download(request: HttpRequest, uid: UUID) -> HttpResponse:
    user = signed_in_user(request)
    export = get_object_or_404(PersonalDataExport, uid=uid, requested_by=user)
    try:
        content = download_export(export, actor=user)
    except ExportRefusedError as error:
        messages.error(request, error.message)
        return redirect("exports:index")
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="personal-data-{uid.hex[:8]}.xlsx"'
    response["Cache-Control"] = "no-store"
    return response
