"""Runs that must finish whatever the documents are: a candidate's failure is a rejection line,
never the run's (issue 21 item 4), and a huge document is refused with one line before it costs
memory (issue 20 item 8)."""

from __future__ import annotations

import json
from pathlib import Path

import synth
from synth import Item, Rejection, Run
from synth.environments.search._corpus import MAX_DOCUMENT_CHARS
from synth.environments.search._generate import SearchGenerator
from synth.environments.search._settings import SearchSettings

from .corpora import measure_build, write_hostile


def test_a_corpus_of_symbol_titles_empty_texts_and_a_huge_document_finishes(tmp_path: Path) -> None:
    corpus = write_hostile(tmp_path / "hostile.jsonl")
    run = Run.create(tmp_path / "run")
    synth.generate(run, "search", {"corpus": str(corpus), "n": 20, "seed": 1, "max_candidates": 80})
    kept = list(run.tuples())
    rejected = list(run.rejections())
    assert kept, "the ordinary entries of the corpus still give tasks"
    assert len(kept) + len(rejected) <= 80 and all(r.reason for r in rejected)
    assert synth.verify(run).ok


def test_any_error_while_composing_a_candidate_is_its_rejection(tmp_path: Path, monkeypatch) -> None:
    corpus = write_hostile(tmp_path / "hostile.jsonl", huge_words=10)
    run = Run.create(tmp_path / "run")
    with SearchGenerator(run, SearchSettings(corpus=str(corpus), n=1)) as generator:
        def broken(seed: int, index: int) -> None:
            raise KeyError("a document vanished")

        monkeypatch.setattr(generator.composer, "draft", broken)
        result = generator.build(Item("hostile.jsonl", 0))
    assert isinstance(result, Rejection) and result.reason == "error:KeyError" and "vanished" in result.details["message"]


def test_a_document_above_the_limit_is_one_line_before_it_costs_memory(tmp_path: Path) -> None:
    size = 3 * MAX_DOCUMENT_CHARS
    big = tmp_path / "big.jsonl"
    with big.open("w") as out:
        out.write(json.dumps({"id": "big", "title": "Big", "text": "word " * (size // 5), "links": ["small"]}) + "\n")
        out.write(json.dumps({"id": "small", "title": "Small", "text": "Small. See Big.", "links": ["big"]}) + "\n")
    code, grown, output = measure_build(big, tmp_path / "cache")
    assert code == 2 and "line 1" in output and f"{MAX_DOCUMENT_CHARS:,}" in output
    assert [x for x in output.splitlines() if x.startswith("synth: error")] and output.count("\n") == 2  # one line, and the RSS line
    assert grown < 3 * size, f"refusing a {size:,}-character document took {grown:,} bytes"
