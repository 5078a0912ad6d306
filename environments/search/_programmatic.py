"""Programmatic question synthesis (the default, no model): sample a long-tail entity, walk the
link graph (or the Factbook's borders) for `hops` hops, describe every entity on the walk by
obfuscated clues, and keep the question only if the gate passes.

Sits between the corpus features (`_clues.py`) and the tuple (`_family.py`). A candidate is a pure
function of (corpus, settings, seed, index): `random.Random(f"{seed}:{index}")`. The question is
grown the way ASearcher grows one: the answer starts with `breadth` clues and gains one at a time
until it is the only document of the corpus that satisfies every clue (uniqueness is exact: every
document is a candidate checked against every clue); a clue that the hops make redundant is then
dropped again, so the walk is needed to single the answer out. The gold path (`_gold.py`) walks
back from the far end through the tools, with queries built from names the previous steps found
and categories the question states.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import Any


from ._clues import NOUN, RELATION_TEXT, SURFACE, Clue, Features, features, search_words
from ._corpus import Corpus, Document, Mentions, sentence_at
from ._gate import Refusal, check_leaks, name_table, single_search, unique_aliases
from ._gold import GoldPath, GoldPathBroken, Step, replay
from ._index import Index, Mode
from ._tools import Workspace, find, open_document, search

NUMBER_PATTERNS = {
    "population": r"\d{1,3}(?:,\d{3})+|\d+",
    "area": r"(?:\d{1,3}(?:,\d{3})+|\d+) sq km",
    "coastline": r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)? km",
    "highest_point": r"(?:\d{1,3}(?:,\d{3})+|\d+) m\b",
}
DATE_PATTERN = r"\d{1,2} [A-Z][a-z]+ \d{4}"
NUMBER_TOLERANCE = 0.01
SPECIFIC = 60
"""A hop prefers targets linked from at most this many documents (a hub names nothing)."""
GOLD_TOP_K = 10
TEMPLATE_TRIES = 4
"""Clue draws tried per candidate before its clue sequence counts as a template the run has used."""
FAR_RIVALS = 7
"""Other documents that fit the far end's clues among the top 10 results of the search that finds it (fewer on a corpus
that needs fewer to fit them): the start is one of 8 equally plausible hits, not the one the search singles out (with a
single rival, a searcher that tried the hits in order found the start among its first few on 45% of wiki questions)."""
FAR_AMBIGUITY = 8
"""Documents that must fit the far end's own clues, at most a thirtieth of the corpus (it is one of many until the chain
singles it out: a searcher that starts there has that many places to start from)."""
OWN_AMBIGUITY = 3
"""Documents that must fit what the question says about the answer alone, on a corpus of 300 documents or more:
the answer's own clues never single it out, only the chain does (searching the answer's own clues and taking
what fits is not enough)."""
WALK_TRIES = 24
START_TRIES = 8
"""Starting documents a candidate draws before it is a dead end."""
"""Links tried per hop before the walk gives up (dead_end)."""

SYSTEM_PROMPT = (
    "You answer questions by searching a document collection. Tools: search(query, top_k) returns "
    "the best-matching documents with ids, titles and snippets; open(id, page) reads a document; "
    "find(id, pattern) shows the passages of a document that contain a phrase. Work step by step: "
    "identify the entities the clues describe, check every clue in the documents, then call "
    "submit(answer) with the answer alone."
)
PROMPT = """\
Find the {{ target }} of the document collection that matches every clue below.\
{% if hops %} {{ placeholders }} {{ verb }} for {{ entities }} of the collection that the clues describe without naming.{% endif %}

