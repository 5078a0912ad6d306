"""Tools: specs from type hints and docstrings, and the one call path that never raises."""

import json
from typing import Literal

import pytest

from synth import ToolClient, ToolError, ToolRuntime, tool_from_function


def lookup(db: dict, city: str, limit: int = 3, mode: Literal["a", "b"] = "a", tags: list[str] = []) -> list[str]:  # noqa: B006
    """Find hotels in a city.

    Args:
        city: City name.
        limit: How many to return.
        mode: Ranking mode.
        tags: Filters,
            continued on a second line.
    """
    if city not in db:
        raise ToolError(f"no city {city}", "not_found")
    return db[city][:limit]


def crash(db: dict) -> int:
    """Always fails."""
    return 1 // 0


def submit(db: dict, answer_text: str) -> str:
    """Submit.

    Args:
        answer_text: The answer.
    """
    return answer_text


DB = {"Oslo": ["A", "B", "C", "D"]}


@pytest.fixture()
def runtime() -> ToolRuntime:
    return ToolRuntime.of([tool_from_function(lookup), tool_from_function(crash), tool_from_function(submit, submit=True)], DB)


def test_spec_comes_from_hints_and_docstring():
    spec = tool_from_function(lookup).spec
    assert spec.name == "lookup"
    assert spec.description == "Find hotels in a city."
    params = spec.parameters
    assert params["type"] == "object"
    assert params["required"] == ["city"]
    assert params["properties"]["city"] == {"type": "string", "description": "City name."}
    assert params["properties"]["limit"]["type"] == "integer" and params["properties"]["limit"]["default"] == 3
    assert params["properties"]["mode"]["enum"] == ["a", "b"]
    assert params["properties"]["tags"]["description"] == "Filters, continued on a second line."
    assert params.get("additionalProperties") is False
    openai = spec.openai()
    assert openai["type"] == "function" and openai["function"]["name"] == "lookup"


def test_a_tool_without_docstring_or_hints_is_refused():
    def bare(db, x):  # type: ignore[no-untyped-def]
        return x

    with pytest.raises(TypeError):
        tool_from_function(bare)


def test_a_good_call_returns_json(runtime):
    result = runtime.call("lookup", '{"city": "Oslo", "limit": 2}')
    assert not result.error and json.loads(result.content) == ["A", "B"]


@pytest.mark.parametrize(
    "name, arguments, kind",
    [
        ("nope", "{}", "unknown_tool"),
        ("lookup", "{city: Oslo", "invalid_json"),
        ("lookup", "[1, 2]", "invalid_arguments"),
        ("lookup", "{}", "invalid_arguments"),
        ("lookup", '{"city": "Oslo", "limit": "many"}', "invalid_arguments"),
        ("lookup", '{"city": "Oslo", "colour": "red"}', "invalid_arguments"),
        ("lookup", '{"city": "Oslo", "mode": "z"}', "invalid_arguments"),
        ("lookup", '{"city": "Rome"}', "not_found"),
        ("crash", "{}", "tool_failure"),
    ],
)
def test_every_bad_call_becomes_a_structured_error(runtime, name, arguments, kind):
    result = runtime.call(name, arguments)
    assert result.error and result.error_kind == kind
    body = json.loads(result.content)
    assert body["error"]["type"] == kind and body["error"]["message"]
    assert runtime.errors == 1


def test_unknown_tool_error_lists_the_tools(runtime):
    message = json.loads(runtime.call("nope", "{}").content)["error"]["message"]
    assert "lookup" in message and "submit" in message


def test_submission_is_recorded_once(runtime):
    result = runtime.call("submit", {"answer_text": "42"})
    assert result.submitted and runtime.submitted and runtime.submission == "42"
    again = runtime.call("submit", {"answer_text": "43"})
    assert again.error_kind == "already_submitted" and runtime.submission == "42"


def test_tool_client_reaches_only_the_call_path(runtime):
    client = ToolClient(lambda n, a: runtime.call(n, a).content, runtime.specs)
    assert client.lookup(city="Oslo", limit=1) == ["A"]
    with pytest.raises(ToolError) as info:
        client.lookup(city="Rome")
    assert info.value.kind == "not_found"
    # no attribute leads to the runtime or its context
    assert not hasattr(client, "__dict__")
    with pytest.raises(AttributeError):
        client.extra = 1  # type: ignore[attr-defined]
    result = client.lookup(city="Oslo")
    result.append("mutated")
    assert DB["Oslo"] == ["A", "B", "C", "D"]
