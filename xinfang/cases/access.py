"""What a user may get of a case beyond seeing it.

Two rules sit here so that every path asks the same function:

- **检举控告保密** (第三十条、第四十六条): the accused unit (``Case.accused_unit``) and every unit
  under it never get the accuser's identity (name, ID number, phone, address) nor the case's
  material (what was written, attachments, notices). :func:`may_see_petitioner` decides one
  case in memory; :func:`accuser_withheld` is the same rule as a condition for querysets (the
  case page's prefetches, search, exports, the 重访 lookup).
- **回避** (第二十八条第三款): a staff member with a declared interest takes no step on the case
  (:func:`is_recused`, asked by ``workflow.may_act_as``) and gets no full personal data.

Reads only: the services that write recusals and units live in ``services``/``steps``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q

from xinfang.accounts import rules
from xinfang.cases.models import Case, Recusal

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from xinfang.accounts.models import Unit, User

WITHHELD_MESSAGE = (
    "本单位是该检举控告事项的被检举控告单位（或其下属单位），"
    "依照《信访工作条例》第三十条、第四十六条，不能查看检举控告人的身份信息和检举控告材料。"
)
RECUSED_MESSAGE = (
    "您已申报与本事项有利害关系，依照《信访工作条例》第二十八条第三款应当回避，不能办理本事项。"
)


def unit_lineage_ids(unit: Unit) -> list[int]:
    """The unit and every unit above it, read from its materialised path ("/1/7/12/")."""
    return [int(part) for part in unit.path.strip("/").split("/") if part]


def accuser_withheld(user: User | AnonymousUser, *, prefix: str = "") -> Q:
    """Cases whose accuser is withheld from ``user``: the accused unit is the user's unit or a
    unit above it. ``prefix`` reaches the case from a related model ("case__")."""
    unit = getattr(user, "unit", None)
    if unit is None:
        return Q(pk__in=[])  # no unit, no case at all (cases_visible_to is empty)
    return Q(**{f"{prefix}accused_unit_id__in": unit_lineage_ids(unit)})


def may_see_petitioner(user: User | AnonymousUser, case: Case) -> bool:
    """Whether ``user`` may get the accuser's identity and the case's material: every path that
    shows petitioners, attachments, notices or what was written asks this (no query)."""
    unit = getattr(user, "unit", None)
    if not rules.can_work_cases(user) or unit is None:
        return False
    return case.accused_unit_id is None or case.accused_unit_id not in unit_lineage_ids(unit)


def is_recused(user: User | AnonymousUser, case: Case) -> bool:
    """Whether ``user`` declared (or was recorded with) an interest in ``case``. The user's
    recusals are read once per user object (a request): a list of cases costs one query."""
    if not user.is_authenticated:
        return False
    cached: frozenset[int] | None = user.__dict__.get("_recused_case_ids")
    if cached is None:
        rows = Recusal.objects.filter(user_id=user.pk).values_list("case_id", flat=True)
        cached = frozenset(rows)
        user.__dict__["_recused_case_ids"] = cached
    return case.pk in cached


def forget_recusals(user: User) -> None:
    """After a recusal of ``user`` is written: the next question reads the table again."""
    user.__dict__.pop("_recused_case_ids", None)