Clues:
{% for line in lines %}- {{ line }}.
{% endfor %}
{{ ask }}"""


@dataclass
class Draft:
    """A question that passed the gate, with everything its tuple needs."""

    chain: list[str]
    """Document ids: the answer, then X1..XH."""
    clues: list[list[Clue]]
    prompt: str
    answer_type: str
    verifier_args: dict[str, Any]
    gold: GoldPath
    facts: dict[str, Any] = field(default_factory=dict)
    signature: tuple[tuple[str, ...], ...] = ()
    """The clue kinds of each entity in order (two questions of a run never share it)."""


FAR_KIND_CLUES = ("genus", "category", "topic", "qualifier", "listed")


def far_kind(clues: list[dict[str, Any]]) -> str | None:
    """What a question says the farthest entity is (its first genus, category or topic clue's value, casefolded), from
    the clues as task metadata; None for a 1-entity question or a far end with no such clue."""
    levels = [0 if c["subject"] == "answer" else int(c["subject"][1:]) for c in clues]
    far = max(levels, default=0)
    if not far:
        return None
    return next((str(c.get("value", "")).casefold() for c, level in zip(clues, levels) if level == far and c["kind"] in FAR_KIND_CLUES),
                None)


def long_tail(f: Features, fact: str | None = None) -> list[int]:
    """The long tail: documents with outgoing links (and the fact asked for), the less linked-to half."""
    docs = f.corpus.documents
    eligible = [i for i in range(len(docs)) if f.outgoing[i] and (fact is None or fact in docs[i].facts) and f.has_facts(i)]
    eligible.sort(key=lambda i: (len(f.incoming[i]), i))
    return eligible[: max(1, (len(eligible) + 1) // 2)] if eligible else []


def _article(kind: str) -> str:
    return {"factbook": "country"}.get(kind, "entity")


class Composer:
    """Candidates of one corpus under one set of settings."""

    def __init__(self, corpus: Corpus, index: Index, *, hops: int, breadth: int, answer_type: str, mode: Mode,
                 snippet_words: int, surface: bool = False) -> None:
        self.corpus, self.index, self.mode, self.surface = corpus, index, mode, surface
        self._mentions: Mentions | None = None
        self._found: dict[int, dict[str, tuple[int, int]]] = {}
        self._far: dict[int, list[Clue] | None] = {}
        self.taken: Any = None
        """signature -> whether the run used it already (set by the generator)."""
        self.far_full: Any = None
        """far end's kind (`far_kind`) -> whether the run has its share of questions with it (set by the generator)."""
        self.hops, self.breadth, self.answer_type = hops, breadth, answer_type
        self.f: Features = features(corpus)
        self.names = name_table(corpus)
        self.workspace = Workspace(corpus, index, mode, snippet_words, snippet_words)
        self.pools: dict[str | None, list[int]] = {}
        self._reach: dict[tuple[int, int], bool] = {}
        self._kinds: list[tuple[str, str | None]] | None = None
        self.min_tree = 0
        """Documents a searcher must walk back from (`tree`) before the answer's branch is known; a question with fewer
        is refused (`narrow_tree`); 0: no such gate."""

    # -- sampling ------------------------------------------------------------------------------
    def _types(self) -> list[tuple[str, str | None]]:
        if self._kinds is None:
            self._kinds = self._answer_kinds()
        return self._kinds

    def _answer_kinds(self) -> list[tuple[str, str | None]]:
        numbers = sorted({k for d in self.corpus.documents for k, f in d.facts.items() if f.kind == "number" and k in NUMBER_PATTERNS})
        dates = sorted({k for d in self.corpus.documents for k, f in d.facts.items() if f.kind == "date"})
        kinds = {"entity": [("entity", None)], "number": [("number", k) for k in numbers], "date": [("date", k) for k in dates]}
        if self.answer_type != "any":
            if not kinds[self.answer_type]:
                raise Refusal(f"no_{self.answer_type}_facts")
            return kinds[self.answer_type]
        return kinds["entity"] * max(1, len(numbers) + len(dates)) + kinds["number"] + kinds["date"]

    def _pool(self, fact: str | None) -> list[int]:
        if fact not in self.pools:
            self.pools[fact] = long_tail(self.f, fact)
        return self.pools[fact]

    def mention(self, source: int, target: int) -> tuple[int, int] | None:
        """Where document `source` names document `target` as a whole name (longest match, not inside a
        longer capitalised name, not its own title), or None: the link's evidence."""
        if self._mentions is None:
            self._mentions = Mentions(self.corpus.documents)
        found = self._found.get(source)
        if found is None and not any(words and words[0] in self.f.folded(source)
                                     for words in self._mentions.own.get(self.corpus.documents[target].id, ())):
            return None  # no name of the target's starts anywhere in the text: no need to read all its mentions
        if found is None:
            doc = self.corpus.documents[source]
            text, offset = doc.text, 0
            if self.corpus.relation == "borders":  # a border's evidence is the 'Border countries' line, not 'independence from'
                line = re.search(r"^Border countries:.*$", doc.text, re.MULTILINE)
                text, offset = (line.group(0), line.start()) if line else ("", 0)
            found = self._found[source] = {t: (a + offset, b + offset) for t, (a, b) in self._mentions.find(text, doc.id).items()}
        return found.get(self.corpus.documents[target].id)

    def _genus_words(self, i: int) -> str:
        genus = self.f.genus[i]
        return genus[0] if genus else ""

    def _reachable(self, source: int, target: int) -> bool:
        """Whether a searcher who knows `target` finds `source` among the documents naming it (the
        step the gold path takes back along the walk)."""
        known = self._reach.get((source, target))
        if known is not None:
            return known
        span = self.mention(source, target)
        found = False
        if span is not None:
            mention = self.corpus.documents[source].text[span[0] : span[1]]
            found = any(any(hit.doc == source for hit in self.index.search(query, GOLD_TOP_K, self.mode))
                        for query in dict.fromkeys([f"{mention} {self._genus_words(source)}".strip(), mention]))
        self._reach[(source, target)] = found
        return found

    def _walk(self, start: int, rng: random.Random) -> list[int]:
        """`hops` steps along links from `start`: specific targets first (a hub names nothing), each
        one a step the tools can retrace, the last one to a document that can be the far end. A step that
        leads nowhere is taken back and the next one tried (at most WALK_TRIES per hop)."""
        deepest = [0]

        def extend(chain: list[int]) -> list[int] | None:
            hop = len(chain) - 1
            deepest[0] = max(deepest[0], hop)
            if hop == self.hops:
                return chain
            options = [t for t in self.f.outgoing[chain[-1]] if t not in chain]
            rng.shuffle(options)
            options.sort(key=lambda t: len(self.f.incoming[t]) > SPECIFIC)
            last, penultimate = hop == self.hops - 1, hop == self.hops - 2
            for t in options[:WALK_TRIES]:
                # the far end's clues first: a property of the document alone, kept once computed, and most fail; a step
                # before the last goes only where a far end can follow (else its mention search is spent on a dead end)
                if (self._far_open(t) if last else
                        any(u not in chain and u != t and (not penultimate or self._far_open(u)) for u in self.f.outgoing[t])) \
                        and self._reachable(chain[-1], t):
                    found = extend([*chain, t])
                    if found is not None:
                        return found
            return None

        chain = extend([start])
        if chain is None:
            raise Refusal("dead_end", {"hops_walked": deepest[0]})
        return chain

    # -- uniqueness ----------------------------------------------------------------------------
    def _direct(self, clues: list[Clue]) -> frozenset[int] | None:
        sets = sorted((self.f.satisfying(c) for c in clues), key=len)
        if not sets:
            return None
        found = sets[0]
        for other in sets[1:]:
            found = found & other
        return found

    def solutions(self, clues: list[list[Clue]]) -> frozenset[int]:
        """Every document that satisfies all clues about the answer, through some chain of documents
        that satisfy the clues about X1..XH."""
        everything = frozenset(range(self.f.n))
        found = self._direct(clues[-1]) or everything
        for level in range(len(clues) - 2, -1, -1):
            linked = self.f.linking_to(found)
            own = self._direct(clues[level])
            found = linked if own is None else (linked & own)
        return found

    # -- one candidate -------------------------------------------------------------------------
    def draft(self, seed: int, index: int) -> Draft:
        rng = random.Random(f"{seed}:{index}")
        answer_type, fact = rng.choice(self._types())
        pool = self._pool(fact)
        if not pool:
            raise Refusal("no_candidates", {"fact": fact})
        for attempt in range(START_TRIES):  # a start with no walk is drawn again (the draws are the candidate's own)
            try:
                chain = self._walk(rng.choice(pool), rng)
                break
            except Refusal:
                if attempt == START_TRIES - 1:
                    raise
        avoid = tuple(n for i in chain for n in (self.corpus.documents[i].name, *self.corpus.documents[i].aliases))
        answer = chain[0]
        for attempt in range(TEMPLATE_TRIES):
            clues = self._clues(chain, rng, fact, avoid)
            if self.taken is None or not self.taken(signature(clues)):
                break
        else:
            raise Refusal("duplicate_template", {"clues": [list(k) for k in signature(clues)]})
        far = far_kind(clue_metadata(clues))
        if far is not None and self.far_full is not None and self.far_full(far):  # before the costly gates
            raise Refusal("far_end_repeated", {"far_kind": far})
        k = min(GOLD_TOP_K, self.f.n // 20)  # at most a twentieth of the corpus (a few dozen documents have no room for it)
        if len(chain) > 1 and self.f.n >= 100 and self._findable(answer, clues[0], k=k):
            raise Refusal("answerable_alone", {"reason": "searching the answer's own clues finds it", "k": k})
        direct = len(self._direct(clues[0]) or range(self.f.n))
        docs = [self.corpus.documents[i] for i in chain]
        prompt = self._prompt(clues, answer_type, docs[0], fact)
        args = self._verifier_args(docs[0], answer_type, fact)
        figures = [args["answer"], str(args.get("value", ""))] if answer_type != "entity" else []
        check_leaks(prompt, args["answer"], list(args.get("aliases", [])) if answer_type == "entity" else [],
                    hidden=[d.name for d in docs[1:]], figures=figures)
        own = clues[0]
        single_search(prompt, self.corpus, self.index, self.mode, docs[0].id, args["answer"] if answer_type == "entity" else docs[0].title,
                      list(args.get("aliases", [])), plausible=lambda i: all(i in self.f.satisfying(c) for c in own))
        if all(c.kind in SURFACE for level in clues for c in level):
            raise Refusal("surface_only")
        tree = self.tree(chain, clues, cap=self.min_tree) if self.min_tree and len(chain) > 1 else []
        if tree and sum(tree) < self.min_tree:
            raise Refusal("narrow_tree", {"frontier": tree, "needed": self.min_tree})
        gold = self._gold(docs, clues, answer_type, fact)
        return Draft(chain=[d.id for d in docs], clues=clues, prompt=prompt, answer_type=answer_type, verifier_args=args, gold=gold,
                     facts={"direct_candidates": direct, "hops_needed": direct > 1, "fact": fact, "frontier": tree, "far_kind": far},
                     signature=signature(clues))

    def tree(self, chain: list[int], clues: list[list[Clue]], cap: int = 10**9) -> list[int]:
        """The documents a searcher must walk back from, level by level, before it can tell which one leads to the
        answer: those that fit the far end's clues among the top 10 of a search for their words, then every document
        among the top 10 of a search for a previous one's name (with the level's words) that links to it and fits
        the level's clues, down to X1 (the answer's level is unique by construction). Counting stops at `cap`.
        A searcher spends at least one search on each, so a question whose frontier exceeds its budget cannot be
        solved by walking every branch, only by picking the right one."""
        k = GOLD_TOP_K
        words = [w for w in (self.clue_words(c) for c in clues[-1]) if w]
        far = clues[-1]
        frontier: list[int] = []
        for query in dict.fromkeys([" ".join(words), *words]):
            if query:
                frontier += [h.doc for h in self.index.search(query, k, self.mode)
                             if h.doc not in frontier and all(h.doc in self.f.satisfying(c) for c in far)]
        sizes = [len(frontier)]
        for level in range(len(chain) - 2, 0, -1):
            own = clues[level]
            said = " ".join(w for w in (self.clue_words(c) for c in own) if w)
            nxt: list[int] = []
            for known in frontier:
                name = self.corpus.documents[known].name
                for query in dict.fromkeys([f"{name} {said}".strip(), name]):
                    if not re.search(r"\w", query):
                        continue
                    for h in self.index.search(query, k, self.mode):
                        if h.doc != known and h.doc not in nxt and known in self.f.outgoing[h.doc] \
                                and all(h.doc in self.f.satisfying(c) for c in own):
                            nxt.append(h.doc)
                if sum(sizes) + len(nxt) >= cap:
                    break
            sizes.append(len(nxt))
            frontier = nxt
            if sum(sizes) >= cap:
                break
        return sizes

    def _findable(self, i: int, own: list[Clue], fits: frozenset[int] | None = None, k: int = GOLD_TOP_K) -> bool:
        """Whether searching the words of `own` (all together, or one clue's) finds document `i` in the top 10;
        with `fits`, among at least FAR_RIVALS other results that fit the same clues (the search alone does
        not single it out)."""
        words = [w for w in (self.clue_words(c) for c in own) if w]
        for query in dict.fromkeys([" ".join(words), *words]):
            if not query:
                continue
            hits = [h.doc for h in self.index.search(query, k, self.mode)]
            rivals = min(FAR_RIVALS, self.far_ambiguity() - 1) if self.f.n >= 100 else 0  # a few dozen documents have no room
            if i in hits and (fits is None or sum(1 for h in hits if h in fits and h != i) >= rivals):
                return True
        return False

    def far_clues(self, i: int) -> list[Clue] | None:
        """The clues document `i` gets as the far end of a walk (a pure function of the document), or None
        when no choice of its clues is both findable and ambiguous (`_far_clues`)."""
        if i not in self._far:
            try:
                proposals = self.f.proposals(i, random.Random(f"far:{i}"))
                broad = [self._broadened(i, c) for c in proposals if c.kind == "genus"]
                self._far[i] = self._far_clues(i, [*proposals, *(c for c in broad if c not in proposals)], 0)
            except Refusal:
                self._far[i] = None
        return self._far[i]

    def _far_open(self, i: int) -> bool:
        """Whether document `i` can be a far end (`far_clues`) of a kind the run has not had its share of (`far_full`):
        a walk steps past a full kind instead of drawing a question that would be refused."""
        clues = self.far_clues(i)
        if clues is None or self.far_full is None:
            return clues is not None
        kind = next((str(c.p.get("value", "")).casefold() for c in clues if c.kind in FAR_KIND_CLUES), None)
        return kind is None or not self.far_full(kind)

    def _far_clues(self, i: int, proposals: list[Clue], level: int) -> list[Clue]:
        """The clues of the far end, where a searcher starts: searching their words must find it (the top
        10), and at least FAR_AMBIGUITY documents must fit them, so that it is one of many until the chain
        singles it out. The fewest clues that do both, the genus first."""
        options = [[c] for c in proposals] + [[a, b] for n, a in enumerate(proposals) for b in proposals[n + 1 :]]
        for own in options[: 1 + 2 * len(proposals) + len(proposals) ** 2]:
            if len(own) > self.breadth:
                continue
            fits = self._direct(own) or frozenset()
            if len(fits) >= self.far_ambiguity() and self._findable(i, own, fits):
                return own
        raise Refusal("unverifiable_clue", {"subject": f"X{level}", "reason": "no clues both find it by search and leave it one of many"})

    def _clues(self, chain: list[int], rng: random.Random, fact: str | None, avoid: tuple[str, ...]) -> list[list[Clue]]:
        """Clues about every entity of the chain: `breadth` about each, more about the answer until it is
        the only document that fits, more about the far end until searching its clues finds it."""
        proposals = [self.f.proposals(i, rng, skip_fact=fact, avoid=avoid, surface=self.surface and level == 0)
                     for level, i in enumerate(chain)]
        need = self.own_ambiguity()
        last = len(chain) - 1
        clues = [self._loose(chain[0], p[: self.breadth], need) if level == 0 else [] for level, p in enumerate(proposals)]
        if last:
            far = self.far_clues(chain[-1])
            if far is None:
                raise Refusal("unverifiable_clue", {"subject": f"X{last}", "reason": "no clues both find it by search and leave it one of many"})
            clues[-1] = list(far)
        # the answer gains clues first, then the entities between it and the far end, until only the answer fits
        spare = [(0, c) for c in proposals[0] if c.kind != "genus" and c not in clues[0]]
        spare += [(level, self._broadened(chain[level], c)) for level in range(1, last) for c in proposals[level]]
        spare += [(level, c) for level in range(1, last) for c in proposals[level] if (level, c) not in spare]
        answer = chain[0]
        while (found := self.solutions(clues)) != {answer}:
            while spare and spare[0][0] == 0 and len(self._direct([*clues[0], spare[0][1]]) or range(self.f.n)) < need:
                spare.pop(0)  # a clue that would single the answer out alone: the chain must do that
            if not spare:
                others = sorted(self.corpus.documents[i].title for i in found - {answer})
                raise Refusal("ambiguous", {"alternatives": len(others), "examples": others[:5]})
            level, clue = spare.pop(0)
            clues[level].append(clue)
        # a clue that the walk makes redundant goes again: the hops should be needed
        for level in range(last - 1, -1, -1):
            for clue in list(reversed(clues[level])):
                if level == 0 and (len(clues[0]) == 1 or clue.kind in ("category", "genus")):
                    break  # the genus stays: it says what is sought, and a searcher searches with it
                trial = [c for c in clues[level] if c != clue]
                if self.solutions([*clues[:level], trial, *clues[level + 1 :]]) == {answer}:
                    clues[level] = trial
        return clues

    def far_ambiguity(self) -> int:
        """How many documents must fit the far end's own clues."""
        return min(FAR_AMBIGUITY, max(1, self.f.n // 30))

    def own_ambiguity(self) -> int:
        """How many documents must fit what a question says about the answer alone."""
        return min(OWN_AMBIGUITY, max(1, self.f.n // 100))

    def _broadened(self, i: int, clue: Clue) -> Clue:
        """A genus clue about document `i` one level broader ('a proprietary compiler' -> 'a compiler') where its head says something."""
        broad = self.f.broad[i]
        if clue.kind != "genus" or broad is None:
            return clue
        value, verb, kind_of, lo, hi = broad
        return Clue("genus", (("value", value), ("verb", verb), ("kind_of", kind_of)), span=(lo, hi))

    def _loose(self, i: int, own: list[Clue], need: int) -> list[Clue]:
        """`own` (document `i`'s clues), with clues dropped from the end and the genus broadened to its head noun
        ('a saltwater fish' -> 'a fish') until at least `need` documents fit them; refused (`answerable_alone`) when
        even one broad clue singles the entity out."""
        out = list(own)
        while out and len(self._direct(out) or range(self.f.n)) < need:
            if len(out) > 1:
                out.pop()
                continue
            broad = self.f.broad[i]
            if out[0].kind == "genus" and broad is not None and out[0].p["value"] != broad[0]:
                value, verb, kind_of, lo, hi = broad
                out[0] = Clue("genus", (("value", value), ("verb", verb), ("kind_of", kind_of)), span=(lo, hi))
                continue
            raise Refusal("answerable_alone", {"clue": out[0].kind, "fits": len(self._direct(out) or ())})
        return out

    def _prompt(self, clues: list[list[Clue]], answer_type: str, answer: Document, fact: str | None) -> str:
        from synth import render

        subjects = ["the answer", *[f"X{i}" for i in range(1, len(clues))]]
        lines = []
        relation = RELATION_TEXT.get(self.corpus.relation, RELATION_TEXT["links to"])
        for level, own in enumerate(clues):
            lines += [clue.text(subjects[level], self.corpus) for clue in own]
            if level + 1 < len(clues):
                lines.append(relation.format(s=subjects[level], t=subjects[level + 1], noun=NOUN.get(self.corpus.name, "document")))
        lines = [line[:1].upper() + line[1:] for line in lines]
        kind = _article(self.corpus.name)
        if answer_type == "entity":
            ask = f"Submit the answer's name (the title of its {NOUN.get(self.corpus.name, 'document')}) and nothing else."
        elif answer_type == "number":
            label = answer.facts[fact].label.lower()  # type: ignore[index]
            unit = answer.facts[fact].unit  # type: ignore[index]
            ask = (f"Submit the answer's {label} as its entry states it, as one number{' in ' + unit if unit else ''}"
                   f" (within {NUMBER_TOLERANCE:.0%} counts) and nothing else.")
        else:
            label = answer.facts[fact].label.lower()  # type: ignore[index]
            ask = f"Submit the answer's {label} date as its entry states it (day, month and year, e.g. 4 July 1776) and nothing else."
        hops = len(clues) - 1
        plural = {"country": "countries", "entity": "entities"}[kind]
        return render(PROMPT, target=kind, hops=hops, placeholders=" and ".join(subjects[1:]) if hops > 1 else "X1",
                      verb="stands" if hops == 1 else "stand", entities=f"another {kind}" if hops == 1 else f"other {plural}",
                      lines=lines, ask=ask)

    def _verifier_args(self, doc: Document, answer_type: str, fact: str | None) -> dict[str, Any]:
        if answer_type == "entity":
            return {"answer": doc.title, "aliases": unique_aliases(self.corpus, self.names, doc.id), "type": "entity"}
        stated = doc.facts[fact]  # type: ignore[index]
        import re

        pattern = NUMBER_PATTERNS[fact] if answer_type == "number" else DATE_PATTERN  # type: ignore[index]
        shown = re.search(pattern, stated.stated)
        if shown is None:
            raise Refusal("unstated_fact", {"fact": fact})
        if answer_type == "number":
            return {"answer": shown.group(0), "type": "number", "value": float(stated.value), "tolerance": NUMBER_TOLERANCE}
        return {"answer": shown.group(0), "type": "date", "value": str(stated.value), "tolerance": 0}

    @staticmethod
    def clue_words(clue: Clue) -> str:
        """The words a searcher searches for when it reads the clue."""
        return search_words(clue.kind, clue.p)

    @staticmethod
    def quote(doc: Document, clue: Clue) -> str:
        """The evidence text of a clue, as `find` takes it (at most 120 characters of the span)."""
        assert clue.span is not None
        return " ".join(doc.text[clue.span[0] : clue.span[1]].split())[:120].strip()

    def _gold(self, docs: list[Document], clues: list[list[Clue]], answer_type: str, fact: str | None) -> GoldPath:
        subjects = ["answer", *[f"X{i}" for i in range(1, len(docs))]]
        far = docs[-1]
        words = [w for w in (self.clue_words(c) for c in clues[-1]) if w]
        for query in dict.fromkeys([" ".join(words), *words]):
            if query and far.id in [r["id"] for r in search(self.workspace, query, GOLD_TOP_K)["results"]]:
                break
        else:
            raise Refusal("unverifiable_clue", {"subject": subjects[-1], "reason": "searching its clues' words does not find it",
                                                "words": words})
        steps = [Step(tool="search", args={"query": query, "top_k": GOLD_TOP_K}, expect=far.id),
                 Step(tool="open", args={"id": far.id}, expect=far.id)]
        evidence: list[dict[str, Any]] = []
        links: list[dict[str, Any]] = []

        def check(level: int) -> None:
            doc = docs[level]
            for clue in clues[level]:
                record = {"subject": subjects[level], "kind": clue.kind, "text": clue.text(subjects[level], self.corpus), "doc": doc.id}
                if clue.span is None:  # a surface clue: the title shows it
                    evidence.append({**record, "start": None, "end": None, "quote": None, "surface": True})
                    continue
                quote = self.quote(doc, clue)
                if not quote or not re.search(r"\w", quote):
                    raise Refusal("unverifiable_clue", {"subject": subjects[level], "kind": clue.kind})
                steps.append(Step(tool="find", args={"id": doc.id, "pattern": quote}, expect=quote))
                words = self.clue_words(clue)
                searched = bool(words) and any(self.corpus.documents[h.doc].id == doc.id for h in self.index.search(words, GOLD_TOP_K, self.mode))
                evidence.append({**record, "start": clue.span[0], "end": clue.span[1], "quote": doc.text[clue.span[0] : clue.span[1]],
                                 "found_by_search": searched})

        check(len(docs) - 1)
        order = self.corpus.order
        for level in range(len(docs) - 1, 0, -1):
            known, wanted = docs[level], docs[level - 1]
            span = self.mention(order[wanted.id], order[known.id])
            if span is None:
                raise Refusal("gold_unreachable", {"reason": f"{wanted.id} never names {known.id}"})
            mention = wanted.text[span[0] : span[1]]
            genus = self._genus_words(order[wanted.id])
            for query in dict.fromkeys([f"{mention} {genus}".strip(), mention]):
                ids = [r["id"] for r in search(self.workspace, query, GOLD_TOP_K)["results"]]
                if wanted.id in ids:
                    break
            else:
                raise Refusal("gold_unreachable", {"reason": f"searching {mention!r} does not reach {wanted.id}"})
            steps += [Step(tool="search", args={"query": query, "top_k": GOLD_TOP_K}, expect=wanted.id),
                      Step(tool="open", args={"id": wanted.id}, expect=wanted.id),
                      Step(tool="find", args={"id": wanted.id, "pattern": mention}, expect=mention)]
            lo, hi = sentence_at(wanted.text, *span)
            links.append({"source": wanted.id, "target": known.id, "relation": self.corpus.relation, "start": span[0], "end": span[1],
                          "mention": mention, "sentence": wanted.text[lo:hi]})
            check(level - 1)
        if answer_type == "entity":
            steps.append(Step(tool="open", args={"id": docs[0].id}, expect=docs[0].id))
        extra: dict[str, Any] = {}
        if answer_type != "entity":
            label = docs[0].facts[fact].label  # type: ignore[index]
            extra = {"answer_from": "pattern", "label": label, "pattern": NUMBER_PATTERNS[fact] if answer_type == "number" else DATE_PATTERN}  # type: ignore[index]
        gold = GoldPath(steps=steps, answer_doc=docs[0].id, evidence=[d.id for d in docs], clues=evidence, links=links, **extra)
        try:
            replay(gold, self._call)
        except GoldPathBroken as exc:
            raise Refusal("gold_unreachable", {"reason": str(exc)}) from None
        return gold

    def _call(self, tool: str, **args: Any) -> Any:
        fn = {"search": search, "open": open_document, "find": find}[tool]
        return fn(self.workspace, **args)


def signature(clues: list[list[Clue]]) -> tuple[tuple[str, ...], ...]:
    """The template of a question: the kind of each clue (with the event, list or figure it is about), by entity."""
    def kind(c: Clue) -> str:
        p = c.p
        if c.kind == "genus":
            return f"genus:{p['value']}"
        return c.kind + (":" + str(p.get("verb") or p.get("label") or "") if c.kind in ("event", "listed", "number_range", "date_range") else "")
    return tuple(tuple(kind(c) for c in level) for level in clues)


def clue_metadata(clues: list[list[Clue]], corpus: Corpus | None = None) -> list[dict[str, Any]]:
    """The clues as the prompt states them (kind, values and, with the corpus, the sentence), nothing more."""
    subjects = ["answer", *[f"X{i}" for i in range(1, len(clues))]]
    return [{**clue.public(subjects[level]), **({"text": clue.text(subjects[level], corpus)} if corpus is not None else {})}
            for level, own in enumerate(clues) for clue in own]

