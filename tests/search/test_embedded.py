"""One agentic run against the real embedded model server (SmolLM2-135M-Instruct): the pipeline's
plumbing end to end, never whether a 135M model writes good questions. It keeps little; it must
gate honestly: a rejection names its gate and keeps every conversation, a kept task verifies."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import synth
from synth import Item, Rejection, Run, TupleRecord, embedded_server
from synth.environments.search._agentic import AgenticGenerator
from synth.environments.search._settings import SearchSettings

from .conftest import TINY

pytestmark = pytest.mark.model

GATES = ("questioner", "invalid_proposal", "gold_unreachable", "leak", "single_search", "answered", "unverified", "ambiguous", "unreachable_answer", "error",
         "infrastructure")


@pytest.fixture(scope="module")
def embedded() -> Iterator[str]:
    server = embedded_server()
    with server.start(timeout=180):
        yield server.base_url


def test_an_agentic_candidate_on_the_embedded_model_is_gated_honestly(tmp_path: Path, embedded: str) -> None:
    run = Run.create(tmp_path / "run")
    settings = SearchSettings(corpus=str(TINY), base_url=embedded, model="SmolLM2-135M-Instruct", n=1, answerers=1,
                              verify_passes=1, rounds=1, max_steps=2, max_tokens=64, snippet_words=48)
    with AgenticGenerator(run, settings) as generator:
        result = generator.build(Item("tiny.jsonl", 0))
    print("embedded agentic candidate:", result.reason if isinstance(result, Rejection) else "kept")
    if isinstance(result, Rejection):
        assert result.reason.split(":")[0] in GATES, result.reason
        kept = json.loads((run.path / result.details["audit"]["path"]).read_text())
    else:
        assert isinstance(result, TupleRecord)
        with run.tuples() as journal:
            journal.append(result)
        assert synth.verify(run).ok
        kept = json.loads(run.read_asset(result.environment.state["audit"]))
    questioner = kept[0]["trajectory"]
    assert kept[0]["role"] == "questioner" and questioner["model"] == "SmolLM2-135M-Instruct"
    assert questioner["usage"]["completion_tokens"] > 0
    assert questioner["termination"] in ("submitted", "answered", "max_steps", "max_tokens")
    assert any(m.get("tool_calls") for m in questioner["messages"])  # the server's grammar makes real calls
