"""The pieces of W2, W5 and W6 that must be right for their numbers to mean anything: the
generated ledger is the same every time and reads as a ledger, and the substring baseline of
the search finds what the index finds. No timing is asserted (PERFORMANCE.md)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from openpyxl import load_workbook

from bench import w2_search, w5_ledger, w6_related
from tests.factories import CaseFactory
from xinfang.accounts.models import User
from xinfang.cases.queries import CaseFilters
from xinfang.core.validators import validate_id_number
from xinfang.search.analyzer import parse_query
from xinfang.search.queries import search_ids
from xinfang.search.related import Draft
from xinfang.search.termstats import weights_for


def test_the_generated_ledger_is_the_same_file_every_time(tmp_path: Path) -> None:
    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    assert w5_ledger.write_xlsx(first, w5_ledger.ledger_rows(60), count=60) == 60
    w5_ledger.write_xlsx(second, w5_ledger.ledger_rows(60), count=60)
    assert first.read_bytes() == second.read_bytes()


def test_the_generated_ledger_reads_as_an_office_keeps_it(tmp_path: Path) -> None:
    path = tmp_path / "ledger.xlsx"
    w5_ledger.write_xlsx(path, w5_ledger.ledger_rows(300), count=300)
    sheet = load_workbook(io.BytesIO(path.read_bytes()), read_only=True).worksheets[0]
    assert sheet.max_row == 301  # the dimension Excel writes
    header, *rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert header == w5_ledger.HEADERS
    assert len(rows) == 300
    column = {name: index for index, name in enumerate(header)}
    received = [row[column["收到日期"]] for row in rows]
    assert {type(value) for value in received} >= {dt.datetime, str}
    people = [row[column["身份证号"]] for row in rows if row[column["身份证号"]]]
    assert all(number.startswith("98") for number in people)  # no real birthplace
    valid = 0
    for number in people:
        try:
            validate_id_number(number)
            valid += 1
        except Exception:  # noqa: S112 - the few flawed rows on purpose
            continue
    assert valid >= len(people) - 3
    answered = [row for row in rows if row[column["答复时间"]]]
    assert 0.4 < len(answered) / len(rows) < 0.95
    assert all(row[column["答复意见"]] for row in answered)


def test_the_search_baseline_finds_what_the_index_finds(clerk: User) -> None:
    for title in ["小区物业乱收费", "物业公司不修电梯", "拖欠工资三个月", "工资 拖欠", "路灯"]:
        CaseFactory(title=title, request="请求处理。", registered_by=clerk)  # indexed on save
    for text in ("物业", "拖欠工资", "工资 拖欠"):
        found = search_ids(clerk, parse_query(text), CaseFilters())
        scanned = w2_search.substring_scan(clerk, text, CaseFilters())
        assert sorted(found) == sorted(scanned.values_list("id", flat=True))
        assert found


def test_the_brute_force_ranks_the_most_similar_case_first(clerk: User) -> None:
    titles = ("幸福花园小区物业乱收费停车费", "东湖路道路施工噪音扰民", "幸福花园电梯停运")
    ids = {
        CaseFactory(title=title, request=title, registered_by=clerk).pk: title for title in titles
    }
    draft = Draft(title="幸福花园物业乱收停车费", request="业主反映物业乱收停车费")
    best = w6_related.brute_force(clerk, draft, weights_for(()))
    assert [ids[pk] for pk in best] == ["幸福花园小区物业乱收费停车费", "幸福花园电梯停运"]
