"""A 系统管理员 replaces a notice template with their own .docx, or reverts to ours; a bad file is
refused in Chinese and changes nothing."""

from __future__ import annotations

import io
import os
import zipfile
from typing import Any

import docx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from tests.conftest import Units, logged_in
from tests.documents.conftest import docx_text, issue
from xinfang.accounts.models import User
from xinfang.audit.models import AuditEvent
from xinfang.cases.models import Case
from xinfang.documents.builtin import builtin_template
from xinfang.documents.enums import NoticeKind
from xinfang.documents.layout import set_fonts
from xinfang.documents.models import DocumentTemplate
from xinfang.documents.services import DOCX_CONTENT_TYPE

pytestmark = pytest.mark.django_db

PAGE = "/documents/templates/acceptance/"


def split_runs(paragraph: Any, *pieces: str, bold_first: bool = False) -> None:
    """Text in several runs, with a spell-check mark between them as Word leaves it."""
    for index, piece in enumerate(pieces):
        run = paragraph.add_run(piece)
        run.bold = bold_first and index == 1
        if index == 0:
            mark = OxmlElement("w:proofErr")
            mark.set(qn("w:type"), "spellStart")
            paragraph._p.append(mark)


def own_template(*extra: str, query_code: bool = True) -> bytes:
    """An administrator's template: placeholders split across runs, in a table and a header."""
    doc = docx.Document()
    set_fonts(doc.styles["Normal"].element.get_or_add_rPr(), "楷体_GB2312")
    doc.sections[0].header.paragraphs[0].text = "{{发文单位}}"
    split_runs(doc.add_paragraph(), "文号：", "{{文", "号}}", bold_first=True)
    split_runs(doc.add_paragraph(), "致", "{{主", "送}}", "：")
    doc.add_paragraph("{{正文}}")
    doc.add_paragraph("依据：{{依据}}")
    if query_code:
        doc.add_paragraph("查询码：{{ 查询码 }}")
    doc.add_table(rows=1, cols=2).rows[0].cells[1].text = "编号{{信访件编号}}"
    for text in extra:
        doc.add_paragraph(text)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def upload(client: Client, content: bytes, name: str = "我的模板.docx", page: str = PAGE) -> Any:
    return client.post(page, {"file": SimpleUploadedFile(name, content, DOCX_CONTENT_TYPE)})


def test_an_uploaded_template_is_used_with_split_placeholders_filled(
    admin: User, case: Case, handler: User, units: Units
) -> None:
    response = upload(logged_in(admin), own_template())
    document = issue(
        case,
        NoticeKind.ACCEPTANCE,
        actor=handler,
        unit=units.unit_a,
        body="第一段。\n第二段。",
        basis="",
    )

    assert response.status_code == 302
    assert response["Location"] == PAGE
    text = docx_text(bytes(document.content))
    assert text.split("\n")[:5] == [
        "文号：A11受〔2026〕1号",
        "致张三：",
        "第一段。",
        "第二段。",
        "查询码：ABCD2345",
    ]
    assert "编号A01-2026-000001" in text
    assert "市住房和城乡建设局" in text  # the header
    assert "依据" not in text
    assert document.template_version == "upload-1"


def test_the_first_run_of_a_split_placeholder_keeps_its_formatting_and_gets_east_asian_font(
    admin: User, case: Case, handler: User, units: Units
) -> None:
    upload(logged_in(admin), own_template())

    document = issue(case, NoticeKind.ACCEPTANCE, actor=handler, unit=units.unit_a)
    paragraph = docx.Document(io.BytesIO(bytes(document.content))).paragraphs[0]

    number_run = next(r for r in paragraph.runs if "A11" in r.text)
    assert (number_run.text, number_run.bold) == ("A11受〔2026〕1号", True)
    # Said on the run, as its paragraph style says it (python-docx and many editors do not).
    props = number_run._r.rPr
    assert props is not None
    assert props.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "楷体_GB2312"


def test_replacing_writes_a_new_active_version_and_one_audit_event(admin: User) -> None:
    client = logged_in(admin)
    upload(client, own_template())
    before = AuditEvent.objects.count()

    upload(client, own_template("第二版"), name="第二版.docx")

    rows = list(DocumentTemplate.objects.values_list("version", "is_active", "original_name"))
    assert rows == [(2, True, "第二版.docx"), (1, False, "我的模板.docx")]
    events = list(AuditEvent.objects.order_by("seq")[before:])
    assert [(e.event, e.object_id, e.detail["version"]) for e in events] == [
        ("document.template_replace", "acceptance#2", 2)
    ]


