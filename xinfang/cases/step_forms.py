"""One form per workflow step. Forms validate what a person typed and hand the service its
keyword arguments (``arguments()``); the services decide everything else."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db.models import QuerySet
from django.utils import timezone

from xinfang.accounts.enums import UnitKind
from xinfang.accounts.models import Unit, User
from xinfang.cases import steps
from xinfang.cases.deadlines import Step
from xinfang.cases.enums import ClaimRoute, HandlingCategory, ServiceMethod, TerminationReason
from xinfang.cases.models import Case
from xinfang.cases.routing import requires_legal_unit, suggest_unit
from xinfang.cases.workflow import Action, is_reviewable, rules_of
from xinfang.documents.enums import Outcome
from xinfang.documents.services import RequestOutcome

OPINION_ROWS = 5
ROW_FIELDS = ("request", "outcome", "reasoning")
TEXT = forms.Textarea(attrs={"rows": 3})
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _units() -> QuerySet[Unit]:
    return Unit.objects.filter(is_active=True).order_by("path")


class StepForm(forms.Form):
    """Carries the case version the person saw: a stale submit is refused, not applied."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, data: Any = None, *, case: Case, user: User, action: str = "") -> None:
        # Several step forms share the case page: ids carry the action so labels stay unique.
        auto_id = f"id_{action}_%s" if action else "id_%s"
        super().__init__(data, initial={"version": case.version}, auto_id=auto_id)
        self.case = case
        self.user = user
        self.setup()

    def setup(self) -> None:
        """Per-case choices and initial values."""

    def arguments(self) -> dict[str, Any]:
        return {}


class NoInputForm(StepForm):
    pass


def _offer(field: forms.Field, units: QuerySet[Unit]) -> None:
    """Offer only ``units`` on the page while the field accepts any active unit: a unit the
    rules forbid is then refused by the service, with the rule and article in Chinese."""
    shown: forms.ModelChoiceField[Unit]
    if isinstance(field, forms.ModelMultipleChoiceField):
        shown = forms.ModelMultipleChoiceField(queryset=units)
    elif isinstance(field, forms.ModelChoiceField):
        shown = forms.ModelChoiceField(queryset=units, empty_label=field.empty_label)
    else:
        raise TypeError(field)
    field.widget.choices = shown.choices


class TransferForm(StepForm):
    to_unit = forms.ModelChoiceField(queryset=Unit.objects.none(), label="转送至")
    cooperating_units = forms.ModelMultipleChoiceField(
        queryset=Unit.objects.none(),
        label="协办单位",
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )
    accused_unit = forms.ModelChoiceField(
        queryset=Unit.objects.none(),
        label="被检举控告单位",
        required=False,
        help_text="该单位及其下属单位不能承办，也看不到检举控告人的身份和材料（第三十条）",
    )
    override_reason = forms.CharField(
        label="改派理由", required=False, max_length=500, help_text="与建议单位不同时必填"
    )
    reason = forms.CharField(label="再次转送、交办理由", max_length=2000, widget=TEXT)
    note = forms.CharField(label="转送说明", required=False, max_length=2000, widget=TEXT)

    def setup(self) -> None:
        case = self.case
        offered = _units().exclude(pk=case.registering_unit_id)
        if case.accused_unit is not None:
            offered = offered.exclude(path__startswith=case.accused_unit.path)
        field = self.fields["to_unit"]
        field.queryset = _units()  # type: ignore[attr-defined]
        # 诉访分离 (第二十八条): only 政法机关 are offered for a 涉法涉诉 matter.
        legal = offered.filter(kind=UnitKind.LEGAL) if requires_legal_unit(case) else offered
        _offer(field, legal)
        suggestion = suggest_unit(case)
        if suggestion is not None:
            field.initial = suggestion.unit.pk
            field.help_text = f"建议：{suggestion.unit.name}（{suggestion.reason}）"
        self._setup_cooperating(offered)
        if case.handling_category == HandlingCategory.ACCUSATION:
            accused = self.fields["accused_unit"]
            accused.queryset = _units()  # type: ignore[attr-defined]
            accused.initial = case.accused_unit_id
        else:
            del self.fields["accused_unit"]
        if case.transfer_count:
            done, limit = case.transfer_count, settings.XF_MAX_TRANSFERS
            self.fields["reason"].help_text = f"已转送、交办 {done} 次（最多 {limit} 次）"
        else:
            del self.fields["reason"]

    def _setup_cooperating(self, offered: QuerySet[Unit]) -> None:
        limit = settings.XF_MAX_COOPERATING_UNITS
        if not limit:
            del self.fields["cooperating_units"]
            return
        field = self.fields["cooperating_units"]
        field.queryset = _units()  # type: ignore[attr-defined]
        _offer(field, offered)
        field.help_text = f"主办单位以外，最多 {limit} 个；协办单位可查看本事项、填写记录、上传附件"
        field.initial = [link.unit_id for link in self.case.unit_links.all()]

    def routing_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "to_unit": data["to_unit"],
            "override_reason": data["override_reason"],
            "cooperating_units": list(data.get("cooperating_units") or []),
            "accused_unit": data.get("accused_unit"),
            "reason": data.get("reason", ""),
        }

    def arguments(self) -> dict[str, Any]:
        return {**self.routing_arguments(), "note": self.cleaned_data["note"]}


