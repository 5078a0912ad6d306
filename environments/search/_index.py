"""The search index of a corpus: BM25 through tantivy, optional dense vectors, hybrid ranking.

Sits between the corpus (`_corpus.py`) and the tools. tantivy was chosen by
benchmarks/bench_search.py (10k Vital Articles, one run beside bm25s, rank_bm25 and SQLite FTS5):
it indexes fastest and answers in about 0.1 ms. An index is derived data, kept in a cache
directory keyed by the corpus hash, `${SYNTH_CACHE:-~/.cache/synth}/search/<hash>/`:
`corpus.jsonl.gz`, `info.json`, `bm25/` (tantivy, built single-threaded into one segment, so
rankings are the same on every machine) and, when asked for, `dense.npy` (all-MiniLM-L6-v2 vectors,
computed once). Runs store the corpus itself as an asset, so a missing cache is rebuilt from the
run offline. Guarantees: a cache entry appears whole or not at all (built in a temporary folder,
then renamed); ranking ties break by document order; `search` never raises on odd query text (it
keeps letters and digits only; a query with none is a ToolError).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Literal

import numpy as np

from synth import ToolError

from ._corpus import Corpus

Mode = Literal["bm25", "dense", "hybrid"]
RRF_K = 60
"""Reciprocal-rank-fusion constant of hybrid ranking (score = sum of 1 / (RRF_K + rank))."""
FUSION_DEPTH = 50
"""Hits of each retriever fused by hybrid ranking."""


def cache_root() -> Path:
    return Path(os.environ.get("SYNTH_CACHE") or Path.home() / ".cache" / "synth") / "search"


def cache_dir(corpus_hash: str) -> Path:
    return cache_root() / corpus_hash[:32]


@dataclass(frozen=True)
class Hit:
    doc: int
    """Position of the document in the corpus (sorted by id)."""
    score: float


def _query_text(query: str) -> str:
    words = "".join(ch if ch.isalnum() else " " for ch in query).lower().split()
    if not words:
        raise ToolError("the query has no letters or digits to search for", "invalid_arguments")
    return " ".join(words[:200])


class Bm25:
    """A tantivy index of a corpus (title and aliases boosted, English stemming)."""

    def __init__(self, index: "object") -> None:
        self.index = index
        self.searcher = index.searcher()  # type: ignore[attr-defined]
        self._lock = threading.Lock()

    @staticmethod
    def schema() -> "object":
        import tantivy

        builder = tantivy.SchemaBuilder()
        builder.add_unsigned_field("ord", stored=True)
        builder.add_text_field("title", stored=False, tokenizer_name="en_stem")
        builder.add_text_field("text", stored=False, tokenizer_name="en_stem")
        return builder.build()

    @classmethod
    def build(cls, corpus: Corpus, path: Path | None = None) -> "Bm25":
        import tantivy

        index = tantivy.Index(cls.schema(), path=str(path) if path else None, reuse=False)
        writer = index.writer(heap_size=64_000_000, num_threads=1)
        for ord_, doc in enumerate(corpus.documents):
            writer.add_document(tantivy.Document(ord=ord_, title=" ".join([doc.title, *doc.aliases]), text=doc.text))
        writer.commit()
        writer.wait_merging_threads()
        index.reload()
        return cls(index)

    @classmethod
    def open(cls, path: Path) -> "Bm25":
        import tantivy

        return cls(tantivy.Index.open(str(path)))

    def search(self, query: str, k: int) -> list[Hit]:
        text = _query_text(query)
        with self._lock:  # one tantivy searcher, shared by rollout threads
            parsed = self.index.parse_query(text, ["title", "text"], field_boosts={"title": 2.0})  # type: ignore[attr-defined]
            hits = self.searcher.search(parsed, k + 8).hits
            found = [Hit(self.searcher.doc(address)["ord"][0], float(score)) for score, address in hits]
        found.sort(key=lambda h: (-h.score, h.doc))
        return found[:k]


class Dense:
    """Unit vectors of every document; a query is embedded and ranked by dot product."""

    def __init__(self, vectors: np.ndarray) -> None:
        self.vectors = vectors

    @staticmethod
    def texts(corpus: Corpus) -> list[str]:
        return [f"{doc.title}. {doc.text}" for doc in corpus.documents]

    def search(self, query: str, k: int) -> list[Hit]:
        from ._embed import Embedder

        _query_text(query)
        vector = Embedder.load().encode([query])[0]
        scores = self.vectors @ vector
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        return sorted((Hit(int(i), float(scores[i])) for i in top), key=lambda h: (-h.score, h.doc))


class Index:
    """BM25, and dense vectors when they were built; `search` in any mode they allow."""

    def __init__(self, corpus: Corpus, bm25: Bm25, dense: Dense | None = None) -> None:
        self.corpus, self.bm25, self.dense = corpus, bm25, dense

    def modes(self) -> list[str]:
        return ["bm25", "dense", "hybrid"] if self.dense is not None else ["bm25"]

    def search(self, query: str, k: int = 5, mode: Mode = "bm25") -> list[Hit]:
        if mode == "bm25":
            return self.bm25.search(query, k)
        if self.dense is None:
            raise ToolError(f"{mode} retrieval needs dense vectors: synth corpus build {self.corpus.name} --dense", "unavailable")
        if mode == "dense":
            return self.dense.search(query, k)
        fused: dict[int, float] = {}
        for hits in (self.bm25.search(query, FUSION_DEPTH), self.dense.search(query, FUSION_DEPTH)):
            for rank, hit in enumerate(hits, start=1):
                fused[hit.doc] = fused.get(hit.doc, 0.0) + 1.0 / (RRF_K + rank)
        return sorted((Hit(d, s) for d, s in fused.items()), key=lambda h: (-h.score, h.doc))[:k]


# -- the cache -------------------------------------------------------------------------------------
def _publish(target: Path, fill: Callable[[Path], None]) -> None:
    """Fill a temporary folder beside `target` and rename it into place (whole or not at all)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        fill(tmp)
        try:
            os.rename(tmp, target)
        except OSError:
            if not target.exists():
                raise
            # another process published the same content first
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def ensure_cached(corpus: Corpus, *, dense: bool = False, progress: Callable[[int], None] | None = None) -> Path:
    """The cache folder of `corpus` with its BM25 index (and dense vectors if asked), built if missing."""
    folder = cache_dir(corpus.hash)
    if not (folder / "info.json").is_file():
        if folder.exists():  # left by an older or interrupted layout: rebuild it whole
            shutil.rmtree(folder, ignore_errors=True)

        def fill(tmp: Path) -> None:
            (tmp / "corpus.jsonl.gz").write_bytes(corpus.compressed())
            Bm25.build(corpus, _mkdir(tmp / "bm25"))
            (tmp / "info.json").write_text(json.dumps(corpus.stats(), indent=2, sort_keys=True) + "\n")

        _publish(folder, fill)
    if dense and not (folder / "dense.npy").is_file():
        from ._embed import Embedder

        vectors = Embedder.load().encode(Dense.texts(corpus), progress=progress)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".dense.", suffix=".npy")
        with os.fdopen(fd, "wb") as handle:
            np.save(handle, vectors.astype(np.float16))
        os.replace(tmp, folder / "dense.npy")
    return folder


