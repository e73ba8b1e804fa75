"""Finding groups of cases about the same issue — the algorithm, on plain data.

Cases come a county at a time (问题属地: the first six digits of the region code): the same
estate, employer or project is a local matter, and a county's cases bound the memory used,
however many cases the period holds. Within a county, on the titles (which name the matter):

1. **phrases**: every four-character window of the normalised title, once region names are
   taken out (a county or township name is where, not what);
2. **distinctive**: a phrase whose second-rarest bigram is in fewer than ``DISTINCT_SHARE`` of
   the index's documents (:mod:`xinfang.search.termstats`), or hardly anywhere but in this
   county's titles holding the phrase (``CONCENTRATION``). A name has several rare bigrams
   (怡海星城: 怡海 and 海星); an ordinary expression has at most the one that spans its two words
   (政策问题: only 策问), and a common compound (拖欠工资) is written in every county, so both
   are left out;
3. a distinctive phrase in the titles of two or more cases of the county is a candidate; each
   case joins its candidate shared by the most cases (ties: the first phrase in code-point
   order), so groups do not overlap and every run gives the same groups; a group needs
   ``MIN_SIZE`` cases, and a case left out joins a group most of whose members share one of
   its candidates;
4. the label: the phrase extended a character at a time while ``LABEL_AGREEMENT`` of the
   members' titles agree, in the characters of the first member's title.

The cost is linear in the cases read (titles only) with memory bounded by ``CHUNK`` cases.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from xinfang.search.analyzer import normalize, normalize_with_origin, runs
from xinfang.search.termstats import Weights, bigrams

WINDOW = 4
MIN_SIZE = 3
DISTINCT_SHARE = 0.01
CONCENTRATION = 1.5
LABEL_AGREEMENT = 0.8
REHOME_SHARE = 0.3
MAX_LABEL = 20
MAX_PHRASES = 2
CHUNK = 100_000  # a county with more cases than this is grouped chunk by chunk
# Masked place names in shared texts ("A7县", "K市") are places too.
_MASKED_PLACE = re.compile(r"[a-z]\d{0,2}[省市县区]")
_GAP = "\x00"  # what a removed name leaves: it separates runs


@dataclass(frozen=True)
class Item:
    """One case as grouping reads it."""

    case_id: int
    title: str
    received_on: dt.date
    region_id: int


@dataclass
class Found:
    """A group found: its label, other shared phrases and members."""

    label: str
    case_ids: list[int]
    phrases: list[str] = field(default_factory=list)
    region_id: int | None = None
    first_received: dt.date = dt.date.min
    last_received: dt.date = dt.date.min
    monthly: dict[str, int] = field(default_factory=dict)


def county_of(region_code: str) -> str:
    """The partition a region belongs to: its county (or the region itself above counties)."""
    return region_code[:6]


class Titles:
    """Normalised titles without place names, as runs of word characters."""

    def __init__(self, place_names: Iterable[str]) -> None:
        names = {normalize(name) for name in place_names if len(name) >= 2}
        self._names = sorted(names, key=len, reverse=True)

    def clean(self, title: str) -> str:
        text = normalize(title)
        for name in self._names:
            if name in text:
                text = text.replace(name, _GAP)
        return _MASKED_PLACE.sub(_GAP, text)

    def phrases(self, title: str) -> set[str]:
        found: set[str] = set()
        for run in runs(self.clean(title)):
            found.update(run[i : i + WINDOW] for i in range(len(run) - WINDOW + 1))
        return found


def distinctive(phrase: str, count: int, weights: Weights) -> bool:
    """Whether the phrase names something (several rare bigrams) rather than says something:
    its second-rarest bigram is rare in the whole index, or nearly all the documents holding
    that bigram are the ``count`` cases of this county that hold the phrase (a local name
    many people write about, not an expression used everywhere)."""
    held = sorted(weights.estimated_documents(term) for term in bigrams(phrase))
    if len(held) < 2:
        return False
    return held[1] < DISTINCT_SHARE * weights.indexed or held[1] <= CONCENTRATION * count


def _extend(phrase: str, cleaned: Sequence[str]) -> str:
    """The phrase grown left and right while most of the cleaned titles holding it agree."""
    cleaned = [text for text in cleaned if phrase in text]
    label = phrase
    for step in (1, -1):
        while len(label) < MAX_LABEL:
            following: Counter[str] = Counter()
            for text in cleaned:
                at = text.find(label)
                if at < 0:
                    continue
                index = at + len(label) if step == 1 else at - 1
                if 0 <= index < len(text):
                    following[text[index]] += 1
            if not following:
                break
            char, count = following.most_common(1)[0]
            if count < LABEL_AGREEMENT * len(cleaned) or not runs(char):
                break
            label = label + char if step == 1 else char + label
    return label


def _original(label: str, titles: Sequence[str]) -> str:
    """The label as written in the first title holding it (full-width, case as typed)."""
    for title in titles:
        normalized, origin = normalize_with_origin(title)
        at = normalized.find(label)
        if at >= 0:
            return title[origin[at] : origin[at + len(label) - 1] + 1]
    return label


def _group_chunk(
    items: Sequence[Item], titles: Titles, weights_for: Callable[[set[str]], Weights]
) -> tuple[dict[str, list[Item]], set[str]]:
    """The groups of a chunk by phrase, and every candidate phrase seen."""
    phrases = {item.case_id: titles.phrases(item.title) for item in items}
    counts: Counter[str] = Counter()
    for found in phrases.values():
        counts.update(found)
    shared = {phrase for phrase, n in counts.items() if n >= 2}
    terms = {term for phrase in shared for term in bigrams(phrase)}
    weights = weights_for(terms)
    candidates = {phrase for phrase in shared if distinctive(phrase, counts[phrase], weights)}
    mine = {item.case_id: phrases[item.case_id] & candidates for item in items}
    groups: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        if mine[item.case_id]:
            best = min(mine[item.case_id], key=lambda phrase: (-counts[phrase], phrase))
            groups[best].append(item)
    kept = {phrase: members for phrase, members in groups.items() if len(members) >= MIN_SIZE}
    _rehome(items, kept, mine)
    return kept, candidates


def _rehome(items: Sequence[Item], kept: dict[str, list[Item]], mine: dict[int, set[str]]) -> None:
    """A case left out (its own best phrase is in too few titles) joins the group with which
    it shares a candidate phrase held by at least ``REHOME_SHARE`` of the group's members, and
    two of them (拆五一桥建商铺廊桥 joins 拆除五一桥来建商…: 商铺廊桥)."""
    placed = {item.case_id for members in kept.values() for item in members}
    holders: dict[str, Counter[str]] = defaultdict(Counter)
    for key, members in kept.items():
        for item in members:
            for phrase in mine[item.case_id]:
                holders[phrase][key] += 1
    for item in items:
        if item.case_id in placed or not mine[item.case_id]:
            continue
        best: tuple[float, int, str] | None = None
        for phrase in mine[item.case_id]:
            for key, n in holders.get(phrase, {}).items():
                size = len(kept[key])
                if n >= 2 and n >= REHOME_SHARE * size:
                    option = (n / size, size, key)
                    if best is None or option > best:
                        best = option
        if best is not None:
            kept[best[2]].append(item)


def _describe(
    phrase: str,
    members: list[Item],
    titles: Titles,
    candidates: set[str],
) -> Found:
    cleaned = [titles.clean(item.title) for item in members]
    label = _extend(phrase, cleaned)
    others: Counter[str] = Counter()
    for item in members:
        mine = titles.phrases(item.title) & candidates
        others.update(p for p in mine if p not in label and label not in p)
    phrases: list[str] = []
    for other, n in sorted(others.items(), key=lambda kv: (-kv[1], kv[0])):
        if n * 2 < len(members) or len(phrases) == MAX_PHRASES:
            break
        grown = _extend(other, cleaned)
        overlaps = (
            grown in label or label in grown or any(grown in p or p in grown for p in phrases)
        )
        if not overlaps:
            phrases.append(grown)
    originals = [item.title for item in members]
    dates = sorted(item.received_on for item in members)
    monthly = Counter(f"{item.received_on:%Y-%m}" for item in members)
    regions = Counter(item.region_id for item in members)
    return Found(
        label=_original(label, originals)[:60],
        phrases=[_original(p, originals)[:60] for p in phrases],
        case_ids=sorted(item.case_id for item in members),
        region_id=regions.most_common(1)[0][0],
        first_received=dates[0],
        last_received=dates[-1],
        monthly=dict(sorted(monthly.items())),
    )


def find_groups(
    items: Iterable[Item],
    *,
    place_names: Iterable[str],
    weights_for: Callable[[set[str]], Weights],
) -> list[Found]:
    """The groups among the cases of one county (in chunks of ``CHUNK``), largest first."""
    titles = Titles(place_names)
    merged: dict[str, list[Item]] = defaultdict(list)
    candidates: set[str] = set()
    chunk: list[Item] = []

    def flush() -> None:
        groups, seen = _group_chunk(chunk, titles, weights_for)
        for phrase, members in groups.items():
            merged[phrase].extend(members)
        candidates.update(seen)
        chunk.clear()

    for item in items:
        chunk.append(item)
        if len(chunk) >= CHUNK:
            flush()
    flush()
    groups = [_describe(phrase, members, titles, candidates) for phrase, members in merged.items()]
    groups.sort(key=lambda group: (-len(group.case_ids), group.label))
    return groups
