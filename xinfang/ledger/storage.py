"""The uploaded file while it is needed: sealed with the personal-data key (ledgers carry ID
numbers and phones) under the data folder, never in the web root. Deleted when the import ends
without rejected rows or is discarded; otherwise kept ``XF_LEDGER_KEEP_DAYS`` for the
rejected-rows download, then purged by a nightly task. (Short-lived by design, these files are
not in the key-rotation registry: keep a retired key that many days before removing it.)"""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings

from xinfang.core.crypto import (
    FORMAT_VERSION,
    NONCE_BYTES,
    keyring,
    sm4_gcm_decrypt,
    sm4_gcm_encrypt,
)


def _path(uid: str) -> Path:
    return Path(settings.VAR_DIR) / "ledger" / f"{uid}.sealed"


def _aad(uid: str) -> bytes:
    return f"ledger.file.{uid}".encode()


def store(uid: str, data: bytes) -> None:
    ring = keyring()
    nonce = os.urandom(NONCE_BYTES)
    header = bytes([FORMAT_VERSION]) + ring.current_id.to_bytes(2, "big")
    sealed = header + nonce + sm4_gcm_encrypt(ring.keys[ring.current_id], nonce, data, _aad(uid))
    path = _path(uid)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(sealed)


def load(uid: str) -> bytes | None:
    """The file's bytes, or None when it is gone (imported, discarded, or lost)."""
    path = _path(uid)
    if not path.exists():
        return None
    blob = path.read_bytes()
    key = keyring().keys.get(int.from_bytes(blob[1:3], "big"))
    if key is None:  # sealed under a key since retired: as good as gone
        return None
    nonce = blob[3 : 3 + NONCE_BYTES]
    return sm4_gcm_decrypt(key, nonce, blob[3 + NONCE_BYTES :], _aad(uid))


def remove(uid: str) -> None:
    _path(uid).unlink(missing_ok=True)
