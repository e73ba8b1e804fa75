"""Word weights for related cases: how common each bigram is, from a sample of the index.

Related-case candidates (:mod:`xinfang.search.related`) weigh the words a clerk types by their
rarity, and issue groups (:mod:`xinfang.search.groups`) tell a distinctive phrase from a common
one the same way. Counting every document at every keystroke is what does not scale, so the
counts come from the newest ``SAMPLE_SIZE`` documents, refreshed nightly (and after
``rebuild_search_index``): a bounded read whatever the size of the index. A bigram the sample
holds once or not at all is not stored and counts as rare.
"""

from __future__ import annotations

import math
import operator
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from xinfang.search.analyzer import normalize, runs
from xinfang.search.models import SearchDocument, TermSample, TermStatistic

SAMPLE_SIZE = 20_000
# What of a case describes the matter (its reply does not): title, request, facts and reasons
# (the first three fields of a stored document), each cut to bound the work per case.
FIELD_CAPS = (200, 2000, 1000)
MAX_TERM_LENGTH = 8  # TermStatistic.term
BATCH = 5000
LOOKUP_CHUNK = 2000  # well under SQLite's limit of bound parameters


def bigrams(normalized: str) -> list[str]:
    """The bigrams of an already normalised text, in order (runs of one character give none:
    a single character says too little to relate two matters)."""
    grams: list[str] = []
    for run in runs(normalized):
        grams.extend(map(operator.add, run, run[1:]))
    return grams


def matter_fields(body: str) -> list[str]:
    """The capped title, request and facts of a stored (normalised) document body."""
    fields = body.split(SearchDocument.FIELD_SEPARATOR)
    return [(fields[i] if i < len(fields) else "")[:cap] for i, cap in enumerate(FIELD_CAPS)]


def matter_text_fields(title: str, request: str, facts: str) -> list[str]:
    """The same fields of text being typed (normalised, capped)."""
    return [
        normalize(text[: cap * 2])[:cap]
        for text, cap in zip((title, request, facts), FIELD_CAPS, strict=True)
    ]


@dataclass(frozen=True)
class Weights:
    """Document frequencies of some bigrams, and what they were counted on."""

    sample: int  # documents sampled (0: never counted: every word weighs the same)
    indexed: int  # documents in the index when sampled
    frequencies: dict[str, int]

    def share(self, term: str) -> float:
        """The share of sampled documents holding ``term`` (0 for an unseen or rare one)."""
        return self.frequencies.get(term, 0) / self.sample if self.sample else 0.0

    def idf(self, term: str) -> float:
        """Inverse document frequency, smoothed: rare words weigh more."""
        return math.log((self.sample + 1) / (self.frequencies.get(term, 0) + 0.5))

    def estimated_documents(self, term: str) -> int:
        """About how many documents of the whole index hold ``term``."""
        return round(self.share(term) * self.indexed)


def weights_for(terms: Iterable[str]) -> Weights:
    """The stored frequencies of these terms (one query per ``LOOKUP_CHUNK`` terms, plus one)."""
    sample = TermSample.objects.order_by("-built_at").first()
    return Weights(
        sample=sample.documents if sample else 0,
        indexed=sample.indexed if sample else 0,
        frequencies=frequencies_of(terms),
    )


def frequencies_of(terms: Iterable[str]) -> dict[str, int]:
    """The stored frequencies of these terms (absent: held once or never in the sample)."""
    wanted = sorted({term for term in terms if len(term) <= MAX_TERM_LENGTH})
    frequencies: dict[str, int] = {}
    # Plain SQL: thousands of terms per call, where building an ORM lookup costs more than
    # the primary-key probes themselves.
    with connection.cursor() as cursor:
        for start in range(0, len(wanted), LOOKUP_CHUNK):
            chunk = wanted[start : start + LOOKUP_CHUNK]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                f"SELECT term, documents FROM {TermStatistic._meta.db_table} "  # noqa: S608
                f"WHERE term IN ({marks})",
                chunk,
            )
            frequencies.update(cursor.fetchall())
    return frequencies


def _sampled_bodies(size: int) -> Iterator[str]:
    """The bodies of the newest ``size`` documents, read in keyset batches."""
    below: int | None = None
    seen = 0
    while seen < size:
        rows = SearchDocument.objects.order_by("-case_id")
        if below is not None:
            rows = rows.filter(case_id__lt=below)
        batch = list(rows.values_list("case_id", "body")[: min(BATCH, size - seen)])
        if not batch:
            return
        for _case_id, body in batch:
            yield body
        seen += len(batch)
        below = batch[-1][0]


def refresh_term_statistics(*, sample_size: int = SAMPLE_SIZE) -> TermSample:
    """Count the bigrams of the newest ``sample_size`` documents and replace the stored counts
    in one transaction (readers see the old counts or the new ones, never a mix)."""
    counts: Counter[str] = Counter()
    sampled = 0
    for body in _sampled_bodies(sample_size):
        sampled += 1
        seen: set[str] = set()
        for field in matter_fields(body):
            seen.update(bigrams(field))
        counts.update(seen)
    indexed = SearchDocument.objects.count()
    kept = [
        TermStatistic(term=term, documents=n)
        for term, n in counts.items()
        if n > 1 and len(term) <= MAX_TERM_LENGTH
    ]
    with transaction.atomic():
        TermStatistic.objects.all().delete()
        TermStatistic.objects.bulk_create(kept, batch_size=BATCH)
        TermSample.objects.all().delete()
        return TermSample.objects.create(
            documents=sampled, indexed=indexed, built_at=timezone.now()
        )
