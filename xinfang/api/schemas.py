"""Request and response bodies of the JSON API (v1).

Input models forbid unknown fields and say what is wrong in Chinese; output models are built
explicitly from the rows the case queries return, so nothing leaves by accident.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from enum import Enum
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from xinfang.cases.enums import (
    CaseStatus,
    Channel,
    ClaimRoute,
    DeadlineTier,
    EventKind,
    HandlingCategory,
    PetitionForm,
)
from xinfang.cases.forms import MAX_PETITIONERS
from xinfang.cases.models import Case, CaseEvent, CasePetitioner, Contact
from xinfang.cases.queries import Cursor
from xinfang.core.validators import mask_id_number, mask_phone, validate_id_number, validate_phone

MAX_PEOPLE = 100_000
MAX_PAGE_SIZE = 100
EARLIEST_CONTACT = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
CLOCK_SKEW = dt.timedelta(minutes=5)
_ALLOWED_CONTROLS = frozenset("\t\n\r")
_DATE_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_DATETIME_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}", re.ASCII)


# --- validators: every message a person reads is Chinese ----------------------------------


def _invalid(reason: str) -> PydanticCustomError:
    # The reason goes in the context, not the template: a brace in it must not be formatted.
    return PydanticCustomError("xf_invalid", "{reason}", {"reason": reason})


def _clean_text(value: str) -> str:
    """No control characters (PostgreSQL refuses NUL) and no lone surrogates (not UTF-8)."""
    if any(unicodedata.category(ch) == "Cc" and ch not in _ALLOWED_CONTROLS for ch in value):
        raise _invalid("不能包含控制字符。")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise _invalid("包含无效的字符。") from None
    return value


def _single_line(value: str) -> str:
    value = _clean_text(value)
    if any(ch in _ALLOWED_CONTROLS for ch in value):
        raise _invalid("不能包含换行或制表符。")
    return value


def _choice(enum: type[Enum], *, blank_is_none: bool = False) -> BeforeValidator:
    """Accept exactly the enumeration's values (no coercion) and list them when refusing."""

    def check(value: Any) -> Any:
        if blank_is_none and value in (None, ""):
            return None
        allowed = {member.value for member in enum}
        # bool is an int: true must not pass for route 1. Lists and dicts are not hashable.
        if not isinstance(value, str | int) or isinstance(value, bool) or value not in allowed:
            choices = "、".join(f"{member.value}（{member.label}）" for member in enum)  # type: ignore[attr-defined]
            raise PydanticCustomError(
                "xf_choice", "取值无效，应为以下之一：{choices}。", {"choices": choices}
            )
        return value

    return BeforeValidator(check)


def _from_django(validate: Callable[[str], str]) -> Callable[[str], str]:
    """Run one of our Django validators; an empty value means "not given"."""

    def check(value: str) -> str:
        if not value:
            return ""
        try:
            return validate(value)
        except DjangoValidationError as error:
            raise _invalid("；".join(error.messages)) from None

    return check


def _digits(value: str) -> str:
    if value and not value.isdigit():
        raise _invalid("区划代码应为数字。")
    return value


def _datetime_text(value: Any) -> Any:
    """Only ISO 8601 text with a time: a number, even as text ("1758000000"), would silently
    be read as a Unix timestamp, and a bare date as midnight."""
    if value is not None and not (isinstance(value, str) and _DATETIME_SHAPE.match(value)):
        raise _invalid("应为 ISO 8601 格式的日期时间，如 2026-09-20T09:30:00+08:00。")
    return value


def _date_text(value: Any) -> Any:
    """Only YYYY-MM-DD: pydantic would read "0" as 1970-01-01 and accept a date-time."""
    if value is not None and not (isinstance(value, str) and _DATE_SHAPE.fullmatch(value)):
        raise _invalid("应为日期，格式 YYYY-MM-DD。")
    return value


