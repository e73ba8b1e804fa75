"""Nobody finds a case they may not see; the list filters narrow search results."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from tests.conftest import Units
from tests.factories import CaseFactory, ContentCategoryFactory
from xinfang.accounts.models import User
from xinfang.cases.enums import CaseStatus, Channel
from xinfang.cases.models import Case
from xinfang.cases.queries import CaseFilters
from xinfang.search.analyzer import parse_query
from xinfang.search.queries import search_ids


def _numbers(user: User, raw: str, filters: CaseFilters | None = None) -> list[str]:
    ids = search_ids(user, parse_query(raw), filters or CaseFilters())
    return sorted(Case.objects.filter(pk__in=ids).values_list("number", flat=True))


def _case(registered_by: User, number: str, title: str, **fields: object) -> Case:
    return CaseFactory(number=number, registered_by=registered_by, title=title, **fields)


def test_outsider_finds_nothing_of_unit_a_however_well_the_words_match(
    units: Units, clerk: User, handler: User, outsider: User
) -> None:
    _case(clerk, "A-1", "锦绣花园物业乱收费", handling_unit=units.unit_a)
    _case(handler, "A-2", "锦绣花园物业不维修")
    _case(outsider, "B-1", "锦绣花园物业欠薪")
    assert _numbers(outsider, "锦绣花园") == ["B-1"]
    assert _numbers(outsider, "乱收费") == []
    assert _numbers(handler, "锦绣花园") == ["A-1", "A-2"]
    assert _numbers(clerk, "锦绣花园") == ["A-1", "A-2", "B-1"]


def test_administrators_find_no_cases(units: Units, clerk: User, auditor: User) -> None:
    _case(clerk, "A-1", "锦绣花园物业乱收费")
    assert _numbers(auditor, "物业") == []


def test_a_case_under_review_by_unit_a_is_found_by_unit_a(
    units: Units, clerk: User, handler: User, outsider: User
) -> None:
    _case(clerk, "A-1", "复查中的物业事项", handling_unit=units.unit_b, review_unit=units.unit_a)
    assert _numbers(handler, "物业") == ["A-1"]
    assert _numbers(outsider, "物业") == ["A-1"]


def test_list_filters_narrow_the_results(units: Units, clerk: User) -> None:
    other = ContentCategoryFactory(code="05", name="劳动社保")
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    _case(clerk, "A-1", "物业收费", channel=Channel.VISIT)
    _case(clerk, "A-2", "物业收费", channel=Channel.LETTER, content_category=other)
    _case(clerk, "A-3", "物业收费", status=CaseStatus.CLOSED, received_on=yesterday)
    assert _numbers(clerk, "物业", CaseFilters(channel=Channel.LETTER)) == ["A-2"]
    assert _numbers(clerk, "物业", CaseFilters(category_code="05")) == ["A-2"]
    assert _numbers(clerk, "物业", CaseFilters(status=CaseStatus.CLOSED)) == ["A-3"]
    assert _numbers(clerk, "物业", CaseFilters(received_to=yesterday)) == ["A-3"]
    assert _numbers(clerk, "物业", CaseFilters(unit_id=units.unit_a.pk)) == []
