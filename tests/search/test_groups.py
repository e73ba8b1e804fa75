"""同类问题归并: groups of cases naming the same estate in one county, with their trend; the
page for supervisors and leaders, computed on the task queue; drill-down, export, visibility."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from huey.contrib.djhuey import HUEY
from openpyxl import load_workbook

from tests.conftest import Units, logged_in
from tests.factories import CaseFactory, RegionFactory, UserFactory
from xinfang.accounts.enums import RegionLevel, Role
from xinfang.accounts.models import Region, User
from xinfang.audit.models import AuditEvent
from xinfang.cases.models import Case, ContentCategory
from xinfang.search import groups
from xinfang.search.enums import GroupRunStatus
from xinfang.search.groups import Choice, group_case_ids
from xinfang.search.models import GroupRun, IssueGroup

PAGE = reverse("search:groups")
REFRESH = reverse("search:groups_refresh")
FROM, TO = dt.date(2026, 1, 1), dt.date(2026, 6, 30)
CHOICE = Choice(FROM, TO)

ESTATE = [
    ("幸福家园小区物业乱收停车费", dt.date(2026, 1, 10)),
    ("幸福家园小区电梯故障无人维修", dt.date(2026, 2, 3)),
    ("反映幸福家园停车位被物业占用", dt.date(2026, 3, 15)),
    ("幸福家园业主请求公开维修基金账目", dt.date(2026, 3, 20)),
]
WAGES = [
    "宏达建筑公司拖欠工资",
    "永盛物流公司拖欠工资",
    "华兴餐饮公司拖欠工资",
    "鼎力装饰公司拖欠工资",
]
TOWNSHIP = ["幸福街道路灯长期不亮", "幸福街道垃圾无人清运", "幸福街道菜市场噪音扰民"]
OTHERS = ["学校违规补课收费", "医院乱收检查费", "道路施工夜间噪音", "公交线路调整不合理"]


@pytest.fixture
def second_county(region: Region) -> Region:
    assert region.parent is not None
    return RegionFactory(code="990103", name="A2区", level=RegionLevel.COUNTY, parent=region.parent)


@pytest.fixture
def township(region: Region) -> Region:
    return RegionFactory(
        code="990102001", name="幸福街道", level=RegionLevel.TOWNSHIP, parent=region
    )


@pytest.fixture
def other_supervisor(units: Units) -> User:
    return UserFactory(username="supervisor_b", unit=units.unit_b, roles=[Role.SUPERVISOR])


@pytest.fixture
def corpus(
    clerk: User,
    region: Region,
    second_county: Region,
    township: Region,
    category: ContentCategory,
) -> dict[str, list[Case]]:
    """A1区: four cases naming 幸福家园, four unpaid-wages cases of four firms, three about the
    township 幸福街道; A2区: one more 幸福家园 case and four more unpaid-wages cases."""

    def case(title: str, place: Region, received: dt.date = dt.date(2026, 4, 1)) -> Case:
        return CaseFactory(
            registered_by=clerk,
            title=title,
            region=place,
            content_category=category,
            received_on=received,
        )

    made = {
        "estate": [case(title, region, day) for title, day in ESTATE],
        "wages": [case(title, region) for title in WAGES],
        "township": [case(title, township) for title in TOWNSHIP],
    }
    made["elsewhere"] = [case("幸福家园路段积水严重", second_county)]
    made["elsewhere"] += [case(title, second_county) for title in WAGES]
    made["others"] = [case(title, region) for title in OTHERS]
    return made


def _run(supervisor: User, choice: Choice = CHOICE) -> GroupRun:
    run = groups.request_group_run(actor=supervisor, choice=choice)
    return groups.compute_run(run.pk)


def _found(run: GroupRun) -> list[tuple[str, list[str]]]:
    return [
        (group.label, sorted(group.members.values_list("case__title", flat=True)))
        for group in run.groups.all()
    ]


@pytest.fixture
def tasks_in_process() -> Iterator[None]:
    HUEY.immediate = True
    yield
    HUEY.immediate = False


# --- the grouping ---------------------------------------------------------------------------------


def test_cases_naming_the_same_estate_in_one_county_form_one_group_with_its_trend(
    supervisor: User, corpus: dict[str, list[Case]], region: Region
) -> None:
    run = _run(supervisor)

    assert run.status == GroupRunStatus.DONE
    assert _found(run) == [("幸福家园", sorted(title for title, _ in ESTATE))]
    group = run.groups.get()
    assert (group.size, group.region, group.first_received, group.last_received) == (
        4,
        region,
        dt.date(2026, 1, 10),
        dt.date(2026, 3, 20),
    )
    assert group.monthly == {"2026-01": 1, "2026-02": 1, "2026-03": 2}
    assert run.cases_seen == 20


def test_a_compound_written_in_every_county_and_a_township_name_make_no_group(
    supervisor: User, corpus: dict[str, list[Case]]
) -> None:
    """拖欠工资 is what many firms do, in both counties; 幸福街道 is where, not what."""
    labels = [label for label, _ in _found(_run(supervisor))]

    assert labels == ["幸福家园"]


def test_a_period_without_the_cases_finds_no_group(
    supervisor: User, corpus: dict[str, list[Case]]
) -> None:
    run = _run(supervisor, Choice(dt.date(2025, 1, 1), dt.date(2025, 12, 31)))

    assert (run.status, run.cases_seen, _found(run)) == (GroupRunStatus.DONE, 0, [])


def test_a_region_choice_groups_only_its_cases(
    supervisor: User, corpus: dict[str, list[Case]], second_county: Region
) -> None:
    run = _run(supervisor, Choice(FROM, TO, region_code=second_county.code))

    assert (run.cases_seen, _found(run)) == (5, [])


def test_a_new_run_of_the_same_choice_replaces_the_older_one(
    supervisor: User, corpus: dict[str, list[Case]]
) -> None:
    first = _run(supervisor)
    second = _run(supervisor)

    assert list(GroupRun.objects.values_list("pk", flat=True)) == [second.pk]
    assert IssueGroup.objects.filter(run=first.pk).count() == 0


# --- visibility and the function for 集中交办 ------------------------------------------------


def test_group_case_ids_are_the_visible_members_newest_received_first(
    supervisor: User, corpus: dict[str, list[Case]]
) -> None:
    group = _run(supervisor).groups.get()

    assert group_case_ids(group.pk, user=supervisor) == [
        case.pk for case in reversed(corpus["estate"])
    ]


def test_a_supervisor_of_another_unit_gets_nothing_of_this_units_groups(
    supervisor: User, other_supervisor: User, corpus: dict[str, list[Case]]
) -> None:
    group = _run(supervisor).groups.get()

    assert group_case_ids(group.pk, user=other_supervisor) == []
    assert (
        logged_in(other_supervisor).get(reverse("search:group", args=[group.pk])).status_code == 404
    )
    export = reverse("search:group_export", args=[group.pk])
    assert logged_in(other_supervisor).get(export).status_code == 404


def test_a_unit_sees_groups_made_only_of_cases_it_may_see(
    clerk: User, other_supervisor: User, units: Units, region: Region, category: ContentCategory
) -> None:
    """Unit B's own run reads unit B's cases: unit A's estate complaints make no group there."""
    for title, day in ESTATE:
        CaseFactory(
            registered_by=clerk,
            title=title,
            region=region,
            handling_unit=units.unit_a,
            received_on=day,
        )

    run = _run(other_supervisor)

    assert (run.cases_seen, _found(run)) == (0, [])


