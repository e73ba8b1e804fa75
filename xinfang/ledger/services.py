"""Writes of the ledger import: upload, mapping, start, the import itself, discard. Audited.

The cases are registered a batch at a time (:mod:`xinfang.ledger.registration`) with the
importing clerk as actor: the rows, numbering, sealing, deadlines and search text of a case
registered at the desk, with one audit event per batch naming every row and case. The stable
key of each row (its ledger number, or a digest of its content) is recorded in
``ImportedRow``: importing the same rows again creates nothing. Rows with a reply date arrive
as historical, closed records (see the registration module).
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from xinfang.accounts import rules
from xinfang.accounts.models import Region, Unit, User
from xinfang.audit.services import record
from xinfang.cases.enums import Channel, HandlingCategory
from xinfang.cases.models import Case, ContentCategory
from xinfang.ledger import storage
from xinfang.ledger.enums import REQUIRED_FIELDS, ImportStatus, LedgerField
from xinfang.ledger.mapping import columns_from_preset, headers_of, suggest_columns
from xinfang.ledger.models import ImportedRow, LedgerImport, MappingPreset, RejectedRow
from xinfang.ledger.parsing import (
    Defaults,
    ParsedRow,
    RowParser,
    RowProblem,
    category_table,
    region_table,
)
from xinfang.ledger.reading import LedgerFileError, RowSpool, check_upload, open_sheet, read_sheet
from xinfang.ledger.registration import (
    PersonSealer,
    RegistrationContext,
    SealedPerson,
    idempotency_key,
    register_rows,
)
from xinfang.search.analyzer import AnalysedText
from xinfang.search.index import index_form

log = logging.getLogger(__name__)

BATCH = 1000  # rows per transaction: progress is saved; other writers wait at most one batch
RETRIES = 3  # a batch that lost a race with a concurrent import of the same rows is redone
CHECKED_AT_UPLOAD = 200  # rows read at upload to refuse a damaged file early
PAGE_CACHE_MB = 64  # SQLite's page cache while an import writes (see _sqlite_page_cache)


def _check_clerk(actor: User) -> Unit:
    if not rules.can_import_ledgers(actor) or actor.unit is None:
        raise PermissionDenied("只有登记员可以导入台账。")
    return actor.unit


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _keep_until() -> dt.datetime:
    return timezone.now() + dt.timedelta(days=settings.XF_LEDGER_KEEP_DAYS)


def _remove_file(ledger: LedgerImport) -> None:
    storage.remove(str(ledger.uid))
    LedgerImport.objects.filter(pk=ledger.pk).update(file_kept_until=None)


# --- upload and mapping -------------------------------------------------------------------------


def upload_ledger(
    *, actor: User, upload: UploadedFile[bytes], source: str, preset: MappingPreset | None = None
) -> LedgerImport:
    """Keep an uploaded ledger for mapping: refuse a file that is not a readable, harmless
    .xlsx/.csv (LedgerFileError, nothing kept), read its header, suggest the columns (from
    ``preset`` when given). Audited ``ledger.upload``."""
    unit = _check_clerk(actor)
    name = upload.name or "台账"
    kind = check_upload(name, upload, upload.size or 0)
    upload.seek(0)
    data = upload.read()
    with open_sheet(kind, data) as sheet:
        for _, _row in zip(range(CHECKED_AT_UPLOAD), sheet.rows, strict=False):
            pass  # reading is the check: formulas, limits, damage
        headers, header_row = sheet.headers, sheet.header_row
    columns = columns_from_preset(headers, preset.columns) if preset else suggest_columns(headers)
    with transaction.atomic():
        ledger = LedgerImport.objects.create(
            created_by=actor,
            unit=unit,
            source=source.strip()[:100] or "台账导入",
            file_name=name[-200:],
            file_kind=kind,
            file_size=len(data),
            file_sha256=_digest(data),
            headers=headers,
            header_row=header_row,
            columns=columns,
            defaults=dict(preset.defaults) if preset else {},
            file_kept_until=_keep_until(),
        )
        storage.store(str(ledger.uid), data)
        record(
            "ledger.upload",
            actor=actor,
            target=ledger,
            object_id=str(ledger.uid),
            detail={"file": ledger.file_name, "kind": kind, "bytes": len(data)},
        )
    return ledger


@dataclass(frozen=True)
class MappingInput:
    columns: Mapping[str, int]  # field → column index
    channel: str = Channel.ONLINE
    handling_category: str = HandlingCategory.CLAIM
    content_category: ContentCategory | None = None
    region: Region | None = None
    preset_name: str = ""
    share_preset: bool = False  # with the unit's clerks, not only the person


def _check_mapping(ledger: LedgerImport, data: MappingInput) -> dict[str, int]:
    columns = {
        name: index
        for name, index in data.columns.items()
        if name in LedgerField.values and 0 <= index < len(ledger.headers)
    }
    missing = [field.label for field in REQUIRED_FIELDS if field.value not in columns]
    if missing:
        raise ValidationError("请为以下字段选择对应的列：" + "、".join(str(m) for m in missing))
    return columns


@transaction.atomic
def save_mapping(ledger: LedgerImport, *, actor: User, data: MappingInput) -> LedgerImport:
    """Which column fills which field, and the defaults; optionally saved as a preset.
    Audited ``ledger.map``."""
    _check_clerk(actor)
    if ledger.status not in (ImportStatus.UPLOADED, ImportStatus.MAPPED):
        raise ValidationError("该台账已开始导入，不能再修改列对应。")
    ledger.columns = _check_mapping(ledger, data)
    ledger.defaults = {
        "channel": str(Channel(data.channel)),
        "handling_category": str(HandlingCategory(data.handling_category)),
        "content_category": data.content_category.code if data.content_category else "",
        "region": data.region.code if data.region else "",
    }
    ledger.status = ImportStatus.MAPPED
    ledger.save(update_fields=["columns", "defaults", "status"])
    if data.preset_name.strip():
        MappingPreset.objects.update_or_create(
            unit=ledger.unit,
            owner=None if data.share_preset else actor,
            name=data.preset_name.strip()[:50],
            defaults={
                "columns": headers_of(ledger.headers, ledger.columns),
                "defaults": ledger.defaults,
            },
        )
    record(
        "ledger.map",
        actor=actor,
        target=ledger,
        object_id=str(ledger.uid),
        detail={"columns": ledger.columns, "preset": data.preset_name.strip()[:50]},
    )
    return ledger


def defaults_of(ledger: LedgerImport, actor: User) -> Defaults:
    """The stored defaults as objects; the reception unit is the importing clerk's unit."""
    saved = ledger.defaults
    category = ContentCategory.objects.filter(code=saved.get("content_category") or None).first()
    region = Region.objects.filter(code=saved.get("region") or None).first()
    unit = actor.unit
    if unit is None:
        raise PermissionDenied("只有登记员可以导入台账。")
    return Defaults(
        channel=saved.get("channel") or Channel.ONLINE,
        handling_category=saved.get("handling_category") or HandlingCategory.CLAIM,
        content_category_id=category.pk if category else None,
        region_id=region.pk if region else (unit.region_id if unit.region_id else None),
        reception_unit=unit,
    )


