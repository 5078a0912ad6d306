"""DeepSeek-V3.2 prompt encoding: exact strings for the reference's worked example, a two-call
assistant turn, tool results followed by <think>, the developer role, and parse(render(x)) == x."""

from __future__ import annotations

import json

import pytest

from synth import FunctionCall, Message, ToolCall, ToolSpec
from synth._dsv32 import ParseError, drop_thinking, numbered_ids, parse, render

B, E = "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>"
U, A, D = "<｜User｜>", "<｜Assistant｜>", "｜DSML｜"


def args(value: dict) -> str:
    return json.dumps(value, ensure_ascii=False)


TWO_CALLS = Message(
    role="assistant",
    content=None,
    reasoning_content="I need the weather and the hotels.",
    tool_calls=[
        ToolCall(id="call_0", function=FunctionCall(name="get_weather_by_city_date", arguments=args({"city": "杭州", "date": "2026-05-01"}))),
        ToolCall(id="call_1", function=FunctionCall(name="rank", arguments=args({"limit": 3, "filters": {"min_rating": 4.5}, "open": True}))),
    ],
)
TWO_CALLS_TEXT = (
    "I need the weather and the hotels.</think>"
    f"\n\n<{D}function_calls>\n"
    f'<{D}invoke name="get_weather_by_city_date">\n'
    f'<{D}parameter name="city" string="true">杭州</{D}parameter>\n'
    f'<{D}parameter name="date" string="true">2026-05-01</{D}parameter>\n'
    f"</{D}invoke>\n"
    f'<{D}invoke name="rank">\n'
    f'<{D}parameter name="limit" string="false">3</{D}parameter>\n'
    f'<{D}parameter name="filters" string="false">{{"min_rating": 4.5}}</{D}parameter>\n'
    f'<{D}parameter name="open" string="false">true</{D}parameter>\n'
    f"</{D}invoke>\n"
    f"</{D}function_calls>{E}"
)


def test_worked_example_from_the_reference() -> None:
    messages = [
        Message(role="user", content="hello"),
        Message(role="assistant", content="Hello! I am DeepSeek.", reasoning_content="thinking..."),
        Message(role="user", content="1+1=?"),
    ]
    assert render(messages, thinking=True) == (
        f"{B}{U}hello{A}</think>Hello! I am DeepSeek.{E}{U}1+1=?{A}<think>"
    )
    # without thinking the last user turn closes the think block at once
    assert render(messages, thinking=False).endswith(f"{U}1+1=?{A}</think>")


def test_assistant_turn_with_a_string_and_non_string_parameters() -> None:
    text = render([Message(role="user", content="plan"), TWO_CALLS], thinking=True)
    assert text == f"{B}{U}plan{A}<think>" + TWO_CALLS_TEXT


def test_tool_results_follow_the_turn_and_reopen_thinking() -> None:
    results = [
        Message(role="tool", tool_call_id="call_0", content='{"weather": "rain"}'),
        Message(role="tool", tool_call_id="call_1", content="[]"),
    ]
    text = render([Message(role="user", content="plan"), TWO_CALLS, *results], thinking=True)
    assert text.endswith(
        f"</{D}function_calls>{E}"
        '\n\n<function_results>\n<result>{"weather": "rain"}</result>\n<result>[]</result>\n</function_results>'
        "\n\n<think>"
    )
    assert A not in text.split(E)[-1]  # no Assistant marker after tool results
    assert render([Message(role="user", content="plan"), TWO_CALLS, *results], thinking=False).endswith("</function_results>\n\n</think>")


def test_reasoning_of_earlier_turns_is_not_rendered_and_drop_thinking_removes_it() -> None:
    turn1 = Message(role="assistant", content="ok", reasoning_content="old thoughts")
    messages = [Message(role="user", content="a"), turn1, Message(role="user", content="b"), TWO_CALLS]
    text = render(messages, thinking=True)
    assert "old thoughts" not in text and "I need the weather" in text
    dropped = drop_thinking(messages)
    assert dropped[1].reasoning_content is None and dropped[3].reasoning_content == TWO_CALLS.reasoning_content
    assert dropped[3].tool_calls == TWO_CALLS.tool_calls


def test_tools_go_in_the_system_message_or_the_developer_message() -> None:
    tool = ToolSpec(name="lookup", description="Look up.", parameters={"type": "object", "properties": {}})
    line = '{"name": "lookup", "description": "Look up.", "parameters": {"type": "object", "properties": {}}}'
    system = render([Message(role="system", content="Be brief."), Message(role="user", content="x")], [tool])
    assert system.startswith(f"{B}Be brief.\n\n## Tools\n")
    assert f"<functions>\n{line}\n</functions>\n{U}x{A}</think>" in system
    developer = render([Message(role="developer", content="find it")], [tool], thinking=True)
    assert developer.startswith(f"{B}{U}## Tools\n")
    assert developer.endswith(f"</functions>\n\n\n# The user's message is: find it{A}<think>")


@pytest.mark.parametrize("thinking", [True, False])
@pytest.mark.parametrize(
    "message",
    [
        TWO_CALLS,
        Message(role="assistant", content="The answer is 4.", reasoning_content="2+2"),
        Message(
            role="assistant",
            content="Let me check.",
            reasoning_content="hm",
            tool_calls=[ToolCall(id="call_0", function=FunctionCall(name="noargs", arguments="{}"))],
        ),
    ],
)
def test_parse_inverts_render(message: Message, thinking: bool) -> None:
    expected = message if thinking else message.model_copy(update={"reasoning_content": None})
    text = render([expected], thinking=thinking, bos=False)
    assert parse(text, thinking=thinking, call_ids=numbered_ids()) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("no end of thinking", "no </think>"),
        (f"</think>hi\n\n<{D}function_calls>\n<{D}invoke name=\"f\">\n</{D}invoke>", "not closed"),
        (f"</think>\n\n<{D}function_calls>\n<{D}invoke name=\"f\">\n</{D}invoke>\n</{D}function_calls> trailing", "follows"),
        (f"</think>\n\n<{D}function_calls>\n<{D}invoke name=\"f\">\n<{D}parameter name=\"n\" string=\"false\">nope</{D}parameter>\n</{D}invoke>\n</{D}function_calls>", "not JSON"),
        (f"</think>\n\n<{D}function_calls>\njunk\n</{D}function_calls>", "no well-formed invoke"),
    ],
)
def test_malformed_completions_are_parse_errors(text: str, problem: str) -> None:
    with pytest.raises(ParseError, match=problem):
        parse(text, thinking=True)
