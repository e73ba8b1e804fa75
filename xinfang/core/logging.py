"""Log hygiene: nothing that could forge a log line or leak an identity number reaches a log."""

import logging
import re

_ID_NUMBER = re.compile(r"\b(\d{6})\d{8}(\d{3}[\dXx])\b")
_PHONE = re.compile(r"\b(1[3-9]\d)\d{4}(\d{4})\b")


def scrub(text: str) -> str:
    """Neutralise CR/LF (log forging) and mask ID and mobile numbers."""
    text = text.replace("\r", "\\r").replace("\n", "\\n")
    text = _ID_NUMBER.sub(r"\1********\2", text)
    return _PHONE.sub(r"\1****\2", text)


class SafeLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrub(record.getMessage())
        record.args = None
        return True
