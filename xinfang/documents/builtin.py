"""The built-in templates: one .docx per notice kind, built here in GB/T 9704 layout with
``{{占位符}}`` where the facts go. An administrator downloads one, edits it in Word and uploads
it as the replacement; the built-in one stays for reverting.

Changing any text or layout here changes what new notices say: bump ``BUILTIN_VERSION`` so that
each stored document still names the template it was made from.
"""

from __future__ import annotations

import io
from functools import cache

from docx.enum.text import WD_ALIGN_PARAGRAPH

from xinfang.documents import layout
from xinfang.documents.enums import LETTER_KINDS, NoticeKind

BUILTIN_VERSION = 1

TITLES: dict[NoticeKind, str] = {
    NoticeKind.ACCEPTANCE: "信访事项受理告知书",
    NoticeKind.NON_ACCEPTANCE: "信访事项不予受理告知书",
    NoticeKind.NO_REACCEPTANCE: "信访事项不再受理告知书",
    NoticeKind.TRANSFER: "信访事项转送函",
    NoticeKind.ASSIGNMENT: "信访事项交办单",
    NoticeKind.OBJECTION: "信访事项退回异议函",
    NoticeKind.EXTENSION: "延长信访事项办理期限告知书",
    NoticeKind.OPINION: "信访处理意见书",
    NoticeKind.REVIEW_OPINION: "信访事项复查意见书",
    NoticeKind.RECHECK_OPINION: "信访事项复核意见书",
    NoticeKind.COMPLETION_REPORT: "信访事项办结报告",
    NoticeKind.BATCH_ASSIGNMENT: "信访事项集中交办单",
}

B, H = layout.BODY, layout.HEADING
OBJECTION_HINT = (
    "如认为该事项不属于你单位职权范围，请自收到之日起5个工作日内向本机关提出异议，详细说明理由。"
)
BATCH_LIST_LEAD = "交办事项清单："
REQUEST_AND_FACTS = [
    (H, "一、信访请求及事实和理由"),
    (B, "{{信访请求}}"),
    (B, "{{事实和理由}}"),
]

#: The body of each kind after the salutation, as (style, text). A paragraph whose
#: placeholders are all empty is left out; one placeholder alone expands to its lines.
BODIES: dict[NoticeKind, list[tuple[str, str]]] = {
    NoticeKind.ACCEPTANCE: [
        (
            B,
            "{{人称}}于{{收到日期}}提出的“{{事项标题}}”信访事项（信访件编号：{{信访件编号}}）"
            "收悉。经审查，该事项属于本机关职权范围，根据《信访工作条例》第二十三条的规定，"
            "本机关决定予以受理。",
        ),
        (B, "{{正文}}"),
        (B, "本机关将依法调查核实，并于{{期限}}前出具书面答复意见。"),
        (
            B,
            "{{人称}}可凭信访件编号和查询码（{{查询码}}）查询办理进展情况。"
            "查询码仅供本人使用，请妥善保管。",
        ),
        (B, "特此告知。"),
    ],
    NoticeKind.NON_ACCEPTANCE: [
        (
            B,
            "{{人称}}于{{收到日期}}提出的“{{事项标题}}”信访事项（信访件编号：{{信访件编号}}）"
            "收悉。经审查，本机关决定不予受理，理由如下：",
        ),
        (B, "{{正文}}"),
        (B, "本决定依据{{依据}}作出。"),
        (B, "特此告知。"),
    ],
    NoticeKind.NO_REACCEPTANCE: [
        (
            B,
            "{{人称}}于{{收到日期}}提出的“{{事项标题}}”信访事项（信访件编号：{{信访件编号}}）"
            "收悉。经审查，{{人称}}以同一事实和理由再次提出信访请求，根据《信访工作条例》"
            "的有关规定，本机关不再受理。理由如下：",
        ),
        (B, "{{正文}}"),
        (B, "本决定依据{{依据}}作出。"),
        (B, "特此告知。"),
    ],
    NoticeKind.TRANSFER: [
        (
            B,
            "现将{{信访人}}反映的“{{事项标题}}”信访事项（信访件编号：{{信访件编号}}，"
            "收到日期：{{收到日期}}）转送你单位。根据《信访工作条例》第二十二条、第二十三条"
            "的规定，请依法处理，按照规定期限决定是否受理，并书面告知信访人。",
        ),
        (B, "信访请求：{{信访请求}}"),
        (B, "事实和理由：{{事实和理由}}"),
        (B, "{{正文}}"),
        (B, OBJECTION_HINT),
    ],
    NoticeKind.ASSIGNMENT: [
        (
            B,
            "现将{{信访人}}反映的“{{事项标题}}”信访事项（信访件编号：{{信访件编号}}，"
            "收到日期：{{收到日期}}）交由你单位办理。根据《信访工作条例》第二十二条的规定，"
            "请依法办理，并于{{期限}}前将办理结果和办结报告报送本机关。",
        ),
        (B, "信访请求：{{信访请求}}"),
        (B, "事实和理由：{{事实和理由}}"),
        (B, "交办要求："),
        (B, "{{正文}}"),
        (B, OBJECTION_HINT),
    ],
    NoticeKind.OBJECTION: [
        (
            B,
            "你单位转来的{{信访人}}反映的“{{事项标题}}”信访事项（信访件编号：{{信访件编号}}）"
            "收悉。经研究，该事项不属于本单位职权范围，根据《信访工作条例》第二十三条第三款的"
            "规定，现提出异议并退回，理由如下：",
        ),
        (B, "{{正文}}"),
        (B, "本异议依据{{依据}}提出。"),
        (B, "请予核实。经核实同意的，本单位将交还相关材料。"),
    ],
    NoticeKind.EXTENSION: [
        (
            B,
            "{{人称}}于{{收到日期}}提出的“{{事项标题}}”信访事项（信访件编号：{{信访件编号}}），"
            "本机关正在依法办理。因下列原因，该事项不能在规定期限内办结：",
        ),
        (B, "{{正文}}"),
        (
            B,
            "根据《信访工作条例》第三十四条的规定，经本机关负责人批准，办理期限延长"
            "{{延长天数}}日，至{{期限}}。",
        ),
        (B, "特此告知。"),
    ],
    NoticeKind.OPINION: [
        (
            B,
            "{{人称}}于{{收到日期}}提出的“{{事项标题}}”信访事项（信访件编号：{{信访件编号}}），"
            "本机关已依法受理并调查核实。现将处理意见告知如下：",
        ),
        *REQUEST_AND_FACTS,
        (H, "二、处理意见及依据"),
        (B, "{{正文}}"),
        (B, "{{处理意见}}"),
        (B, "本意见依据{{依据}}作出。"),
        (B, "{{复查复核告知}}"),
    ],
    NoticeKind.REVIEW_OPINION: [
        (
            B,
            "{{人称}}就“{{事项标题}}”信访事项（信访件编号：{{信访件编号}}）提出的复查请求"
            "收悉。本机关依法进行了复查，现将复查意见告知如下：",
        ),
        *REQUEST_AND_FACTS,
        (H, "二、复查意见及依据"),
        (B, "{{正文}}"),
        (B, "{{处理意见}}"),
        (B, "本意见依据{{依据}}作出。"),
        (B, "{{复查复核告知}}"),
    ],
    NoticeKind.RECHECK_OPINION: [
        (
            B,
            "{{人称}}就“{{事项标题}}”信访事项（信访件编号：{{信访件编号}}）提出的复核请求"
            "收悉。本机关依法进行了复核，现将复核意见告知如下：",
        ),
        *REQUEST_AND_FACTS,
        (H, "二、复核意见及依据"),
        (B, "{{正文}}"),
        (B, "{{处理意见}}"),
        (B, "本意见依据{{依据}}作出。"),
        (
            B,
            "根据《信访工作条例》第三十六条的规定，{{人称}}对复核意见不服，"
            "仍以同一事实和理由提出信访请求的，不再受理。",
        ),
    ],
    NoticeKind.COMPLETION_REPORT: [
        (
            B,
            "你单位交办的{{信访人}}反映的“{{事项标题}}”信访事项（信访件编号：{{信访件编号}}），"
            "本单位已办理完毕。现将办理结果报告如下：",
        ),
        (B, "{{正文}}"),
        (B, "办理依据：{{依据}}"),
        (B, "特此报告。"),
    ],
    # 集中交办 (issue 4): one letter per receiving unit listing its cases; each case also has
    # its own 交办单 from the single-case step.
    NoticeKind.BATCH_ASSIGNMENT: [
        (
            B,
            "现将{{事项件数}}件信访事项集中交由你单位办理。根据《信访工作条例》第二十二条的"
            "规定，请逐件依法办理，并于{{期限}}前将每件事项的办理结果和办结报告报送本机关。",
        ),
        (B, "交办要求："),
        (B, "{{正文}}"),
        (B, BATCH_LIST_LEAD),
        (B, "{{事项清单}}"),
        (
            B,
            "如认为其中某件事项不属于你单位职权范围，请自收到之日起5个工作日内就该件事项"
            "向本机关提出异议，详细说明理由。",
        ),
        (B, "特此交办。"),
    ],
}