def row_parser(ledger: LedgerImport, actor: User) -> RowParser:
    return RowParser(
        ledger.columns,
        defaults_of(ledger, actor),
        categories=category_table(),
        regions=region_table(),
    )


# --- starting, discarding -----------------------------------------------------------------------


def start_import(ledger: LedgerImport, *, actor: User) -> LedgerImport:
    """Queue the import (once: a second click finds it queued and changes nothing).
    Audited ``ledger.start``."""
    _check_clerk(actor)
    with transaction.atomic():
        moved = LedgerImport.objects.filter(pk=ledger.pk, status=ImportStatus.MAPPED).update(
            status=ImportStatus.QUEUED
        )
        if moved != 1:
            raise ValidationError("该台账已开始导入或尚未完成列对应。")
        record("ledger.start", actor=actor, target=ledger, object_id=str(ledger.uid))
        from xinfang.ledger.tasks import import_ledger

        transaction.on_commit(lambda: import_ledger(ledger.pk))
    ledger.refresh_from_db()
    return ledger


@transaction.atomic
def discard_import(ledger: LedgerImport, *, actor: User) -> None:
    """放弃: the file is deleted before anything was imported. Audited ``ledger.discard``."""
    _check_clerk(actor)
    moved = LedgerImport.objects.filter(
        pk=ledger.pk, status__in=[ImportStatus.UPLOADED, ImportStatus.MAPPED]
    ).update(status=ImportStatus.CANCELLED, finished_at=timezone.now())
    if moved != 1:
        raise ValidationError("该台账已开始导入，不能放弃。")
    _remove_file(ledger)
    record("ledger.discard", actor=actor, target=ledger, object_id=str(ledger.uid))


