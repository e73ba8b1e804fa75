"""Time-based one-time passwords (RFC 6238 over RFC 4226) and the enrolment artefacts.

HMAC-SHA1, 6 digits, 30-second steps: what every authenticator app understands. Pure functions;
the device row, replay protection and auditing live in ``auth_services``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
from urllib.parse import quote, urlencode

import segno

PERIOD = 30
DIGITS = 6
SECRET_BYTES = 20  # 160 bits, the HMAC-SHA1 block RFC 4226 recommends
#: Codes one step either side of now are accepted: phone clocks drift and people type slowly.
DRIFT_STEPS = 1
RECOVERY_CODE_COUNT = 10
#: Crockford's base32 alphabet: no I, L, O or U to misread. 10 characters carry 50 bits.
_RECOVERY_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
_RECOVERY_LENGTH = 10


def new_secret() -> str:
    """A fresh shared secret, base32 without padding (32 characters)."""
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii").rstrip("=")


def _key(secret: str) -> bytes:
    compact = secret.replace(" ", "").upper()
    return base64.b32decode(compact + "=" * (-len(compact) % 8))


def hotp(key: bytes, counter: int, *, digits: int = DIGITS) -> str:
    """RFC 4226 §5.3: HMAC-SHA1 of the counter, dynamically truncated to ``digits`` digits."""
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


def time_step(timestamp: float) -> int:
    return int(timestamp // PERIOD)


def code_at(secret: str, timestamp: float) -> str:
    """The code an authenticator shows at ``timestamp`` (Unix seconds)."""
    return hotp(_key(secret), time_step(timestamp))


def matching_step(secret: str, code: str, *, timestamp: float, after: int | None) -> int | None:
    """The time step whose code is ``code``, within the drift window and later than ``after``
    (the last step already used: a code is good once), or ``None``."""
    code = code.strip()
    if len(code) != DIGITS or not code.isascii() or not code.isdigit():
        return None
    key = _key(secret)
    now = time_step(timestamp)
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if after is not None and step <= after:
            continue
        if hmac.compare_digest(hotp(key, step), code):
            return step
    return None


def grouped(secret: str) -> str:
    """``JBSW Y3DP EHPK 3PXP …``: easier to read aloud and to type into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def provisioning_uri(secret: str, *, account: str, issuer: str) -> str:
    """The ``otpauth://`` URI an authenticator app scans (Google's Key URI format)."""
    label = quote(f"{issuer}:{account}", safe="")
    query = urlencode(
        {
            "secret": secret,
            "issuer": issuer,
            "algorithm": "SHA1",
            "digits": DIGITS,
            "period": PERIOD,
        },
        quote_via=quote,
    )
    return f"otpauth://totp/{label}?{query}"


def qr_svg(uri: str, *, title: str) -> str:
    """The URI as an inline SVG QR code: drawn here, no external service, no inline style."""
    code = segno.make(uri, error="m")
    return code.svg_inline(scale=4, dark="#000", light="#fff", title=title)


def new_recovery_codes() -> list[str]:
    """Ten one-time recovery codes such as ``4fk2m-9xq7d``."""
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def normalise_recovery_code(text: str) -> str | None:
    """What a person typed, as stored: lower case, no spaces or hyphens, Crockford's
    look-alikes folded (O→0, I/L→1). ``None`` if it cannot be a recovery code."""
    folded = text.strip().lower().translate(str.maketrans("oil", "011", " -"))
    if len(folded) != _RECOVERY_LENGTH or any(c not in _RECOVERY_ALPHABET for c in folded):
        return None
    return folded
