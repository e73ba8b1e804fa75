"""Writes on documents (文书): issue a numbered notice, replace or revert a template, record a
download. Each is one typed, audited operation."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Any

import docx
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from xinfang.accounts import rules
from xinfang.accounts.models import Unit, User
from xinfang.audit.services import record
from xinfang.cases.models import Case
from xinfang.cases.services import next_number, query_code_of
from xinfang.core.uploads import safe_display_name, sniff_upload
from xinfang.documents import layout, placeholders
from xinfang.documents.builtin import BUILTIN_VERSION, builtin_template
from xinfang.documents.enums import LETTER_KINDS, NUMBER_PREFIX, NoticeKind, Outcome
from xinfang.documents.models import Document, DocumentTemplate

DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TEMPLATE_MAX_BYTES = 2 * 1024 * 1024
ORDINALS = "一二三四五六七八九"


@dataclass(frozen=True)
class RequestOutcome:
    request: str  # the petitioner's request, one item
    outcome: Outcome
    reasoning: str  # facts and basis for this item


@dataclass(frozen=True)
class NoticeFacts:
    """What the official decided, for one notice. Which fields a kind needs: ``REQUIRED``."""

    issued_on: dt.date
    addressee: str = ""  # 主送; defaults: the petitioners, or the receiving unit for letters
    body: str = ""  # reasons, requirement, grounds, result or overall reply, as written
    basis: str = ""  # 依据: articles, laws
    outcomes: Sequence[RequestOutcome] = ()  # opinions: one per request
    due_on: dt.date | None = None  # 交办 deadline; EXTENSION: new due date; ACCEPTANCE: due
    extension_days: int | None = None
    review_unit_name: str = ""  # OPINION: organ for 复查; REVIEW_OPINION: for 复核
    review_window_days: int | None = None
    receiving_unit_name: str = ""  # TRANSFER/ASSIGNMENT: organ it goes to; OBJECTION: back to
    case_lines: Sequence[str] = ()  # BATCH_ASSIGNMENT: one ``case_line()`` per case handed over


# --- what a notice says -----------------------------------------------------------------------

#: Every placeholder a template may use, with what it becomes (shown to administrators).
PLACEHOLDERS: dict[str, str] = {
    "文号": "本文书的文号，如 A11受〔2026〕3号",
    "成文日期": "成文日期，如 2026年11月26日",
    "发文单位": "发文单位名称",
    "主送": "主送：告知书为信访人姓名，函件为接收单位名称",
    "信访件编号": "信访件编号",
    "事项标题": "信访事项标题",
    "信访请求": "信访人的请求（登记内容）",
    "事实和理由": "信访人陈述的事实和理由（登记内容，可能为空）",
    "收到日期": "收到信访事项的日期",
    "信访人": "信访人姓名，多人以顿号分隔（不含身份证号、电话、住址）",
    "人称": "“你”或“你们”（按信访人人数）",
    "正文": (
        "承办人填写的正文：不予受理/不再受理的理由、交办要求、异议理由、延期原因、"
        "办结情况或处理意见总述"
    ),
    "依据": "依据的法律法规条款",
    "处理意见": "逐项处理意见，每项请求一段，写明予以支持/作出解释说明/不予支持",
    "期限": "期限日期：交办办结期限、延长后的期限或受理后的答复期限",
    "延长天数": "延长的天数",
    "接收单位": "转送、交办的接收单位或异议退回的单位",
    "复查复核机关": "复查（复核）机关名称",
    "申请期限天数": "申请复查（复核）的期限天数，如 30",
    "复查复核告知": "复查或复核权利告知的整句（处理意见书、复查意见书）",
    "查询码": "查询码（仅受理告知书）",
    "事项件数": "集中交办的事项件数（集中交办单）",
    "事项清单": "集中交办事项清单，每件一行：编号、信访人、标题、问题属地、收到日期（集中交办单）",
}
ACCEPTANCE_ONLY = frozenset({"查询码"})

#: Facts each kind cannot do without, as (field, what to tell the caller). Letters also need
#: a unit to go to: ``addressee`` or ``receiving_unit_name``.
REQUIRED: dict[NoticeKind, tuple[tuple[str, str], ...]] = {
    NoticeKind.NON_ACCEPTANCE: (("body", "不予受理的理由"),),
    NoticeKind.NO_REACCEPTANCE: (("body", "不再受理的理由"),),
    NoticeKind.ASSIGNMENT: (("body", "交办要求"), ("due_on", "办结期限")),
    NoticeKind.OBJECTION: (("body", "异议理由"),),
    NoticeKind.EXTENSION: (
        ("body", "延期原因"),
        ("extension_days", "延长天数"),
        ("due_on", "延长后的期限"),
    ),
    # The 复查 organ and window only where a 复查 lies (申诉求决类 on route 6); the workflow
    # supplies them there. A 建议意见类 reply names none.
    NoticeKind.OPINION: (("outcomes", "逐项处理意见"),),
    NoticeKind.REVIEW_OPINION: (
        ("outcomes", "逐项复查意见"),
        ("review_unit_name", "复核机关"),
        ("review_window_days", "申请复核期限"),
    ),
    NoticeKind.RECHECK_OPINION: (("outcomes", "逐项复核意见"),),
    NoticeKind.COMPLETION_REPORT: (("body", "办理结果"),),
    NoticeKind.BATCH_ASSIGNMENT: (("body", "交办要求"), ("due_on", "办结期限")),
}


def chinese_date(day: dt.date | None) -> str:
    """成文日期 in Arabic numerals (GB/T 9704-2012): 2026年11月26日."""
    return "" if day is None else f"{day.year}年{day.month}月{day.day}日"


def _ordinal(index: int) -> str:
    """（一）…（九十九）."""
    tens, ones = divmod(index, 10)
    text = ("" if tens < 2 else ORDINALS[tens - 1]) + ("十" if tens else "")
    return f"（{text}{ORDINALS[ones - 1] if ones else ''}）"


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text.endswith(placeholders.SENTENCE_END) else text + "。"


def _outcome_lines(outcomes: Sequence[RequestOutcome]) -> str:
    return "\n".join(
        f"{_ordinal(index)}关于“{item.request.strip().rstrip('。；;.')}”。"
        f"{_sentence(placeholders.inline(item.reasoning))}"
        f"处理意见：{Outcome(item.outcome).label}。"
        for index, item in enumerate(outcomes, start=1)
    )


def _review_sentence(kind: NoticeKind, facts: NoticeFacts, person: str) -> str:
    verb = {NoticeKind.OPINION: "复查", NoticeKind.REVIEW_OPINION: "复核"}.get(kind)
    if verb is None or not facts.review_unit_name:
        return ""
    what = "处理意见" if kind == NoticeKind.OPINION else "复查意见"
    window = (
        f"自收到本意见书之日起{facts.review_window_days}日内"
        if facts.review_window_days
        else "在规定期限内"
    )
    return f"{person}如对本{what}不服，可以{window}向{facts.review_unit_name}请求{verb}。"


def check_facts(kind: NoticeKind, facts: NoticeFacts) -> None:
    """Refuse facts that would make an incomplete notice, naming what is missing."""
    missing = [what for field, what in REQUIRED.get(kind, ()) if not getattr(facts, field)]
    if kind in LETTER_KINDS and not (facts.addressee or facts.receiving_unit_name):
        missing.insert(0, "主送单位")
    if missing:
        raise ValidationError(f"{NoticeKind(kind).label}缺少：{'、'.join(missing)}。")


@dataclass(frozen=True)
class Subject:
    """The case's facts a notice repeats; never identity numbers, phones or addresses."""

    number: str
    title: str
    request: str
    facts_reasons: str
    received_on: dt.date
    petitioner_names: tuple[str, ...]
    query_code: str = ""


