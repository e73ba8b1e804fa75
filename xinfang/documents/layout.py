"""GB/T 9704-2012 《党政机关公文格式》 in python-docx: the page, the styles and the signature.

A4; margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm (版心 156 × 225 mm); body 3号
仿宋_GB2312, 22 lines × 28 characters (a 28.95 pt line grid with exact line spacing, characters
condensed to fit 28 on a line); title 2号 方正小标宋简体; page number "— 1 —" in 4号 宋体
below the 版心. python-docx sets only the Latin font names, so every style
and every run here says ``w:eastAsia`` too, and theme fonts (which would win) are removed.
"""

from __future__ import annotations

from typing import Any

import docx
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, RGBColor

FANGSONG = "仿宋_GB2312"
XIAOBIAOSONG = "方正小标宋简体"
HEITI = "黑体"
SONGTI = "宋体"

BODY_PT = 16  # 3号
TITLE_PT = 22  # 2号
ORGAN_MARK_PT = 26  # 1号: the organ's name on a letter, red
PAGE_NUMBER_PT = 14  # 4号
RED = RGBColor(0xFF, 0x00, 0x00)

PAGE_WIDTH_MM, PAGE_HEIGHT_MM = 210, 297
TOP_MM, BOTTOM_MM, LEFT_MM, RIGHT_MM = 37, 35, 28, 26
LINES_PER_PAGE, CHARS_PER_LINE = 22, 28
#: 225 mm / 22 lines; Word's 公文 templates round it to 28.95 pt. Exact line spacing.
LINE_PITCH_TWIPS = 579
#: 28 characters of 3号 in the 156 mm line (442.2 pt) need 15.79 pt each. Word's character grid
#: (docGrid linesAndChars, negative charSpace) squeezes them, but LibreOffice then gives each
#: character two cells (14 per line). A line grid with characters condensed by 0.25 pt gives
#: 28 × 15.75 = 441 pt in Word, WPS and LibreOffice alike.
CONDENSE_TWENTIETHS = -5
#: The page number's dash sits 7 mm below the 版心; the footer ends about 5 mm below that.
FOOTER_DISTANCE_MM = BOTTOM_MM - 7 - 5

THEME_ATTRIBUTES = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")

# Style ids are ASCII; their names are what an administrator sees in Word's style gallery.
TITLE = "XfTitle"
ORGAN_MARK = "XfOrganMark"
DOC_NUMBER = "XfDocNumber"
SALUTATION = "XfSalutation"
BODY = "XfBody"
HEADING = "XfHeading1"
SIGN_UNIT = "XfSignUnit"
SIGN_DATE = "XfSignDate"
PAGE_NUMBER = "XfPageNumber"


#: One character of the body text on the line, for indents given in characters.
CHAR_PITCH_PT = BODY_PT + CONDENSE_TWENTIETHS / 20


def twips(points: float) -> int:
    return round(points * 20)


def set_fonts(props: Any, name: str) -> None:
    """Latin, East Asian and complex-script font of a w:rPr, with theme fonts removed."""
    fonts = props.get_or_add_rFonts()
    for attribute in THEME_ATTRIBUTES:
        fonts.attrib.pop(qn(attribute), None)
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attribute), name)


# Word refuses elements out of the schema's order; these are what may follow each one we add.
AFTER_SZ_CS = (
    "w:highlight", "w:u", "w:effect", "w:bdr", "w:shd", "w:fitText", "w:vertAlign", "w:rtl",
    "w:cs", "w:em", "w:lang", "w:eastAsianLayout", "w:specVanish", "w:oMath",
)  # fmt: skip
AFTER_SPACING = (
    "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc",
    "w:textDirection", "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId",
    "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange",
)  # fmt: skip
AFTER_SNAP = AFTER_SPACING
AFTER_BORDERS = (
    "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
    "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd",
    "w:snapToGrid", *AFTER_SPACING,
)  # fmt: skip


def _set_size(props: Any, points: float) -> None:
    props.get_or_add_sz().set(qn("w:val"), str(round(points * 2)))
    complex_size = props.find(qn("w:szCs"))
    if complex_size is None:
        complex_size = OxmlElement("w:szCs")
        props.insert_element_before(complex_size, *AFTER_SZ_CS)
    complex_size.set(qn("w:val"), str(round(points * 2)))


def _condense(props: Any) -> None:
    spacing = props.find(qn("w:spacing"))
    if spacing is None:
        spacing = OxmlElement("w:spacing")
        props.insert_element_before(
            spacing, "w:w", "w:kern", "w:position", "w:sz", "w:szCs", *AFTER_SZ_CS
        )
    spacing.set(qn("w:val"), str(CONDENSE_TWENTIETHS))


