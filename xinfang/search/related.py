"""Related cases at registration: is this person, or this matter, already a case?

Two kinds of candidates, each with the reason shown to the clerk:

- **同一信访人**: existing cases of a person with the same ID number or phone, found through the
  blind indexes (exact match, no decryption).
- **同一事项**: existing cases whose words resemble what is being typed. The rarest words of
  the title, request and facts (weighted by :mod:`xinfang.search.termstats`, title words
  first) each fetch their newest ``POSTINGS`` matches from the full-text index (and, for a
  user who sees only part of the cases, their newest ``SCOPED_POSTINGS`` among those); the
  visible cases matching the most weight are rescored by the cosine of their TF-IDF bigram
  vectors with the typed text, plus a small boost for the same 问题属地 and content category.
  The work is bounded by ``TERMS × POSTINGS`` index entries and ``RESCORE`` documents, whatever
  the size of the index (at a million cases on SQLite: p95 about 40 ms for a user who sees
  everything, 90 ms for one who sees a tenth); very common words (in more than
  ``COMMON_SHARE`` of a large index, or more than ``MAX_TERM_DOCUMENTS`` documents in all) are
  left to the rescoring. The trade-off: an old case sharing only words that many newer cases
  also use can be missed.

Every candidate comes from :func:`cases_visible_to`, minus the cases whose accuser is withheld
from the user (:mod:`xinfang.cases.access`): nobody is offered, or learns the words of, a case
they may not see.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
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
    matter_fields,
    matter_text_fields,
    weights_for,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from xinfang.accounts.models import User

TERMS = 24  # query words looked up in the index
POSTINGS = 300  # newest matches read per word
WIDE = 150  # best cases over all the index, kept if the user may see them
SCOPED_POSTINGS = 100  # newest matches per word among the user's own cases (when not all)
RESCORE = 30  # cases rescored by cosine …
RESCORE_CAPS = (200, 600, 300)  # … on their title and the beginning of request and facts
COMMON_SHARE = 0.05  # a word in more documents than this share is not looked up …
LOOKUP_FLOOR = 1000  # … unless it is in fewer than this many (a small index: every word counts)
MAX_TERM_DOCUMENTS = 20_000  # nor one in more documents than this (bounds PostgreSQL's work)
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
    title_terms: frozenset[str]

    @classmethod
    def of(cls, draft: Draft) -> QueryText:
        fields = matter_text_fields(draft.title, draft.request, draft.facts)
        return cls(fields, _weighted_counts(fields), frozenset(bigrams(fields[0])))


def _weighted_counts(fields: Sequence[str]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for index, text in enumerate(fields):
        for term in bigrams(text):
            counts[term] += TITLE_WEIGHT if index == 0 else 1
    return counts


def _vector(counts: Counter[str], idf: Mapping[str, float]) -> dict[str, float]:
    """The unit TF-IDF vector of bigram counts."""
    vector = {term: (1 + math.log(n)) * idf[term] for term, n in counts.items()}
    norm = math.sqrt(sum(value * value for value in vector.values())) or 1.0
    return {term: value / norm for term, value in vector.items()}


def _cosine(query: Mapping[str, float], counts: Counter[str], idf: Mapping[str, float]) -> float:
    """The cosine of a unit query vector with a document's TF-IDF vector (not built: only its
    norm and the query's terms are needed)."""
    norm = math.sqrt(sum(((1 + math.log(n)) * idf[term]) ** 2 for term, n in counts.items()))
    if not norm:
        return 0.0
    dot = sum(
        value * (1 + math.log(counts[term])) * idf[term]
        for term, value in query.items()
        if term in counts
    )
    return dot / norm


def lookup_terms(query: QueryText, weights: Weights) -> list[tuple[str, float]]:
    """The words worth looking up, most telling first, with their weight: rare words, title
    words and repeated words first; very common words are left out."""
    chosen = []
    too_many = min(max(COMMON_SHARE * weights.indexed, LOOKUP_FLOOR), MAX_TERM_DOCUMENTS)
    for term, n in query.counts.items():
        if weights.estimated_documents(term) > too_many:
            continue
        title = TITLE_WEIGHT if term in query.title_terms else 1
        chosen.append((weights.idf(term) * title * (1 + math.log(n)), term))
    chosen.sort(key=lambda item: (-item[0], item[1]))
    return [(term, weights.idf(term)) for _score, term in chosen[:TERMS]]


def _unrestricted(user: User | AnonymousUser) -> bool:
    """The user sees every case (the root unit): the index needs no join with the scope."""
    return visibility_branches(user) == [Q()]


