"""Forms validate and convert; they never write (the login form's only effect is the attempt
it counts, through ``authenticate_password``). Login and the second factor, one's own password,
the 系统管理员's unit and user forms, the 安全管理员's."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db.models import QuerySet
from django.forms.boundfield import BoundWidget
from django.forms.models import ModelChoiceIterator, ModelChoiceIteratorValue
from django.utils.translation import gettext_lazy as _

from xinfang.accounts.auth_services import LockedOutError, authenticate_password
from xinfang.accounts.checks import DEFAULT_USERNAMES
from xinfang.accounts.enums import ADMIN_ROLES, RegionLevel, Role, UnitKind
from xinfang.accounts.models import LoginThrottle, Region, Unit, User
from xinfang.accounts.services import check_role_combination, validate_new_password
from xinfang.core.middleware import current_request

#: The policy in one line, under every new-password field.
PASSWORD_HELP = _(
    "至少 12 位，含大写字母、小写字母、数字、符号中的至少三类；不能是常见密码，"
    "不能包含用户名或姓名，不能与最近 5 次用过的密码相同。"
)


class LoginForm(AuthenticationForm):
    """The same message for an unknown user and a wrong password: no account enumeration.
    A locked name or address gets its own message, whatever the password was: it was not
    checked."""

    error_messages = {
        "invalid_login": _("用户名或密码错误。"),
        "inactive": _("用户名或密码错误。"),
        "locked": _(
            "登录失败次数过多，已暂时锁定 %(minutes)d 分钟。请稍后再试，或联系安全管理员解除锁定。"
        ),
    }

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["username"].label = _("用户名")
        self.fields["username"].widget.attrs.update({"autofocus": True, "autocomplete": "username"})
        self.fields["password"].label = _("密码")
        self.fields["password"].widget = forms.PasswordInput(
            attrs={"autocomplete": "current-password"}
        )

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password:
            context = current_request()
            try:
                self.user_cache = authenticate_password(
                    self.request,
                    username=username,
                    password=password,
                    source_ip=context.source_ip if context else None,
                )
            except LockedOutError:
                raise ValidationError(
                    self.error_messages["locked"],
                    code="locked",
                    params={"minutes": settings.XF_LOGIN_LOCK_MINUTES},
                ) from None
            if self.user_cache is None:
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


class SecondFactorForm(forms.Form):
    code = forms.CharField(
        label=_("验证码"),
        max_length=20,
        strip=True,
        help_text=_("身份验证器上的 6 位数字；手机不在身边时，可输入一个恢复码。"),
        widget=forms.TextInput(
            attrs={"autofocus": True, "autocomplete": "one-time-code", "spellcheck": "false"}
        ),
    )


class EnrolmentForm(forms.Form):
    code = forms.CharField(
        label=_("验证码"),
        max_length=6,
        min_length=6,
        strip=True,
        help_text=_("扫描二维码后，身份验证器上显示的 6 位数字。"),
        widget=forms.TextInput(
            attrs={"autofocus": True, "autocomplete": "one-time-code", "inputmode": "numeric"}
        ),
    )


class OwnPasswordForm(forms.Form):
    """The person's own password change. The new one is checked by the service, against the
    policy and the history."""

    old_password = forms.CharField(
        label=_("当前密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
    password1 = forms.CharField(
        label=_("新密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=PASSWORD_HELP,
    )
    password2 = forms.CharField(
        label=_("再次输入新密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("两次输入的密码不一致。"))
        return data


class UnlockForm(forms.Form):
    lock = forms.ModelChoiceField(queryset=LoginThrottle.objects.all())


class SecuritySearchForm(forms.Form):
    q = forms.CharField(label=_("用户名或姓名"), max_length=50, required=False)

    def keyword(self) -> str:
        return self.cleaned_data.get("q", "").strip() if self.is_valid() else ""


# --- Units ---------------------------------------------------------------------------------------


def unit_depth(unit: Unit) -> int:
    """0 for a root unit, 1 for its children … read off the materialised path "/1/7/12/"."""
    return max(unit.path.count("/") - 2, 0)


def tree_order(units: Iterable[Unit]) -> list[Unit]:
    """Parents before their children, siblings by code. (Sorting on ``path`` alone keeps
    subtrees together but puts sibling "/1/10/" before "/1/2/".)"""
    units = list(units)
    codes = {unit.pk: unit.code for unit in units}

    def key(unit: Unit) -> list[str]:
        # An ancestor missing from the list (an inactive parent) still groups its subtree.
        return [codes.get(int(pk), f"\uffff{pk}") for pk in unit.path.split("/") if pk]

    return sorted(units, key=key)


class UnitTreeIterator(ModelChoiceIterator[Unit]):
    def __iter__(self) -> Iterator[tuple[ModelChoiceIteratorValue | str, str]]:
        if self.field.empty_label is not None:
            yield ("", str(self.field.empty_label))
        for unit in tree_order(self.queryset):
            yield self.choice(unit)


class UnitChoiceField(forms.ModelChoiceField[Unit]):
    """Units in tree order, indented by depth, with their code."""

    iterator = UnitTreeIterator

    def label_from_instance(self, obj: Unit) -> str:
        return f"{'　' * unit_depth(obj)}{obj.name}（{obj.code}）"


class RegionChoiceField(forms.ModelChoiceField[Region]):
    def label_from_instance(self, obj: Region) -> str:
        return f"{'　' * (obj.level - RegionLevel.PROVINCE)}{obj.name}（{obj.code}）"


def active_units() -> QuerySet[Unit]:
    return Unit.objects.filter(is_active=True).order_by("path")


class UnitCreateForm(forms.Form):
    code = forms.CharField(
        label=_("单位代码"),
        max_length=20,
        validators=[
            RegexValidator(
                r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
                _("单位代码只能由字母、数字、点、下划线和连字符组成，并以字母或数字开头。"),
            )
        ],
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    name = forms.CharField(label=_("单位名称"), max_length=100)
    kind = forms.ChoiceField(label=_("类型"), choices=[("", _("请选择")), *UnitKind.choices])
    parent = UnitChoiceField(
        label=_("上级单位"),
        queryset=Unit.objects.none(),
        required=False,
        empty_label=_("（无，作为顶级单位）"),
    )
    region = RegionChoiceField(
        label=_("所在行政区划"),
        # 县级 and above: a unit sits in a county at the lowest. Small in practice (one city's
        # divisions are loaded); a searchable picker is the remedy if a province is loaded.
        queryset=Region.objects.filter(level__lte=RegionLevel.COUNTY).order_by("code"),
        required=False,
        empty_label=_("（不指定）"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = active_units()  # type: ignore[attr-defined]

    def clean_code(self) -> str:
        code: str = self.cleaned_data["code"].strip()
        if Unit.objects.filter(code__iexact=code).exists():
            raise ValidationError(
                _("单位代码“%(code)s”已被使用，请换一个。"), params={"code": code}
            )
        return code

    def clean_name(self) -> str:
        return str(self.cleaned_data["name"]).strip()


class VersionField(forms.IntegerField):
    """The record's version when the form was drawn (hidden): a stale save is refused."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("error_messages", {"required": _("页面已过期，请刷新后重试。")})
        super().__init__(**kwargs)


