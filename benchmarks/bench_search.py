"""The search family's speed on the 10k Wikipedia Vital Articles corpus, side by side in one run.

1. Indexing (documents per second) with synth's choice, tantivy, and its alternatives: bm25s,
   rank_bm25 and SQLite FTS5 (the alternatives need `pip install -e '.[bench]'`; missing ones are
   reported as skipped). Target: at least 20,000 documents per second.
2. Query latency p50/p99 through synth's search tool (the same tool function, snippets included,
   over each library behind the same adapter), for questions made of titles and words of the
   corpus. Target: p50 at most 1 ms.
3. Programmatic synthesis on one core: kept tasks per second through the real generate stage
   (records and assets written), hops 2, with the funnel of rejections by gate. Target: at least 20
   kept tasks per second.
4. With --dense: document embedding throughput of the numpy all-MiniLM-L6-v2 encoder (every core).
5. With --quality [CORPUS ...] (issue 21): per corpus (default wiki, factbook and a text-only
   dictionary and an HTML documentation folder the tests write), 20 questions at seed 1, at the default settings
   (4 hops, the narrow_tree gate's default for the corpus) and at 2, 3 and 4 hops (`--hops default 2 3 4`), side by side: the yield (kept of candidates, kept/s), clue
   checkability and the surface-only share from `synth corpus eval`'s clue report, and the solve rate of the
   scripted multi-step searcher of tests/search/searcher.py (80 searches, every candidate walked).
   Target: >= 90% of clues checkable, no surface-only question, the searcher solves at most a third.
6. With --memory (issue 20 item 8): peak memory of `synth corpus build` on a 50 MB single document
   (refused above the stated size) and on one just below the limit, over the interpreter's baseline.

    .venv/bin/python benchmarks/bench_search.py [--queries 300] [--candidates 400] [--dense] [--quality [CORPUS ...]] [--hops H ...] [--memory]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

import synth
from synth import Run
from synth.environments.search import Workspace, wiki
from synth.environments.search._index import Bm25, Hit
from synth.environments.search._tools import search

INDEX_TARGET, P50_TARGET, KEPT_TARGET = 20_000, 1.0, 20.0


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


class Adapter:
    """A library behind the index interface the search tool uses."""

    def __init__(self, search_fn: Any) -> None:
        self.search_fn = search_fn

    def search(self, query: str, k: int = 5, mode: str = "bm25") -> list[Hit]:
        return self.search_fn(query, k)


def build_tantivy(corpus: Any) -> Adapter:
    index = Bm25.build(corpus)
    return Adapter(index.search)


def build_bm25s(corpus: Any) -> Adapter:
    import bm25s
    import Stemmer

    stemmer = Stemmer.Stemmer("english")
    tokens = bm25s.tokenize([f"{d.title} {d.text}" for d in corpus.documents], stopwords="en", stemmer=stemmer, show_progress=False)
    retriever = bm25s.BM25()
    retriever.index(tokens, show_progress=False)

    def run(query: str, k: int) -> list[Hit]:
        q = bm25s.tokenize([query], stopwords="en", stemmer=stemmer, show_progress=False)
        docs, scores = retriever.retrieve(q, k=k, show_progress=False)
        return [Hit(int(d), float(s)) for d, s in zip(docs[0], scores[0])]

    return Adapter(run)


def build_rank_bm25(corpus: Any) -> Adapter:
    from rank_bm25 import BM25Okapi

    model = BM25Okapi([_words(f"{d.title} {d.text}") for d in corpus.documents])

    def run(query: str, k: int) -> list[Hit]:
        scores = model.get_scores(_words(query))
        top = sorted(range(len(scores)), key=lambda i: -scores[i])[:k]
        return [Hit(i, float(scores[i])) for i in top]

    return Adapter(run)


def build_fts5(corpus: Any) -> Adapter:
    db = sqlite3.connect(":memory:", check_same_thread=False)
    db.execute("CREATE VIRTUAL TABLE docs USING fts5(title, text, tokenize='porter')")
    db.executemany("INSERT INTO docs(rowid, title, text) VALUES (?, ?, ?)",
                   ((i, d.title, d.text) for i, d in enumerate(corpus.documents)))
    db.commit()

    def run(query: str, k: int) -> list[Hit]:
        terms = " OR ".join(f'"{w}"' for w in _words(query))
        rows = db.execute("SELECT rowid, bm25(docs) FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT ?", (terms, k)).fetchall()
        return [Hit(int(r), -float(s)) for r, s in rows]

    return Adapter(run)


LIBRARIES = {"tantivy": (build_tantivy, None), "bm25s": (build_bm25s, "bm25s"), "rank_bm25": (build_rank_bm25, "rank_bm25"),
             "sqlite_fts5": (build_fts5, None)}


def queries(corpus: Any, n: int) -> list[str]:
    rng = random.Random(0)
    out = []
    for doc in rng.sample(corpus.documents, n):
        words = doc.text.split()
        start = rng.randrange(max(1, len(words) - 8))
        out.append(f"{doc.name} {' '.join(words[start:start + rng.randint(3, 8)])}")
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def bench_libraries(corpus: Any, n_queries: int) -> dict[str, dict[str, float]]:
    import importlib.util

    asked = queries(corpus, n_queries)
    figures: dict[str, dict[str, float]] = {}
    for name, (build, module) in LIBRARIES.items():
        if module and importlib.util.find_spec(module) is None:
            print(f"{name:12} skipped (pip install -e '.[bench]')")
            continue
        start = time.perf_counter()
        adapter = build(corpus)
        seconds = time.perf_counter() - start
        ws = Workspace(corpus, adapter)  # type: ignore[arg-type]
        chosen = asked if name != "rank_bm25" else asked[: max(20, n_queries // 10)]  # ~50 ms a query
        for query in chosen[:5]:
            search(ws, query)  # warm up
        latencies = []
        for query in chosen:
            t0 = time.perf_counter()
            search(ws, query)
            latencies.append((time.perf_counter() - t0) * 1000)
        figures[name] = {"index_s": seconds, "docs_per_s": len(corpus.documents) / seconds, "p50_ms": percentile(latencies, 0.5),
                         "p99_ms": percentile(latencies, 0.99), "queries": len(chosen)}
    return figures


def bench_synthesis(candidates: int, root: Path) -> dict[str, Any]:
    run = Run.create(root / "wiki")
    synth.generate(run, "search", {"corpus": "wiki", "n": 1, "seed": 99, "hops": 2})  # loads the corpus and index once
    run2 = Run.create(root / "wiki2")
    start = time.perf_counter()
    report = synth.generate(run2, "search", {"corpus": "wiki", "n": candidates, "seed": 0, "hops": 2, "max_candidates": candidates})
    seconds = time.perf_counter() - start
    funnel = run2.stage("generate")["funnel"]
    return {"seconds": seconds, "kept": report.tuples, "candidates": funnel["candidates"], "kept_per_s": report.tuples / seconds,
            "candidates_per_s": funnel["candidates"] / seconds, "funnel": funnel}


def bench_quality(corpora: list[str], root: Path, n: int = 20, seed: int = 1,
                  hops: tuple[int | None, ...] = (None, 2, 3, 4)) -> list[dict[str, Any]]:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from search.corpora import write_dictionary, write_docs_site
    from search.searcher import solve_rate

    from synth.environments.search._eval import evaluate_clues

    named = {"dictionary": lambda: str(write_dictionary(root / "dictionary.jsonl")),
             "docs": lambda: str(write_docs_site(root / "docs"))}
    rows = []
    paths = {source: named[source]() if source in named else source for source in corpora}
    for source, depth in [(source, depth) for source in corpora for depth in hops]:  # each corpus at each depth, side by side
        path = paths[source]
        run = Run.create(root / f"q-{len(rows)}")
        start = time.perf_counter()
        try:
            report = synth.generate(run, "search", {"corpus": path, "n": n, "seed": seed, **({"hops": depth} if depth else {})})
        except synth.GenerationError as exc:  # no candidate became a task (a corpus too small for the depth)
            print(f"{source} at {depth} hops: {exc}")
            continue
        seconds = time.perf_counter() - start
        funnel = run.stage("generate")["funnel"]
        clues = evaluate_clues(run)
        solved, entity = solve_rate(run)
        config = run.stage("generate")["config"]
        label = f"h{config['hops']}" + ("" if depth else " dflt") + (f" t{config['min_tree']}" if config.get("min_tree") else "")
        rows.append({"corpus": f"{Path(source).name[:8]} {label}", "kept": report.tuples, "candidates": funnel["candidates"], "seconds": seconds,
                     "checkable": clues.checkable / max(1, clues.clues), "found_by_search": clues.found_by_search / max(1, clues.clues),
                     "surface_only": clues.surface_only / max(1, clues.tasks), "all_checkable": clues.all_checkable / max(1, clues.tasks),
                     "solved": solved, "entity": entity, "funnel": funnel["rejected_by_gate"]})
    return rows


def bench_memory(root: Path) -> list[tuple[str, int, int, int]]:
    """(label, document characters, exit code, peak RSS growth in bytes) of `synth corpus build`."""
    import json
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from search.corpora import measure_build

    from synth.environments.search._corpus import MAX_DOCUMENT_CHARS

    rng = random.Random(0)
    vocabulary = ["".join(rng.choice("abcdefghij") for _ in range(rng.randrange(3, 9))) for _ in range(20_000)]
    out = []
    for label, size in (("50 MB", 50_000_000), ("just below the limit", MAX_DOCUMENT_CHARS - 1000)):
        words, total = [], 0
        while total < size:
            word = rng.choice(vocabulary)
            words.append(word)
            total += len(word) + 1
        path = root / f"doc-{size}.jsonl"
        with path.open("w") as handle:
            handle.write(json.dumps({"id": "big", "title": "Big", "text": " ".join(words)[:size], "links": ["small"]}) + "\n")
            handle.write(json.dumps({"id": "small", "title": "Small", "text": "Small. See Big.", "links": ["big"]}) + "\n")
        del words
        code, grown, _ = measure_build(path, root / "cache")
        out.append((label, size, code, grown))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--candidates", type=int, default=400)
    parser.add_argument("--dense", action="store_true")
    parser.add_argument("--quality", nargs="*", metavar="CORPUS", help="wiki, factbook, dictionary, docs or a path (default: all four named)")
    parser.add_argument("--hops", nargs="*", default=None, metavar="H",
                        help="depths for --quality: numbers, or 'default' for the settings' default (default: default 2 3 4)")
    parser.add_argument("--memory", action="store_true")
    args = parser.parse_args()
    if args.quality is not None or args.memory:
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (the machine is shared: figures move with it)")
        with tempfile.TemporaryDirectory() as tmp:
            if args.memory:
                for label, size, code, grown in bench_memory(Path(tmp)):
                    print(f"corpus build, one {label} document ({size:,} characters): exit {code}, peak memory +{grown / 1e6:.0f} MB "
                          f"({grown / size:.1f}x the document)")
            if args.quality is not None:
                depths = tuple(None if h == "default" else int(h) for h in args.hops) if args.hops else (None, 2, 3, 4)
                rows = bench_quality(args.quality or ["wiki", "factbook", "dictionary", "docs"], Path(tmp), hops=depths)
                print(f"\n{'corpus':22} {'kept/cand':>10} {'yield':>6} {'kept/s':>7} {'checkable':>9} {'by search':>9} {'surface-only':>12} "
                      f"{'searcher':>9}")
                for r in rows:
                    print(f"{r['corpus']:22} {r['kept']:>4}/{r['candidates']:<5} {r['kept'] / max(1, r['candidates']):6.1%} "
                          f"{r['kept'] / r['seconds']:7.1f} "
                          f"{r['checkable']:9.0%} {r['found_by_search']:9.0%} {r['surface_only']:12.0%} "
                          f"{r['solved']:>3}/{r['entity']:<3} ({r['solved'] / max(1, r['entity']):.0%})")
                    print(f"{'':22} rejections by gate: {r['funnel']}")
        return
    cores = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else set()
    if cores:
        os.sched_setaffinity(0, {sorted(cores)[0]})  # one core for indexing, queries and synthesis
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (the machine is shared: figures move with it)")
    corpus = wiki()
    print(f"corpus: wiki, {len(corpus.documents)} documents, {sum(len(d.links) for d in corpus.documents)} mined links")
    figures = bench_libraries(corpus, args.queries)
    base = figures["tantivy"]
    print(f"\n{'library':12} {'index s':>8} {'docs/s':>9} {'p50 ms':>8} {'p99 ms':>8}  vs tantivy (index time, p50)")
    for name, f in figures.items():
        print(f"{name:12} {f['index_s']:8.2f} {f['docs_per_s']:9.0f} {f['p50_ms']:8.3f} {f['p99_ms']:8.3f}  "
              f"{f['index_s'] / base['index_s']:5.2f}x {f['p50_ms'] / base['p50_ms']:6.2f}x")
    print(f"targets: index >= {INDEX_TARGET:,} docs/s ({'met' if base['docs_per_s'] >= INDEX_TARGET else 'NOT met'}), "
          f"p50 <= {P50_TARGET} ms ({'met' if base['p50_ms'] <= P50_TARGET else 'NOT met'})")
    with tempfile.TemporaryDirectory() as tmp:
        synthesis = bench_synthesis(args.candidates, Path(tmp))
    print(f"\nprogrammatic synthesis (generate stage, one core, hops 2): {synthesis['kept']} kept of {synthesis['candidates']} candidates"
          f" in {synthesis['seconds']:.2f} s = {synthesis['kept_per_s']:.1f} kept/s ({synthesis['candidates_per_s']:.0f} candidates/s); "
          f"target >= {KEPT_TARGET} kept/s ({'met' if synthesis['kept_per_s'] >= KEPT_TARGET else 'NOT met'})")
    print("funnel by gate:", synthesis["funnel"]["rejected_by_gate"])
    print("funnel by reason:", synthesis["funnel"]["rejected_by_reason"])
    if args.dense:
        from synth.environments.search._embed import Embedder

        if cores:
            os.sched_setaffinity(0, cores)  # numpy's BLAS may use every core
        from synth.environments.search._index import Dense

        texts = Dense.texts(corpus)[:200]
        embedder = Embedder.load()
        start = time.perf_counter()
        embedder.encode(texts)
        seconds = time.perf_counter() - start
        print(f"\ndense: numpy all-MiniLM-L6-v2, {len(texts) / seconds:.1f} documents/s on {len(cores) or 'all'} cores "
              f"(the 10k corpus: ~{len(corpus.documents) / (len(texts) / seconds) / 60:.0f} min, once per corpus)")


if __name__ == "__main__":
    main()
