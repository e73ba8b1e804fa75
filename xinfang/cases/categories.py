"""The content-category table (内容分类): reading the CSV and importing it, all or nothing.

The file has a header line and three columns, ``code,name,parent_code`` (the Chinese headers
``分类代码,分类名称,上级代码`` are accepted too). Codes nest by prefix ("03" → "0301"), and a
parent must appear earlier in the file or already be in the database.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from django.db import transaction

from xinfang.audit.services import record
from xinfang.cases.models import ContentCategory
from xinfang.core.reference import reference_data_changed

if TYPE_CHECKING:
    from xinfang.accounts.models import User

#: The table we ship: our own wording, not an official or third-party list.
DEFAULT_CATEGORY_FILE = Path(__file__).resolve().parent / "data" / "content_categories.csv"

HEADERS = (("code", "name", "parent_code"), ("分类代码", "分类名称", "上级代码"))
_CODE = re.compile(r"^[0-9A-Za-z]+$")
_CODE_MAX = ContentCategory._meta.get_field("code").max_length or 20
_NAME_MAX = ContentCategory._meta.get_field("name").max_length or 100

CategoryRow = tuple[str, str, str]


class CategoryFileError(ValueError):
    """The category table is malformed or inconsistent; nothing was written."""


def read_category_csv(path: Path | str) -> list[CategoryRow]:
    """Read ``code,name,parent_code`` rows (UTF-8, with or without BOM) after the header line.

    A blank line comes back as ``("", "", "")`` so that the importer's line numbers still match
    the file; the importer skips it.
    """
    file = Path(path)
    if not file.is_file():
        raise CategoryFileError(f"找不到内容分类文件：{file}")
    try:
        with file.open(encoding="utf-8-sig", newline="") as handle:
            lines = list(csv.reader(handle))
    except UnicodeDecodeError:
        raise CategoryFileError(
            f"{file.name} 不是 UTF-8 编码的 CSV 文件，请另存为 UTF-8 后重试。"
        ) from None
    except csv.Error as error:
        raise CategoryFileError(f"{file.name} 不是有效的 CSV 文件：{error}") from None
    if not lines:
        raise CategoryFileError(f"{file.name} 是空文件。")
    header = tuple(cell.strip() for cell in lines[0])
    if header not in HEADERS:
        raise CategoryFileError(
            f"{file.name} 第 1 行：表头应为 code,name,parent_code"
            f"（或 分类代码,分类名称,上级代码），实际为 {','.join(header)}"
        )
    rows: list[CategoryRow] = []
    for line, cells in enumerate(lines[1:], start=2):
        if not any(cell.strip() for cell in cells):
            rows.append(("", "", ""))
            continue
        if len(cells) != 3:
            raise CategoryFileError(
                f"{file.name} 第 {line} 行：应有 3 列，实际为 {len(cells)} 列。"
            )
        rows.append((cells[0], cells[1], cells[2]))
    return rows


def _validated(
    rows: Iterable[CategoryRow], existing: dict[str, ContentCategory]
) -> list[CategoryRow]:
    """Check every row; line numbers count the header as line 1, as a spreadsheet shows them."""
    seen: dict[str, int] = {}
    valid: list[CategoryRow] = []
    for line, (raw_code, raw_name, raw_parent) in enumerate(rows, start=2):
        code, name, parent = raw_code.strip(), raw_name.strip(), raw_parent.strip()
        if not (code or name or parent):
            continue
        where = f"第 {line} 行"
        if not code:
            raise CategoryFileError(f"{where}：分类代码为空。")
        if not _CODE.match(code) or len(code) > _CODE_MAX:
            raise CategoryFileError(
                f"{where}：分类代码“{code}”无效，只能由数字和字母组成，最长 {_CODE_MAX} 位。"
            )
        if not name:
            raise CategoryFileError(f"{where}：分类“{code}”的名称为空。")
        if len(name) > _NAME_MAX:
            raise CategoryFileError(f"{where}：分类名称超过 {_NAME_MAX} 个字。")
        if code in seen:
            raise CategoryFileError(f"{where}：分类代码“{code}”重复（第 {seen[code]} 行已出现）。")
        if parent:
            if parent not in seen and parent not in existing:
                raise CategoryFileError(
                    f"{where}：上级代码“{parent}”不存在，上级分类须在本行之前列出或已在系统中。"
                )
            if not code.startswith(parent) or code == parent:
                raise CategoryFileError(
                    f"{where}：分类代码“{code}”应以上级代码“{parent}”开头（如 03 → 0301）。"
                )
        seen[code] = line
        valid.append((code, name, parent))
    if not valid:
        raise CategoryFileError("文件中没有任何分类。")
    return valid


@transaction.atomic
def import_content_categories(*, actor: User | None, rows: Iterable[CategoryRow]) -> int:
    """Create or update content categories from ``(code, name, parent_code)`` rows.

    All or nothing: any bad row raises :class:`CategoryFileError` (naming the line and the
    problem) and nothing is written. A code already in the database keeps its row and gets the
    new name and parent. Writes one audit event ``category.import``. Returns the number of
    categories in the file.
    """
    existing = {category.code: category for category in ContentCategory.objects.all()}
    valid = _validated(rows, existing)
    levels = {code: category.level for code, category in existing.items()}
    for code, _name, parent in valid:
        levels[code] = levels[parent] + 1 if parent else 1
    new = [
        ContentCategory(code=code, name=name, level=levels[code])
        for code, name, _parent in valid
        if code not in existing
    ]
    ContentCategory.objects.bulk_create(new)
    ids = dict(ContentCategory.objects.values_list("code", "id"))
    # New rows get their parent now that every code has an id; existing rows change in place.
    changed: list[ContentCategory] = []
    updated = 0
    for code, name, parent in valid:
        category = existing.get(code) or ContentCategory(id=ids[code], code=code, name=name)
        wanted = (name, ids[parent] if parent else None, levels[code])
        if (category.name, category.parent_id, category.level) != wanted:
            category.name, category.parent_id, category.level = wanted
            changed.append(category)
            updated += code in existing
    ContentCategory.objects.bulk_update(changed, ["name", "parent", "level"], batch_size=500)
    reference_data_changed.send(sender=ContentCategory)  # bulk writes send no model signals
    record(
        "category.import",
        actor=actor,
        object_type="cases.contentcategory",
        object_id="import",
        detail={"rows": len(valid), "created": len(new), "updated": updated},
    )
    return len(valid)
