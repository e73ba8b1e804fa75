"""Every notice kind renders from the built-in templates in GB/T 9704 layout, says what the case
and the decision say, and carries no identity number, phone or address."""

from __future__ import annotations

import io
import re
from typing import Any

import docx
import pytest
from django.core.exceptions import ValidationError
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm

from tests.conftest import Units
from tests.documents.conftest import (
    ADDRESS,
    BASIS,
    BODY,
    ID_NUMBER,
    OUTCOMES,
    PHONE,
    docx_text,
    docx_xml,
    facts_for,
    issue,
)
from tests.factories import CaseFactory, PetitionerFactory
from xinfang.accounts.models import User
from xinfang.audit.models import AuditEvent
from xinfang.cases.models import Case
from xinfang.documents import layout
from xinfang.documents.builtin import TITLES
from xinfang.documents.enums import LETTER_KINDS, NoticeKind
from xinfang.documents.models import Document
from xinfang.documents.services import issue_notice

pytestmark = pytest.mark.django_db

PETITIONER_KINDS = [kind for kind in NoticeKind if kind not in LETTER_KINDS]
OPINIONS = [NoticeKind.OPINION, NoticeKind.REVIEW_OPINION, NoticeKind.RECHECK_OPINION]


def opened(document: Document) -> Any:
    return docx.Document(io.BytesIO(bytes(document.content)))


def paragraphs_in(doc: Any, *style_ids: str) -> list[Any]:
    return [p for p in doc.paragraphs if p.style is not None and p.style.style_id in style_ids]


def run_font(run: Any) -> tuple[str | None, str | None, str | None, str | None]:
    """(ascii, hAnsi, eastAsia, size in half-points) said on the run itself."""
    props = run._r.rPr
    fonts = None if props is None else props.find(qn("w:rFonts"))
    size = None if props is None else props.find(qn("w:sz"))
    return (
        None if fonts is None else fonts.get(qn("w:ascii")),
        None if fonts is None else fonts.get(qn("w:hAnsi")),
        None if fonts is None else fonts.get(qn("w:eastAsia")),
        None if size is None else size.get(qn("w:val")),
    )


@pytest.mark.parametrize("kind", list(NoticeKind))
def test_every_kind_is_on_an_a4_page_with_the_gbt9704_margins_and_line_grid(
    case: Case, handler: User, units: Units, kind: NoticeKind
) -> None:
    doc = opened(issue(case, kind, actor=handler, unit=units.unit_a))

    section = doc.sections[0]
    measured = [
        section.page_width,
        section.page_height,
        section.top_margin,
        section.bottom_margin,
        section.left_margin,
        section.right_margin,
    ]
    assert [round(length.mm, 1) for length in measured] == [210, 297, 37, 35, 28, 26]
    grid = section._sectPr.find(qn("w:docGrid"))
    assert (grid.get(qn("w:type")), grid.get(qn("w:linePitch"))) == ("lines", "579")
    body_style = doc.styles.get_by_id(layout.BODY, WD_STYLE_TYPE.PARAGRAPH)
    spacing = body_style.element.pPr.find(qn("w:spacing"))
    assert (spacing.get(qn("w:line")), spacing.get(qn("w:lineRule"))) == ("579", "exact")