def _spacing(props: Any, *, exact: bool = True) -> None:
    spacing = props.get_or_add_spacing()
    spacing.set(qn("w:before"), "0")
    spacing.set(qn("w:after"), "0")
    if exact:
        spacing.set(qn("w:line"), str(LINE_PITCH_TWIPS))
        spacing.set(qn("w:lineRule"), "exact")
    else:
        spacing.set(qn("w:line"), "240")
        spacing.set(qn("w:lineRule"), "auto")


def _indent(props: Any, *, first_chars: int = 0, right_chars: float = 0) -> None:
    indent = props.get_or_add_ind()
    if first_chars:
        indent.set(qn("w:firstLineChars"), str(first_chars * 100))
        indent.set(qn("w:firstLine"), str(twips(first_chars * CHAR_PITCH_PT)))
    if right_chars:
        indent.set(qn("w:rightChars"), str(round(right_chars * 100)))
        indent.set(qn("w:right"), str(twips(right_chars * CHAR_PITCH_PT)))


def _page(section: Any) -> None:
    section.page_width, section.page_height = Mm(PAGE_WIDTH_MM), Mm(PAGE_HEIGHT_MM)
    section.top_margin, section.bottom_margin = Mm(TOP_MM), Mm(BOTTOM_MM)
    section.left_margin, section.right_margin = Mm(LEFT_MM), Mm(RIGHT_MM)
    section.header_distance, section.footer_distance = Mm(15), Mm(FOOTER_DISTANCE_MM)
    grid = section._sectPr.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        section._sectPr.append(grid)
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(LINE_PITCH_TWIPS))


def _defaults(document: Any) -> None:
    """Document defaults: 仿宋 3号, Chinese language (line breaking, glyph forms), no spacing."""
    root = document.styles.element
    run_props = root.find(f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}")
    set_fonts(run_props, FANGSONG)
    _set_size(run_props, BODY_PT)
    _condense(run_props)
    language = run_props.find(qn("w:lang"))
    if language is None:
        language = OxmlElement("w:lang")
        run_props.append(language)
    language.set(qn("w:val"), "en-US")
    language.set(qn("w:eastAsia"), "zh-CN")
    para_props = root.find(f"{qn('w:docDefaults')}/{qn('w:pPrDefault')}/{qn('w:pPr')}")
    _spacing(para_props)


def _style(
    document: Any,
    style_id: str,
    name: str,
    *,
    font: str,
    points: float,
    align: WD_ALIGN_PARAGRAPH,
    first_chars: int = 0,
    right_chars: float = 0,
    color: RGBColor | None = None,
    exact: bool = True,
) -> None:
    style = document.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.style_id = style_id
    style.base_style = document.styles["Normal"]
    style.quick_style = True
    style.paragraph_format.alignment = align
    set_fonts(style.element.get_or_add_rPr(), font)
    _set_size(style.element.get_or_add_rPr(), points)
    if color is not None:
        style.font.color.rgb = color
    props = style.element.get_or_add_pPr()
    _spacing(props, exact=exact)
    if first_chars or right_chars:
        _indent(props, first_chars=first_chars, right_chars=right_chars)
    if not exact:
        snap = OxmlElement("w:snapToGrid")
        snap.set(qn("w:val"), "0")
        props.insert_element_before(snap, *AFTER_SNAP)


def _styles(document: Any) -> None:
    normal = document.styles["Normal"]
    set_fonts(normal.element.get_or_add_rPr(), FANGSONG)
    _set_size(normal.element.get_or_add_rPr(), BODY_PT)
    _condense(normal.element.get_or_add_rPr())
    _spacing(normal.element.get_or_add_pPr())
    normal.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    left, center, right = (
        WD_ALIGN_PARAGRAPH.LEFT,
        WD_ALIGN_PARAGRAPH.CENTER,
        WD_ALIGN_PARAGRAPH.RIGHT,
    )
    _style(document, TITLE, "公文标题", font=XIAOBIAOSONG, points=TITLE_PT, align=center)
    _style(
        document,
        ORGAN_MARK,
        "发文机关标志",
        font=XIAOBIAOSONG,
        points=ORGAN_MARK_PT,
        align=center,
        color=RED,
        exact=False,
    )
    _red_double_rule(document.styles.get_by_id(ORGAN_MARK, WD_STYLE_TYPE.PARAGRAPH))
    _style(document, DOC_NUMBER, "发文字号", font=FANGSONG, points=BODY_PT, align=right)
    _style(document, SALUTATION, "主送", font=FANGSONG, points=BODY_PT, align=left)
    body = WD_ALIGN_PARAGRAPH.JUSTIFY
    _style(document, BODY, "公文正文", font=FANGSONG, points=BODY_PT, align=body, first_chars=2)
    _style(document, HEADING, "一级标题", font=HEITI, points=BODY_PT, align=body, first_chars=2)
    _style(document, SIGN_UNIT, "发文机关署名", font=FANGSONG, points=BODY_PT, align=right)
    _style(
        document, SIGN_DATE, "成文日期", font=FANGSONG, points=BODY_PT, align=right, right_chars=4
    )
    _style(
        document,
        PAGE_NUMBER,
        "页码",
        font=SONGTI,
        points=PAGE_NUMBER_PT,
        align=center,
        exact=False,
    )


