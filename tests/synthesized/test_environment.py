"""A synthesized environment at run time, as a model's calls meet it: every call goes through
synth's tool path, and whatever the generated tool does wrong (raise, hang, return what is not
JSON or too much, attempt a forbidden action) comes back as a structured error, never an
exception and never a hang of synth."""

from __future__ import annotations

import json

import agent_script as script
import pytest

import synth
from synth import Run

pytestmark = pytest.mark.docker

TOOLS = script.TOOLS + '''

def broken(db) -> str:
    """Raises."""
    raise ValueError("no such thing")


def forever(db) -> str:
    """Never returns."""
    while True:
        pass


def a_set(db) -> list:
    """Returns a set."""
    return {1, 2}


def huge(db) -> str:
    """Returns a lot."""
    return "x" * 300_000


def echo(db, text: str, times: int = 1) -> str:
    """Echoes.

    Args:
        text: What to echo.
        times: How often.
    """
    return text * times


def rewrite(db) -> str:
    """Tries to change the database."""
    db.execute("DELETE FROM hotel")
    return "deleted"


def phone_home(db) -> str:
    """Tries the network and hides the failure."""
    import urllib.request
    try:
        urllib.request.urlopen("http://198.51.100.1/", timeout=1)
    except Exception:
        pass
    return "quiet"
'''


@pytest.fixture(scope="module")
def env(tmp_path_factory, base_image):
    run = Run.create(tmp_path_factory.mktemp("environment") / "run")
    record = script.record_of(run, {**script.LEVEL1, "tools.py": TOOLS}, timeout=2)
    with synth.family("synthesized").open(record, run) as live:
        yield live


def error(env, name: str, arguments: str = "{}") -> dict:
    result = env.call(name, arguments)
    assert result.error, result
    return json.loads(result.content)["error"]


def test_tools_answer_through_the_tool_path(env):
    result = env.call("hotels_in", '{"city": "Oslo"}')
    assert not result.error
    assert [h["name"] for h in json.loads(result.content)] == ["Aker Hotel", "Fjord Inn", "Nordlys"]
    assert json.loads(env.call("echo", '{"text": "ab", "times": 2}').content) == "abab"


def test_a_call_is_validated_before_it_reaches_the_sandbox(env):
    assert error(env, "echo", '{"text": 3}') == {"type": "invalid_arguments", "message": "text: Input should be a valid string"}
    assert error(env, "hotels_in", "{}")["type"] == "invalid_arguments"


@pytest.mark.parametrize("name, kind, message", [
    ("broken", "tool_failure", "ValueError: no such thing (tools.py line"),
    ("forever", "tool_timeout", "forever did not finish within 2 s"),
    ("a_set", "tool_failure", "a_set returned a value that is not JSON"),
    ("huge", "tool_failure", "huge returned 300002 characters (at most 262144)"),
    ("rewrite", "tool_failure", "attempt to write a readonly database"),
    ("phone_home", "tool_failure", "phone_home attempted what generated code may not do (network"),
])
def test_a_misbehaving_tool_is_a_structured_error(env, name, kind, message):
    got = error(env, name)
    assert got["type"] == kind and message in got["message"], got
    assert json.loads(env.call("list_cities", "{}").content) == ["Lima", "Oslo", "Rome"]  # and the box still works


def test_exploit_oversized_arguments_are_refused_before_the_sandbox(env):
    got = error(env, "echo", json.dumps({"text": "x" * 70_000}))
    assert got["type"] == "invalid_arguments" and "at most 65536" in got["message"]


def test_exploit_a_lone_surrogate_in_an_argument_comes_back_storable(env):
    result = env.call("echo", '{"text": "\\ud800"}')
    assert not result.error
    synth.Message(role="tool", content=result.content).model_dump_json()  # storable as a trajectory line


def test_submit_ends_the_episode_with_the_text(env):
    result = env.call("submit_result", '{"answer_text": "{}"}')
    assert result.submitted and env.submitted and env.submission == "{}"
