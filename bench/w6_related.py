"""W6: related-case candidates for a new complaint, as the registration page asks while the
clerk types. Ours: ``related_cases`` (same person through the blind indexes; same matter
through the most telling words' postings in the index, within a budget, rescored by TF-IDF
cosine); the baseline: brute force, the TF-IDF cosine of the complaint with every case the
clerk may see, read from the stored search documents and weighed with the index's own word
statistics, on the same text the panel compares (timed on one complaint, or three below 200k
cases).

The complaints are new ones written by the demo generator with another seed: the same
estates, employers and projects the database's cases are about, as repeat matters are. Each
row also says how close ours comes to the exhaustive answer, over every complaint (or
``BENCH_W6_CHECKED`` of them), all weighed in one more read of every document: the share of
the brute force's top five ours offers (same ids), the same share counting a case that ties
with the brute force's fifth as a hit (generated complaints repeat each other), and the
similarity ours offers as a share of the brute force's. The brute force ranks as the panel
does (cosine of at least ``MIN_SIMILARITY``, plus its boosts for the same place and category);
the tie-aware share by cosine alone is given too."""

from __future__ import annotations

import heapq
import math
import os
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

from django.conf import settings

from bench.database import REFERENCE_DATE
from bench.report import Row, timing_row
from bench.stats import Summary, timed
from xinfang.accounts.models import Region, User
from xinfang.cases.models import ContentCategory
from xinfang.search.models import SearchDocument, TermSample, TermStatistic
from xinfang.search.related import (
    CATEGORY_BOOST,
    MIN_SIMILARITY,
    REGION_BOOST,
    RESCORE_CAPS,
    Draft,
    QueryText,
    candidate_scope,
    document_counts,
    related_cases,
    tf_weight,
)
from xinfang.search.termstats import (
    Weights,
)

TARGET_MS = 100.0
SEED = 20261127
COMPLAINTS = 40
QUICK_COMPLAINTS = 10
TOP = 5
USERNAME = "clerk"
KEPT = 50  # best cases the exhaustive pass keeps per complaint (to count ties)
EPSILON = 1e-6  # cosines closer than this tie


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


def index_weights() -> Weights:
    """The word weights of the index, every stored word at once (the exhaustive pass meets
    most of them): what the registration panel weighs a word by, and so the brute force."""
    sample = TermSample.objects.order_by("-built_at").first()
    return Weights(
        sample=sample.documents if sample else 0,
        indexed=sample.indexed if sample else 0,
        frequencies=dict(TermStatistic.objects.values_list("term", "documents")),
    )


@dataclass
class Exhaustive:
    """What the brute force found for one complaint: its ``KEPT`` best cases (score, id), best
    first, and the score of each case ours offered (0 when it shares no word)."""

    best: list[tuple[float, int]]
    offered: dict[int, float]

    @property
    def top(self) -> list[tuple[float, int]]:
        return self.best[:TOP]

    @property
    def ties(self) -> int:
        """How many cases score at least the brute force's ``TOP``-th (≥ ``KEPT`` not told)."""
        if len(self.best) < TOP:
            return len(self.best)
        floor = self.best[TOP - 1][0] - EPSILON
        return sum(1 for score, _ in self.best if score >= floor)

    def recall(self, ours: Sequence[int]) -> float:
        """The share of the brute force's top cases that ours offers (ids only)."""
        wanted = {case_id for _, case_id in self.top}
        return len(wanted.intersection(ours[:TOP])) / len(wanted)

    def agreement(self, ours: Sequence[int]) -> float:
        """Tie-aware recall: the share of the brute force's top places ours fills with a case
        scoring at least the brute force's last one (less ``EPSILON``). Generated complaints
        repeat each other, so many cases can tie for a place: any of them is as good."""
        floor = self.top[-1][0] - EPSILON
        good = sum(1 for case_id in ours[:TOP] if self.offered.get(case_id, 0.0) >= floor)
        return min(good, len(self.top)) / len(self.top)

    def score_ratio(self, ours: Sequence[int]) -> float:
        """The cosine ours offers over the brute force's, summed over the top places: how
        close in similarity, where ids differ."""
        got = sorted((self.offered.get(case_id, 0.0) for case_id in ours[:TOP]), reverse=True)
        return sum(got[: len(self.top)]) / sum(score for score, _ in self.top)


@dataclass
class Answers:
    """The brute force's answers for one complaint: by cosine alone, and by the panel's own
    order (cosine of at least ``MIN_SIMILARITY``, plus the boosts for the same place and
    category): what the panel would offer had it weighed every case."""

    cosine: Exhaustive
    panel: Exhaustive


