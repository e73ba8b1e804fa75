from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("待对应列")
    MAPPED = "mapped", _("待预览")
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("导入中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")
    CANCELLED = "cancelled", _("已取消")


ACTIVE_STATUSES = frozenset({ImportStatus.QUEUED, ImportStatus.RUNNING})


class LedgerField(models.TextChoices):
    """What a ledger column can fill. The label is what the mapping page shows."""

    EXTERNAL_ID = "external_id", _("原编号")
    TITLE = "title", _("标题")
    REQUEST = "request", _("诉求/内容")
    FACTS = "facts_reasons", _("事实和理由")
    RECEIVED = "received", _("收到时间")
    NAME = "name", _("信访人姓名")
    ID_NUMBER = "id_number", _("身份证号")
    PHONE = "phone", _("联系电话")
    ADDRESS = "address", _("住址")
    PEOPLE = "people_count", _("人数")
    CHANNEL = "channel", _("来源渠道")
    HANDLING = "handling_category", _("处理类别")
    CATEGORY = "content_category", _("内容分类")
    REGION = "region", _("问题属地")
    LITIGATION = "involves_litigation", _("涉法涉诉")
    REPLY = "reply", _("答复意见")
    REPLIED = "replied", _("答复时间")


REQUIRED_FIELDS = (LedgerField.TITLE, LedgerField.REQUEST, LedgerField.RECEIVED)

# Header words that suggest a field (first match wins, in this order). Compared after removing
# spaces and punctuation; a header containing one of these words is a candidate.
SYNONYMS: dict[LedgerField, tuple[str, ...]] = {
    LedgerField.EXTERNAL_ID: ("留言编号", "原编号", "信访件编号", "编号", "件号", "序号", "id"),
    LedgerField.REPLIED: ("答复时间", "答复日期", "回复时间", "办结时间", "办结日期"),
    LedgerField.REPLY: ("答复意见", "答复内容", "回复内容", "处理意见", "办理结果", "答复"),
    LedgerField.TITLE: ("留言主题", "标题", "主题", "事由", "摘要", "简要内容"),
    LedgerField.FACTS: ("事实和理由", "事实与理由", "事实理由", "情况说明"),
    LedgerField.REQUEST: ("留言详情", "诉求", "信访内容", "内容", "详情", "反映问题", "请求"),
    LedgerField.RECEIVED: (
        "留言时间",
        "收到日期",
        "收到时间",
        "登记日期",
        "登记时间",
        "来访日期",
        "来信日期",
        "信访日期",
        "日期",
        "时间",
    ),
    LedgerField.ID_NUMBER: ("身份证号", "身份证", "证件号码", "证件号"),
    LedgerField.PHONE: ("联系电话", "电话", "手机", "联系方式"),
    LedgerField.ADDRESS: ("住址", "地址", "通讯地址", "家庭住址"),
    LedgerField.NAME: ("信访人", "姓名", "留言用户", "来访人", "来信人", "反映人", "用户"),
    LedgerField.PEOPLE: ("人数", "来访人数"),
    LedgerField.CHANNEL: ("渠道", "来源", "信访形式", "方式"),
    LedgerField.HANDLING: ("处理类别", "类别"),
    LedgerField.CATEGORY: ("内容分类", "一级分类", "问题分类", "分类"),
    LedgerField.REGION: ("问题属地", "属地", "区划", "地区", "所在地"),
    LedgerField.LITIGATION: ("涉法涉诉", "涉法"),
}