def _contact_time(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    # The year first: no offset arithmetic on dates next to datetime.min.
    if value.year < EARLIEST_CONTACT.year or value < EARLIEST_CONTACT:
        raise _invalid("时间不合理，请核对。")
    if value > timezone.now() + CLOCK_SKEW:
        raise _invalid("时间不能晚于现在。")
    return value


def _cursor(value: str) -> str:
    if not value:
        return ""
    cursor = Cursor.decode(value)
    if (
        cursor is None
        or timezone.is_naive(cursor.registered_at)
        or not 1900 < cursor.registered_at.year < 9999
        or not 0 < cursor.id < 2**63
    ):
        raise _invalid("分页游标无效，请从第一页重新开始。")
    return value


def _stripped(*, max_length: int, required: bool = True) -> StringConstraints:
    return StringConstraints(strip_whitespace=True, min_length=int(required), max_length=max_length)


PersonName = Annotated[str, _stripped(max_length=50), AfterValidator(_single_line)]
Address = Annotated[str, _stripped(max_length=200, required=False), AfterValidator(_single_line)]
Title = Annotated[str, _stripped(max_length=200), AfterValidator(_single_line)]
Request = Annotated[str, _stripped(max_length=10_000), AfterValidator(_clean_text)]
FactsReasons = Annotated[
    str, _stripped(max_length=50_000, required=False), AfterValidator(_clean_text)
]
Code = Annotated[str, _stripped(max_length=20), AfterValidator(_single_line)]
RegionCode = Annotated[str, _stripped(max_length=12), AfterValidator(_digits)]
ChannelIn = Annotated[Channel, _choice(Channel)]
HandlingCategoryIn = Annotated[HandlingCategory, _choice(HandlingCategory)]
ClaimRouteIn = Annotated[ClaimRoute, _choice(ClaimRoute)]


# --- input ----------------------------------------------------------------------------------


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PetitionerIn(Strict):
    name: PersonName = Field(title="姓名")
    id_number: Annotated[
        str,
        StringConstraints(strip_whitespace=True, max_length=32),
        AfterValidator(_from_django(validate_id_number)),
    ] = Field("", title="身份证号", description="GB 11643 十八位，含校验位")
    phone: Annotated[
        str,
        StringConstraints(strip_whitespace=True, max_length=20),
        AfterValidator(_from_django(validate_phone)),
    ] = Field("", title="联系电话", description="手机11位或固定电话，如 0731-12345678")
    address: Address = Field("", title="住址")
    is_representative: StrictBool = Field(False, title="是否代表")


class CaseIn(Strict):
    """登记一件信访事项：来访（来信、来电）情况、信访人和事项内容。"""

    channel: ChannelIn = Field(title="来源渠道")
    occurred_at: Annotated[
        dt.datetime | None, BeforeValidator(_datetime_text), AfterValidator(_contact_time)
    ] = Field(None, title="来访/收信时间", description="缺省为当前时间；不带时区按本地时间")
    reception_unit: Code | None = Field(
        None, title="接待/收件单位代码", description="缺省为本人所在单位"
    )
    people_count: Annotated[StrictInt, Field(ge=1, le=MAX_PEOPLE)] = Field(title="人数")
    skipped_level: StrictBool = Field(False, title="越级")
    handling_category: HandlingCategoryIn = Field(title="处理类别")
    claim_route: ClaimRouteIn | None = Field(
        None, title="申诉求决途径", description="仅申诉求决类事项填写"
    )
    content_category: Code = Field(title="内容分类代码")
    involves_litigation: StrictBool = Field(False, title="涉法涉诉")
    region: RegionCode = Field(title="问题属地区划代码")
    title: Title = Field(title="标题")
    request: Request = Field(title="诉求")
    facts_reasons: FactsReasons = Field("", title="事实和理由")
    petitioners: Annotated[list[PetitionerIn], Field(min_length=1, max_length=MAX_PETITIONERS)] = (
        Field(title="信访人")
    )

    @field_validator("claim_route")
    @classmethod
    def route_only_for_claims(
        cls, value: ClaimRoute | None, info: ValidationInfo
    ) -> ClaimRoute | None:
        category = info.data.get("handling_category")  # absent when it was itself invalid
        if value is not None and category is not None and category != HandlingCategory.CLAIM:
            raise _invalid("只有申诉求决类事项才选择途径。")
        return value

    @field_validator("petitioners")
    @classmethod
    def one_person_once(cls, value: list[PetitionerIn]) -> list[PetitionerIn]:
        numbers = [person.id_number for person in value if person.id_number]
        if len(numbers) != len(set(numbers)):
            raise _invalid("同一身份证号重复登记，请检查信访人列表。")
        return value


class CaseListQuery(BaseModel):
    # Literal[""]: a filter form sends its blank choice as "" (read as "any"); the validator
    # turns it into None, and the schema says so.
    status: Annotated[CaseStatus | Literal[""] | None, _choice(CaseStatus, blank_is_none=True)] = (
        Field(None, title="状态", description="空值表示不限")
    )
    channel: Annotated[Channel | Literal[""] | None, _choice(Channel, blank_is_none=True)] = Field(
        None, title="来源渠道", description="空值表示不限"
    )
    region: Annotated[
        str, StringConstraints(strip_whitespace=True, max_length=12), AfterValidator(_digits)
    ] = Field("", title="问题属地区划代码（前缀匹配，含下级）")
    category: Annotated[
        str, StringConstraints(strip_whitespace=True, max_length=20), AfterValidator(_single_line)
    ] = Field("", title="内容分类代码（前缀匹配，含下级）")
    received_from: Annotated[dt.date | None, BeforeValidator(_date_text)] = Field(
        None, title="收到日期自", description="YYYY-MM-DD"
    )
    received_to: Annotated[dt.date | None, BeforeValidator(_date_text)] = Field(
        None, title="收到日期至", description="YYYY-MM-DD"
    )
    cursor: Annotated[str, StringConstraints(max_length=200), AfterValidator(_cursor)] = Field(
        "", title="分页游标", description="上一页返回的 next_cursor；缺省为第一页"
    )
    size: Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)] = Field(50, title="每页条数")