def exhaustive(
    user: User, drafts: Sequence[Draft], weights: Weights, offered: Sequence[Sequence[int]] = ()
) -> list[Answers]:
    """The TF-IDF cosine of each draft with every case the clerk may see, in one read of the
    stored documents (each tokenised once, then weighed against every draft): on the text the
    panel compares (title and the beginning of request and facts, ``RESCORE_CAPS``), with the
    index's own word statistics."""
    scope = candidate_scope(user)
    if scope is None:
        return [Answers(Exhaustive([], {}), Exhaustive([], {})) for _ in drafts]
    idf: dict[str, float] = {}

    def weight(term: str) -> float:
        value = idf.get(term)
        if value is None:
            value = idf[term] = weights.idf(term)
        return value

    # term -> [(draft number, query weight / query norm)]
    wanted: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for number, draft in enumerate(drafts):
        query = QueryText.of(draft).counts
        vector = {t: tf_weight(n) * weight(t) for t, n in query.items()}
        norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
        for term, value in vector.items():
            wanted[term].append((number, value / norm))
    looked_for = [set(ids) for ids in offered] or [set() for _ in drafts]
    by_cosine: list[list[tuple[float, int]]] = [[] for _ in drafts]
    by_panel: list[list[tuple[float, int]]] = [[] for _ in drafts]
    found: list[dict[int, tuple[float, float]]] = [{} for _ in drafts]
    documents = SearchDocument.objects.filter(case__in=scope.values("id")).values_list(
        "case_id", "body", "case__region_id", "case__content_category_id"
    )
    for case_id, body, region_id, category_id in documents.iterator(chunk_size=5000):
        counts = document_counts(body, RESCORE_CAPS)
        for term in counts.keys() - idf.keys():
            idf[term] = weights.idf(term)
        values = {term: tf_weight(n) * idf[term] for term, n in counts.items()}
        dots: dict[int, float] = defaultdict(float)
        for term in values.keys() & wanted.keys():
            value = values[term]
            for number, query_value in wanted[term]:
                dots[number] += query_value * value
        if not dots:
            continue
        norm = math.sqrt(sum(value * value for value in values.values()))
        for number, dot in dots.items():
            score = dot / (norm or 1.0)
            panel = _panel(drafts[number], score, region_id, category_id)
            _keep(by_cosine[number], score, case_id)
            if panel:
                _keep(by_panel[number], panel, case_id)
            if case_id in looked_for[number]:
                found[number][case_id] = (score, panel)
    return [
        Answers(
            Exhaustive(sorted(cosine, reverse=True), {k: v[0] for k, v in scores.items()}),
            Exhaustive(sorted(panel, reverse=True), {k: v[1] for k, v in scores.items()}),
        )
        for cosine, panel, scores in zip(by_cosine, by_panel, found, strict=True)
    ]


def _panel(draft: Draft, cosine: float, region_id: int, category_id: int) -> float:
    """The panel's score of a case (0: not similar enough to be offered)."""
    if cosine < MIN_SIMILARITY:
        return 0.0
    same_region = draft.region_id is not None and region_id == draft.region_id
    same_category = draft.category_id is not None and category_id == draft.category_id
    return (
        cosine + (REGION_BOOST if same_region else 0.0) + (CATEGORY_BOOST if same_category else 0.0)
    )


def _keep(heap: list[tuple[float, int]], score: float, case_id: int) -> None:
    """Keep the ``KEPT`` best (score, case id) of a heap."""
    if len(heap) < KEPT:
        heapq.heappush(heap, (score, case_id))
    elif score > heap[0][0]:
        heapq.heapreplace(heap, (score, case_id))


def brute_force(user: User, draft: Draft, weights: Weights) -> list[int]:
    """The ``TOP`` visible cases with the highest TF-IDF cosine to the draft, every stored
    document read and weighed."""
    (result,) = exhaustive(user, [draft], weights)
    return [case_id for _score, case_id in result.cosine.top]


def _checked(quick: bool, cases: int) -> int:
    """Complaints checked against the exhaustive pass: all of them, unless
    ``BENCH_W6_CHECKED`` says fewer (one pass costs minutes at a million cases, however many
    complaints it weighs)."""
    return int(os.environ.get("BENCH_W6_CHECKED", "0")) or (
        QUICK_COMPLAINTS if quick else COMPLAINTS
    )


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def run(*, quick: bool, cases: int) -> list[Row]:
    drafts = complaints(QUICK_COMPLAINTS if quick else COMPLAINTS)
    user = User.objects.get(username=USERNAME)
    for draft in drafts[:2]:  # warm-up
        related_cases(user, draft)
    ours = [timed(partial(related_cases, user, draft)) for draft in drafts]
    weights = index_weights()
    # The brute force reads every document: a few complaints are enough for its median.
    brute = [
        timed(partial(brute_force, user, draft, weights))
        for draft in drafts[: 1 if quick or cases > 200_000 else 3]
    ]
    # Its answers: every complaint (or BENCH_W6_CHECKED of them) weighed in one more read.
    checked = drafts[: _checked(quick, cases)]
    offered = [
        [c.case.pk for c in related_cases(user, draft).candidates if not c.same_person]
        for draft in checked
    ]
    results = exhaustive(user, checked, weights, offered)
    panel = [(r.panel, mine) for r, mine in zip(results, offered, strict=True) if r.panel.top]
    cosine = [(r.cosine, mine) for r, mine in zip(results, offered, strict=True) if r.cosine.top]
    recall = _mean([result.recall(mine) for result, mine in panel])
    agreement = _mean([result.agreement(mine) for result, mine in panel])
    ratio = _mean([result.score_ratio(mine) for result, mine in panel])
    cosine_agreement = _mean([result.agreement(mine) for result, mine in cosine])
    ties = sorted(result.ties for result, _ in panel)
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
                f"top {TOP} vs the brute force's over {len(panel)} complaints: same ids"
                f" {recall:.0%}, tie-aware {agreement:.0%} (by cosine alone"
                f" {cosine_agreement:.0%}), score {ratio:.1%} of its"
            ),
            recall_top5=round(recall, 3),
            agreement_top5=round(agreement, 3),
            score_ratio_top5=round(ratio, 4),
            cosine_agreement_top5=round(cosine_agreement, 3),
            checked=len(panel),
            ties_median=ties[len(ties) // 2] if ties else 0,
            ties_max=ties[-1] if ties else 0,
        )
    ]