# --- the pages ------------------------------------------------------------------------------------


def test_supervisor_and_leader_open_the_page_others_may_not(
    supervisor: User, leader: User, clerk: User, handler: User, auditor: User
) -> None:
    assert logged_in(supervisor).get(PAGE).status_code == 200
    assert logged_in(leader).get(PAGE).status_code == 200
    assert logged_in(clerk).get(PAGE).status_code == 403
    assert logged_in(handler).get(PAGE).status_code == 403
    assert logged_in(auditor).get(PAGE).status_code == 403
    anonymous = Client().get(PAGE)
    assert (anonymous.status_code, anonymous["Location"].startswith("/accounts/login/")) == (
        302,
        True,
    )


def test_the_page_and_refresh_refuse_the_wrong_method_with_405(supervisor: User) -> None:
    client = logged_in(supervisor)
    assert client.post(PAGE).status_code == 405
    assert client.get(REFRESH).status_code == 405


def test_refreshing_queues_a_run_that_the_page_then_shows(
    supervisor: User,
    corpus: dict[str, list[Case]],
    tasks_in_process: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = logged_in(supervisor)
    chosen = {
        "period_from": FROM.isoformat(),
        "period_to": TO.isoformat(),
        "region": "",
        "unit": "",
    }
    assert "尚未计算" in client.get(PAGE, chosen).content.decode()
    before = AuditEvent.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(REFRESH, chosen)

    assert response.status_code == 302
    page = client.get(response["Location"])
    html = page.content.decode()
    assert "幸福家园" in html
    assert "问题组 1 个" in html
    assert [row.visible for row in page.context["page"].rows] == [4]
    assert list(AuditEvent.objects.order_by("seq").values_list("event", flat=True)[before:]) == [
        "search.groups.request",
        "search.groups.finish",
    ]


def test_a_queued_run_makes_the_page_poll_and_a_second_click_queues_nothing(
    supervisor: User, corpus: dict[str, list[Case]]
) -> None:
    client = logged_in(supervisor)
    chosen = {"period_from": FROM.isoformat(), "period_to": TO.isoformat()}
    client.post(REFRESH, chosen)  # outside a captured commit: stays queued
    client.post(REFRESH, chosen)

    html = client.get(PAGE, chosen).content.decode()

    assert GroupRun.objects.filter(status=GroupRunStatus.QUEUED).count() == 1
    assert 'hx-trigger="every 3s"' in html
    assert "正在计算" in html


def test_a_period_ending_before_it_starts_is_refused_with_a_message(supervisor: User) -> None:
    response = logged_in(supervisor).post(
        REFRESH, {"period_from": "2026-06-01", "period_to": "2026-01-01"}, follow=True
    )

    assert "开始日期不能晚于结束日期" in response.content.decode()
    assert GroupRun.objects.count() == 0


def test_nonsense_in_the_filters_drops_out_and_the_page_still_answers(supervisor: User) -> None:
    response = logged_in(supervisor).get(
        PAGE,
        {
            "period_from": "明天",
            "period_to": "2026-13-45",
            "region": "x",
            "unit": "-1",
            "page": "0",
        },
    )

    assert response.status_code == 200
    assert response.context["choice"] == groups.default_choice()


def test_the_drill_down_lists_the_groups_cases(
    supervisor: User, corpus: dict[str, list[Case]]
) -> None:
    group = _run(supervisor).groups.get()

    response = logged_in(supervisor).get(reverse("search:group", args=[group.pk]))

    assert response.status_code == 200
    assert [case.pk for case in response.context["cases"]] == [
        case.pk for case in reversed(corpus["estate"])
    ]
    html = response.content.decode()
    assert "2026-03：2件" in html
    assert f'href="{reverse("batches:new")}?group={group.pk}"' in html  # on to 集中交办


def test_the_export_holds_the_groups_cases_with_formulas_neutralised_and_is_audited(
    supervisor: User, corpus: dict[str, list[Case]]
) -> None:
    Case.objects.filter(pk=corpus["estate"][0].pk).update(request='=HYPERLINK("x")')
    group = _run(supervisor).groups.get()
    client = logged_in(supervisor)
    before = AuditEvent.objects.count()

    response = client.get(reverse("search:group_export", args=[group.pk]))

    assert response["Content-Disposition"] == f'attachment; filename="issue-group-{group.pk}.xlsx"'
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("问题组", "信访件编号", "标题")
    assert [row[1] for row in rows[1:]] == [case.number for case in reversed(corpus["estate"])]
    assert {row[0] for row in rows[1:]} == {"幸福家园"}
    assert rows[-1][-1] == '\'=HYPERLINK("x")'
    event = AuditEvent.objects.latest("seq")
    assert (AuditEvent.objects.count() - before, event.event, event.detail["rows"]) == (
        1,
        "search.groups.export",
        4,
    )


def test_the_groups_page_costs_the_same_queries_for_one_group_and_three(
    supervisor: User, clerk: User, region: Region, category: ContentCategory
) -> None:
    def estate(name: str) -> None:
        for title, day in ESTATE:
            CaseFactory(
                registered_by=clerk,
                title=title.replace("幸福家园", name),
                region=region,
                content_category=category,
                received_on=day,
            )

    client = logged_in(supervisor)
    chosen = {"period_from": FROM.isoformat(), "period_to": TO.isoformat()}
    estate("幸福家园")
    _run(supervisor)
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(PAGE, chosen).context["page"].rows) == 1
    estate("锦绣华庭")
    estate("翠湖名苑")
    _run(supervisor)
    with CaptureQueriesContext(connection) as three:
        assert len(client.get(PAGE, chosen).context["page"].rows) == 3
    assert len(three) == len(one)