# --- the import itself (on the task queue) ------------------------------------------------------


@dataclass
class _Tally:
    done: int = 0
    imported: int = 0
    duplicates: int = 0
    rejected: int = 0
    seen: set[str] = field(default_factory=set)


def _fail(ledger: LedgerImport, message: str) -> None:
    LedgerImport.objects.filter(pk=ledger.pk).update(
        status=ImportStatus.FAILED, message=message[:500], finished_at=timezone.now()
    )
    _remove_file(ledger)
    with transaction.atomic():
        record(
            "ledger.finish",
            actor=ledger.created_by,
            target=ledger,
            object_id=str(ledger.uid),
            detail={"status": "failed", "message": message[:200]},
        )


def run_import(ledger_id: int) -> LedgerImport:
    """The queued import: first read the whole file (a damaged or hostile file fails here and
    nothing is written), then register the valid rows, BATCH rows per transaction, recording
    progress, duplicates and every rejected row with its reasons."""
    ledger = LedgerImport.objects.select_related("created_by", "unit").get(pk=ledger_id)
    moved = LedgerImport.objects.filter(pk=ledger.pk, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING, started_at=timezone.now(), message="正在检查文件……"
    )
    if moved != 1:
        return ledger  # already run, or discarded meanwhile
    data = storage.load(str(ledger.uid))
    if data is None:
        _fail(ledger, "上传的文件已不存在，请重新上传。")
        return _fresh(ledger)
    actor = ledger.created_by
    try:
        _check_clerk(actor)
        parser, sealer = row_parser(ledger, actor), PersonSealer()
        # Each row is checked, and its petitioner sealed, as soon as it is read (the file
        # goes on being read meanwhile, see ``read_sheet``); nothing is written until the
        # whole file has been read. Then, while the rows are written, the reader analyses
        # their search texts ahead of the writer.
        with (
            _fewer_collections(),
            read_sheet(
                ledger.file_kind, data, text_columns=parser.search_columns, form=index_form()
            ) as sheet,
        ):
            del data  # the reader has it
            spool = RowSpool(_prepared(parser.parse(row), sealer) for row in sheet.rows)
            LedgerImport.objects.filter(pk=ledger.pk).update(
                rows_total=spool.total, message="正在导入……"
            )
            tally = _import_rows(ledger, actor, spool, RowTexts(sheet.texts))
    except (LedgerFileError, PermissionDenied) as error:
        _fail(ledger, _message(error))
        return _fresh(ledger)
    except Exception:
        log.exception("ledger import %s failed", ledger.uid)
        _fail(
            ledger, "导入时发生系统错误，已导入的行保留；可再次上传同一文件继续导入（不会重复）。"
        )
        raise
    LedgerImport.objects.filter(pk=ledger.pk).update(
        status=ImportStatus.DONE, message="", finished_at=timezone.now()
    )
    if tally.rejected:
        # Kept (sealed) for the rejected-rows download, then purged by the daily task.
        LedgerImport.objects.filter(pk=ledger.pk).update(file_kept_until=_keep_until())
    else:
        _remove_file(ledger)
    with transaction.atomic():
        record(
            "ledger.finish",
            actor=actor,
            target=ledger,
            object_id=str(ledger.uid),
            detail={
                "status": "done",
                "rows": tally.done,
                "imported": tally.imported,
                "duplicates": tally.duplicates,
                "rejected": tally.rejected,
            },
        )
    return _fresh(ledger)