def _subject(case: Case, kind: NoticeKind) -> Subject:
    names = tuple(
        case.case_petitioners.order_by("position", "id").values_list("petitioner__name", flat=True)
    )
    return Subject(
        number=case.number,
        title=case.title,
        request=case.request,
        facts_reasons=case.facts_reasons,
        received_on=case.received_on,
        petitioner_names=names,
        query_code=query_code_of(case) if kind == NoticeKind.ACCEPTANCE else "",
    )


def case_line(
    position: int,
    *,
    number: str,
    title: str,
    petitioner_names: Sequence[str],
    received_on: dt.date,
    region_name: str = "",
) -> str:
    """One case in a 集中交办单's list: "1．A01-2026-000001　张三反映“…”（问题属地：A1区；
    收到日期：2026年11月20日）". Names only, as on the single-case 交办单."""
    people = "、".join(petitioner_names) or "信访人"
    where = f"问题属地：{region_name}；" if region_name else ""
    return (
        f"{position}．{number}　{people}反映“{placeholders.inline(title)}”"
        f"（{where}收到日期：{chinese_date(received_on)}）"
    )


def _batch_lines(kind: NoticeKind, subject: Subject, facts: NoticeFacts) -> list[str]:
    """The 集中交办单's list; a single case's notice of that kind lists the case itself."""
    if facts.case_lines or kind != NoticeKind.BATCH_ASSIGNMENT:
        return list(facts.case_lines)
    return [
        case_line(
            1,
            number=subject.number,
            title=subject.title,
            petitioner_names=subject.petitioner_names,
            received_on=subject.received_on,
        )
    ]


