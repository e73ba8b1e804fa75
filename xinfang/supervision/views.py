"""Supervision pages. Each view: scope through the queries, check, bind, call one service."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xinfang.accounts import rules
from xinfang.cases.models import Case
from xinfang.cases.queries import cases_visible_to
from xinfang.core.views import allowed, signed_in_user
from xinfang.supervision import queries, services
from xinfang.supervision.enums import OrderStatus
from xinfang.supervision.forms import (
    AnswerForm,
    DelistForm,
    InstructionForm,
    IssueOrderForm,
    ListingForm,
    ReleaseForm,
    ReminderForm,
    ReviewAnswerForm,
    TakeForm,
)
from xinfang.supervision.models import LeaderCase, Listing, Notification, SupervisionOrder
from xinfang.supervision.services import StaleOrderError

# --- 督办单 -------------------------------------------------------------------------------------


@require_GET
@allowed(rules.can_work_cases)
def board(request: HttpRequest) -> HttpResponse:
    """督办: the orders this person may read, by tab (待答复 / 临期 / 超期 / 已答复 / 已办结)."""
    context = {
        "board": queries.board(request.user, request.GET.get("tab", "open")),
        "tabs": queries.BOARD_TABS,
    }
    return render(request, "supervision/board.html", context)


def _case_in_scope(request: HttpRequest) -> QuerySet[Case]:
    return cases_visible_to(request.user).select_related(
        "responsible_unit", "handling_unit", "registering_unit"
    )


def _visible_case(request: HttpRequest, number: str) -> Case:
    return get_object_or_404(_case_in_scope(request), number=number)


@require_http_methods(["GET", "POST"])
@allowed(rules.can_supervise)
def issue(request: HttpRequest) -> HttpResponse:
    """发起督办: by case number (prefilled from the case page)."""
    form = IssueOrderForm(request.POST or None, initial={"case_number": request.GET.get("case")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        case = _case_in_scope(request).filter(number=data["case_number"].strip()).first()
        if case is None:
            form.add_error("case_number", "找不到该信访件编号，或该事项不在您的工作范围内。")
        else:
            try:
                order = services.issue_order(
                    case,
                    actor=signed_in_user(request),
                    requirement=data["requirement"],
                    due_on=data["due_on"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, f"已发出督办单 {order.number}，送{order.issued_to}。")
                return redirect("supervision:order", pk=order.pk)
    status = 422 if form.errors else 200
    return render(request, "supervision/issue.html", {"form": form}, status=status)


def _order_context(request: HttpRequest, order: SupervisionOrder, **forms: Form) -> dict[str, Any]:
    user = signed_in_user(request)
    can_answer = services.may_answer(order, user) and order.status == OrderStatus.OPEN
    can_review = services.may_review(order, user) and order.status == OrderStatus.ANSWERED
    return {
        "order": order,
        "answer_form": forms.get("answer_form") or (AnswerForm() if can_answer else None),
        "review_form": forms.get("review_form") or (ReviewAnswerForm() if can_review else None),
    }


@require_GET
@allowed(rules.can_work_cases)
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_object_or_404(queries.order_for_detail(request.user, pk))
    return render(request, "supervision/order.html", _order_context(request, order))


@require_POST
@allowed(rules.can_answer_supervision)
def answer(request: HttpRequest, pk: int) -> HttpResponse:
    """书面答复 by the unit the order went to; a refusal keeps the text on the page."""
    order = get_object_or_404(queries.order_for_detail(request.user, pk))
    form = AnswerForm(request.POST)
    if form.is_valid():
        try:
            services.answer_order(
                order, actor=signed_in_user(request), text=form.cleaned_data["text"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        except StaleOrderError as error:
            return _stale(request, pk, error)
        else:
            messages.success(request, f"已答复督办单 {order.number}。")
            return redirect("supervision:order", pk=order.pk)
    context = _order_context(request, order, answer_form=form)
    return render(request, "supervision/order.html", context, status=422)


@require_POST
@allowed(rules.can_supervise)
def review(request: HttpRequest, pk: int) -> HttpResponse:
    """认可答复（办结督办）or 退回重新答复."""
    order = get_object_or_404(queries.order_for_detail(request.user, pk))
    form = ReviewAnswerForm(request.POST)
    if form.is_valid():
        user, comment = signed_in_user(request), form.cleaned_data["comment"]
        try:
            if form.cleaned_data["decision"] == "accept":
                services.accept_answer(order, actor=user, comment=comment)
                done = f"已认可答复，督办单 {order.number} 办结。"
            else:
                services.send_back_answer(order, actor=user, comment=comment)
                done = f"已退回督办单 {order.number}，请被督办单位于{order.due_on}前重新答复。"
        except ValidationError as error:
            form.add_error(None, error)
        except StaleOrderError as error:
            return _stale(request, pk, error)
        else:
            messages.success(request, done)
            return redirect("supervision:order", pk=order.pk)
    context = _order_context(request, order, review_form=form)
    return render(request, "supervision/order.html", context, status=422)


def _stale(request: HttpRequest, pk: int, error: StaleOrderError) -> HttpResponse:
    messages.error(request, error.message)
    order = get_object_or_404(queries.order_for_detail(request.user, pk))
    return render(request, "supervision/order.html", _order_context(request, order), status=409)


# --- on a case: 批示、催办、挂牌、包案 ----------------------------------------------------------


def _case_action_failed(
    request: HttpRequest, case: Case, form: Form, title: str, action: str
) -> HttpResponse:
    """A refused form from the case page: shown again on its own page with what was typed."""
    context = {"case": case, "form": form, "title": title, "action": action}
    return render(request, "supervision/case_action.html", context, status=422)


def _back_to_case(request: HttpRequest, case: Case, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect(reverse("cases:detail", args=[case.number]) + "#supervision")


@require_POST
@allowed(rules.can_instruct)
def instruct(request: HttpRequest, number: str) -> HttpResponse:
    case = _visible_case(request, number)
    form = InstructionForm(request.POST)
    if form.is_valid():
        try:
            services.add_instruction(
                case, actor=signed_in_user(request), text=form.cleaned_data["text"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return _back_to_case(request, case, "已作出批示。")
    action = reverse("supervision:instruct", args=[case.number])
    return _case_action_failed(request, case, form, "领导批示", action)


@require_POST
@allowed(rules.can_supervise)
def remind(request: HttpRequest, number: str) -> HttpResponse:
    case = _visible_case(request, number)
    form = ReminderForm(request.POST)
    if form.is_valid():
        try:
            services.send_reminder(
                case, actor=signed_in_user(request), text=form.cleaned_data["text"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return _back_to_case(request, case, "已催办。")
    action = reverse("supervision:remind", args=[case.number])
    return _case_action_failed(request, case, form, "催办", action)


@require_POST
@allowed(rules.can_supervise)
def list_case(request: HttpRequest, number: str) -> HttpResponse:
    case = _visible_case(request, number)
    user = signed_in_user(request)
    form = ListingForm(request.POST, unit=user.unit)
    if form.is_valid():
        try:
            listing = services.list_case(case, actor=user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return _back_to_case(request, case, f"已挂牌督办（{listing.number}）。")
    action = reverse("supervision:list_case", args=[case.number])
    return _case_action_failed(request, case, form, "挂牌督办", action)


@require_POST
@allowed(rules.can_take_cases)
def take(request: HttpRequest, number: str) -> HttpResponse:
    case = _visible_case(request, number)
    form = TakeForm(request.POST)
    if form.is_valid():
        try:
            services.take_case(case, actor=signed_in_user(request), note=form.cleaned_data["note"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return _back_to_case(request, case, "已包案，可在“我的包案”中查看。")
    action = reverse("supervision:take", args=[case.number])
    return _case_action_failed(request, case, form, "领导包案", action)


# --- 挂牌督办名单, 我的包案 ----------------------------------------------------------------------


@require_GET
@allowed(rules.can_work_cases)
def listed(request: HttpRequest) -> HttpResponse:
    """挂牌督办名单 (public to staff; no personal data)."""
    current = request.GET.get("show") != "delisted"
    context = {
        "listings": queries.listings(request.user, current=current),
        "current": current,
        "can_supervise": rules.can_supervise(request.user),
    }
    return render(request, "supervision/listed.html", context)


@require_POST
@allowed(rules.can_supervise)
def delist(request: HttpRequest, pk: int) -> HttpResponse:
    listing = get_object_or_404(
        Listing.objects.filter(case__in=cases_visible_to(request.user)).select_related("case"),
        pk=pk,
    )
    form = DelistForm(request.POST)
    if form.is_valid():
        try:
            services.delist_case(listing, actor=signed_in_user(request), **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{listing.number} 已摘牌。")
            return redirect("supervision:listed")
    action = reverse("supervision:delist", args=[listing.pk])
    return _case_action_failed(request, listing.case, form, f"摘牌：{listing.name}", action)


@require_GET
@allowed(rules.can_take_cases)
def mine(request: HttpRequest) -> HttpResponse:
    """我的包案: the leader's own desk."""
    context = {"desk": queries.leader_desk(request.user), "release_form": ReleaseForm()}
    return render(request, "supervision/mine.html", context)


