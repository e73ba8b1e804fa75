"""Validators and maskers for personal identifiers, each with a clear Chinese message."""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_SHAPE = re.compile(r"^[1-9]\d{16}[\dX]$")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")


def normalize_id_number(raw: str) -> str:
    return raw.strip().replace(" ", "").upper()


def id_check_digit(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def validate_id_number(raw: str, *, today: dt.date | None = None) -> str:
    """GB 11643-1999: 18 characters, a real birth date not in the future, the ISO 7064 check
    digit. Returns the normalised number (upper-case X)."""
    value = normalize_id_number(raw)
    if not _ID_SHAPE.match(value):
        raise ValidationError(
            _("身份证号码应为18位，前17位为数字，最后一位为数字或X。"), code="shape"
        )
    try:
        birth = dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise ValidationError(_("身份证号码中的出生日期不存在。"), code="birth") from None
    if birth > (today or dt.date.today()) or birth.year < 1900:
        raise ValidationError(_("身份证号码中的出生日期不合理。"), code="birth")
    if id_check_digit(value[:17]) != value[17]:
        raise ValidationError(_("身份证号码校验位不正确，请核对后重新输入。"), code="check")
    return value


def normalize_phone(raw: str) -> str:
    return re.sub(r"[\s()（）]", "", raw).removeprefix("+86")


def validate_phone(raw: str) -> str:
    value = normalize_phone(raw)
    if not (_MOBILE.match(value) or _LANDLINE.match(value)):
        raise ValidationError(
            _("电话号码格式不正确：手机为11位数字，固定电话如 0731-12345678。"), code="phone"
        )
    return value


def mask_id_number(value: str) -> str:
    """``110***********1234``: enough to tell two people apart at the desk, not to reuse."""
    if len(value) < 8:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_phone(value: str) -> str:
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_address(value: str) -> str:
    """Keep the first six characters (province/city/district level), hide the rest."""
    if len(value) <= 6:
        return value[:2] + "*" * max(len(value) - 2, 0)
    return value[:6] + "*" * min(len(value) - 6, 10)


def with_check_digit(first17: str) -> str:
    """Complete 17 digits into a valid 18-character ID number (for generators and tests)."""
    return first17 + id_check_digit(first17)
