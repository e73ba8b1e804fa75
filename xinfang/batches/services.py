"""Writes on batches (集中交办): hand related cases over in one go.

Every case goes through the ordinary 交办 step (``cases.steps.assign_case``: the table, the
party, the guards, the case's own 交办单, its audit event) inside one transaction; if any case
is refused, the whole batch rolls back and the refusal names each case and why."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from xinfang.accounts import rules
from xinfang.accounts.models import Unit, User
from xinfang.audit.services import record
from xinfang.batches.models import Batch, BatchCase, BatchPart
from xinfang.cases.models import Case, CasePetitioner
from xinfang.cases.services import next_number
from xinfang.cases.steps import MAX_TEXT, StepResult, assign_case
from xinfang.cases.workflow import ConcurrentChangeError
from xinfang.documents.services import NoticeFacts, case_line, compose_batch_notice

#: At most this many cases in one batch: each case renders its own 交办单 (~20 ms), and the
#: review page shows one row per case.
MAX_CASES = 200
MAX_TITLE = 100
MAX_CRITERIA = 500


@dataclass(frozen=True)
class Line:
    """One case of the batch as the person chose it."""

    case: Case
    to_unit: Unit
    override_reason: str = ""
    reason: str = ""  # why a case handed over before moves again (再次交办)
    version: int | None = None  # the version the person saw; a case changed since is refused


class HandOverRefusedError(ValidationError):
    """Some cases could not be handed over, so none was: ``refusals`` maps case id to why."""

    def __init__(self, refusals: Mapping[int, str], numbers: Mapping[int, str]) -> None:
        self.refusals = dict(refusals)
        super().__init__(
            [f"{numbers[pk]}：{reason}" for pk, reason in self.refusals.items()]
            + ["整批未交办，所有事项均未改动。请调整后重新提交。"]
        )


def _text(value: str, label: str, limit: int, *, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError(f"请填写{label}。")
    if len(value) > limit:
        raise ValidationError(f"{label}不能超过 {limit} 字。")
    return value


def _check_lines(lines: Sequence[Line]) -> None:
    if not lines:
        raise ValidationError("请至少选择一件信访事项。")
    if len(lines) > MAX_CASES:
        raise ValidationError(f"一批最多交办 {MAX_CASES} 件，当前选择了 {len(lines)} 件。")
    seen: set[int] = set()
    for line in lines:
        if line.case.pk in seen:
            raise ValidationError(f"{line.case.number}重复选择。")
        seen.add(line.case.pk)


def _assign_each(
    lines: Sequence[Line], *, actor: User, due_on: dt.date, requirement: str
) -> list[StepResult]:
    """交办 every case; collect every refusal (each step rolls back its own savepoint), then
    refuse the batch if there was any."""
    results: list[StepResult] = []
    refusals: dict[int, str] = {}
    for line in lines:
        try:
            if line.version is not None and line.version != line.case.version:
                raise ConcurrentChangeError()
            results.append(
                assign_case(
                    line.case,
                    actor=actor,
                    to_unit=line.to_unit,
                    due_on=due_on,
                    requirement=requirement,
                    override_reason=line.override_reason,
                    reason=line.reason,
                )
            )
        except ValidationError as error:
            refusals[line.case.pk] = "；".join(error.messages)
        except PermissionDenied as error:
            refusals[line.case.pk] = str(error) or "您无权交办该事项。"
        except ConcurrentChangeError as error:
            refusals[line.case.pk] = error.message
    if refusals:
        raise HandOverRefusedError(refusals, {line.case.pk: line.case.number for line in lines})
    return results


def _case_lines(cases: Sequence[Case]) -> list[str]:
    """The 集中交办单's list for these cases, in order (two queries for any number)."""
    ids = [case.pk for case in cases]
    names: dict[int, list[str]] = {pk: [] for pk in ids}
    people = (
        CasePetitioner.objects.filter(case_id__in=ids)
        .order_by("case_id", "position", "id")
        .values_list("case_id", "petitioner__name")
    )
    for case_id, name in people:
        names[case_id].append(name)
    regions = dict(Case.objects.filter(pk__in=ids).values_list("pk", "region__name"))
    return [
        case_line(
            position,
            number=case.number,
            title=case.title,
            petitioner_names=names[case.pk],
            received_on=case.received_on,
            region_name=regions.get(case.pk) or "",
        )
        for position, case in enumerate(cases, start=1)
    ]


