"""W6: related-case candidates for a new complaint, as the registration page asks while the
clerk types. Ours: ``related_cases`` (same person through the blind indexes; same matter
through the rarest words' newest postings in the index, rescored by TF-IDF cosine); the
baseline: brute force, the TF-IDF cosine of the complaint with every case the clerk may see,
read from the stored search documents.

The complaints are new ones written by the demo generator with another seed: the same
estates, employers and projects the database's cases are about, as repeat matters are. Each
row also says how many of the brute force's five most similar cases ours offers (its recall
against the exhaustive answer; ours looks up a bounded number of postings per word)."""

from __future__ import annotations

import heapq
import math
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from functools import partial

from django.conf import settings

from bench.database import REFERENCE_DATE
from bench.report import Row, timing_row
from bench.stats import Summary, timed
from xinfang.accounts.models import Region, User
from xinfang.cases.models import ContentCategory
from xinfang.search.models import SearchDocument
from xinfang.search.related import Draft, candidate_scope, related_cases
from xinfang.search.termstats import (
    Weights,
    bigrams,
    matter_fields,
    matter_text_fields,
    weights_for,
)

TARGET_MS = 100.0
SEED = 20261127
COMPLAINTS = 40
QUICK_COMPLAINTS = 10
TOP = 5
USERNAME = "clerk"
TITLE_WEIGHT = 2  # as the registration panel weighs a title word


def complaints(count: int) -> list[Draft]:
    """New complaints (title, request, facts, region, category), the same every run."""
    from xinfang.cases.demo import DemoGenerator

    generator = DemoGenerator(
        seed=SEED,
        cases=count,
        today=REFERENCE_DATE,
        collective_threshold=settings.XF_COLLECTIVE_THRESHOLD,
    )
    plans = list(generator.plans())
    regions = dict(
        Region.objects.filter(code__in={p.region for p in plans}).values_list("code", "id")
    )
    categories = dict(
        ContentCategory.objects.filter(code__in={p.category for p in plans}).values_list(
            "code", "id"
        )
    )
    return [
        Draft(
            title=plan.title,
            request=plan.request,
            facts=plan.facts_reasons,
            region_id=regions.get(plan.region),
            category_id=categories.get(plan.category),
        )
        for plan in plans
    ]


def _counts(fields: Sequence[str]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for index, text in enumerate(fields):
        for term in bigrams(text):
            counts[term] += TITLE_WEIGHT if index == 0 else 1
    return counts


def _norm(counts: Mapping[str, int], idf: Mapping[str, float]) -> float:
    return math.sqrt(sum(((1 + math.log(n)) * idf[t]) ** 2 for t, n in counts.items()))


def brute_force(user: User, draft: Draft, weights: Weights) -> list[int]:
    """The ``TOP`` visible cases with the highest TF-IDF cosine to the draft, every stored
    document read and weighed (the word weights are the index's own statistics)."""
    scope = candidate_scope(user)
    if scope is None:
        return []
    query = _counts(matter_text_fields(draft.title, draft.request, draft.facts))
    idf: dict[str, float] = {}

    def weight(term: str) -> float:
        if term not in idf:
            idf[term] = weights.idf(term)
        return idf[term]

    query_vector = {t: (1 + math.log(n)) * weight(t) for t, n in query.items()}
    query_norm = math.sqrt(sum(v * v for v in query_vector.values())) or 1.0
    best: list[tuple[float, int]] = []
    documents = SearchDocument.objects.filter(case__in=scope.values("id")).values_list(
        "case_id", "body"
    )
    for case_id, body in documents.iterator(chunk_size=5000):
        counts = _counts(matter_fields(body))
        shared = [t for t in query_vector if t in counts]
        if not shared:
            continue
        for term in counts:
            weight(term)
        dot = sum(query_vector[t] * (1 + math.log(counts[t])) * idf[t] for t in shared)
        score = dot / ((_norm(counts, idf) or 1.0) * query_norm)
        if len(best) < TOP:
            heapq.heappush(best, (score, case_id))
        elif score > best[0][0]:
            heapq.heapreplace(best, (score, case_id))
    return [case_id for _score, case_id in sorted(best, reverse=True)]


def run(*, quick: bool, cases: int) -> list[Row]:
    drafts = complaints(QUICK_COMPLAINTS if quick else COMPLAINTS)
    user = User.objects.get(username=USERNAME)
    for draft in drafts[:2]:  # warm-up
        related_cases(user, draft)
    ours = [timed(partial(related_cases, user, draft)) for draft in drafts]
    # The brute force reads every document: a few complaints are enough for its median.
    checked = drafts[: 1 if quick or cases > 200_000 else 3]
    weights = weights_for(())
    recall: list[float] = []
    brute: list[float] = []
    for draft in checked:
        offered = {c.case.pk for c in related_cases(user, draft).candidates}
        started = time.perf_counter()
        exhaustive = brute_force(user, draft, weights)
        brute.append(time.perf_counter() - started)
        if exhaustive:
            recall.append(sum(1 for pk in exhaustive if pk in offered) / len(exhaustive))
    found = sum(recall) / len(recall) if recall else 0.0
    return [
        timing_row(
            "W6",
            f"相关事项 related-case candidates ({len(drafts)} new complaints)",
            ours=Summary.of(ours),
            baseline=Summary.of(brute),
            baseline_name="brute-force TF-IDF cosine over every visible case",
            scale=1000,
            unit="ms",
            target=f"p95 < {TARGET_MS:.0f} ms",
            limit=TARGET_MS,
            note=(
                f"offers {found:.0%} of the brute force's top {TOP}"
                f" (over {len(checked)} complaint{'s' if len(checked) > 1 else ''})"
            ),
            recall_top5=round(found, 3),
        )
    ]
