"""Field encryption (SM4-GCM) and keyed hashes (HMAC-SM3) for personal data and the audit chain.

Ciphertext layout: ``b"\\x01" | key id (2 bytes, big-endian) | nonce (12) | ciphertext | tag (16)``.
The key id lets a rotation re-encrypt row by row and be resumed: old rows still name the key
that opens them. The AAD binds a value to its table, column and row, so a ciphertext copied into
another row or column fails to open.
"""

from __future__ import annotations

import hmac as std_hmac
import os
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

FORMAT_VERSION = 1
NONCE_BYTES = 12
TAG_BYTES = 16
_HEADER = 3


class DecryptionError(Exception):
    """The ciphertext is damaged, was moved to another row, or its key is unknown."""


@dataclass(frozen=True)
class Keyring:
    keys: dict[int, bytes]
    current_id: int

    @classmethod
    def parse(cls, spec: str) -> Keyring:
        """``"1:<32 hex>,2:<32 hex>"``; the highest id encrypts, every listed id decrypts."""
        keys: dict[int, bytes] = {}
        for item in spec.split(","):
            key_id_text, sep, hex_key = item.strip().partition(":")
            try:
                key_id = int(key_id_text)
                key = bytes.fromhex(hex_key)
            except ValueError:
                raise ImproperlyConfigured("XF_PI_KEYS must look like 1:<32 hex digits>") from None
            if not sep or len(key) != 16 or not 0 < key_id < 65536:
                raise ImproperlyConfigured("each XF_PI_KEYS entry is id:<16-byte SM4 key in hex>")
            if key_id in keys:
                raise ImproperlyConfigured(f"XF_PI_KEYS lists key id {key_id} twice")
            keys[key_id] = key
        if not keys:
            raise ImproperlyConfigured("XF_PI_KEYS lists no key")
        return cls(keys=keys, current_id=max(keys))


@lru_cache(maxsize=4)
def _keyring(spec: str) -> Keyring:
    return Keyring.parse(spec)


def keyring() -> Keyring:
    return _keyring(settings.XF_PI_KEYS)


def _hex_setting(value: str, name: str) -> bytes:
    try:
        key = bytes.fromhex(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be hexadecimal") from None
    if len(key) < 16:
        raise ImproperlyConfigured(f"{name} must be at least 16 bytes")
    return key


def sm4_gcm_encrypt(key: bytes, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
    encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(aad)
    return encryptor.update(plaintext) + encryptor.finalize() + encryptor.tag


def sm4_gcm_decrypt(key: bytes, nonce: bytes, sealed: bytes, aad: bytes) -> bytes:
    if len(sealed) < TAG_BYTES:
        raise DecryptionError("ciphertext too short")
    body, tag = sealed[:-TAG_BYTES], sealed[-TAG_BYTES:]
    decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
    decryptor.authenticate_additional_data(aad)
    try:
        return decryptor.update(body) + decryptor.finalize()
    except InvalidTag:
        raise DecryptionError("authentication failed") from None


def seal(plaintext: str, *, aad: str, ring: Keyring | None = None) -> bytes:
    """Encrypt ``plaintext`` under the current key, bound to ``aad`` (table.column.row)."""
    ring = ring or keyring()
    nonce = os.urandom(NONCE_BYTES)
    header = bytes([FORMAT_VERSION]) + ring.current_id.to_bytes(2, "big")
    key = ring.keys[ring.current_id]
    return header + nonce + sm4_gcm_encrypt(key, nonce, plaintext.encode(), aad.encode())


def key_id_of(blob: bytes) -> int:
    if len(blob) < _HEADER or blob[0] != FORMAT_VERSION:
        raise DecryptionError("unknown ciphertext format")
    return int.from_bytes(blob[1:_HEADER], "big")


def unseal(blob: bytes, *, aad: str, ring: Keyring | None = None) -> str:
    """Decrypt what :func:`seal` produced; raises :class:`DecryptionError` on any mismatch."""
    ring = ring or keyring()
    key = ring.keys.get(key_id_of(blob))
    if key is None:
        raise DecryptionError("key id not in XF_PI_KEYS")
    nonce = blob[_HEADER : _HEADER + NONCE_BYTES]
    plaintext = sm4_gcm_decrypt(key, nonce, blob[_HEADER + NONCE_BYTES :], aad.encode())
    return plaintext.decode()


def hmac_sm3(key: bytes, data: bytes) -> bytes:
    mac = crypto_hmac.HMAC(key, hashes.SM3())
    mac.update(data)
    return mac.finalize()


def blind_index(value: str, *, purpose: str) -> str:
    """A keyed hash for exact lookup of an encrypted value. ``purpose`` separates domains so
    that an ID number and a phone number never share an index value."""
    key = _hex_setting(settings.XF_BLIND_INDEX_KEY, "XF_BLIND_INDEX_KEY")
    return hmac_sm3(key, f"{purpose}\x00{value}".encode()).hex()


@lru_cache(maxsize=4)
def _audit_keys(spec: str) -> dict[int, bytes]:
    """``XF_AUDIT_KEY``: one hex key (id 1), or ``"1:<hex>,2:<hex>"`` after a rotation."""
    if ":" not in spec:
        return {1: _hex_setting(spec, "XF_AUDIT_KEY")}
    keys: dict[int, bytes] = {}
    for item in spec.split(","):
        key_id_text, _sep, hex_key = item.strip().partition(":")
        try:
            key_id = int(key_id_text)
        except ValueError:
            raise ImproperlyConfigured("XF_AUDIT_KEY must look like 1:<hex>,2:<hex>") from None
        if not 0 < key_id < 32768 or key_id in keys:
            raise ImproperlyConfigured(f"XF_AUDIT_KEY: bad or repeated key id {key_id_text}")
        keys[key_id] = _hex_setting(hex_key, "XF_AUDIT_KEY")
    return keys


def audit_keys() -> dict[int, bytes]:
    """Every audit key by id: the highest signs new events, the others only verify."""
    return _audit_keys(settings.XF_AUDIT_KEY)


def audit_key_id() -> int:
    return max(audit_keys())


def audit_key(key_id: int | None = None) -> bytes:
    """The key that signs new events, or the key with ``key_id`` (KeyError when retired)."""
    keys = audit_keys()
    return keys[max(keys) if key_id is None else key_id]


def constant_time_equals(left: str, right: str) -> bool:
    return std_hmac.compare_digest(left.encode(), right.encode())
