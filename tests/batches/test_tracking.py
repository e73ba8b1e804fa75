"""Tracking a batch: the units sign and handle their cases through the ordinary steps; the batch
shows each case's status, due date and tier, counts what is closed, and is complete when every
case is. Each viewer sees only their side of it."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.batches.conftest import Districts, hand_over, register
from tests.cases.workflow_cast import Cast, fresh, opinion
from tests.conftest import logged_in
from tests.documents.conftest import docx_text
from xinfang.accounts.models import User
from xinfang.audit.models import AuditEvent
from xinfang.batches.models import Batch
from xinfang.batches.queries import Progress, batch_detail, batch_list, batches_visible_to
from xinfang.cases import steps, workflow
from xinfang.cases.enums import CaseStatus, ServiceMethod
from xinfang.cases.models import Case

pytestmark = pytest.mark.django_db
S = CaseStatus


def handle_to_closure(cast: Cast, case: Case) -> None:
    """Unit A's day on one case: sign, accept, draft, review, serve, close with the report."""
    steps.sign_case(fresh(case), actor=cast.handler)
    steps.accept_case(fresh(case), actor=cast.handler)
    steps.submit_draft(fresh(case), actor=cast.handler, opinion=opinion())
    steps.approve_draft(fresh(case), actor=cast.reviewer, review_unit=cast.government)
    steps.record_service(
        fresh(case),
        actor=cast.handler,
        method=ServiceMethod.IN_PERSON,
        served_on=timezone.localdate(),
    )
    steps.close_case(fresh(case), actor=cast.handler, report="已退还多收的物业费。")


@pytest.fixture
def batch_of_three(cast: Cast, districts: Districts) -> tuple[Batch, list[Case]]:
    cases = [
        register(cast, title="幸福小区物业多收费"),
        register(cast, title="幸福小区电梯停运", region=districts.a1_street),
        register(cast, title="A2区工地欠薪", region=districts.a2),
    ]
    units = [cast.units.unit_a, cast.units.unit_a, cast.units.unit_b]
    return hand_over(cast.clerk, list(zip(cases, units, strict=True))), cases


def test_a_batch_is_complete_once_every_case_is_closed_or_ended(
    cast: Cast, batch_of_three: tuple[Batch, list[Case]]
) -> None:
    batch, (first, second, third) = batch_of_three

    handle_to_closure(cast, first)
    halfway = batch_detail(cast.clerk, batch.pk)
    handle_to_closure(cast, second)
    steps.sign_case(fresh(third), actor=cast.outsider)
    steps.not_accept_case(fresh(third), actor=cast.outsider, reason="已进入劳动仲裁程序。")
    done = batch_detail(cast.clerk, batch.pk)

    assert (halfway.progress, halfway.complete) == (Progress(3, 1, 0), False)
    assert [p.progress for p in halfway.parts] == [Progress(2, 1, 0), Progress(1, 0, 0)]
    assert [item.case.status for part in halfway.parts for item in part.items] == [
        S.CLOSED,
        S.ASSIGNED,
        S.ASSIGNED,
    ]
    assert (done.progress, done.complete, done.progress.percent) == (Progress(3, 3, 0), True, 100)
    assert [row.complete for row in batch_list(cast.clerk).rows] == [True]


def test_a_case_reopened_for_review_makes_the_batch_incomplete_again(
    cast: Cast, batch_of_three: tuple[Batch, list[Case]]
) -> None:
    batch, cases = batch_of_three
    for case in cases[:2]:
        handle_to_closure(cast, case)
    steps.sign_case(fresh(cases[2]), actor=cast.outsider)
    steps.not_accept_case(fresh(cases[2]), actor=cast.outsider, reason="已进入劳动仲裁程序。")

    steps.request_review(
        fresh(cases[0]),
        actor=cast.clerk,
        requested_on=timezone.localdate(),
        request_text="不服，申请复查。",
    )

    assert batch_detail(cast.clerk, batch.pk).complete is False


def test_cases_past_their_due_date_show_as_overdue_and_can_be_filtered(
    cast: Cast, batch_of_three: tuple[Batch, list[Case]]
) -> None:
    batch, (first, second, _third) = batch_of_three
    steps.sign_case(fresh(first), actor=cast.handler)
    steps.accept_case(fresh(first), actor=cast.handler)
    late = timezone.localdate() + dt.timedelta(days=40)

    with time_machine.travel(late, tick=False):
        workflow.sweep_tiers(today=late)
        view = batch_detail(cast.clerk, batch.pk, overdue_only=True)
        unit_a_view = batch_detail(cast.handler, batch.pk, overdue_only=True)
        listed = batch_list(cast.clerk, overdue_only=True)

    # The accepted case is past the batch's deadline; the unsigned ones past the 15-day notice.
    assert fresh(first).tier == "overdue"
    assert view.progress.overdue == 3
    assert [item.case.number for item in unit_a_view.parts[0].items] == [
        first.number,
        second.number,
    ]
    assert [row.batch for row in listed.rows] == [batch]


