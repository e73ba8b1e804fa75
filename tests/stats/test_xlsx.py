"""The streaming .xlsx writer: what a spreadsheet reads back is what was written — text as
text, numbers as numbers, bold headings, column widths — whatever the text holds."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from typing import Any

import openpyxl

from xinfang.stats import xlsx
from xinfang.stats.exporters import Sheet, write_xlsx


def read_back(content: bytes) -> Any:
    return openpyxl.load_workbook(io.BytesIO(content))


def test_values_come_back_as_they_were_written() -> None:
    out = io.BytesIO()
    rows: list[list[Any]] = [
        ["A1", None, 3, 2.5, True, dt.date(2026, 5, 1)],
        ["a < b & c > d", "", -1, 0, False, dt.datetime(2026, 5, 1, 9, 30)],
        [" 前后有空格 ", "控制\x01字符\x1f", "第三列"],
    ]

    assert xlsx.write_tables([xlsx.Table("明细", iter(rows), [12, 20])], out) == 3

    sheet = read_back(out.getvalue()).active
    assert [list(row) for row in sheet.iter_rows(values_only=True)] == [
        ["A1", None, 3, 2.5, True, "2026-05-01"],
        ["a < b & c > d", None, -1, 0, False, "2026-05-01 09:30:00"],
        [" 前后有空格 ", "控制字符", "第三列", None, None, None],
    ]
    assert sheet.column_dimensions["B"].width == 20


def test_headings_are_bold_and_the_column_names_wrap() -> None:
    out = io.BytesIO()
    rows: list[list[Any]] = [
        [xlsx.Cell("标题", xlsx.BOLD)],
        [xlsx.Cell("列名", xlsx.HEADER)],
        ["值"],
    ]

    xlsx.write_tables([xlsx.Table("表", iter(rows))], out)

    sheet = read_back(out.getvalue()).active
    assert [sheet["A1"].font.b, sheet["A2"].font.b, sheet["A3"].font.b] == [True, True, False]
    assert sheet["A2"].alignment.wrap_text is True


def test_sheet_names_are_made_legal_and_unique() -> None:
    out = io.BytesIO()
    tables = [xlsx.Table("按月份/统计[1]", iter([["x"]])) for _ in range(2)]
    tables.append(xlsx.Table("很长" * 20, iter([["y"]])))

    xlsx.write_tables(tables, out)

    names = read_back(out.getvalue()).sheetnames
    assert names[:2] == ["按月份_统计_1_", "按月份_统计_1_(2)"]
    assert len(names[2]) == 31


def test_rows_are_read_as_they_come_and_compressed_as_they_go() -> None:
    produced = []

    def rows() -> Iterator[list[Any]]:
        for number in range(20_000):
            produced.append(number)
            yield [f"T-2026-{number:06d}", "某某小区物业费问题", number]

    out = io.BytesIO()
    assert xlsx.write_tables([xlsx.Table("明细", rows())], out) == 20_000

    package = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    entry = package.getinfo("xl/worksheets/sheet1.xml")
    assert entry.compress_type == zipfile.ZIP_DEFLATED
    assert entry.compress_size < entry.file_size / 5
    last = list(read_back(out.getvalue()).active.iter_rows(values_only=True))[-1]
    assert last == ("T-2026-019999", "某某小区物业费问题", 19999)
    assert len(produced) == 20_000


def test_an_export_neutralises_formulas_and_counts_its_data_rows() -> None:
    out = io.BytesIO()
    sheet = Sheet(
        "明细",
        ["=标题", "统计期"],
        ["@列"],
        iter([["=1+1"], ["+86 电话"], ["正常"]]),
    )

    assert write_xlsx([sheet], out) == 3

    values = [row[0] for row in read_back(out.getvalue()).active.iter_rows(values_only=True)]
    assert values == ["'=标题", "统计期", None, "'@列", "'=1+1", "'+86 电话", "正常"]