def _mkdir(path: Path) -> Path:
    path.mkdir()
    return path


_OPEN: "OrderedDict[str, Index]" = OrderedDict()
_OPEN_LOCK = threading.Lock()


def open_index(corpus: Corpus) -> Index:
    """The index of `corpus` (from the cache, built if missing), kept open for the process."""
    with _OPEN_LOCK:
        found = _OPEN.get(corpus.hash)
        if found is not None:
            _OPEN.move_to_end(corpus.hash)
            return found
        folder = ensure_cached(corpus)
        try:
            bm25 = Bm25.open(folder / "bm25")
        except Exception:  # a damaged cache entry is derived data: rebuild it
            shutil.rmtree(folder, ignore_errors=True)
            folder = ensure_cached(corpus)
            bm25 = Bm25.open(folder / "bm25")
        dense = None
        if (folder / "dense.npy").is_file():
            vectors = np.load(folder / "dense.npy").astype(np.float32)
            if vectors.shape == (len(corpus.documents), 384):
                dense = Dense(vectors)
        index = Index(corpus, bm25, dense)
        _OPEN[corpus.hash] = index
        while len(_OPEN) > 4:
            _OPEN.popitem(last=False)
        return index


def forget(corpus_hash: str) -> None:
    """Drop an open index (after its cache entry changed, e.g. dense vectors were added)."""
    with _OPEN_LOCK:
        _OPEN.pop(corpus_hash, None)
