"""The template engine on its own: placeholders across runs, optional and multi-line
paragraphs, fonts of the runs it writes into."""

from __future__ import annotations

from typing import Any

import docx
import pytest
from docx.oxml.ns import qn

from xinfang.documents.placeholders import TemplateError, fill, inline, scan


def document(*paragraphs: list[str]) -> Any:
    doc = docx.Document()
    for runs in paragraphs:
        paragraph = doc.add_paragraph()
        for text in runs:
            paragraph.add_run(text)
    return doc


def texts(doc: Any) -> list[str]:
    return [p.text for p in doc.paragraphs]


def test_placeholders_split_over_many_runs_are_replaced_and_other_runs_keep_their_text() -> None:
    doc = document(["甲{{", "名", "}}乙{{文", "号}}丙"], ["{{名}}{{名}}"])

    fill(doc, {"名": "张三", "文号": "A1受〔2026〕1号"})

    assert texts(doc) == ["甲张三乙A1受〔2026〕1号丙", "张三张三"]
    assert [r.text for r in doc.paragraphs[0].runs] == ["甲张三", "", "乙A1受〔2026〕1号", "丙"]


def test_a_paragraph_whose_placeholders_are_all_empty_is_left_out() -> None:
    doc = document(["前"], ["依据：{{依据}}"], ["{{甲}}{{乙}}"], ["{{甲}}和{{丙}}"], ["后"])

    fill(doc, {"依据": "", "甲": " ", "乙": "", "丙": "有"})

    assert texts(doc) == ["前", "和有", "后"]


def test_a_lone_placeholder_with_several_lines_becomes_one_paragraph_per_line() -> None:
    doc = document(["{{正文}}"], ["说明：{{正文}}"])
    doc.paragraphs[0].runs[0].bold = True

    fill(doc, {"正文": "第一段。\n\n  第二段\n第三段"})

    assert texts(doc) == ["第一段。", "第二段", "第三段", "说明：第一段。第二段；第三段"]
    assert [p.runs[0].bold for p in doc.paragraphs[:3]] == [True, True, True]


def test_the_only_paragraph_of_a_table_cell_is_blanked_not_removed() -> None:
    doc = docx.Document()
    cell = doc.add_table(rows=1, cols=1).rows[0].cells[0]
    cell.text = "{{依据}}"

    fill(doc, {"依据": ""})

    assert [p.text for p in cell.paragraphs] == [""]


def test_an_unknown_name_raises() -> None:
    with pytest.raises(TemplateError, match="无法识别的占位符"):
        fill(document(["{{谁}}"]), {})


def test_scan_reports_names_and_broken_braces() -> None:
    found = scan(document(["{{ 文号 }}与{{主送}}"], ["{{文 号}}"], ["｛｛文号｝｝"]))

    assert found.names == ("文号", "主送")
    assert found.stray == ("{{文 号}}", "｛｛文号｝｝")


def test_a_run_without_any_east_asian_font_gets_fangsong_and_a_theme_font_is_kept() -> None:
    doc = document(["{{名}}"], ["{{名}}"])
    defaults = doc.styles.element.find(f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}")
    themed = doc.paragraphs[1].runs[0]._r.get_or_add_rPr().get_or_add_rFonts()
    themed.set(qn("w:eastAsiaTheme"), "minorEastAsia")
    defaults.remove(defaults.find(qn("w:rFonts")))

    fill(doc, {"名": "张三"})

    fonts = [p.runs[0]._r.rPr.find(qn("w:rFonts")) for p in doc.paragraphs]
    assert [f.get(qn("w:eastAsia")) for f in fonts] == ["仿宋_GB2312", None]


def test_inline_joins_lines_adding_a_mark_only_where_a_line_has_none() -> None:
    assert inline("一。\n二\n三") == "一。二；三"
