"""Cells as offices fill them: dates in every usual form, ID numbers, names or codes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from tests.conftest import Units
from tests.factories import RegionFactory, id_number
from xinfang.accounts.models import Region
from xinfang.cases.enums import Channel, HandlingCategory
from xinfang.cases.models import ContentCategory
from xinfang.ledger.parsing import (
    Defaults,
    ParsedRow,
    RowParser,
    RowProblem,
    category_table,
    parse_id_number,
    parse_when,
    region_table,
    row_key,
)
from xinfang.ledger.reading import Row

TODAY = dt.date(2026, 5, 7)
MAY_DAY = dt.datetime(2023, 5, 1)


@pytest.mark.parametrize(
    "value",
    [
        "2023-05-01",
        "2023-5-1",
        "2023/5/1",
        "2023.5.1",
        "2023年5月1日",
        "２０２３年５月１日",
        "2023 年 5 月 1 日",
        "20230501",
        20230501,
        45047,
        45047.0,
        "45047",
        dt.date(2023, 5, 1),
        MAY_DAY,
    ],
)
def test_a_date_in_any_usual_form_is_understood(value: object) -> None:
    assert parse_when(value, today=TODAY) == MAY_DAY


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2019/4/25 9:32:09", dt.datetime(2019, 4, 25, 9, 32, 9)),
        ("2023-05-01T10:20", dt.datetime(2023, 5, 1, 10, 20)),
        ("2023年5月1日 8时30分", dt.datetime(2023, 5, 1, 8, 30)),
        (45047.5, dt.datetime(2023, 5, 1, 12, 0)),
    ],
)
def test_a_time_of_day_is_kept(value: object, expected: dt.datetime) -> None:
    assert parse_when(value, today=TODAY) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("明天", "无法识别"),
        ("2023-02-30", "无法识别"),
        ("2026-05-08", "晚于今天"),
        ("1985-01-01", "早于"),
        (3.5, "无法识别"),
        (True, "无法识别"),
    ],
)
def test_an_impossible_date_is_refused_with_its_reason(value: object, reason: str) -> None:
    with pytest.raises(ValidationError) as refused:
        parse_when(value, today=TODAY)
    assert reason in refused.value.messages[0]


def test_an_id_number_with_a_wrong_check_digit_is_refused() -> None:
    good = id_number(7)
    wrong = good[:-1] + ("0" if good[-1] != "0" else "1")
    assert parse_id_number(good.lower(), today=TODAY) == good
    with pytest.raises(ValidationError, match="校验位"):
        parse_id_number(wrong, today=TODAY)


def test_an_id_number_that_excel_turned_into_a_number_is_explained() -> None:
    with pytest.raises(ValidationError, match="存成了数字"):
        parse_id_number(1.10105198001011e17, today=TODAY)


def test_the_row_key_is_the_ledger_number_or_else_a_digest_of_the_content() -> None:
    assert row_key("Ｌ0001 ", "t", "r", MAY_DAY, "n") == "id:l0001"
    digest = row_key("", "小区物业", "退费", MAY_DAY, "张三")
    assert digest.startswith("sha:")
    assert digest == row_key("", "小区物业 ", "退费", MAY_DAY, "张三")
    assert digest != row_key("", "小区物业", "退费", MAY_DAY, "李四")


@pytest.fixture
def parser(units: Units, region: Region, category: ContentCategory) -> RowParser:
    RegionFactory(code="990103", name="A2区", parent=region.parent)
    columns = {"title": 0, "request": 1, "received": 2, "content_category": 3, "region": 4}
    defaults = Defaults(
        channel=Channel.ONLINE,
        handling_category=HandlingCategory.CLAIM,
        content_category_id=None,
        region_id=region.pk,
        reception_unit=units.office,
    )
    return RowParser(
        columns, defaults, categories=category_table(), regions=region_table(), today=TODAY
    )


def _parse(parser: RowParser, *values: object) -> ParsedRow | RowProblem:
    return parser.parse(Row(2, list(values)))


def test_category_and_region_are_found_by_name_or_by_code(parser: RowParser) -> None:
    by_name = _parse(parser, "标题", "诉求", "2023-05-01", "物业管理", "A2区")
    by_code = _parse(parser, "标题", "诉求", "2023-05-01", "0301", "990103")
    assert isinstance(by_name, ParsedRow)
    assert isinstance(by_code, ParsedRow)
    assert (by_name.case.content_category.code, by_name.case.region.code) == ("0301", "990103")
    assert (by_code.case.content_category.code, by_code.case.region.code) == ("0301", "990103")


def test_an_unknown_category_and_an_overlong_title_are_both_reported(parser: RowParser) -> None:
    result = _parse(parser, "长" * 201, "诉求", "2023-05-01", "不存在的分类", None)
    assert isinstance(result, RowProblem)
    assert result.reasons == [
        "标题超过 200 字（201 字）",
        "内容分类：“不存在的分类”不在内容分类代码表中",
    ]


def test_a_row_without_title_or_date_says_which_is_missing(parser: RowParser) -> None:
    result = _parse(parser, None, "诉求", None, "0301", None)
    assert isinstance(result, RowProblem)
    assert result.reasons == ["标题为空", "收到时间为空"]


def test_an_empty_region_cell_takes_the_default(parser: RowParser, region: Region) -> None:
    result = _parse(parser, "标题", "诉求", "2023-05-01", "0301", None)
    assert isinstance(result, ParsedRow)
    assert result.case.region == region
    assert result.petitioner.name == "匿名"