def _issue_part(
    batch: Batch, unit: Unit, cases: Sequence[Case], *, actor: User, office: Unit
) -> BatchPart:
    facts = NoticeFacts(
        issued_on=batch.handed_over_on,
        addressee=unit.name,
        receiving_unit_name=unit.name,
        body=batch.requirement,
        due_on=batch.due_on,
        case_lines=_case_lines(cases),
    )
    notice = compose_batch_notice(actor=actor, issuing_unit=office, facts=facts)
    part = BatchPart.objects.create(
        batch=batch,
        unit=unit,
        issuing_unit=office,
        number=notice.number,
        issued_on=notice.issued_on,
        filename=f"{batch.number}_{unit.name}_{notice.kind.label}.docx",
        content=notice.content,
        sha256=notice.sha256,
        size=len(notice.content),
        template_version=notice.template_version,
    )
    record(
        "document.issue",
        actor=actor,
        target=part,
        object_id=part.number,
        detail={"batch": batch.number, "kind": notice.kind.value, "cases": len(cases)},
    )
    return part


@transaction.atomic
def hand_over_batch(
    *,
    actor: User,
    title: str,
    requirement: str,
    due_on: dt.date,
    lines: Sequence[Line],
    criteria: str = "",
    idempotency_key: str | None = None,
) -> Batch:
    """集中交办: 交办 every case of ``lines`` to its unit with one requirement and one result
    deadline (第二十二条), issue one 集中交办单 per receiving unit listing its cases, and keep the
    batch for tracking. One transaction: any case refused (``HandOverRefusedError``, naming each
    case and why) or any bad input (ValidationError) changes nothing. Replaying the same
    ``idempotency_key`` returns the batch already made. Audit: ``batch.hand_over``, plus what
    each 交办 writes (``case.assign``, ``document.issue``) and one ``document.issue`` per
    集中交办单."""
    if not rules.can_hand_over_batches(actor) or actor.unit is None:
        raise PermissionDenied("只有督查员或信访部门的登记员、承办人可以集中交办。")
    if idempotency_key:
        existing = Batch.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    office = actor.unit
    title = _text(title, "批次名称", MAX_TITLE)
    requirement = _text(requirement, "交办要求", MAX_TEXT)
    criteria = _text(criteria, "挑选条件", MAX_CRITERIA, required=False)
    today = timezone.localdate()
    if due_on <= today:
        raise ValidationError("交办办结期限必须晚于今天。")
    _check_lines(lines)
    results = _assign_each(lines, actor=actor, due_on=due_on, requirement=requirement)

    sequence = next_number(f"batch:{office.code}:{today.year}")
    batch = Batch.objects.create(
        number=f"{office.code}集交〔{today.year}〕第{sequence}批",
        title=title,
        office=office,
        created_by=actor,
        created_at=timezone.now(),
        handed_over_on=today,
        requirement=requirement,
        due_on=due_on,
        criteria=criteria,
        idempotency_key=idempotency_key or None,
    )
    by_unit: dict[int, list[int]] = {}  # unit id → positions in ``lines``, in first-seen order
    for position, line in enumerate(lines):
        by_unit.setdefault(line.to_unit.pk, []).append(position)
    items: list[BatchCase] = []
    parts: list[BatchPart] = []
    for positions in by_unit.values():
        unit = lines[positions[0]].to_unit
        part = _issue_part(
            batch, unit, [lines[p].case for p in positions], actor=actor, office=office
        )
        parts.append(part)
        for position in positions:
            payload = results[position].event.payload
            items.append(
                BatchCase(
                    batch=batch,
                    part=part,
                    case=lines[position].case,
                    position=position + 1,
                    suggested_unit_name=str(payload.get("suggested", ""))[:100],
                    override_reason=str(payload.get("override_reason", ""))[:500],
                )
            )
    BatchCase.objects.bulk_create(items)
    record(
        "batch.hand_over",
        actor=actor,
        target=batch,
        object_id=batch.number,
        detail={
            "cases": [line.case.number for line in lines],
            "units": [part.unit.code for part in parts],
            "documents": [part.number for part in parts],
            "due_on": due_on.isoformat(),
        },
    )
    return batch


def record_notice_download(part: BatchPart, *, actor: User) -> None:
    """Downloads of a 集中交办单 are audited: it names petitioners."""
    with transaction.atomic():
        record(
            "document.download",
            actor=actor,
            target=part,
            object_id=part.number,
            detail={"batch": part.batch.number, "kind": "batch_assignment"},
        )
