"""Generation of search tuples on the Generator contract: candidates keyed by index, each built
into a tuple or a `Rejection` whose reason names the gate that refused it.

Sits between the synthesis modes (`_programmatic.py`, `_agentic.py`) and the generate stage. The
corpus is stored once in the run (`assets/search/<sha>.jsonl.gz`), so verify, rollout and regrade
need neither the source nor the cache; each tuple also stores its gold path and evidence (`gold`
asset) and, in the agentic mode, every agent conversation (`audit` asset). Guarantees: candidates
come in index order and each is a pure function of (corpus, settings, seed, index), so a killed
run resumes to the same records; an answer (document and answer type) is used once per run.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

from synth import (
    AssetRef,
    EnvironmentSpec,
    Generator,
    Item,
    Rejection,
    Run,
    TaskSpec,
    TupleRecord,
    VerifierSpec,
)

from ._corpus import Corpus, load
from ._gate import Refusal
from ._gold import GoldPath
from ._index import Index, cache_dir, ensure_cached, forget, open_index
from ._programmatic import SYSTEM_PROMPT, Composer, Draft, clue_metadata, far_kind
from ._settings import SearchSettings
from ._tools import TOOLS


def _fingerprint(source: str) -> tuple[str, ...]:
    path = Path(source)
    if source in ("wiki", "factbook") or not path.exists():
        return (source,)
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    return (str(path.resolve()), *(f"{p}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in files))


@lru_cache(maxsize=4)
def _load(fingerprint: tuple[str, ...]) -> Corpus:
    return load(fingerprint[0])


def load_source(source: str) -> Corpus:
    """The corpus `source` names, read once per process while its files are unchanged."""
    return _load(_fingerprint(source))


def prepared_index(corpus: Corpus, retriever: str) -> Index:
    """The corpus index, with dense vectors computed first when the retriever needs them."""
    index = open_index(corpus)
    if retriever != "bm25" and index.dense is None:
        logging.getLogger("synth").info(f"computing the dense vectors of {corpus.name} ({len(corpus.documents)} documents, once;"
                                        " about a minute per 1,000 on a CPU)")
        ensure_cached(corpus, dense=True)
        forget(corpus.hash)
        index = open_index(corpus)
    return index


def text_only(corpus: Corpus) -> bool:
    """Whether no document of `corpus` has a category or topic field (a dictionary: its genus clues come from first
    sentences; the wiki has topics, the Factbook and documentation folders categories)."""
    return not any(d.category or d.topic for d in corpus.documents)


def environment_metadata(corpus: Corpus, settings: SearchSettings, mode: str) -> dict[str, Any]:
    return {"corpus": corpus.name, "corpus_hash": corpus.hash, "relation": corpus.relation, "retriever": settings.retriever,
            "snippet_words": settings.snippet_words, "page_words": settings.snippet_words, "mode": mode}


def make_tuple(run: Run, corpus: Corpus, corpus_ref: AssetRef, settings: SearchSettings, index: int, draft: Draft,
               mode: str, audit: AssetRef | None = None, task_extra: dict[str, Any] | None = None) -> TupleRecord:
    """The tuple of a question that passed the gate. Difficulty is the hops of the walk (programmatic)
    or the depth the questioner was given (agentic), within 1..5."""
    hops = len(draft.chain) - 1 if mode == "programmatic" else settings.depth
    gold = run.write_asset("search", draft.gold.dumps(), ".json", "application/json")
    state = {"corpus": corpus_ref, "gold": gold}
    if audit is not None:
        state["audit"] = audit
    environment = EnvironmentSpec(
        family="search", category=corpus.name, seed=settings.seed, index=index, difficulty=min(5, max(1, hops)),
        state=state, tools=[t.spec for t in TOOLS],
        metadata={**environment_metadata(corpus, settings, mode), "hops": hops, "breadth": settings.breadth},
    )
    task = TaskSpec(
        family="search", category=corpus.name, environment_key=environment.key, prompt=draft.prompt, system_prompt=SYSTEM_PROMPT,
        answer_schema={"type": "string", "maxLength": 300},
        metadata={"answer_type": draft.answer_type, "corpus_hash": corpus.hash, "clues": clue_metadata(draft.clues, corpus),
                  **(task_extra or {})},
    )
    return TupleRecord.build(environment, task, VerifierSpec(name="search.answer", args=draft.verifier_args))


def used_answers(run: Run) -> set[tuple[str, str]]:
    """(answer document, answer type) of every tuple the run holds."""
    used = set()
    for record in run.tuples():
        gold = GoldPath.model_validate_json(run.read_asset(record.environment.state["gold"]))
        used.add((gold.answer_doc, str(record.task.metadata.get("answer_type"))))
    return used


def used_signatures(run: Run) -> set[tuple[tuple[str, ...], ...]]:
    """The template (clue kinds by entity, `task.metadata['template']`) of every tuple the run holds."""
    return {tuple(tuple(level) for level in record.task.metadata["template"]) for record in run.tuples()
            if record.task.metadata.get("template")}


def far_kinds(run: Run) -> Counter[str]:
    """Questions of the run by what their farthest entity is (`far_kind`)."""
    return Counter(k for record in run.tuples() if (k := far_kind(record.task.metadata.get("clues", []))) is not None)


def funnel(run: Run) -> dict[str, Any]:
    """Kept and rejected candidates by gate, over the whole run (resumes included)."""
    reasons = Counter(r.reason.split(":")[0] for r in run.rejections())
    detail = Counter(r.reason for r in run.rejections())
    kept = sum(1 for _ in run.tuples())
    return {"candidates": kept + sum(reasons.values()), "kept": kept, "rejected_by_gate": dict(sorted(reasons.items())),
            "rejected_by_reason": dict(sorted(detail.items()))}


def candidate_error(candidate: Item, exc: BaseException) -> Rejection:
    """The rejection of a candidate whose composition raised (a query with no searchable words, an empty
    document, a tool error): reason 'error:<type>', the message in the details, so the run goes on."""
    return Rejection(key=candidate.key, family="search", reason=f"error:{type(exc).__name__}", details={"message": str(exc)[:500]})


class CorpusGenerator(Generator):
    """What both modes share: candidates 0, 1, ... over one corpus until `n` tuples exist or
    `max_candidates` ran out; the corpus stored once in the run; one use per answer."""

    mode = "programmatic"

    def __init__(self, run: Run, settings: SearchSettings) -> None:
        self.run, self.settings = run, settings
        self.target = settings.n
        self.corpus = load_source(settings.corpus)
        self.index = prepared_index(self.corpus, settings.retriever)
        self.used = used_answers(run)
        for other in settings.avoid_answers_of:  # another run's answers count as used (any answer type)
            self.used |= {(doc, kind) for doc, _ in used_answers(Run.open(other))
                          for kind in ("entity", "number", "date", "text")}
        self.signatures = used_signatures(run)
        self.far_kinds = far_kinds(run)
        self.far_cap = max(1, math.ceil(settings.n / 4))
        """Questions of a run whose far end is one kind, at most (a quarter of the run)."""
        self._corpus_ref: AssetRef | None = None

    @property
    def corpus_ref(self) -> AssetRef:
        if self._corpus_ref is None:
            cached = cache_dir(self.corpus.hash) / "corpus.jsonl.gz"  # the same bytes, compressed when the index was built
            data = cached.read_bytes() if cached.is_file() else self.corpus.compressed()
            self._corpus_ref = self.run.write_asset("search", data, ".jsonl.gz", "application/gzip")
        return self._corpus_ref

    def candidates(self) -> Iterator[Item]:
        for index in range(self.settings.candidates):
            yield Item(self.corpus.name, index)

    def facts(self) -> dict[str, Any]:
        counts = funnel(self.run)
        if counts["kept"] < self.target:  # the candidates ran out first: say why in one line, and what gives more
            reasons = ", ".join(f"{k} {v}" for k, v in sorted(counts["rejected_by_gate"].items(), key=lambda kv: -kv[1])[:3])
            hint = "; --hops 2 gives more (easier) questions" if self.settings.depth >= 3 and self.mode == "programmatic" else ""
            logging.getLogger("synth").warning(
                f"search: {counts['kept']} of {self.target} tasks from {self.corpus.name} at {self.settings.depth} hops after"
                f" {counts['candidates']} candidates (most rejected: {reasons}){hint}; --max-candidates tries more")
        return {"corpus": self.corpus.name, "corpus_hash": self.corpus.hash, "funnel": counts}

    def keep(self, candidate: Item, draft: Draft, details: dict[str, Any], audit: AssetRef | None = None,
             task_extra: dict[str, Any] | None = None) -> TupleRecord | Rejection:
        """The draft's tuple, or a duplicate_answer rejection when its answer is used already."""
        used = (draft.chain[0], draft.answer_type)
        if used in self.used or (not self.settings.reuse_answers and any(doc == draft.chain[0] for doc, _ in self.used)):
            return Rejection(key=candidate.key, family="search", reason="duplicate_answer", details={"answer": draft.chain[0], **details})
        if draft.signature and draft.signature in self.signatures:
            return Rejection(key=candidate.key, family="search", reason="duplicate_template", details={"clues": [list(k) for k in draft.signature]})
        self.used.add(used)
        if draft.signature:
            self.signatures.add(draft.signature)
        if draft.facts.get("far_kind"):
            self.far_kinds[draft.facts["far_kind"]] += 1
        return make_tuple(self.run, self.corpus, self.corpus_ref, self.settings, candidate.index, draft, self.mode, audit=audit,
                          task_extra=task_extra)


