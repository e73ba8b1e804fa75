"""The 集中交办单 a batch issues to each unit: the same GB/T 9704 letter as the 交办单, with one
paragraph per case in its list, and no identity number, phone or address."""

from __future__ import annotations

import io
from typing import Any

import docx
import pytest
from docx.oxml.ns import qn

from tests.batches.conftest import Districts, hand_over, register
from tests.cases.workflow_cast import Cast
from tests.documents.conftest import docx_text, docx_xml
from tests.documents.test_generate import paragraphs_in, run_font
from xinfang.batches.models import BatchPart
from xinfang.documents import layout

pytestmark = pytest.mark.django_db


@pytest.fixture
def part(cast: Cast, districts: Districts) -> BatchPart:
    cases = [
        register(cast, title="幸福小区物业多收费", person="周建华"),
        register(cast, title="幸福小区电梯停运", region=districts.a1_street, person="王芳"),
        register(cast, title="幸福小区绿地被占", person="陈明"),
    ]
    batch = hand_over(cast.clerk, [(case, cast.units.unit_a) for case in cases])
    return batch.parts.defer(None).get()


def opened(part: BatchPart) -> Any:
    return docx.Document(io.BytesIO(bytes(part.content)))


def test_the_notice_is_an_a4_letter_with_the_gbt9704_margins_and_line_grid(
    part: BatchPart,
) -> None:
    doc = opened(part)

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
    assert doc.sections[0].footer.paragraphs[0].text == "— 1 —"


def test_the_organ_mark_is_red_the_title_xiaobiaosong_and_every_body_run_fangsong(
    part: BatchPart,
) -> None:
    doc = opened(part)

    assert paragraphs_in(doc, layout.ORGAN_MARK)[0].runs[0].font.color.rgb == layout.RED
    titles = paragraphs_in(doc, layout.TITLE)
    assert [p.text for p in titles] == ["信访事项集中交办单"]
    assert {run_font(r) for p in titles for r in p.runs} == {
        ("方正小标宋简体", "方正小标宋简体", "方正小标宋简体", "44")
    }
    body_runs = [
        r for p in paragraphs_in(doc, layout.BODY, layout.SALUTATION) for r in p.runs if r.text
    ]
    assert {run_font(r) for r in body_runs} == {("仿宋_GB2312", "仿宋_GB2312", "仿宋_GB2312", "32")}


def test_each_case_of_the_unit_is_its_own_paragraph_in_the_list(
    part: BatchPart, cast: Cast
) -> None:
    doc = opened(part)
    texts = [p.text for p in doc.paragraphs]
    numbers = list(part.items.order_by("position").values_list("case__number", flat=True))

    start = texts.index("交办事项清单：") + 1
    assert [line.split("　")[0] for line in texts[start : start + 3]] == [
        f"1．{numbers[0]}",
        f"2．{numbers[1]}",
        f"3．{numbers[2]}",
    ]
    assert "王芳反映“幸福小区电梯停运”（问题属地：A1区幸福街道；收到日期：" in texts[start + 1]
    assert "现将3件信访事项集中交由你单位办理" in docx_text(bytes(part.content))


def test_the_notice_carries_no_identity_data_and_no_unfilled_placeholder(part: BatchPart) -> None:
    xml = docx_xml(bytes(part.content))
    text = docx_text(bytes(part.content))

    assert "{{" not in text
    assert "13900001234" not in xml
    assert part.number in text
    assert part.template_version == "builtin-1"
