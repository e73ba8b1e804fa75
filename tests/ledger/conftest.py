"""Helpers for ledger tests: spreadsheets built in memory, and the import run in-process."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from xinfang.accounts.models import User
from xinfang.cases.models import ContentCategory
from xinfang.ledger import services
from xinfang.ledger.models import LedgerImport
from xinfang.ledger.services import MappingInput

HEADERS = ["编号", "信访人", "标题", "收到日期", "诉求", "身份证号", "答复意见", "答复时间"]


def xlsx_bytes(rows: Sequence[Sequence[object]], headers: Sequence[str] = HEADERS) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def replace_in_zip(data: bytes, member: str, old: bytes, new: bytes) -> bytes:
    """The same .xlsx with one member's bytes edited (to fake what Excel would not write)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == member:
                assert old in content
                content = content.replace(old, new)
            target.writestr(item, content)
    return out.getvalue()


def upload(
    user: User, data: bytes, name: str = "台账.xlsx", source: str = "测试台账"
) -> LedgerImport:
    return services.upload_ledger(actor=user, upload=SimpleUploadedFile(name, data), source=source)


def import_now(
    user: User, ledger: LedgerImport, category: ContentCategory | None = None
) -> LedgerImport:
    """Map as suggested, start, and run the queued import here and now."""
    services.save_mapping(
        ledger, actor=user, data=MappingInput(columns=ledger.columns, content_category=category)
    )
    LedgerImport.objects.filter(pk=ledger.pk).update(status="queued")
    return services.run_import(ledger.pk)


def row(number: int, **overrides: object) -> list[object]:
    values: dict[str, object] = {
        "编号": f"L{number:04d}",
        "信访人": f"张{number}",
        "标题": f"小区物业乱收费问题{number}",
        "收到日期": "2023年5月1日",
        "诉求": "请求退还多收的物业费。",
        "身份证号": "",
        "答复意见": "",
        "答复时间": "",
    }
    values.update(overrides)
    return [values[header] for header in HEADERS]


@pytest.fixture(autouse=True)
def ledger_files(settings: object, tmp_path: object) -> None:
    """Sealed uploads go under a per-test data folder."""
    settings.VAR_DIR = tmp_path  # type: ignore[attr-defined]