class SearchGenerator(CorpusGenerator):
    """Programmatic candidates (`_programmatic.Composer`)."""

    def __init__(self, run: Run, settings: SearchSettings) -> None:
        super().__init__(run, settings)
        self.composer = Composer(self.corpus, self.index, hops=settings.depth, breadth=settings.breadth,
                                 answer_type=settings.answer_type, mode=settings.retriever, snippet_words=settings.snippet_words,
                                 surface=settings.surface_clues)
        self.composer.min_tree = settings.tree(text_only(self.corpus))
        self.composer.taken = lambda sig: sig in self.signatures
        self.composer.far_full = lambda kind: self.far_kinds[kind] >= self.far_cap

    def build(self, candidate: Item) -> TupleRecord | Rejection:
        try:
            draft = self.composer.draft(self.settings.seed, candidate.index)
        except Refusal as refusal:
            return Rejection(key=candidate.key, family="search", reason=refusal.reason, details=refusal.details)
        except Exception as exc:  # noqa: BLE001  (one candidate's failure is its rejection, never the run's)
            return candidate_error(candidate, exc)
        return self.keep(candidate, draft, {}, task_extra={"direct_candidates": draft.facts["direct_candidates"],
                                                           "template": [list(level) for level in draft.signature],
                                                           "frontier": draft.facts["frontier"]})


