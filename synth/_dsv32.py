"""DeepSeek-V3.2's native prompt encoding: render OpenAI-format messages to the prompt string, parse a
completion back into an OpenAI-format message.

Sits beside the model client: with `endpoint = "completions"` a rollout renders each request here,
sends the text to a raw /completions endpoint and parses the reply here, so the exact prompt the
model saw is kept with the trajectory. No Jinja template ships for V3.2; this follows the structure
of DeepSeek's reference Python encoder (BOS, User/Assistant markers, <think>/</think>, DSML tool-call
blocks, <function_results>, the developer role, the drop-thinking rule). The tools-block wording
differs between copies of that encoder, so it is a parameter (`tools_template`); the structure
around it is fixed. Guarantee: `parse(render([... assistant]))` gives the assistant message back.
"""

from __future__ import annotations

import itertools
import json
import re
import uuid
from typing import Any, Iterator

from ._records import FunctionCall, Message, ToolCall, ToolSpec

BOS = "<｜begin▁of▁sentence｜>"
EOS = "<｜end▁of▁sentence｜>"
USER = "<｜User｜>"
ASSISTANT = "<｜Assistant｜>"
THINK = "<think>"
END_THINK = "</think>"
DSML = "｜DSML｜"
CALLS_OPEN = f"\n\n<{DSML}function_calls>\n"
CALLS_CLOSE = f"\n</{DSML}function_calls>"
DEVELOPER_PREFIX = "\n\n# The user's message is: "

TOOLS_TEMPLATE = """## Tools

You have access to a set of tools you can use to answer the user's question.
You can invoke functions by writing a "<{dsml}function_calls>" block like the following as part of your reply to the user:
<{dsml}function_calls>
<{dsml}invoke name="$FUNCTION_NAME">
<{dsml}parameter name="$PARAMETER_NAME" string="true|false">$PARAMETER_VALUE</{dsml}parameter>
...
</{dsml}invoke>
<{dsml}invoke name="$FUNCTION_NAME2">
...
</{dsml}invoke>
</{dsml}function_calls>

String and scalar parameters should be specified as is without any escaping or quotes, while lists and objects should use JSON format. The "string" attribute should be set to "true" for string type parameters and "false" for other types (numbers, booleans, arrays, objects).

If the thinking_mode is enabled, then after function results you should strongly consider outputting a thinking block. Here is an example:

<{dsml}function_calls>
...
</{dsml}function_calls>

<function_results>
...
</function_results>

{think}...thinking about results{end_think}

Here are the functions available in JSONSchema format:
<functions>
{functions}
</functions>
"""
"""Default tools block (instructions, then one JSON function per line)."""


class ParseError(ValueError):
    """A completion that does not follow the V3.2 format."""


def tools_block(tools: list[ToolSpec], template: str = TOOLS_TEMPLATE) -> str:
    """The block that lists the tools, one JSON function per line inside <functions>."""
    functions = "\n".join(
        json.dumps({"name": t.name, "description": t.description, "parameters": t.parameters}, ensure_ascii=False)
        for t in tools
    )
    return template.format(dsml=DSML, functions=functions, think=THINK, end_think=END_THINK)


def render_calls(calls: list[ToolCall]) -> str:
    """An assistant's tool calls as a DSML block (empty string for no calls)."""
    if not calls:
        return ""
    invokes = []
    for call in calls:
        try:
            arguments = json.loads(call.function.arguments) if call.function.arguments.strip() else {}
        except (ValueError, RecursionError):
            arguments = {}
        if not isinstance(arguments, dict):
            # the model's own text (torn JSON, an array, prose), already answered with a tool error and
            # kept as written in the record: the prompt shows the call without parameters, as a chat
            # server is sent "{}" (the client's wire_arguments)
            arguments = {}
        params = []
        for key, value in arguments.items():
            if isinstance(value, str):
                params.append(f'<{DSML}parameter name="{key}" string="true">{value}</{DSML}parameter>')
            else:
                text = json.dumps(value, ensure_ascii=False)
                params.append(f'<{DSML}parameter name="{key}" string="false">{text}</{DSML}parameter>')
        invokes.append(f'<{DSML}invoke name="{call.function.name}">\n' + "\n".join(params) + f"\n</{DSML}invoke>")
    return CALLS_OPEN + "\n".join(invokes) + CALLS_CLOSE


def _last_user(messages: list[Message]) -> int:
    return max((i for i, m in enumerate(messages) if m.role in ("user", "developer")), default=-1)


def drop_thinking(messages: list[Message]) -> list[Message]:
    """Thinking with tools: reasoning is kept within the current user turn (across its tool calls)
    and dropped from assistant messages before the last user message; calls and results stay."""
    last = _last_user(messages)
    return [
        m.model_copy(update={"reasoning_content": None}) if i < last and m.role == "assistant" and m.reasoning_content else m
        for i, m in enumerate(messages)
    ]


