"""Reads of the ledger import: whose imports a clerk sees, the preview, imported replies."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from xinfang.accounts import rules
from xinfang.accounts.models import Unit
from xinfang.ledger.models import ImportedRow, LedgerImport, MappingPreset
from xinfang.ledger.parsing import ParsedRow, RowParser
from xinfang.ledger.reading import Row, cell_text, open_sheet

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from xinfang.accounts.models import User

PREVIEW_ROWS = 50


def imports_visible_to(user: User | AnonymousUser) -> QuerySet[LedgerImport]:
    """A clerk sees the imports of their unit and the units under it."""
    unit = getattr(user, "unit", None)
    if not rules.can_import_ledgers(user) or unit is None:
        return LedgerImport.objects.none()
    units = Unit.objects.filter(path__startswith=unit.path).values("id")
    return LedgerImport.objects.filter(unit_id__in=units).select_related("created_by")


def presets_for(user: User) -> QuerySet[MappingPreset]:
    """The user's own presets and those shared in their unit."""
    return MappingPreset.objects.filter(unit=user.unit).filter(
        Q(owner=user) | Q(owner__isnull=True)
    )


def imported_replies(case_ids: Sequence[int]) -> dict[int, list[str]]:
    """Search text source: the replies that came with imported ledger rows."""
    found: dict[int, list[str]] = defaultdict(list)
    rows = ImportedRow.objects.filter(case_id__in=case_ids).exclude(reply="")
    for case_id, reply in rows.values_list("case_id", "reply"):
        found[case_id].append(reply)
    return found


@dataclass(frozen=True)
class PreviewRow:
    number: int
    cells: list[str]  # the mapped columns' values, in field order
    problems: list[str]
    duplicate: bool


def preview(ledger: LedgerImport, parser: RowParser, data: bytes) -> list[PreviewRow]:
    """The first rows as they would be imported: each one valid, a duplicate, or why not."""
    rows: list[tuple[Row, ParsedRow | list[str]]] = []
    with open_sheet(ledger.file_kind, data) as sheet:
        for row in sheet.rows:
            result = parser.parse(row)
            rows.append((row, result if isinstance(result, ParsedRow) else result.reasons))
            if len(rows) == PREVIEW_ROWS:
                break
    keys = [result.key for _, result in rows if isinstance(result, ParsedRow)]
    known = set(
        ImportedRow.objects.filter(
            unit=ledger.unit, source=ledger.source, row_key__in=keys
        ).values_list("row_key", flat=True)
    )
    order = list(ledger.columns.values())
    return [
        PreviewRow(
            number=row.number,
            cells=[cell_text(row.get(index))[:80] for index in order],
            problems=result if isinstance(result, list) else [],
            duplicate=isinstance(result, ParsedRow) and result.key in known,
        )
        for row, result in rows
    ]
