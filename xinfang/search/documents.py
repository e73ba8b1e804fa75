"""What is searchable about a case: its title, request, facts and reasons, and the reply text.

The reply text is the 处理意见 as drafted and issued (``Case.draft``: overall reply, basis, and per
request its reasoning), the 复查/复核 opinions (the payloads of ``review_issued`` and
``recheck_issued``), reviewers' comments on issuing (``reply_issued``), and whatever other apps
register with :func:`register_text_source` (the ledger import adds replies it brought in).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from xinfang.cases.enums import EventKind
from xinfang.cases.models import Case, CaseEvent

# Timeline entries whose payload carries reply text.
REPLY_EVENT_KINDS = (EventKind.REPLY_ISSUED, EventKind.REVIEW_ISSUED, EventKind.RECHECK_ISSUED)
# Entries that cannot change any searchable text; every other kind (including ones added
# later) re-indexes its case, so a new step that writes text is covered by default.
TEXTLESS_EVENT_KINDS = frozenset(
    {
        EventKind.REGISTERED,
        EventKind.CONTACT_ADDED,
        EventKind.ATTACHMENT_ADDED,
        EventKind.TRANSFERRED,
        EventKind.ASSIGNED,
        EventKind.SIGNED,
        EventKind.OBJECTED,
        EventKind.ACCEPTED,
        EventKind.NOT_ACCEPTED,
        EventKind.NOT_REACCEPTED,
        EventKind.EXTENSION_REQUESTED,
        EventKind.EXTENSION_APPROVED,
        EventKind.EXTENSION_REJECTED,
        EventKind.DRAFT_SENT_BACK,
        EventKind.SERVED,
        EventKind.REVIEW_REQUESTED,
        EventKind.RECHECK_REQUESTED,
        EventKind.HEARING_STARTED,
        EventKind.HEARING_ENDED,
        EventKind.CLOSED,
        EventKind.TERMINATED,
    }
)

# Extra reply text from other apps: given case ids, the texts to add per case id.
TextSource = Callable[[Sequence[int]], Mapping[int, list[str]]]
_TEXT_SOURCES: list[TextSource] = []


def register_text_source(source: TextSource) -> None:
    if source not in _TEXT_SOURCES:
        _TEXT_SOURCES.append(source)


@dataclass(frozen=True)
class CaseText:
    """The original (unnormalised) searchable fields of one case, in index column order."""

    case_id: int
    title: str
    request: str
    facts: str
    reply: str

    def fields(self) -> list[str]:
        return [self.title, self.request, self.facts, self.reply]


FIELD_LABELS = ("标题", "诉求", "事实和理由", "答复意见")


def opinion_texts(opinion: Mapping[str, Any]) -> list[str]:
    """The words of a 处理意见/复查意见/复核意见 as stored in JSON (draft or event payload)."""
    texts = [str(opinion.get(key) or "") for key in ("body", "basis", "comment")]
    outcomes = opinion.get("outcomes")
    for item in outcomes if isinstance(outcomes, list) else []:
        if isinstance(item, Mapping):
            texts.extend(str(item.get(key) or "") for key in ("request", "reasoning"))
    return [text for text in texts if text.strip()]


def _reply(parts: Iterable[str]) -> str:
    return "\n".join(part for part in parts if part)


def reply_texts(case_ids: Sequence[int], drafts: Mapping[int, object]) -> dict[int, str]:
    """The reply text per case id, from the drafts given (``Case.draft`` by id), the opinion
    events and the registered sources: one query plus one per source."""
    parts: dict[int, list[str]] = defaultdict(list)
    for case_id, draft in drafts.items():
        if isinstance(draft, Mapping):
            parts[case_id].extend(opinion_texts(draft))
    events = (
        CaseEvent.objects.filter(case_id__in=case_ids, kind__in=REPLY_EVENT_KINDS)
        .order_by("occurred_at", "id")
        .values_list("case_id", "payload")
    )
    for case_id, payload in events:
        if isinstance(payload, Mapping):
            parts[case_id].extend(opinion_texts(payload))
    for source in _TEXT_SOURCES:
        for case_id, texts in source(case_ids).items():
            parts[case_id].extend(texts)
    return {case_id: _reply(texts) for case_id, texts in parts.items()}


def texts_of(cases: Sequence[Case]) -> list[CaseText]:
    """The searchable fields of cases already loaded (title, request, facts, draft)."""
    ids = [case.pk for case in cases]
    replies = reply_texts(ids, {case.pk: case.draft for case in cases})
    return [
        CaseText(case.pk, case.title, case.request, case.facts_reasons, replies.get(case.pk, ""))
        for case in cases
    ]


def case_texts(case_ids: Sequence[int]) -> list[CaseText]:
    """The searchable fields of these cases (ids of deleted cases are left out)."""
    if not case_ids:
        return []
    cases = list(
        Case.objects.filter(pk__in=case_ids).only("title", "request", "facts_reasons", "draft")
    )
    return texts_of(cases)


def new_case_text(case: Case) -> CaseText:
    """The text of a case just created, without a query: no timeline yet, and an app that adds
    text through a source re-indexes the case once it has written that text."""
    drafted = opinion_texts(case.draft) if isinstance(case.draft, Mapping) else []
    return CaseText(
        case_id=case.pk,
        title=case.title,
        request=case.request,
        facts=case.facts_reasons,
        reply=_reply(drafted),
    )