def big_docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(own_template())) as source, zipfile.ZipFile(out, "w") as zf:
        for item in source.infolist():
            zf.writestr(item, source.read(item.filename))
        zf.writestr("word/media/noise.bin", os.urandom(2 * 1024 * 1024 + 1))
    return out.getvalue()


def plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "不是 Word 文档")
    return out.getvalue()


def macro_docx() -> bytes:
    """A package whose main part is not a Word document (a macro-enabled one here)."""
    source = own_template()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "[Content_Types].xml":
                data = data.replace(
                    b"wordprocessingml.document.main+xml", b"ms-word.document.macroEnabled.main+xml"
                )
            zout.writestr(item, data)
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("模板.docx", b"just text, not a zip", "文件内容与扩展名不符，已拒绝。"),
        (
            "模板.docx",
            "<html><body>{{文号}}</body></html>".encode(),
            "文件内容与扩展名不符，已拒绝。",
        ),
        ("模板.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"0" * 100, "请上传 .docx 格式"),
        ("模板.docx", plain_zip(), "文件已损坏或不是有效的 Office/OFD 文件。"),
        ("模板.docx", macro_docx(), "无法作为 Word 文档打开该文件"),
        ("模板.docx", big_docx(), "文件过大：上限为 2 MB。"),
        ("模板.docx", own_template("{{申请人}}"), "模板中有无法识别的占位符：{{申请人}}。"),
        ("模板.docx", own_template("{{文 号}}"), "模板中有不完整的占位符"),
        ("模板.docx", own_template("｛｛文号｝｝"), "使用半角花括号"),
    ],
    ids=["text", "html", "doc", "zip", "macro", "too-big", "unknown", "space", "full-width"],
)
def test_a_bad_file_is_refused_in_chinese_and_nothing_changes(
    admin: User, name: str, content: bytes, message: str
) -> None:
    client = logged_in(admin)
    events = AuditEvent.objects.count()

    response = upload(client, content, name=name)

    assert response.status_code == 422
    assert message in response.content.decode()
    assert (DocumentTemplate.objects.count(), AuditEvent.objects.count()) == (0, events)


def test_a_template_without_the_number_is_refused(admin: User) -> None:
    doc = docx.Document()
    doc.add_paragraph("{{主送}}：")
    out = io.BytesIO()
    doc.save(out)

    response = upload(logged_in(admin), out.getvalue())

    assert response.status_code == 422
    assert "模板中必须有 {{文号}}。" in response.content.decode()


def test_the_query_code_is_refused_outside_the_acceptance_notice(admin: User) -> None:
    response = upload(logged_in(admin), own_template(), page="/documents/templates/transfer/")

    assert response.status_code == 422
    assert "查询码只能出现在受理告知书中" in response.content.decode()
    assert DocumentTemplate.objects.count() == 0


def test_reverting_returns_to_the_built_in_template(
    admin: User, case: Case, handler: User, units: Units
) -> None:
    client = logged_in(admin)
    upload(client, own_template())
    before = AuditEvent.objects.count()

    response = client.post(f"{PAGE}revert/")
    document = issue(case, NoticeKind.ACCEPTANCE, actor=handler, unit=units.unit_a)

    assert response.status_code == 302
    assert list(DocumentTemplate.objects.values_list("is_active", flat=True)) == [False]
    assert document.template_version == "builtin-1"
    assert "信访事项受理告知书" in docx_text(bytes(document.content))
    events = list(AuditEvent.objects.order_by("seq")[before:])
    assert [(e.event, e.object_id, e.detail) for e in events[:1]] == [
        ("document.template_revert", "acceptance", {"kind": "acceptance", "from_version": 1})
    ]


def test_reverting_when_already_built_in_says_so_and_writes_nothing(admin: User) -> None:
    client = logged_in(admin)
    events = AuditEvent.objects.count()

    response = client.post(f"{PAGE}revert/", follow=True)

    assert "该文书当前使用的已是内置模板。" in response.content.decode()
    assert AuditEvent.objects.count() == events


