"""The petitioner's side (网上信访): look a case up by number and 查询码, evaluate, ask for
复查, submit a petition online — and staff recording a 回访 as an evaluation.

Nobody here is signed in. What a visitor may see of a case is decided by ``public_progress``;
what they may do, by the case's stored dates and the workflow's own guards.
"""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from xinfang.accounts import rules
from xinfang.accounts.enums import UnitKind
from xinfang.accounts.models import Unit, User
from xinfang.audit.enums import Outcome
from xinfang.audit.services import record
from xinfang.cases import steps
from xinfang.cases.enums import CaseStatus, Channel
from xinfang.cases.models import Case
from xinfang.cases.services import (
    CaseInput,
    ContactInput,
    PetitionerInput,
    Registration,
    query_code_of,
    register_online_petition,
)
from xinfang.portal.enums import EvaluationChannel, EvaluationTarget, ThrottleScope
from xinfang.portal.models import Evaluation, PortalThrottle

PORTAL_USERNAME = "portal-service"
WRONG_CODE = "信访件编号或查询码不正确，请核对后重试。"
LOCKED = "查询失败次数过多，请 {minutes} 分钟后再试；如需帮助，请联系信访部门。"


class LookupLockedError(Exception):
    def __init__(self, minutes: int) -> None:
        super().__init__(LOCKED.format(minutes=minutes))
        self.message = LOCKED.format(minutes=minutes)


# --- the portal's service account and office ---------------------------------------------------


def portal_office() -> Unit:
    """Where online petitions land: ``XF_PORTAL_OFFICE``, else the root petition office."""
    units = Unit.objects.filter(is_active=True)
    if settings.XF_PORTAL_OFFICE:
        office = units.filter(code=settings.XF_PORTAL_OFFICE).first()
    else:
        office = units.filter(kind=UnitKind.PETITION_OFFICE, parent=None).order_by("id").first()
    if office is None:
        raise ValidationError("暂未开通网上信访，请到信访部门接待窗口或通过来信反映。")
    return office


def portal_account(office: Unit) -> User:
    """The account that signs rows the petitioner wrote: no roles, no password, cannot sign in."""
    account = User.objects.filter(username=PORTAL_USERNAME).first()
    if account is None:
        try:
            with transaction.atomic():
                account = User.objects.create(
                    username=PORTAL_USERNAME,
                    full_name="网上信访（信访人本人提交）",
                    unit=office,
                    is_active=False,
                    password=make_password(None),
                )
                record(
                    "portal.service_account",
                    actor=None,
                    target=account,
                    object_id=PORTAL_USERNAME,
                    detail={"unit": office.code},
                )
        except IntegrityError:
            account = User.objects.get(username=PORTAL_USERNAME)
    return account


# --- looking a case up ----------------------------------------------------------------------


def _throttle_rows(keys: list[tuple[ThrottleScope, str]]) -> list[PortalThrottle]:
    rows = []
    for scope, key in keys:
        PortalThrottle.objects.get_or_create(scope=scope, key=key[:64])
        rows.append(PortalThrottle.objects.select_for_update().get(scope=scope, key=key[:64]))
    return rows


def _limit(scope: str) -> int:
    if scope == ThrottleScope.CASE:
        return int(settings.XF_PORTAL_MAX_FAILURES_PER_CASE)
    return int(settings.XF_PORTAL_MAX_FAILURES_PER_ADDRESS)


