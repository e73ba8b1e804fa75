"""Uploads: an extension allowlist confirmed by magic bytes; hostile containers refused
(SECURITY.md 21)."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from docx import Document

from xinfang.core.uploads import (
    ALLOWED_EXTENSIONS,
    MAX_UNZIPPED_BYTES,
    safe_display_name,
    sniff_upload,
)

MAX_BYTES = 20 * 1024 * 1024
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(17)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01" + bytes(32) + b"\xff\xd9"
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + bytes(56) + b"PE\x00\x00"


def real_docx() -> bytes:
    document = Document()
    document.add_heading("信访事项受理告知书", level=1)
    document.add_paragraph("张三：你反映的物业收费问题，本机关已依法受理。")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def sniff(name: str, data: bytes, *, max_bytes: int = MAX_BYTES) -> str:
    return sniff_upload(name, io.BytesIO(data), len(data), max_bytes=max_bytes).content_type


def refusal(
    name: str, data: bytes, *, size: int | None = None, max_bytes: int = MAX_BYTES
) -> list[str]:
    stream = io.BytesIO(data)
    with pytest.raises(ValidationError) as caught:
        sniff_upload(name, stream, len(data) if size is None else size, max_bytes=max_bytes)
    return caught.value.messages


# --- Accepted --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("材料.pdf", PDF, "application/pdf"),
        ("现场照片.PNG", PNG, "image/png"),
        ("现场照片.jpg", JPEG, "image/jpeg"),
        ("现场照片.jpeg", JPEG, "image/jpeg"),
    ],
)
def test_a_file_whose_bytes_match_its_extension_is_accepted(
    name: str, data: bytes, content_type: str
) -> None:
    assert sniff(name, data) == content_type


def test_a_real_word_document_is_accepted() -> None:
    assert sniff("受理告知书.docx", real_docx()) == DOCX_TYPE


def test_the_stream_is_rewound_after_sniffing() -> None:
    stream = io.BytesIO(PDF)

    sniff_upload("材料.pdf", stream, len(PDF), max_bytes=MAX_BYTES)

    assert stream.read() == PDF


# --- Refused ---------------------------------------------------------------------------------

UNSUPPORTED = "不支持的文件类型。允许：" + "、".join(ext.lstrip(".") for ext in ALLOWED_EXTENSIONS)
MISMATCH = ["文件内容与扩展名不符，已拒绝。"]


def test_the_allowlist_is_exactly_the_documented_office_image_and_pdf_types() -> None:
    assert ALLOWED_EXTENSIONS == (
        ".pdf",
        ".jpg",
        ".jpeg",
        ".png",
        ".docx",
        ".xlsx",
        ".doc",
        ".xls",
        ".ofd",
    )


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("页面.html", HTML),
        ("页面.htm", HTML),
        ("图标.svg", SVG),
        ("setup.exe", EXE),
        ("材料.pdf.exe", EXE),
        ("脚本.js", b"alert(1)"),
        ("没有扩展名", PDF),
    ],
)
def test_an_extension_outside_the_allowlist_is_refused(name: str, data: bytes) -> None:
    assert refusal(name, data) == [UNSUPPORTED]


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("材料.pdf", HTML),
        ("材料.pdf", SVG),
        ("照片.png", JPEG),
        ("照片.jpg", EXE),
        ("告知书.docx", PDF),
        ("告知书.doc", HTML),
    ],
)
def test_content_that_does_not_match_its_extension_is_refused(name: str, data: bytes) -> None:
    assert refusal(name, data) == MISMATCH


def test_an_empty_file_is_refused() -> None:
    assert refusal("材料.pdf", b"") == ["文件为空。"]


def test_a_file_over_the_limit_is_refused_before_it_is_read() -> None:
    assert refusal("材料.pdf", PDF, size=MAX_BYTES + 1) == ["文件过大：上限为 20 MB。"]


def test_a_file_at_the_limit_is_accepted() -> None:
    data = PDF.ljust(4096, b"\n")

    assert sniff("材料.pdf", data, max_bytes=len(data)) == "application/pdf"


def test_a_zip_bomb_renamed_docx_is_refused() -> None:
    bomb = zip_of(
        {"[Content_Types].xml": b"<Types/>", "word/document.xml": bytes(20 * 1024 * 1024)}
    )

    assert len(bomb) < 100 * 1024  # twenty megabytes of zeros squeeze into a few kilobytes
    assert refusal("告知书.docx", bomb) == ["文件解压后体积异常，疑似压缩炸弹，已拒绝。"]


def test_a_zip_declaring_more_than_the_absolute_limit_is_refused_even_at_a_low_ratio() -> None:
    declared = zip_of({"word/document.xml": b"<w:document/>"})
    # Claim a huge uncompressed size in the central directory without writing it.
    patched = bytearray(declared)
    central = patched.rindex(b"PK\x01\x02")
    patched[central + 24 : central + 28] = (MAX_UNZIPPED_BYTES + 1).to_bytes(4, "little")

    messages = refusal("告知书.docx", bytes(patched), size=MAX_BYTES)

    assert messages == ["文件解压后体积异常，疑似压缩炸弹，已拒绝。"]


def test_a_zip_with_too_many_members_is_refused() -> None:
    crowded = zip_of({f"word/media/{n}.xml": b"" for n in range(5001)})

    assert refusal("告知书.docx", crowded) == ["文件内部条目过多，疑似压缩炸弹，已拒绝。"]


@pytest.mark.parametrize(
    "member",
    ["../../../etc/cron.d/evil", "word/../../evil.xml", "/etc/passwd"],
)
def test_an_office_file_with_a_path_escaping_member_is_refused(member: str) -> None:
    archive = zip_of({"[Content_Types].xml": b"<Types/>", member: b"#!/bin/sh\n"})

    assert refusal("告知书.docx", archive) == ["文件内部含有非法路径，已拒绝。"]


def test_a_plain_zip_archive_renamed_docx_is_refused() -> None:
    archive = zip_of({"setup.exe": EXE, "readme.txt": "请运行 setup.exe".encode()})

    assert refusal("告知书.docx", archive) == ["文件已损坏或不是有效的 Office/OFD 文件。"]


def test_a_truncated_office_file_is_refused_as_damaged() -> None:
    damaged = real_docx()[:200]

    assert refusal("告知书.docx", damaged) == ["文件已损坏或不是有效的 Office/OFD 文件。"]


# --- Display names ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system32\\cmd.exe", "cmd.exe"),
        ("/var/www/index.html", "index.html"),
        ("材料\x00.pdf", "材料.pdf"),
        ("line\r\nbreak.pdf", "linebreak.pdf"),
        ('a<b>c:d"e|f?g*.pdf', "abcdefg.pdf"),
        ("..", "附件"),
        ("", "附件"),
        (" . 信访材料.pdf . ", "信访材料.pdf"),
        ("长" * 300 + ".pdf", "长" * 196 + ".pdf"),
    ],
)
def test_safe_display_name_keeps_only_a_harmless_last_component(name: str, shown: str) -> None:
    assert safe_display_name(name) == shown
