"""Related cases at registration: is this person, or this matter, already a case?

Two kinds of candidates, each with the reason shown to the clerk:

- **同一信访人**: existing cases of a person with the same ID number or phone, found through the
  blind indexes (exact match, no decryption).
- **同一事项**: existing cases whose words resemble what is being typed. Each word typed
  carries a share of the cosine (its squared TF-IDF weight in the draft); the words bringing
  the most share per index entry read (rare words, title words, repeated words) are read
  *whole* from the full-text index, within ``POSTING_BUDGET`` entries in all, so an old case
  sharing them is found however many newer cases share the common words (those are left to
  the rescoring). The cases holding the most weight of the words read (summed with a
  max-score cut: once no case met later can catch up, only the cases met so far gather
  weight) are rescored by the cosine of their TF-IDF bigram vectors with the typed text (on
  the title and the beginning of request and facts: on the labelled real messages this
  ranks a short summary's repeats first more often than their whole texts do), plus a small
  boost for the same 问题属地 and content category. The work is bounded by
  ``POSTING_BUDGET`` index entries and ``RESCORE`` documents whatever the size of the index;
  for a user who sees only part of the cases, the ``SCOPED_TERMS`` most telling words also
  fetch their newest ``SCOPED_POSTINGS`` matches among that user's cases. The trade-off: an
  old case sharing only common words with the draft can be missed. Against the exhaustive
  cosine over every case (bench W6), see docs/performance.md.

Every candidate comes from :func:`cases_visible_to`, minus the cases whose accuser is withheld
from the user (:mod:`xinfang.cases.access`): nobody is offered, or learns the words of, a case
they may not see.
"""

from __future__ import annotations

import heapq
import math
import operator
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Q, QuerySet

