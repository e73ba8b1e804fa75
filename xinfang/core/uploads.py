"""Which uploaded files are accepted: an extension allowlist confirmed by the file's own bytes.

The client's content type is never trusted. Office files are zip containers, so they are also
opened far enough to refuse a zip bomb or a container that is not what its name says.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from typing import IO

from django.core.exceptions import ValidationError

MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
MAX_ZIP_RATIO = 100
MAX_ZIP_MEMBERS = 5000


@dataclass(frozen=True)
class FileKind:
    extensions: tuple[str, ...]
    content_type: str
    magic: tuple[bytes, ...]
    # For zip containers: the members that make the file what its name says.
    required_members: tuple[str, ...] = ()


KINDS = (
    FileKind((".pdf",), "application/pdf", (b"%PDF-",)),
    FileKind((".jpg", ".jpeg"), "image/jpeg", (b"\xff\xd8\xff",)),
    FileKind((".png",), "image/png", (b"\x89PNG\r\n\x1a\n",)),
    FileKind(
        (".docx",),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (b"PK\x03\x04",),
        ("[Content_Types].xml", "word/document.xml"),
    ),
    FileKind(
        (".xlsx",),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        (b"PK\x03\x04",),
        ("[Content_Types].xml", "xl/workbook.xml"),
    ),
    FileKind((".doc",), "application/msword", (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)),
    FileKind((".xls",), "application/vnd.ms-excel", (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)),
    FileKind((".ofd",), "application/ofd", (b"PK\x03\x04",), ("OFD.xml",)),
)
ALLOWED_EXTENSIONS = tuple(ext for kind in KINDS for ext in kind.extensions)


def safe_display_name(name: str) -> str:
    """The last path component, without control characters, at most 200 characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"|?*')
    return cleaned.strip(" .")[-200:] or "附件"


def _check_zip(stream: IO[bytes], size: int, kind: FileKind) -> None:
    stream.seek(0)
    try:
        with zipfile.ZipFile(stream) as archive:
            members = archive.infolist()
            if len(members) > MAX_ZIP_MEMBERS:
                raise ValidationError("文件内部条目过多，疑似压缩炸弹，已拒绝。")
            unzipped = sum(member.file_size for member in members)
            if unzipped > MAX_UNZIPPED_BYTES or unzipped > max(size, 1) * MAX_ZIP_RATIO:
                raise ValidationError("文件解压后体积异常，疑似压缩炸弹，已拒绝。")
            for member in members:
                if member.filename.startswith("/") or ".." in member.filename.split("/"):
                    raise ValidationError("文件内部含有非法路径，已拒绝。")
            names = {member.filename for member in members}
            if not set(kind.required_members) <= names:
                raise ValidationError("文件已损坏或不是有效的 Office/OFD 文件。")
    except zipfile.BadZipFile:
        raise ValidationError("文件已损坏或不是有效的 Office/OFD 文件。") from None


def sniff_upload(name: str, stream: IO[bytes], size: int, *, max_bytes: int) -> FileKind:
    """Return the accepted kind of an upload, or raise ValidationError with the reason."""
    if size <= 0:
        raise ValidationError("文件为空。")
    if size > max_bytes:
        raise ValidationError(f"文件过大：上限为 {max_bytes // (1024 * 1024)} MB。")
    lowered = safe_display_name(name).lower()
    kind = next((k for k in KINDS if lowered.endswith(k.extensions)), None)
    if kind is None:
        raise ValidationError(
            "不支持的文件类型。允许：" + "、".join(ext.lstrip(".") for ext in ALLOWED_EXTENSIONS)
        )
    stream.seek(0)
    head = stream.read(16)
    if not head.startswith(kind.magic):
        raise ValidationError("文件内容与扩展名不符，已拒绝。")
    if kind.magic == (b"PK\x03\x04",):
        _check_zip(stream, size, kind)
    stream.seek(0)
    return kind
