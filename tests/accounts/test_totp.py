"""RFC 6238 / RFC 4226 done by hand: the published vectors, the drift window, one use per code,
and what the enrolment page shows (SECURITY.md 4)."""

from __future__ import annotations

import base64
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from xinfang.accounts import totp

RFC_KEY = b"12345678901234567890"
RFC_SECRET = base64.b32encode(RFC_KEY).decode()


@pytest.mark.parametrize(
    ("counter", "expected"),
    list(
        enumerate(
            [
                "755224",
                "287082",
                "359152",
                "969429",
                "338314",
                "254676",
                "287922",
                "162583",
                "399871",
                "520489",
            ]
        )
    ),
)
def test_hotp_matches_rfc_4226_appendix_d(counter: int, expected: str) -> None:
    assert totp.hotp(RFC_KEY, counter) == expected


@pytest.mark.parametrize(
    ("unix_time", "expected"),
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1111111111, "14050471"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
        (20000000000, "65353130"),
    ],
)
def test_totp_matches_rfc_6238_appendix_b_for_sha1(unix_time: int, expected: str) -> None:
    assert totp.hotp(RFC_KEY, totp.time_step(unix_time), digits=8) == expected


def test_code_at_reads_a_base32_secret_with_or_without_spaces() -> None:
    assert totp.code_at(RFC_SECRET, 59) == "287082"  # step 1, six digits
    assert totp.code_at(totp.grouped(RFC_SECRET).lower(), 59) == "287082"


def test_a_code_is_accepted_one_step_either_side_of_now_and_no_further() -> None:
    now = 1_800_000_015.0
    step = totp.time_step(now)
    found = {
        offset: totp.matching_step(
            RFC_SECRET, totp.code_at(RFC_SECRET, now + offset * 30), timestamp=now, after=None
        )
        for offset in (-2, -1, 0, 1, 2)
    }

    assert found == {-2: None, -1: step - 1, 0: step, 1: step + 1, 2: None}


def test_a_code_at_or_before_the_last_used_step_is_refused() -> None:
    now = 1_800_000_015.0
    step = totp.time_step(now)
    code = totp.code_at(RFC_SECRET, now)

    assert totp.matching_step(RFC_SECRET, code, timestamp=now, after=step - 1) == step
    assert totp.matching_step(RFC_SECRET, code, timestamp=now, after=step) is None
    assert totp.matching_step(RFC_SECRET, code, timestamp=now, after=step + 1) is None


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "12345a", "１２３４５６", " 12 345"])
def test_anything_but_six_ascii_digits_is_not_a_code(typed: str) -> None:
    assert totp.matching_step(RFC_SECRET, typed, timestamp=0, after=None) is None


def test_a_new_secret_is_160_random_bits_in_base32() -> None:
    secrets = {totp.new_secret() for _ in range(50)}

    assert len(secrets) == 50
    assert all(re.fullmatch(r"[A-Z2-7]{32}", secret) for secret in secrets)
    assert {len(base64.b32decode(secret)) for secret in secrets} == {20}


def test_the_secret_is_shown_in_groups_of_four() -> None:
    assert totp.grouped("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP") == (
        "JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP"
    )


def test_the_provisioning_uri_names_issuer_account_and_parameters() -> None:
    uri = totp.provisioning_uri(RFC_SECRET, account="clerk", issuer="信访事项办理系统")

    parts = urlsplit(uri)
    assert (parts.scheme, parts.netloc) == ("otpauth", "totp")
    assert (
        parts.path
        == "/%E4%BF%A1%E8%AE%BF%E4%BA%8B%E9%A1%B9%E5%8A%9E%E7%90%86%E7%B3%BB%E7%BB%9F%3Aclerk"
    )
    assert parse_qs(parts.query) == {
        "secret": [RFC_SECRET],
        "issuer": ["信访事项办理系统"],
        "algorithm": ["SHA1"],
        "digits": ["6"],
        "period": ["30"],
    }


def test_the_qr_code_is_inline_svg_without_style_or_script() -> None:
    svg = totp.qr_svg("otpauth://totp/x:clerk?secret=" + RFC_SECRET, title="二维码")

    assert svg.startswith("<svg ")
    assert "<title>二维码</title>" in svg
    assert (re.search(r"style|script|href|on[a-z]+=", svg, re.IGNORECASE)) is None


def test_ten_distinct_recovery_codes_of_fifty_bits_each() -> None:
    codes = totp.new_recovery_codes()

    assert len(set(codes)) == 10
    assert all(re.fullmatch(r"[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}", code) for code in codes)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("4fk2m-9xq7d", "4fk2m9xq7d"),
        (" 4FK2M 9XQ7D ", "4fk2m9xq7d"),
        ("4fk2m-9xq7o", "4fk2m9xq70"),  # O read as zero
        ("1l1i0-00000", "1111000000"),  # l and i read as one
        ("4fk2m-9xq7", None),
        ("4fk2m-9xq7du", None),  # u is not in the alphabet
        ("123456", None),
    ],
)
def test_a_typed_recovery_code_is_normalised_or_refused(typed: str, stored: str | None) -> None:
    assert totp.normalise_recovery_code(typed) == stored
