"""Writing the audit trail. Every business operation calls :func:`record` inside its own
transaction, so that the change and its audit line commit or roll back together."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

from django.db import connection, models, transaction
from django.utils import timezone

from xinfang.audit.enums import Outcome
from xinfang.audit.models import AuditEvent, AuditHead
from xinfang.core.crypto import audit_key, audit_key_id, hmac_sm3
from xinfang.core.inserts import insert_row
from xinfang.core.middleware import current_request

if TYPE_CHECKING:
    from xinfang.accounts.models import User

GENESIS_HASH = "0" * 64
HASHED_FIELDS = (
    "seq",
    "occurred_at",
    "actor_id",
    "actor_name",
    "actor_roles",
    "source_ip",
    "request_id",
    "event",
    "object_type",
    "object_id",
    "outcome",
    "detail",
    "prev_hash",
)


def canonical_form(event: AuditEvent) -> bytes:
    values: dict[str, Any] = {name: getattr(event, name) for name in HASHED_FIELDS}
    values["occurred_at"] = event.occurred_at.astimezone(dt.UTC).isoformat()
    if event.key_id is not None:  # signed under a numbered key: the number is signed too
        values["key_id"] = event.key_id
    return json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def compute_hash(event: AuditEvent) -> str:
    """HMAC-SM3 under the key the event names (raises KeyError for a key no longer listed)."""
    return hmac_sm3(audit_key(event.key_id or 1), canonical_form(event)).hex()


def _lock_head() -> tuple[int, str]:
    """The head's sequence number and hash, locked until the transaction ends (on SQLite the
    transaction already holds the one write lock: there is no FOR UPDATE to say)."""
    head_table = connection.ops.quote_name(AuditHead._meta.db_table)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT seq, hash FROM {head_table} WHERE id = 1{lock}")  # noqa: S608
        row = cursor.fetchone()
    if row is None:
        # First event ever: create the head row; a concurrent creator loses on the primary key
        # and its transaction retries from the caller.
        AuditHead.objects.create(pk=1, seq=0, hash=GENESIS_HASH)
        return 0, GENESIS_HASH
    return int(row[0]), str(row[1])


def _move_head(seq: int, hash_: str) -> None:
    head_table = connection.ops.quote_name(AuditHead._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {head_table} SET seq = %s, hash = %s WHERE id = 1",  # noqa: S608
            [seq, hash_],
        )


def record(
    event: str,
    *,
    actor: User | None,
    target: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    outcome: Outcome = Outcome.SUCCESS,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event. Must not carry passwords, codes or full identity numbers."""
    context = current_request()
    if target is not None:
        object_type = object_type or target._meta.label_lower
        object_id = object_id or str(target.pk)
    # No savepoint of its own inside the caller's transaction: an audit write that fails
    # rolls the whole change back (SECURITY.md 14), so there is nothing to keep apart.
    with transaction.atomic(savepoint=False):
        seq, prev_hash = _lock_head()
        entry = AuditEvent(
            seq=seq + 1,
            occurred_at=timezone.now(),
            actor_id=actor.pk if actor is not None else None,
            actor_name=(actor.get_username() if actor is not None else ""),
            actor_roles=",".join(sorted(actor.roles)) if actor is not None else "",
            # Hash the address as the database will store it (IPv6 is normalised on save).
            source_ip=(
                AuditEvent._meta.get_field("source_ip").get_prep_value(context.source_ip)
                if context
                else None
            ),
            request_id=context.request_id if context else "",
            event=event,
            object_type=object_type,
            object_id=object_id,
            outcome=outcome,
            detail=detail or {},
            prev_hash=prev_hash,
            key_id=audit_key_id(),
        )
        entry.hash = compute_hash(entry)
        insert_row(entry)
        _move_head(entry.seq, entry.hash)
    return entry
