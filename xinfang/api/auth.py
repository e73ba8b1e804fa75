"""Bearer-token authentication for the API: ``Authorization: Bearer xf_…``."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja.security import HttpBearer

from xinfang.accounts.models import User
from xinfang.api.errors import CHALLENGE, UNAUTHENTICATED, error_response
from xinfang.api.services import user_for_token


class TokenAuth(HttpBearer):
    """Resolves the request to the token's user, or ``None`` (→ 401)."""

    def __call__(self, request: HttpRequest) -> User | None:
        # ninja's own __call__ logs the whole header on a scheme mismatch under DEBUG: a
        # secret must never reach a log (SECURITY.md 16), so the header is parsed here.
        scheme, _, secret = request.headers.get(self.header, "").partition(" ")
        if scheme.lower() != self.openapi_scheme or not secret.strip():
            return None
        return self.authenticate(request, secret.strip())

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = user_for_token(token)
        if user is not None:
            # The caller is the token's owner, whatever session cookie came along.
            request.user = user
        return user


token_auth = TokenAuth()


def unauthenticated() -> JsonResponse:
    response = error_response(401, UNAUTHENTICATED)
    response["WWW-Authenticate"] = CHALLENGE
    return response


def token_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """For the plain views ninja serves beside the operations (the OpenAPI schema): the
    same token, the same 401."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if token_auth(request) is None:
            return unauthenticated()
        return view(request, *args, **kwargs)

    return wrapped