def test_the_built_in_template_downloads_and_uploads_back_unchanged(
    admin: User, case: Case, handler: User, units: Units
) -> None:
    client = logged_in(admin)

    downloaded = client.get(f"{PAGE}download/")
    response = upload(client, downloaded.getvalue(), name="受理告知书_模板_内置.docx")
    document = issue(case, NoticeKind.ACCEPTANCE, actor=handler, unit=units.unit_a)

    assert downloaded["Content-Type"] == DOCX_CONTENT_TYPE
    assert downloaded["Content-Disposition"].startswith("attachment; filename*=utf-8''")
    assert downloaded.getvalue() == builtin_template(NoticeKind.ACCEPTANCE)
    assert response.status_code == 302
    assert document.template_version == "upload-1"
    assert "本机关决定予以受理" in docx_text(bytes(document.content))


def test_download_gives_the_template_in_use_and_builtin_gives_ours(admin: User) -> None:
    client = logged_in(admin)
    mine = own_template()
    upload(client, mine)

    assert client.get(f"{PAGE}download/").getvalue() == mine
    assert client.get(f"{PAGE}builtin/").getvalue() == builtin_template(NoticeKind.ACCEPTANCE)


def test_the_list_shows_every_kind_and_which_template_it_uses(admin: User) -> None:
    client = logged_in(admin)
    upload(client, own_template())

    response = client.get("/documents/templates/")

    assert response.status_code == 200
    rows = response.context["rows"]
    assert [row.kind for row in rows] == list(NoticeKind)
    assert [row.active is not None for row in rows] == [True] + [False] * (len(NoticeKind) - 1)
    assert "上传的第 1 版" in response.content.decode()


def test_the_template_page_lists_its_placeholders_and_history(admin: User) -> None:
    client = logged_in(admin)
    upload(client, own_template())

    page = client.get(PAGE).content.decode()
    transfer = client.get("/documents/templates/transfer/").content.decode()

    assert "{{查询码}}" in page
    assert "{{查询码}}" not in transfer
    assert "我的模板.docx" in page
    assert "恢复内置模板" in page


def test_the_list_costs_the_same_queries_with_one_or_three_uploads(admin: User) -> None:
    client = logged_in(admin)
    upload(client, own_template())

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/documents/templates/").status_code == 200
        return len(queries)

    one = count()
    upload(client, own_template(), page="/documents/templates/acceptance/")
    for kind in ("extension", "opinion"):
        doc = own_template(query_code=False)  # 查询码 is for the acceptance notice only
        assert upload(client, doc, page=f"/documents/templates/{kind}/").status_code == 302

    assert count() == one


ROUTES = [
    ("get", "/documents/templates/"),
    ("get", PAGE),
    ("get", f"{PAGE}download/"),
    ("get", f"{PAGE}builtin/"),
    ("post", f"{PAGE}revert/"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize("who", ["handler", "auditor", "supervisor"])
def test_only_the_system_administrator_reaches_the_template_pages(
    request: pytest.FixtureRequest, who: str, method: str, path: str
) -> None:
    user = request.getfixturevalue(who)

    assert getattr(logged_in(user), method)(path).status_code == 403


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_anonymous_visitors_are_sent_to_sign_in_from_the_template_pages(
    db: None, method: str, path: str
) -> None:
    response = getattr(Client(), method)(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_template_pages_answer_the_administrator(admin: User) -> None:
    client = logged_in(admin)

    assert [client.get(path).status_code for _, path in ROUTES[:4]] == [200, 200, 200, 200]


def test_an_unknown_kind_is_404(admin: User) -> None:
    assert logged_in(admin).get("/documents/templates/nonsense/").status_code == 404


def test_wrong_methods_get_405(admin: User) -> None:
    client = logged_in(admin)

    assert client.post("/documents/templates/").status_code == 405
    assert client.get(f"{PAGE}revert/").status_code == 405
    assert client.post(f"{PAGE}download/").status_code == 405


def test_a_template_linking_an_outside_picture_is_refused(admin: User) -> None:
    doc = docx.Document(io.BytesIO(own_template()))
    doc.part.relate_to(
        "http://intranet.example/beacon.png",
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships/image",
        is_external=True,
    )
    out = io.BytesIO()
    doc.save(out)

    response = upload(logged_in(admin), out.getvalue())

    assert response.status_code == 422
    assert "模板引用了外部文件（http://intranet.example/beacon.png）" in response.content.decode()
    assert DocumentTemplate.objects.count() == 0