@require_POST
@allowed(rules.can_take_cases)
def release(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    taken = get_object_or_404(
        LeaderCase.objects.filter(
            leader=user, released_on__isnull=True, case__in=cases_visible_to(user)
        ).select_related("case"),
        pk=pk,
    )
    form = ReleaseForm(request.POST)
    if form.is_valid():
        try:
            services.release_case(taken, actor=user, note=form.cleaned_data["note"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"已结束对 {taken.case.number} 的包案。")
            return redirect("supervision:mine")
    action = reverse("supervision:release", args=[taken.pk])
    return _case_action_failed(request, taken.case, form, "结束包案", action)


# --- 通知 ---------------------------------------------------------------------------------------


@require_GET
@allowed(rules.can_work_cases)
def notifications(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    unread_only = request.GET.get("show") != "all"
    context = {
        "notifications": queries.notifications_of(user, unread_only=unread_only),
        "unread_only": unread_only,
        "unread": queries.unread_count(user),
    }
    return render(request, "supervision/notifications.html", context)


@require_POST
@allowed(rules.can_work_cases)
def open_notification(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one's own notice read and go where it points (a path inside this site only)."""
    user = signed_in_user(request)
    notification = get_object_or_404(Notification, pk=pk, recipient=user)
    services.mark_read(notification, actor=user)
    target = notification.url
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        return redirect(target)
    return redirect("notifications:list")


@require_POST
@allowed(rules.can_work_cases)
def read_all(request: HttpRequest) -> HttpResponse:
    count = services.mark_all_read(actor=signed_in_user(request))
    messages.success(request, f"已将 {count} 条通知标为已读。")
    return redirect("notifications:list")
