"""Fixtures of the search-family tests: the tiny hand-written corpus (tests/search/data/tiny.jsonl,
with its dense vectors computed once by the reference sentence-transformers model and stored), and
one factbook run generated and verified once per session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import synth
from synth import Run

DATA = Path(__file__).parent / "data"
TINY = DATA / "tiny.jsonl"


@pytest.fixture(scope="session")
def tiny_corpus():
    from synth.environments.search import from_jsonl

    return from_jsonl(TINY)


@pytest.fixture(scope="session")
def tiny_dense(tiny_corpus):
    """The tiny corpus's cache entry with the stored reference vectors in place (never recomputed)."""
    from synth.environments.search import ensure_cached
    from synth.environments.search._index import forget

    folder = ensure_cached(tiny_corpus)
    shutil.copyfile(DATA / "tiny.dense.npy", folder / "dense.npy")
    forget(tiny_corpus.hash)
    return tiny_corpus


@pytest.fixture(scope="session")
def factbook_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """12 verified factbook tasks (every answer type), shared by the programmatic tests."""
    run = Run.create(tmp_path_factory.mktemp("factbook") / "run")
    synth.generate(run, "search", {"corpus": "factbook", "n": 12, "seed": 4, "hops": 2})  # seed 4: every answer type (seed 2 drew no date once two-date independence fields gave none)
    summary = synth.verify(run)
    assert summary.ok, summary.unsound[:3]
    return run
