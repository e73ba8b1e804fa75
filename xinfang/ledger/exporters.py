"""The rejected rows of an import as a spreadsheet to fix and upload again (formula-looking
text neutralised by ``search.exporters.xlsx``)."""

from __future__ import annotations

from collections.abc import Iterator

from xinfang.ledger import storage
from xinfang.ledger.models import LedgerImport
from xinfang.ledger.reading import cell_text, open_sheet
from xinfang.search.exporters import xlsx


def rejected_rows(ledger: LedgerImport, data: bytes) -> Iterator[list[object]]:
    """The rejected rows read again from the original file, with their row number and why."""
    reasons = dict(ledger.rejected_rows.values_list("row_number", "reasons"))
    width = len(ledger.headers)
    with open_sheet(ledger.file_kind, data) as sheet:
        for row in sheet.rows:
            if row.number in reasons:
                values: list[object] = [cell_text(value) for value in row.values[:width]]
                values += [""] * (width - len(values))
                yield [*values, row.number, reasons[row.number]]


def rejected_rows_xlsx(ledger: LedgerImport) -> bytes | None:
    """The rows not imported, in the file's own columns plus 原行号 and 未导入原因: fix them
    and upload this file again (the two extra columns are ignored). None once the original
    file is gone (kept ``XF_LEDGER_KEEP_DAYS``)."""
    data = storage.load(str(ledger.uid))
    if data is None:
        return None
    header = [*ledger.headers, "原行号", "未导入原因"]
    return xlsx("未导入的行", header, rejected_rows(ledger, data))
