from __future__ import annotations

import csv
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.factories import ContentCategoryFactory
from xinfang.audit.models import AuditEvent
from xinfang.cases.categories import (
    DEFAULT_CATEGORY_FILE,
    CategoryFileError,
    import_content_categories,
    read_category_csv,
)
from xinfang.cases.models import ContentCategory

pytestmark = pytest.mark.django_db


def categories() -> list[tuple[str, str, str | None, int]]:
    return [
        (c.code, c.name, c.parent.code if c.parent else None, c.level)
        for c in ContentCategory.objects.select_related("parent").order_by("code")
    ]


def audit_events() -> list[str]:
    return list(AuditEvent.objects.order_by("seq").values_list("event", flat=True))


def write_csv(folder: Path, text: str, name: str = "categories.csv") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_importing_rows_creates_the_tree_with_levels_and_one_audit_event() -> None:
    count = import_content_categories(
        actor=None,
        rows=[("03", "城乡建设", ""), ("0301", "物业管理", "03"), ("0302", "房屋征收", "03")],
    )

    assert count == 3
    assert categories() == [
        ("03", "城乡建设", None, 1),
        ("0301", "物业管理", "03", 2),
        ("0302", "房屋征收", "03", 2),
    ]
    event = AuditEvent.objects.get()
    assert (event.event, event.detail) == (
        "category.import",
        {"rows": 3, "created": 3, "updated": 0},
    )


def test_the_shipped_table_has_twelve_first_level_categories_with_three_to_eight_children() -> None:
    rows = read_category_csv(DEFAULT_CATEGORY_FILE)

    import_content_categories(actor=None, rows=rows)

    first_level = ContentCategory.objects.filter(parent=None)
    assert first_level.count() == 12
    assert ContentCategory.objects.count() == len(rows)
    for category in first_level:
        children = list(category.children.all())
        assert 3 <= len(children) <= 8
        assert all(child.code.startswith(category.code) and child.level == 2 for child in children)
    assert ContentCategory.objects.get(code="03").name == "城乡建设"
    assert ContentCategory.objects.get(code="0301").name == "物业管理"


def test_reimporting_updates_a_name_in_place_and_writes_exactly_one_audit_event() -> None:
    import_content_categories(actor=None, rows=[("03", "城乡建设", ""), ("0301", "物业管理", "03")])
    before = ContentCategory.objects.get(code="0301").pk

    count = import_content_categories(
        actor=None, rows=[("03", "城乡建设", ""), ("0301", "物业服务与管理", "03")]
    )

    assert count == 2
    assert categories() == [("03", "城乡建设", None, 1), ("0301", "物业服务与管理", "03", 2)]
    assert ContentCategory.objects.get(code="0301").pk == before
    assert audit_events() == ["category.import", "category.import"]
    assert AuditEvent.objects.last().detail == {"rows": 2, "created": 0, "updated": 1}  # type: ignore[union-attr]


def test_a_parent_already_in_the_database_may_be_left_out_of_the_file() -> None:
    ContentCategoryFactory(code="03", name="城乡建设")

    import_content_categories(actor=None, rows=[("0309", "供热供气", "03")])

    assert categories() == [("03", "城乡建设", None, 1), ("0309", "供热供气", "03", 2)]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            [("01", "劳动和社会保障", ""), ("0201", "征地补偿", "02")],
            "第 3 行：上级代码“02”不存在，上级分类须在本行之前列出或已在系统中。",
        ),
        (
            [("0301", "物业管理", "03"), ("03", "城乡建设", "")],
            "第 2 行：上级代码“03”不存在，上级分类须在本行之前列出或已在系统中。",
        ),
        (
            [("01", "劳动和社会保障", ""), ("0101", "拖欠工资", "01"), ("0101", "欠薪", "01")],
            "第 4 行：分类代码“0101”重复（第 3 行已出现）。",
        ),
        (
            [("01", "劳动和社会保障", ""), ("0101", "  ", "01")],
            "第 3 行：分类“0101”的名称为空。",
        ),
        (
            [("01", "劳动和社会保障", ""), ("", "拖欠工资", "01")],
            "第 3 行：分类代码为空。",
        ),
        (
            [("01-1", "拖欠工资", "")],
            "第 2 行：分类代码“01-1”无效，只能由数字和字母组成，最长 20 位。",
        ),
        (
            [("01", "劳动和社会保障", ""), ("0201", "征地补偿", "01")],
            "第 3 行：分类代码“0201”应以上级代码“01”开头（如 03 → 0301）。",
        ),
        ([("", "", "")], "文件中没有任何分类。"),
    ],
)
def test_a_bad_row_is_rejected_with_its_line_in_chinese_and_nothing_is_written(
    rows: list[tuple[str, str, str]], message: str
) -> None:
    with pytest.raises(CategoryFileError) as caught:
        import_content_categories(actor=None, rows=rows)

    assert str(caught.value) == message
    assert ContentCategory.objects.count() == 0
    assert audit_events() == []


