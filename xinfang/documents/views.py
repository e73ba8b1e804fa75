"""Downloading a case's notices, and the 系统管理员's page for the notice templates."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xinfang.accounts import rules
from xinfang.core.views import allowed, signed_in_user
from xinfang.documents import services
from xinfang.documents.builtin import builtin_template
from xinfang.documents.enums import NoticeKind
from xinfang.documents.forms import TemplateUploadForm
from xinfang.documents.queries import document_for_download, template_history, template_overview


def _docx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=services.DOCX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"  # notices name people: keep them out of caches
    return response


@require_GET
@allowed(rules.can_work_cases)
def download(request: HttpRequest, number: str, uid: uuid.UUID) -> HttpResponse:
    """One notice of a visible case as .docx; audited."""
    document = document_for_download(request.user, number, uid)
    services.record_download(document, actor=signed_in_user(request))
    return _docx_response(bytes(document.content), document.filename)


# --- templates (系统管理员) ----------------------------------------------------------------------


def _kind(value: str) -> NoticeKind:
    if value not in NoticeKind.values:
        raise Http404
    return NoticeKind(value)


@require_GET
@allowed(rules.can_manage_accounts)
def template_list(request: HttpRequest) -> HttpResponse:
    """文书模板: every kind with the template in use (built-in or uploaded)."""
    return render(request, "documents/template_list.html", {"rows": template_overview()})


def _render_detail(
    request: HttpRequest, kind: NoticeKind, form: TemplateUploadForm, status: int = 200
) -> HttpResponse:
    history = template_history(kind)
    allowed_names = {
        name: text
        for name, text in services.PLACEHOLDERS.items()
        if kind == NoticeKind.ACCEPTANCE or name not in services.ACCEPTANCE_ONLY
    }
    context = {
        "kind": kind,
        "form": form,
        "history": history,
        "active": next((t for t in history if t.is_active), None),
        "placeholders": allowed_names,
    }
    return render(request, "documents/template_detail.html", context, status=status)


@require_http_methods(["GET", "POST"])
@allowed(rules.can_manage_accounts)
def template_detail(request: HttpRequest, kind: str) -> HttpResponse:
    """One kind: its versions, the placeholders, and the upload of a replacement."""
    notice = _kind(kind)
    form = TemplateUploadForm(request.POST or None, request.FILES or None)
    if request.method == "GET" or not form.is_valid():
        return _render_detail(request, notice, form, 200 if request.method == "GET" else 422)
    try:
        template = services.replace_template(
            notice, actor=signed_in_user(request), upload=form.cleaned_data["file"]
        )
    except ValidationError as error:
        for message in error.messages:
            form.add_error("file", message)
        return _render_detail(request, notice, form, 422)
    messages.success(request, f"已启用{notice.label}模板第 {template.version} 版。")
    return redirect("documents:template", kind=notice.value)


@require_GET
@allowed(rules.can_manage_accounts)
def template_download(request: HttpRequest, kind: str) -> HttpResponse:
    """The template in use, to edit in Word and upload again."""
    notice = _kind(kind)
    current = services.current_template(notice)
    label = f"第{current.uploaded.version}版" if current.uploaded else "内置"
    return _docx_response(current.content, f"{notice.label}_模板_{label}.docx")


@require_GET
@allowed(rules.can_manage_accounts)
def builtin_download(request: HttpRequest, kind: str) -> HttpResponse:
    """The built-in template, even while a replacement is in use."""
    notice = _kind(kind)
    return _docx_response(builtin_template(notice), f"{notice.label}_模板_内置.docx")


@require_POST
@allowed(rules.can_manage_accounts)
def template_revert(request: HttpRequest, kind: str) -> HttpResponse:
    notice = _kind(kind)
    try:
        services.revert_template(notice, actor=signed_in_user(request))
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    else:
        messages.success(request, f"{notice.label}已恢复使用内置模板。")
    return redirect("documents:template", kind=notice.value)
