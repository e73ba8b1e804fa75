"""轮换密钥: re-encrypt every sealed value under the current (highest) key of ``XF_PI_KEYS``.

Resumable by construction: each value names the key that sealed it, rows are visited in primary
key order in batches, each batch commits on its own with its audit event, and a value already
under the current key is left alone. A run killed halfway leaves every value readable (old or
new key, both still in the keyring); the next run finishes the rest.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction

from xinfang.audit.services import record
from xinfang.core.crypto import (
    DecryptionError,
    Keyring,
    blind_index,
    key_id_of,
    keyring,
    seal,
    unseal,
)
from xinfang.ops.sealed import BLIND_INDEXES, BlindIndex, SealedColumn, by_model

DEFAULT_BATCH_SIZE = 500

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Unreadable:
    """A value that did not open: damaged, moved to another row, or under an unknown key."""

    model: str
    pk: int
    column: str
    reason: str


@dataclass
class RotationReport:
    target_key: int
    dry_run: bool
    #: values per (model label, column) and the key id that seals them now (before, if dry run)
    by_key: Counter[tuple[str, str, int]] = field(default_factory=Counter)
    rotated: Counter[str] = field(default_factory=Counter)
    unreadable: list[Unreadable] = field(default_factory=list)
    batches: int = 0
    stopped_at_limit: bool = False

    @property
    def rotated_total(self) -> int:
        return sum(self.rotated.values())

    def under_old_keys(self) -> int:
        """Values this run found under an older key (before it re-encrypted them)."""
        return sum(n for (_, _, key), n in self.by_key.items() if key != self.target_key)


def _batches(
    model: type[models.Model], fields: list[str], batch_size: int, *, lock: bool = True
) -> Iterator[list[models.Model]]:
    """Rows in primary-key order, ``batch_size`` at a time; each batch is read and written
    inside the caller's transaction (row locks on PostgreSQL, the write lock on SQLite), so a
    concurrent edit of the same row waits instead of being overwritten with the old value."""
    last_pk: Any = None
    while True:
        rows = model._default_manager.order_by("pk").only("pk", *fields)
        if lock:
            rows = rows.select_for_update()
        if last_pk is not None:
            rows = rows.filter(pk__gt=last_pk)
        batch = list(rows[:batch_size])
        if not batch:
            return
        yield batch
        last_pk = batch[-1].pk


def _label(model: type[models.Model]) -> str:
    return model._meta.label


def rotate_keys(
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    limit: int | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> RotationReport:
    """Re-encrypt every registered sealed value not yet under the current key.

    ``limit`` stops after about that many values (the batch that reaches it still commits);
    ``dry_run`` only counts values per key id and writes nothing. ``progress`` is called after
    each batch has committed. Writes one audit event ``crypto.rotate`` per batch that changed
    something, in the batch's transaction, and one summary event at the end of a real run.
    Values that do not open are skipped and listed in the report, never overwritten.
    """
    ring = keyring()
    report = RotationReport(target_key=ring.current_id, dry_run=dry_run)
    say = progress or (lambda _message: None)
    for model, columns in by_model().items():
        if report.stopped_at_limit:
            break
        fields = sorted({name for c in columns for name in (c.field, *c.aad_fields)})
        batches = _batches(model, fields, batch_size, lock=not dry_run)
        while not report.stopped_at_limit:
            with transaction.atomic():
                batch = next(batches, None)
                if batch is None:
                    break
                changed = _rotate_batch(model, columns, batch, report, ring=ring, write=not dry_run)
            report.batches += 1
            say(_batch_message(model, batch, changed, dry_run=dry_run))
            if limit is not None and report.rotated_total >= limit:
                report.stopped_at_limit = True
    if not dry_run:
        with transaction.atomic():
            record("crypto.rotate", actor=None, object_type="keyring", detail=_summary(report))
    return report


def _rotate_batch(
    model: type[models.Model],
    columns: list[SealedColumn],
    batch: list[models.Model],
    report: RotationReport,
    *,
    ring: Keyring,
    write: bool,
) -> int:
    label = _label(model)
    changed: Counter[str] = Counter()
    for row in batch:
        updates: dict[str, bytes] = {}
        for column in columns:
            blob = getattr(row, column.field)
            if not blob:
                continue
            blob = bytes(blob)
            try:
                key_id = key_id_of(blob)
            except DecryptionError as error:
                report.unreadable.append(Unreadable(label, row.pk, column.field, str(error)))
                continue
            report.by_key[(label, column.field, key_id)] += 1
            if key_id == ring.current_id or not write:
                continue
            aad = column.aad(row)
            try:
                plaintext = unseal(blob, aad=aad, ring=ring)
            except DecryptionError as error:
                report.unreadable.append(Unreadable(label, row.pk, column.field, str(error)))
                continue
            updates[column.field] = seal(plaintext, aad=aad, ring=ring)
            changed[column.field] += 1
        if updates:
            model._default_manager.filter(pk=row.pk).update(**updates)
    if changed:
        report.rotated.update({f"{label}.{name}": n for name, n in changed.items()})
        record(
            "crypto.rotate",
            actor=None,
            object_type=label.lower(),
            object_id=f"{batch[0].pk}-{batch[-1].pk}",
            detail={"to_key": ring.current_id, "rotated": dict(changed)},
        )
    return sum(changed.values())


def _batch_message(
    model: type[models.Model], batch: list[models.Model], changed: int, *, dry_run: bool
) -> str:
    name = model._meta.verbose_name
    span = f"第 {batch[0].pk}–{batch[-1].pk} 行"
    if dry_run:
        return f"{name}：已检查{span}（{len(batch)} 行）"
    return f"{name}：{span}已处理，重新加密 {changed} 个值（本批已提交）"


def _summary(report: RotationReport) -> dict[str, Any]:
    return {
        "to_key": report.target_key,
        "rotated": dict(report.rotated),
        "rotated_total": report.rotated_total,
        "unreadable": len(report.unreadable),
        "batches": report.batches,
        "stopped_at_limit": report.stopped_at_limit,
    }


def recompute_blind_indexes(
    *, batch_size: int = DEFAULT_BATCH_SIZE, progress: Progress | None = None
) -> int:
    """Recompute every blind index under the current ``XF_BLIND_INDEX_KEY``.

    Run it with the application stopped: until it finishes, lookups by ID number or phone miss
    rows not yet recomputed (and registration would open a second row for a known person).
    Idempotent: a rerun computes the same values. Recovery codes, stored only as keyed hashes,
    cannot be recomputed; they stop working and their owners need new ones. One audit event
    ``crypto.reindex`` per batch that changed something. Returns how many values changed.
    """
    say = progress or (lambda _message: None)
    total = 0
    models_seen: dict[type[models.Model], list[BlindIndex]] = {}
    for index in BLIND_INDEXES:
        models_seen.setdefault(index.source.model, []).append(index)
    for model, indexes in models_seen.items():
        fields = sorted(
            {n for i in indexes for n in (i.field, i.source.field, *i.source.aad_fields)}
        )
        batches = _batches(model, fields, batch_size)
        while True:
            with transaction.atomic():
                batch = next(batches, None)
                if batch is None:
                    break
                changed = 0
                for row in batch:
                    updates: dict[str, str] = {}
                    for index in indexes:
                        blob = getattr(row, index.source.field)
                        if not blob:
                            continue
                        plaintext = unseal(bytes(blob), aad=index.source.aad(row))
                        value = blind_index(plaintext, purpose=index.purpose)
                        if value != getattr(row, index.field):
                            updates[index.field] = value
                    if updates:
                        model._default_manager.filter(pk=row.pk).update(**updates)
                        changed += len(updates)
                if changed:
                    record(
                        "crypto.reindex",
                        actor=None,
                        object_type=_label(model).lower(),
                        object_id=f"{batch[0].pk}-{batch[-1].pk}",
                        detail={"changed": changed},
                    )
            total += changed
            say(
                f"{model._meta.verbose_name}：第 {batch[0].pk}–{batch[-1].pk} 行已处理，"
                f"重算索引 {changed} 个（本批已提交）"
            )
    return total
