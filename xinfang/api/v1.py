"""The JSON API, version 1. Each operation is a thin shell around the same queries and
services the HTML pages use: scope through ``cases_visible_to`` (out of scope → 404), check a
named rule (not allowed → 403), validate, call one service.

The schema is served at ``/api/v1/openapi.json`` to token holders. There is no interactive
documentation page: Swagger UI would load its scripts from a CDN, which an intranet forbids.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from ninja import HeaderEx, NinjaAPI, P, Query, Status
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.renderers import JSONRenderer
from pydantic import BaseModel

from xinfang.accounts import rules
from xinfang.accounts.models import Region, Unit, User
from xinfang.api import errors
from xinfang.api.auth import token_auth, token_required
from xinfang.api.schemas import (
    CaseDetailOut,
    CaseIn,
    CaseListItem,
    CaseListQuery,
    CasePageOut,
    CodeLabel,
    ErrorOut,
    RegistrationOut,
    StepIn,
    StepOut,
)
from xinfang.cases import reference, services, workflow
from xinfang.cases.access import may_see_petitioner
from xinfang.cases.enums import CaseStatus, Channel
from xinfang.cases.forms import reception_units_for, regions_for
from xinfang.cases.queries import (
    CaseFilters,
    case_for_detail,
    case_page,
    registrable_categories,
)
from xinfang.cases.step_forms import STEP_FORMS
from xinfang.cases.steps import SERVICES
from xinfang.cases.workflow import TRANSITIONS, Action, ConcurrentChangeError

DESCRIPTION = """信访事项办理系统的 JSON 接口（第 1 版）。

