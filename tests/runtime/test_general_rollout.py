"""The real trip family rolled out at high concurrency through a real local HTTP server: every
episode's tool calls reach a working database. At concurrency 256, a per-thread cache of shared
connections used to close databases that live episodes still used ("Cannot operate on a closed
database" in 594 of 800 episodes, exported as SFT data); an environment now owns its connection."""

from __future__ import annotations

import json
from pathlib import Path

import synth
from synth import RolloutConfig, TerminationReason

from .conftest import FakeServer, call, completion


def trip_player(body: dict, n: int) -> dict:
    """Calls real trip tools with arguments taken from earlier results, then submits a plan."""
    results = [json.loads(m["content"]) for m in body["messages"] if m["role"] == "tool"]
    if not results:
        return completion(tool_calls=[call("get_all_cities", {}, f"a{n}")])
    cities = results[0] if isinstance(results[0], list) and results[0] else ["(no city came back)"]
    if len(results) == 1:
        return completion(tool_calls=[call("get_all_hotels_by_city", {"city": cities[0]}, f"b{n}")])
    if len(results) == 2:
        return completion(tool_calls=[call("get_all_restaurants_by_city", {"city": cities[-1]}, f"c{n}")])
    return completion(tool_calls=[call("submit_result", {"answer_text": "[]"}, f"d{n}")])


def test_the_trip_family_at_concurrency_256_has_no_infrastructure_error_in_any_tool_result(tmp_path: Path) -> None:
    run = synth.Run.create(tmp_path / "trips")
    synth.generate(run, "general", {"category": ["trip_planning"], "n": 40, "seed": 5, "difficulty": 1})
    assert synth.verify(run).ok
    with FakeServer(trip_player) as server:
        cfg = RolloutConfig(base_url=server.base_url, model="fake", samples=8, concurrency=256, max_steps=6, timeout=120)
        report = synth.rollout(run, cfg)
    assert report.stats.done == 320 and report.stats.infrastructure == 0
    episodes = [t for t in run.trajectories() if t.source == "model"]
    assert len(episodes) == 320
    for episode in episodes:
        assert episode.termination is TerminationReason.SUBMITTED, episode.extra
        results = [m.content or "" for m in episode.messages if m.role == "tool"]
        assert len(results) == 4 and episode.tool_errors == 0, results
        assert not any('"error"' in text or "closed" in text for text in results)
        assert episode.verdict is not None and episode.verdict.status == "fail"  # an empty plan, graded
