"""Native Word charts (DrawingML ``c:chartSpace``) for the annual report.

A chart drawn by Word, WPS or LibreOffice from the numbers in the file: Chinese labels in the
document's own fonts, printable at any size, editable ("编辑数据" opens the embedded
workbook) — and no image library or font files on the server. python-docx has no chart API,
so the chart part, its workbook and the inline drawing that shows it are written here.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import parse_xml
from docx.shared import Mm
from openpyxl import Workbook

from xinfang.documents.layout import SONGTI
from xinfang.stats.exporters import neutralise

C_NS = "http://schemas.openxmlformats.org/drawingml/2006/chart"
A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
WP_NS = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
#: Series colours: the dashboard's, muted enough to print in grey.
COLOURS = ("1F3A5F", "B3261E", "4A7DB8", "E0A030", "5B8C5A", "8A6FB0")


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[int | float]


@dataclass(frozen=True)
class BarChart:
    title: str
    categories: Sequence[str]
    series: Sequence[Series]
    horizontal: bool = False
    width_mm: float = 156  # the 版心's width
    height_mm: float = 80


def _column(index: int) -> str:
    return chr(ord("A") + index)


def _text_props(points: float) -> str:
    size = round(points * 100)
    return (
        f'<c:txPr><a:bodyPr/><a:lstStyle/><a:p><a:pPr><a:defRPr sz="{size}">'
        f'<a:latin typeface="{SONGTI}"/><a:ea typeface="{SONGTI}"/><a:cs typeface="{SONGTI}"/>'
        '</a:defRPr></a:pPr><a:endParaRPr lang="zh-CN"/></a:p></c:txPr>'
    )


def _str_cache(values: Sequence[str]) -> str:
    points = "".join(f'<c:pt idx="{i}"><c:v>{escape(v)}</c:v></c:pt>' for i, v in enumerate(values))
    return f'<c:strCache><c:ptCount val="{len(values)}"/>{points}</c:strCache>'


def _num_cache(values: Sequence[int | float]) -> str:
    points = "".join(f'<c:pt idx="{i}"><c:v>{v}</c:v></c:pt>' for i, v in enumerate(values))
    return (
        f'<c:numCache><c:formatCode>General</c:formatCode><c:ptCount val="{len(values)}"/>'
        f"{points}</c:numCache>"
    )


def _series(chart: BarChart, index: int, series: Series) -> str:
    rows = len(chart.categories)
    column = _column(index + 1)
    return (
        f'<c:ser><c:idx val="{index}"/><c:order val="{index}"/>'
        f"<c:tx><c:strRef><c:f>Sheet1!${column}$1</c:f>{_str_cache([series.name])}</c:strRef></c:tx>"
        f'<c:spPr><a:solidFill><a:srgbClr val="{COLOURS[index % len(COLOURS)]}"/></a:solidFill>'
        "</c:spPr>"
        '<c:invertIfNegative val="0"/>'
        "<c:dLbls>"
        f"{_text_props(8)}"
        '<c:showLegendKey val="0"/><c:showVal val="1"/><c:showCatName val="0"/>'
        '<c:showSerName val="0"/><c:showPercent val="0"/><c:showBubbleSize val="0"/>'
        "</c:dLbls>"
        f"<c:cat><c:strRef><c:f>Sheet1!$A$2:$A${rows + 1}</c:f>"
        f"{_str_cache(chart.categories)}</c:strRef></c:cat>"
        f"<c:val><c:numRef><c:f>Sheet1!${column}$2:${column}${rows + 1}</c:f>"
        f"{_num_cache(series.values)}</c:numRef></c:val>"
        "</c:ser>"
    )


def chart_xml(chart: BarChart) -> bytes:
    direction = "bar" if chart.horizontal else "col"
    category_side, value_side = ("l", "b") if chart.horizontal else ("b", "l")
    series = "".join(_series(chart, i, s) for i, s in enumerate(chart.series))
    legend = (
        '<c:legend><c:legendPos val="b"/><c:overlay val="0"/></c:legend>'
        if len(chart.series) > 1
        else ""
    )
    title = (
        "<c:title><c:tx><c:rich><a:bodyPr/><a:lstStyle/><a:p><a:pPr>"
        f'<a:defRPr sz="1200" b="1"><a:latin typeface="{SONGTI}"/><a:ea typeface="{SONGTI}"/>'
        "</a:defRPr></a:pPr><a:r>"
        f'<a:rPr lang="zh-CN" sz="1200" b="1"><a:latin typeface="{SONGTI}"/>'
        f'<a:ea typeface="{SONGTI}"/></a:rPr><a:t>{escape(chart.title)}</a:t></a:r></a:p></c:rich>'
        '</c:tx><c:overlay val="0"/></c:title><c:autoTitleDeleted val="0"/>'
    )
    xml = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<c:chartSpace xmlns:c="{C_NS}" xmlns:a="{A_NS}" xmlns:r="{R_NS}">'
        '<c:lang val="zh-CN"/><c:roundedCorners val="0"/>'
        f"<c:chart>{title}<c:plotArea><c:layout/>"
        f'<c:barChart><c:barDir val="{direction}"/><c:grouping val="clustered"/>'
        f'<c:varyColors val="0"/>{series}<c:gapWidth val="60"/>'
        '<c:axId val="500001"/><c:axId val="500002"/></c:barChart>'
        '<c:catAx><c:axId val="500001"/><c:scaling><c:orientation val="minMax"/></c:scaling>'
        f'<c:delete val="0"/><c:axPos val="{category_side}"/>'
        '<c:numFmt formatCode="General" sourceLinked="0"/>'
        '<c:majorTickMark val="none"/><c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/>'
        f'{_text_props(9)}<c:crossAx val="500002"/><c:crosses val="autoZero"/><c:auto val="1"/>'
        '<c:lblAlgn val="ctr"/><c:lblOffset val="100"/><c:noMultiLvlLbl val="0"/></c:catAx>'
        '<c:valAx><c:axId val="500002"/><c:scaling><c:orientation val="minMax"/></c:scaling>'
        f'<c:delete val="0"/><c:axPos val="{value_side}"/>'
        '<c:majorGridlines><c:spPr><a:ln w="6350"><a:solidFill><a:srgbClr val="D9D9D9"/>'
        "</a:solidFill></a:ln></c:spPr></c:majorGridlines>"
        '<c:numFmt formatCode="General" sourceLinked="0"/><c:majorTickMark val="none"/>'
        f'<c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/>{_text_props(9)}'
        '<c:crossAx val="500001"/><c:crosses val="autoZero"/><c:crossBetween val="between"/>'
        "</c:valAx></c:plotArea>"
        f'{legend}<c:plotVisOnly val="1"/><c:dispBlanksAs val="gap"/></c:chart>'
        f"{_text_props(9)}"
        '<c:externalData r:id="rId1"><c:autoUpdate val="0"/></c:externalData>'
        "</c:chartSpace>"
    )
    return xml.encode("utf-8")


def chart_workbook(chart: BarChart) -> bytes:
    """The data behind the chart, for Word's "编辑数据"."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Sheet1"
    sheet.append(["", *(neutralise(s.name) for s in chart.series)])
    for index, category in enumerate(chart.categories):
        sheet.append([neutralise(category), *(s.values[index] for s in chart.series)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def add_chart(document: Any, chart: BarChart) -> None:
    """Append ``chart`` to ``document`` in a paragraph of its own, centred."""
    package = document.part.package
    number = sum(1 for _ in package.iter_parts() if str(_.partname).startswith("/word/charts/")) + 1
    chart_part = Part(
        PackURI(f"/word/charts/chart{number}.xml"), CT.DML_CHART, chart_xml(chart), package
    )
    data_part = Part(
        PackURI(f"/word/embeddings/Microsoft_Excel_Sheet{number}.xlsx"),
        CT.SML_SHEET,
        chart_workbook(chart),
        package,
    )
    chart_part.relate_to(data_part, RT.PACKAGE)  # rId1, as chart_xml's externalData says
    relation = document.part.relate_to(chart_part, RT.CHART)
    width, height = Mm(chart.width_mm), Mm(chart.height_mm)
    inline = parse_xml(
        f'<wp:inline xmlns:wp="{WP_NS}" xmlns:a="{A_NS}" xmlns:r="{R_NS}" xmlns:c="{C_NS}" '
        'distT="0" distB="0" distL="0" distR="0">'
        f'<wp:extent cx="{int(width)}" cy="{int(height)}"/>'
        '<wp:effectExtent l="0" t="0" r="0" b="0"/>'
        f'<wp:docPr id="{9000 + number}" name="图表 {number}"/><wp:cNvGraphicFramePr/>'
        f'<a:graphic><a:graphicData uri="{C_NS}"><c:chart r:id="{relation}"/></a:graphicData>'
        "</a:graphic></wp:inline>"
    )
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    # The body's exact 28.95 pt line would clip the drawing to one line's height.
    paragraph.paragraph_format.line_spacing = 1.0
    paragraph.paragraph_format.first_line_indent = 0
    drawing = parse_xml(
        '<w:drawing xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"/>'
    )
    drawing.append(inline)
    paragraph.add_run()._r.append(drawing)
