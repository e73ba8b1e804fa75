"""Case pages. Each view: scope through the visibility query, check, bind, call one service."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xinfang.accounts import rules
from xinfang.cases import holidays, routing, services
from xinfang.cases.access import is_recused, may_see_petitioner
from xinfang.cases.deadlines import Calendar
from xinfang.cases.enums import FINAL_STATUSES, CaseStatus, EventKind
from xinfang.cases.forms import (
    AddContactForms,
    AttachmentForm,
    CalendarDayForm,
    CaseFilterForm,
    NoteForm,
    RecusalForm,
    RegistrationForms,
    RoutingRuleForm,
)
from xinfang.cases.models import CalendarOverride, Case, Petitioner, RoutingRule
from xinfang.cases.queries import (
    DESK_TABS,
    attachment_for_download,
    case_for_detail,
    case_page,
    cases_visible_to,
    desk,
    due_soon_page,
)
from xinfang.cases.step_forms import ENDING_STEPS, STEP_FORMS, StepForm
from xinfang.cases.steps import SERVICES
from xinfang.cases.workflow import Action, ConcurrentChangeError, available_actions
from xinfang.core.views import allowed, signed_in_user
from xinfang.portal.forms import FollowUpForm
from xinfang.search.forms import DraftForm
from xinfang.search.related import related_cases

if TYPE_CHECKING:
    from xinfang.ledger.models import ImportedRow


@require_GET
@allowed(rules.can_work_cases)
def case_list(request: HttpRequest) -> HttpResponse:
    form = CaseFilterForm(request.GET or None, user=signed_in_user(request))
    page = case_page(
        request.user,
        form.to_filters(),
        after=request.GET.get("after", ""),
        before=request.GET.get("before", ""),
    )
    query = request.GET.copy()
    query.pop("after", None)
    query.pop("before", None)
    context = {"form": form, "page": page, "filter_query": query.urlencode()}
    return render(request, "cases/list.html", context)


def _render_registration(
    request: HttpRequest, forms: RegistrationForms, status: int = 200
) -> HttpResponse:
    # Beside the form: existing cases of the same person or matter (xinfang.search.related),
    # from what was typed so far; the panel refreshes itself as the clerk types.
    draft = DraftForm(request.POST if request.method == "POST" else None).to_draft()
    context = {"forms": forms, "related": related_cases(request.user, draft)}
    return render(request, "cases/register.html", context, status=status)


@require_http_methods(["GET", "POST"])
@allowed(rules.can_register_cases)
def register(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if request.method == "GET":
        return _render_registration(request, RegistrationForms(user))
    forms = RegistrationForms(user, request.POST, request.FILES)
    if "add_petitioner" in request.POST or "lookup" in request.POST:
        if "add_petitioner" in request.POST:
            forms.with_one_more_petitioner(request.POST)
        forms.draft = True
        return _render_registration(request, forms)
    if request.POST.get("attach_to"):
        return _attach_as_repeat(request, forms, request.POST["attach_to"])
    if not forms.is_valid():
        return _render_registration(request, forms, status=422)
    try:
        result = services.register_case(
            actor=user,
            contact=forms.contact.to_input(),
            case=forms.matter.to_input(),
            petitioners=forms.petitioners.to_inputs(),
            attachments=forms.matter.cleaned_data["attachments"],
            idempotency_key=forms.idempotency_key,
        )
    except ValidationError as error:
        forms.matter.add_error(None, error)
        return _render_registration(request, forms, status=422)
    for warning in result.warnings:
        messages.warning(request, warning)
    if result.created:
        messages.success(
            request, f"已登记 {result.case.number}，查询码 {result.query_code}（请告知信访人）。"
        )
    else:
        messages.info(request, f"该登记已提交过（{result.case.number}），没有重复创建。")
    return redirect("cases:detail", number=result.case.number)


def _attach_as_repeat(request: HttpRequest, forms: RegistrationForms, number: str) -> HttpResponse:
    """作为重访登记: the same people and visit, counted on an existing case."""
    case = get_object_or_404(cases_visible_to(request.user), number=number)
    if not (forms.people_are_valid() and _record_repeat(request, case, forms)):
        return _render_registration(request, forms, status=422)
    messages.success(request, f"已作为重复信访记入 {case.number}，未新建事项。")
    return redirect("cases:detail", number=case.number)


def _record_repeat(
    request: HttpRequest, case: Case, forms: RegistrationForms | AddContactForms
) -> bool:
    """重复信访 from validated contact and people forms; a refusal lands on the contact form."""
    try:
        services.add_contact(
            case,
            actor=signed_in_user(request),
            contact=forms.contact.to_input(),
            petitioners=forms.petitioners.to_inputs(),
        )
    except ValidationError as error:
        forms.contact.add_error(None, error)
        return False
    return True


@require_GET
@allowed(rules.can_register_cases)
def person_lookup(request: HttpRequest) -> HttpResponse:
    """HTMX: the related-cases panel for the ID number being typed (any ``*id_number``
    parameter); the panel's own request, with the whole form, follows it."""
    draft = DraftForm(request.GET).to_draft()
    context = {"related": related_cases(request.user, draft)}
    return render(request, "cases/register.html#existing-cases", context)