# --- output ---------------------------------------------------------------------------------


class CodeLabel(BaseModel):
    code: str
    label: str

    @classmethod
    def of(cls, enum: type[Enum], value: str) -> CodeLabel:
        return cls(code=value, label=str(enum(value).label))  # type: ignore[attr-defined]


class RouteOut(BaseModel):
    code: int
    label: str


class NamedCode(BaseModel):
    code: str
    name: str


class CaseListItem(BaseModel):
    """One row of the list. Deliberately without any personal data."""

    number: str
    title: str
    channel: CodeLabel
    form: CodeLabel
    people_count: int
    status: CodeLabel
    involves_litigation: bool
    received_on: dt.date
    registered_at: dt.datetime
    region: str
    category: str
    registering_unit: str
    handling_unit: str | None
    contact_count: int

    @classmethod
    def of(cls, case: Case) -> CaseListItem:
        # Only the columns cases.queries selects for lists: anything else is one query per row.
        return cls(
            number=case.number,
            title=case.title,
            channel=CodeLabel.of(Channel, case.channel),
            form=CodeLabel.of(PetitionForm, case.form),
            people_count=case.people_count,
            status=CodeLabel.of(CaseStatus, case.status),
            involves_litigation=case.involves_litigation,
            received_on=case.received_on,
            registered_at=case.registered_at,
            region=case.region.name,
            category=case.content_category.name,
            registering_unit=case.registering_unit.name,
            handling_unit=case.handling_unit.name if case.handling_unit else None,
            contact_count=case.contact_count,
        )


class CasePageOut(BaseModel):
    items: list[CaseListItem]
    next_cursor: str | None = Field(description="下一页的游标；为 null 表示已是最后一页")


class PetitionerOut(BaseModel):
    name: str
    id_number_masked: str = Field(description="已脱敏，如 110***********1234；未登记为空")
    phone_masked: str = Field(description="已脱敏，如 139****5678；未登记为空")
    is_representative: bool

    @classmethod
    def of(cls, link: CasePetitioner) -> PetitionerOut:
        person = link.petitioner
        id_number = person.decrypt("id_number")
        phone = person.decrypt("phone")
        return cls(
            name=person.name,
            id_number_masked=mask_id_number(id_number) if id_number else "",
            phone_masked=mask_phone(phone) if phone else "",
            is_representative=link.is_representative,
        )


class ContactOut(BaseModel):
    occurred_at: dt.datetime
    channel: CodeLabel
    reception_unit: str
    people_count: int
    representative_count: int
    is_collective: bool
    is_repeat: bool
    skipped_level: bool
    involves_litigation: bool

    @classmethod
    def of(cls, contact: Contact) -> ContactOut:
        return cls(
            occurred_at=contact.occurred_at,
            channel=CodeLabel.of(Channel, contact.channel),
            reception_unit=contact.reception_unit.name,
            people_count=contact.people_count,
            representative_count=contact.representative_count,
            is_collective=contact.is_collective,
            is_repeat=contact.is_repeat,
            skipped_level=contact.skipped_level,
            involves_litigation=contact.involves_litigation,
        )


class EventOut(BaseModel):
    kind: CodeLabel
    occurred_at: dt.datetime
    actor: str

    @classmethod
    def of(cls, event: CaseEvent) -> EventOut:
        return cls(
            kind=CodeLabel.of(EventKind, event.kind),
            occurred_at=event.occurred_at,
            actor=str(event.actor),
        )


