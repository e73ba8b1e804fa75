"""Signing in after the password: the second factor, enrolling one, and changing one's own
password. The 安全管理员's page for locks and second factors is in ``views``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from xinfang.accounts import auth_services, rules, sessions, totp
from xinfang.accounts.forms import EnrolmentForm, OwnPasswordForm, SecondFactorForm
from xinfang.core.middleware import current_request
from xinfang.core.views import signed_in_user


def _next_url(request: HttpRequest) -> str:
    """Where to go once done: a local ``next``, or the home page."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _source_ip() -> str | None:
    context = current_request()
    return context.source_ip if context else None


@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def second_factor(request: HttpRequest) -> HttpResponse:
    """第二步验证: the authenticator code (or a recovery code) after the password."""
    user = signed_in_user(request)
    if sessions.second_factor_done(request.session):
        return redirect(_next_url(request))
    if not auth_services.has_second_factor(user):
        query = request.GET.urlencode()
        return redirect(resolve_url("second_factor_setup") + (f"?{query}" if query else ""))
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            verified = auth_services.verify_second_factor(
                user, code=form.cleaned_data["code"], source_ip=_source_ip()
            )
        except auth_services.LockedOutError:
            request.session.flush()  # this session only: a lock must not sign out other desks
            messages.error(
                request,
                _("验证失败次数过多，已暂时锁定 %(minutes)d 分钟。请稍后再试，或联系安全管理员。")
                % {"minutes": settings.XF_LOGIN_LOCK_MINUTES},
            )
            return redirect("login")
        if verified:
            sessions.mark_second_factor_done(request.session)
            return redirect(_next_url(request))
        form.add_error("code", _("验证码不正确或已使用过，请等待下一个验证码后重试。"))
    status = 422 if request.method == "POST" else 200
    context = {"form": form, "next": _next_url(request)}
    return render(request, "accounts/second_factor.html", context, status=status)


@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def second_factor_setup(request: HttpRequest) -> HttpResponse:
    """绑定身份验证器 at first sign-in: scan (or type) the secret, confirm with a code, then
    the recovery codes, shown this once."""
    user = signed_in_user(request)
    if auth_services.has_second_factor(user):
        return redirect("second_factor")
    secret = auth_services.begin_totp_enrolment(user)
    form = EnrolmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = auth_services.confirm_totp_enrolment(user, code=form.cleaned_data["code"])
        except ValidationError as error:
            form.add_error("code", error)
        else:
            sessions.mark_second_factor_done(request.session)
            shown_once = {"codes": codes, "next": _next_url(request)}
            return render(request, "accounts/recovery_codes.html", shown_once)
    uri = totp.provisioning_uri(secret, account=user.get_username(), issuer=settings.XF_TOTP_ISSUER)
    context: dict[str, Any] = {
        "form": form,
        "next": _next_url(request),
        "secret": totp.grouped(secret),
        "qr": totp.qr_svg(uri, title=_("身份验证器二维码")),
    }
    status = 422 if request.method == "POST" else 200
    return render(request, "accounts/second_factor_setup.html", context, status=status)


@sensitive_post_parameters("old_password", "password1", "password2")
@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    """修改密码: any time, and before anything else once the password has expired."""
    user = signed_in_user(request)
    form = OwnPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            auth_services.change_own_password(
                user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["password1"],
                keep_session=request.session.session_key,
            )
        except ValidationError as error:
            wrong_old = getattr(error, "code", None) == "wrong_password"
            form.add_error("old_password" if wrong_old else "password1", error)
        else:
            update_session_auth_hash(request, user)  # this session stays, with a new key
            messages.success(request, _("密码已修改。其他设备上的登录已全部退出。"))
            return redirect(_next_url(request))
    context: dict[str, Any] = {
        "form": form,
        "next": _next_url(request),
        "expired": rules.password_expired(user, now=timezone.now()),
        "max_age_days": settings.XF_PASSWORD_MAX_AGE_DAYS,
    }
    status = 422 if request.method == "POST" else 200
    return render(request, "accounts/password_change.html", context, status=status)
