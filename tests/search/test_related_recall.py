"""Related cases keep finding the most similar old case as the index grows: the words looked up
are chosen by what they tell per index entry read (a rare word is read whole, a common one is
left to the rescoring), and the bench's tie-aware agreement counts a tied case as a hit."""

from __future__ import annotations

import pytest

from bench.w6_related import Exhaustive
from tests.factories import CaseFactory
from xinfang.accounts.models import User
from xinfang.search import related
from xinfang.search.related import Draft, QueryText, lookup_terms, related_cases
from xinfang.search.termstats import refresh_term_statistics, weights_for

OLD_TITLE = "翠湖名苑电梯长期停运"
OLD_REQUEST = "请求责令翠湖名苑物业公司尽快修复电梯。"
DRAFT = Draft(title="翠湖名苑电梯停运", request="请求物业公司修复电梯")


def _newer_cases(clerk: User) -> None:
    """Newer cases each sharing half of the old case's telling words, and many sharing only
    the common ones."""
    for number in range(10):
        CaseFactory(registered_by=clerk, title=f"翠湖名苑{number}号楼停车难")
        CaseFactory(registered_by=clerk, title=f"第{number}大厦电梯停运")
    for number in range(30):
        CaseFactory(
            registered_by=clerk,
            title=f"第{number}号小区物业公司乱收费",
            request="请求责令物业公司停止乱收费。",
        )


def test_an_old_case_holding_all_the_telling_words_is_found_behind_newer_ones(
    clerk: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = CaseFactory(registered_by=clerk, title=OLD_TITLE, request=OLD_REQUEST)
    _newer_cases(clerk)
    refresh_term_statistics()
    # A small index made to look like a large one: each telling word has more newer matches
    # than cases rescored, and reading the common words whole would overrun the budget.
    monkeypatch.setattr(related, "POSTING_BUDGET", 100)
    monkeypatch.setattr(related, "RARE_POSTINGS", 2)
    monkeypatch.setattr(related, "RESCORE", 3)
    monkeypatch.setattr(related, "WIDE", 6)

    offered = [candidate.case.pk for candidate in related_cases(clerk, DRAFT).candidates]

    assert offered[:1] == [old.pk]


def test_common_words_are_left_out_when_the_budget_is_spent_on_telling_ones(
    clerk: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    CaseFactory(registered_by=clerk, title=OLD_TITLE, request=OLD_REQUEST)
    _newer_cases(clerk)
    refresh_term_statistics()
    monkeypatch.setattr(related, "POSTING_BUDGET", 100)
    query = QueryText.of(DRAFT)

    looked_up = [lookup.term for lookup in lookup_terms(query, weights_for(query.counts))]

    assert {"翠湖", "电梯"} <= set(looked_up)
    assert "物业" not in looked_up


def test_max_score_pruning_keeps_the_same_best_cases(
    clerk: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    CaseFactory(registered_by=clerk, title=OLD_TITLE, request=OLD_REQUEST)
    _newer_cases(clerk)
    refresh_term_statistics()
    query = QueryText.of(DRAFT)
    lookups = lookup_terms(query, weights_for(query.counts))

    monkeypatch.setattr(related, "THRESHOLD_CHECKS", frozenset(range(1, 64)))
    pruned = related._prescore(lookups, 3)
    monkeypatch.setattr(related, "THRESHOLD_CHECKS", frozenset())
    everything = related._prescore(lookups, 3)

    assert len(lookups) > 3
    assert pruned == everything


def test_the_agreement_counts_a_case_tied_with_the_brute_forces_fifth_as_a_hit() -> None:
    best = [(0.9, 1), (0.8, 2), (0.7, 3), (0.6, 4), (0.5, 5), (0.5, 6), (0.5, 7), (0.4, 8)]
    answer = Exhaustive(best, {1: 0.9, 2: 0.8, 3: 0.7, 4: 0.6, 7: 0.5})

    assert answer.recall([1, 2, 3, 4, 7]) == 0.8
    assert answer.agreement([1, 2, 3, 4, 7]) == 1.0
    assert answer.ties == 7  # the four above, and three at the fifth place


def test_the_agreement_does_not_count_a_less_similar_case() -> None:
    best = [(0.9, 1), (0.8, 2), (0.7, 3), (0.6, 4), (0.5, 5), (0.4, 8)]
    answer = Exhaustive(best, {1: 0.9, 2: 0.8, 3: 0.7, 4: 0.6, 8: 0.4})

    assert answer.agreement([1, 2, 3, 4, 8]) == 0.8
    assert answer.score_ratio([1, 2, 3, 4, 8]) == pytest.approx(3.4 / 3.5)
