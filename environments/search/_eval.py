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
