"""Environment readers fail loudly, naming the variable (STYLE.md: one env-driven settings file)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from xinfang.core.env import (
    env_bool,
    env_hex_key,
    env_int,
    env_list,
    env_str,
    load_env_file,
)

NAME = "XF_TEST_ENV_VALUE"


def unset(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Remove ``name`` for this test only (monkeypatch restores whatever was there)."""
    monkeypatch.setenv(name, "")
    monkeypatch.delenv(name)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        ("true", True),
        (" Yes ", True),
        ("ON", True),
        ("0", False),
        ("off", False),
        ("", False),
    ],
)
def test_env_bool_reads_the_usual_spellings(
    monkeypatch: pytest.MonkeyPatch, raw: str, expected: bool
) -> None:
    monkeypatch.setenv(NAME, raw)

    assert env_bool(NAME, default=not expected) is expected


def test_env_bool_falls_back_to_the_default_when_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    unset(monkeypatch, NAME)

    assert (env_bool(NAME, default=True), env_bool(NAME, default=False)) == (True, False)


@pytest.mark.parametrize("raw", ["maybe", "2", "tru", "是"])
def test_env_bool_refuses_anything_else_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, raw: str
) -> None:
    monkeypatch.setenv(NAME, raw)

    with pytest.raises(ImproperlyConfigured) as caught:
        env_bool(NAME, default=False)

    assert str(caught.value) == f"{NAME}={raw!r} is not a boolean (use true/false)"


def test_env_int_reads_an_integer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(NAME, "1800")

    assert env_int(NAME, 60, minimum=60) == 1800


@pytest.mark.parametrize("raw", ["", "12a", "1.5", "thirty"])
def test_env_int_refuses_a_non_integer_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, raw: str
) -> None:
    monkeypatch.setenv(NAME, raw)

    with pytest.raises(ImproperlyConfigured) as caught:
        env_int(NAME, 60)

    assert str(caught.value) == f"{NAME}={raw!r} is not an integer"


def test_env_int_refuses_a_value_below_the_minimum(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(NAME, "59")

    with pytest.raises(ImproperlyConfigured) as caught:
        env_int(NAME, 1800, minimum=60)

    assert str(caught.value) == f"{NAME}=59 is below the minimum 60"


def test_env_int_refuses_a_value_above_the_maximum(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(NAME, "1801")

    with pytest.raises(ImproperlyConfigured) as caught:
        env_int(NAME, 1800, minimum=60, maximum=1800)

    assert str(caught.value) == f"{NAME}=1801 is above the maximum 1800"


def test_env_str_names_a_missing_required_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    unset(monkeypatch, NAME)

    with pytest.raises(ImproperlyConfigured) as caught:
        env_str(NAME)

    assert str(caught.value) == f"Environment variable {NAME} is required"


def test_env_list_splits_on_commas_and_drops_blanks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(NAME, " a.example ,, b.example ,")

    assert env_list(NAME, ["default"]) == ["a.example", "b.example"]


def test_env_hex_key_reads_a_key_of_the_right_length(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(NAME, "00112233445566778899aabbccddeeff")

    assert env_hex_key(NAME, length=16) == bytes.fromhex("00112233445566778899aabbccddeeff")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("not-hex-at-all", f"{NAME} must be hexadecimal"),
        ("0011223", f"{NAME} must be hexadecimal"),
        ("0011", f"{NAME} must be 16 bytes (32 hex digits)"),
        ("00112233445566778899aabbccddeeff00", f"{NAME} must be 16 bytes (32 hex digits)"),
    ],
)
def test_env_hex_key_refuses_a_bad_key_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, raw: str, message: str
) -> None:
    monkeypatch.setenv(NAME, raw)

    with pytest.raises(ImproperlyConfigured) as caught:
        env_hex_key(NAME, length=16)

    assert str(caught.value) == message


def test_env_hex_key_names_a_missing_key(monkeypatch: pytest.MonkeyPatch) -> None:
    unset(monkeypatch, NAME)

    with pytest.raises(ImproperlyConfigured) as caught:
        env_hex_key(NAME, length=16)

    assert str(caught.value) == f"Environment variable {NAME} is required"


# --- .env files ------------------------------------------------------------------------------


def test_load_env_file_sets_new_variables_and_keeps_existing_ones(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XF_TEST_ENV_KEPT", "from the environment")
    unset(monkeypatch, "XF_TEST_ENV_NEW")
    unset(monkeypatch, "XF_TEST_ENV_EQUALS")
    env_file = tmp_path / ".env"
    env_file.write_text(
        "# generated\n"
        "\n"
        "XF_TEST_ENV_KEPT=from the file\n"
        "  XF_TEST_ENV_NEW = 新值  \n"
        "XF_TEST_ENV_EQUALS=a=b\n",
        encoding="utf-8",
    )

    load_env_file(env_file)

    assert (
        os.environ["XF_TEST_ENV_KEPT"],
        os.environ["XF_TEST_ENV_NEW"],
        os.environ["XF_TEST_ENV_EQUALS"],
    ) == ("from the environment", "新值", "a=b")


def test_load_env_file_keeps_an_existing_empty_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XF_TEST_ENV_KEPT", "")
    env_file = tmp_path / ".env"
    env_file.write_text("XF_TEST_ENV_KEPT=from the file\n", encoding="utf-8")

    load_env_file(env_file)

    assert os.environ["XF_TEST_ENV_KEPT"] == ""


def test_load_env_file_ignores_a_missing_file(tmp_path: Path) -> None:
    before = dict(os.environ)

    load_env_file(tmp_path / "absent.env")

    assert dict(os.environ) == before


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("XF_TEST_ENV_NEW\n", 1),
        ("# comment\nXF_TEST_ENV_NEW=1\nexport XF_TEST_ENV_OTHER\n", 3),
        ("=value\n", 1),
        ("  = value\n", 1),
    ],
)
def test_load_env_file_rejects_a_malformed_line_naming_file_and_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str, line: int
) -> None:
    unset(monkeypatch, "XF_TEST_ENV_NEW")
    env_file = tmp_path / ".env"
    env_file.write_text(text, encoding="utf-8")

    with pytest.raises(ImproperlyConfigured) as caught:
        load_env_file(env_file)

    assert str(caught.value) == f"{env_file}:{line}: expected KEY=VALUE"
