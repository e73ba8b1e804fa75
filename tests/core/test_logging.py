"""Logs hold no full ID or phone numbers and cannot be forged with CR/LF (SECURITY.md 16)."""

from __future__ import annotations

import logging
import re
import sys

import pytest

from xinfang.core.logging import SafeLogFilter, scrub

ID_NUMBER = "11010519491231002X"
PHONE = "13912341234"
FULL_ID = re.compile(r"\d{17}[\dXx]")
FULL_MOBILE = re.compile(r"1[3-9]\d{9}")


def formatted(record: logging.LogRecord) -> str:
    """What the console handler would write for ``record`` after the filter ran."""
    assert SafeLogFilter().filter(record) is True
    return logging.Formatter("%(levelname)s %(message)s").format(record)


def make_record(msg: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("xinfang.test", logging.WARNING, __file__, 1, msg, args, None)


def test_scrub_neutralises_carriage_return_and_line_feed() -> None:
    forged = "登录失败 user=bob\r\n2026-09-20 09:30:00 INFO login ok user=admin"

    assert scrub(forged) == "登录失败 user=bob\\r\\n2026-09-20 09:30:00 INFO login ok user=admin"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"id={ID_NUMBER}", "id=110105********002X"),
        ("id=11010519491231002x", "id=110105********002x"),
        (f"身份证号 {ID_NUMBER} 已登记", "身份证号 110105********002X 已登记"),
        (f"tel {PHONE}", "tel 139****1234"),
        (f"({PHONE})", "(139****1234)"),
        (f"{ID_NUMBER},{PHONE}", "110105********002X,139****1234"),
    ],
)
def test_scrub_masks_id_and_mobile_numbers(text: str, expected: str) -> None:
    assert scrub(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"身份证{ID_NUMBER}，电话{PHONE}", "身份证110105********002X，电话139****1234"),
        (f"信访人张三{ID_NUMBER}", "信访人张三110105********002X"),
        (f"联系电话：{PHONE}转", "联系电话：139****1234转"),
    ],
)
def test_scrub_masks_numbers_written_right_after_chinese_text(text: str, expected: str) -> None:
    assert scrub(text) == expected


def test_scrub_leaves_other_numbers_alone() -> None:
    text = "case A01-2026-000001 took 12345 ms, 20 rows, order 1234567890123456789012"

    assert scrub(text) == text


def test_a_filtered_record_with_arguments_contains_no_full_id_or_phone() -> None:
    record = make_record("登记信访人 %s 电话 %s 备注 %r", ID_NUMBER, PHONE, {"id": ID_NUMBER})

    line = formatted(record)

    assert line == (
        "WARNING 登记信访人 110105********002X 电话 139****1234 备注 {'id': '110105********002X'}"
    )
    assert (FULL_ID.findall(line), FULL_MOBILE.findall(line)) == ([], [])


def test_a_filtered_record_is_one_line() -> None:
    record = make_record("user=%s", "bob\nERROR forged entry")

    assert formatted(record) == "WARNING user=bob\\nERROR forged entry"


def test_a_logged_exception_carries_no_full_id_number() -> None:
    try:
        raise ValueError(f"duplicate petitioner {ID_NUMBER}")
    except ValueError:
        record = logging.LogRecord(
            "xinfang.test", logging.ERROR, __file__, 1, "registration failed", None, sys.exc_info()
        )

    line = formatted(record)

    assert FULL_ID.findall(line) == []
