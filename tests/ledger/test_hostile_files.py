"""A damaged, encrypted or hostile file gets a clear Chinese message and changes nothing."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest

from tests.ledger.conftest import import_now, replace_in_zip, row, upload, xlsx_bytes
from xinfang.accounts.models import User
from xinfang.audit.models import AuditEvent
from xinfang.cases.models import Case, ContentCategory
from xinfang.ledger import reading
from xinfang.ledger.models import LedgerImport
from xinfang.ledger.reading import CFB_MAGIC, LedgerFileError


def _refused(clerk: User, data: bytes, name: str = "台账.xlsx") -> str:
    with pytest.raises(LedgerFileError) as refused:
        upload(clerk, data, name)
    assert LedgerImport.objects.count() == 0
    assert Case.objects.count() == 0
    assert not AuditEvent.objects.filter(event="ledger.upload").exists()
    return str(refused.value.messages[0])


def test_a_truncated_xlsx_is_refused(clerk: User) -> None:
    data = xlsx_bytes([row(1)])
    assert "损坏" in _refused(clerk, data[: len(data) // 2])


def test_a_password_protected_xlsx_is_refused_with_a_word_about_the_password(
    clerk: User,
) -> None:
    encrypted = CFB_MAGIC + b"\x00" * 4096  # Office wraps an encrypted .xlsx in OLE2
    assert "密码" in _refused(clerk, encrypted)


def test_an_old_xls_is_refused_with_advice_to_save_as_xlsx(clerk: User) -> None:
    assert "另存为 .xlsx" in _refused(clerk, CFB_MAGIC + b"\x00" * 4096, "台账.xls")


def test_a_zip_bomb_is_refused(clerk: User) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        bomb.writestr("[Content_Types].xml", "<Types/>")
        bomb.writestr("xl/workbook.xml", b"\x00" * (5 * 1024 * 1024))
    assert "压缩炸弹" in _refused(clerk, out.getvalue())


def test_a_formula_is_refused_naming_its_cell(clerk: User) -> None:
    data = xlsx_bytes([row(1), row(2, 诉求='=HYPERLINK("http://x.example","点我")')])
    message = _refused(clerk, data)
    assert "公式" in message
    assert "第3行E列" in message


def test_a_file_that_is_not_a_ledger_at_all_is_refused(clerk: User) -> None:
    assert "只能导入" in _refused(clerk, b"%PDF-1.7", "台账.pdf")


def test_binary_content_named_csv_is_refused(clerk: User) -> None:
    assert "不是文本" in _refused(clerk, b"PK\x03\x04\x00\x00", "台账.csv")


def test_a_sheet_without_a_header_row_is_refused(clerk: User) -> None:
    assert "表头" in _refused(clerk, xlsx_bytes([], headers=["只有一列"]))


def test_a_declared_dimension_of_the_whole_grid_is_ignored(
    clerk: User, category: ContentCategory
) -> None:
    data = xlsx_bytes([row(1)])
    data = replace_in_zip(
        data,
        "xl/worksheets/sheet1.xml",
        b'<dimension ref="A1:H2"/>',
        b'<dimension ref="A1:XFD1048576"/>',
    )
    ledger = import_now(clerk, upload(clerk, data), category)
    assert (ledger.status, ledger.imported) == ("done", 1)


def test_a_cell_beyond_the_row_limit_is_refused(clerk: User, settings: Any) -> None:
    settings.XF_LEDGER_MAX_ROWS = 10
    data = xlsx_bytes([row(1), *([[None]] * 30), row(2)])
    assert "行数超过上限" in _refused(clerk, data)


def test_too_many_columns_are_refused(clerk: User) -> None:
    wide = [*row(1), *(["x"] * 80)]
    assert "列数超过上限" in _refused(clerk, xlsx_bytes([wide]))


def test_a_formula_past_the_rows_read_at_upload_fails_the_import_and_changes_nothing(
    clerk: User, category: ContentCategory
) -> None:
    rows = [row(n) for n in range(1, 260)] + [row(260, 标题="=1+1")]
    ledger = import_now(clerk, upload(clerk, xlsx_bytes(rows)), category)
    assert ledger.status == "failed"
    assert "公式" in ledger.message
    assert (Case.objects.count(), ledger.imported) == (0, 0)


@pytest.fixture
def read_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file is read by the child process, as a large one is."""
    monkeypatch.setattr(reading, "READ_APART_BYTES", 0)


@pytest.mark.usefixtures("read_apart")
def test_a_formula_far_into_a_file_read_apart_fails_the_import_and_changes_nothing(
    clerk: User, category: ContentCategory
) -> None:
    rows = [row(n) for n in range(1, 260)] + [row(260, 标题="=1+1")]
    ledger = import_now(clerk, upload(clerk, xlsx_bytes(rows)), category)
    assert ledger.status == "failed"
    assert "公式" in ledger.message
    assert "第261行C列" in ledger.message
    assert (Case.objects.count(), ledger.imported) == (0, 0)


@pytest.mark.usefixtures("read_apart")
def test_a_sheet_damaged_far_in_fails_the_import_read_apart_and_changes_nothing(
    clerk: User, category: ContentCategory
) -> None:
    data = xlsx_bytes([row(n) for n in range(1, 700)])
    damaged = replace_in_zip(data, "xl/worksheets/sheet1.xml", b'<row r="650"', b'<row r="650"<')
    ledger = import_now(clerk, upload(clerk, damaged), category)
    assert (ledger.status, ledger.message) == (
        "failed",
        "文件内容已损坏（读取到中途出错），无法导入。",
    )
    assert (Case.objects.count(), ledger.imported) == (0, 0)


@pytest.mark.usefixtures("read_apart")
def test_the_row_limit_holds_in_the_reading_child_process(
    clerk: User, category: ContentCategory, settings: Any
) -> None:
    settings.XF_LEDGER_MAX_ROWS = 250
    ledger = import_now(clerk, upload(clerk, xlsx_bytes([row(n) for n in range(1, 300)])), category)
    assert (ledger.status, Case.objects.count()) == ("failed", 0)
    assert "行数超过上限（250 行）" in ledger.message
