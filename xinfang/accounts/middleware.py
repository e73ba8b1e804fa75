"""What a signed-in session must satisfy before it reaches any page (SECURITY.md 4–6).

Three small middlewares, after AuthenticationMiddleware and MessageMiddleware, in this order:

1. ``SessionLimitsMiddleware``: idle and absolute limits from timestamps in the session.
2. ``SecondFactorMiddleware``: a password alone reaches only the second-factor pages.
3. ``PasswordExpiryMiddleware``: an expired password is changed before anything else.

The JSON API (``/api/``) is left alone: it authenticates bearer tokens, never the session.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from xinfang.accounts import rules, sessions
from xinfang.accounts.models import User
from xinfang.audit.services import record

GetResponse = Callable[[HttpRequest], HttpResponse]
API_PREFIX = "/api/"


def _passes_through(request: HttpRequest) -> bool:
    path = request.path_info
    return path.startswith((API_PREFIX, settings.STATIC_URL or "/static/"))


def _send_to(request: HttpRequest, url_name: str) -> HttpResponse:
    url = reverse(url_name)
    # The header, not request.htmx: HtmxMiddleware runs after this one.
    if request.headers.get("HX-Request") == "true":
        return HttpResponseClientRedirect(url)  # a fragment request reloads the whole page
    if request.method == "GET":
        url = f"{url}?{urlencode({'next': request.get_full_path()})}"
    return redirect(url)


class _Gate:
    """A middleware that only lets a signed-in session through to ``open_routes`` until
    ``owes(request, user)`` is settled, sending it to ``destination`` otherwise."""

    open_routes: tuple[str, ...] = ()
    destination = ""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response
        self._open_paths: frozenset[str] | None = None

    def open_paths(self) -> frozenset[str]:
        if self._open_paths is None:  # reversed on first use: the URLconf is loaded by then
            self._open_paths = frozenset(reverse(name) for name in self.open_routes)
        return self._open_paths

    def owes(self, request: HttpRequest, user: User) -> bool:
        raise NotImplementedError

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            isinstance(user, User)
            and not _passes_through(request)
            and request.path_info not in self.open_paths()
            and self.owes(request, user)
        ):
            return _send_to(request, self.destination)
        return self.get_response(request)


class SessionLimitsMiddleware:
    """Idle timeout (30 min; 15 for the 三员) and absolute lifetime (12 h), enforced here from
    the session's own clocks rather than trusted to the cookie. Every request is activity; the
    keep-alive that a page sends while a person types is a request too, so it restarts the idle
    clock, while nothing restarts the absolute one."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if isinstance(user, User) and not request.path_info.startswith(API_PREFIX):
            now = time.time()
            idle = (
                settings.XF_SESSION_IDLE_ADMIN_SECONDS
                if rules.is_administrator(user)
                else settings.SESSION_COOKIE_AGE
            )
            reason = sessions.expiry_reason(
                request.session, now=now, idle=idle, absolute=settings.XF_SESSION_ABSOLUTE_SECONDS
            )
            if reason is None:
                sessions.touch(request.session, now=now)
            else:
                # Only this session ends (not a logout, which ends all of the account's).
                record("auth.session_expired", actor=user, target=user, detail={"reason": reason})
                request.session.flush()
                request.user = AnonymousUser()
                messages.info(request, _("您已较长时间未操作或登录已超过时限，请重新登录。"))
        return self.get_response(request)


class SecondFactorMiddleware(_Gate):
    """A session that gave only the password reaches the second-factor pages, the keep-alive
    and logout; every other URL sends it to the second-factor page."""

    open_routes = ("second_factor", "second_factor_setup", "logout", "keepalive")
    destination = "second_factor"

    def owes(self, request: HttpRequest, user: User) -> bool:
        return not sessions.second_factor_done(request.session)


class PasswordExpiryMiddleware(_Gate):
    """Once fully signed in, an expired password must be changed before anything else."""

    open_routes = ("password_change", "logout", "keepalive")
    destination = "password_change"

    def owes(self, request: HttpRequest, user: User) -> bool:
        return rules.password_expired(user, now=timezone.now())
