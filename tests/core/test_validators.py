"""GB 11643 ID numbers, phone numbers and masking (SECURITY.md 10, 20)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from xinfang.core.validators import (
    id_check_digit,
    mask_address,
    mask_id_number,
    mask_phone,
    validate_id_number,
    validate_phone,
    with_check_digit,
)

TODAY = dt.date(2026, 9, 20)


# --- GB 11643 --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("11010519491231002X", "11010519491231002X"),  # the standard's own example
        ("11010519491231002x", "11010519491231002X"),  # lower-case x is accepted, stored as X
        (" 110105 19491231 002x ", "11010519491231002X"),  # spaces from copy and paste
        ("430104200002290011", "430104200002290011"),  # 29 February in a leap year
        ("990102202609200014", "990102202609200014"),  # born today
        ("990102190001010022", "990102190001010022"),  # 1 January 1900, the earliest accepted
    ],
)
def test_a_valid_id_number_is_returned_normalised(raw: str, normalised: str) -> None:
    assert validate_id_number(raw, today=TODAY) == normalised


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("110105194912310021", "check"),  # wrong check digit
        ("11010519491231002Y", "shape"),  # a letter other than X
        ("11010519491231002", "shape"),  # 17 digits
        ("1101051949123100211", "shape"),  # 19 digits
        ("11O10519491231002X", "shape"),  # letter O for zero
        ("A1010519491231002X", "shape"),  # letter in front
        ("010105194912310020", "shape"),  # leading zero: no such region
        ("", "shape"),
        ("110105198002300013", "birth"),  # 30 February 1980
        ("110105190002290014", "birth"),  # 29 February 1900 (not a leap year)
        ("110105198013010017", "birth"),  # month 13
        ("990102202609210017", "birth"),  # tomorrow
        ("990102203001010019", "birth"),  # far future
        ("440524188001010014", "birth"),  # the standard's 1880 example: refused as implausible
    ],
)
def test_an_invalid_id_number_is_refused_with_its_reason(raw: str, code: str) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_id_number(raw, today=TODAY)

    assert caught.value.code == code


def test_a_wrong_check_digit_gets_a_clear_chinese_message() -> None:
    with pytest.raises(ValidationError) as caught:
        validate_id_number("110105194912310021", today=TODAY)

    assert caught.value.messages == ["身份证号码校验位不正确，请核对后重新输入。"]


def test_check_digit_ten_is_written_x() -> None:
    assert id_check_digit("11010519491231002") == "X"


REGION_PREFIXES = st.from_regex(r"\A[1-9][0-9]{5}\Z")
BIRTH_DATES = st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY)
SERIALS = st.integers(min_value=0, max_value=999)


def single_character_changes(value: str) -> list[str]:
    changes = []
    for position, original in enumerate(value):
        alphabet = "0123456789X" if position == 17 else "0123456789"
        changes += [
            value[:position] + other + value[position + 1 :]
            for other in alphabet
            if other != original
        ]
    return changes


@given(region=REGION_PREFIXES, birth=BIRTH_DATES, serial=SERIALS)
def test_with_check_digit_makes_a_valid_number_and_any_one_change_breaks_it(
    region: str, birth: dt.date, serial: int
) -> None:
    number = with_check_digit(f"{region}{birth:%Y%m%d}{serial:03d}")
    accepted = []

    for changed in single_character_changes(number):
        try:
            validate_id_number(changed, today=TODAY)
        except ValidationError:
            continue
        accepted.append(changed)

    assert validate_id_number(number, today=TODAY) == number
    assert accepted == []


# --- Phone numbers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("13912341234", "13912341234"),
        ("199 1234 1234", "19912341234"),
        ("+8613912341234", "13912341234"),
        ("+86 139 1234 1234", "13912341234"),
        ("0731-12345678", "0731-12345678"),
        ("073112345678", "073112345678"),
        ("010-1234567", "010-1234567"),
        ("(0731)12345678", "073112345678"),
        ("（0731）12345678", "073112345678"),
        ("0731-12345678-801", "0731-12345678-801"),
    ],
)
def test_a_valid_phone_number_is_returned_normalised(raw: str, normalised: str) -> None:
    assert validate_phone(raw) == normalised


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "12912341234",  # no mobile network starts 12
        "1391234123",  # 10 digits
        "139123412345",  # 12 digits
        "23912341234",
        "0731-123456",  # 6-digit local number
        "731-12345678",  # area code without the 0
        "0731-12345678-",  # empty extension
        "0731-12345678-1234567",  # 7-digit extension
        "139-1234-1234x",
        "电话13912341234",
    ],
)
def test_an_invalid_phone_number_is_refused_in_chinese(raw: str) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_phone(raw)

    assert caught.value.messages == [
        "电话号码格式不正确：手机为11位数字，固定电话如 0731-12345678。"
    ]


# --- Masking ---------------------------------------------------------------------------------


def test_an_id_number_is_masked_to_region_and_last_four() -> None:
    assert mask_id_number("110105194912311234") == "110***********1234"


def test_an_id_number_ending_in_x_keeps_the_x_visible() -> None:
    assert mask_id_number("11010519491231002X") == "110***********002X"


def test_a_mobile_number_is_masked_to_prefix_and_last_four() -> None:
    assert mask_phone("13912341234") == "139****1234"


def test_a_landline_is_masked_the_same_way() -> None:
    assert mask_phone("0731-12345678") == "073******5678"


@pytest.mark.parametrize(("value", "masked"), [("", ""), ("123", "***"), ("123456", "******")])
def test_short_values_are_masked_entirely(value: str, masked: str) -> None:
    assert (mask_id_number(value), mask_phone(value)) == (masked, masked)


def test_an_address_keeps_its_first_six_characters() -> None:
    assert mask_address("湖南省长沙市岳麓区麓山南路932号") == "湖南省长沙市**********"
