"""个人信息批量导出: request → approval by a leader above the requester → one download.

Every step is one audited service. The download builds the file first and then, in one
transaction, marks the request downloaded and writes the single audit record with the row
count and the fields (SECURITY.md 12); a second download, an expired or unapproved request,
or anyone but the requester is refused with a message and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from xinfang.accounts import rules
from xinfang.accounts.models import User
from xinfang.audit.services import record
from xinfang.cases.access import accuser_withheld
from xinfang.cases.forms import CaseFilterForm
from xinfang.cases.models import Case, CasePetitioner
from xinfang.cases.queries import cases_visible_to
from xinfang.exports.models import ExportStatus, PersonalDataExport, PersonalField
from xinfang.search.exporters import xlsx

CASE_HEADER = ("信访件编号", "标题", "收到日期", "问题属地", "主办单位")
CHUNK = 1000
MIN_REASON = 4


class ExportRefusedError(Exception):
    """A download that may not happen now (not approved, expired, done already)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ExportAlreadyDecidedError(Exception):
    message = "该申请已被他人处理，请刷新页面。"


def exportable_cases(actor: User, query: Mapping[str, str]) -> QuerySet[Case]:
    """The cases a request's list filters select for ``actor``: visible to them, and never a
    检举控告 whose accuser is withheld from their unit."""
    filters = CaseFilterForm(query or None, user=actor).to_filters()
    return filters.apply(cases_visible_to(actor)).exclude(accuser_withheld(actor))


def count_capped(cases: QuerySet[Case]) -> int:
    """How many, counted up to one past the limit (enough to refuse an over-large request)."""
    limit = settings.XF_EXPORT_MAX_ROWS
    return cases.order_by().values("pk")[: limit + 1].count()


@transaction.atomic
def request_export(
    *,
    actor: User,
    reason: str,
    query: Mapping[str, str],
    summary: str,
    fields: Sequence[str],
) -> PersonalDataExport:
    if not rules.can_request_personal_export(actor) or actor.unit_id is None:
        raise PermissionDenied("您的角色无权申请导出个人信息。")
    reason = reason.strip()
    errors: dict[str, str] = {}
    if len(reason) < MIN_REASON:
        errors["reason"] = f"请写明导出用途（至少{MIN_REASON}个字）。"
    chosen = [value for value in PersonalField.values if value in set(fields)]
    if not chosen or len(chosen) != len(set(fields)):
        errors["fields"] = "请选择要导出的个人信息字段。"
    if errors:
        raise ValidationError(errors)
    count = count_capped(exportable_cases(actor, query))
    if count == 0:
        raise ValidationError({"__all__": "筛选条件下没有可导出的信访事项。"})
    if count > settings.XF_EXPORT_MAX_ROWS:
        raise ValidationError(
            {"__all__": f"一次最多导出{settings.XF_EXPORT_MAX_ROWS}件，请缩小筛选范围。"}
        )
    export = PersonalDataExport.objects.create(
        requested_by=actor,
        unit_id=actor.unit_id,
        reason=reason,
        query=dict(query),
        filter_summary=summary[:500],
        fields=chosen,
    )
    record(
        "export.request",
        actor=actor,
        target=export,
        detail={"fields": chosen, "filters": export.filter_summary, "cases": count},
    )
    return export


def may_decide(actor: User, export: PersonalDataExport) -> bool:
    """A leader of the requester's unit or of a unit above it, never the requester."""
    unit = actor.unit
    return (
        rules.can_approve_personal_exports(actor)
        and unit is not None
        and actor.pk != export.requested_by_id
        and export.unit.path.startswith(unit.path)
    )


def waiting_for(actor: User) -> QuerySet[PersonalDataExport]:
    """Requests ``actor`` may decide now: pending, from their unit's subtree, not their own."""
    if not rules.can_approve_personal_exports(actor) or actor.unit is None:
        return PersonalDataExport.objects.none()
    return (
        PersonalDataExport.objects.filter(
            status=ExportStatus.PENDING, unit__path__startswith=actor.unit.path
        )
        .exclude(requested_by=actor)
        .select_related("requested_by", "unit")
    )


