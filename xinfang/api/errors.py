"""Every error the API returns is an :class:`~xinfang.api.schemas.ErrorOut` in Chinese.

Pydantic's English messages are translated by error type here, in one table, so a schema
change cannot leak an untranslated message to a caller.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from ninja.errors import HttpError
from ninja.errors import ValidationError as NinjaValidationError

from xinfang.api.schemas import ErrorOut, FieldErrorOut
from xinfang.cases.workflow import ConcurrentChangeError

if TYPE_CHECKING:
    from ninja import NinjaAPI

E = TypeVar("E", bound=Exception)

CHALLENGE = 'Bearer realm="xinfang"'
JSON_CONTENT_TYPE = "application/json; charset=utf-8"
INVALID_REQUEST = "提交的数据有误，请按提示修改。"
UNAUTHENTICATED = "未提供有效的访问令牌。请在请求头中携带 Authorization: Bearer <令牌>。"
NOT_FOUND = "信访事项不存在，或不在您的查看范围内。"
FORBIDDEN = "您的角色无权执行此操作。"
BAD_BODY = "请求体不是有效的 JSON。"
TOO_LARGE = "请求体过大。"
STATUS_MESSAGES = {
    400: BAD_BODY,
    401: UNAUTHENTICATED,
    403: FORBIDDEN,
    404: NOT_FOUND,
    405: "不支持该请求方法。",
    409: "该信访事项已被他人处理或修改，请重新读取后再提交。",
    413: TOO_LARGE,
    429: "请求过于频繁，请稍后再试。",
}

#: pydantic error type → Chinese message (``{name}`` is filled from the error's context).
MESSAGES = {
    "missing": "必填项。",
    "extra_forbidden": "不允许的字段。",
    "string_type": "应为字符串。",
    "string_unicode": "包含无效的字符。",
    "string_too_short": "不能为空。",
    "string_too_long": "长度不能超过 {max_length} 个字符。",
    "string_pattern_mismatch": "格式不正确。",
    "int_type": "应为整数。",
    "int_parsing": "应为整数。",
    "int_parsing_size": "数值过大。",
    "int_from_float": "应为整数。",
    "greater_than": "应大于 {gt}。",
    "greater_than_equal": "不能小于 {ge}。",
    "less_than": "应小于 {lt}。",
    "less_than_equal": "不能大于 {le}。",
    "bool_type": "应为布尔值（true 或 false）。",
    "bool_parsing": "应为布尔值（true 或 false）。",
    "date_type": "应为日期，格式 YYYY-MM-DD。",
    "date_parsing": "应为日期，格式 YYYY-MM-DD。",
    "date_from_datetime_parsing": "应为日期，格式 YYYY-MM-DD。",
    "date_from_datetime_inexact": "应为日期，格式 YYYY-MM-DD。",
    "datetime_type": "应为日期时间，如 2026-09-20T09:30:00+08:00。",
    "datetime_parsing": "应为日期时间，如 2026-09-20T09:30:00+08:00。",
    "datetime_from_date_parsing": "应为日期时间，如 2026-09-20T09:30:00+08:00。",
    "datetime_object_invalid": "日期时间不存在。",
    "list_type": "应为数组。",
    "too_short": "至少需要 {min_length} 项。",
    "too_long": "最多 {max_length} 项。",
    "model_type": "应为 JSON 对象。",
    "model_attributes_type": "应为 JSON 对象。",
    "dict_type": "应为 JSON 对象。",
    "enum": "取值无效。",
    "literal_error": "取值无效。",
    "json_invalid": BAD_BODY,
}
FALLBACK = "取值无效。"


def error_body(detail: str, errors: Iterable[FieldErrorOut] = ()) -> dict[str, Any]:
    return ErrorOut(detail=detail, errors=list(errors)).model_dump()


def error_response(status: int, detail: str) -> JsonResponse:
    """An ``ErrorOut`` outside ninja's handlers, typed like ninja's own answers."""
    return JsonResponse(
        error_body(detail),
        status=status,
        content_type=JSON_CONTENT_TYPE,
        json_dumps_params={"ensure_ascii": False},
    )


def json_not_allowed(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """ninja (and ``require_GET``) refuse an unserved method with an English HTML 405; callers
    get the same Chinese ``ErrorOut`` as for every other error, with the ``Allow`` header."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if not isinstance(response, HttpResponseNotAllowed):
            return response
        refusal = error_response(405, STATUS_MESSAGES[405])
        refusal["Allow"] = response["Allow"]
        return refusal

    return wrapped


def _field(loc: tuple[Any, ...]) -> str:
    """("body", "payload", "petitioners", 0, "id_number") → "petitioners.0.id_number"."""
    source, *rest = loc or ("",)
    if source == "body" and rest:
        rest = rest[1:]  # the view's parameter name says nothing to the caller
    return ".".join(str(part) for part in rest)


def _message(error: dict[str, Any]) -> str:
    kind = str(error.get("type", ""))
    if (
        kind == "missing"
        and tuple(error.get("loc", ()))[:1] == ("body",)
        and len(error["loc"]) <= 2
    ):
        return "缺少请求体：应为 JSON 对象。"
    if kind.startswith("xf_"):
        return str(error.get("msg", FALLBACK))  # our own validators already speak Chinese
    template = MESSAGES.get(kind, FALLBACK)
    try:
        return template.format(**error.get("ctx", {}))
    except (KeyError, IndexError, ValueError):
        return FALLBACK


def field_errors(errors: Iterable[dict[str, Any]]) -> list[FieldErrorOut]:
    return [
        FieldErrorOut(field=_field(tuple(error.get("loc", ()))), message=_message(error))
        for error in errors
    ]


def install(api: NinjaAPI) -> None:
    """Replace ninja's English handlers with ours, and add the Django exceptions services
    raise (``PermissionDenied`` → 403, ``ValidationError`` → 422)."""

    def respond(request: HttpRequest, status: int, body: dict[str, Any]) -> HttpResponse:
        return api.create_response(request, body, status=status)

    def invalid_request(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        return respond(request, 422, error_body(INVALID_REQUEST, field_errors(exc.errors)))

    def refused_by_service(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        return respond(request, 422, error_body("；".join(exc.messages) or INVALID_REQUEST))

    def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return respond(request, 403, error_body(str(exc) or FORBIDDEN))

    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return respond(request, 404, error_body(NOT_FOUND))

    def too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return respond(request, 413, error_body(TOO_LARGE))

    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        # ninja's own messages ("Cannot parse request body", "Unauthorized") are English.
        status = exc.status_code
        response = respond(
            request, status, error_body(STATUS_MESSAGES.get(status, "请求无法处理。"))
        )
        if status == 401:
            response["WWW-Authenticate"] = CHALLENGE
        return response

    def stale(request: HttpRequest, exc: ConcurrentChangeError) -> HttpResponse:
        return respond(request, 409, error_body(exc.message))

    _handle(api, ConcurrentChangeError, stale)
    _handle(api, NinjaValidationError, invalid_request)
    _handle(api, DjangoValidationError, refused_by_service)
    _handle(api, PermissionDenied, forbidden)
    _handle(api, Http404, not_found)
    _handle(api, RequestDataTooBig, too_large)
    _handle(api, HttpError, http_error)


def _handle(
    api: NinjaAPI, exc_class: type[E], handler: Callable[[HttpRequest, E], HttpResponse]
) -> None:
    # ninja's annotation also admits the exception class itself, which it never passes.
    api.add_exception_handler(exc_class, handler)  # type: ignore[arg-type]