def notice_values(
    kind: NoticeKind, subject: Subject, facts: NoticeFacts, *, number: str, unit_name: str
) -> dict[str, str]:
    """The value of every placeholder for one notice."""
    people = "、".join(subject.petitioner_names)
    lines = _batch_lines(kind, subject, facts)
    person = "你们" if len(subject.petitioner_names) > 1 else "你"
    default_addressee = facts.receiving_unit_name if kind in LETTER_KINDS else people
    values = {
        "文号": number,
        "成文日期": chinese_date(facts.issued_on),
        "发文单位": unit_name,
        "主送": facts.addressee or default_addressee,
        "信访件编号": subject.number,
        "事项标题": subject.title,
        "信访请求": subject.request,
        "事实和理由": subject.facts_reasons,
        "收到日期": chinese_date(subject.received_on),
        "信访人": people,
        "人称": person,
        "正文": facts.body,
        "依据": facts.basis.strip().rstrip("。；;."),
        "处理意见": _outcome_lines(facts.outcomes),
        "期限": chinese_date(facts.due_on),
        "延长天数": "" if facts.extension_days is None else str(facts.extension_days),
        "接收单位": facts.receiving_unit_name,
        "复查复核机关": facts.review_unit_name,
        "申请期限天数": ("" if facts.review_window_days is None else str(facts.review_window_days)),
        "复查复核告知": _review_sentence(kind, facts, person),
        "事项件数": str(len(lines)) if lines else "",
        "事项清单": "\n".join(lines),
    }
    if kind == NoticeKind.ACCEPTANCE:
        values["查询码"] = subject.query_code
    return {name: placeholders.clean(value) for name, value in values.items()}


def sample_values(kind: NoticeKind) -> dict[str, str]:
    """Values for a trial render of an uploaded template: every placeholder filled."""
    facts = NoticeFacts(
        issued_on=dt.date(2026, 11, 26),
        body="这是承办人填写的正文示例。\n正文可以有多段。",
        basis="《信访工作条例》第三十二条",
        outcomes=(
            RequestOutcome("请求一", Outcome.SUPPORT, "经查属实"),
            RequestOutcome("请求二", Outcome.EXPLAIN, "已作说明"),
        ),
        due_on=dt.date(2027, 1, 25),
        extension_days=30,
        review_unit_name="某市人民政府",
        review_window_days=30,
        receiving_unit_name="某县人民政府",
        case_lines=(
            "1．A01-2026-000001　张三反映“示例信访事项”（问题属地：示例区；"
            "收到日期：2026年11月20日）",
            "2．A01-2026-000002　李四反映“另一件示例事项”（问题属地：示例区；"
            "收到日期：2026年11月21日）",
        ),
    )
    subject = Subject(
        number="A01-2026-000001",
        title="示例信访事项",
        request="请求依法处理。",
        facts_reasons="示例事实和理由。",
        received_on=dt.date(2026, 11, 20),
        petitioner_names=("张三", "李四"),
        query_code="ABCD2345",
    )
    return notice_values(
        kind, subject, facts, number=f"A01{NUMBER_PREFIX[kind]}〔2026〕1号", unit_name="示例单位"
    )


@dataclass(frozen=True)
class TemplateSource:
    content: bytes
    version: str  # "builtin-1" or "upload-3"
    uploaded: DocumentTemplate | None = None


def current_template(kind: NoticeKind) -> TemplateSource:
    """The template new notices of ``kind`` are made from: the uploaded one, else ours."""
    uploaded = DocumentTemplate.objects.filter(kind=kind, is_active=True).first()
    if uploaded is not None:
        return TemplateSource(bytes(uploaded.content), uploaded.version_label, uploaded)
    return TemplateSource(builtin_template(kind), f"builtin-{BUILTIN_VERSION}")


def render(template: bytes, values: dict[str, str], *, title: str, author: str) -> bytes:
    """Fill a template; the file's properties name the issuing unit, never a template's
    author."""
    document = docx.Document(io.BytesIO(template))
    placeholders.fill(document, values)
    layout.center_signature(document)
    properties = document.core_properties
    properties.title = title
    properties.author = properties.last_modified_by = author
    properties.comments = properties.keywords = properties.subject = properties.category = ""
    properties.revision = 1
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# --- operations -------------------------------------------------------------------------------