@transaction.atomic
def decide_export(
    export: PersonalDataExport, *, actor: User, approve: bool, note: str = ""
) -> PersonalDataExport:
    if not may_decide(actor, export):
        raise PermissionDenied("只有申请人所在单位或上级单位的领导可以审批，且不能审批本人的申请。")
    note = note.strip()
    if not approve and not note:
        raise ValidationError({"note": "驳回时请写明理由。"})
    now = timezone.now()
    changes = {
        "status": ExportStatus.APPROVED if approve else ExportStatus.REJECTED,
        "decided_by": actor,
        "decided_at": now,
        "decision_note": note[:500],
        "valid_until": now + dt.timedelta(hours=settings.XF_EXPORT_VALID_HOURS)
        if approve
        else None,
    }
    pending = PersonalDataExport.objects.filter(pk=export.pk, status=ExportStatus.PENDING)
    if not pending.update(**changes):
        raise ExportAlreadyDecidedError
    export.refresh_from_db()
    record(
        "export.approve" if approve else "export.reject",
        actor=actor,
        target=export,
        detail={"requested_by": export.requested_by.username, "fields": export.fields},
    )
    return export


def _check_download(export: PersonalDataExport, actor: User, now: dt.datetime) -> None:
    if actor.pk != export.requested_by_id:
        raise PermissionDenied("只有申请人本人可以下载。")
    if export.status == ExportStatus.DOWNLOADED:
        raise ExportRefusedError("该导出已下载过一次；如需再次导出，请重新申请。")
    if export.status == ExportStatus.REJECTED:
        raise ExportRefusedError("该申请已被驳回，不能下载。")
    if export.status != ExportStatus.APPROVED:
        raise ExportRefusedError("该申请尚未批准，不能下载。")
    if export.valid_until is None or now > export.valid_until:
        raise ExportRefusedError("批准已过有效期，请重新申请。")


def _rows(export: PersonalDataExport, actor: User) -> Iterator[list[object]]:
    """One row per petitioner of each case, cases in registration order."""
    ids = list(exportable_cases(actor, export.query).order_by("id").values_list("id", flat=True))
    fields = [PersonalField(value) for value in export.fields]
    for start in range(0, len(ids), CHUNK):
        links = (
            CasePetitioner.objects.filter(case_id__in=ids[start : start + CHUNK])
            .select_related("petitioner", "case__region", "case__handling_unit")
            .order_by("case_id", "position")
        )
        for link in links:
            case, person = link.case, link.petitioner
            row: list[object] = [
                case.number,
                case.title,
                case.received_on,
                case.region.name,
                case.handling_unit.name if case.handling_unit else "",
            ]
            for field in fields:
                row.append(person.name if field == PersonalField.NAME else person.decrypt(field))
            yield row


def download_export(export: PersonalDataExport, *, actor: User) -> bytes:
    """The approved file, once. Built before anything is written, so a failure leaves the
    approval usable; the mark and the audit record commit together."""
    _check_download(export, actor, timezone.now())
    rows = list(_rows(export, actor))
    header = [*CASE_HEADER, *export.field_labels()]
    content = xlsx("信访人信息", header, rows)
    with transaction.atomic():
        approved = PersonalDataExport.objects.filter(pk=export.pk, status=ExportStatus.APPROVED)
        if not approved.update(
            status=ExportStatus.DOWNLOADED, downloaded_at=timezone.now(), row_count=len(rows)
        ):
            raise ExportRefusedError("该导出已下载过一次；如需再次导出，请重新申请。")
        record(
            "export.personal_data",
            actor=actor,
            target=export,
            detail={"rows": len(rows), "fields": export.fields, "filters": export.filter_summary},
        )
    return content