def test_the_line_holds_28_characters_and_the_page_22_lines() -> None:
    line = Mm(210 - 28 - 26).pt
    height = Mm(297 - 37 - 35).pt
    character = layout.BODY_PT + layout.CONDENSE_TWENTIETHS / 20

    assert int(line // character) == 28
    assert int(height // (layout.LINE_PITCH_TWIPS / 20)) == 22


@pytest.mark.parametrize("kind", list(NoticeKind))
def test_title_is_2hao_xiaobiaosong_and_body_3hao_fangsong_with_east_asian_fonts_on_every_run(
    case: Case, handler: User, units: Units, kind: NoticeKind
) -> None:
    doc = opened(issue(case, kind, actor=handler, unit=units.unit_a))

    titles = paragraphs_in(doc, layout.TITLE)
    assert [p.style.paragraph_format.alignment for p in titles] == [WD_ALIGN_PARAGRAPH.CENTER]
    assert {run_font(r) for p in titles for r in p.runs} == {
        ("方正小标宋简体", "方正小标宋简体", "方正小标宋简体", "44")
    }
    body_runs = [
        r for p in paragraphs_in(doc, layout.BODY, layout.SALUTATION) for r in p.runs if r.text
    ]
    assert len(body_runs) >= 3
    assert {run_font(r) for r in body_runs} == {("仿宋_GB2312", "仿宋_GB2312", "仿宋_GB2312", "32")}


@pytest.mark.parametrize("kind", list(NoticeKind))
def test_every_style_names_its_east_asian_font_and_no_theme_font_overrides_it(
    case: Case, handler: User, units: Units, kind: NoticeKind
) -> None:
    doc = opened(issue(case, kind, actor=handler, unit=units.unit_a))

    ours = [s for s in doc.styles if s.style_id.startswith("Xf") or s.style_id == "Normal"]
    assert len(ours) == 10
    for style in ours:
        fonts = style.element.rPr.find(qn("w:rFonts"))
        assert fonts.get(qn("w:eastAsia")) == fonts.get(qn("w:ascii")), style.style_id
        assert fonts.get(qn("w:eastAsiaTheme")) is None, style.style_id


@pytest.mark.parametrize("kind", list(NoticeKind))
def test_the_footer_numbers_pages_as_dash_page_dash_in_4hao_song(
    case: Case, handler: User, units: Units, kind: NoticeKind
) -> None:
    doc = opened(issue(case, kind, actor=handler, unit=units.unit_a))

    footer = doc.sections[0].footer.paragraphs[0]
    xml = footer._p.xml
    assert footer.text == "— 1 —"
    assert "<w:instrText" in xml
    assert " PAGE " in xml
    assert [c.get(qn("w:fldCharType")) for c in footer._p.iter(qn("w:fldChar"))] == [
        "begin",
        "separate",
        "end",
    ]
    assert {run_font(r) for r in footer.runs} == {("宋体", "宋体", "宋体", "28")}


@pytest.mark.parametrize("kind", list(NoticeKind))
def test_every_kind_names_the_case_the_number_and_the_issuer_and_no_identity_data(
    case: Case, handler: User, units: Units, kind: NoticeKind
) -> None:
    document = issue(case, kind, actor=handler, unit=units.unit_a)
    text = docx_text(bytes(document.content))
    xml = docx_xml(bytes(document.content))

    assert "A01-2026-000001" in text
    assert document.number in text
    assert "市住房和城乡建设局" in text
    assert "2026年11月26日" in text
    assert "张三" in text
    assert "{{" not in text
    for secret in (ID_NUMBER, PHONE, ADDRESS, "幸福路"):
        assert secret not in xml


@pytest.mark.parametrize("kind", PETITIONER_KINDS)
def test_notices_to_the_petitioner_are_addressed_to_them_under_the_centred_title(
    case: Case, handler: User, units: Units, kind: NoticeKind
) -> None:
    document = issue(case, kind, actor=handler, unit=units.unit_a)
    doc = opened(document)

    texts = [p.text for p in doc.paragraphs if p.text]
    assert texts[:3] == [TITLES[kind], document.number, "张三："]
    assert doc.paragraphs[1].alignment == WD_ALIGN_PARAGRAPH.CENTER


@pytest.mark.parametrize("kind", sorted(LETTER_KINDS))
def test_letters_carry_the_organ_mark_and_the_number_on_top(
    case: Case, handler: User, units: Units, kind: NoticeKind
) -> None:
    document = issue(case, kind, actor=handler, unit=units.unit_a)
    doc = opened(document)

    texts = [p.text for p in doc.paragraphs if p.text]
    assert texts[:2] == ["市住房和城乡建设局", document.number]
    assert paragraphs_in(doc, layout.ORGAN_MARK)[0].runs[0].font.color.rgb == layout.RED


@pytest.mark.parametrize("kind", [k for k in NoticeKind if k != NoticeKind.ACCEPTANCE])
def test_the_body_the_official_wrote_appears(
    case: Case, handler: User, units: Units, kind: NoticeKind
) -> None:
    text = docx_text(bytes(issue(case, kind, actor=handler, unit=units.unit_a).content))

    assert BODY in text


@pytest.mark.parametrize("kind", OPINIONS)
def test_opinions_give_one_paragraph_per_request_with_its_outcome(
    case: Case, handler: User, units: Units, kind: NoticeKind
) -> None:
    text = docx_text(bytes(issue(case, kind, actor=handler, unit=units.unit_a).content))
    lines = [line for line in text.split("\n") if line.startswith("（")]

    assert lines == [
        "（一）关于“退还多收的停车费”。经查，物业公司超标准收取停车费属实。处理意见：予以支持。",
        "（二）关于“公开收费依据”。收费标准已在小区公示栏公示。处理意见：作出解释说明。",
        "（三）关于“赔偿精神损失”。该请求缺乏法律依据。处理意见：不予支持。",
    ]
    assert f"本意见依据{BASIS}作出。" in text
    assert len(OUTCOMES) == 3


def test_the_opinion_tells_where_and_within_how_long_to_ask_for_review(
    case: Case, handler: User, units: Units
) -> None:
    text = docx_text(
        bytes(issue(case, NoticeKind.OPINION, actor=handler, unit=units.unit_a).content)
    )

    assert "你如对本处理意见不服，可以自收到本意见书之日起30日内向A市人民政府请求复查。" in text


def test_the_review_opinion_tells_where_to_ask_for_recheck(
    case: Case, handler: User, units: Units
) -> None:
    document = issue(case, NoticeKind.REVIEW_OPINION, actor=handler, unit=units.unit_a)

    assert "自收到本意见书之日起30日内向西地省人民政府请求复核。" in docx_text(
        bytes(document.content)
    )


def test_the_recheck_opinion_says_the_same_facts_will_not_be_accepted_again(
    case: Case, handler: User, units: Units
) -> None:
    document = issue(case, NoticeKind.RECHECK_OPINION, actor=handler, unit=units.unit_a)
    text = docx_text(bytes(document.content))

    assert "仍以同一事实和理由提出信访请求的，不再受理。" in text
    assert "请求复查" not in text


def test_only_the_acceptance_notice_carries_the_query_code(
    case: Case, handler: User, units: Units
) -> None:
    texts = {
        kind: docx_text(bytes(issue(case, kind, actor=handler, unit=units.unit_a).content))
        for kind in NoticeKind
    }

    assert [kind for kind, text in texts.items() if "ABCD2345" in text] == [NoticeKind.ACCEPTANCE]
    assert "2027年1月25日前出具书面答复意见" in texts[NoticeKind.ACCEPTANCE]


def test_an_acceptance_without_a_due_date_leaves_the_due_date_sentence_out(
    case: Case, handler: User, units: Units
) -> None:
    document = issue(case, NoticeKind.ACCEPTANCE, actor=handler, unit=units.unit_a, due_on=None)
    text = docx_text(bytes(document.content))

    assert "前出具书面答复意见" not in text
    assert "予以受理" in text


def test_several_petitioners_are_named_together_and_addressed_as_you_plural(
    clerk: User, handler: User, units: Units
) -> None:
    people = [PetitionerFactory(name=name) for name in ("王五", "赵六")]
    case = CaseFactory(registered_by=clerk, handling_unit=units.unit_a, petitioners=people)

    text = docx_text(
        bytes(issue(case, NoticeKind.EXTENSION, actor=handler, unit=units.unit_a).content)
    )

    assert "王五、赵六：" in text
    assert "你们于" in text
    assert "办理期限延长30日，至2027年1月25日。" in text


def test_an_empty_basis_drops_its_sentence_and_a_multiline_body_becomes_paragraphs(
    case: Case, handler: User, units: Units
) -> None:
    document = issue(
        case,
        NoticeKind.NON_ACCEPTANCE,
        actor=handler,
        unit=units.unit_a,
        basis="",
        body="第一条理由。\n\n第二条理由。",
    )
    doc = opened(document)

    texts = [p.text for p in doc.paragraphs]
    assert texts[texts.index("第一条理由。") + 1] == "第二条理由。"
    assert not any(t.startswith("本决定依据") for t in texts)


def test_the_issuer_is_centred_over_the_date_four_characters_from_the_right(
    case: Case, handler: User, units: Units
) -> None:
    doc = opened(issue(case, NoticeKind.ACCEPTANCE, actor=handler, unit=units.unit_a))

    unit = paragraphs_in(doc, layout.SIGN_UNIT)[0]
    date_style = doc.styles.get_by_id(layout.SIGN_DATE, WD_STYLE_TYPE.PARAGRAPH)
    # "2026年11月26日" is 7 characters wide, "市住房和城乡建设局" 9: 4 + (7 − 9) / 2 = 3.
    assert unit._p.pPr.find(qn("w:ind")).get(qn("w:rightChars")) == "300"
    assert date_style.element.pPr.find(qn("w:ind")).get(qn("w:rightChars")) == "400"
    assert paragraphs_in(doc, layout.SIGN_DATE)[0].text == "2026年11月26日"


def test_the_file_properties_name_the_issuing_unit_not_a_tool(
    case: Case, handler: User, units: Units
) -> None:
    doc = opened(issue(case, NoticeKind.TRANSFER, actor=handler, unit=units.unit_a))

    properties = doc.core_properties
    assert (properties.title, properties.author, properties.comments) == (
        "转送函",
        "市住房和城乡建设局",
        "",
    )


@pytest.mark.parametrize(
    ("kind", "missing", "message"),
    [
        (NoticeKind.NON_ACCEPTANCE, {"body": ""}, "不予受理告知书缺少：不予受理的理由。"),
        (NoticeKind.TRANSFER, {"receiving_unit_name": ""}, "转送函缺少：主送单位。"),
        (
            NoticeKind.OBJECTION,
            {"receiving_unit_name": "", "body": ""},
            "退回异议函缺少：主送单位、异议理由。",
        ),
        (NoticeKind.ASSIGNMENT, {"due_on": None}, "交办单缺少：办结期限。"),
        (NoticeKind.EXTENSION, {"extension_days": None}, "延长办理期限告知书缺少：延长天数。"),
        (NoticeKind.OPINION, {"outcomes": ()}, "信访处理意见书缺少：逐项处理意见。"),
        (
            NoticeKind.REVIEW_OPINION,
            {"review_unit_name": ""},
            "复查意见书缺少：复核机关。",
        ),
    ],
)
def test_facts_a_kind_cannot_do_without_are_refused_in_chinese_and_nothing_is_written(
    case: Case,
    handler: User,
    units: Units,
    kind: NoticeKind,
    missing: dict[str, object],
    message: str,
) -> None:
    events = AuditEvent.objects.count()

    with pytest.raises(ValidationError) as refused:
        issue(case, kind, actor=handler, unit=units.unit_a, **missing)

    assert refused.value.messages == [message]
    assert (Document.objects.count(), AuditEvent.objects.count()) == (0, events)


def test_a_user_without_a_case_role_cannot_issue(case: Case, auditor: User, units: Units) -> None:
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        issue_notice(
            case,
            NoticeKind.ACCEPTANCE,
            actor=auditor,
            issuing_unit=units.unit_a,
            facts=facts_for(NoticeKind.ACCEPTANCE),
        )


def test_control_characters_typed_into_a_case_do_not_break_the_file(
    clerk: User, handler: User, units: Units
) -> None:
    case = CaseFactory(
        registered_by=clerk,
        handling_unit=units.unit_a,
        title="标题\x0b含控制字符\x01",
        request="请求\t处理",
    )

    document = issue(case, NoticeKind.ACCEPTANCE, actor=handler, unit=units.unit_a)

    assert "“标题含控制字符”" in docx_text(bytes(document.content))
    assert re.search(r"[\x00-\x08]", docx_xml(bytes(document.content))) is None


def test_a_letter_may_name_its_addressee_instead_of_the_receiving_unit(
    case: Case, handler: User, units: Units
) -> None:
    document = issue(
        case,
        NoticeKind.TRANSFER,
        actor=handler,
        unit=units.unit_a,
        receiving_unit_name="",
        addressee="A1区人民政府",
    )

    assert "A1区人民政府：" in docx_text(bytes(document.content))