def _fresh(ledger: LedgerImport) -> LedgerImport:
    ledger.refresh_from_db()
    return ledger


def _message(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return error.messages[0]
    return str(error) or "导入失败。"


Prepared = tuple[ParsedRow, SealedPerson] | RowProblem


def _prepared(result: ParsedRow | RowProblem, sealer: PersonSealer) -> Prepared:
    return (result, sealer(result.petitioner)) if isinstance(result, ParsedRow) else result


GC_FIRST_GENERATION = 20_000  # allocations between collections while an import runs


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Python's cycle collector spared most of its work while the import runs. An import
    makes millions of short-lived objects (rows, parameters), few of them in cycles; at the
    default threshold the collector runs every 700 allocations and, every so often, walks
    every object of the process (Django's included): a tenth of the import's time. What
    exists when the import starts is set aside (``gc.freeze``), and collections come after
    more allocations; both are undone at the end."""
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(threshold[0], GC_FIRST_GENERATION), *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


@contextmanager
def _sqlite_page_cache(megabytes: int) -> Iterator[None]:
    """A larger SQLite page cache on this connection while the import runs, then the one it
    had. Each batch adds rows all over the case table's many indexes and the search index;
    with SQLite's default 2 MB most of those pages are read again from the file for every
    batch."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (before,) = cursor.fetchone()
        cursor.execute(f"PRAGMA cache_size = {-1024 * int(megabytes)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(before)}")


class RowTexts:
    """The search texts of the file's rows as the reader analysed them (``SheetReading.texts``:
    row number and text, in row order), taken batch by batch in the same order."""

    def __init__(self, texts: Iterator[tuple[int, AnalysedText]]) -> None:
        self._texts = texts
        self._next: tuple[int, AnalysedText] | None = None

    def take(self, numbers: Iterable[int]) -> dict[int, AnalysedText]:
        """The texts of these rows (ascending numbers), passing over the rows between them.
        A row without one is analysed when written (``register_rows``)."""
        found: dict[int, AnalysedText] = {}
        for number in numbers:
            while self._next is None or self._next[0] < number:
                try:
                    self._next = next(self._texts, None)
                except RuntimeError:  # the reader process failed: the rest is analysed here
                    log.warning("ledger reader gave no more texts", exc_info=True)
                    self._texts, self._next = iter(()), None
                if self._next is None:
                    return found
            if self._next[0] == number:
                found[number] = self._next[1]
        return found


def _import_rows(
    ledger: LedgerImport, actor: User, rows: RowSpool[Prepared], texts: RowTexts
) -> _Tally:
    context = RegistrationContext(actor=actor, unit=ledger.unit)
    tally = _Tally()
    batch: list[Prepared] = []
    with _sqlite_page_cache(PAGE_CACHE_MB):
        for row in rows:
            batch.append(row)
            if len(batch) == BATCH:
                _import_batch(ledger, context, batch, tally, texts)
                batch = []
        if batch:
            _import_batch(ledger, context, batch, tally, texts)
    return tally


def _import_batch(
    ledger: LedgerImport,
    context: RegistrationContext,
    parsed: list[Prepared],
    tally: _Tally,
    texts: RowTexts,
) -> None:
    """One transaction: the batch's valid new rows registered, its rejected rows recorded,
    the progress saved. A concurrent import of the same rows (PostgreSQL lets both read
    before either writes) makes this one fail on the unique row key: it is redone, and then
    finds those rows imported."""
    analysed = texts.take(item[0].number for item in parsed if not isinstance(item, RowProblem))
    for attempt in range(RETRIES):
        try:
            with transaction.atomic():
                outcome = _write_batch(ledger, context, parsed, tally, analysed)
        except IntegrityError:
            if attempt == RETRIES - 1:
                raise
            continue
        tally.done += len(parsed)
        tally.imported += len(outcome.imported)
        tally.duplicates += outcome.duplicates
        tally.rejected += outcome.rejected
        tally.seen.update(outcome.imported)
        return


@dataclass(frozen=True)
class _Outcome:
    imported: set[str]  # row keys
    duplicates: int
    rejected: int


def _write_batch(
    ledger: LedgerImport,
    context: RegistrationContext,
    parsed: list[Prepared],
    tally: _Tally,
    texts: Mapping[int, AnalysedText],
) -> _Outcome:
    keys = [result[0].key for result in parsed if not isinstance(result, RowProblem)]
    existing = _present(ImportedRow, "row_key", keys, unit_id=ledger.unit_id, source=ledger.source)
    # A case registered from the row without its key (a row key removed by hand) counts too.
    submissions = {idempotency_key(ledger, key): key for key in keys if key not in existing}
    registered = _present(Case, "idempotency_key", list(submissions))
    existing.update(submissions[key] for key in registered)
    fresh: set[str] = set()
    valid: list[ParsedRow] = []
    people: list[SealedPerson] = []
    rejected: list[RejectedRow] = []
    for result in parsed:
        if isinstance(result, RowProblem):
            rejected.append(_rejected(ledger, result))
            continue
        row, person = result
        if not (row.key in existing or row.key in fresh or row.key in tally.seen):
            fresh.add(row.key)
            valid.append(row)
            people.append(person)
    RejectedRow.objects.bulk_create(rejected)
    register_rows(ledger, valid, context=context, people=people, texts=texts)
    duplicates = len(parsed) - len(valid) - len(rejected)
    LedgerImport.objects.filter(pk=ledger.pk).update(
        rows_done=tally.done + len(parsed),
        imported=tally.imported + len(valid),
        duplicates=tally.duplicates + duplicates,
        rejected=tally.rejected + len(rejected),
    )
    return _Outcome(imported=fresh, duplicates=duplicates, rejected=len(rejected))


def _present(
    model: type[models.Model], name: str, values: Sequence[str], **equal: str | int
) -> set[str]:
    """Which of ``values`` the text field ``name`` holds in rows that also have the
    ``equal`` column values: one SELECT with a parameter per value (a filter with ``__in``
    passes each of a batch's thousand keys through the field, a cost per row)."""
    if not values:
        return set()
    quote = connection.ops.quote_name
    column = quote(_column(model, name))
    conditions = [f"{column} IN ({', '.join(['%s'] * len(values))})"]
    conditions += [f"{quote(_column(model, field))} = %s" for field in equal]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column} FROM {quote(model._meta.db_table)} "  # noqa: S608 - model's names
            f"WHERE {' AND '.join(conditions)}",
            [*values, *equal.values()],
        )
        return {str(value) for (value,) in cursor.fetchall()}


def _column(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)  # noqa: S101 - a concrete field of the model
    return str(field.column)


def _rejected(ledger: LedgerImport, problem: RowProblem) -> RejectedRow:
    return RejectedRow(
        ledger_import=ledger, row_number=problem.number, reasons="；".join(problem.reasons)[:2000]
    )


def purge_expired_files(now: dt.datetime | None = None) -> int:
    """Delete the sealed uploads past their keeping date (abandoned uploads, the originals
    of rejected rows); an abandoned upload is marked 已取消. Returns how many went."""
    now = now or timezone.now()
    expired = LedgerImport.objects.filter(file_kept_until__lt=now).exclude(
        status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING]
    )
    count = 0
    for ledger in expired.iterator():
        _remove_file(ledger)
        LedgerImport.objects.filter(
            pk=ledger.pk, status__in=[ImportStatus.UPLOADED, ImportStatus.MAPPED]
        ).update(status=ImportStatus.CANCELLED, message="超过保留期限未导入，上传的文件已删除。")
        count += 1
    return count
