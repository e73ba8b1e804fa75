"""站内通知 (and e-mail where ``EMAIL_HOST`` is set): who hears of what, and the delivery.

Services and signal handlers only *schedule* a notice with :func:`notify`; the rows are written
by a task on the queue after the transaction commits (``transaction.on_commit``), so a request
never waits for delivery and a rolled-back change notifies nobody. Recipients are the active
members of one unit holding the roles :data:`RECIPIENT_ROLES` names for the kind — never
anyone outside the case's chain — plus named people (the officer who issued a 督办单).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from types import MappingProxyType

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from xinfang.accounts.enums import Role
from xinfang.accounts.models import User, UserRole
from xinfang.cases.enums import DeadlineTier
from xinfang.cases.models import Case
from xinfang.supervision.enums import NotificationKind
from xinfang.supervision.models import Notification

logger = logging.getLogger(__name__)
K = NotificationKind

#: Which members of the receiving unit hear of each kind.
RECIPIENT_ROLES: Mapping[NotificationKind, frozenset[Role]] = MappingProxyType(
    {
        K.ASSIGNED: frozenset({Role.HANDLER, Role.LEADER}),
        K.SENT_BACK: frozenset({Role.HANDLER}),
        K.DUE_SOON: frozenset({Role.CLERK, Role.HANDLER}),
        K.OVERDUE: frozenset({Role.CLERK, Role.HANDLER, Role.LEADER}),
        K.ORDER_ISSUED: frozenset({Role.HANDLER, Role.LEADER}),
        K.ORDER_ANSWERED: frozenset({Role.SUPERVISOR, Role.LEADER}),
        K.ORDER_SENT_BACK: frozenset({Role.HANDLER, Role.LEADER}),
        K.ORDER_CLOSED: frozenset({Role.HANDLER, Role.LEADER}),
        K.REMINDER: frozenset({Role.HANDLER, Role.LEADER}),
        K.INSTRUCTION: frozenset({Role.HANDLER, Role.REVIEWER, Role.LEADER}),
        K.LISTED: frozenset({Role.HANDLER, Role.LEADER}),
    }
)


@dataclass(frozen=True)
class Notice:
    """What one notification says; plain values, so it travels through the queue."""

    kind: str
    text: str
    url: str = ""
    case_id: int | None = None
    order_id: int | None = None
    dedupe_key: str = ""


def case_notice(kind: NotificationKind, case: Case, detail: str = "") -> Notice:
    text = f"{kind.label}：{case.number} {case.title}"
    if detail:
        text = f"{text}（{detail}）"
    return Notice(
        kind=str(kind),
        text=text[:300],
        url=reverse("cases:detail", args=[case.number]),
        case_id=case.pk,
    )


def notify(
    notice: Notice,
    *,
    unit_id: int | None = None,
    user_ids: Iterable[int] = (),
    exclude_user_id: int | None = None,
) -> None:
    """Queue ``notice`` for the role-appropriate members of ``unit_id`` and for ``user_ids``,
    once the current transaction commits (at once outside one)."""
    from xinfang.supervision.tasks import deliver_notifications

    people = sorted(set(user_ids))
    payload = asdict(notice)
    transaction.on_commit(lambda: deliver_notifications(unit_id, people, payload, exclude_user_id))


@dataclass(frozen=True)
class Member:
    user: User
    roles: frozenset[Role]


def unit_members(unit_ids: Iterable[int], roles: frozenset[Role]) -> dict[int, list[Member]]:
    """Active members of each unit holding one of ``roles``, with those roles (one query)."""
    found: dict[int, tuple[User, set[Role]]] = {}
    grants = UserRole.objects.filter(
        user__unit_id__in=set(unit_ids), user__is_active=True, role__in=roles
    ).select_related("user")
    for grant in grants:
        user, held = found.setdefault(grant.user_id, (grant.user, set()))
        held.add(Role(grant.role))
    members: dict[int, list[Member]] = defaultdict(list)
    for user, held in sorted(found.values(), key=lambda item: item[0].pk):
        if user.unit_id is not None:
            members[user.unit_id].append(Member(user, frozenset(held)))
    return members


def deliver(
    notice: Notice,
    *,
    unit_id: int | None,
    user_ids: Iterable[int] = (),
    exclude_user_id: int | None = None,
) -> int:
    """Write the notification rows (and send the mails); returns how many were written.
    Runs on the queue. A ``dedupe_key`` already delivered to a person is skipped."""
    kind = NotificationKind(notice.kind)
    people: dict[int, User] = {
        user.pk: user for user in User.objects.filter(pk__in=list(user_ids), is_active=True)
    }
    if unit_id is not None:
        for member in unit_members([unit_id], RECIPIENT_ROLES[kind]).get(unit_id, []):
            people[member.user.pk] = member.user
    people.pop(exclude_user_id or 0, None)
    return _write({user: [notice] for user in people.values()})


def _write(plan: Mapping[User, list[Notice]]) -> int:
    """Insert the planned rows, skipping (recipient, dedupe_key) pairs that exist; mail the
    new ones. Conflicts with a concurrent run are ignored by the unique constraint."""
    keys = {n.dedupe_key for notices in plan.values() for n in notices if n.dedupe_key}
    done = (
        set(
            Notification.objects.filter(dedupe_key__in=keys).values_list(
                "recipient_id", "dedupe_key"
            )
        )
        if keys
        else set()
    )
    now = timezone.now()
    rows: list[Notification] = []
    mails: list[tuple[User, Notice]] = []
    for user, notices in plan.items():
        for notice in notices:
            if notice.dedupe_key and (user.pk, notice.dedupe_key) in done:
                continue
            rows.append(
                Notification(
                    recipient=user,
                    kind=notice.kind,
                    case_id=notice.case_id,
                    order_id=notice.order_id,
                    text=notice.text[:300],
                    url=notice.url[:300],
                    created_at=now,
                    dedupe_key=notice.dedupe_key,
                )
            )
            mails.append((user, notice))
    Notification.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
    send_mails(mails)
    return len(rows)


def mail_body(notice: Notice, number: str) -> tuple[str, str]:
    """Subject and body of the e-mail: the kind and the case number only. Mail leaves the
    intranet's control, so it carries no title, no request and no name."""
    label = NotificationKind(notice.kind).label
    subject = f"【信访事项办理系统】{label}"
    body = f"{label}：{number}。\n请登录信访事项办理系统查看和办理。\n（本邮件由系统自动发送）"
    return subject, body