class UnitEditForm(forms.Form):
    name = forms.CharField(label=_("单位名称"), max_length=100)
    version = VersionField()
    is_active = forms.BooleanField(label=_("启用"), required=False)

    def clean_name(self) -> str:
        return str(self.cleaned_data["name"]).strip()


# --- Staff accounts ------------------------------------------------------------------------------

#: Names a new account may not take: the well-known defaults that the start-up check refuses
#: (compared case-insensitively here), and "new", which is the create page's address.
RESERVED_USERNAMES = frozenset({*DEFAULT_USERNAMES, "new"})


class RolesField(forms.TypedMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            label=_("角色"),
            choices=Role.choices,
            coerce=Role,
            error_messages={"required": _("请至少选择一个角色。")},
            **kwargs,
        )

    def validate(self, value: Any) -> None:
        super().validate(value)
        check_role_combination(value)  # 三员分立, shown beside the boxes


class UserRolesForm(forms.Form):
    roles = RolesField()

    def role_groups(self) -> list[tuple[str, list[BoundWidget]]]:
        """The role checkboxes split into case roles and the mutually exclusive 三员."""
        boxes = list(self["roles"])
        return [
            (
                str(_("业务角色（可兼任）")),
                [box for box in boxes if box.data["value"] not in ADMIN_ROLES],
            ),
            (
                str(_("管理员角色（三员分立：只能担任其一，且不兼任业务角色）")),
                [box for box in boxes if box.data["value"] in ADMIN_ROLES],
            ),
        ]


