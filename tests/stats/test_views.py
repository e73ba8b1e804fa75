"""The statistics pages and downloads: who may open them, what they show, what they write to
the audit trail, and that the number of queries does not grow with the rows."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import docx
import openpyxl
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.conftest import logged_in
from tests.stats.conftest import TODAY, World, at, make_case, today_is, visit
from xinfang.accounts.models import User
from xinfang.audit.models import AuditEvent
from xinfang.stats.services import fold_changes

QUERY = "start=2026-01-01&end=2026-06-30"
PAGES = [
    f"/stats/?{QUERY}",
    f"/stats/units/?{QUERY}",
    f"/stats/tables/region/?{QUERY}",
    f"/stats/tables/month/?{QUERY}",
    f"/stats/tables/reception/?{QUERY}",
    f"/stats/cases/?measure=collective_batches&{QUERY}",
    f"/stats/cases/?measure=cases_received&{QUERY}",
]
DOWNLOADS = [
    f"/stats/export/summary.xlsx?{QUERY}",
    f"/stats/export/units.xlsx?{QUERY}",
    f"/stats/export/by-category.xlsx?{QUERY}",
    f"/stats/export/cases.xlsx?measure=collective_people&{QUERY}",
    f"/stats/report.docx?year=2026&{QUERY}",
]


def drain(response: Any) -> bytes:
    """A page's body, or a download's bytes (read to the end, the test client closes the
    temporary file; ``response.close()`` would also close the test's database connection)."""
    if not response.streaming:
        return bytes(response.content)
    return b"".join(response.streaming_content)


@pytest.fixture(autouse=True)
def end_of_2026() -> Any:
    with today_is(TODAY):
        yield


@pytest.mark.parametrize("path", PAGES + DOWNLOADS)
@pytest.mark.parametrize("who", ["leader", "supervisor"])
def test_leaders_and_supervisors_open_every_page_and_download(
    world: World, request: pytest.FixtureRequest, who: str, path: str
) -> None:
    response = logged_in(request.getfixturevalue(who)).get(path)
    drain(response)

    assert response.status_code == 200


@pytest.mark.parametrize("path", PAGES + DOWNLOADS)
@pytest.mark.parametrize("who", ["clerk", "handler", "auditor"])
def test_other_roles_get_403(
    world: World, request: pytest.FixtureRequest, who: str, path: str
) -> None:
    assert logged_in(request.getfixturevalue(who)).get(path).status_code == 403


@pytest.mark.parametrize("path", PAGES + DOWNLOADS)
def test_anonymous_visitors_are_sent_to_sign_in(world: World, path: str) -> None:
    response = Client().get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("path", PAGES + DOWNLOADS)
def test_the_pages_only_answer_get(world: World, leader: User, path: str) -> None:
    assert logged_in(leader).post(path).status_code == 405


@pytest.mark.parametrize("measure", ["no_such", "lead_cases", ""])
def test_an_unknown_measure_has_no_list(world: World, leader: User, measure: str) -> None:
    assert logged_in(leader).get(f"/stats/cases/?measure={measure}").status_code == 404


def test_an_unknown_breakdown_is_404(world: World, leader: User) -> None:
    assert logged_in(leader).get("/stats/tables/nothing/").status_code == 404


def test_the_dashboard_shows_the_sentence_the_rates_with_formulas_and_the_supervision(
    world: World, leader: User
) -> None:
    page = logged_in(leader).get(f"/stats/?{QUERY}").content.decode()

    assert "2026年1月1日至6月30日共受理群众来访集体访2批14人次" in page
    assert "及时受理率" in page
    assert "按期告知受理事项 ÷ 应告知受理事项 × 100%" in page
    assert "包案化解事项 ÷ 领导包案事项 × 100%" in page
    assert "33.3%" in page  # 领导包案化解率: 1 of 3
    assert "暂无数据" not in page
    assert 'id="stats-charts"' in page
    assert "/stats/cases/?measure=collective_batches" in page
    assert "/stats/cases/?measure=listed" in page


def test_the_drill_down_lists_the_rows_behind_the_figure(world: World, leader: User) -> None:
    page = logged_in(leader).get(f"/stats/cases/?measure=collective_batches&{QUERY}")

    assert page.context["total"] == 2
    assert len(page.context["page"].rows) == 2
    assert {c.case.title for c in page.context["page"].rows} == {"拆迁补偿"}


def test_the_drill_down_pages_by_keyset(world: World, leader: User, settings: Any) -> None:
    client = logged_in(leader)
    url = f"/stats/cases/?measure=contacts_total&{QUERY}"
    seen: list[int] = []
    response = client.get(url)
    from xinfang.stats import queries
    from xinfang.stats.measures import MEASURES

    page = queries.drill_page(
        leader, world.filters, MEASURES["contacts_total"], size=4, today=TODAY
    )
    while True:
        seen += [row.pk for row in page.rows]
        if not page.next_cursor:
            break
        page = queries.drill_page(
            leader,
            world.filters,
            MEASURES["contacts_total"],
            after=page.next_cursor,
            size=4,
            today=TODAY,
        )
    assert response.status_code == 200
    assert len(seen) == len(set(seen)) == 10


def test_the_drill_down_costs_the_same_queries_for_one_row_and_three(
    world: World, leader: User, clerk: User
) -> None:
    client = logged_in(leader)
    url = "/stats/cases/?measure=fax&start=2026-01-01&end=2026-06-30"
    client.get(url)  # warm the session and the content types

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    one = count()
    for day in ("2026-02-03", "2026-02-04"):
        case = make_case(
            clerk,
            received=day,
            region=world.places.other,
            category=world.places.wages,
            channel="fax",
        )
        visit(case, at(day), channel="fax")
    fold_changes()  # what the queue task does; a page folds a short queue itself (test_precomputed)
    assert count() == one


def test_the_dashboard_costs_the_same_queries_however_many_cases(
    world: World, leader: User, clerk: User
) -> None:
    client = logged_in(leader)
    url = f"/stats/?{QUERY}"
    client.get(url)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        return len(queries)

    before = count()
    for day in ("2026-02-03", "2026-03-04", "2026-04-05"):
        case = make_case(
            clerk, received=day, region=world.places.other, category=world.places.wages
        )
        visit(case, at(day), people=6)
    fold_changes()
    assert count() == before


def test_every_download_writes_one_audit_event(world: World, leader: User) -> None:
    client = logged_in(leader)
    for path in DOWNLOADS:
        before = AuditEvent.objects.count()
        drain(client.get(path))
        events = AuditEvent.objects.order_by("-seq")[: AuditEvent.objects.count() - before]
        assert [e.event for e in events] in (["stats.export"], ["stats.report"]), path
        assert events[0].actor_name == "leader"
        assert events[0].detail["filters"]["start"] == "2026-01-01"


def workbook(response: Any) -> Any:
    return openpyxl.load_workbook(io.BytesIO(drain(response)))


def test_the_detail_export_has_every_row_and_neutralises_formulas(
    world: World, leader: User
) -> None:
    from xinfang.cases.models import Case

    Case.objects.filter(title="拆迁补偿").update(title='=HYPERLINK("http://evil","点我")')
    response = logged_in(leader).get(f"/stats/export/cases.xlsx?measure=collective_people&{QUERY}")

    sheet = workbook(response).active
    rows = [
        row
        for row in sheet.iter_rows(values_only=True)
        if row and row[0] and str(row[0])[:2] == "20"
    ]
    assert len(rows) == 2
    assert sum(row[2] for row in rows) == 14  # people: the figure's 14 人次
    assert {row[8] for row in rows} == {'\'=HYPERLINK("http://evil","点我")'}
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert AuditEvent.objects.filter(event="stats.export").latest("seq").detail["rows"] == 2


def test_the_summary_export_carries_the_figures_and_the_formulas(
    world: World, leader: User
) -> None:
    book = workbook(logged_in(leader).get(f"/stats/export/summary.xlsx?{QUERY}"))

    values = {row[0]: row for row in book["基本情况"].iter_rows(values_only=True) if row}
    assert values["集体访批次"][2] == 2
    assert values["集体访人次"][2] == 14
    assert values["督办事项"][2] == 2
    assert values["包案化解事项"][2] == 1
    rates = {row[0]: row for row in book["比率"].iter_rows(values_only=True) if row}
    assert rates["领导包案化解率"][1:4] == ("33.3%", 1, 3)
    assert rates["重复信访率"][1] == "28.6%"


def test_the_annual_report_is_a_gbt_9704_document_written_from_the_numbers(
    world: World, leader: User
) -> None:
    response = logged_in(leader).get("/stats/report.docx?year=2026")
    content = drain(response)
    document = docx.Document(io.BytesIO(content))

    texts = [p.text for p in document.paragraphs]
    assert texts[0] == "A市信访局关于2026年度信访工作情况的报告"
    assert (
        "2026年全年共受理群众来访集体访2批14人次（其中重访1批6人次），个体访5人次（其中重访3人次、"
        "涉法涉诉1人次）；来信2件，网上信访1件，来电2件，传真1件。"
    ) in texts
    assert (
        "对3件信访事项发出督办单，其中2件已书面答复（66.7%）；挂牌督办2件；领导包案3件，"
        "已化解2件，领导包案化解率66.7%。"
    ) in "".join(texts)
    assert "暂无数据" not in "".join(texts)
    section = document.sections[0]
    assert section.top_margin is not None
    assert section.left_margin is not None
    assert round(section.top_margin.mm) == 37
    assert round(section.left_margin.mm) == 28
    assert len(document.tables) == 5
    names = zipfile.ZipFile(io.BytesIO(content)).namelist()
    assert {"word/charts/chart1.xml", "word/charts/chart2.xml"} <= set(names)
    assert "word/embeddings/Microsoft_Excel_Sheet1.xlsx" in names
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")


def test_a_bad_report_year_goes_back_to_the_dashboard(world: World, leader: User) -> None:
    response = logged_in(leader).get("/stats/report.docx?year=abc")

    assert response.status_code == 302
    assert response["Location"] == "/stats/"


def test_the_nav_offers_statistics_to_leaders_only(world: World, leader: User, clerk: User) -> None:
    assert "统计分析" in logged_in(leader).get("/stats/").content.decode()
    assert "统计分析" not in logged_in(clerk).get("/cases/").content.decode()