class AssignForm(TransferForm):
    due_on = forms.DateField(label="办结期限", widget=DATE)
    requirement = forms.CharField(label="交办要求", max_length=2000, widget=TEXT)
    note = None  # type: ignore[assignment]

    def setup(self) -> None:
        super().setup()
        self.fields["to_unit"].label = "交办至"

    def arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            **self.routing_arguments(),
            "due_on": data["due_on"],
            "requirement": data["requirement"],
        }


class ReasonForm(StepForm):
    reason = forms.CharField(label="理由", max_length=2000, widget=TEXT)

    def arguments(self) -> dict[str, Any]:
        return {"reason": self.cleaned_data["reason"]}


class RefusalForm(ReasonForm):
    basis = forms.CharField(label="法律政策依据", required=False, max_length=500)

    def arguments(self) -> dict[str, Any]:
        return {"reason": self.cleaned_data["reason"], "basis": self.cleaned_data["basis"]}


class AcceptForm(StepForm):
    claim_route = forms.TypedChoiceField(
        label="申诉求决途径",
        choices=ClaimRoute.choices,
        coerce=int,
        required=False,
        empty_value=None,
        help_text="只有“信访程序办理”适用第三十四条的60日办理期限",
    )
    note = forms.CharField(label="受理说明", required=False, max_length=2000, widget=TEXT)

    def setup(self) -> None:
        if self.case.handling_category != HandlingCategory.CLAIM:
            del self.fields["claim_route"]
            return
        field = self.fields["claim_route"]
        field.required = self.case.claim_route is None
        field.initial = self.case.claim_route

    def arguments(self) -> dict[str, Any]:
        route = self.cleaned_data.get("claim_route")
        return {
            "note": self.cleaned_data["note"],
            "claim_route": ClaimRoute(route) if route else None,
        }


class ExtensionForm(StepForm):
    days = forms.IntegerField(label="延长天数", min_value=1)
    reason = forms.CharField(label="延期理由", max_length=2000, widget=TEXT)

    def setup(self) -> None:
        limit = rules_of(self.case).limit(Step.EXTENSION_MAX).days
        field = self.fields["days"]
        field.max_value = limit  # type: ignore[attr-defined]
        field.validators.append(MaxValueValidator(limit))
        field.help_text = f"不超过 {limit} 日（第三十四条）"
        field.initial = limit

    def arguments(self) -> dict[str, Any]:
        return {"days": self.cleaned_data["days"], "reason": self.cleaned_data["reason"]}


class CommentForm(StepForm):
    comment = forms.CharField(label="意见", required=False, max_length=2000, widget=TEXT)

    def arguments(self) -> dict[str, Any]:
        return {"comment": self.cleaned_data["comment"]}


class RequiredCommentForm(CommentForm):
    comment = forms.CharField(label="意见", max_length=2000, widget=TEXT)


class SendBackForm(StepForm):
    comments = forms.CharField(label="退回意见", max_length=2000, widget=TEXT)

    def arguments(self) -> dict[str, Any]:
        return {"comments": self.cleaned_data["comments"]}


