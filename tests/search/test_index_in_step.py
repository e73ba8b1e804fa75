"""The index follows every write: registration, edits, opinions, deletion; bulk rows wait for
the rebuild command."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import transaction

from tests.cases.workflow_cast import Cast, opinion, register, walk_to
from tests.factories import CaseFactory
from xinfang.accounts.models import User
from xinfang.cases import steps
from xinfang.cases.enums import CaseStatus
from xinfang.cases.models import Case
from xinfang.cases.queries import CaseFilters
from xinfang.documents.enums import Outcome
from xinfang.documents.services import RequestOutcome
from xinfang.search.analyzer import FTS5, TSVECTOR, analyse, parse_query
from xinfang.search.documents import case_texts
from xinfang.search.index import index_analysed, index_cases, prepare
from xinfang.search.models import SearchDocument
from xinfang.search.queries import search_ids


def _found(user: User, raw: str) -> list[str]:
    ids = search_ids(user, parse_query(raw), CaseFilters())
    return sorted(Case.objects.filter(pk__in=ids).values_list("number", flat=True))


def test_a_registered_case_is_found_at_once(cast: Cast) -> None:
    case = register(cast)
    assert _found(cast.clerk, "物业费") == [case.number]


def test_an_edited_title_is_found_by_its_new_words_only(cast: Cast) -> None:
    case = register(cast)
    case.title = "电梯长期停运"
    case.save()
    assert _found(cast.clerk, "电梯") == [case.number]
    assert _found(cast.clerk, "多收费") == []


def test_the_submitted_draft_opinion_is_searchable_as_reply_text(cast: Cast) -> None:
    case = walk_to(cast, CaseStatus.IN_HANDLING)
    assert _found(cast.clerk, "未经备案") == []
    steps.submit_draft(case, actor=cast.handler, opinion=opinion())
    assert _found(cast.clerk, "未经备案") == [case.number]


def test_the_review_opinion_is_searchable_as_reply_text(cast: Cast) -> None:
    case = walk_to(cast, CaseStatus.REVIEW_REQUESTED)
    review = steps.OpinionInput(
        outcomes=[RequestOutcome("请求退还多收的物业费。", Outcome.EXPLAIN, "复查认定收费已公示")],
        body="维持原处理意见。",
    )
    steps.issue_review_opinion(
        case, actor=cast.leader, opinion=review, recheck_unit=cast.units.office
    )
    assert _found(cast.clerk, "收费已公示") == [case.number]


def test_a_deleted_case_leaves_nothing_in_the_index(cast: Cast) -> None:
    case = register(cast)
    kept = register(cast)
    Case.objects.filter(pk=case.pk).delete()
    assert _found(cast.clerk, "物业费") == [kept.number]
    assert list(SearchDocument.objects.values_list("case_id", flat=True)) == [kept.pk]


def test_a_rolled_back_registration_leaves_nothing_in_the_index(cast: Cast) -> None:
    def register_then_fail() -> None:
        with transaction.atomic():
            register(cast)
            raise RuntimeError

    with pytest.raises(RuntimeError):
        register_then_fail()
    assert _found(cast.clerk, "物业费") == []
    assert SearchDocument.objects.count() == 0


def test_bulk_created_cases_are_found_after_the_rebuild_command(clerk: User) -> None:
    indexed = CaseFactory(registered_by=clerk, title="小区噪音扰民")
    bulk = Case.objects.get(pk=indexed.pk)
    bulk.pk, bulk.number = None, "BULK-1"
    Case.objects.bulk_create([bulk])  # sends no signal
    assert _found(clerk, "噪音") == [indexed.number]
    out = io.StringIO()
    call_command("rebuild_search_index", stdout=out)
    assert _found(clerk, "噪音") == sorted([indexed.number, "BULK-1"])
    assert "已处理 1/1 件（100%），写入 1 件" in out.getvalue()
    again = io.StringIO()
    call_command("rebuild_search_index", stdout=again)
    assert "处理 0 件，写入 0 件" in again.getvalue()


def test_a_full_rebuild_reindexes_every_case_and_finds_the_same(clerk: User) -> None:
    CaseFactory(registered_by=clerk, title="小区噪音扰民")
    CaseFactory(registered_by=clerk, title="拖欠工资")
    Case.objects.filter(title="拖欠工资").update(title="拖欠农民工工资")  # no signal
    out = io.StringIO()
    call_command("rebuild_search_index", "--full", "--batch", "1", stdout=out)
    assert "已处理 2/2 件（100%），写入 2 件" in out.getvalue()
    assert len(_found(clerk, "工资")) == 1
    assert len(_found(clerk, "农民工")) == 1
    assert len(_found(clerk, "噪音")) == 1


def test_the_all_option_rewrites_only_documents_whose_text_changed(clerk: User) -> None:
    CaseFactory(registered_by=clerk, title="小区噪音扰民")
    CaseFactory(registered_by=clerk, title="拖欠工资")
    Case.objects.filter(title="拖欠工资").update(title="拖欠农民工工资")  # no signal
    out = io.StringIO()
    call_command("rebuild_search_index", "--all", stdout=out)
    assert "处理 2 件，写入 1 件" in out.getvalue()
    assert len(_found(clerk, "农民工")) == 1


@pytest.mark.parametrize("form", [FTS5, TSVECTOR])
def test_a_text_analysed_elsewhere_is_indexed_as_the_case_text_would_be(
    clerk: User, form: str
) -> None:
    """``index_analysed`` takes what another process analysed; a text analysed for the other
    database's index is analysed again when written."""
    case = CaseFactory(registered_by=clerk, title="小区噪音扰民", request="请求协调夜间施工")
    Case.objects.filter(pk=case.pk).update(title="小区噪音扰民（夜间）")  # no signal
    (text,) = case_texts([case.pk])
    assert index_analysed([(case.pk, analyse(text.fields(), form))]) == 1
    assert SearchDocument.objects.get(case=case).body == prepare(text).body
    assert index_cases([case.pk]) == 0  # what the case's text gives is what is stored
    assert (_found(clerk, "夜间"), _found(clerk, "噪音扰民"), _found(clerk, "协")) == (
        [case.number], [case.number], [case.number],
    )  # fmt: skip
