"""The baseline solvers hold only a tool client and the answer's shape: what they call, and the
answers first-choice and greedy build from what the tools showed. No Docker: the tools here are
in-process functions behind synth's tool path."""

from __future__ import annotations

import json

from synth import ToolClient, ToolRuntime, tool_from_function
from synth.environments.synthesized import baseline_solver, explore, first_choice, greedy, shape_of

HOTELS = {"Rome": [("Albergo Roma", 250), ("Pensione Tevere", 90)], "Oslo": [("Fjord Inn", 150), ("Nordlys", 120)]}


def list_cities(db: dict) -> list:
    """Cities."""
    return sorted(db)


def hotels_in(db: dict, city: str) -> list:
    """Hotels of a city.

    Args:
        city: A city.
    """
    if city not in db:
        raise ValueError(f"no city {city}")
    return [{"name": n, "price": p} for n, p in db[city]]


def submit_result(db: dict, answer_text: str) -> str:
    """Submit.

    Args:
        answer_text: JSON.
    """
    return answer_text


def client() -> tuple[ToolClient, ToolRuntime, list]:
    runtime = ToolRuntime.of([tool_from_function(f) for f in (list_cities, hotels_in)]
                             + [tool_from_function(submit_result, submit=True)], HOTELS)
    calls: list = []

    def send(name: str, arguments: str) -> str:
        calls.append((name, json.loads(arguments)))
        return runtime.call(name, arguments).content

    return ToolClient(send, runtime.specs), runtime, calls


def test_exploration_calls_argument_free_tools_first_and_fills_arguments_from_what_it_saw():
    tools, _, calls = client()
    seen = explore(tools)
    assert calls == [("list_cities", {}), ("hotels_in", {"city": "Oslo"})]  # the first string seen
    assert (None, "Oslo") in seen and ("name", "Fjord Inn") in seen and ("price", 150) in seen


def test_first_choice_repeats_the_first_value_and_greedy_does_not():
    tools, _, _ = client()
    seen = explore(tools)
    shape = shape_of([{"name": "x", "price": 1}, {"name": "y", "price": 2}])
    assert shape == [{"name": "string", "price": "integer"}, {"name": "string", "price": "integer"}]
    assert first_choice(seen, shape) == [{"name": "Fjord Inn", "price": 150}] * 2
    assert greedy(seen, shape) == [{"name": "Fjord Inn", "price": 150}, {"name": "Nordlys", "price": 120}]


def test_a_slot_no_tool_showed_gets_the_first_value_of_its_type_or_the_empty_one():
    seen = [("name", "A"), ("price", 3)]
    assert first_choice(seen, {"hotel": "string", "nights": "integer", "late": "boolean"}) == {
        "hotel": "A", "nights": 3, "late": False}


def test_a_baseline_submits_through_the_client_only():
    tools, runtime, calls = client()
    baseline_solver("greedy", shape_of({"name": "x"}))(tools)
    assert runtime.submitted and json.loads(runtime.submission) == {"name": "Fjord Inn"}
    assert calls[-1][0] == "submit_result"