认证：在请求头中携带 `Authorization: Bearer <令牌>`。令牌由管理员用
`manage.py create_api_token 用户名 --name 名称 [--days 天数]` 签发，只显示一次。
可见范围、权限和登记规则与网页完全一致。所有错误返回 `ErrorOut`，信息为中文。
"""

TAG = "信访事项"
_NUMBER_SHAPE = re.compile(r"[^\x00-\x1f\x7f]{1,32}")
RESPONSE_TEXT = {
    200: "成功",
    201: "已登记",
    400: "请求体不是有效的 JSON",
    401: "未认证：没有令牌，或令牌无效、已吊销、已过期",
    403: "您的角色无权执行此操作",
    404: "不存在，或不在您的查看范围内",
    413: "请求体过大",
    422: "数据校验未通过，errors 逐项说明",
    503: "系统繁忙，请按 Retry-After 的秒数稍后再试",
}
#: Any operation may be turned away under overload (xinfang.core.overload).
BUSY: dict[int, Any] = {503: ErrorOut}
RETRY_AFTER = {"description": "建议等待的秒数", "required": True, "schema": {"type": "integer"}}


class ChineseJSONRenderer(JSONRenderer):
    json_dumps_params = {"ensure_ascii": False}  # readable Chinese, and a third smaller


def _documented(responses: dict[int, Any], texts: dict[int, str] | None = None) -> dict[str, Any]:
    """OpenAPI descriptions of each status in Chinese (ninja's defaults are English)."""
    texts = RESPONSE_TEXT | (texts or {})
    documented: dict[int, dict[str, Any]] = {
        code: {"description": texts[code]} for code in responses
    }
    if 503 in documented:
        documented[503]["headers"] = {"Retry-After": RETRY_AFTER}
    return {"responses": documented}


LIST_RESPONSES: dict[int, Any] = {200: CasePageOut, 401: ErrorOut, 422: ErrorOut} | BUSY
DETAIL_RESPONSES: dict[int, Any] = {200: CaseDetailOut, 401: ErrorOut, 404: ErrorOut} | BUSY
REGISTER_RESPONSES: dict[int, Any] = {
    200: RegistrationOut,
    201: RegistrationOut,
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    413: ErrorOut,
    422: ErrorOut,
} | BUSY

api = NinjaAPI(
    title="信访事项办理系统 API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    docs_url=None,
    docs_decorator=token_required,
    auth=token_auth,
    renderer=ChineseJSONRenderer(),
)
errors.install(api)


def _caller(request: HttpRequest) -> User:
    user = getattr(request, "auth", None)
    if not isinstance(user, User):  # unreachable while every operation has token_auth
        raise AuthenticationError
    return user


@api.get(
    "/cases",
    response=LIST_RESPONSES,
    openapi_extra=_documented(LIST_RESPONSES),
    operation_id="list_cases",
    summary="信访事项列表",
    tags=[TAG],
)
def list_cases(request: HttpRequest, filters: Query[CaseListQuery]) -> CasePageOut:
    """本人可见范围内的信访事项，最新登记的在前。用 `next_cursor` 翻页（键集分页）。
    列表不含任何个人信息。未列出的查询参数返回 422。"""
    _refuse_unknown_parameters(request, CaseListQuery)
    page = case_page(
        _caller(request),
        CaseFilters(
            status=filters.status or "",
            channel=filters.channel or "",
            region_code=filters.region,
            category_code=filters.category,
            received_from=filters.received_from,
            received_to=filters.received_to,
        ),
        after=filters.cursor,
        size=filters.size,
    )
    return CasePageOut(
        items=[CaseListItem.of(case) for case in page.cases], next_cursor=page.next_cursor
    )


def _refuse_unknown_parameters(request: HttpRequest, model: type[BaseModel]) -> None:
    """ninja reads only the declared parameters; a misspelt filter (``stauts=closed``) must
    not silently widen the list (SECURITY.md 20: unknown fields are rejected)."""
    unknown = sorted(set(request.GET) - set(model.model_fields))
    if unknown:
        raise NinjaValidationError(
            [{"type": "extra_forbidden", "loc": ("query", name), "msg": ""} for name in unknown]
        )


@api.get(
    "/cases/{number}",
    response=DETAIL_RESPONSES,
    openapi_extra=_documented(DETAIL_RESPONSES),
    operation_id="get_case",
    summary="信访事项详情",
    tags=[TAG],
)
def get_case(request: HttpRequest, number: str) -> CaseDetailOut:
    """一件信访事项及其信访人（身份证号、电话已脱敏）、来访记录和办理过程。
    不存在与不在可见范围内同样返回 404。"""
    if not _NUMBER_SHAPE.fullmatch(number):
        raise Http404
    user = _caller(request)
    case = get_object_or_404(case_for_detail(user, number))
    return CaseDetailOut.of(case, accuser_withheld=not may_see_petitioner(user, case))


@api.post(
    "/cases",
    response=REGISTER_RESPONSES,
    openapi_extra=_documented(REGISTER_RESPONSES, {200: "幂等重放：该键已登记过，返回原编号"}),
    operation_id="register_case",
    summary="登记信访事项",
    tags=[TAG],
)
def register_case(
    request: HttpRequest,
    response: HttpResponse,
    payload: CaseIn,
    idempotency_key: HeaderEx[
        str | None,
        P(
            alias="Idempotency-Key",
            max_length=64,
            pattern=r"^[\x21-\x7e]+$",
            description="幂等键（1–64 个可见 ASCII 字符）：同一用户重放同一键只登记一次，返回 200",
        ),
    ] = None,
) -> Status[RegistrationOut]:
    """只有登记员可以登记。成功返回 201 和查询码（只返回这一次，请告知信访人）；
    带相同 `Idempotency-Key` 重放时返回 200 和已登记的编号，不会重复创建。"""
    user = _caller(request)
    if not rules.can_register_cases(user) or user.unit is None:
        raise PermissionDenied("只有登记员可以登记信访事项。")
    with reference.pinned():  # one read of the reference data's generation for the request
        contact, matter, people = _registration_inputs(user, user.unit, payload)
        result = services.register_case(
            actor=user,
            contact=contact,
            case=matter,
            petitioners=people,
            idempotency_key=_scoped_key(user, idempotency_key),
        )
    response["Location"] = reverse("api-v1:get_case", kwargs={"number": result.case.number})
    if not result.created:
        return Status(200, RegistrationOut(number=result.case.number, query_code=None, warnings=[]))
    return Status(
        201,
        RegistrationOut(
            number=result.case.number, query_code=result.query_code, warnings=result.warnings
        ),
    )


def _scoped_key(user: User, key: str | None) -> str | None:
    """Keys are the caller's own: two programs that both send "1" must not see each other's
    case. Hashed to fit the column, and never equal to a registration page's UUID key."""
    if not key:
        return None
    return "api:" + hashlib.sha256(f"{user.pk}:{key}".encode()).hexdigest()[:60]


def _registration_inputs(
    user: User, unit: Unit, payload: CaseIn
) -> tuple[services.ContactInput, services.CaseInput, list[services.PetitionerInput]]:
    """Codes → rows, from the same choice lists the registration page offers."""
    # Looked up in the same querysets the page uses, kept per process while the reference
    # data stays the same (xinfang.cases.reference); the keys name everything they depend on.
    problems: list[tuple[str, str]] = []
    reception: Unit | None = unit
    if payload.reception_unit is not None:
        code = payload.reception_unit
        reception = reference.kept(
            ("reception_unit", unit.pk, unit.path, code),
            lambda: reception_units_for(user).filter(code=code).first(),
        )
        if reception is None:
            problems.append(("reception_unit", "接待/收件单位不存在，或不是本单位及下属接待点。"))
    region: Region | None = reference.kept(
        ("region", unit.region.code if unit.region else None, payload.region),
        lambda: regions_for(user).filter(code=payload.region).first(),
    )
    if region is None:
        problems.append(("region", "问题属地区划代码不存在，或不在本单位辖区内。"))
    category = reference.kept(
        ("category", payload.content_category),
        lambda: registrable_categories().filter(code=payload.content_category).first(),
    )
    if category is None:
        problems.append(("content_category", "内容分类代码不存在、已停用或不是末级分类。"))
    if problems or reception is None or region is None or category is None:
        raise NinjaValidationError(
            [
                {"type": "xf_invalid", "loc": ("body", "payload", field), "msg": message}
                for field, message in problems
            ]
        )
    contact = services.ContactInput(
        channel=Channel(payload.channel),
        occurred_at=payload.occurred_at or timezone.now(),
        reception_unit=reception,
        people_count=payload.people_count,
        skipped_level=payload.skipped_level,
    )
    matter = services.CaseInput(
        handling_category=payload.handling_category,
        claim_route=payload.claim_route,
        content_category=category,
        involves_litigation=payload.involves_litigation,
        region=region,
        title=payload.title,
        request=payload.request,
        facts_reasons=payload.facts_reasons,
    )
    people = [
        services.PetitionerInput(
            name=person.name,
            id_number=person.id_number,
            phone=person.phone,
            address=person.address,
            is_representative=person.is_representative,
        )
        for person in payload.petitioners
    ]
    return contact, matter, people


STEP_RESPONSES: dict[int, Any] = {
    200: StepOut,
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    413: ErrorOut,
    422: ErrorOut,
} | BUSY


@api.post(
    "/cases/{number}/steps/{action}",
    response=STEP_RESPONSES,
    openapi_extra=_documented(
        STEP_RESPONSES,
        {
            409: "事项已被他人处理或修改（version 不是最新），请重新读取",
            422: "步骤不合法或数据校验未通过",
        },
    ),
    operation_id="take_step",
    summary="办理步骤（受理、转送、交办、签收、送达、复查……）",
    tags=[TAG],
)
def take_step(request: HttpRequest, number: str, action: str, payload: StepIn) -> StepOut:
    """与案件页面上的办理按钮相同：同一张状态转换表、同样的权限和校验。
    `action` 取值见 `Action`（如 transfer、sign、accept、record_service）。"""
    user = _caller(request)
    if not _NUMBER_SHAPE.fullmatch(number) or action not in Action.values:
        raise Http404
    case = get_object_or_404(case_for_detail(user, number))
    chosen = Action(action)
    if (case.status, chosen) not in TRANSITIONS:
        raise workflow.illegal_transition(case.status, chosen)
    form = STEP_FORMS[chosen](
        {**_unit_codes_to_ids(payload.fields), "version": payload.version}, case=case, user=user
    )
    if not form.is_valid():
        raise NinjaValidationError(
            [
                {"type": "xf_invalid", "loc": ("body", "payload", "fields", name), "msg": message}
                for name, messages in form.errors.items()
                for message in messages
            ]
        )
    if form.cleaned_data["version"] != case.version:
        raise ConcurrentChangeError()
    result = SERVICES[chosen](case, actor=user, **form.arguments())
    return StepOut(
        number=case.number,
        status=CodeLabel.of(CaseStatus, result.case.status),
        version=result.case.version,
        due_on=result.case.due_on,
        documents=[d.number for d in result.documents],
    )


def _unit_codes_to_ids(fields: dict[str, str | int]) -> dict[str, object]:
    """Callers name units by code (several, such as 协办 units, comma-separated); the forms
    choose them by id."""
    data: dict[str, object] = dict(fields)
    for name, value in fields.items():
        if name.endswith("units"):
            codes = [code.strip() for code in str(value).split(",") if code.strip()]
            found = dict(Unit.objects.filter(code__in=codes).values_list("code", "id"))
            data[name] = [found.get(code, "") for code in codes]
        elif name.endswith("unit"):
            unit = Unit.objects.filter(code=str(value)).only("id").first()
            data[name] = unit.pk if unit is not None else ""
    return data
