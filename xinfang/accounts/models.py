from __future__ import annotations

from functools import cached_property

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from xinfang.accounts.enums import RegionLevel, Role, UnitKind


class Region(models.Model):
    """行政区划. Codes are the statistics bureau's (2/4/6/9/12 digits); a code's prefix is its
    ancestors' codes, so a subtree is a prefix match on an indexed column."""

    code = models.CharField(_("区划代码"), max_length=12, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    level = models.PositiveSmallIntegerField(_("级别"), choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    valid_from = models.DateField(_("启用日期"), null=True, blank=True)
    valid_to = models.DateField(_("停用日期"), null=True, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("行政区划")

    def __str__(self) -> str:
        return self.name


class Unit(models.Model):
    """单位: a petition office, a department, a government, a township, a reception point …"""

    code = models.CharField(_("单位代码"), max_length=20, unique=True)
    name = models.CharField(_("单位名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=20, choices=UnitKind.choices)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, null=True, blank=True)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    # Materialised path "/1/7/12/": a unit's subtree is one indexed prefix match.
    path = models.CharField(max_length=255, db_index=True, editable=False)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["path"]
        verbose_name = _("单位")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    full_name = models.CharField(_("姓名"), max_length=50)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, null=True, related_name="users")

    class Meta:
        verbose_name = _("用户")

    def __str__(self) -> str:
        return self.full_name or self.username

    @cached_property
    def roles(self) -> frozenset[Role]:
        return frozenset(Role(value) for value in self.role_grants.values_list("role", flat=True))

    def has_role(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))


class UserRole(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_grants")
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="unique_user_role")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.role}"
