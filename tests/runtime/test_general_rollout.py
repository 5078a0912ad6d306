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


HOSTILE = [
    ("get_all_cities", "x" * 250_000),                                   # a flood of argument text
    ("get_all_hotels_by_city", json.dumps({"city": "'; DROP TABLE hotels; --"})),  # SQL through an argument
    ("get_all_hotels_by_city", json.dumps({"city": "A" * 200_000})),      # a huge value
    ("get_all_hotels_by_city", "[" * 10_000 + "]" * 10_000),             # nesting past any limit
    ("get_infos_by_hotel", json.dumps({"info_keywords": ["*"] * 5000, "name": "\u0000\ud7ff"})),
    ("get_city_transport", '{"city": 1e999}'),                           # a number no float holds
    ("no_such_tool", "{}"),
    ("get_all_cities", '{"a": 1, "a": 2}'),                              # a key twice
    ("get_all_cities", '{"city": "Ald\\ud800mere"}'),                    # an escaped lone surrogate
    ("submit_result", json.dumps({"answer_text": "[" * 5000})),
    ("submit_result", json.dumps({"answer_text": "again"})),             # a second submit
]


def test_a_hostile_model_through_in_process_tools_gets_tool_errors_and_a_graded_episode(tmp_path: Path) -> None:
    # the general family's tools are in-process functions over the episode's own database: whatever
    # the model sends, it reads an error and the episode is graded; nothing it can send closes the
    # database, so nothing ends environment_error
    run = synth.Run.create(tmp_path / "trips")
    synth.generate(run, "general", {"category": ["trip_planning"], "n": 2, "seed": 5, "difficulty": 1})
    assert synth.verify(run).ok

    def hostile(body: dict, n: int) -> dict:
        step = sum(1 for m in body["messages"] if m["role"] == "assistant")  # this episode's own step
        name, arguments = HOSTILE[step % len(HOSTILE)]
        return completion(tool_calls=[call(name, arguments, f"h{n}")])

    with FakeServer(hostile) as server:
        cfg = RolloutConfig(base_url=server.base_url, model="hostile", samples=2, concurrency=4, max_steps=len(HOSTILE), timeout=120)
        report = synth.rollout(run, cfg)
    assert report.stats.infrastructure == 0 and report.stats.graded == 4
    for episode in (t for t in run.trajectories() if t.source == "model"):
        assert episode.termination is TerminationReason.SUBMITTED and episode.verdict.status == "fail"
        assert episode.tool_errors >= 6, [m.content[:100] for m in episode.messages if m.role == "tool"]
        episode.model_dump_json().encode("utf-8")
