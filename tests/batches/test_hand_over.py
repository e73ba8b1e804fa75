"""集中交办 as one service call: every case through the ordinary 交办 step, one 集中交办单 per
receiving unit, and nothing at all when any case or any input is refused."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tests.batches.conftest import Districts, hand_over, register
from tests.cases.workflow_cast import Cast, fresh, walk_to
from tests.conftest import Units
from tests.documents.conftest import docx_text
from tests.factories import UserFactory
from xinfang.accounts.enums import Role
from xinfang.accounts.models import User
from xinfang.audit.models import AuditEvent
from xinfang.batches.models import Batch, BatchCase, BatchPart
from xinfang.batches.services import MAX_CASES, HandOverRefusedError, Line, hand_over_batch
from xinfang.cases.enums import CaseStatus
from xinfang.cases.models import Case, NumberSequence
from xinfang.documents.models import Document

pytestmark = pytest.mark.django_db
S = CaseStatus


def snapshot() -> tuple[object, ...]:
    """Everything a hand-over writes, to prove a refusal wrote none of it."""
    return (
        sorted(Case.objects.values_list("number", "status", "version", "handling_unit_id")),
        Document.objects.count(),
        Batch.objects.count(),
        BatchPart.objects.count(),
        BatchCase.objects.count(),
        AuditEvent.objects.count(),
        sorted(NumberSequence.objects.values_list("scope", "last")),
    )


def test_a_batch_assigns_every_case_to_its_unit_with_one_deadline(
    cast: Cast, districts: Districts
) -> None:
    first = register(cast, title="幸福小区物业多收费")
    second = register(cast, title="幸福小区电梯停运", region=districts.a1_street)
    third = register(cast, title="A2区工地欠薪", region=districts.a2)
    due = timezone.localdate() + dt.timedelta(days=20)

    batch = hand_over(
        cast.clerk,
        [(first, cast.units.unit_a), (second, cast.units.unit_a), (third, cast.units.unit_b)],
        due=due,
    )

    cases = [fresh(case) for case in (first, second, third)]
    assert [(c.status, c.handling_unit_id, c.assignment_due_on) for c in cases] == [
        (S.ASSIGNED, cast.units.unit_a.pk, due),
        (S.ASSIGNED, cast.units.unit_a.pk, due),
        (S.ASSIGNED, cast.units.unit_b.pk, due),
    ]
    assert batch.number == f"A01集交〔{timezone.localdate().year}〕第1批"
    assert [(p.unit.name, p.items.count()) for p in batch.parts.order_by("id")] == [
        ("市住房和城乡建设局", 2),
        ("市人力资源和社会保障局", 1),
    ]
    # Each case still gets its own 交办单 from the ordinary step.
    assert sorted(Document.objects.values_list("kind", flat=True)) == ["assignment"] * 3


def test_each_units_notice_lists_only_its_own_cases_and_says_the_requirement_and_deadline(
    cast: Cast, districts: Districts
) -> None:
    first = register(cast, title="幸福小区物业多收费", person="周建华")
    second = register(cast, title="A2区工地欠薪", region=districts.a2, person="李秀英")
    year = timezone.localdate().year

    batch = hand_over(cast.clerk, [(first, cast.units.unit_a), (second, cast.units.unit_b)])

    part_a, part_b = batch.parts.order_by("id").defer(None)
    text_a = docx_text(bytes(part_a.content))
    assert (part_a.number, part_b.number) == (f"A01集交〔{year}〕1号", f"A01集交〔{year}〕2号")
    assert text_a.split("\n")[:3] == ["A市信访局", part_a.number, ""]
    assert "信访事项集中交办单" in text_a
    assert "市住房和城乡建设局：" in text_a
    assert "现将1件信访事项集中交由你单位办理" in text_a
    assert "请逐件核实，依法处理，按期报送办结报告。" in text_a
    assert f"1．{first.number}　周建华反映“幸福小区物业多收费”（问题属地：A1区；" in text_a
    assert second.number not in text_a
    assert "李秀英" not in text_a
    assert "13900001234" not in text_a
    assert part_a.filename == f"{batch.number}_市住房和城乡建设局_集中交办单.docx"


def test_notice_numbers_continue_gapless_across_batches_of_the_office(cast: Cast) -> None:
    year = timezone.localdate().year
    first = hand_over(cast.clerk, [(register(cast), cast.units.unit_a)])
    second = hand_over(cast.clerk, [(register(cast), cast.units.unit_a)])

    assert [first.number, second.number] == [f"A01集交〔{year}〕第1批", f"A01集交〔{year}〕第2批"]
    assert list(BatchPart.objects.order_by("id").values_list("number", flat=True)) == [
        f"A01集交〔{year}〕1号",
        f"A01集交〔{year}〕2号",
    ]


def test_a_hand_over_writes_one_batch_event_and_the_steps_own_events(cast: Cast) -> None:
    cases = [register(cast), register(cast)]
    before = AuditEvent.objects.count()

    batch = hand_over(cast.clerk, [(case, cast.units.unit_a) for case in cases])

    events = list(AuditEvent.objects.filter(seq__gt=before).values_list("event", flat=True))
    assert sorted(events) == sorted(
        ["case.assign", "document.issue"] * 2 + ["document.issue", "batch.hand_over"]
    )
    audit = AuditEvent.objects.get(event="batch.hand_over")
    assert audit.object_id == batch.number
    assert audit.detail["cases"] == [case.number for case in cases]


def test_one_case_that_may_not_be_handed_over_refuses_the_batch_and_changes_nothing(
    cast: Cast,
) -> None:
    waiting = register(cast, title="幸福小区物业多收费")
    already = walk_to(cast, S.TRANSFERRED)
    before = snapshot()

    with pytest.raises(HandOverRefusedError) as refused:
        hand_over(cast.clerk, [(waiting, cast.units.unit_a), (already, cast.units.unit_a)])

    assert snapshot() == before
    assert refused.value.refusals == {already.pk: "当前状态为“已转送”，不能进行“交办”。"}
    assert refused.value.messages[0] == f"{already.number}：当前状态为“已转送”，不能进行“交办”。"
    assert "整批未交办" in refused.value.messages[-1]


def test_every_refused_case_is_named_with_its_reason(cast: Cast, districts: Districts) -> None:
    off_rule = register(cast, title="幸福小区物业多收费")
    stale = register(cast, title="A2区工地欠薪", region=districts.a2)
    before = snapshot()

    with pytest.raises(HandOverRefusedError) as refused:
        hand_over_batch(
            actor=cast.clerk,
            title="集中交办",
            requirement="请依法办理。",
            due_on=timezone.localdate() + dt.timedelta(days=10),
            lines=[
                Line(case=off_rule, to_unit=cast.units.unit_b),  # rules say unit A; no reason
                Line(case=stale, to_unit=cast.units.unit_b, version=stale.version + 1),
            ],
        )

    assert snapshot() == before
    assert refused.value.refusals == {
        off_rule.pk: "分办规则建议交由市住房和城乡建设局办理；改派其他单位时请写明理由。",
        stale.pk: "该信访事项已被他人处理或修改，请刷新页面查看最新状态。",
    }


def test_overriding_the_suggested_unit_with_a_reason_is_kept_on_the_batch(cast: Cast) -> None:
    case = register(cast)

    batch = hand_over(cast.clerk, [(case, cast.units.unit_b)], override_reason="涉及社保缴纳。")

    item = batch.items.get()
    assert (item.suggested_unit_name, item.override_reason) == (
        "市住房和城乡建设局",
        "涉及社保缴纳。",
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": "  "}, "请填写批次名称。"),
        ({"title": "长" * 101}, "批次名称不能超过 100 字。"),
        ({"requirement": ""}, "请填写交办要求。"),
        ({"due_on": "today"}, "交办办结期限必须晚于今天。"),
        ({"lines": []}, "请至少选择一件信访事项。"),
        ({"lines": "twice"}, "重复选择。"),
    ],
)
def test_bad_input_is_refused_in_chinese_and_changes_nothing(
    cast: Cast, changes: dict[str, object], message: str
) -> None:
    case = register(cast)
    arguments: dict[str, object] = {
        "actor": cast.clerk,
        "title": "集中交办",
        "requirement": "请依法办理。",
        "due_on": timezone.localdate() + dt.timedelta(days=10),
        "lines": [Line(case=case, to_unit=cast.units.unit_a)],
    }
    arguments.update(changes)
    if arguments["due_on"] == "today":
        arguments["due_on"] = timezone.localdate()
    if arguments["lines"] == "twice":
        arguments["lines"] = [Line(case=case, to_unit=cast.units.unit_a)] * 2
    before = snapshot()

    with pytest.raises(ValidationError) as refused:
        hand_over_batch(**arguments)  # type: ignore[arg-type]

    assert snapshot() == before
    assert message in refused.value.messages[0]


def test_more_than_the_limit_of_cases_is_refused(cast: Cast) -> None:
    case = register(cast)
    lines = [Line(case=case, to_unit=cast.units.unit_a)] * (MAX_CASES + 1)

    with pytest.raises(ValidationError) as refused:
        hand_over_batch(
            actor=cast.clerk,
            title="集中交办",
            requirement="请依法办理。",
            due_on=timezone.localdate() + dt.timedelta(days=10),
            lines=lines,
        )

    assert refused.value.messages == [
        f"一批最多交办 {MAX_CASES} 件，当前选择了 {MAX_CASES + 1} 件。"
    ]


def test_replaying_the_same_submission_returns_the_batch_already_made(cast: Cast) -> None:
    case = register(cast)
    arguments: dict[str, object] = {
        "actor": cast.clerk,
        "title": "集中交办",
        "requirement": "请依法办理。",
        "due_on": timezone.localdate() + dt.timedelta(days=10),
        "idempotency_key": "k-1",
    }
    first = hand_over_batch(lines=[Line(case=case, to_unit=cast.units.unit_a)], **arguments)  # type: ignore[arg-type]

    again = hand_over_batch(lines=[Line(case=fresh(case), to_unit=cast.units.unit_a)], **arguments)  # type: ignore[arg-type]

    assert again == first
    assert Batch.objects.count() == 1


def test_a_handler_of_a_department_may_not_hand_over_a_batch(cast: Cast) -> None:
    case = register(cast)

    with pytest.raises(PermissionDenied):
        hand_over(cast.handler, [(case, cast.units.unit_a)])

    assert fresh(case).status == S.REGISTERED


def test_the_offices_supervisor_hands_over_with_no_other_role(cast: Cast, supervisor: User) -> None:
    """交办 belongs to Party.ASSIGNER: the office's clerks, handlers and 督查员."""
    case = register(cast)

    batch = hand_over(supervisor, [(case, cast.units.unit_a)])

    assert (batch.created_by, fresh(case).status) == (supervisor, S.ASSIGNED)


def test_a_supervisor_of_another_unit_is_told_why_each_case_cannot_be_assigned(
    cast: Cast, units: Units
) -> None:
    stranger = UserFactory(unit=units.unit_b, roles=[Role.SUPERVISOR])
    case = register(cast)

    with pytest.raises((HandOverRefusedError, PermissionDenied)):
        hand_over(stranger, [(case, cast.units.unit_a)])

    assert fresh(case).status == S.REGISTERED


def test_a_supervisor_who_also_handles_for_the_office_hands_over(
    cast: Cast, office_supervisor: User
) -> None:
    case = register(cast)

    batch = hand_over(office_supervisor, [(case, cast.units.unit_a)])

    assert (batch.created_by, fresh(case).status) == (office_supervisor, S.ASSIGNED)
