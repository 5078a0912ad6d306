"""Clues: facts about one document that a question states without naming it, each a predicate the
generator evaluates over the whole corpus.

Sits under question synthesis (`_programmatic.py`). A `Clue` has a kind, parameters and a
subject label ("the answer", "X1", ...); `Features` precomputes, once per corpus, the sets that
answer every clue kind, so the set of documents satisfying a clue is a lookup and uniqueness of an
answer is exact: every document of the corpus is an alternative candidate checked against every
clue. Clues obfuscate: ranges instead of numbers and years, the first letters of a name instead of
the name, a kind of thing instead of an entity.
"""

from __future__ import annotations

import random
import re
from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from synth.verifiers.search import normalize

from ._corpus import Corpus, Document

YEAR = re.compile(r"\b(1[0-9]{3}|20[0-2][0-9])\b")
NOUN = {"wiki": "article", "factbook": "entry"}
"""What a document of a corpus is called in questions."""
RELATION_TEXT = {
    "mentions": "{s}'s {noun} mentions {t} by name",
    "borders": "{s} borders {t}",
    "links to": "{s}'s {noun} links to {t}'s {noun}",
}
TOPIC_LABEL = {"factbook": "government type"}


@dataclass(frozen=True)
class Clue:
    """One stated fact about one entity of a question."""

    kind: str
    """category, topic, name_prefix, name_words, year_range, number_range, date_range, capital_prefix."""
    params: tuple[tuple[str, Any], ...]
    """The clue's values (hashable), e.g. (("lo", 1860), ("hi", 1879))."""

    @property
    def p(self) -> dict[str, Any]:
        return dict(self.params)

    def text(self, subject: str, corpus: Corpus) -> str:
        p = self.p
        if self.kind == "category":
            return f"{subject} is described as \"{p['value']}\""
        if self.kind == "topic":
            return f"{subject}'s {TOPIC_LABEL.get(corpus.name, 'topic')} is {p['value']}"
        if self.kind == "name_prefix":
            return f"{subject}'s name begins with \"{p['value'].capitalize()}\""
        if self.kind == "name_words":
            return f"{subject}'s name is {p['value']} word{'s' if p['value'] != 1 else ''} long"
        if self.kind == "year_range":
            return f"{subject}'s {NOUN.get(corpus.name, 'document')} mentions a year from {p['lo']} to {p['hi']}"
        if self.kind == "number_range":
            unit = f" {p['unit']}" if p["unit"] else ""
            return f"{subject}'s {p['label'].lower()} is between {_figure(p['lo'])} and {_figure(p['hi'])}{unit}"
        if self.kind == "date_range":
            return f"{subject}'s {p['label'].lower()} date falls between {p['lo']} and {p['hi']}"
        if self.kind == "capital_prefix":
            return f"the name of {subject}'s capital begins with \"{p['value'].capitalize()}\""
        raise ValueError(f"unknown clue kind {self.kind}")

    def public(self, subject: str) -> dict[str, Any]:
        """The clue as structured task metadata (what the prompt states, nothing more)."""
        return {"subject": subject, "kind": self.kind, **self.p}


def _figure(value: float) -> str:
    for scale, word in ((1e9, "billion"), (1e6, "million")):
        if value >= scale:
            return f"{value / scale:g} {word}"
    return f"{value:,.0f}"


def _round2(value: float) -> float:
    """`value` to two significant figures."""
    if value <= 0:
        return 0.0
    digits = len(str(int(value))) - 2
    return round(value, -digits) if digits > 0 else round(value, 1)


def prefix(name: str, n: int = 2) -> str:
    letters = normalize(name).replace(" ", "")
    return letters[:n]