@require_GET
@allowed(rules.can_work_cases)
def detail(request: HttpRequest, number: str) -> HttpResponse:
    # The ledger row it came from (its imported reply) in the same query.
    case = get_object_or_404(case_for_detail(request.user, number).select_related("ledger_row"))
    return render(request, "cases/detail.html", _detail_context(request, case))


def _detail_context(
    request: HttpRequest, case: Case, *, bound: StepForm | None = None, bound_action: str = ""
) -> dict[str, object]:
    """The case page: facts, people, timeline, and the steps this user may take now (with the
    form that failed, if one did, bound to what the person typed)."""
    user = signed_in_user(request)
    step_forms = [
        (
            action,
            bound
            if bound is not None and action == bound_action
            else STEP_FORMS[action](case=case, user=user, action=action),
        )
        for action in available_actions(user, case)
    ]
    timeline = sorted(
        [("contact", c.occurred_at, c) for c in case.contacts.all()]
        + [("event", e.occurred_at, e) for e in case.events.all()],
        key=lambda item: item[1],
    )
    # 检举控告保密 and 回避 (xinfang.cases.access): the petitioners, attachments and notices of
    # a withheld case were never loaded; these say why the page shows none.
    withheld, recused = not may_see_petitioner(user, case), is_recused(user, case)
    return {
        "case": case,
        "timeline": timeline,
        "accuser_withheld": withheld,
        "recused": recused,
        "recusal_form": RecusalForm(actor=user),
        "can_record_recusals": rules.can_record_recusals(user),
        "max_transfers": settings.XF_MAX_TRANSFERS,
        "can_reveal": rules.can_reveal_personal_data(request.user) and not recused,
        "can_register": rules.can_register_cases(request.user),
        "can_upload": rules.can_upload_attachments(request.user) and not (withheld or recused),
        "attachment_form": AttachmentForm(),
        "step_forms": step_forms,
        "open_step": bound_action,
        "ending_steps": ENDING_STEPS,
        "finished_statuses": {*FINAL_STATUSES, CaseStatus.CLOSED},
        "follow_up_form": FollowUpForm() if case.served_on else None,
        "note_form": NoteForm(),
        "imported_reply": _imported_reply(case),
    }


def _imported_reply(case: Case) -> ImportedRow | None:
    """The ledger row the case was imported from, when it brought a reply (答复意见)."""
    row: ImportedRow | None = getattr(case, "ledger_row", None)
    return row if row is not None and (row.reply or row.replied_on) else None


