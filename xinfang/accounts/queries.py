"""Reads on accounts."""

from __future__ import annotations

from django.db.models import Case, Prefetch, Q, QuerySet, When

from xinfang.accounts.enums import Role
from xinfang.accounts.models import Unit, User, UserRole


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