class UserRolesEditForm(UserRolesForm):
    version = VersionField()


class UserCreateForm(UserRolesForm):
    field_order = ["username", "full_name", "unit", "roles", "password1", "password2"]

    username = forms.CharField(
        label=_("用户名"),
        max_length=150,
        validators=[User.username_validator],
        help_text=_("登录用，创建后不能修改；字母、数字及 @ . + - _"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True}),
    )
    full_name = forms.CharField(label=_("姓名"), max_length=50)
    unit = UnitChoiceField(
        label=_("所属单位"), queryset=Unit.objects.none(), empty_label=_("请选择")
    )
    roles = RolesField()
    password1 = forms.CharField(
        label=_("初始密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=PASSWORD_HELP,
    )
    password2 = forms.CharField(
        label=_("再次输入初始密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = active_units()  # type: ignore[attr-defined]

    def clean_username(self) -> str:
        username: str = self.cleaned_data["username"].strip()
        if username.lower() in RESERVED_USERNAMES:
            raise ValidationError(_("不能使用“%(name)s”作为用户名。"), params={"name": username})
        if User.objects.filter(username__iexact=username).exists():
            raise ValidationError(_("用户名“%(name)s”已存在。"), params={"name": username})
        return username

    def clean_full_name(self) -> str:
        return str(self.cleaned_data["full_name"]).strip()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        password = data.get("password1")
        if password and data.get("password2") and password != data["password2"]:
            self.add_error("password2", _("两次输入的密码不一致。"))
        elif password:
            candidate = User(username=data.get("username", ""), full_name=data.get("full_name", ""))
            try:
                validate_new_password(password, user=candidate)
            except ValidationError as error:
                self.add_error("password1", error)
        return data


class UserFilterForm(forms.Form):
    """The account list's filters (GET). Invalid values are dropped, never an error page."""

    unit = UnitChoiceField(
        label=_("单位"), queryset=Unit.objects.none(), required=False, empty_label=_("全部单位")
    )
    q = forms.CharField(label=_("用户名或姓名"), max_length=50, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.order_by("path")  # type: ignore[attr-defined]

    def filters(self) -> tuple[Unit | None, str]:
        data = self.cleaned_data if self.is_valid() else {}
        return data.get("unit"), data.get("q", "").strip()


class UserUnitForm(forms.Form):
    unit = UnitChoiceField(
        label=_("所属单位"), queryset=Unit.objects.none(), empty_label=_("请选择")
    )
    version = VersionField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = active_units()  # type: ignore[attr-defined]


class UserActiveForm(forms.Form):
    active = forms.TypedChoiceField(
        choices=[("1", _("启用")), ("0", _("停用"))], coerce=lambda value: value == "1"
    )
    version = VersionField()


class PasswordResetForm(forms.Form):
    """The password itself is checked against the policy by the ``reset_password`` service."""

    password1 = forms.CharField(
        label=_("新密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=PASSWORD_HELP,
    )
    password2 = forms.CharField(
        label=_("再次输入新密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("两次输入的密码不一致。"))
        return data
