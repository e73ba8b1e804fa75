"""The real ledgers in ../shared/data: mixed date types, long texts, tabs and full-width
spaces, a sheet "dimensioned" to 65,203 rows with 495 filled."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from tests.ledger.conftest import import_now, upload
from xinfang.accounts.models import User
from xinfang.cases.models import Case, ContentCategory
from xinfang.cases.queries import CaseFilters
from xinfang.ledger.models import ImportedRow
from xinfang.ledger.queries import preview
from xinfang.ledger.services import MappingInput, row_parser, save_mapping
from xinfang.ledger.storage import load
from xinfang.search.analyzer import parse_query, substring_match
from xinfang.search.documents import case_texts
from xinfang.search.queries import search_ids

REPLIES = "tipdm2020/messages_with_replies_附件4.xlsx"
LABELED = "tipdm2020/messages_labeled_附件2_sample495.xlsx"


def _sample_of_replies(path: Path, size: int = 120) -> tuple[bytes, int]:
    """The real file's header and a sample of its rows, cell values and types untouched: the
    first rows, every row whose time Excel stored as a date, and the longest messages."""
    book = load_workbook(path, read_only=True)
    sheet = book.worksheets[0]
    rows = [list(values) for values in sheet.iter_rows(values_only=True)]
    book.close()
    header, body = rows[0], rows[1:]
    dated = [r for r in body if not isinstance(r[3], str)]
    longest = sorted(body, key=lambda r: -len(str(r[4] or "")))[:5]
    chosen = {id(r): r for r in [*body[:size], *dated, *longest]}
    out = Workbook()
    target = out.active
    assert target is not None
    target.append(header)
    for values in chosen.values():
        target.append(values)
    data = io.BytesIO()
    out.save(data)
    return data.getvalue(), len(chosen)


@pytest.mark.shared_data
def test_a_sample_of_the_real_replies_file_imports_every_row_with_its_reply(
    clerk: User, category: ContentCategory, shared_data: Path
) -> None:
    data, count = _sample_of_replies(shared_data / REPLIES)
    ledger = import_now(clerk, upload(clerk, data, "附件4.xlsx", "问政西地省"), category)
    assert (ledger.status, ledger.imported, ledger.rejected) == ("done", count, 0)
    assert ImportedRow.objects.exclude(reply="").count() == count
    assert Case.objects.filter(received_on__year=2019).exists()
    longest = max(Case.objects.values_list("request", flat=True), key=len)
    assert len(longest) > 3000
    # Replies are searchable: their customary salutation is found wherever a scan finds it.
    query = parse_query("网友")
    texts = case_texts(list(Case.objects.values_list("pk", flat=True)))
    expected = {text.case_id for text in texts if substring_match(query, text.fields())}
    assert set(search_ids(clerk, query, CaseFilters())) == expected
    assert len(expected) > count * 0.9


@pytest.mark.shared_data
def test_the_whole_real_replies_file_is_mapped_and_previewed_from_its_header(
    clerk: User, category: ContentCategory, shared_data: Path
) -> None:
    ledger = upload(clerk, (shared_data / REPLIES).read_bytes(), "附件4.xlsx", "问政西地省")
    assert ledger.columns == {
        "external_id": 0,
        "title": 2,
        "request": 4,
        "received": 3,
        "name": 1,
        "reply": 5,
        "replied": 6,
    }
    save_mapping(
        ledger, actor=clerk, data=MappingInput(columns=ledger.columns, content_category=category)
    )
    data = load(str(ledger.uid))
    assert data is not None
    rows = preview(ledger, row_parser(ledger, clerk), data)
    assert len(rows) == 50
    assert [row.problems for row in rows if row.problems] == []


@pytest.mark.shared_data
def test_the_labeled_file_reads_its_495_rows_not_its_declared_65203(
    clerk: User, category: ContentCategory, shared_data: Path
) -> None:
    ledger = upload(clerk, (shared_data / LABELED).read_bytes(), "附件2.xlsx", "留言分类样本")
    ledger = import_now(clerk, ledger, category)
    # Its 一级分类 names are not in this office's code table: every row says so, none is lost.
    assert (ledger.rows_total, ledger.imported + ledger.rejected + ledger.duplicates) == (495, 495)
    reasons = set(ledger.rejected_rows.values_list("reasons", flat=True))
    assert all("不在内容分类代码表中" in reason for reason in reasons)