from xinfang.cases.access import accuser_withheld
from xinfang.cases.models import Case, CasePetitioner, Petitioner
from xinfang.cases.queries import cases_visible_to, visibility_branches
from xinfang.cases.services import id_number_index, phone_index
from xinfang.core.validators import validate_id_number, validate_phone
from xinfang.search.analyzer import runs
from xinfang.search.index import DOC_TABLE, FTS_TABLE
from xinfang.search.models import SearchDocument
from xinfang.search.termstats import (
    Weights,
    bigrams,
    frequencies_of,
    matter_fields,
    matter_text_fields,
    weights_for,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from xinfang.accounts.models import User

POSTING_BUDGET = 30_000  # index entries read per draft, shared by the words looked up
MAX_LOOKUPS = 24  # words looked up at most (more add little: the budget is spent by then)
RARE_POSTINGS = 300  # entries read beyond the (sampled) estimate; all for a word never counted
WIDE = 300  # best cases over all the index, kept if the user may see them
SCOPED_TERMS = 24  # most telling words looked up among the user's own cases (when not all) …
SCOPED_POSTINGS = 100  # … their newest matches there
THRESHOLD_CHECKS = frozenset({4, 8, 12, 16, 20})  # words read when max-score looks
RESCORE = 150  # cases rescored by cosine …
RESCORE_CAPS = (200, 600, 300)  # … on their title and the beginning of request and facts
PHRASE_SHARE = 0.02  # a shared phrase must hold a word rarer than this …
PHRASE_SAMPLE = 200  # … once the sample is large enough to tell
MIN_SIMILARITY = 0.2  # below this cosine a case is not offered as the same matter
TITLE_WEIGHT = 2  # a title word counts twice: titles name the matter
REGION_BOOST = 0.05
CATEGORY_BOOST = 0.03
MAX_PERSON = 5
MAX_MATTER = 5
MAX_PHRASES = 3
MIN_TEXT = 4  # characters typed before the text is compared at all
MAX_PEOPLE_LOOKED_UP = 10  # ID numbers and phones per request


@dataclass(frozen=True)
class Draft:
    """What the clerk has typed so far (raw text; validated values only for the people)."""

    title: str = ""
    request: str = ""
    facts: str = ""
    region_id: int | None = None
    category_id: int | None = None
    id_numbers: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()

    @property
    def has_text(self) -> bool:
        return len((self.title + self.request + self.facts).strip()) >= MIN_TEXT

    @property
    def has_people(self) -> bool:
        return bool(self.id_numbers or self.phones)


@dataclass
class Candidate:
    """An existing case offered to the clerk, and why."""

    case: Case
    same_id_number: bool = False
    same_phone: bool = False
    similarity: float = 0.0
    phrases: list[str] = field(default_factory=list)
    same_region: bool = False
    same_category: bool = False

    @property
    def same_person(self) -> bool:
        return self.same_id_number or self.same_phone

    @property
    def reasons(self) -> list[str]:
        """The reasons in the clerk's words, strongest first."""
        reasons = []
        if self.same_id_number:
            reasons.append("同一信访人（身份证号相同）")
        elif self.same_phone:
            reasons.append("同一信访人（联系电话相同）")
        if self.phrases:
            reasons.append("共同词语 “" + "、".join(self.phrases) + "”")
        elif self.similarity >= MIN_SIMILARITY:
            reasons.append("内容相近")
        if self.same_region:
            reasons.append(f"同一问题属地（{self.case.region.name}）")
        if self.same_category and self.similarity >= MIN_SIMILARITY:
            reasons.append(f"同一内容分类（{self.case.content_category.name}）")
        return reasons


@dataclass(frozen=True)
class Related:
    """The panel beside the registration form."""

    draft: Draft
    candidates: list[Candidate]

    @property
    def looked_up(self) -> bool:
        return self.draft.has_text or self.draft.has_people


# --- reading the draft --------------------------------------------------------------------------


def _valid(validate: Any, raw: str) -> str:
    try:
        return str(validate(raw)) if raw.strip() else ""
    except ValidationError:
        return ""


def people_of(data: Mapping[str, str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The valid ID numbers and phones among fields named ``*id_number`` / ``*phone`` (the
    registration formset's rows); invalid or partly typed values are ignored."""
    ids: list[str] = []
    phones: list[str] = []
    for key in data:
        if len(ids) >= MAX_PEOPLE_LOOKED_UP and len(phones) >= MAX_PEOPLE_LOOKED_UP:
            break
        raw = str(data.get(key) or "")[:40]
        if key.endswith("id_number"):
            value = _valid(validate_id_number, raw)
            if value and value not in ids:
                ids.append(value)
        elif key.endswith("phone"):
            value = _valid(validate_phone, raw)
            if value and value not in phones:
                phones.append(value)
    return tuple(ids[:MAX_PEOPLE_LOOKED_UP]), tuple(phones[:MAX_PEOPLE_LOOKED_UP])


# --- scope ----------------------------------------------------------------------------------------


def candidate_scope(user: User | AnonymousUser) -> QuerySet[Case] | None:
    """The cases that may be offered to ``user``; None when there are none (administrators)."""
    scope = cases_visible_to(user)
    if scope.query.is_empty():
        return None
    return scope.exclude(accuser_withheld(user))


# --- same person ----------------------------------------------------------------------------------


def same_person(scope: QuerySet[Case], draft: Draft) -> list[Candidate]:
    """The newest visible cases of anyone with one of these ID numbers or phones."""
    if not draft.has_people:
        return []
    id_keys = [id_number_index(number) for number in draft.id_numbers]
    phone_keys = [phone_index(phone) for phone in draft.phones]
    people = list(
        Petitioner.objects.filter(
            Q(id_number_index__in=id_keys) | Q(phone_index__in=phone_keys)
        ).values_list("pk", "id_number_index")
    )
    by_id_number = {pk for pk, key in people if key in id_keys}
    everyone = [pk for pk, _key in people]
    if not everyone:
        return []
    cases = list(
        _rows(scope.filter(case_petitioners__petitioner__in=everyone))
        .distinct()
        .order_by("-registered_at", "-id")[:MAX_PERSON]
    )
    # Which identifier matched, per case: one query over the few links of these cases.
    matched_by_id_number = {
        case_id
        for case_id, person_id in CasePetitioner.objects.filter(
            case__in=cases, petitioner_id__in=everyone
        ).values_list("case_id", "petitioner_id")
        if person_id in by_id_number
    }
    return [
        Candidate(
            case=case,
            same_id_number=case.pk in matched_by_id_number,
            same_phone=case.pk not in matched_by_id_number,
        )
        for case in cases
    ]


def _rows(cases: QuerySet[Case]) -> QuerySet[Case]:
    return cases.select_related("region", "content_category")


# --- same matter ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueryText:
    """The typed text, normalised and capped, with its bigram counts (title words doubled)."""

    fields: list[str]
    counts: Counter[str]

    @classmethod
    def of(cls, draft: Draft) -> QueryText:
        fields = matter_text_fields(draft.title, draft.request, draft.facts)
        return cls(fields, weighted_counts(fields))


def weighted_counts(fields: Sequence[str]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for index, text in enumerate(fields):
        grams = bigrams(text)
        for _ in range(TITLE_WEIGHT if index == 0 else 1):
            counts.update(grams)
    return counts


def tf_weight(n: int) -> float:
    """The weight of a word said ``n`` times (sublinear: the tenth mention adds little)."""
    return _TF[n] if n < len(_TF) else 1 + math.log(n)


_TF = [0.0, *(1 + math.log(n) for n in range(1, 256))]


def _vector(counts: Counter[str], idf: Mapping[str, float]) -> dict[str, float]:
    """The unit TF-IDF vector of bigram counts."""
    vector = {term: tf_weight(n) * idf[term] for term, n in counts.items()}
    norm = math.sqrt(sum(value * value for value in vector.values())) or 1.0
    return {term: value / norm for term, value in vector.items()}


def _cosine(query: Mapping[str, float], counts: Counter[str], idf: Mapping[str, float]) -> float:
    """The cosine of a unit query vector with a document's TF-IDF vector. The hot loop of the
    rescoring: written as maps over the document's words, which run in C."""
    if max(counts.values(), default=0) < len(_TF):
        tfs = list(map(_TF.__getitem__, counts.values()))
    else:
        tfs = [tf_weight(n) for n in counts.values()]
    values = list(map(operator.mul, tfs, map(idf.__getitem__, counts)))
    squares = sum(map(operator.mul, values, values))
    if not squares:
        return 0.0
    vector = dict(zip(counts, values, strict=True))
    shared = query.keys() & vector.keys()
    dot = sum(map(operator.mul, map(query.__getitem__, shared), map(vector.__getitem__, shared)))
    return float(dot) / math.sqrt(squares)


@dataclass(frozen=True)
class Lookup:
    """A word to read from the index: its weight in the prescore, and how many of its
    matches to read (all of them, as far as the sample can tell)."""

    term: str
    weight: float
    limit: int


def _expected_matches(term: str, weights: Weights) -> int:
    """About how many documents hold ``term``: the sample's estimate, or for a word the sample
    holds at most once, what twice in the sample stands for in the whole index (a word never
    counted at all: ``RARE_POSTINGS``)."""
    estimate = weights.estimated_documents(term)
    if estimate:
        return estimate
    if not weights.sample:
        return RARE_POSTINGS
    return math.ceil(2 * weights.indexed / weights.sample)


def lookup_terms(query: QueryText, weights: Weights) -> list[Lookup]:
    """The words to read from the index, within ``POSTING_BUDGET`` matches in all. A word's
    share of the cosine is its squared weight in the query vector; the words bringing the
    most of it per match read come first and are read whole (rare words, title words and
    repeated words cost little and say most), so an old case sharing them is found however
    many newer cases share the common words, which are left to the rescoring."""
    vector = {term: (1 + math.log(n)) * weights.idf(term) for term, n in query.counts.items()}
    expected = {term: _expected_matches(term, weights) for term in vector}
    order = sorted(vector, key=lambda term: (-(vector[term] ** 2) / (expected[term] + 1), term))
    chosen: list[Lookup] = []
    left = POSTING_BUDGET
    for term in order:
        if expected[term] > left:
            continue
        left -= expected[term]
        limit = min(POSTING_BUDGET, 2 * expected[term] + RARE_POSTINGS)
        chosen.append(Lookup(term, vector[term] * weights.idf(term), limit))
        if len(chosen) == MAX_LOOKUPS:
            break
    return chosen


def _unrestricted(user: User | AnonymousUser) -> bool:
    """The user sees every case (the root unit): the index needs no join with the scope."""
    return visibility_branches(user) == [Q()]


def _postings_sql(
    lookups: Sequence[Lookup], scope: QuerySet[Case] | None, postings: int | None
) -> tuple[str, list[Any]]:
    """One statement: for each word (numbered), the ids of its matches read (its ``limit``
    newest, or its ``postings`` newest within ``scope`` when given) as one comma-separated
    string: the database walks its index, Python only splits the strings."""
    scope_sql, scope_params = ("", ())
    if scope is not None:
        scope_sql, scope_params = scope.order_by().values("id").query.sql_with_params()
    parts: list[str] = []
    params: list[Any] = []
    postgresql = connection.vendor == "postgresql"
    for number, lookup in enumerate(lookups):
        limit = int(postings if postings is not None else lookup.limit)
        if postgresql:
            # The GIN index yields the term's matches first (materialised): left alone, the
            # planner would walk the primary key and test every row (see queries.match_sql).
            # The bare word, in any field: restricted to title, request and facts (':ABC') it
            # would make PostgreSQL recheck every match's tsvector; the rescoring reads only
            # those fields anyway.
            inner = (
                f"WITH hits AS MATERIALIZED (SELECT case_id FROM {DOC_TABLE} "  # noqa: S608
                "WHERE tsv @@ %s::tsquery) SELECT case_id AS id FROM hits"
            )
            params.append(f"'{lookup.term}'")
            if scope is not None:
                inner += f" WHERE case_id IN ({scope_sql})"
                params.extend(scope_params)
            inner += f" ORDER BY case_id DESC LIMIT {limit}"
            joined = "string_agg(id::text, ',')"
        else:
            # FTS5 walks its matches newest first and stops after the limit; CROSS JOIN keeps
            # it the outer loop (see queries.match_sql).
            join = ""
            if scope is not None:
                join = f" CROSS JOIN ({scope_sql}) scope ON scope.id = {FTS_TABLE}.rowid"
                params.extend(scope_params)
            inner = (
                f"SELECT {FTS_TABLE}.rowid AS id FROM {FTS_TABLE}{join} "  # noqa: S608
                f"WHERE {FTS_TABLE} MATCH %s ORDER BY {FTS_TABLE}.rowid DESC LIMIT {limit}"
            )
            params.append('{title request facts} : "' + lookup.term + '"')
            joined = "group_concat(id)"
        parts.append(f"SELECT {number}, {joined} FROM ({inner}) t{number}")  # noqa: S608
    return " UNION ALL ".join(parts), params


def _prescore(
    lookups: Sequence[Lookup],
    best: int,
    scope: QuerySet[Case] | None = None,
    postings: int | None = None,
) -> dict[int, float]:
    """The ``best`` case ids holding the most weight of the looked-up words, with it."""
    if not lookups:
        return {}
    sql, params = _postings_sql(lookups, scope, postings)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = sorted(
            ((lookups[int(number)].weight, joined) for number, joined in cursor.fetchall()),
            key=lambda row: -row[0],
        )
    scores: dict[str, float] = {}
    get = scores.get
    left = sum(weight for weight, _ in rows)  # the most a case not met yet can still gather
    closed = False
    for number, (weight, joined) in enumerate(rows):
        if not closed and number in THRESHOLD_CHECKS and _kth_largest(scores, best) > left:
            # Max-score: the ``best``-th case holds more than all the words left, so a case
            # first met from now on cannot enter: only the cases met so far gather weight.
            closed = True
        left -= weight
        if not joined:
            continue
        ids = joined.split(",")
        if closed:
            for case_id in scores.keys() & ids:
                scores[case_id] += weight
        else:
            for case_id in ids:
                scores[case_id] = get(case_id, 0.0) + weight
    ranked = sorted(scores.items(), key=operator.itemgetter(1), reverse=True)[:best]
    return {int(case_id): score for case_id, score in ranked}


def _kth_largest(scores: Mapping[str, float], k: int) -> float:
    """The ``k``-th largest score (0 when there are fewer)."""
    if len(scores) < k:
        return 0.0
    return sorted(scores.values(), reverse=True)[k - 1]


def _best_visible(
    user: User | AnonymousUser, scope: QuerySet[Case], lookups: list[Lookup]
) -> list[int]:
    """The ``RESCORE`` visible cases holding the most weight. The index is read without the
    scope (cheap: each word's matches in order) and the best ``WIDE`` kept if visible; a user
    who sees only part of the cases also gets the best of their own (the index joined to the
    scope, the ``SCOPED_TERMS`` most telling words, fewer matches per word: each one costs a
    look-up of its case)."""
    prescores = _prescore(lookups, WIDE)
    wide = list(prescores)
    allowed = set(scope.filter(id__in=wide).values_list("id", flat=True)) if wide else set()
    scores = {case_id: prescores[case_id] for case_id in wide if case_id in allowed}
    if not _unrestricted(user):
        telling = sorted(lookups, key=lambda lookup: -lookup.weight)[:SCOPED_TERMS]
        for case_id, score in _prescore(telling, WIDE, scope, SCOPED_POSTINGS).items():
            scores[case_id] = max(score, scores.get(case_id, 0.0))
    return heapq.nlargest(RESCORE, scores, key=lambda case_id: (scores[case_id], case_id))


def _shared_phrases(query: QueryText, document: Sequence[str], weights: Weights) -> list[str]:
    """The longest stretches of the typed text that also occur in the case, that hold at least
    one uncommon word, most telling first (物业管理、维修基金)."""
    haystack = "\x1f".join(document)
    found: dict[str, float] = {}
    for text in query.fields:
        for run in runs(text):
            start = 0
            while start < len(run) - 1:
                end = start + 2
                if run[start:end] not in haystack:
                    start += 1
                    continue
                while end < len(run) and run[start : end + 1] in haystack:
                    end += 1
                phrase = run[start:end]
                terms = bigrams(phrase)
                telling = [
                    t
                    for t in terms
                    if weights.sample < PHRASE_SAMPLE or weights.share(t) <= PHRASE_SHARE
                ]
                if telling and not phrase.isdigit():
                    found[phrase] = max(found.get(phrase, 0.0), sum(map(weights.idf, terms)))
                start = end
    ranked = sorted(found, key=lambda phrase: (-found[phrase], phrase))
    chosen: list[str] = []
    for phrase in ranked:
        if not any(phrase in other for other in chosen):
            chosen.append(phrase)
        if len(chosen) == MAX_PHRASES:
            break
    return chosen


def document_counts(body: str, caps: Sequence[int] | None = None) -> Counter[str]:
    """The weighted bigram counts of a stored document's title, request and facts (as the word
    statistics read them, or only their beginning: ``caps``)."""
    fields = matter_fields(body)
    if caps is not None:
        fields = [text[:cap] for text, cap in zip(fields, caps, strict=True)]
    return weighted_counts(fields)


def _similarities(
    query: QueryText, counts: Mapping[int, Counter[str]], weights: Weights, idf: dict[str, float]
) -> dict[int, float]:
    """The cosine of the draft with each document; ``idf`` holds the weights of the words met
    so far, and gets those of the documents' other words (one look-up for all of them)."""
    missing: set[str] = set(query.counts).difference(idf)
    for document in counts.values():
        missing.update(document.keys() - idf.keys())
    if missing:
        stored = replace(weights, frequencies=frequencies_of(missing))
        idf.update((term, stored.idf(term)) for term in missing)
    query_vector = _vector(query.counts, idf)
    return {case_id: _cosine(query_vector, document, idf) for case_id, document in counts.items()}


def same_matter(user: User | AnonymousUser, scope: QuerySet[Case], draft: Draft) -> list[Candidate]:
    """Visible cases whose words resemble the draft, most similar first."""
    if not draft.has_text:
        return []
    query = QueryText.of(draft)
    weights = weights_for(query.counts)
    top = _best_visible(user, scope, lookup_terms(query, weights))
    bodies = dict(SearchDocument.objects.filter(case_id__in=top).values_list("case_id", "body"))
    similarity = _similarities(
        query,
        {case_id: document_counts(body, RESCORE_CAPS) for case_id, body in bodies.items()},
        weights,
        {term: weights.idf(term) for term in query.counts},
    )
    chosen = [case_id for case_id in top if similarity.get(case_id, 0.0) >= MIN_SIMILARITY]
    # Region and category of every similar case (for the boost), the rows of the best only.
    places = {
        case_id: (region_id, category_id)
        for case_id, region_id, category_id in Case.objects.filter(id__in=chosen).values_list(
            "id", "region_id", "content_category_id"
        )
    }

    def score(case_id: int) -> float:
        region_id, category_id = places[case_id]
        return _boosted(
            similarity[case_id],
            same_region=draft.region_id is not None and region_id == draft.region_id,
            same_category=draft.category_id is not None and category_id == draft.category_id,
        )

    best = sorted(places, key=lambda case_id: (-score(case_id), -case_id))[:MAX_MATTER]
    cases = _rows(Case.objects.filter(id__in=best)).in_bulk()
    found = []
    for case_id in best:
        case = cases.get(case_id)
        if case is None:
            continue
        found.append(
            Candidate(
                case=case,
                similarity=similarity[case_id],
                same_region=draft.region_id is not None and case.region_id == draft.region_id,
                same_category=draft.category_id is not None
                and case.content_category_id == draft.category_id,
                phrases=_shared_phrases(query, matter_fields(bodies[case_id]), weights),
            )
        )
    return found


def _boosted(similarity: float, *, same_region: bool, same_category: bool) -> float:
    """The order of the offers: similarity, a little more for the same place and category."""
    return (
        similarity
        + (REGION_BOOST if same_region else 0.0)
        + (CATEGORY_BOOST if same_category else 0.0)
    )


# --- both -----------------------------------------------------------------------------------------


def related_cases(user: User | AnonymousUser, draft: Draft) -> Related:
    """The candidates for a draft: same person first (newest first), then same matter (most
    similar first); a case found both ways is listed once with both reasons."""
    scope = candidate_scope(user)
    if scope is None:
        return Related(draft, [])
    people = same_person(scope, draft)
    matter = same_matter(user, scope, draft)
    by_id = {candidate.case.pk: candidate for candidate in people}
    listed = list(people)
    for candidate in matter:
        earlier = by_id.get(candidate.case.pk)
        if earlier is None:
            listed.append(candidate)
            continue
        earlier.similarity = candidate.similarity
        earlier.phrases = candidate.phrases
        earlier.same_region = candidate.same_region
        earlier.same_category = candidate.same_category
    if draft.region_id is not None:
        for candidate in listed:
            candidate.same_region = candidate.case.region_id == draft.region_id
    return Related(draft, listed)
