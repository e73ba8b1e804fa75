"""集中交办 pages: choose related cases, hand them over in one batch, track the batch."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_POST

from xinfang.accounts import rules
from xinfang.batches import services
from xinfang.batches.forms import HandOverForm, SelectionForm
from xinfang.batches.models import Batch
from xinfang.batches.queries import (
    CLOSED_STATUSES,
    MAX_CANDIDATES,
    assess,
    batch_detail,
    batch_list,
    chosen_cases,
    part_for_download,
    select_cases,
)
from xinfang.core.views import allowed, signed_in_user
from xinfang.documents.services import DOCX_CONTENT_TYPE


def _flag(request: HttpRequest, name: str) -> bool:
    return request.GET.get(name, "") in {"1", "on", "true"}


def _int(raw: str) -> int | None:
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < int(raw) < 2**62 else None


@require_GET
@allowed(rules.can_view_batches)
def batch_index(request: HttpRequest) -> HttpResponse:
    """集中交办 list: newest first, each with its progress; ``?overdue=1`` keeps the batches
    with a case past its due date."""
    overdue = _flag(request, "overdue")
    page = batch_list(
        request.user, overdue_only=overdue, before=_int(request.GET.get("before", ""))
    )
    context = {
        "page": page,
        "overdue": overdue,
        "can_hand_over": rules.can_hand_over_batches(request.user),
    }
    return render(request, "batches/list.html", context)


@require_GET
@allowed(rules.can_hand_over_batches)
def batch_new(request: HttpRequest) -> HttpResponse:
    """挑选事项: the cases waiting to be routed that match the words, filters or group, each
    with the 交办 step's verdict; the chosen ones go on to the hand-over form."""
    user = signed_in_user(request)
    form = SelectionForm(request.GET or None, user=user)
    selection = select_cases(
        user, query=form.to_query(), filters=form.to_filters(), group_id=form.group_id()
    )
    context = {
        "form": form,
        "selection": selection,
        "criteria": form.describe(selection.group),
        "max_candidates": MAX_CANDIDATES,
        "can_view_groups": rules.can_view_issue_groups(user),
    }
    return render(request, "batches/new.html", context)


@require_POST
@allowed(rules.can_hand_over_batches)
def batch_review(request: HttpRequest) -> HttpResponse:
    """集中交办: the chosen cases with their receiving units; submitting hands them all over
    in one service call, or shows what was refused with everything typed kept."""
    user = signed_in_user(request)
    candidates = assess(user, chosen_cases(user, request.POST.getlist("case")[:MAX_CANDIDATES]))
    eligible = [c for c in candidates if c.eligible]
    refused = [c for c in candidates if not c.eligible]
    submitted = "hand_over" in request.POST
    form = HandOverForm(
        request.POST if submitted else None,
        candidates=eligible,
        criteria=request.POST.get("criteria", ""),
    )
    status = 200
    if submitted:
        status = 422
        if form.is_valid():
            batch = _hand_over(request, form)
            if batch is not None:
                return redirect("batches:detail", pk=batch.pk)
    context = {"form": form, "refused": refused}
    return render(request, "batches/review.html", context, status=status)


def _hand_over(request: HttpRequest, form: HandOverForm) -> Batch | None:
    data = form.cleaned_data
    try:
        batch = services.hand_over_batch(
            actor=signed_in_user(request),
            title=data["title"],
            requirement=data["requirement"],
            due_on=data["due_on"],
            lines=form.lines(),
            criteria=data["criteria"],
            idempotency_key=data["key"] or None,
        )
    except services.HandOverRefusedError as error:
        form.show_refusals(error.refusals)
        form.add_error(None, error)
        return None
    except ValidationError as error:
        form.add_error(None, error)
        return None
    messages.success(
        request,
        f"已集中交办 {batch.items.count()} 件（{batch.number}），"
        f"已生成集中交办单 {batch.parts.count()} 份。",
    )
    return batch


@require_GET
@allowed(rules.can_view_batches)
def batch_page(request: HttpRequest, pk: int) -> HttpResponse:
    """One batch: per receiving unit its 集中交办单 and cases (status, due date and tier,
    办结 or not) and progress; ``?overdue=1`` shows only the cases past their due date."""
    overdue = _flag(request, "overdue")
    view = batch_detail(request.user, pk, overdue_only=overdue)
    context = {"view": view, "overdue": overdue, "closed_statuses": CLOSED_STATUSES}
    return render(request, "batches/detail.html", context)


@require_GET
@allowed(rules.can_view_batches)
def notice_download(request: HttpRequest, pk: int, uid: uuid.UUID) -> HttpResponse:
    """One receiving unit's 集中交办单 as .docx; audited."""
    part = part_for_download(request.user, pk, uid)
    services.record_notice_download(part, actor=signed_in_user(request))
    response = HttpResponse(bytes(part.content), content_type=DOCX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, part.filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"  # it names people: keep it out of caches
    return response