def find_case(*, number: str, query_code: str, address: str | None) -> Case:
    """The case with this number and 查询码. A wrong code and an unknown number fail alike
    ("不正确"), and both count towards a lock on the number and on the source address, so
    guessing reveals neither the code nor whether the number exists. Audited either way."""
    number = number.strip().upper()[:32]
    query_code = query_code.strip().upper().replace(" ", "")[:16]
    now = timezone.now()
    window = dt.timedelta(minutes=settings.XF_PORTAL_LOCK_MINUTES)
    with transaction.atomic():
        keys = [(ThrottleScope.CASE, number)]
        if address:
            keys.append((ThrottleScope.ADDRESS, address))
        rows = _throttle_rows(keys)
        for row in rows:
            if row.locked_until and row.locked_until > now:
                minutes = max(1, int((row.locked_until - now).total_seconds() // 60) + 1)
                raise LookupLockedError(minutes)
        case = Case.objects.filter(number=number).first()
        matched = case is not None and hmac.compare_digest(query_code_of(case), query_code)
        if matched and case is not None:
            PortalThrottle.objects.filter(scope=ThrottleScope.CASE, key=number).update(
                failures=0, window_started_at=None, locked_until=None
            )
            record("portal.lookup", actor=None, target=case, object_id=number, detail={})
            return case
        for row in rows:
            if row.window_started_at is None or now - row.window_started_at > window:
                row.window_started_at, row.failures = now, 0
            row.failures += 1
            if row.failures >= _limit(row.scope):
                row.locked_until = now + window
            row.save(update_fields=["failures", "window_started_at", "locked_until"])
        record(
            "portal.lookup",
            actor=None,
            object_type="cases.case",
            object_id=number,
            outcome=Outcome.FAILURE,
            detail={"locked": any(r.locked_until and r.locked_until > now for r in rows)},
        )
    raise ValidationError(WRONG_CODE)


# --- what a visitor may see -------------------------------------------------------------------

#: Timeline entries a petitioner sees, with the public wording. Anything else (notes,
#: send-backs, drafts, internal letters) is staff business and never leaves the building.
PUBLIC_MILESTONES = {
    "registered": "已登记",
    "transferred": "已转送有权处理机关",
    "assigned": "已交办有权处理机关",
    "accepted": "已受理",
    "not_accepted": "不予受理",
    "not_reaccepted": "不再受理",
    "extension_approved": "办理期限延长",
    "reply_issued": "已出具信访处理意见书",
    "served": "意见书已送达",
    "review_requested": "已申请复查",
    "review_issued": "已出具复查意见书",
    "recheck_requested": "已申请复核",
    "recheck_issued": "已出具复核意见书",
    "closed": "已办结",
    "terminated": "已终结",
}
#: Notices addressed to the petitioner; letters between organs are not theirs to download.
PUBLIC_NOTICES = (
    "acceptance",
    "non_acceptance",
    "no_reacceptance",
    "extension",
    "opinion",
    "review_opinion",
    "recheck_opinion",
)


@dataclass(frozen=True)
class Milestone:
    label: str
    on: dt.date
    organ: str = ""


@dataclass(frozen=True)
class PublicProgress:
    number: str
    title: str
    received_on: dt.date
    status: str
    organ: str
    due_on: dt.date | None
    milestones: list[Milestone]
    notices: list[tuple[str, str, dt.date, str]]  # (kind label, 文号, date, uid)
    can_evaluate: bool
    evaluation_until: dt.date | None
    can_request_review: bool
    review_until: dt.date | None
    review_organ: str


def evaluation_until(case: Case) -> dt.date | None:
    if case.served_on is None:
        return None
    return case.served_on + dt.timedelta(days=settings.XF_EVALUATION_WINDOW_DAYS)


def review_open(case: Case, today: dt.date) -> bool:
    return (
        case.status in (CaseStatus.SERVED, CaseStatus.CLOSED)
        and case.review_requested_on is None
        and case.review_window_until is not None
        and today <= case.review_window_until
    )


def public_progress(case: Case) -> PublicProgress:
    """Everything the portal shows about a case, and nothing else: no people (not even the
    visitor's own identifiers), no staff names, no notes, no internal letters."""
    today = timezone.localdate()
    milestones = [
        Milestone(
            PUBLIC_MILESTONES[event.kind],
            timezone.localdate(event.occurred_at),
            str(event.payload.get("unit", "")) if event.kind in ("transferred", "assigned") else "",
        )
        for event in case.events.order_by("occurred_at", "id")
        if event.kind in PUBLIC_MILESTONES
    ]
    notices = [
        (doc.get_kind_display(), doc.number, doc.issued_on, str(doc.uid))
        for doc in case.documents.filter(kind__in=PUBLIC_NOTICES).order_by("issued_at", "id")
    ]
    organ = case.responsible_unit or case.handling_unit or case.registering_unit
    until = evaluation_until(case)
    return PublicProgress(
        number=case.number,
        title=case.title,
        received_on=case.received_on,
        status=str(CaseStatus(case.status).label),
        organ=organ.name,
        due_on=case.due_on,
        milestones=milestones,
        notices=notices,
        can_evaluate=until is not None and today <= until and _may_evaluate_again(case),
        evaluation_until=until,
        can_request_review=review_open(case, today),
        review_until=case.review_window_until,
        review_organ=case.review_unit.name if case.review_unit_id and case.review_unit else "",
    )


# --- evaluation -------------------------------------------------------------------------------


def scale() -> list[str]:
    return list(settings.XF_EVALUATION_SCALE)


def is_dissatisfied(rating: str) -> bool:
    """The last step of the scale (默认"不满意") offers the 复查 request."""
    return rating == scale()[-1]


def _may_evaluate_again(case: Case) -> bool:
    return (
        settings.XF_EVALUATION_CHANGE
        or not case.evaluations.filter(channel=EvaluationChannel.PORTAL).exists()
    )


@transaction.atomic
def evaluate(
    case: Case,
    *,
    office_rating: str,
    organ_rating: str,
    comment: str = "",
    channel: EvaluationChannel = EvaluationChannel.PORTAL,
    recorded_by: User | None = None,
    today: dt.date | None = None,
) -> list[Evaluation]:
    """满意度评价 of the office and of the organ, once the opinion was served and within the
    window (``XF_EVALUATION_WINDOW_DAYS``); a later rating replaces the earlier in the
    statistics when ``XF_EVALUATION_CHANGE`` allows it. Staff record 回访 with their channel."""
    today = today or timezone.localdate()
    if recorded_by is not None and not rules.can_work_cases(recorded_by):
        raise PermissionDenied("您的角色无权登记回访评价。")
    until = evaluation_until(case)
    if until is None:
        raise ValidationError("处理意见书送达后才能评价。")
    if today > until:
        raise ValidationError(f"评价期限已于{until.isoformat()}届满。")
    if channel == EvaluationChannel.PORTAL and not _may_evaluate_again(case):
        raise ValidationError("您已评价过，本系统不允许修改评价。")
    for rating in (office_rating, organ_rating):
        if rating not in scale():
            raise ValidationError(f"请从“{'、'.join(scale())}”中选择。")
    comment = comment.strip()
    if len(comment) > 2000:
        raise ValidationError("意见不能超过 2000 字。")
    now = timezone.now()
    rows = [
        Evaluation.objects.create(
            case=case,
            target=target,
            rating=rating,
            comment=comment,
            channel=channel,
            recorded_by=recorded_by,
            created_at=now,
        )
        for target, rating in (
            (EvaluationTarget.OFFICE, office_rating),
            (EvaluationTarget.ORGAN, organ_rating),
        )
    ]
    record(
        "case.evaluate",
        actor=recorded_by,
        target=case,
        object_id=case.number,
        detail={"channel": str(channel), "office": office_rating, "organ": organ_rating},
    )
    return rows


# --- 复查 online and the online petition ------------------------------------------------------


def request_review(case: Case, *, request_text: str) -> steps.StepResult:
    account = portal_account(case.registering_unit)
    return steps.request_review_online(case, portal_account=account, request_text=request_text)


@dataclass(frozen=True)
class OnlinePetition:
    """第十九条: name, address, request, facts and reasons (and how to reach the person)."""

    name: str
    id_number: str
    phone: str
    address: str
    title: str
    request: str
    facts_reasons: str


def submit_petition(
    petition: OnlinePetition,
    *,
    case: CaseInput,
    attachments: Sequence[UploadedFile[bytes]] = (),
    submission_key: str | None = None,
) -> Registration:
    """网上信访: registered in the portal office's queue as 已登记; the confirmation shows the
    number and the 查询码. The form's one-time key makes a double submit register once."""
    office = portal_office()
    account = portal_account(office)
    return register_online_petition(
        portal_account=account,
        office=office,
        contact=ContactInput(
            channel=Channel.ONLINE,
            occurred_at=timezone.now(),
            reception_unit=office,
        ),
        case=case,
        petitioners=[
            PetitionerInput(
                name=petition.name,
                id_number=petition.id_number,
                phone=petition.phone,
                address=petition.address,
            )
        ],
        attachments=attachments,
        idempotency_key=f"portal:{submission_key}" if submission_key else None,
    )