@require_POST
@allowed(rules.can_work_cases)
def step(request: HttpRequest, number: str, action: str) -> HttpResponse:
    """One workflow step: bind its form, call its service, back to the case page."""
    case = get_object_or_404(case_for_detail(request.user, number))
    if action not in Action.values:
        raise Http404
    chosen, user = Action(action), signed_in_user(request)
    form = STEP_FORMS[chosen](request.POST, case=case, user=user, action=chosen)
    status = 422
    if form.is_valid():
        try:
            if form.cleaned_data["version"] != case.version:
                raise ConcurrentChangeError()
            result = SERVICES[chosen](case, actor=user, **form.arguments())
        except ValidationError as error:
            form.add_error(None, error)
        except ConcurrentChangeError as error:
            messages.error(request, error.message)
            status = 409
        else:
            numbers = "、".join(d.number for d in result.documents)
            done = f"已{chosen.label}。" + (f"已生成文书 {numbers}。" if numbers else "")
            messages.success(request, done)
            return redirect("cases:detail", number=case.number)
    if status == 409:
        case = get_object_or_404(case_for_detail(request.user, number))
        return render(request, "cases/detail.html", _detail_context(request, case), status=409)
    context = _detail_context(request, case, bound=form, bound_action=chosen)
    return render(request, "cases/detail.html", context, status=status)


@require_GET
@allowed(rules.can_work_cases)
def due_soon(request: HttpRequest) -> HttpResponse:
    """我的待办期限: the cases whose next step the user's unit owes, by due date."""
    page = due_soon_page(signed_in_user(request), after=request.GET.get("after"))
    context = {"cases": page.cases, "next_after": page.next_after, "paged": "after" in request.GET}
    return render(request, "cases/due_soon.html", context)


@require_POST
@allowed(rules.can_reveal_personal_data)
def reveal(request: HttpRequest, number: str, uid: str) -> HttpResponse:
    """显示完整信息: audited; HTMX swaps one row, a plain POST shows the page with it open."""
    case = get_object_or_404(case_for_detail(request.user, number))
    person = get_object_or_404(Petitioner, uid=uid, case_links__case=case)
    revealed = services.reveal_personal_data(person, actor=signed_in_user(request), case=case)
    if request.htmx:  # type: ignore[attr-defined]
        link = case.case_petitioners.get(petitioner=person)
        context = {"link": link, "revealed": revealed, "case": case, "can_reveal": True}
        return render(request, "cases/detail.html#petitioner-row", context)
    context = _detail_context(request, case) | {"revealed_uid": person.uid, "revealed": revealed}
    return render(request, "cases/detail.html", context)


@require_http_methods(["GET", "POST"])
@allowed(rules.can_register_cases)
def add_contact(request: HttpRequest, number: str) -> HttpResponse:
    case = get_object_or_404(cases_visible_to(request.user), number=number)
    forms = AddContactForms(signed_in_user(request), request.POST or None)
    if request.method == "POST" and forms.is_valid() and _record_repeat(request, case, forms):
        messages.success(request, "已登记重复信访。")
        return redirect("cases:detail", number=case.number)
    status = 422 if request.method == "POST" else 200
    return render(request, "cases/add_contact.html", {"case": case, "forms": forms}, status=status)


@require_POST
@allowed(rules.can_upload_attachments)
def upload_attachment(request: HttpRequest, number: str) -> HttpResponse:
    case = get_object_or_404(cases_visible_to(request.user), number=number)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.add_attachment(
                case, actor=signed_in_user(request), upload=form.cleaned_data["file"]
            )
        except ValidationError as error:
            messages.error(request, "；".join(error.messages))
        else:
            messages.success(request, "附件已上传。")
    else:
        messages.error(
            request, "；".join(str(m) for errors in form.errors.values() for m in errors)
        )
    return redirect("cases:detail", number=case.number)