def _build(kind: NoticeKind) -> bytes:
    document = layout.new_document()
    center = WD_ALIGN_PARAGRAPH.CENTER
    if kind in LETTER_KINDS:
        # 信函格式: the organ's name in red over a red double line, the 文号 on the right.
        layout.add_paragraph(document, layout.ORGAN_MARK, "{{发文单位}}")
        layout.add_paragraph(document, layout.DOC_NUMBER, "{{文号}}")
        layout.add_paragraph(document, layout.BODY)
        layout.add_paragraph(document, layout.TITLE, TITLES[kind])
    else:
        layout.add_paragraph(document, layout.TITLE, TITLES[kind])
        layout.add_paragraph(document, layout.DOC_NUMBER, "{{文号}}", align=center)
    layout.add_paragraph(document, layout.BODY)
    layout.add_paragraph(document, layout.SALUTATION, "{{主送}}：")
    paragraphs = [layout.add_paragraph(document, style, text) for style, text in BODIES[kind]]
    # Two empty lines: room for the seal, whose top must come within a line of the text.
    spacers = [layout.add_paragraph(document, layout.BODY) for _ in range(2)]
    signature = layout.add_paragraph(document, layout.SIGN_UNIT, "{{发文单位}}")
    layout.add_paragraph(document, layout.SIGN_DATE, "{{成文日期}}")
    # The seal and date never stand alone on a page (GB/T 9704 7.3.5.4).
    for paragraph in [paragraphs[-1], *spacers, signature]:
        paragraph.paragraph_format.keep_with_next = True
    # A list's lead-in never ends a page without the list (集中交办单).
    for paragraph in paragraphs:
        if paragraph.text == BATCH_LIST_LEAD:
            paragraph.paragraph_format.keep_with_next = True
    document.core_properties.title = TITLES[kind]
    document.core_properties.author = "信访事项办理系统"
    document.core_properties.comments = ""
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@cache
def builtin_template(kind: NoticeKind) -> bytes:
    """The built-in template of ``kind`` as .docx bytes (built once per process)."""
    return _build(NoticeKind(kind))