def _postings_sql(
    terms: Sequence[str], scope: QuerySet[Case] | None, postings: int
) -> tuple[str, list[Any]]:
    """One statement: for each term (numbered), the ids of its newest ``postings`` matches in
    title, request or facts, within ``scope`` when given."""
    scope_sql, scope_params = ("", ())
    if scope is not None:
        scope_sql, scope_params = scope.order_by().values("id").query.sql_with_params()
    parts: list[str] = []
    params: list[Any] = []
    postgresql = connection.vendor == "postgresql"
    for number, term in enumerate(terms):
        if postgresql:
            # The GIN index yields the term's matches first (materialised): left alone, the
            # planner would walk the primary key and test every row (see queries.match_sql).
            inner = (
                f"WITH hits AS MATERIALIZED (SELECT case_id FROM {DOC_TABLE} "  # noqa: S608
                "WHERE tsv @@ %s::tsquery) SELECT case_id FROM hits"
            )
            params.append(f"'{term}':ABC")
            if scope is not None:
                inner += f" WHERE case_id IN ({scope_sql})"
                params.extend(scope_params)
            inner += f" ORDER BY case_id DESC LIMIT {int(postings)}"
        else:
            # FTS5 walks its matches newest first and stops after POSTINGS; CROSS JOIN keeps
            # it the outer loop (see queries.match_sql).
            join = ""
            if scope is not None:
                join = f" CROSS JOIN ({scope_sql}) scope ON scope.id = {FTS_TABLE}.rowid"
                params.extend(scope_params)
            inner = (
                f"SELECT {FTS_TABLE}.rowid FROM {FTS_TABLE}{join} "  # noqa: S608
                f"WHERE {FTS_TABLE} MATCH %s ORDER BY {FTS_TABLE}.rowid DESC LIMIT {int(postings)}"
            )
            params.append('{title request facts} : "' + term + '"')
        parts.append(f"SELECT {number}, t{number}.* FROM ({inner}) t{number}")  # noqa: S608
    return " UNION ALL ".join(parts), params


def _prescore(
    terms: list[tuple[str, float]], scope: QuerySet[Case] | None = None, postings: int = POSTINGS
) -> dict[int, float]:
    """Per case id, the summed weight of the looked-up words it holds."""
    scores: dict[int, float] = defaultdict(float)
    if not terms:
        return scores
    sql, params = _postings_sql([term for term, _ in terms], scope, postings)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for number, case_id in cursor.fetchall():
            scores[int(case_id)] += terms[int(number)][1]
    return scores


def _best_visible(
    user: User | AnonymousUser, scope: QuerySet[Case], terms: list[tuple[str, float]]
) -> list[int]:
    """The ``RESCORE`` visible cases holding the most weight. The index is read without the
    scope (cheap: newest matches first) and the best ``WIDE`` kept if visible; a user who sees
    only part of the cases also gets the best of their own (the index joined to the scope,
    fewer matches per word: each one costs a look-up of its case)."""
    prescores = _prescore(terms)
    wide = heapq.nlargest(WIDE, prescores, key=lambda case_id: (prescores[case_id], case_id))
    allowed = set(scope.filter(id__in=wide).values_list("id", flat=True)) if wide else set()
    scores = {case_id: prescores[case_id] for case_id in wide if case_id in allowed}
    if not _unrestricted(user):
        scores |= _prescore(terms, scope, SCOPED_POSTINGS)
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


def same_matter(user: User | AnonymousUser, scope: QuerySet[Case], draft: Draft) -> list[Candidate]:
    """Visible cases whose words resemble the draft, most similar first."""
    if not draft.has_text:
        return []
    query = QueryText.of(draft)
    weights = weights_for(query.counts)
    terms = lookup_terms(query, weights)
    top = _best_visible(user, scope, terms)
    bodies = {
        case_id: matter_fields(body)
        for case_id, body in SearchDocument.objects.filter(case_id__in=top).values_list(
            "case_id", "body"
        )
    }
    counts = {
        case_id: _weighted_counts(
            [text[:cap] for text, cap in zip(fields, RESCORE_CAPS, strict=True)]
        )
        for case_id, fields in bodies.items()
    }
    everything: set[str] = set(query.counts)
    for document in counts.values():
        everything.update(document)
    weights = weights_for(everything)
    idf = {term: weights.idf(term) for term in everything}
    query_vector = _vector(query.counts, idf)
    similarity = {
        case_id: _cosine(query_vector, document, idf) for case_id, document in counts.items()
    }
    chosen = [case_id for case_id in top if similarity.get(case_id, 0.0) >= MIN_SIMILARITY]
    cases = _rows(Case.objects.filter(id__in=chosen)).in_bulk()
    found = []
    for case_id in chosen:
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
            )
        )
    found.sort(key=lambda c: (-_score(c), -c.case.pk))
    found = found[:MAX_MATTER]
    for candidate in found:
        candidate.phrases = _shared_phrases(query, bodies[candidate.case.pk], weights)
    return found


def _score(candidate: Candidate) -> float:
    return (
        candidate.similarity
        + (REGION_BOOST if candidate.same_region else 0.0)
        + (CATEGORY_BOOST if candidate.same_category else 0.0)
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