class Features:
    """Per-corpus lookups that answer every clue kind with a set of document positions."""

    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus
        self.n = len(corpus.documents)
        self.by: dict[tuple[str, Any], set[int]] = defaultdict(set)
        self.years: dict[int, set[int]] = defaultdict(set)
        self.doc_years: list[list[int]] = []
        self.numbers: dict[str, list[tuple[float, int]]] = defaultdict(list)
        self.dates: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self.incoming: list[list[int]] = [[] for _ in corpus.documents]
        self.outgoing: list[list[int]] = []
        self._folded: dict[int, str] = {}
        order = corpus.order
        for i, doc in enumerate(corpus.documents):
            if doc.category:
                self.by[("category", doc.category)].add(i)
            if doc.topic:
                self.by[("topic", doc.topic)].add(i)
            self.by[("name_prefix", prefix(doc.name))].add(i)
            self.by[("name_words", len(doc.name.split()))].add(i)
            years = sorted({int(y) for y in YEAR.findall(doc.text)})
            self.doc_years.append(years)
            for year in years:
                self.years[year].add(i)
            for key, fact in doc.facts.items():
                if fact.kind == "number":
                    self.numbers[key].append((float(fact.value), i))
                elif fact.kind == "date":
                    self.dates[key].append((int(str(fact.value)[:4]), i))
                elif key == "capital":
                    self.by[("capital_prefix", prefix(str(fact.value)))].add(i)
            self.outgoing.append([order[t] for t in doc.links if t in order])
        for i, targets in enumerate(self.outgoing):
            for t in targets:
                self.incoming[t].append(i)
        for table in (self.numbers, self.dates):
            for values in table.values():
                values.sort()

    def folded(self, i: int) -> str:
        """Document `i`'s text, casefolded (kept once computed)."""
        found = self._folded.get(i)
        if found is None:
            found = self._folded[i] = self.corpus.documents[i].text.casefold()
        return found

    def satisfying(self, clue: Clue) -> frozenset[int]:
        return self._satisfying(clue)

    @lru_cache(maxsize=65536)  # noqa: B019  (one Features per corpus, kept for the process)
    def _satisfying(self, clue: Clue) -> frozenset[int]:
        p = clue.p
        if clue.kind in ("category", "topic", "name_prefix", "name_words", "capital_prefix"):
            return frozenset(self.by.get((clue.kind, p["value"]), ()))
        if clue.kind == "year_range":
            found: set[int] = set()
            for year in range(p["lo"], p["hi"] + 1):
                found |= self.years.get(year, set())
            return frozenset(found)
        if clue.kind in ("number_range", "date_range"):
            values = (self.numbers if clue.kind == "number_range" else self.dates)[p["fact"]]
            lo = bisect_left(values, (p["lo"], -1))
            hi = bisect_right(values, (p["hi"], self.n))
            return frozenset(i for _, i in values[lo:hi])
        raise ValueError(f"unknown clue kind {clue.kind}")

    def linking_to(self, targets: frozenset[int]) -> frozenset[int]:
        """Documents that link to any of `targets`."""
        return frozenset().union(*(self.incoming[t] for t in targets))

    # -- proposing clues about one document ----------------------------------------------------
    def proposals(self, i: int, rng: random.Random, *, skip_fact: str | None = None) -> list[Clue]:
        """Every clue that holds for document `i`, obfuscated, in a random order (category first
        when there is one: it is what a searcher can search for)."""
        doc: Document = self.corpus.documents[i]
        out: list[Clue] = []
        if doc.topic:
            out.append(Clue("topic", (("value", doc.topic),)))
        letters = 3 if len(normalize(doc.name).replace(" ", "")) > 8 and rng.random() < 0.3 else 2
        out.append(Clue("name_prefix", (("value", prefix(doc.name, letters)),)))
        words = len(doc.name.split())
        out.append(Clue("name_words", (("value", words),)))
        years = self.doc_years[i]
        if years:
            year = rng.choice(years)
            width = rng.choice((10, 15, 20, 30))
            lo = year - rng.randrange(width)
            out.append(Clue("year_range", (("lo", lo), ("hi", lo + width - 1))))
        for key, fact in sorted(doc.facts.items()):
            if key == skip_fact:
                continue
            if fact.kind == "number" and float(fact.value) > 0:
                value = float(fact.value)
                lo, hi = _round2(value * rng.uniform(0.5, 0.9)), _round2(value * rng.uniform(1.1, 1.6))
                if lo < value < hi:
                    out.append(Clue("number_range", (("fact", key), ("label", fact.label), ("lo", lo), ("hi", hi), ("unit", fact.unit))))
            elif fact.kind == "date":
                year = int(str(fact.value)[:4])
                width = rng.choice((6, 10, 16))
                lo = year - rng.randrange(width)
                out.append(Clue("date_range", (("fact", key), ("label", fact.label), ("lo", lo), ("hi", lo + width - 1))))
            elif key == "capital":
                out.append(Clue("capital_prefix", (("value", prefix(str(fact.value))),)))
        rng.shuffle(out)
        if doc.category:
            out.insert(0, Clue("category", (("value", doc.category),)))
        if "capital_prefix" in {c.kind for c in out} and skip_fact == "capital":
            out = [c for c in out if c.kind != "capital_prefix"]
        return out


_FEATURES: dict[str, Features] = {}


def features(corpus: Corpus) -> Features:
    """The features of `corpus`, computed once per process."""
    found = _FEATURES.get(corpus.hash)
    if found is None:
        if len(_FEATURES) >= 4:
            _FEATURES.pop(next(iter(_FEATURES)))
        found = _FEATURES[corpus.hash] = Features(corpus)
    return found
