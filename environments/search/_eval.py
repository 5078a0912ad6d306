"""Retrieval evaluation over a run's tasks (as BrowseComp-Plus does with its qrels): for each
retriever, Recall@k of every task's evidence documents when its question is the query, and how
often the answer's document is among the top k.

Sits beside the family; `synth corpus eval RUN` prints it. Reads only the run (tuples, their
corpus asset and gold paths), so it works offline on any copy of a run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from synth import Run, StoreError

from ._clues import search_words
from ._family import corpus_of, gold_of
from ._generate import prepared_index
from ._index import open_index


@dataclass
class RetrievalReport:
    tasks: int
    ks: list[int]
    recall: dict[str, dict[int, float]] = field(default_factory=dict)
    """retriever -> k -> mean Recall@k of the evidence documents."""
    answer_hit: dict[str, dict[int, float]] = field(default_factory=dict)
    """retriever -> k -> share of tasks whose answer document is in the top k."""
    skipped: list[str] = field(default_factory=list)
    """Retrievers not evaluated, with why."""


def evaluate_retrieval(run: Run, ks: list[int], retrievers: list[str], *, dense: bool = False,
                       progress: Callable[[int], None] | None = None) -> RetrievalReport:
    """Recall@k per retriever over the search tasks of `run`. `dense` computes the corpus vectors when
    they are missing (once; minutes for 10k documents on a CPU); without them dense and hybrid are skipped."""
    records = [t for t in run.tuples() if t.environment.family == "search"]
    if not records:
        raise StoreError(f"run {run.path} holds no search tasks")
    report = RetrievalReport(tasks=len(records), ks=sorted(set(ks)))
    depth = max(report.ks)
    corpus = corpus_of(records[0], run)
    index = prepared_index(corpus, "hybrid") if dense else open_index(corpus)
    chosen = []
    for name in retrievers:
        if name in index.modes():
            chosen.append(name)
        else:
            report.skipped.append(f"{name}: no dense vectors (synth corpus build {corpus.name} --dense, or eval --dense)")
    sums = {name: {k: 0.0 for k in report.ks} for name in chosen}
    hits = {name: {k: 0 for k in report.ks} for name in chosen}
    for record in records:
        if corpus_of(record, run).hash != corpus.hash:
            raise StoreError(f"run {run.path} mixes corpora; evaluate one corpus at a time")
        gold = gold_of(record, run)
        evidence = set(gold.evidence)
        for name in chosen:
            ranked = [corpus.documents[h.doc].id for h in index.search(record.task.prompt, depth, name)]  # type: ignore[arg-type]
            for k in report.ks:
                top = set(ranked[:k])
                sums[name][k] += len(evidence & top) / len(evidence)
                hits[name][k] += gold.answer_doc in top
        if progress is not None:
            progress(1)
    report.recall = {name: {k: sums[name][k] / len(records) for k in report.ks} for name in chosen}
    report.answer_hit = {name: {k: hits[name][k] / len(records) for k in report.ks} for name in chosen}
    return report


# -- clue checkability ----------------------------------------------------------------------------
SURFACE_KINDS = {"name_prefix", "name_words", "year_range", "capital_prefix"}
CLUE_K = 10


def _words(clue: dict) -> str:
    return search_words(clue["kind"], clue)


def _phrase(clue: dict) -> str:
    """What `find` must show in the evidence document for a clue stored without a quote (older runs)."""
    kind = clue["kind"]
    if kind in ("category", "topic", "genus", "listed", "qualifier"):
        return str(clue.get("value", ""))
    if kind in ("number_range", "date_range"):
        return f"{clue['label']}:"
    if kind == "event":
        return str(clue.get("verb", ""))
    return ""


@dataclass
class ClueReport:
    tasks: int = 0
    clues: int = 0
    found_by_search: int = 0
    """Clues whose evidence document is in the top 10 when the clue's own words are searched."""
    checkable: int = 0
    """Clues found by search, or stated (find confirms the evidence) by a document the chain reaches."""
    surface: int = 0
    all_checkable: int = 0
    """Questions whose every clue is checkable."""
    surface_only: int = 0
    """Questions whose clues are all surface clues (letters, word counts, a bare year)."""
    per_task: list[dict] = field(default_factory=list)


def evaluate_clues(run: Run, progress: Callable[[int], None] | None = None) -> ClueReport:
    """Per task, whether each clue's evidence is findable by searching the clue, and whether it is
    checkable with the tools at all: found by search, or confirmed by `find` in a document the chain
    reaches (the far end counts as reached when searching its clues' words finds it). Surface clues
    state no fact and are never checkable. Works on runs made before clues recorded their evidence
    (the clue's subject is then the chain's document at its level, and its phrase is searched)."""
    from ._tools import Workspace, find

    records = [t for t in run.tuples() if t.environment.family == "search"]
    if not records:
        raise StoreError(f"run {run.path} holds no search tasks")
    report = ClueReport(tasks=len(records))
    corpus = corpus_of(records[0], run)
    index = open_index(corpus)
    ws = Workspace(corpus, index)

    def top(query: str) -> list[str]:
        try:
            return [corpus.documents[h.doc].id for h in index.search(query, CLUE_K)] if query.strip() else []
        except Exception:  # noqa: BLE001  (a query with no searchable words finds nothing)
            return []

    for record in records:
        gold = gold_of(record, run)
        metadata = record.task.metadata.get("clues", [])
        stored = {(c["subject"], c["kind"], c.get("text")): c for c in gold.clues}
        subjects = ["answer", *[f"X{i}" for i in range(1, len(gold.evidence))]]
        doc_of = dict(zip(subjects, gold.evidence))
        far = subjects[len(gold.evidence) - 1] if gold.evidence else "answer"
        far_words = " ".join(w for w in (_words(c) for c in metadata if c["subject"] == far) if w)
        reached = {d for s, d in doc_of.items() if s != far}
        if doc_of.get(far) and (doc_of[far] in top(far_words) or any(doc_of[far] in top(_words(c)) for c in metadata if c["subject"] == far)):
            reached.add(doc_of[far])
        rows = []
        for clue in metadata:
            doc = doc_of.get(clue["subject"])
            evidence = stored.get((clue["subject"], clue["kind"], clue.get("text")))
            surface = clue["kind"] in SURFACE_KINDS
            words = _words(clue)
            searched = bool(doc) and not surface and doc in top(words)
            phrase = " ".join(str(evidence["quote"]).split())[:120] if evidence and evidence.get("quote") else _phrase(clue)
            stated = bool(doc and phrase and not surface and find(ws, doc, phrase)["total"])
            checkable = not surface and (searched or (stated and doc in reached))
            rows.append({"subject": clue["subject"], "kind": clue["kind"], "found_by_search": searched, "stated": stated,
                         "checkable": checkable, "surface": surface})
        report.clues += len(rows)
        report.found_by_search += sum(r["found_by_search"] for r in rows)
        report.checkable += sum(r["checkable"] for r in rows)
        report.surface += sum(r["surface"] for r in rows)
        report.all_checkable += all(r["checkable"] for r in rows)
        report.surface_only += bool(rows) and all(r["surface"] for r in rows)
        report.per_task.append({"task": record.key, "clues": rows})
        if progress is not None:
            progress(1)
    return report