@require_GET
@allowed(rules.can_work_cases)
def download_attachment(request: HttpRequest, number: str, uid: uuid.UUID) -> FileResponse:
    attachment = attachment_for_download(request.user, number, uid)
    response = FileResponse(
        services.attachment_path(attachment).open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_http_methods(["GET", "POST"])
@allowed(rules.can_manage_accounts)
def calendar_days(request: HttpRequest) -> HttpResponse:
    """节假日调整: list a year's entries and add one; the due dates follow on the queue."""
    year = _year(request.GET.get("year", ""))
    form = CalendarDayForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            holidays.set_calendar_day(
                actor=signed_in_user(request),
                day=data["day"],
                is_workday=data["kind"] == "workday",
                name=data["name"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"已保存 {data['day']:%Y-%m-%d}，相关办理期限将自动重算。")
            return redirect(f"{reverse('cases:calendar')}?year={data['day'].year}")
    context = {
        "form": form,
        "year": year,
        "rows": CalendarOverride.objects.filter(day__year=year),
        "provisional": Calendar().is_provisional(dt.date(year, 6, 1)),
    }
    return render(request, "cases/calendar.html", context, status=422 if form.errors else 200)


def _year(raw: str) -> int:
    today = timezone.localdate()
    try:
        year = int(raw)
    except ValueError:
        return today.year
    return year if 2000 <= year <= 2100 else today.year


@require_POST
@allowed(rules.can_manage_accounts)
def calendar_day_remove(request: HttpRequest, day: str) -> HttpResponse:
    try:
        parsed = dt.date.fromisoformat(day)
        holidays.remove_calendar_day(actor=signed_in_user(request), day=parsed)
    except ValueError:
        raise Http404 from None
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
        return redirect("cases:calendar")
    messages.success(request, f"已删除 {parsed:%Y-%m-%d} 的调整，相关办理期限将自动重算。")
    return redirect(f"{reverse('cases:calendar')}?year={parsed.year}")


@require_GET
@allowed(rules.can_work_cases)
def desk_view(request: HttpRequest) -> HttpResponse:
    """承办单位工作台: the unit's cases by tab (新交办 / 办理中 / 临期 / 超期 / 被退回)."""
    board = desk(signed_in_user(request), request.GET.get("tab", "new"))
    return render(request, "cases/desk.html", {"desk": board, "tabs": DESK_TABS})


@require_http_methods(["GET", "POST"])
@allowed(rules.can_manage_accounts)
def routing_rules(request: HttpRequest) -> HttpResponse:
    """分办规则: the 系统管理员 adds rules and retires old ones (audited)."""
    form = RoutingRuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            routing.add_rule(actor=signed_in_user(request), **form.arguments())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "已添加分办规则。")
            return redirect("cases:routing")
    rows = RoutingRule.objects.filter(is_active=True).select_related(
        "region", "content_category", "unit"
    )
    status = 422 if form.errors else 200
    return render(request, "cases/routing.html", {"form": form, "rules": rows}, status=status)


@require_POST
@allowed(rules.can_manage_accounts)
def routing_rule_retire(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(RoutingRule, pk=pk, is_active=True)
    routing.retire_rule(rule, actor=signed_in_user(request))
    messages.success(request, "已停用该分办规则。")
    return redirect("cases:routing")


@require_POST
@allowed(rules.can_work_cases)
def add_note(request: HttpRequest, number: str) -> HttpResponse:
    """工作记录 / 调查记录 on the timeline; a refusal keeps the text on the page."""
    case = get_object_or_404(case_for_detail(request.user, number))
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            services.add_note(
                case,
                actor=signed_in_user(request),
                kind=EventKind(form.cleaned_data["kind"]),
                text=form.cleaned_data["text"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "已添加记录。")
            return redirect("cases:detail", number=case.number)
    context = _detail_context(request, case) | {"note_form": form}
    return render(request, "cases/detail.html", context, status=422)


@require_POST
@allowed(rules.can_work_cases)
def declare_recusal(request: HttpRequest, number: str) -> HttpResponse:
    """回避: one's own declared interest, or a leader's record for their staff."""
    case = get_object_or_404(case_for_detail(request.user, number))
    actor = signed_in_user(request)
    form = RecusalForm(request.POST, actor=actor)
    if form.is_valid():
        try:
            services.declare_recusal(
                case, actor=actor, user=form.person(), reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"已记录{form.person()}回避本事项。")
            return redirect("cases:detail", number=case.number)
    context = _detail_context(request, case) | {"recusal_form": form}
    return render(request, "cases/detail.html", context, status=422)
