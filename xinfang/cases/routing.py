"""分办: which organ has power to handle a case (属地管理、分级负责，谁主管、谁负责).

The rules table suggests; a person decides. Overriding a suggestion needs a reason, kept on the
transfer's timeline entry. Rules are edited by the 系统管理员 (audited)."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q

from xinfang.accounts import rules as predicates
from xinfang.accounts.enums import UnitKind
from xinfang.accounts.models import Region, Unit, User
from xinfang.audit.services import record
from xinfang.cases.enums import ClaimRoute, HandlingCategory
from xinfang.cases.models import Case, ContentCategory, RoutingRule


@dataclass(frozen=True)
class Suggestion:
    unit: Unit
    rule: RoutingRule

    @property
    def reason(self) -> str:
        if not (self.rule.region_id or self.rule.content_category_id):
            return "兜底规则"
        return f"分办规则：{self.rule}"


def _prefixes(code: str) -> list[str]:
    return [code[:n] for n in range(1, len(code) + 1)]


def requires_legal_unit(case: Case) -> bool:
    """诉访分离 (第二十八条): a 涉法涉诉 matter — flagged so, or on route 1 (诉讼、检察、公安
    procedures) — goes only to a 政法机关."""
    return case.involves_litigation or case.claim_route == ClaimRoute.LITIGATION


def in_accused_subtree(accused: Unit | None, unit: Unit) -> bool:
    """The unit is the accused unit of a 检举控告 or under it."""
    return accused is not None and unit.path.startswith(accused.path)


def accused_refusal(accused: Unit) -> str:
    """第三十条、第四十六条: never to the accused for handling; name the superior organ."""
    superior = f"，请转送其上级机关（{accused.parent.name}）" if accused.parent else ""
    return (
        f"不得将检举控告事项交由被检举控告单位（{accused.name}）或其下属单位办理"
        f"（《信访工作条例》第三十条、第四十六条）{superior}。"
    )


def suggest_unit(case: Case, *, accused: Unit | None = None) -> Suggestion | None:
    """The most specific active rule matching the case's 问题属地, 内容分类, 处理类别 and route;
    涉法涉诉 matters only go to 政法 units (第二十八条); a 检举控告 never goes to the accused unit
    or a unit under it (``accused``: one being recorded now). None when no rule matches."""
    accused = accused or case.accused_unit
    region_codes = _prefixes(case.region.code) if case.region_id else []
    category_codes = _prefixes(case.content_category.code) if case.content_category_id else []
    candidates = (
        RoutingRule.objects.filter(is_active=True, unit__is_active=True)
        .filter(Q(region=None) | Q(region__code__in=region_codes))
        .filter(Q(content_category=None) | Q(content_category__code__in=category_codes))
        .filter(Q(handling_category="") | Q(handling_category=case.handling_category))
        .filter(Q(claim_route=None) | Q(claim_route=case.claim_route))
        .exclude(unit_id=case.registering_unit_id)
        .select_related("region", "content_category", "unit")
    )
    if requires_legal_unit(case):
        candidates = candidates.filter(unit__kind=UnitKind.LEGAL)
    if accused is not None:
        candidates = candidates.exclude(unit__path__startswith=accused.path)
    best = max(candidates, key=lambda rule: (rule.specificity, -rule.pk), default=None)
    return Suggestion(best.unit, best) if best else None


@transaction.atomic
def add_rule(
    *,
    actor: User,
    unit: Unit,
    region: Region | None = None,
    content_category: ContentCategory | None = None,
    handling_category: HandlingCategory | None = None,
    claim_route: ClaimRoute | None = None,
    note: str = "",
) -> RoutingRule:
    if not predicates.can_manage_accounts(actor):
        raise PermissionDenied("只有系统管理员可以维护分办规则。")
    if not unit.is_active:
        raise ValidationError(f"{unit.name}已停用。")
    if claim_route == ClaimRoute.LITIGATION and unit.kind != UnitKind.LEGAL:
        raise ValidationError("涉法涉诉途径的分办规则只能指向政法机关（第二十八条）。")
    duplicate = RoutingRule.objects.filter(
        is_active=True,
        region=region,
        content_category=content_category,
        handling_category=handling_category or "",
        claim_route=claim_route,
    )
    if duplicate.exists():
        raise ValidationError("已有相同条件的规则，请先停用原规则。")
    rule = RoutingRule.objects.create(
        unit=unit,
        region=region,
        content_category=content_category,
        handling_category=handling_category or "",
        claim_route=claim_route,
        note=note.strip()[:200],
    )
    record(
        "routing.add_rule",
        actor=actor,
        target=rule,
        object_id=str(rule.pk),
        detail={
            "unit": unit.code,
            "region": region.code if region else "",
            "category": content_category.code if content_category else "",
        },
    )
    return rule


@transaction.atomic
def retire_rule(rule: RoutingRule, *, actor: User) -> None:
    if not predicates.can_manage_accounts(actor):
        raise PermissionDenied("只有系统管理员可以维护分办规则。")
    RoutingRule.objects.filter(pk=rule.pk).update(is_active=False)
    record("routing.retire_rule", actor=actor, target=rule, object_id=str(rule.pk), detail={})
