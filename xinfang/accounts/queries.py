"""Reads on accounts."""

from __future__ import annotations

from django.db.models import Case, Exists, OuterRef, Prefetch, Q, QuerySet, When
from django.utils import timezone

from xinfang.accounts.enums import Role
from xinfang.accounts.models import LoginThrottle, TotpDevice, Unit, User, UserRole


def staff_accounts(unit: Unit | None, keyword: str) -> QuerySet[User]:
    """The account list: roles prefetched in the order the enum declares them."""
    in_enum_order = Case(*(When(role=role, then=rank) for rank, role in enumerate(Role)))
    grants = UserRole.objects.annotate(rank=in_enum_order).order_by("rank")
    accounts = User.objects.select_related("unit").prefetch_related(
        Prefetch("role_grants", queryset=grants)
    )
    if unit is not None:
        accounts = accounts.filter(unit=unit)
    if keyword:
        accounts = accounts.filter(Q(username__icontains=keyword) | Q(full_name__icontains=keyword))
    return accounts.order_by("unit__code", "username")


def current_locks() -> QuerySet[LoginThrottle]:
    """Account names and source addresses locked at this moment, the longest-locked last."""
    return LoginThrottle.objects.filter(locked_until__gt=timezone.now()).order_by(
        "locked_until", "scope", "key"
    )


def security_accounts(keyword: str) -> QuerySet[User]:
    """The 安全管理员's account list: each account with whether its second factor is on."""
    enrolled = TotpDevice.objects.filter(user=OuterRef("pk"), confirmed_at__isnull=False)
    accounts = User.objects.select_related("unit").annotate(has_second_factor=Exists(enrolled))
    if keyword:
        accounts = accounts.filter(Q(username__icontains=keyword) | Q(full_name__icontains=keyword))
    return accounts.order_by("username")