def send_mails(mails: list[tuple[User, Notice]]) -> int:
    """E-mail the new notifications to recipients with an address, when a mail host is
    configured. A failing mail server is logged and never undoes the in-system notice."""
    if not settings.EMAIL_HOST:
        return 0
    wanted = [(user, notice) for user, notice in mails if user.email]
    case_ids = {notice.case_id for _user, notice in wanted if notice.case_id}
    numbers = dict(Case.objects.filter(pk__in=case_ids).values_list("pk", "number"))
    messages = []
    for user, notice in wanted:
        subject, body = mail_body(notice, numbers.get(notice.case_id or 0, ""))
        messages.append((subject, body, settings.DEFAULT_FROM_EMAIL, [user.email]))
    if not messages:
        return 0
    try:
        return send_mass_mail(tuple(messages), fail_silently=False)
    except OSError as error:  # smtplib.SMTPException is an OSError
        logger.warning("通知邮件发送失败（%s 封）：%s", len(messages), type(error).__name__)
        return 0


# --- the nightly due-date notices ----------------------------------------------------------

_DUE_TIERS: Mapping[str, NotificationKind] = MappingProxyType(
    {
        DeadlineTier.NEAR: K.DUE_SOON,
        DeadlineTier.OVERDUE: K.OVERDUE,
        DeadlineTier.SEVERE: K.OVERDUE,
    }
)


def notify_due_dates(*, today: dt.date | None = None, chunk: int = 1000) -> int:
    """即将到期 / 已超期: one notice per case, due date and tier to the unit that owes the
    step, however many nights the sweep runs (the due date is in the dedupe key, so an
    extension that moves it notifies again). Returns how many rows were written."""
    del today  # the stored tiers are today's: the sweep ran first
    cases = (
        Case.objects.filter(tier__in=list(_DUE_TIERS), responsible_unit__isnull=False)
        .only("pk", "number", "title", "due_on", "tier", "responsible_unit_id")
        .order_by("pk")
    )
    written = 0
    batch: list[Case] = []
    for case in cases.iterator(chunk_size=chunk):
        batch.append(case)
        if len(batch) == chunk:
            written += _due_batch(batch)
            batch = []
    if batch:
        written += _due_batch(batch)
    return written


def _due_batch(cases: list[Case]) -> int:
    roles = RECIPIENT_ROLES[K.DUE_SOON] | RECIPIENT_ROLES[K.OVERDUE]
    members = unit_members([c.responsible_unit_id for c in cases if c.responsible_unit_id], roles)
    plan: dict[User, list[Notice]] = defaultdict(list)
    for case in cases:
        kind = _DUE_TIERS[case.tier]
        base = case_notice(kind, case, f"期限 {case.due_on:%Y-%m-%d}" if case.due_on else "")
        notice = Notice(
            kind=base.kind,
            text=base.text,
            url=base.url,
            case_id=case.pk,
            dedupe_key=f"{kind}:{case.pk}:{case.due_on}",
        )
        for member in members.get(case.responsible_unit_id or 0, []):
            if member.roles & RECIPIENT_ROLES[kind]:
                plan[member.user].append(notice)
    return _write(plan)
