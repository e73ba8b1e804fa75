"""Request context for the audit trail, and the security headers every response carries."""

from __future__ import annotations

import contextlib
import ipaddress
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    source_ip: str | None


_current: ContextVar[RequestContext | None] = ContextVar("xinfang_request", default=None)
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9\-]{8,64}$")

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def current_request() -> RequestContext | None:
    return _current.get()


class RequestContextMiddleware:
    """Give every request an id (echoed as X-Request-ID) and remember the client address."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        ip = request.META.get("REMOTE_ADDR") or None
        if getattr(settings, "XF_TRUST_X_FORWARDED_FOR", False):
            # The last entry is the one our own proxy appended; earlier ones are client-supplied.
            forwarded = request.headers.get("X-Forwarded-For", "").split(",")[-1].strip()
            with contextlib.suppress(ValueError):  # not an address: keep REMOTE_ADDR
                ip = str(ipaddress.ip_address(forwarded))
        token = _current.set(RequestContext(request_id=request_id, source_ip=ip))
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response["X-Request-ID"] = request_id
        return response


class SecurityHeadersMiddleware:
    """A strict CSP (no inline script or style anywhere) and no caching of pages with PI."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        response.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            response["Cache-Control"] = "no-store"
        return response
