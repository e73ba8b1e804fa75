"""Fixtures for search tests: the workflow cast, and a corpus of real citizen messages."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import openpyxl
import pytest

from tests.cases.workflow_cast import Cast, make_cast
from tests.conftest import Units
from xinfang.accounts.models import Region, User
from xinfang.cases.models import ContentCategory

REPLIES_FILE = "tipdm2020/messages_with_replies_附件4.xlsx"
LABELED_FILE = "tipdm2020/messages_labeled_附件2_sample495.xlsx"


@pytest.fixture
def cast(
    units: Units,
    clerk: User,
    handler: User,
    leader: User,
    outsider: User,
    region: Region,
    category: ContentCategory,
) -> Cast:
    return make_cast(units, clerk, handler, leader, outsider, region, category)


@cache
def real_messages(root: Path) -> list[tuple[str, str, str]]:
    """(subject, details, reply) of every real message in the two message files; the reply is
    empty where the file has none. Read once per test process."""
    messages = []
    for name, reply_column in ((REPLIES_FILE, 5), (LABELED_FILE, None)):
        book = openpyxl.load_workbook(root / name, read_only=True)
        try:
            rows = book.worksheets[0].iter_rows(min_row=2, values_only=True)
            blank = 0
            for row in rows:
                if not row or not row[2]:
                    blank += 1
                    if blank > 100:  # a sheet "dimensioned" far past its last row
                        break
                    continue
                blank = 0
                reply = row[reply_column] if reply_column is not None else ""
                messages.append((str(row[2]), str(row[4] or ""), str(reply or "")))
        finally:
            book.close()
    return messages