def _red_double_rule(style: Any) -> None:
    """信函格式: a red double line (thick over thin) under the organ's name."""
    props = style.element.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (
        ("val", "thickThinSmallGap"),
        ("sz", "24"),
        ("space", "4"),
        ("color", "FF0000"),
    ):
        bottom.set(qn(f"w:{key}"), value)
    borders.append(bottom)
    props.insert_element_before(borders, *AFTER_BORDERS)


FONT_OF_STYLE = {
    TITLE: (XIAOBIAOSONG, TITLE_PT),
    ORGAN_MARK: (XIAOBIAOSONG, ORGAN_MARK_PT),
    HEADING: (HEITI, BODY_PT),
    PAGE_NUMBER: (SONGTI, PAGE_NUMBER_PT),
}


def add_run(paragraph: Any, text: str, *, font: str, points: float) -> Any:
    run = paragraph.add_run(text)
    props = run._r.get_or_add_rPr()
    set_fonts(props, font)
    _set_size(props, points)
    return run


def add_paragraph(
    document: Any, style_id: str, text: str = "", *, align: WD_ALIGN_PARAGRAPH | None = None
) -> Any:
    """A paragraph in one of our styles; its run names its fonts and size itself."""
    paragraph = document.add_paragraph(
        style=document.styles.get_by_id(style_id, WD_STYLE_TYPE.PARAGRAPH)
    )
    if align is not None:
        paragraph.alignment = align
    if text:
        font, points = FONT_OF_STYLE.get(style_id, (FANGSONG, BODY_PT))
        run = add_run(paragraph, text, font=font, points=points)
        if style_id == ORGAN_MARK:
            run.font.color.rgb = RED
    return paragraph


def _field_char(paragraph: Any, kind: str) -> None:
    run = add_run(paragraph, "", font=SONGTI, points=PAGE_NUMBER_PT)
    char = OxmlElement("w:fldChar")
    char.set(qn("w:fldCharType"), kind)
    run._r.append(char)


def _page_number(section: Any, document: Any) -> None:
    """ "— 1 —": a PAGE field between two 一字线, centred under the 版心."""
    paragraph = section.footer.paragraphs[0]
    paragraph.style = document.styles.get_by_id(PAGE_NUMBER, WD_STYLE_TYPE.PARAGRAPH)
    add_run(paragraph, "— ", font=SONGTI, points=PAGE_NUMBER_PT)
    _field_char(paragraph, "begin")
    instruction = add_run(paragraph, "", font=SONGTI, points=PAGE_NUMBER_PT)
    code = OxmlElement("w:instrText")
    code.set(qn("xml:space"), "preserve")
    code.text = " PAGE "
    instruction._r.append(code)
    _field_char(paragraph, "separate")
    add_run(paragraph, "1", font=SONGTI, points=PAGE_NUMBER_PT)
    _field_char(paragraph, "end")
    add_run(paragraph, " —", font=SONGTI, points=PAGE_NUMBER_PT)


def new_document() -> Any:
    """An empty document on the GB/T 9704 page with our styles and page numbers."""
    document = docx.Document()
    _page(document.sections[0])
    _defaults(document)
    _styles(document)
    _page_number(document.sections[0], document)
    return document


def text_width(text: str) -> float:
    """Width in characters of the grid: Latin letters and digits are half as wide."""
    return sum(0.5 if ord(ch) < 0x2E80 else 1.0 for ch in text)


def center_signature(document: Any) -> None:
    """GB/T 9704 7.3.5.1: 成文日期 four characters from the right, the issuing organ's name
    centred over it. The widths are known only once the names are filled in."""
    date_width = unit_width = None
    units = []
    for paragraph in document.paragraphs:
        style_id = paragraph.style.style_id if paragraph.style is not None else None
        if style_id == SIGN_DATE:
            date_width = text_width(paragraph.text.strip())
        elif style_id == SIGN_UNIT:
            units.append(paragraph)
    if date_width is None:
        return
    for paragraph in units:
        unit_width = text_width(paragraph.text.strip())
        right = max(0.0, 4 + (date_width - unit_width) / 2)
        _indent(paragraph._p.get_or_add_pPr(), right_chars=right)
