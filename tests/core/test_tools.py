"""Tools: specs from type hints and docstrings, and the one call path that never raises: bad calls,
calls over the argument limits and text that cannot be encoded become structured errors or are
replaced; only an environment that broke under a call raises (EnvironmentFault)."""

import json
import sqlite3
from typing import Literal

import pytest

from synth import EnvironmentFault, ToolClient, ToolError, ToolRuntime, tool_from_function


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


# -- what a model can write: limits, capped echoes, text that cannot be encoded ---------------------
def error_of(result) -> dict:
    assert result.error
    return json.loads(result.content)["error"]


@pytest.mark.parametrize("digits", [101, 4301, 100_000])
def test_an_integer_with_too_many_digits_is_a_structured_error(runtime, digits):
    # Python's json refuses over 4,300 digits with a ValueError that used to end the episode
    result = runtime.call("lookup", '{"city": "Oslo", "limit": ' + "7" * digits + "}")
    error = error_of(result)
    assert error["type"] == "invalid_arguments" and f"{digits} digits" in error["message"]
    assert runtime.call("lookup", '{"city": "Oslo", "limit": 1' + "0" * 99 + "}").error is False  # 100 digits pass


@pytest.mark.parametrize("depth", [33, 5_000, 100_000])
def test_deeply_nested_arguments_are_a_structured_error(runtime, depth):
    # 100,000 levels used to raise RecursionError out of the runtime
    text = '{"city": "Oslo", "tags": ' + "[" * depth + "]" * depth + "}"
    error = error_of(runtime.call("lookup", text))
    assert error["type"] in ("invalid_arguments", "arguments_too_large") and "32 levels" in error["message"]


def test_brackets_inside_strings_do_not_count_as_nesting(runtime):
    result = runtime.call("lookup", json.dumps({"city": "Oslo", "tags": ["[" * 100 + "{" * 100]}))
    assert not result.error


def test_huge_arguments_are_refused_unread_and_never_echoed(runtime):
    text = json.dumps({"city": "x" * 300_000})
    result = runtime.call("lookup", text)
    assert error_of(result)["type"] == "arguments_too_large" and len(result.content) < 1000


def test_a_100k_argument_is_not_echoed_whole_in_a_not_found_error(runtime):
    result = runtime.call("lookup", json.dumps({"city": "R" * 100_000}))
    error = error_of(result)
    assert error["type"] == "not_found" and "more characters cut" in error["message"]
    assert len(result.content) < 1000


@pytest.mark.parametrize("arguments", [{"k" * 100_000: 1, "city": "Oslo"}, {"city": "Oslo", "tags": [1] * 10_000}])
def test_validation_errors_are_capped(runtime, arguments):
    result = runtime.call("lookup", json.dumps(arguments))
    assert error_of(result)["type"] == "invalid_arguments" and len(result.content) < 1000


def test_an_unknown_tool_with_a_huge_name_is_capped(runtime):
    result = runtime.call("x" * 100_000, "{}")
    assert error_of(result)["type"] == "unknown_tool" and len(result.content) < 1000


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json_numbers(runtime, constant):
    error = error_of(runtime.call("lookup", '{"city": "Oslo", "limit": ' + constant + "}"))
    assert error["type"] == "invalid_arguments" and "not a JSON number" in error["message"]


def test_a_key_given_twice_is_refused_not_resolved_silently(runtime):
    # json.loads keeps the last one: the data would show one city and the tool would use the other
    error = error_of(runtime.call("lookup", '{"city": "Rome", "city": "Oslo"}'))
    assert error["type"] == "invalid_arguments" and "appears twice" in error["message"]


@pytest.mark.parametrize("text", ['{"city": "Os\\ud800lo"}', '{"city": "Os\ud800lo"}', '{"city": "Os\\uDFFFlo"}'])
def test_lone_surrogates_in_arguments_are_replaced_before_the_tool_sees_them(runtime, text):
    # they used to reach the tool and come back as an UnicodeEncodeError the model was shown
    seen = []

    def echo(db: dict, city: str) -> str:
        """Echo.

        Args:
            city: A city.
        """
        seen.append(city)
        return city

    result = ToolRuntime.of([tool_from_function(echo)], DB).call("echo", text)
    assert seen == ["Os\ufffdlo"] and json.loads(result.content) == "Os\ufffdlo"
    result.content.encode("utf-8")  # encodable: it can be journaled


def test_an_escaped_surrogate_pair_is_a_character_not_a_lone_surrogate():
    result = ToolRuntime.of([tool_from_function(submit, submit=True)], DB).call("submit", '{"answer_text": "\\ud83d\\ude00"}')
    assert result.submitted and result.submission == "\U0001F600"


def test_a_submission_with_a_lone_surrogate_is_replaced(runtime):
    result = runtime.call("submit", '{"answer_text": "a\\udc80b"}')
    assert result.submitted and runtime.submission == "a\ufffdb"


def test_text_a_tool_returns_is_made_encodable():
    def leaky(db: dict) -> str:
        """Return what a decoder let through."""
        return "bytes \udcff decoded with surrogateescape"

    result = ToolRuntime.of([tool_from_function(leaky)], DB).call("leaky", "{}")
    assert json.loads(result.content) == "bytes \ufffd decoded with surrogateescape"


# -- the environment breaking under a call is not the model's error ------------------------------
def _query(db: sqlite3.Connection) -> int:
    """Count rows."""
    return db.execute("SELECT count(*) FROM t").fetchone()[0]


def _sql_bug(db: sqlite3.Connection) -> int:
    """A tool with a bug."""
    return db.execute("SELECT missing FROM t").fetchone()[0]


def _database() -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE t (x)")
    return db


def test_a_closed_database_under_a_tool_call_is_an_environment_fault():
    db = _database()
    runtime = ToolRuntime.of([tool_from_function(_query)], db, probe=lambda: db.execute("SELECT 1"))
    assert runtime.call("_query", "{}").content == "0"
    db.close()
    with pytest.raises(EnvironmentFault, match="closed database"):
        runtime.call("_query", "{}")


def test_a_tool_bug_in_a_healthy_environment_is_a_tool_failure_the_model_sees():
    db = _database()
    runtime = ToolRuntime.of([tool_from_function(_sql_bug)], db, probe=lambda: db.execute("SELECT 1"))
    error = error_of(runtime.call("_sql_bug", "{}"))
    assert error["type"] == "tool_failure" and "no such column" in error["message"]


def test_without_a_probe_a_failing_tool_stays_a_tool_failure():
    db = _database()
    runtime = ToolRuntime.of([tool_from_function(_query)], db)
    db.close()
    assert error_of(runtime.call("_query", "{}"))["type"] == "tool_failure"
