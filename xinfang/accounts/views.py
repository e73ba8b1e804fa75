"""The 系统管理员's pages (the unit tree and staff accounts) and the 安全管理员's (locks and
second factors). Each write is one audited service."""

from __future__ import annotations

from typing import Any, TypeVar
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xinfang.accounts import auth_services, rules, services
from xinfang.accounts.enums import Role, UnitKind
from xinfang.accounts.forms import (
    PasswordResetForm,
    SecuritySearchForm,
    UnitCreateForm,
    UnitEditForm,
    UnlockForm,
    UserActiveForm,
    UserCreateForm,
    UserFilterForm,
    UserRolesEditForm,
    UserUnitForm,
    tree_order,
    unit_depth,
)
from xinfang.accounts.models import Unit, User
from xinfang.accounts.queries import current_locks, security_accounts, staff_accounts
from xinfang.core.views import allowed, signed_in_user

#: Deeper units are drawn at this indent; the tree stays readable on a 1366-pixel screen.
MAX_INDENT = 8


# --- Units -------------------------------------------------------------------------------------


def _render_units(request: HttpRequest, form: UnitCreateForm, status: int = 200) -> HttpResponse:
    units = (
        Unit.objects.select_related("region")
        .annotate(active_users=Count("users", filter=Q(users__is_active=True)))
        .order_by("path")
    )
    rows = [(unit, min(unit_depth(unit), MAX_INDENT)) for unit in tree_order(units)]
    return render(request, "accounts/unit_list.html", {"rows": rows, "form": form}, status=status)


@require_http_methods(["GET", "POST"])
@allowed(rules.can_manage_accounts)
def unit_list(request: HttpRequest) -> HttpResponse:
    """单位管理: the tree, and the form that adds a unit to it."""
    form = UnitCreateForm(request.POST or None)
    if request.method == "GET" or not form.is_valid():
        return _render_units(request, form, status=200 if request.method == "GET" else 422)
    data = form.cleaned_data
    try:
        unit = services.create_unit(
            actor=signed_in_user(request),
            code=data["code"],
            name=data["name"],
            kind=UnitKind(data["kind"]),
            parent=data["parent"],
            region=data["region"],
        )
    except IntegrityError:  # the same code taken by someone else a moment ago
        form.add_error("code", "单位代码已被使用，请换一个。")
        return _render_units(request, form, status=422)
    messages.success(request, f"已新建单位：{unit.name}（{unit.code}）。")
    return redirect("accounts:units")


@require_http_methods(["GET", "POST"])
@allowed(rules.can_manage_accounts)
def unit_edit(request: HttpRequest, code: str) -> HttpResponse:
    unit = get_object_or_404(Unit.objects.select_related("parent", "region"), code=code)
    initial = {"name": unit.name, "is_active": unit.is_active, "version": unit.version}
    form = UnitEditForm(request.POST or None, initial=initial)
    stale: list[tuple[str, str, str]] = []
    status = 422 if request.method == "POST" else 200
    if request.method == "POST" and form.is_valid():
        try:
            services.update_unit(unit, actor=signed_in_user(request), **form.cleaned_data)
        except services.StaleEditError as error:
            unit.refresh_from_db()
            stale = _unit_differences(unit, form.cleaned_data)
            form = _restamped(UnitEditForm, request.POST, unit.version)
            form.is_valid()
            form.add_error(None, error.message)
            status = 409
        except ValidationError as error:
            form.add_error("is_active", error)
        else:
            messages.success(request, f"已保存单位：{unit.name}（{unit.code}）。")
            return redirect("accounts:units")
    context = {"unit": unit, "form": form, "stale": stale}
    return render(request, "accounts/unit_edit.html", context, status=status)


def _yes_no(value: bool) -> str:
    return "启用" if value else "停用"


