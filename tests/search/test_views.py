"""The 检索 page: highlighted results for case workers, scoped and paged."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from tests.conftest import Units, logged_in
from tests.factories import CaseFactory
from xinfang.accounts.models import User
from xinfang.audit.models import AuditEvent
from xinfang.cases.models import Case

URL = reverse("search:search")


def _case(user: User, title: str, **fields: Any) -> Case:
    return CaseFactory(registered_by=user, title=title, **fields)


def test_clerk_sees_matches_marked_in_title_and_snippet(clerk: User) -> None:
    case = _case(clerk, "锦绣花园物业乱收费", request="请求物业公司退还多收的停车费。")
    response = logged_in(clerk).get(URL, {"q": "物业"})
    assert response.status_code == 200
    html = response.content.decode()
    assert f'href="{reverse("cases:detail", args=[case.number])}"' in html
    assert "锦绣花园<mark>物业</mark>乱收费" in html
    assert "请求<mark>物业</mark>公司退还多收的停车费。" in html
    assert "找到 1 件" in html


def test_text_from_a_case_is_escaped_around_the_marks(clerk: User) -> None:
    _case(clerk, "<b>物业</b>", request="<script>alert(1)</script>物业")
    html = logged_in(clerk).get(URL, {"q": "物业"}).content.decode()
    assert "&lt;b&gt;<mark>物业</mark>&lt;/b&gt;" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;<mark>物业</mark>" in html
    assert "<script>alert" not in html


def test_full_width_text_is_marked_for_a_half_width_query(clerk: User) -> None:
    _case(clerk, "ＡＢＣ公司拖欠工资")
    html = logged_in(clerk).get(URL, {"q": "abc"}).content.decode()
    assert "<mark>ＡＢＣ</mark>公司拖欠工资" in html


def test_outsider_gets_an_empty_page_for_words_only_unit_a_has(
    units: Units, handler: User, outsider: User
) -> None:
    _case(handler, "锦绣花园物业乱收费")
    response = logged_in(outsider).get(URL, {"q": "锦绣花园"})
    assert response.status_code == 200
    assert response.context["page"].hits == []
    assert "锦绣花园物业" not in response.content.decode()


def test_a_title_match_ranks_above_a_match_in_the_facts(clerk: User) -> None:
    facts = _case(clerk, "小区停车问题", facts_reasons="物业公司收取停车费")
    title = _case(clerk, "物业公司收费问题")
    hits = logged_in(clerk).get(URL, {"q": "物业公司"}).context["page"].hits
    assert [hit.case.pk for hit in hits] == [title.pk, facts.pk]


def test_newest_order_pages_by_keyset_through_every_match(
    clerk: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("xinfang.search.queries.PAGE_SIZE", 2)
    cases = [_case(clerk, f"物业问题{n}") for n in range(5)]
    client = logged_in(clerk)
    seen: list[int] = []
    params: dict[str, str] = {"q": "物业", "order": "newest"}
    page = client.get(URL, params).context["page"]
    seen += [hit.case.pk for hit in page.hits]
    while page.next_after:
        page = client.get(URL, {**params, "after": str(page.next_after)}).context["page"]
        seen += [hit.case.pk for hit in page.hits]
    assert seen == [case.pk for case in reversed(cases)]
    back = client.get(URL, {**params, "before": str(page.previous_before)}).context["page"]
    assert [hit.case.pk for hit in back.hits] == [cases[2].pk, cases[1].pk]


def test_relevance_order_pages_by_number(clerk: User, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("xinfang.search.queries.PAGE_SIZE", 2)
    cases = {_case(clerk, f"物业问题{n}").pk for n in range(3)}
    client = logged_in(clerk)
    first = client.get(URL, {"q": "物业"}).context["page"]
    second = client.get(URL, {"q": "物业", "page": "2"}).context["page"]
    assert (first.has_next, second.has_next) == (True, False)
    assert {hit.case.pk for hit in first.hits + second.hits} == cases


def test_an_empty_query_shows_the_form_without_results(clerk: User) -> None:
    _case(clerk, "物业问题")
    response = logged_in(clerk).get(URL)
    assert response.status_code == 200
    assert response.context["page"].hits == []


def test_auditor_gets_403(auditor: User) -> None:
    assert logged_in(auditor).get(URL, {"q": "物业"}).status_code == 403


def test_post_is_not_allowed(clerk: User) -> None:
    assert logged_in(clerk).post(URL, {"q": "物业"}).status_code == 405


def test_anonymous_is_sent_to_sign_in() -> None:
    response = Client().get(URL, {"q": "物业"})
    assert response.status_code == 302


def test_query_count_is_the_same_for_one_and_three_results(clerk: User) -> None:
    client = logged_in(clerk)
    _case(clerk, "物业问题")
    client.get(URL, {"q": "物业"})
    with CaptureQueriesContext(connection) as one:
        client.get(URL, {"q": "物业"})
    _case(clerk, "物业问题")
    _case(clerk, "物业问题")
    with CaptureQueriesContext(connection) as three:
        response = client.get(URL, {"q": "物业"})
    assert len(response.context["page"].hits) == 3
    assert len(one) == len(three)


EXPORT = reverse("search:export")


def _sheet_rows(content: bytes) -> list[list[object]]:
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    return [[cell.value for cell in line] for line in sheet.iter_rows()]


def test_the_export_holds_the_visible_matches_newest_first_with_formulas_neutralised(
    units: Units, clerk: User, handler: User, outsider: User
) -> None:
    older = _case(handler, "物业收费", request="=HYPERLINK(1)物业")
    newer = _case(handler, "物业维修")
    _case(outsider, "物业欠薪")
    response = logged_in(handler).get(EXPORT, {"q": "物业"})
    rows = _sheet_rows(response.content)
    assert rows[0][:2] == ["信访件编号", "标题"]
    assert [row[0] for row in rows[1:]] == [newer.number, older.number]
    assert rows[2][-1] == "'=HYPERLINK(1)物业"
    assert AuditEvent.objects.filter(event="search.export").count() == 1


def test_the_outsider_exports_none_of_unit_a(units: Units, handler: User, outsider: User) -> None:
    _case(handler, "锦绣花园物业")
    rows = _sheet_rows(logged_in(outsider).get(EXPORT, {"q": "锦绣花园"}).content)
    assert rows[1:] == []


def test_auditor_gets_403_on_export(auditor: User) -> None:
    assert logged_in(auditor).get(EXPORT, {"q": "物业"}).status_code == 403