def render(
    messages: list[Message],
    tools: list[ToolSpec] | None = None,
    *,
    thinking: bool = False,
    bos: bool = True,
    tools_template: str = TOOLS_TEMPLATE,
) -> str:
    """The V3.2 prompt text of `messages`. Tools go in the system message (or, when the
    conversation has developer messages, in each of those). Ending with a user message or tool
    results, the text ends where the model's next turn begins."""
    tools = tools or []
    has_developer = any(m.role == "developer" for m in messages)
    block = tools_block(tools, tools_template) if tools else ""
    last = _last_user(messages)
    out = [BOS] if bos else []
    if block and not has_developer and not any(m.role == "system" for m in messages):
        out.append("\n\n" + block)
    i = 0
    while i < len(messages):
        message = messages[i]
        role = message.role
        content = message.content or ""
        if role == "system":
            out.append(content + ("\n\n" + block if block and not has_developer else ""))
        elif role in ("user", "developer"):
            if role == "developer" and block:
                content = block + DEVELOPER_PREFIX + content
            opener = THINK if thinking and i == last else END_THINK
            out.append(f"{USER}{content}{ASSISTANT}{opener}")
        elif role == "assistant":
            reasoning = (message.reasoning_content or "") + END_THINK if thinking and i > last else ""
            out.append(reasoning + content + render_calls(message.tool_calls or []) + EOS)
        elif role == "tool":
            results = []
            while i < len(messages) and messages[i].role == "tool":
                results.append(f"\n<result>{messages[i].content or ''}</result>")
                i += 1
            closer = "\n\n" + (THINK if thinking and i - 1 > last else END_THINK)
            out.append("\n\n<function_results>" + "".join(results) + "\n</function_results>" + closer)
            continue
        i += 1
    return "".join(out)


_INVOKE = re.compile(rf'<{DSML}invoke name="([^"]*)">\n(.*?)\n?</{DSML}invoke>', re.DOTALL)
_PARAM = re.compile(rf'<{DSML}parameter name="([^"]*)" string="(true|false)">(.*?)</{DSML}parameter>', re.DOTALL)


def _ids() -> Iterator[str]:
    while True:
        yield f"call_{uuid.uuid4().hex[:16]}"


def parse(text: str, *, thinking: bool = False, call_ids: Iterator[str] | None = None) -> Message:
    """An assistant message from completion text: reasoning up to </think> (thinking mode),
    content up to EOS or the DSML block, then the block; only EOS may follow the block."""
    ids = call_ids or _ids()
    reasoning = None
    if thinking:
        head, sep, text = text.partition(END_THINK)
        if not sep:
            raise ParseError("thinking never ended (no </think>)")
        reasoning = head.removeprefix(THINK)
    text = text.removesuffix(EOS)
    start = text.find(CALLS_OPEN)
    if start < 0:
        if EOS in text:
            raise ParseError("text follows the end-of-sentence marker")
        return Message(role="assistant", content=text, reasoning_content=reasoning or None)
    content, block = text[:start], text[start + len(CALLS_OPEN) :]
    end = block.find(CALLS_CLOSE.lstrip("\n"))
    if end < 0:
        raise ParseError("the function_calls block is not closed")
    if block[end + len(CALLS_CLOSE) - 1 :].strip():
        raise ParseError("text follows the function_calls block")
    body = block[:end].removesuffix("\n")
    calls = []
    position = 0
    for match in _INVOKE.finditer(body):
        if body[position : match.start()].strip():
            raise ParseError("text between invokes in the function_calls block")
        position = match.end()
        arguments: dict[str, Any] = {}
        params_text = match.group(2)
        consumed = 0
        for param in _PARAM.finditer(params_text):
            if params_text[consumed : param.start()].strip():
                raise ParseError(f"stray text inside invoke {match.group(1)}")
            consumed = param.end()
            name, is_string, raw = param.groups()
            if is_string == "true":
                arguments[name] = raw
            else:
                try:
                    arguments[name] = json.loads(raw)
                except json.JSONDecodeError:
                    raise ParseError(f"parameter {name} of {match.group(1)} is marked string=\"false\" but is not JSON") from None
        if params_text[consumed:].strip():
            raise ParseError(f"stray text inside invoke {match.group(1)}")
        calls.append(
            ToolCall(id=next(ids), function=FunctionCall(name=match.group(1), arguments=json.dumps(arguments, ensure_ascii=False)))
        )
    if body[position:].strip() or not calls:
        raise ParseError("the function_calls block holds no well-formed invoke")
    return Message(role="assistant", content=content or None, reasoning_content=reasoning or None, tool_calls=calls)


def numbered_ids(prefix: str = "call_") -> Iterator[str]:
    """call_0, call_1, ... (for deterministic parses in tests and replays)."""
    return (f"{prefix}{n}" for n in itertools.count())