def test_the_overdue_filter_leaves_out_batches_with_nothing_late(
    cast: Cast, batch_of_three: tuple[Batch, list[Case]]
) -> None:
    assert batch_list(cast.clerk, overdue_only=True).rows == []
    assert len(batch_list(cast.clerk).rows) == 1


def test_a_receiving_unit_sees_only_its_own_part(
    cast: Cast, batch_of_three: tuple[Batch, list[Case]]
) -> None:
    batch, (first, second, third) = batch_of_three

    unit_a = batch_detail(cast.handler, batch.pk)
    unit_b = batch_detail(cast.outsider, batch.pk)
    office = batch_detail(cast.clerk, batch.pk)

    assert [p.part.unit for p in unit_a.parts] == [cast.units.unit_a]
    assert [i.case for p in unit_a.parts for i in p.items] == [first, second]
    assert [i.case for p in unit_b.parts for i in p.items] == [third]
    assert [i.case for p in office.parts for i in p.items] == [first, second, third]


def test_a_unit_with_no_part_does_not_see_the_batch(
    cast: Cast, batch_of_three: tuple[Batch, list[Case]], auditor: User
) -> None:
    batch, _cases = batch_of_three
    a_only = hand_over(cast.clerk, [(register(cast), cast.units.unit_a)])

    assert list(batches_visible_to(cast.outsider)) == [batch]
    assert list(batches_visible_to(auditor)) == []
    response = logged_in(cast.outsider).get(reverse("batches:detail", args=[a_only.pk]))
    assert response.status_code == 404


def test_a_case_that_left_the_unit_disappears_from_its_part(
    cast: Cast, batch_of_three: tuple[Batch, list[Case]]
) -> None:
    batch, (first, second, _third) = batch_of_three

    steps.object_to_case(fresh(first), actor=cast.handler, reason="不属于本单位职权范围。")

    unit_a = batch_detail(cast.handler, batch.pk)
    office = batch_detail(cast.clerk, batch.pk)
    assert [i.case for p in unit_a.parts for i in p.items] == [second]
    assert office.parts[0].items[0].case.status == S.REGISTERED


def test_the_receiving_unit_downloads_its_notice_and_the_download_is_audited(
    cast: Cast, batch_of_three: tuple[Batch, list[Case]]
) -> None:
    batch, cases = batch_of_three
    part_a, part_b = batch.parts.order_by("id")

    mine = logged_in(cast.handler).get(reverse("batches:notice", args=[batch.pk, part_a.uid]))
    theirs = logged_in(cast.handler).get(reverse("batches:notice", args=[batch.pk, part_b.uid]))
    office = logged_in(cast.clerk).get(reverse("batches:notice", args=[batch.pk, part_b.uid]))

    assert mine.status_code == 200
    assert mine["Content-Disposition"].startswith("attachment;")
    assert mine["X-Content-Type-Options"] == "nosniff"
    assert cases[0].number in docx_text(mine.content)
    assert theirs.status_code == 404
    assert office.status_code == 200
    assert AuditEvent.objects.filter(event="document.download").count() == 2


def test_the_batch_pages_answer_404_to_a_stranger_and_403_to_administrators(
    cast: Cast, batch_of_three: tuple[Batch, list[Case]], auditor: User
) -> None:
    batch, _cases = batch_of_three
    part = batch.parts.first()
    assert part is not None

    assert logged_in(auditor).get(reverse("batches:list")).status_code == 403
    assert logged_in(auditor).get(reverse("batches:detail", args=[batch.pk])).status_code == 403
    missing = logged_in(cast.clerk).get(reverse("batches:detail", args=[batch.pk + 100]))
    assert missing.status_code == 404


def count_queries(user: User, url: str) -> int:
    client = logged_in(user)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_list_costs_the_same_queries_for_one_or_three_batches(cast: Cast) -> None:
    hand_over(cast.clerk, [(register(cast), cast.units.unit_a)])
    one = count_queries(cast.clerk, reverse("batches:list"))
    for _ in range(2):
        hand_over(cast.clerk, [(register(cast), cast.units.unit_a)])

    assert count_queries(cast.clerk, reverse("batches:list")) == one


def test_the_batch_page_costs_the_same_queries_for_one_or_three_cases(
    cast: Cast, districts: Districts
) -> None:
    small = hand_over(cast.clerk, [(register(cast), cast.units.unit_a)])
    big = hand_over(
        cast.clerk,
        [
            (register(cast), cast.units.unit_a),
            (register(cast), cast.units.unit_a),
            (register(cast, region=districts.a2), cast.units.unit_b),
        ],
    )

    one = count_queries(cast.clerk, reverse("batches:detail", args=[small.pk]))
    assert count_queries(cast.clerk, reverse("batches:detail", args=[big.pk])) == one
