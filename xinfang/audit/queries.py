"""Reading and checking the audit trail."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from xinfang.audit.models import AuditEvent, AuditHead
from xinfang.audit.services import GENESIS_HASH, compute_hash
from xinfang.core.crypto import audit_keys, constant_time_equals


@dataclass(frozen=True)
class ChainBreak:
    seq: int | None
    reason: str


def _events() -> Iterator[AuditEvent]:
    return AuditEvent.objects.order_by("seq").iterator(chunk_size=2000)


def verify_chain() -> tuple[int, ChainBreak | None]:
    """Walk the whole trail; return how many events were checked and the first break, if any."""
    expected_seq, prev_hash, checked, key_id = 1, GENESIS_HASH, 0, 1
    keys = audit_keys()
    for event in _events():
        if event.seq != expected_seq:
            return checked, ChainBreak(
                expected_seq,
                f"缺少第 {expected_seq} 条记录（其后为第 {event.seq} 条）：记录被删除或顺序被改动",
            )
        if event.prev_hash != prev_hash:
            return checked, ChainBreak(event.seq, "与上一条记录的链接不符：记录被删除、插入或重排")
        if (event.key_id or 1) < key_id:
            return checked, ChainBreak(
                event.seq, f"签名密钥编号倒退（{event.key_id or 1} < {key_id}）：记录被伪造"
            )
        key_id = event.key_id or 1
        if key_id not in keys:
            return checked, ChainBreak(
                event.seq, f"XF_AUDIT_KEY 中缺少第 {key_id} 号密钥，无法校验此后的记录"
            )
        if not constant_time_equals(compute_hash(event), event.hash):
            return checked, ChainBreak(event.seq, "内容与其哈希不符：记录被修改")
        prev_hash, expected_seq, checked = event.hash, expected_seq + 1, checked + 1
    head = AuditHead.objects.filter(pk=1).first()
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS_HASH)
    if head_seq != checked or head_hash != prev_hash:
        return checked, ChainBreak(
            checked + 1, f"审计链末尾被截断：应有 {head_seq} 条记录，实有 {checked} 条"
        )
    return checked, None