def issue_notice(
    case: Case, kind: NoticeKind, *, actor: User, issuing_unit: Unit, facts: NoticeFacts
) -> Document:
    """Render, number (文号), store and audit one notice. Call inside the caller's
    transaction.atomic(); writes nothing outside the database (so a rollback leaves nothing
    behind). The 文号 runs per issuing unit, kind and year of ``facts.issued_on``, gapless.
    Raises ValidationError when ``facts`` lack what the kind needs. Audit:
    ``document.issue``."""
    kind = NoticeKind(kind)
    if not rules.can_work_cases(actor):
        raise PermissionDenied("您的角色无权出具文书。")
    check_facts(kind, facts)
    template = current_template(kind)
    subject = _subject(case, kind)
    with transaction.atomic():
        year = facts.issued_on.year
        sequence = next_number(f"doc:{issuing_unit.code}:{kind.value}:{year}")
        number = f"{issuing_unit.code}{NUMBER_PREFIX[kind]}〔{year}〕{sequence}号"
        # Rendered while the counter row is held: the number is part of the file. ~20 ms.
        values = notice_values(kind, subject, facts, number=number, unit_name=issuing_unit.name)
        content = render(template.content, values, title=str(kind.label), author=issuing_unit.name)
        document = Document.objects.create(
            case=case,
            kind=kind,
            number=number,
            issuing_unit=issuing_unit,
            issued_by=actor,
            issued_at=timezone.now(),
            issued_on=facts.issued_on,
            filename=f"{case.number}_{kind.label}.docx",
            content=content,
            sha256=hashlib.sha256(content).hexdigest(),
            size=len(content),
            template_version=template.version,
        )
        record(
            "document.issue",
            actor=actor,
            target=document,
            object_id=document.number,
            detail={"case": case.number, "kind": kind.value},
        )
    return document


@dataclass(frozen=True)
class ComposedNotice:
    """A numbered, rendered notice that belongs to no single case (集中交办单); the caller
    stores it with what it belongs to and audits it."""

    kind: NoticeKind
    number: str
    issued_on: dt.date
    content: bytes
    sha256: str
    template_version: str


def compose_batch_notice(*, actor: User, issuing_unit: Unit, facts: NoticeFacts) -> ComposedNotice:
    """集中交办单 for one receiving unit: number it (文号, gapless on the same counter as
    :func:`issue_notice` for this kind) and render ``facts.case_lines``. Writes only the
    counter, so call it inside the transaction that stores the file (``batches.services``);
    a rollback leaves no gap. Raises ValidationError when the facts are incomplete."""
    kind = NoticeKind.BATCH_ASSIGNMENT
    if not rules.can_work_cases(actor):
        raise PermissionDenied("您的角色无权出具文书。")
    if not facts.case_lines:
        raise ValidationError(f"{kind.label}缺少：交办事项清单。")
    check_facts(kind, facts)
    template = current_template(kind)
    blank = Subject(
        number="",
        title="",
        request="",
        facts_reasons="",
        received_on=facts.issued_on,
        petitioner_names=(),
    )
    with transaction.atomic():
        year = facts.issued_on.year
        sequence = next_number(f"doc:{issuing_unit.code}:{kind.value}:{year}")
        number = f"{issuing_unit.code}{NUMBER_PREFIX[kind]}〔{year}〕{sequence}号"
        values = notice_values(kind, blank, facts, number=number, unit_name=issuing_unit.name)
        values |= {"收到日期": "", "人称": ""}  # no single case, no single petitioner
        content = render(template.content, values, title=str(kind.label), author=issuing_unit.name)
    return ComposedNotice(
        kind=kind,
        number=number,
        issued_on=facts.issued_on,
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        template_version=template.version,
    )


def record_download(document: Document, *, actor: User) -> None:
    """Downloads of notices are audited: they carry names of people."""
    with transaction.atomic():
        record(
            "document.download",
            actor=actor,
            target=document,
            object_id=document.number,
            detail={"case": document.case.number, "kind": document.kind},
        )


def _open_docx(content: bytes) -> Any:
    try:
        return docx.Document(io.BytesIO(content))
    except Exception:  # python-docx raises many kinds for a damaged or foreign package
        raise ValidationError(
            "无法作为 Word 文档打开该文件。请在 Word 或 WPS 中“另存为 .docx”后重新上传。"
        ) from None