# --- nightly --------------------------------------------------------------------------------------


def test_the_nightly_run_groups_the_last_year_for_the_root_unit_and_the_page_shows_it(
    supervisor: User, corpus: dict[str, list[Case]]
) -> None:
    out = io.StringIO()
    call_command("refresh_issue_groups", "--until", "2026-06-30", stdout=out)

    assert "问题组 1 个" in out.getvalue()
    run = GroupRun.objects.get()
    assert (run.requested_by, run.period_from, run.period_to) == (
        None,
        dt.date(2025, 7, 1),
        dt.date(2026, 6, 30),
    )
    page = logged_in(supervisor).get(PAGE)
    assert page.context["run"] == run
    assert "幸福家园" in page.content.decode()


def test_old_runs_are_purged_but_each_units_newest_finished_run_stays(
    supervisor: User, corpus: dict[str, list[Case]]
) -> None:
    old = _run(supervisor, Choice(dt.date(2025, 1, 1), dt.date(2025, 12, 31)))
    newest = _run(supervisor)
    GroupRun.objects.update(requested_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))

    assert groups.purge_old_runs(now=dt.datetime(2026, 2, 1, tzinfo=dt.UTC)) == 1
    assert list(GroupRun.objects.values_list("pk", flat=True)) == [newest.pk]
    assert not GroupRun.objects.filter(pk=old.pk).exists()