class CaseDetailOut(BaseModel):
    number: str
    title: str
    channel: CodeLabel
    form: CodeLabel
    people_count: int
    status: CodeLabel
    handling_category: CodeLabel
    claim_route: RouteOut | None
    content_category: NamedCode
    involves_litigation: bool
    region: NamedCode
    request: str
    facts_reasons: str
    received_on: dt.date
    registered_at: dt.datetime
    registering_unit: NamedCode
    handling_unit: NamedCode | None
    cooperating_units: list[NamedCode] = Field(description="协办单位")
    accused_unit: NamedCode | None = Field(description="被检举控告单位（检举控告类）")
    accuser_withheld: bool = Field(
        description="本单位是被检举控告单位或其下属单位：信访人、诉求、事实和理由依法不提供"
        "（第三十条、第四十六条）"
    )
    contact_count: int
    version: int = Field(description="提交办理步骤时原样带回，用于防止覆盖他人的修改")
    due_on: dt.date | None = Field(description="当前环节的办理期限")
    due_explanation: str = Field(description="期限如何计算")
    due_provisional: bool = Field(description="期限所在年度节假日安排未公布，暂定")
    tier: CodeLabel = Field(description="预警等级：正常、临期、超期、严重超期")
    petitioners: list[PetitionerOut]
    contacts: list[ContactOut]
    events: list[EventOut]

    @classmethod
    def of(cls, case: Case, *, accuser_withheld: bool) -> CaseDetailOut:
        """``accuser_withheld`` from ``access.may_see_petitioner``; the petitioners of such a
        case are not even loaded (``case_for_detail``)."""
        route = ClaimRoute(case.claim_route) if case.claim_route is not None else None
        handling, accused = case.handling_unit, case.accused_unit
        return cls(
            number=case.number,
            title=case.title,
            channel=CodeLabel.of(Channel, case.channel),
            form=CodeLabel.of(PetitionForm, case.form),
            people_count=case.people_count,
            status=CodeLabel.of(CaseStatus, case.status),
            version=case.version,
            due_on=case.due_on,
            due_explanation=case.due_explanation,
            due_provisional=case.due_provisional,
            tier=CodeLabel.of(DeadlineTier, case.tier),
            handling_category=CodeLabel.of(HandlingCategory, case.handling_category),
            claim_route=RouteOut(code=route.value, label=str(route.label)) if route else None,
            content_category=NamedCode(
                code=case.content_category.code, name=case.content_category.name
            ),
            involves_litigation=case.involves_litigation,
            region=NamedCode(code=case.region.code, name=case.region.name),
            request="" if accuser_withheld else case.request,
            facts_reasons="" if accuser_withheld else case.facts_reasons,
            received_on=case.received_on,
            registered_at=case.registered_at,
            registering_unit=NamedCode(
                code=case.registering_unit.code, name=case.registering_unit.name
            ),
            handling_unit=NamedCode(code=handling.code, name=handling.name) if handling else None,
            cooperating_units=[
                NamedCode(code=link.unit.code, name=link.unit.name)
                for link in case.unit_links.all()
            ],
            accused_unit=NamedCode(code=accused.code, name=accused.name) if accused else None,
            accuser_withheld=accuser_withheld,
            contact_count=case.contact_count,
            petitioners=[PetitionerOut.of(link) for link in case.case_petitioners.all()],
            contacts=[ContactOut.of(contact) for contact in case.contacts.all()],
            events=[EventOut.of(event) for event in case.events.all()],
        )


class RegistrationOut(BaseModel):
    number: str = Field(title="信访件编号")
    query_code: str | None = Field(
        title="查询码",
        description="只在首次创建（201）时返回，请告知信访人；重放（200）时为 null",
    )
    warnings: list[str] = Field(title="提示")


class FieldErrorOut(BaseModel):
    field: str = Field(description="出错的字段，如 petitioners.0.id_number；空表示整个请求")
    message: str


class ErrorOut(BaseModel):
    detail: str
    errors: list[FieldErrorOut] = Field(default_factory=list)


class StepIn(BaseModel):
    """One procedure step. ``fields`` are the step's form fields as on the case page (units by
    their 单位代码, dates as YYYY-MM-DD, opinions as request_1/outcome_1/reasoning_1 …)."""

    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1, description="详情中的 version：事项已被他人修改时返回 409")
    fields: dict[str, str | int] = Field(default_factory=dict, max_length=40)


class StepOut(BaseModel):
    number: str
    status: CodeLabel
    version: int
    due_on: dt.date | None
    documents: list[str] = Field(description="本步骤生成的文书文号")