def check_template(kind: NoticeKind, name: str, stream: IO[bytes], size: int) -> bytes:
    """The bytes of an acceptable replacement template, or ValidationError saying why not:
    a real .docx (zip container that python-docx opens), at most 2 MB, no externally linked
    files, only known placeholders, containing {{文号}}, and a trial render with sample facts
    succeeds."""
    if not safe_display_name(name).lower().endswith(".docx"):
        raise ValidationError("请上传 .docx 格式的 Word 文件（.doc、.wps 等请先另存为 .docx）。")
    sniff_upload(name, stream, size, max_bytes=TEMPLATE_MAX_BYTES)
    stream.seek(0)
    content = stream.read()
    opened = _open_docx(content)
    linked = [
        rel.target_ref
        for rel in opened.part.package.iter_rels()
        if rel.is_external and not rel.reltype.endswith("/hyperlink")
    ]
    if linked:
        # A linked picture or attached template would make every notice fetch it when opened.
        raise ValidationError(f"模板引用了外部文件（{linked[0][:80]}），请改为嵌入后重新上传。")
    found = placeholders.scan(opened)
    allowed = set(PLACEHOLDERS) - (set() if kind == NoticeKind.ACCEPTANCE else ACCEPTANCE_ONLY)
    problems = []
    unknown = [n for n in dict.fromkeys(found.names) if n not in allowed]
    misplaced = [n for n in unknown if n in ACCEPTANCE_ONLY]
    unknown = [n for n in unknown if n not in ACCEPTANCE_ONLY]
    if unknown:
        listed = "、".join(f"{{{{{n}}}}}" for n in unknown)
        problems.append(f"模板中有无法识别的占位符：{listed}。可用的占位符见本页列表。")
    if misplaced:
        problems.append("查询码只能出现在受理告知书中，请删除 {{查询码}}。")
    if found.stray:
        problems.append(
            f"模板中有不完整的占位符：“{found.stray[0]}”。"
            "占位符须写成 {{名称}}，使用半角花括号，名称中不含空格。"
        )
    if "文号" not in found.names:
        problems.append("模板中必须有 {{文号}}。")
    if problems:
        raise ValidationError(problems)
    try:
        trial = render(content, sample_values(kind), title="试生成", author="试生成")
        _open_docx(trial)
    except (placeholders.TemplateError, ValueError, ValidationError) as error:
        raise ValidationError(f"模板试生成失败：{error}") from None
    return content


def replace_template(
    kind: NoticeKind, *, actor: User, upload: UploadedFile[bytes]
) -> DocumentTemplate:
    """替换模板: the upload becomes the active template of ``kind`` (a new version); new
    notices use it from now on. Audit: ``document.template_replace``."""
    kind = NoticeKind(kind)
    if not rules.can_manage_accounts(actor):
        raise PermissionDenied("只有系统管理员可以替换文书模板。")
    name = upload.name or "模板.docx"
    content = check_template(kind, name, upload, upload.size or 0)
    with transaction.atomic():
        version = next_number(f"doctemplate:{kind.value}")
        DocumentTemplate.objects.filter(kind=kind, is_active=True).update(is_active=False)
        template = DocumentTemplate.objects.create(
            kind=kind,
            version=version,
            content=content,
            original_name=safe_display_name(name),
            sha256=hashlib.sha256(content).hexdigest(),
            size=len(content),
            uploaded_by=actor,
            uploaded_at=timezone.now(),
        )
        record(
            "document.template_replace",
            actor=actor,
            target=template,
            object_id=f"{kind.value}#{version}",
            detail={"kind": kind.value, "version": version, "sha256": template.sha256},
        )
    return template


def revert_template(kind: NoticeKind, *, actor: User) -> None:
    """恢复内置模板: new notices of ``kind`` use the built-in template again; uploaded versions
    stay on record. Audit: ``document.template_revert``."""
    kind = NoticeKind(kind)
    if not rules.can_manage_accounts(actor):
        raise PermissionDenied("只有系统管理员可以恢复内置模板。")
    with transaction.atomic():
        active = (
            DocumentTemplate.objects.select_for_update()
            .filter(kind=kind, is_active=True)
            .defer("content")
            .first()
        )
        if active is None:
            raise ValidationError("该文书当前使用的已是内置模板。")
        DocumentTemplate.objects.filter(pk=active.pk).update(is_active=False)
        record(
            "document.template_revert",
            actor=actor,
            object_type="documents.documenttemplate",
            object_id=kind.value,
            detail={"kind": kind.value, "from_version": active.version},
        )
