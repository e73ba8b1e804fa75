"""The index finds exactly what a substring scan of the same fields finds: the real messages
from ../shared/data plus texts made to be awkward (full-width, punctuation, ASCII, HTML)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from django.utils import timezone

from tests.search.conftest import real_messages
from xinfang.accounts.models import Region, User
from xinfang.cases.enums import Channel, HandlingCategory, PetitionForm
from xinfang.cases.models import Case, ContentCategory
from xinfang.cases.queries import CaseFilters
from xinfang.core.crypto import seal
from xinfang.search.analyzer import normalize, parse_query, runs, substring_match
from xinfang.search.documents import CaseText, case_texts
from xinfang.search.queries import search_ids
from xinfang.search.rebuild import rebuild

AWKWARD = [
    ("Ａ３区物业管理处", "请求：ＡＢＣ公司退还１２３元。", "", ""),
    ("A33区物业", "2019年PPP项目拖欠工资", "电话13800138000", ""),
    ("物业\n管理", "物业，管理；物 业", "x-3 a3-区", "<script>物业管理</script>"),
    ("区", "A市", "a", "Ⅻ号楼①栋"),
    ("物业管理物业管理", "业业业业", "管理", "答复：物业管理规范"),
    ("zero\u200bwidth物\u200b业", "tab\t物业\u3000管理", "小区，噪音", "ﬁle ǅ"),
]

FIXED_QUERIES = [
    "区",
    "物",
    "a",
    "3",
    "物业",
    "小区",
    "噪音",
    "物业管理",
    "拖欠工资",
    "管理物业",
    "业业",
    "业业业",
    "小区 噪音",
    "物业 管理",
    "A3",
    "a3区",
    "3区",
    "Ａ３",
    "2019",
    "ppp",
    "019",
    "123元",
    "a3-区",
    "x-3",
    "物业，管理",
    "小区，噪音",
    "，物业",
    "script",
    "<script>",
    "file",
    "dz",
    "12",
    "XII",
    "1栋",
    "A市 区 物业 管理 小区",
    "根本不存在的词语组合",
]


def _make_corpus(user: User, region: Region, category: ContentCategory, shared: Path) -> None:
    rows = [(t, r, f, reply) for t, r, f, reply in AWKWARD]
    rows += [(subj[:200], details, "", reply) for subj, details, reply in real_messages(shared)]
    now = timezone.now()
    cases = [
        Case(
            number=f"S-{n:06d}",
            query_code_sealed=seal("ABCD2345", aad=f"cases_case.query_code.S-{n:06d}"),
            channel=Channel.ONLINE,
            form=PetitionForm.INDIVIDUAL,
            handling_category=HandlingCategory.CLAIM,
            content_category=category,
            region=region,
            title=title,
            request=request,
            facts_reasons=facts,
            draft={"body": reply} if reply else {},
            received_on=now.date(),
            registered_at=now,
            registered_by=user,
            registering_unit=user.unit,
        )
        for n, (title, request, facts, reply) in enumerate(rows)
    ]
    Case.objects.bulk_create(cases, batch_size=500)  # no signals: the rebuild indexes them
    rebuild(batch=500)


def _sampled_queries(texts: list[CaseText], count: int) -> list[str]:
    """Substrings cut at random from the corpus (1–6 characters, across punctuation too),
    and pairs of them."""
    rng = random.Random(20260507)
    picked: list[str] = []
    while len(picked) < count:
        field = rng.choice(rng.choice(texts).fields())
        if not field.strip():
            continue
        size = rng.randint(1, 6)
        start = rng.randrange(max(1, len(field) - size))
        piece = "".join(field[start : start + size].split())
        if piece and runs(normalize(piece)):
            picked.append(piece)
    pairs = [f"{picked[i]} {picked[i + 1]}" for i in range(0, 20, 2)]
    return picked + pairs


@pytest.mark.shared_data
def test_search_finds_exactly_what_a_substring_scan_finds(
    clerk: User, region: Region, category: ContentCategory, shared_data: Path
) -> None:
    _make_corpus(clerk, region, category, shared_data)
    texts = case_texts(list(Case.objects.values_list("pk", flat=True)))
    normalized = [(text.case_id, [normalize(field) for field in text.fields()]) for text in texts]
    found_counts = {}
    mismatches = []
    for raw in FIXED_QUERIES + _sampled_queries(texts, 60):
        query = parse_query(raw)
        found = set(search_ids(clerk, query, CaseFilters()))
        expected = {
            case_id
            for case_id, fields in normalized
            if all(any(term.text in field for field in fields) for term in query.terms)
        }
        found_counts[raw] = len(found)
        if found != expected:
            mismatches.append((raw, len(found), len(expected)))
    assert mismatches == []
    # Not a vacuous comparison: common words of the real messages match many cases.
    assert found_counts["物业"] > found_counts["物业管理"] > 20
    assert found_counts["小区 噪音"] > 10


def test_the_reference_scan_normalises_like_the_index() -> None:
    query = parse_query("ＡＢＣ　物业")
    assert substring_match(query, ["abc公司", "小区物业"])
    assert not substring_match(query, ["abc公司", "物 业"])