def test_a_bad_row_late_in_a_reimport_leaves_earlier_rows_unchanged() -> None:
    import_content_categories(actor=None, rows=[("03", "城乡建设", ""), ("0301", "物业管理", "03")])

    with pytest.raises(CategoryFileError):
        import_content_categories(
            actor=None,
            rows=[("03", "城乡建设（新）", ""), ("0301", "物业服务", "03"), ("0302", "", "03")],
        )

    assert categories() == [("03", "城乡建设", None, 1), ("0301", "物业管理", "03", 2)]
    assert audit_events() == ["category.import"]


def test_reading_a_csv_keeps_file_line_numbers_across_blank_lines(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path, "\ufeffcode,name,parent_code\n03,城乡建设,\n\n0301,物业管理,03\n0399,,03\n"
    )

    rows = read_category_csv(path)
    with pytest.raises(CategoryFileError) as caught:
        import_content_categories(actor=None, rows=rows)

    assert rows == [
        ("03", "城乡建设", ""),
        ("", "", ""),
        ("0301", "物业管理", "03"),
        ("0399", "", "03"),
    ]
    assert str(caught.value) == "第 5 行：分类“0399”的名称为空。"


def test_reading_accepts_chinese_headers(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "分类代码,分类名称,上级代码\n03,城乡建设,\n")

    assert read_category_csv(path) == [("03", "城乡建设", "")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("代码,名称\n03,城乡建设\n", "categories.csv 第 1 行：表头应为 code,name,parent_code"),
        (
            "code,name,parent_code\n03,城乡建设\n",
            "categories.csv 第 2 行：应有 3 列，实际为 2 列。",
        ),
        ("", "categories.csv 是空文件。"),
    ],
)
def test_reading_a_malformed_csv_says_what_is_wrong(
    tmp_path: Path, text: str, message: str
) -> None:
    path = write_csv(tmp_path, text)

    with pytest.raises(CategoryFileError) as caught:
        read_category_csv(path)

    assert str(caught.value).startswith(message)


def test_reading_a_file_that_is_not_utf8_says_so(tmp_path: Path) -> None:
    path = tmp_path / "categories.csv"
    path.write_bytes("code,name,parent_code\n03,城乡建设,\n".encode("gb18030"))

    with pytest.raises(CategoryFileError) as caught:
        read_category_csv(path)

    assert str(caught.value) == "categories.csv 不是 UTF-8 编码的 CSV 文件，请另存为 UTF-8 后重试。"


def test_the_shipped_csv_is_well_formed() -> None:
    with DEFAULT_CATEGORY_FILE.open(encoding="utf-8", newline="") as handle:
        lines = list(csv.reader(handle))

    assert lines[0] == ["code", "name", "parent_code"]
    assert all(len(line) == 3 for line in lines)
    assert len({line[0] for line in lines[1:]}) == len(lines) - 1


def test_import_categories_command_loads_the_shipped_table_by_default() -> None:
    out = StringIO()

    call_command("import_categories", stdout=out)

    count = ContentCategory.objects.count()
    assert count == len(read_category_csv(DEFAULT_CATEGORY_FILE))
    assert out.getvalue().startswith(f"内容分类导入完成：共 {count} 条（来自 ")
    assert audit_events() == ["category.import"]


def test_import_categories_command_reports_a_bad_file_in_chinese(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "code,name,parent_code\n0101,拖欠工资,01\n")

    with pytest.raises(CommandError) as caught:
        call_command("import_categories", str(path), stdout=StringIO())

    assert str(caught.value) == (
        "内容分类导入失败，未写入任何数据："
        "第 2 行：上级代码“01”不存在，上级分类须在本行之前列出或已在系统中。"
    )
    assert ContentCategory.objects.count() == 0


def test_import_categories_command_reports_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CommandError) as caught:
        call_command("import_categories", str(tmp_path / "nope.csv"), stdout=StringIO())

    assert str(caught.value) == (
        f"内容分类导入失败，未写入任何数据：找不到内容分类文件：{tmp_path / 'nope.csv'}"
    )
