"""Related cases and issue groups on the real citizen messages in ../shared/data/tipdm2020,
against the pairs and groups labelled by hand in ``related_labels``. The figures (recall,
precision, false offers) are printed and kept in test-artifacts/related-quality.json."""

from __future__ import annotations

import datetime as dt
import json
import random
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import openpyxl
import pytest
from django.utils import timezone

from tests.browser.conftest import ARTIFACTS
from tests.conftest import Units
from tests.search.conftest import LABELED_FILE, REPLIES_FILE
from tests.search.related_labels import CLUSTERS, ISSUE_GROUPS
from xinfang.accounts.enums import RegionLevel
from xinfang.accounts.models import Region, User
from xinfang.cases.enums import Channel, HandlingCategory, PetitionForm
from xinfang.cases.models import Case, ContentCategory
from xinfang.core.crypto import seal
from xinfang.search import groups
from xinfang.search.models import GroupRun
from xinfang.search.rebuild import rebuild
from xinfang.search.related import Draft, related_cases
from xinfang.search.termstats import refresh_term_statistics

pytestmark = pytest.mark.shared_data

_DATE = re.compile(r"(\d{4})[/-](\d{1,2})[/-](\d{1,2})")
# Place names are masked in the messages ("A7县", "K市"): each stands for one county here.
_PLACE = re.compile(r"[A-Z]\d{0,2}[县区市]")


@dataclass(frozen=True)
class Message:
    id: int
    subject: str
    details: str
    received: dt.date
    place: str


def _date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    match = _DATE.search(str(value or ""))
    if match is None:
        return dt.date(2019, 1, 1)
    return dt.date(int(match[1]), int(match[2]), int(match[3]))


@cache
def messages(root: Path) -> tuple[Message, ...]:
    """Every message of the two files once (by 留言编号), with its date and masked place."""
    found: dict[int, Message] = {}
    for name in (REPLIES_FILE, LABELED_FILE):
        book = openpyxl.load_workbook(root / name, read_only=True)
        try:
            for row in book.worksheets[0].iter_rows(min_row=2, values_only=True):
                if not row or not row[0] or not row[2]:
                    continue
                subject, details = str(row[2]).strip(), " ".join(str(row[4] or "").split())
                place = _PLACE.search(subject) or _PLACE.search(details)
                found.setdefault(
                    int(str(row[0])),
                    Message(
                        int(str(row[0])),
                        subject,
                        details,
                        _date(row[3]),
                        place[0] if place else "（不详）",
                    ),
                )
        finally:
            book.close()
    return tuple(found.values())


def _corpus(user: User, category: ContentCategory, root: Path) -> dict[int, Case]:
    """One case per message, in a county of its masked place; indexed and weighed."""
    province = Region.objects.create(code="98", name="西地省", level=RegionLevel.PROVINCE)
    places = sorted({message.place for message in messages(root)})
    regions = {
        place: Region.objects.create(
            code=f"98{n:04d}", name=place, level=RegionLevel.COUNTY, parent=province
        )
        for n, place in enumerate(places, start=1)
    }
    now = timezone.now()
    cases = [
        Case(
            number=f"M-{message.id}",
            query_code_sealed=seal("ABCD2345", aad=f"cases_case.query_code.M-{message.id}"),
            channel=Channel.ONLINE,
            form=PetitionForm.INDIVIDUAL,
            handling_category=HandlingCategory.CLAIM,
            content_category=category,
            region=regions[message.place],
            title=message.subject[:200],
            request=message.details or "（无）",
            received_on=message.received,
            registered_at=now,
            registered_by=user,
            registering_unit=user.unit,
        )
        for message in messages(root)
    ]
    Case.objects.bulk_create(cases, batch_size=500)
    rebuild(batch=500)
    refresh_term_statistics()
    return {int(case.number[2:]): case for case in Case.objects.all()}


def _offers(user: User, message: Message, by_id: dict[int, Case], *, short: bool) -> list[int]:
    """The message ids offered for a message typed in again (itself excluded): in full, or
    as a clerk's summary (the title and the first 40 characters)."""
    details = message.details[:40] if short else message.details
    related = related_cases(user, Draft(title=message.subject, request=details))
    own = by_id[message.id].pk
    return [int(c.case.number[2:]) for c in related.candidates if c.case.pk != own]


def test_related_candidates_find_the_labelled_repeats_and_offer_little_else(
    clerk: User, category: ContentCategory, shared_data: Path
) -> None:
    by_id = _corpus(clerk, category, shared_data)
    known = {message.id: message for message in messages(shared_data)}
    figures: dict[str, float] = {}
    for short in (False, True):
        queries = hits_at_5 = offered = right_first = 0
        for cluster in CLUSTERS:
            for member in cluster:
                found = _offers(clerk, known[member], by_id, short=short)
                queries += 1
                mates = set(cluster) - {member}
                hits_at_5 += bool(mates & set(found[:5]))
                if found:
                    offered += 1
                    right_first += found[0] in mates
        kind = "summary" if short else "full"
        figures[f"{kind}_queries"] = queries
        figures[f"{kind}_recall_at_5"] = round(hits_at_5 / queries, 3)
        figures[f"{kind}_precision_at_1"] = round(right_first / offered, 3)
    labelled = {member for cluster in CLUSTERS for member in cluster}
    rng = random.Random(20261126)
    loners = rng.sample(sorted(set(known) - labelled), 150)
    false_offers = sum(bool(_offers(clerk, known[m], by_id, short=False)) for m in loners)
    figures["unlabelled_queries"] = len(loners)
    figures["unlabelled_offered_share"] = round(false_offers / len(loners), 3)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "related-quality.json").write_text(json.dumps(figures, indent=2))
    print("related-case quality on the real messages:", figures)  # noqa: T201

    assert figures["full_recall_at_5"] >= 0.95
    assert figures["full_precision_at_1"] >= 0.95
    assert figures["summary_recall_at_5"] >= 0.9
    assert figures["summary_precision_at_1"] >= 0.9
    # Unlabelled messages include real repeats nobody labelled; still, offers stay rare.
    assert figures["unlabelled_offered_share"] <= 0.15


def test_issue_groups_on_the_real_messages_gather_the_labelled_estates_and_projects(
    clerk: User, supervisor: User, units: Units, category: ContentCategory, shared_data: Path
) -> None:
    by_id = _corpus(clerk, category, shared_data)
    # Every year of the messages: longer than a person may ask for, so queued here directly.
    queued = GroupRun.objects.create(
        scope_unit=units.office,
        period_from=dt.date(2010, 1, 1),
        period_to=dt.date(2020, 12, 31),
        requested_by=supervisor,
        requested_at=timezone.now(),
    )

    run = groups.compute_run(queued.pk)

    group_of = {
        case_id: group.label
        for group in run.groups.all()
        for case_id in group.members.values_list("case_id", flat=True)
    }
    for phrase, members in ISSUE_GROUPS.items():
        labels = {group_of.get(by_id[member].pk) for member in members}
        assert len(labels) == 1, (phrase, labels)
        label = labels.pop()
        assert label is not None, phrase
        assert phrase in label, (phrase, label)
    sizes = sorted((group.size for group in run.groups.all()), reverse=True)
    print("issue groups on the real messages:", run.group_count, "groups, sizes", sizes)  # noqa: T201
    assert 10 <= run.group_count <= 80