class OpinionForm(StepForm):
    """Up to five requests, each with exactly one outcome and its facts and basis (第三十二条)."""

    body = forms.CharField(label="答复意见", required=False, max_length=5000, widget=TEXT)
    basis = forms.CharField(label="法律政策依据", required=False, max_length=500)

    #: A 处理意见书 resumes the handler's draft after a send-back; 复查/复核 start afresh.
    from_draft = True

    def setup(self) -> None:
        use_draft = self.from_draft and self.case.draft
        draft = steps.OpinionInput.from_json(self.case.draft) if use_draft else None
        rows = list(draft.outcomes) if draft else []
        for number in range(1, OPINION_ROWS + 1):
            self.fields[f"request_{number}"] = forms.CharField(
                label=f"请求{number}", required=number == 1, max_length=2000, widget=TEXT
            )
            self.fields[f"outcome_{number}"] = forms.ChoiceField(
                label=f"请求{number}的处理意见",
                choices=[("", "—"), *Outcome.choices],
                required=False,
            )
            self.fields[f"reasoning_{number}"] = forms.CharField(
                label=f"请求{number}的事实和依据", required=False, max_length=5000, widget=TEXT
            )
            if number <= len(rows):
                row = rows[number - 1]
                self.initial[f"request_{number}"] = row.request
                self.initial[f"outcome_{number}"] = row.outcome
                self.initial[f"reasoning_{number}"] = row.reasoning
        if not rows:
            self.initial["request_1"] = self.case.request
        if draft:
            self.initial["body"] = draft.body
            self.initial["basis"] = draft.basis

    def rows(self) -> list[tuple[forms.BoundField, forms.BoundField, forms.BoundField]]:
        return [
            (self[f"request_{n}"], self[f"outcome_{n}"], self[f"reasoning_{n}"])
            for n in range(1, OPINION_ROWS + 1)
        ]

    def shown_rows(self) -> int:
        """Rows open on the page: two, or as many as hold something (the rest fold away)."""
        filled = [
            n
            for n in range(1, OPINION_ROWS + 1)
            if self[f"request_{n}"].value() or self[f"reasoning_{n}"].value()
        ]
        return max([2, *filled])

    def other_fields(self) -> list[forms.BoundField]:
        rows = {f"{name}_{n}" for n in range(1, OPINION_ROWS + 1) for name in ROW_FIELDS}
        return [field for field in self.visible_fields() if field.name not in rows]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        outcomes = []
        for number in range(1, OPINION_ROWS + 1):
            request = (data.get(f"request_{number}") or "").strip()
            outcome = data.get(f"outcome_{number}") or ""
            reasoning = (data.get(f"reasoning_{number}") or "").strip()
            if not request:
                if outcome or reasoning:
                    self.add_error(f"request_{number}", "请填写该项请求。")
                continue
            if not outcome:
                self.add_error(f"outcome_{number}", "请选择予以支持、作出解释说明或不予支持之一。")
            if not reasoning:
                self.add_error(f"reasoning_{number}", "请写明该项请求的事实和依据。")
            if outcome and reasoning:
                outcomes.append(RequestOutcome(request, Outcome(outcome), reasoning))
        data["outcomes"] = outcomes
        return data

    def opinion(self) -> steps.OpinionInput:
        data = self.cleaned_data
        return steps.OpinionInput(outcomes=data["outcomes"], body=data["body"], basis=data["basis"])

    def arguments(self) -> dict[str, Any]:
        return {"opinion": self.opinion()}


class ApproveDraftForm(CommentForm):
    review_unit = forms.ModelChoiceField(
        queryset=Unit.objects.none(), label="复查机关", required=False
    )

    def setup(self) -> None:
        if not is_reviewable(self.case):
            del self.fields["review_unit"]
            return
        field = self.fields["review_unit"]
        field.queryset = _units().exclude(pk=self.case.handling_unit_id or 0)  # type: ignore[attr-defined]
        field.required = True
        field.help_text = "意见书将告知信访人可在收到之日起30日内向该机关申请复查"
        default = steps.default_review_unit(self.case)
        if default is not None:
            field.initial = default.pk

    def arguments(self) -> dict[str, Any]:
        return {
            "review_unit": self.cleaned_data.get("review_unit"),
            "comment": self.cleaned_data["comment"],
        }


class RecheckOpinionForm(OpinionForm):
    from_draft = False


class ReviewOpinionForm(RecheckOpinionForm):
    recheck_unit = forms.ModelChoiceField(queryset=Unit.objects.none(), label="复核机关")

    def setup(self) -> None:
        super().setup()
        field = self.fields["recheck_unit"]
        field.queryset = _units().exclude(pk=self.case.review_unit_id or 0)  # type: ignore[attr-defined]
        organ = self.case.review_unit
        if organ is not None and organ.parent_id:
            field.initial = organ.parent_id

    def arguments(self) -> dict[str, Any]:
        return {"opinion": self.opinion(), "recheck_unit": self.cleaned_data["recheck_unit"]}


