"""Groups of a breakdown: what each grouped value is called, where its row sorts, and the
filters that select exactly its rows (so every row links to its drill-down).

Regions, categories and units are trees. A breakdown shows the level below the node the
filters chose (or below the deepest node all the values share): a township's cases count
into its district's row. Cases of the node itself get a "（本级）" row. Python works on the
grouped values only — a few hundred at most — never on rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from xinfang.accounts.models import Region, Unit
from xinfang.cases.enums import Channel, HandlingCategory
from xinfang.cases.models import ContentCategory
from xinfang.stats.enums import Dimension
from xinfang.stats.periods import Period

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from xinfang.accounts.models import User
    from xinfang.stats.queries import StatsFilters

#: Region codes are 2/4/6/9/12 digits; a code's prefixes of these lengths are its ancestors.
REGION_CODE_LENGTHS = (2, 4, 6, 9, 12)


@dataclass(frozen=True)
class Group:
    key: str
    label: str
    order: tuple[Any, ...]
    #: Filter changes that select this group's rows (``StatsFilters.narrowed`` arguments).
    narrow: dict[str, Any] = field(default_factory=dict)
    period: Period | None = None


def month_group(month: Period) -> Group:
    return Group(month.start.isoformat(), month.short_label, (month.start,), period=month)


def _common_prefix(codes: Sequence[str]) -> str:
    """The longest start all codes share, character by character."""
    if not codes:
        return ""
    first, last = min(codes), max(codes)
    size = 0
    while size < min(len(first), len(last)) and first[size] == last[size]:
        size += 1
    return first[:size]


def _region_groups(values: Sequence[Any], filters: StatsFilters) -> dict[Any, Group]:
    leaves = {r.pk: r for r in Region.objects.filter(pk__in=[v for v in values if v])}
    if filters.region_code:
        node = Region.objects.filter(code=filters.region_code).first()
    else:
        shared = _common_prefix([leaf.code for leaf in leaves.values()])
        # One region alone is shown under its parent, not as a "本级" row of itself.
        usable = len(shared) if len(leaves) > 1 else len(shared) - 1
        fits = [n for n in REGION_CODE_LENGTHS if n <= usable]
        node = Region.objects.filter(code=shared[: fits[-1]]).first() if fits else None
    children = list(
        Region.objects.filter(parent=node) if node else Region.objects.filter(parent__isnull=True)
    )
    groups: dict[Any, Group] = {}
    for value, leaf in leaves.items():
        child = next((c for c in children if leaf.code.startswith(c.code)), None)
        if node is not None and leaf.pk == node.pk:
            groups[value] = Group(
                f"self:{node.code}",
                f"{node.name}（本级）",
                (0, node.code),
                {"region_code": node.code, "region_exact": True},
            )
        elif child is not None:
            groups[value] = Group(
                child.code,
                child.name,
                (1, child.code),
                {"region_code": child.code, "region_exact": False},
            )
        else:
            groups[value] = Group(
                leaf.code,
                leaf.name,
                (2, leaf.code),
                {"region_code": leaf.code, "region_exact": False},
            )
    return groups


def _category_groups(values: Sequence[Any], filters: StatsFilters) -> dict[Any, Group]:
    leaves = {c.pk: c for c in ContentCategory.objects.filter(pk__in=[v for v in values if v])}
    if filters.category_code:
        node = ContentCategory.objects.filter(code=filters.category_code).first()
    else:
        shared = _common_prefix([leaf.code for leaf in leaves.values()])
        candidates = ContentCategory.objects.filter(
            code__in=[shared[:n] for n in range(len(shared), 0, -1)]
        ).order_by("-level")
        node = candidates.first() if len(leaves) > 1 else None
    children = list(
        ContentCategory.objects.filter(parent=node)
        if node
        else ContentCategory.objects.filter(parent__isnull=True)
    )
    groups: dict[Any, Group] = {}
    for value, leaf in leaves.items():
        child = next((c for c in children if leaf.code.startswith(c.code)), None)
        if node is not None and leaf.pk == node.pk:
            groups[value] = Group(
                f"self:{node.code}",
                f"{node.name}（本级）",
                (0, node.code),
                {"category_code": node.code, "category_exact": True},
            )
        elif child is not None:
            groups[value] = Group(
                child.code,
                child.name,
                (1, child.code),
                {"category_code": child.code, "category_exact": False},
            )
        else:
            groups[value] = Group(
                leaf.code,
                leaf.name,
                (2, leaf.code),
                {"category_code": leaf.code, "category_exact": False},
            )
    return groups


NO_UNIT_LABEL = "尚未转送交办（登记单位办理中）"


def _path_order(path: str) -> tuple[int, ...]:
    """ "/1/10/" after "/1/9/": the tree's order, not the text's."""
    return tuple(int(part) for part in path.strip("/").split("/") if part.isdigit())


def _unit_groups(
    values: Sequence[Any], filters: StatsFilters, user: User | AnonymousUser
) -> dict[Any, Group]:
    from xinfang.stats.queries import NO_UNIT

    leaves = {u.pk: u for u in Unit.objects.filter(pk__in=[v for v in values if v])}
    node_id = filters.unit_id if filters.unit_id not in (None, NO_UNIT) else None
    node = Unit.objects.filter(pk=node_id).first() if node_id else getattr(user, "unit", None)
    children = list(Unit.objects.filter(parent=node)) if node else []
    groups: dict[Any, Group] = {}
    if None in values:
        groups[None] = Group("none", NO_UNIT_LABEL, (3, ()), {"unit_id": NO_UNIT})
    for value, leaf in leaves.items():
        child = next((c for c in children if leaf.path.startswith(c.path)), None)
        if node is not None and leaf.pk == node.pk:
            groups[value] = Group(
                f"self:{node.pk}",
                f"{node.name}（本级）",
                (0, _path_order(node.path)),
                {"unit_id": node.pk, "unit_exact": True},
            )
        elif child is not None:
            groups[value] = Group(
                str(child.pk),
                child.name,
                (1, _path_order(child.path)),
                {"unit_id": child.pk, "unit_exact": False},
            )
        else:  # visible through the registering office, handled outside the user's tree
            groups[value] = Group(
                str(leaf.pk),
                leaf.name,
                (2, _path_order(leaf.path)),
                {"unit_id": leaf.pk, "unit_exact": False},
            )
    return groups


def _reception_groups(values: Sequence[Any]) -> dict[Any, Group]:
    units = {u.pk: u for u in Unit.objects.filter(pk__in=values)}
    return {
        value: Group(
            str(value), units[value].name, _path_order(units[value].path), {"reception_id": value}
        )
        for value in values
        if value in units
    }


def _choice_groups(
    values: Sequence[Any], choices: list[tuple[str, str]], name: str
) -> dict[Any, Group]:
    order = {value: index for index, (value, _) in enumerate(choices)}
    labels = dict(choices)
    return {
        value: Group(
            str(value), str(labels.get(value, value)), (order.get(value, 99),), {name: value}
        )
        for value in values
    }


def groups_for(
    dimension: Dimension,
    values: Sequence[Any],
    filters: StatsFilters,
    user: User | AnonymousUser,
) -> dict[Any, Group]:
    if dimension == Dimension.REGION:
        return _region_groups(values, filters)
    if dimension == Dimension.CATEGORY:
        return _category_groups(values, filters)
    if dimension == Dimension.UNIT:
        return _unit_groups(values, filters, user)
    if dimension == Dimension.RECEPTION:
        return _reception_groups(values)
    if dimension == Dimension.CHANNEL:
        return _choice_groups(values, [(v, str(label)) for v, label in Channel.choices], "channel")
    if dimension == Dimension.HANDLING:
        choices = [(v, str(label)) for v, label in HandlingCategory.choices]
        return _choice_groups(values, choices, "handling_category")
    raise ValueError(f"no groups for {dimension}")
