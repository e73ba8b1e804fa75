"""View helpers shared by the apps: declare who may act, and Chinese error pages."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseServerError
from django.shortcuts import redirect, render
from django.template import loader
from django.views.decorators.http import require_GET

from xinfang.accounts import rules
from xinfang.accounts.models import User

ViewFunc = TypeVar("ViewFunc", bound=Callable[..., HttpResponseBase])


def signed_in_user(request: HttpRequest) -> User:
    """The signed-in staff user of a view behind :func:`allowed` (never anonymous there)."""
    if not isinstance(request.user, User):
        raise PermissionDenied
    return request.user


def allowed(predicate: Callable[[Any], bool]) -> Callable[[ViewFunc], ViewFunc]:
    """Login required, then ``predicate(user)`` must hold, else 403."""

    def decorator(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not predicate(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return login_required(wrapped)  # type: ignore[return-value]

    return decorator


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each role starts on its own page; roles without one yet see what their account is."""
    if rules.can_work_cases(request.user):
        return redirect("cases:list")
    if rules.can_manage_accounts(request.user):
        return redirect("accounts:users")
    if rules.can_manage_security(request.user):
        return redirect("accounts:security")
    return render(request, "core/home.html")


@require_GET
@login_required
def keepalive(request: HttpRequest) -> HttpResponse:
    """Pinged by app.js while a person is typing, so the idle timeout counts real inactivity
    rather than time spent filling in a long form. Touching the session extends it; the
    request itself restarts the idle clock (SessionLimitsMiddleware), never the absolute one."""
    request.session.modified = True
    return HttpResponse(status=204)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "errors/csrf.html", status=403)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/400.html", status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/403.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # Rendered without the request: the failure may be the database the context would query.
    return HttpResponseServerError(loader.get_template("errors/500.html").render())
