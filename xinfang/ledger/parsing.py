"""Turning one ledger row into the inputs of ``register_case``, or into the reasons it can't be.

Values arrive as Excel left them: dates as dates, as serial numbers (45047) or as text in the
usual forms (2023-05-01, 2023/5/1, 2023.5.1, 2023年5月1日, 20230501, with or without a time,
full-width digits too); ID numbers as text, or as numbers Excel has already rounded; category
and region as names or codes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.utils import timezone
from openpyxl.utils.datetime import from_excel

from xinfang.accounts.models import Region, Unit
from xinfang.cases.enums import Channel, HandlingCategory
from xinfang.cases.models import ContentCategory
from xinfang.cases.services import CaseInput, ContactInput, PetitionerInput
from xinfang.core.validators import validate_id_number, validate_phone
from xinfang.ledger.enums import LedgerField
from xinfang.ledger.reading import Row, Value, cell_text

F = LedgerField
T = TypeVar("T")
EARLIEST = dt.date(1990, 1, 1)
ANONYMOUS = "匿名"
LIMITS = {
    F.EXTERNAL_ID: 60,
    F.TITLE: 200,
    F.REQUEST: 10_000,
    F.FACTS: 50_000,
    F.NAME: 50,
    F.ADDRESS: 200,
    F.REPLY: 50_000,
}
_DATE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:\s*[tT\s]\s*(\d{1,2})\s*[:：时]\s*(\d{1,2})\s*分?"
    r"(?:\s*[:：]?\s*(\d{1,2})(?:\.\d+)?\s*秒?)?)?$"
)
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_SERIAL = (32874, 73051)  # 1990-01-01 … 2100-01-01 as Excel serial numbers
CHANNEL_WORDS = {
    "走访": Channel.VISIT, "来访": Channel.VISIT, "上访": Channel.VISIT,
    "来信": Channel.LETTER, "信件": Channel.LETTER, "写信": Channel.LETTER,
    "网上": Channel.ONLINE, "网络": Channel.ONLINE, "网上信访": Channel.ONLINE,
    "留言": Channel.ONLINE, "网站": Channel.ONLINE, "网信": Channel.ONLINE,
    "来电": Channel.PHONE, "电话": Channel.PHONE, "热线": Channel.PHONE,
    "传真": Channel.FAX,
}  # fmt: skip
HANDLING_WORDS = {
    "建议": HandlingCategory.SUGGESTION, "意见": HandlingCategory.SUGGESTION,
    "检举": HandlingCategory.ACCUSATION, "控告": HandlingCategory.ACCUSATION,
    "举报": HandlingCategory.ACCUSATION, "申诉": HandlingCategory.CLAIM,
    "求决": HandlingCategory.CLAIM,
}  # fmt: skip
TRUE_WORDS = {"是", "涉法", "涉法涉诉", "y", "yes", "true", "1", "√", "✓"}
FALSE_WORDS = {"否", "不涉法", "n", "no", "false", "0", "×", "无"}


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().lower()


def parse_when(value: Value, *, today: dt.date) -> dt.datetime:
    """A date (and time) in any of the usual forms; ValidationError in Chinese otherwise."""
    moment: dt.datetime | None = None
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time())
    elif isinstance(value, int | float) and not isinstance(value, bool):
        moment = _from_number(float(value))
    elif isinstance(value, str):
        moment = _from_text(_fold(value))
    if moment is None:
        raise ValidationError(f"无法识别的日期：{cell_text(value)[:30]}")
    moment = moment.replace(tzinfo=None, microsecond=0)
    if moment.date() < EARLIEST:
        raise ValidationError(f"日期早于 {EARLIEST.year} 年：{moment:%Y-%m-%d}")
    if moment.date() > today:
        raise ValidationError(f"日期晚于今天：{moment:%Y-%m-%d}")
    return moment


def _from_number(number: float) -> dt.datetime | None:
    if _SERIAL[0] <= number < _SERIAL[1]:
        converted = from_excel(number)
        return converted if isinstance(converted, dt.datetime) else None
    if number.is_integer():
        return _from_text(str(int(number)))  # 20230501 typed as a number
    return None


def _from_text(text: str) -> dt.datetime | None:
    if re.fullmatch(r"\d+(\.\d+)?", text) and not _COMPACT.match(text):
        return _from_number(float(text))  # a serial number kept as text
    match = _DATE.match(text) or _COMPACT.match(text)
    if match is None:
        return None
    parts = [int(part) if part else 0 for part in match.groups()]
    year, month, day, hour, minute, second = [*parts, 0, 0, 0][:6]
    try:
        return dt.datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None


def parse_id_number(value: Value, *, today: dt.date) -> str:
    if isinstance(value, float | int) and not isinstance(value, bool):
        raise ValidationError(
            "身份证号被 Excel 存成了数字（末几位已丢失），请将该列设为“文本”后重新录入。"
        )
    return validate_id_number(cell_text(value), today=today)


def parse_flag(value: Value) -> bool:
    if isinstance(value, bool):
        return value
    text = _fold(cell_text(value))
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS or not text:
        return False
    raise ValidationError(f"涉法涉诉应填“是”或“否”，而不是“{text[:10]}”")


def parse_people(value: Value) -> int:
    text = cell_text(value)
    if not re.fullmatch(r"\d{1,6}", text) or int(text) < 1:
        raise ValidationError(f"人数应为正整数，而不是“{text[:10]}”")
    return int(text)


@cache
def _choice_names(choices: type[Channel] | type[HandlingCategory]) -> dict[str, str]:
    """Code and label (folded) → code; built once (labels are translated on first use)."""
    names: dict[str, str] = {}
    for code, label in reversed(choices.choices):  # the first choice wins a shared name
        names[_fold(str(label))] = str(code)
        names[str(code)] = str(code)
    return names


def _choice(
    value: Value,
    words: Mapping[str, str],
    choices: type[Channel] | type[HandlingCategory],
    what: str,
) -> str:
    text = _fold(cell_text(value))
    found = _choice_names(choices).get(text)
    if found is not None:
        return found
    for word, code in words.items():
        if word in text:
            return str(code)
    raise ValidationError(f"无法识别的{what}：{text[:20]}")


# --- code tables ---------------------------------------------------------------------------------


@dataclass
class CodeTable:
    """Rows of a code table by code and by name, loaded once per import."""

    what: str
    by_code: dict[str, int] = field(default_factory=dict)
    by_name: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))

    def find(self, value: Value) -> int:
        text = _fold(cell_text(value))
        if text in self.by_code:
            return self.by_code[text]
        found = self.by_name.get(text, [])
        if len(found) == 1:
            return found[0]
        if found:
            raise ValidationError(f"“{text[:20]}”对应多个{self.what}，请填写代码")
        raise ValidationError(f"“{text[:20]}”不在{self.what}代码表中")


def category_table() -> CodeTable:
    table = CodeTable("内容分类")
    for pk, code, name in ContentCategory.objects.filter(is_active=True).values_list(
        "pk", "code", "name"
    ):
        table.by_code[_fold(code)] = pk
        table.by_name[_fold(name)].append(pk)
    return table


def region_table() -> CodeTable:
    table = CodeTable("问题属地")
    for pk, code, name in Region.objects.values_list("pk", "code", "name").iterator(2000):
        table.by_code[_fold(code)] = pk
        table.by_name[_fold(name)].append(pk)
    return table


# --- a row ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Defaults:
    """What a row takes when its column is not mapped or its cell is empty."""

    channel: str
    handling_category: str
    content_category_id: int | None
    region_id: int | None
    reception_unit: Unit


@dataclass
class ParsedRow:
    number: int
    key: str
    contact: ContactInput
    case: CaseInput
    petitioner: PetitionerInput
    reply: str
    replied_on: dt.date | None


@dataclass
class RowProblem:
    number: int
    reasons: list[str]


class RowParser:
    """Parses rows of one import: mapping (field → column index), defaults, code tables."""

    def __init__(
        self,
        columns: Mapping[str, int],
        defaults: Defaults,
        *,
        categories: CodeTable,
        regions: CodeTable,
        today: dt.date | None = None,
    ) -> None:
        self.columns = {LedgerField(name): index for name, index in columns.items()}
        self.defaults = defaults
        self.categories = categories
        self.regions = regions
        self.today = today or timezone.localdate()
        self._categories = {c.pk: c for c in ContentCategory.objects.filter(is_active=True)}
        self._regions: dict[int, Region] = {}

    @property
    def search_columns(self) -> list[int | None]:
        """The columns of a case's searchable fields (``CaseText`` order: title, request,
        facts and reasons, reply); None where not mapped."""
        return [self.columns.get(name) for name in (F.TITLE, F.REQUEST, F.FACTS, F.REPLY)]

    def value(self, row: Row, name: LedgerField) -> Value:
        return row.get(self.columns.get(name))

    def text(
        self, row: Row, name: LedgerField, errors: list[str], *, required: bool = False
    ) -> str:
        text = cell_text(self.value(row, name))
        if required and not text:
            errors.append(f"{name.label}为空")
        limit = LIMITS.get(name)
        if limit and len(text) > limit:
            errors.append(f"{name.label}超过 {limit} 字（{len(text)} 字）")
        return text

    def parse(self, row: Row) -> ParsedRow | RowProblem:
        errors: list[str] = []
        title = self.text(row, F.TITLE, errors, required=True)
        request = self.text(row, F.REQUEST, errors, required=True)
        facts = self.text(row, F.FACTS, errors)
        name = self.text(row, F.NAME, errors) or ANONYMOUS
        address = self.text(row, F.ADDRESS, errors)
        reply = self.text(row, F.REPLY, errors)
        external = self.text(row, F.EXTERNAL_ID, errors)
        if self.value(row, F.RECEIVED) is None:
            errors.append("收到时间为空")
        received = self._optional(
            row, F.RECEIVED, errors, lambda v: parse_when(v, today=self.today)
        )
        replied = self._optional(row, F.REPLIED, errors, lambda v: parse_when(v, today=self.today))
        id_number = self._optional(
            row, F.ID_NUMBER, errors, lambda v: parse_id_number(v, today=self.today)
        )
        phone = self._optional(row, F.PHONE, errors, lambda v: validate_phone(cell_text(v)))
        people = self._optional(row, F.PEOPLE, errors, parse_people) or 1
        litigation = self._optional(row, F.LITIGATION, errors, parse_flag) or False
        channel = (
            self._optional(
                row, F.CHANNEL, errors, lambda v: _choice(v, CHANNEL_WORDS, Channel, "来源渠道")
            )
            or self.defaults.channel
        )
        handling = (
            self._optional(
                row,
                F.HANDLING,
                errors,
                lambda v: _choice(v, HANDLING_WORDS, HandlingCategory, "处理类别"),
            )
            or self.defaults.handling_category
        )
        category_id = self._coded(row, F.CATEGORY, errors, self.categories)
        if category_id is None:
            category_id = self.defaults.content_category_id
        region_id = self._coded(row, F.REGION, errors, self.regions)
        if region_id is None:
            region_id = self.defaults.region_id
        if category_id is None and self._empty(row, F.CATEGORY):
            errors.append("内容分类为空，且未设默认内容分类")
        if region_id is None and self._empty(row, F.REGION):
            errors.append("问题属地为空，且未设默认问题属地")
        if received is not None and replied is not None and replied < received:
            errors.append("答复时间早于收到时间")
        if errors or received is None or category_id is None or region_id is None:
            return RowProblem(row.number, errors)
        return ParsedRow(
            number=row.number,
            key=row_key(external, title, request, received, name),
            contact=ContactInput(
                channel=Channel(channel),
                occurred_at=timezone.make_aware(received),
                reception_unit=self.defaults.reception_unit,
                people_count=people,
            ),
            case=CaseInput(
                handling_category=HandlingCategory(handling),
                content_category=self._categories[category_id],
                region=self._region(region_id),
                title=title,
                request=request,
                facts_reasons=facts,
                involves_litigation=litigation,
            ),
            petitioner=PetitionerInput(
                name=name,
                id_number=id_number or "",
                phone=phone or "",
                address=address,
            ),
            reply=reply,
            replied_on=replied.date() if replied is not None else None,
        )

    def _optional(
        self, row: Row, name: LedgerField, errors: list[str], parse: Callable[[Value], T]
    ) -> T | None:
        """The parsed cell, or None when it is empty; a bad value adds its reason."""
        if self._empty(row, name):
            return None
        try:
            return parse(self.value(row, name))
        except ValidationError as error:
            errors.append(f"{name.label}：{error.messages[0]}")
            return None

    def _empty(self, row: Row, name: LedgerField) -> bool:
        value = self.value(row, name)
        return value is None or (isinstance(value, str) and not value.strip())

    def _coded(
        self, row: Row, name: LedgerField, errors: list[str], table: CodeTable
    ) -> int | None:
        return self._optional(row, name, errors, table.find)

    def _region(self, pk: int) -> Region:
        if pk not in self._regions:
            self._regions[pk] = Region.objects.get(pk=pk)
        return self._regions[pk]


def row_key(external: str, title: str, request: str, received: dt.datetime, name: str) -> str:
    """The stable key of a row within its source: the ledger's own number when it has one,
    else a digest of what makes the row this row."""
    if external:
        return "id:" + _fold(external)[:70]
    content = "\x1f".join([_fold(title), _fold(request), received.isoformat(), _fold(name)])
    return "sha:" + hashlib.sha256(content.encode()).hexdigest()[:60]
