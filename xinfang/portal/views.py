"""Public pages (no sign-in): submit, look up, evaluate, ask for 复查; one staff page for 回访.

A looked-up case is remembered in the visitor's session only; every page for it checks that
first, so knowing a number is never enough.
"""

from __future__ import annotations

import uuid
from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xinfang.accounts import rules
from xinfang.cases.models import Case
from xinfang.cases.queries import cases_visible_to
from xinfang.core.middleware import current_request
from xinfang.core.views import allowed, signed_in_user
from xinfang.documents.models import Document
from xinfang.portal import services
from xinfang.portal.enums import EvaluationChannel
from xinfang.portal.forms import (
    EvaluationForm,
    FollowUpForm,
    LookupForm,
    OnlinePetitionForm,
    ReviewRequestForm,
)

SESSION_KEY = "portal_cases"


def _remember(request: HttpRequest, case: Case) -> None:
    known = list(request.session.get(SESSION_KEY, []))[-9:]
    request.session.cycle_key()  # a new session id once a code proved who this is
    request.session[SESSION_KEY] = [*known, case.pk]


def _looked_up(request: HttpRequest, number: str) -> Case:
    """The case, if this visitor proved its 查询码 in this session; else 404."""
    case = Case.objects.filter(number=number).select_related(
        "registering_unit", "handling_unit", "responsible_unit", "review_unit"
    )
    found = case.first()
    if found is None or found.pk not in request.session.get(SESSION_KEY, []):
        raise Http404
    return found


def _address() -> str | None:
    context = current_request()
    return context.source_ip if context else None


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html")


@never_cache
@require_http_methods(["GET", "POST"])
def submit(request: HttpRequest) -> HttpResponse:
    """网上信访: the form, then a confirmation page with the number and the 查询码."""
    try:
        office = services.portal_office()
    except ValidationError as error:
        return render(request, "portal/closed.html", {"message": error.messages[0]}, status=503)
    form = OnlinePetitionForm(request.POST or None, request.FILES or None, office=office)
    key = request.POST.get("submission_key") or uuid.uuid4().hex
    if request.method == "POST" and form.is_valid():
        try:
            result = services.submit_petition(
                form.petition(),
                case=form.case_input(),
                attachments=form.cleaned_data["attachments"],
                submission_key=key[:40],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            _remember(request, result.case)
            context = {"case": result.case, "query_code": result.query_code}
            return render(request, "portal/submitted.html", context)
    status = 422 if request.method == "POST" else 200
    context = {"form": form, "office": office, "submission_key": key}
    return render(request, "portal/submit.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def lookup(request: HttpRequest) -> HttpResponse:
    form = LookupForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            case = services.find_case(
                number=form.cleaned_data["number"],
                query_code=form.cleaned_data["query_code"],
                address=_address(),
            )
        except services.LookupLockedError as locked:
            form.add_error(None, locked.message)
            status = 429
        except ValidationError as error:
            form.add_error(None, error)
            status = 422
        else:
            _remember(request, case)
            return redirect("portal:progress", number=case.number)
    elif request.method == "POST":
        status = 422
    return render(request, "portal/lookup.html", {"form": form}, status=status)


def _progress_page(
    request: HttpRequest,
    case: Case,
    *,
    evaluation: EvaluationForm | None = None,
    review: ReviewRequestForm | None = None,
    status: int = 200,
) -> HttpResponse:
    progress = services.public_progress(case)
    context = {
        "progress": progress,
        "evaluation_form": evaluation or EvaluationForm(),
        "review_form": review or ReviewRequestForm(),
        "offer_review": request.GET.get("offer") == "review" or review is not None,
    }
    return render(request, "portal/progress.html", context, status=status)


@never_cache
@require_GET
def progress(request: HttpRequest, number: str) -> HttpResponse:
    return _progress_page(request, _looked_up(request, number))


@require_POST
def evaluate(request: HttpRequest, number: str) -> HttpResponse:
    case = _looked_up(request, number)
    form = EvaluationForm(request.POST)
    if form.is_valid():
        try:
            services.evaluate(
                case,
                office_rating=form.cleaned_data["office_rating"],
                organ_rating=form.cleaned_data["organ_rating"],
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "感谢您的评价。")
            if services.is_dissatisfied(form.cleaned_data["organ_rating"]) and (
                services.public_progress(case).can_request_review
            ):
                messages.info(request, "您对处理意见不满意，可以在下方申请复查。")
                return redirect(f"{request.path.rsplit('evaluate/', 1)[0]}?offer=review#review")
            return redirect("portal:progress", number=case.number)
    return _progress_page(request, case, evaluation=form, status=422)


@require_POST
def review(request: HttpRequest, number: str) -> HttpResponse:
    case = _looked_up(request, number)
    form = ReviewRequestForm(request.POST)
    if form.is_valid():
        try:
            services.request_review(case, request_text=form.cleaned_data["request_text"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "复查申请已提交，复查机关将在收到之日起30日内作出复查意见。")
            return redirect("portal:progress", number=case.number)
    return _progress_page(request, case, review=form, status=422)


@require_GET
def notice(request: HttpRequest, number: str, uid: str) -> HttpResponse:
    case = _looked_up(request, number)
    document = get_object_or_404(
        Document.objects.all(), case=case, uid=uid, kind__in=services.PUBLIC_NOTICES
    )
    response = HttpResponse(
        bytes(document.content),
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(document.filename)}"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
@allowed(rules.can_work_cases)
def follow_up(request: HttpRequest, number: str) -> HttpResponse:
    """回访: staff record the petitioner's ratings from a phone call or a visit."""
    case = get_object_or_404(cases_visible_to(request.user), number=number)
    form = FollowUpForm(request.POST)
    if form.is_valid():
        try:
            services.evaluate(
                case,
                office_rating=form.cleaned_data["office_rating"],
                organ_rating=form.cleaned_data["organ_rating"],
                comment=form.cleaned_data["comment"],
                channel=EvaluationChannel(form.cleaned_data["channel"]),
                recorded_by=signed_in_user(request),
            )
        except ValidationError as error:
            messages.error(request, "；".join(error.messages))
        else:
            messages.success(request, "已登记回访评价。")
    else:
        messages.error(request, "请选择回访方式和两项评价。")
    return redirect("cases:detail", number=case.number)
