"""Context management for long episodes (report section 3.2: triggered above 80% of the window).

Sits under the rollout loop. Pure functions over chat messages: find the tool-call rounds, drop the
first fraction of them (discard-75, discard-all), restart from a summary, and estimate tokens when
the server reports no usage.
"""

from __future__ import annotations

import math

from ._records import Message

SUMMARY_REQUEST = (
    "Your context is nearly full. Summarize your progress on the task so far: the facts you found with"
    " the tools (names, numbers, ids), what you have ruled out, and what remains to do. Write only the summary."
)
SUMMARY_HEADER = "[Progress so far, summarized from your earlier work]"



def tool_rounds(messages: list[Message]) -> list[tuple[int, int]]:
    """(start, end) index ranges of tool-call history: an assistant message with tool calls and the
    tool results that follow it."""
    rounds = []
    i = 0
    while i < len(messages):
        if messages[i].role == "assistant" and messages[i].tool_calls:
            j = i + 1
            while j < len(messages) and messages[j].role == "tool":
                j += 1
            rounds.append((i, j))
            i = j
        else:
            i += 1
    return rounds


def discard_tool_history(messages: list[Message], fraction: float) -> tuple[list[Message], int]:
    """Drop the first `fraction` of tool-call rounds (1.0: all of them; 0.75: floor(75%), at least
    one). Returns the kept messages and the number of messages dropped."""
    rounds = tool_rounds(messages)
    if not rounds:
        return list(messages), 0
    count = len(rounds) if fraction >= 1.0 else max(1, math.floor(len(rounds) * fraction))
    drop = {i for start, end in rounds[:count] for i in range(start, end)}
    return [m for i, m in enumerate(messages) if i not in drop], len(drop)


def restart_from_summary(prompt: list[Message], summary: str) -> list[Message]:
    """The episode's opening messages with the summary appended to its (last) user message."""
    out = [m.model_copy() for m in prompt]
    for i in range(len(out) - 1, -1, -1):
        if out[i].role in ("user", "developer"):
            out[i] = out[i].model_copy(update={"content": f"{out[i].content or ''}\n\n{SUMMARY_HEADER}\n{summary.strip()}"})
            break
    return out


def estimate_tokens(messages: list[Message]) -> int:
    """A rough token count (4 characters a token) for when the server reports no usage."""
    chars = 0
    for m in messages:
        chars += len(m.content or "") + len(m.reasoning_content or "") + 16
        for call in m.tool_calls or []:
            chars += len(call.function.name) + len(call.function.arguments) + 16
    return chars // 4 + 1