def _unit_differences(unit: Unit, submitted: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(field, stored now, what this form submitted) where they differ."""
    rows = [
        ("单位名称", unit.name, str(submitted["name"])),
        ("启用", _yes_no(unit.is_active), _yes_no(bool(submitted["is_active"]))),
    ]
    return [row for row in rows if row[1] != row[2]]


FormT = TypeVar("FormT", bound=forms.Form)


def _restamped(form_class: type[FormT], data: QueryDict, version: int, **kwargs: Any) -> FormT:
    """The submitted form again, carrying the current version: saving it now is deliberate."""
    fresh = data.copy()
    fresh["version"] = str(version)
    return form_class(fresh, **kwargs)


# --- Staff accounts ----------------------------------------------------------------------------


@require_GET
@allowed(rules.can_manage_accounts)
def user_list(request: HttpRequest) -> HttpResponse:
    """用户管理: every staff account, filtered by unit or name."""
    form = UserFilterForm(request.GET or None)
    paginator = Paginator(staff_accounts(*form.filters()), settings.XF_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "filter_query": query.urlencode()}
    return render(request, "accounts/user_list.html", context)


@require_http_methods(["GET", "POST"])
@allowed(rules.can_manage_accounts)
def user_create(request: HttpRequest) -> HttpResponse:
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            account = services.create_user(
                actor=signed_in_user(request),
                username=data["username"],
                full_name=data["full_name"],
                unit=data["unit"],
                roles=data["roles"],
                password=data["password1"],
            )
        except ValidationError as error:
            form.add_error("roles", error)
        except IntegrityError:  # the same username taken by someone else a moment ago
            form.add_error("username", "用户名已存在。")
        else:
            messages.success(request, f"已创建用户：{account.full_name}（{account.username}）。")
            return redirect("accounts:user", username=account.username)
    status = 422 if request.method == "POST" else 200
    return render(request, "accounts/user_create.html", {"form": form}, status=status)


def _account(username: str) -> User:
    return get_object_or_404(User.objects.select_related("unit"), username=username)


def _render_account(
    request: HttpRequest, account: User, status: int = 200, **bound: Any
) -> HttpResponse:
    """The account page: its facts and one small form per change; ``bound`` replaces the
    blank form that failed, so its errors show where they were made."""
    roles = [role for role in Role if role in account.roles]  # in the enum's order
    version = account.version
    context = {
        "account": account,
        "roles": roles,
        "is_self": account.pk == request.user.pk,
        "unit_form": UserUnitForm(initial={"unit": account.unit, "version": version}),
        "roles_form": UserRolesEditForm(initial={"roles": roles, "version": version}),
        "password_form": PasswordResetForm(),
        "active_form": UserActiveForm(initial={"version": version}),
        "stale": [],
        **bound,
    }
    return render(request, "accounts/user_edit.html", context, status=status)


def _stale_account(request: HttpRequest, account: User, field: str, wanted: str) -> HttpResponse:
    """409: another administrator changed the account first. The page is drawn from what is
    stored now (fresh versions in every form), with what this person tried beside it."""
    account = _account(account.username)
    now = {
        "所属单位": str(account.unit or "—"),
        "角色": "、".join(str(role.label) for role in Role if role in account.roles) or "—",
        "账号状态": _yes_no(account.is_active),
    }[field]
    messages.error(request, services.StaleEditError.message)
    return _render_account(request, account, status=409, stale=[(field, now, wanted)])


@require_GET
@allowed(rules.can_manage_accounts)
def user_detail(request: HttpRequest, username: str) -> HttpResponse:
    return _render_account(request, _account(username))


@require_POST
@allowed(rules.can_manage_accounts)
def user_unit(request: HttpRequest, username: str) -> HttpResponse:
    account = _account(username)
    form = UserUnitForm(request.POST)
    if form.is_valid():
        try:
            services.set_user_unit(
                account,
                actor=signed_in_user(request),
                unit=form.cleaned_data["unit"],
                version=form.cleaned_data["version"],
            )
        except services.StaleEditError:
            return _stale_account(request, account, "所属单位", str(form.cleaned_data["unit"]))
        except ValidationError as error:
            form.add_error("unit", error)
        else:
            messages.success(request, f"已将 {account} 调至 {form.cleaned_data['unit']}。")
            return redirect("accounts:user", username=account.username)
    return _render_account(request, account, status=422, unit_form=form)


@require_POST
@allowed(rules.can_manage_accounts)
def user_roles(request: HttpRequest, username: str) -> HttpResponse:
    account = _account(username)
    form = UserRolesEditForm(request.POST)
    if form.is_valid():
        try:
            services.set_user_roles(
                account,
                actor=signed_in_user(request),
                roles=form.cleaned_data["roles"],
                version=form.cleaned_data["version"],
            )
        except services.StaleEditError:
            wanted = "、".join(str(Role(role).label) for role in form.cleaned_data["roles"])
            return _stale_account(request, account, "角色", wanted)
        except ValidationError as error:
            form.add_error("roles", error)
        else:
            messages.success(request, f"已更新 {account} 的角色。")
            return redirect("accounts:user", username=account.username)
    return _render_account(request, account, status=422, roles_form=form)


@require_POST
@allowed(rules.can_manage_accounts)
def user_active(request: HttpRequest, username: str) -> HttpResponse:
    account = _account(username)
    form = UserActiveForm(request.POST)
    if form.is_valid():
        active = form.cleaned_data["active"]
        try:
            services.set_user_active(
                account,
                actor=signed_in_user(request),
                active=active,
                version=form.cleaned_data["version"],
            )
        except services.StaleEditError:
            return _stale_account(request, account, "账号状态", _yes_no(active))
        except ValidationError as error:
            form.add_error(None, error)
        else:
            done = "已启用账号" if active else "已停用账号，并结束了其全部登录会话"
            messages.success(request, f"{done}：{account}。")
            return redirect("accounts:user", username=account.username)
    return _render_account(request, account, status=422, active_form=form)


@require_POST
@allowed(rules.can_manage_accounts)
def user_password(request: HttpRequest, username: str) -> HttpResponse:
    account = _account(username)
    form = PasswordResetForm(request.POST)
    if form.is_valid():
        try:
            services.reset_password(
                account, actor=signed_in_user(request), new_password=form.cleaned_data["password1"]
            )
        except ValidationError as error:
            form.add_error("password1", error)
        else:
            messages.success(request, f"已重置 {account} 的密码，请当面或通过安全渠道告知本人。")
            return redirect("accounts:user", username=account.username)
    return _render_account(request, account, status=422, password_form=form)


# --- The 安全管理员: locks and second factors ---------------------------------------------------


@require_GET
@allowed(rules.can_manage_security)
def security(request: HttpRequest) -> HttpResponse:
    """安全管理: the names and addresses locked now, and each account's second factor."""
    form = SecuritySearchForm(request.GET or None)
    paginator = Paginator(security_accounts(form.keyword()), settings.XF_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "locks": current_locks(),
        "page": page,
        "filter_query": query.urlencode(),
    }
    return render(request, "accounts/security.html", context)


@require_POST
@allowed(rules.can_manage_security)
def security_unlock(request: HttpRequest) -> HttpResponse:
    form = UnlockForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("该项已不在锁定状态。"))
        return redirect("accounts:security")
    throttle = form.cleaned_data["lock"]
    try:
        auth_services.unlock_login(throttle, actor=signed_in_user(request))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("已解除锁定：%(key)s。") % {"key": throttle.key})
    return redirect("accounts:security")


@require_POST
@allowed(rules.can_manage_security)
def security_reset_second_factor(request: HttpRequest, username: str) -> HttpResponse:
    account = _account(username)
    try:
        auth_services.reset_second_factor(account, actor=signed_in_user(request))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("已重置 %(account)s 的双因素认证并结束其登录会话；下次登录时须重新绑定。")
            % {"account": account},
        )
    return redirect(f"{reverse('accounts:security')}?{urlencode({'q': account.username})}")
