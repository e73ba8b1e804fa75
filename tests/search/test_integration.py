"""Search where people already are: a search box on the case list that keeps the filters, the
reply a ledger brought in on the case page, and the demo's index built after its data."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.conftest import Units, logged_in
from tests.factories import CaseFactory
from xinfang.accounts.models import User
from xinfang.cases.models import Case
from xinfang.ledger.enums import ImportStatus
from xinfang.ledger.models import ImportedRow, LedgerImport

REPO = Path(__file__).resolve().parents[2]
SEARCH_FORM = re.compile(r'<form method="get" action="/search/".*?</form>', re.S)


def test_the_case_list_offers_a_search_box_that_carries_the_current_filters(
    clerk: User, units: Units
) -> None:
    html = (
        logged_in(clerk)
        .get(
            reverse("cases:list"),
            {
                "status": "registered",
                "channel": "visit",
                "unit": str(units.unit_a.pk),
                "after": "x",
            },
        )
        .content.decode()
    )

    form = SEARCH_FORM.search(html)
    assert form is not None
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form[0]))
    assert hidden == {"status": "registered", "channel": "visit", "unit": str(units.unit_a.pk)}
    assert 'name="q"' in form[0]


def test_submitting_the_list_search_box_searches_within_the_filters(
    clerk: User, units: Units
) -> None:
    kept = CaseFactory(registered_by=clerk, title="锦绣花园物业乱收费", channel="visit")
    CaseFactory(registered_by=clerk, title="锦绣花园物业不作为", channel="letter")

    response = logged_in(clerk).get(reverse("search:search"), {"q": "锦绣花园", "channel": "visit"})

    assert [hit.case for hit in response.context["page"].hits] == [kept]


def _imported(case: Case, clerk: User, reply: str, replied_on: dt.date | None) -> ImportedRow:
    unit = clerk.unit
    assert unit is not None
    ledger = LedgerImport.objects.create(
        created_by=clerk,
        unit=unit,
        source="2019年网上留言台账",
        file_name="台账.xlsx",
        file_kind="xlsx",
        file_sha256="0" * 64,
        status=ImportStatus.DONE,
        finished_at=timezone.now(),
    )
    return ImportedRow.objects.create(
        unit=unit,
        source=ledger.source,
        row_key="2549",
        case=case,
        ledger_import=ledger,
        row_number=7,
        reply=reply,
        replied_on=replied_on,
    )


def test_the_case_page_shows_the_reply_a_ledger_brought_in(clerk: User) -> None:
    case = CaseFactory(registered_by=clerk, title="景蓉华苑物业管理有问题")
    _imported(case, clerk, "经调查，物业公司已于5月进场。\n特此答复。", dt.date(2019, 5, 20))

    html = logged_in(clerk).get(reverse("cases:detail", args=[case.number])).content.decode()

    assert "答复意见（台账导入）" in html
    assert "经调查，物业公司已于5月进场。<br>特此答复。" in html
    assert "答复日期 2019-05-20" in html
    assert "来自台账“2019年网上留言台账”第 7 行" in html


def test_a_case_not_imported_shows_no_ledger_reply(clerk: User) -> None:
    case = CaseFactory(registered_by=clerk)

    html = logged_in(clerk).get(reverse("cases:detail", args=[case.number])).content.decode()

    assert "答复意见（台账导入）" not in html


def test_the_imported_reply_costs_no_extra_query(clerk: User) -> None:
    plain = CaseFactory(registered_by=clerk)
    imported = CaseFactory(registered_by=clerk)
    _imported(imported, clerk, "已答复。", None)
    client = logged_in(clerk)
    client.get(reverse("cases:detail", args=[plain.number]))  # warm the session

    with CaptureQueriesContext(connection) as without:
        client.get(reverse("cases:detail", args=[plain.number]))
    with CaptureQueriesContext(connection) as with_reply:
        response = client.get(reverse("cases:detail", args=[imported.number]))

    assert "已答复。" in response.content.decode()
    assert len(with_reply) == len(without)


def test_make_demo_builds_the_search_index_right_after_the_demo_data() -> None:
    lines = (REPO / "Makefile").read_text().splitlines()
    seed = next(i for i, line in enumerate(lines) if "seed_demo" in line and "MANAGE" in line)

    assert lines[seed + 1].strip() == "$(MANAGE) rebuild_search_index"


def test_the_search_page_reached_from_the_list_keeps_its_filters_in_the_export_link(
    clerk: User,
) -> None:
    CaseFactory(registered_by=clerk, title="锦绣花园物业乱收费", channel="visit")

    html = (
        logged_in(clerk)
        .get(reverse("search:search"), {"q": "锦绣花园", "channel": "visit"})
        .content.decode()
    )

    link = re.search(r'href="(/search/export\.xlsx\?[^"]+)"', html)
    assert link is not None
    assert parse_qs(urlsplit(link[1].replace("&amp;", "&")).query) == {
        "q": ["锦绣花园"],
        "channel": ["visit"],
    }
