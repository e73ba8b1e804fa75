"""Hooks other templates call: the navigation links and the bell in ``base.html``, and the
supervision panel on the case page (``cases/detail.html``). Each computes its own context,
so the pages that include them need not know about supervision."""

from __future__ import annotations

from typing import Any

from django import template
from django.contrib.auth.models import AnonymousUser

from xinfang.accounts import rules
from xinfang.cases.models import Case
from xinfang.supervision import queries
from xinfang.supervision.forms import (
    InstructionForm,
    ListingForm,
    ReminderForm,
    TakeForm,
)
from xinfang.supervision.services import is_open, owing_unit

register = template.Library()


def _user(context: template.Context) -> Any:
    return context.get("user") or AnonymousUser()


@register.inclusion_tag("supervision/_nav.html", takes_context=True)
def supervision_nav(context: template.Context) -> dict[str, Any]:
    """督办 in the main navigation (挂牌督办 and 我的包案 are tabs of its pages)."""
    user = _user(context)
    return {"show": bool(context.get("nav_signed_in")) and rules.can_work_cases(user)}


@register.inclusion_tag("supervision/_subnav.html", takes_context=True)
def supervision_subnav(context: template.Context, current: str) -> dict[str, Any]:
    """The supervision pages' own tabs: 督办单, 挂牌督办, 我的包案, 发起督办."""
    user = _user(context)
    return {
        "current": current,
        "can_take": rules.can_take_cases(user),
        "can_supervise": rules.can_supervise(user),
    }


@register.inclusion_tag("supervision/_bell.html", takes_context=True)
def supervision_bell(context: template.Context) -> dict[str, Any]:
    """通知: the unread count next to the user's name (one indexed COUNT)."""
    user = _user(context)
    show = bool(context.get("nav_signed_in")) and rules.can_work_cases(user)
    unread = queries.unread_count(user) if show else 0
    return {"show": show, "unread": unread, "shown": "99+" if unread > 99 else str(unread)}


@register.inclusion_tag("supervision/_case_panel.html", takes_context=True)
def supervision_case_panel(context: template.Context, case: Case) -> dict[str, Any]:
    """督办与批示 on the case page: orders, 批示/催办, 挂牌 and 包案, and the forms this
    person may use now. The page has already scoped the case through cases_visible_to."""
    user = _user(context)
    panel = queries.case_panel(user, case)
    open_case = is_open(case)
    unit = owing_unit(case)
    own_unit = unit is not None and unit.pk == getattr(user, "unit_id", None)
    supervise = rules.can_supervise(user) and open_case and unit is not None and not own_unit
    return {
        "case": case,
        "panel": panel,
        "can_issue": supervise,
        "reminder_form": ReminderForm(auto_id="id_reminder_%s") if supervise else None,
        "instruction_form": (
            InstructionForm(auto_id="id_instruction_%s") if rules.can_instruct(user) else None
        ),
        "listing_form": (
            ListingForm(unit=user.unit, auto_id="id_listing_%s")
            if rules.can_supervise(user) and open_case and panel.listing is None
            else None
        ),
        "take_form": (
            TakeForm(auto_id="id_take_%s")
            if rules.can_take_cases(user) and open_case and panel.taken is None
            else None
        ),
    }
