from django.db import models
from django.utils.translation import gettext_lazy as _


class RegionLevel(models.IntegerChoices):
    PROVINCE = 1, _("省级")
    CITY = 2, _("地级")
    COUNTY = 3, _("县级")
    TOWNSHIP = 4, _("乡级")
    VILLAGE = 5, _("村级")


class UnitKind(models.TextChoices):
    PETITION_OFFICE = "petition_office", _("信访部门")
    DEPARTMENT = "department", _("职能部门")
    GOVERNMENT = "government", _("地方政府")
    TOWNSHIP = "township", _("乡镇街道")
    LEGAL = "legal", _("政法机关")
    DISCIPLINE = "discipline", _("纪检监察")
    RECEPTION = "reception", _("接待点")


class Role(models.TextChoices):
    CLERK = "clerk", _("登记员")
    HANDLER = "handler", _("承办人")
    REVIEWER = "reviewer", _("审核人")
    SUPERVISOR = "supervisor", _("督查员")
    LEADER = "leader", _("领导")
    SYSTEM_ADMIN = "system_admin", _("系统管理员")
    SECURITY_ADMIN = "security_admin", _("安全管理员")
    AUDIT_ADMIN = "audit_admin", _("审计管理员")


#: 三员分立: a user holds at most one of these, and none of them together with a case role.
ADMIN_ROLES = frozenset({Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN})
CASE_ROLES = frozenset(set(Role) - ADMIN_ROLES)


class ThrottleScope(models.TextChoices):
    """What a failed-login counter counts against (账户锁定)."""

    ACCOUNT = "account", _("账户")
    ADDRESS = "address", _("来源地址")
