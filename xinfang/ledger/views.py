"""台账导入 pages. Thin: scope through ``imports_visible_to`` (out of scope → 404), bind a form,
call one service, redirect."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xinfang.accounts import rules
from xinfang.core.views import allowed, signed_in_user
from xinfang.ledger import services, storage
from xinfang.ledger.enums import ACTIVE_STATUSES, ImportStatus, LedgerField
from xinfang.ledger.exporters import rejected_rows_xlsx
from xinfang.ledger.forms import MappingForm, UploadForm
from xinfang.ledger.models import LedgerImport
from xinfang.ledger.queries import imports_visible_to, preview

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHOWN_REJECTED = 1000


def _ledger(request: HttpRequest, uid: UUID) -> LedgerImport:
    return get_object_or_404(imports_visible_to(request.user), uid=uid)


@require_http_methods(["GET", "POST"])
@allowed(rules.can_import_ledgers)
def index(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    form = UploadForm(request.POST or None, request.FILES or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            ledger = services.upload_ledger(
                actor=user,
                upload=form.upload(),
                source=form.cleaned_data["source"],
                preset=form.cleaned_data["preset"],
            )
        except ValidationError as error:
            form.add_error("file", error)
        else:
            return redirect("ledger:mapping", uid=ledger.uid)
    status = 422 if form.errors else 200
    imports = imports_visible_to(user)[:50]
    return render(request, "ledger/index.html", {"form": form, "imports": imports}, status=status)


@require_http_methods(["GET", "POST"])
@allowed(rules.can_import_ledgers)
def mapping(request: HttpRequest, uid: UUID) -> HttpResponse:
    ledger, user = _ledger(request, uid), signed_in_user(request)
    if ledger.status not in (ImportStatus.UPLOADED, ImportStatus.MAPPED):
        return redirect("ledger:detail", uid=ledger.uid)
    form = MappingForm(request.POST or None, ledger=ledger, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_mapping(ledger, actor=user, data=form.to_input())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect("ledger:preview", uid=ledger.uid)
    status = 422 if form.errors else 200
    return render(request, "ledger/mapping.html", {"ledger": ledger, "form": form}, status=status)


@require_http_methods(["GET", "POST"])
@allowed(rules.can_import_ledgers)
def preview_page(request: HttpRequest, uid: UUID) -> HttpResponse:
    ledger, user = _ledger(request, uid), signed_in_user(request)
    if ledger.status != ImportStatus.MAPPED:
        return redirect("ledger:detail", uid=ledger.uid)
    if request.method == "POST":
        try:
            services.start_import(ledger, actor=user)
        except ValidationError as error:
            messages.error(request, error.messages[0])
        return redirect("ledger:detail", uid=ledger.uid)
    data = storage.load(str(ledger.uid))
    if data is None:
        raise Http404
    rows = preview(ledger, services.row_parser(ledger, user), data)
    labels = [LedgerField(name).label for name in ledger.columns]
    context = {"ledger": ledger, "rows": rows, "labels": labels}
    return render(request, "ledger/preview.html", context)


@require_GET
@allowed(rules.can_import_ledgers)
def detail(request: HttpRequest, uid: UUID) -> HttpResponse:
    ledger = _ledger(request, uid)
    rejected = ledger.rejected_rows.all()[:SHOWN_REJECTED]
    context = {
        "ledger": ledger,
        "rejected": rejected,
        "active": ledger.status in ACTIVE_STATUSES,
        "shown_rejected": SHOWN_REJECTED,
    }
    polled = request.htmx  # type: ignore[attr-defined]
    template = "ledger/detail.html#progress" if polled else "ledger/detail.html"
    return render(request, template, context)


@require_GET
@allowed(rules.can_import_ledgers)
def rejected_xlsx(request: HttpRequest, uid: UUID) -> HttpResponse:
    ledger = _ledger(request, uid)
    content = rejected_rows_xlsx(ledger)
    if content is None:
        messages.error(request, "原文件已超过保留期限并已删除，无法生成未导入行的文件。")
        return redirect("ledger:detail", uid=ledger.uid)
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="rejected-{ledger.uid}.xlsx"'
    return response


@require_POST
@allowed(rules.can_import_ledgers)
def discard(request: HttpRequest, uid: UUID) -> HttpResponse:
    ledger = _ledger(request, uid)
    try:
        services.discard_import(ledger, actor=signed_in_user(request))
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect("ledger:detail", uid=ledger.uid)
    messages.info(request, f"已放弃导入 {ledger.file_name}，上传的文件已删除。")
    return redirect("ledger:index")
