"""The agent's tools over a corpus: bounded outputs (BrowseComp-Plus: top 5, 512-word snippets),
pagination, literal find, and a structured error for every bad argument."""

from __future__ import annotations

import json

import numpy as np
import pytest

from synth import RuntimeEnvironment, ToolRuntime
from synth.environments.search import TOOLS, Workspace, factbook, open_index


@pytest.fixture(scope="module")
def book_env():
    corpus = factbook()
    return RuntimeEnvironment(ToolRuntime.of(TOOLS, Workspace(corpus, open_index(corpus))))


def call(env, name: str, **args):
    result = env.call(name, json.dumps(args))
    return json.loads(result.content)


def test_search_returns_ranked_ids_titles_and_bounded_snippets(book_env) -> None:
    out = call(book_env, "search", query="landlocked kingdom in the Himalayas with capital Thimphu")
    assert len(out["results"]) == 5 and out["results"][0]["title"] == "Bhutan"
    assert [r["rank"] for r in out["results"]] == [1, 2, 3, 4, 5]
    for result in out["results"]:
        assert len(result["snippet"].replace("...", "").split()) <= 512
    long = max(book_env.runtime.context.corpus.documents, key=lambda d: len(d.text.split()))
    assert len(long.text.split()) > 512  # the snippet bound is exercised
    out = call(book_env, "search", query=long.title, top_k=10)
    assert len(out["results"]) == 10


def test_open_pages_a_long_document(book_env) -> None:
    corpus = book_env.runtime.context.corpus
    long = max(corpus.documents, key=lambda d: len(d.text.split()))
    first = call(book_env, "open", id=long.id)
    assert first["pages"] >= 2 and len(first["text"].split()) == 512 and first["title"] == long.title
    last = call(book_env, "open", id=long.id, page=first["pages"])
    assert " ".join(long.text.split()).endswith(last["text"])


def test_find_is_literal_and_case_insensitive(book_env) -> None:
    out = call(book_env, "find", id="factbook:ke", pattern="POPULATION:")
    assert out["total"] == 1 and "55,751,717" in out["matches"][0]["passage"]
    assert call(book_env, "find", id="factbook:ke", pattern=".*")["total"] == 0  # not a regular expression


@pytest.mark.parametrize("name, args, kind", [
    ("search", {"query": "kenya", "top_k": 0}, "invalid_arguments"),
    ("search", {"query": "kenya", "top_k": 11}, "invalid_arguments"),
    ("search", {"query": "   "}, "invalid_arguments"),
    ("search", {"query": "?!.,;"}, "invalid_arguments"),
    ("search", {"query": 5}, "invalid_arguments"),
    ("open", {"id": "factbook:nowhere"}, "not_found"),
    ("open", {"id": "factbook:ke", "page": 0}, "invalid_arguments"),
    ("open", {"id": "factbook:ke", "page": 99}, "invalid_arguments"),
    ("find", {"id": "factbook:ke", "pattern": ""}, "invalid_arguments"),
    ("find", {"id": "factbook:ke", "pattern": "x" * 201}, "invalid_arguments"),
    ("find", {"id": "nope", "pattern": "x"}, "not_found"),
    ("submit", {}, "invalid_arguments"),
])
def test_bad_arguments_are_structured_tool_errors(book_env, name: str, args: dict, kind: str) -> None:
    result = book_env.call(name, json.dumps(args))
    assert result.error and json.loads(result.content)["error"]["type"] == kind


def test_query_syntax_is_searched_as_words_never_an_error(book_env) -> None:
    for query in ('title:kenya AND "nairobi', "NOT (x OR y)", "c++ -- ~2 ^3"):
        assert "results" in call(book_env, "search", query=query)


def test_the_numpy_encoder_reproduces_the_stored_reference_vectors(tiny_corpus) -> None:
    from synth.environments.search._embed import Embedder
    from synth.environments.search._index import Dense

    from .conftest import DATA

    stored = np.load(DATA / "tiny.dense.npy").astype(np.float32)  # computed by sentence-transformers
    mine = Embedder.load().encode(Dense.texts(tiny_corpus))
    assert float((mine * stored).sum(1).min()) > 0.999


def test_dense_and_hybrid_retrieval_over_stored_vectors(tiny_dense) -> None:
    index = open_index(tiny_dense)
    assert index.modes() == ["bm25", "dense", "hybrid"]
    titles = lambda hits: [tiny_dense.documents[h.doc].title for h in hits]  # noqa: E731
    assert titles(index.search("an artist who paints landscapes", 1, "dense")) == ["Mira Holt"]  # no shared word with its text
    assert titles(index.search("an artist who paints landscapes", 1, "bm25")) != ["Mira Holt"]
    hybrid = titles(index.search("poet of the windy island", 3, "hybrid"))
    assert hybrid[0] in ("Anna Lund", "Tovik") and set(hybrid) >= {"Anna Lund", "Tovik"}