class ServiceForm(StepForm):
    method = forms.ChoiceField(label="送达方式", choices=ServiceMethod.choices)
    served_on = forms.DateField(label="信访人收到日期", widget=DATE)
    receipt = forms.CharField(label="送达回证", required=False, max_length=500)

    def setup(self) -> None:
        self.initial["served_on"] = timezone.localdate()

    def arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "method": ServiceMethod(data["method"]),
            "served_on": data["served_on"],
            "receipt": data["receipt"],
        }


class RequestForm(StepForm):
    requested_on = forms.DateField(label="收到申请日期", widget=DATE)
    request_text = forms.CharField(label="申请请求和理由", max_length=5000, widget=TEXT)

    def setup(self) -> None:
        self.initial["requested_on"] = timezone.localdate()

    def arguments(self) -> dict[str, Any]:
        return {
            "requested_on": self.cleaned_data["requested_on"],
            "request_text": self.cleaned_data["request_text"],
        }


class HearingStartForm(StepForm):
    started_on = forms.DateField(label="听证开始日期", widget=DATE)

    def setup(self) -> None:
        self.initial["started_on"] = timezone.localdate()

    def arguments(self) -> dict[str, Any]:
        return {"started_on": self.cleaned_data["started_on"]}


class HearingEndForm(StepForm):
    ended_on = forms.DateField(label="听证结束日期", widget=DATE)

    def setup(self) -> None:
        self.initial["ended_on"] = timezone.localdate()

    def arguments(self) -> dict[str, Any]:
        return {"ended_on": self.cleaned_data["ended_on"]}


class CloseForm(StepForm):
    report = forms.CharField(label="办结情况", required=False, max_length=5000, widget=TEXT)

    def setup(self) -> None:
        if self.case.assignment_due_on is not None:
            field = self.fields["report"]
            field.required = True
            field.label = "办结报告"
            field.help_text = "交办事项须向交办机关报送办结报告"

    def arguments(self) -> dict[str, Any]:
        return {"report": self.cleaned_data["report"]}


class TerminateForm(StepForm):
    reason = forms.ChoiceField(label="终结事由", choices=())
    note = forms.CharField(label="终结说明", max_length=2000, widget=TEXT)

    def setup(self) -> None:
        reasons = steps.termination_reasons(self.case)
        self.fields["reason"].choices = [(r.value, r.label) for r in reasons]  # type: ignore[attr-defined]

    def arguments(self) -> dict[str, Any]:
        return {
            "reason": TerminationReason(self.cleaned_data["reason"]),
            "note": self.cleaned_data["note"],
        }


STEP_FORMS: dict[Action, type[StepForm]] = {
    Action.TRANSFER: TransferForm,
    Action.ASSIGN: AssignForm,
    Action.SIGN: NoInputForm,
    Action.OBJECT: ReasonForm,
    Action.ACCEPT: AcceptForm,
    Action.NOT_ACCEPT: RefusalForm,
    Action.NOT_REACCEPT: RefusalForm,
    Action.REQUEST_EXTENSION: ExtensionForm,
    Action.APPROVE_EXTENSION: CommentForm,
    Action.REJECT_EXTENSION: RequiredCommentForm,
    Action.SUBMIT_DRAFT: OpinionForm,
    Action.SEND_BACK: SendBackForm,
    Action.APPROVE_DRAFT: ApproveDraftForm,
    Action.RECORD_SERVICE: ServiceForm,
    Action.REQUEST_REVIEW: RequestForm,
    Action.ISSUE_REVIEW: ReviewOpinionForm,
    Action.REQUEST_RECHECK: RequestForm,
    Action.START_HEARING: HearingStartForm,
    Action.END_HEARING: HearingEndForm,
    Action.ISSUE_RECHECK: RecheckOpinionForm,
    Action.CLOSE: CloseForm,
    Action.TERMINATE: TerminateForm,
}

#: Steps whose buttons read as a danger (they end or refuse the matter).
ENDING_STEPS = frozenset({Action.NOT_ACCEPT, Action.NOT_REACCEPT, Action.TERMINATE, Action.OBJECT})
