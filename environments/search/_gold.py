"""The gold path of a search task: a recorded sequence of search/open/find calls that reaches the
answer through the tools, and its evidence documents (the task's qrels).

Sits between question synthesis (which records and checks a path when it builds a task) and
`SearchFamily.solve_gold` (which replays it through the tool client at verify time). Each step
states what the tool must show (a document among the search results, a phrase inside a
document); the replay raises if it does not, so a path that stops working makes the tuple
unsound instead of silently passing. The submitted answer is read from the last tool result, never
from the task record.
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable, Literal

from pydantic import BaseModel, ConfigDict, Field

from synth import register_record

Call = Callable[..., Any]
"""call(tool_name, **arguments) -> decoded JSON result (raises on a tool error)."""


class Step(BaseModel):
    """One tool call of the gold path and what its result must show."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tool: str
    """search, open or find."""
    args: dict[str, Any]
    """The call's arguments."""
    expect: str
    """search: a document id among the results; open: the id opened; find: the phrase found."""


@register_record
class GoldPath(BaseModel):
    """The gold path and evidence of one search task (stored as the tuple's `gold` asset)."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    steps: list[Step]
    """Calls in order; each must show what it expects."""
    answer_doc: str
    """The document the answer is read from."""
    answer_from: Literal["title", "pattern", "phrase"] = "title"
    """title: the answer doc's title as `open` shows it; pattern: the first match of `pattern` in the
    passage `find(answer_doc, label + ':')` returns, after the label; phrase: the text `find(answer_doc,
    label)` matched (agent-made answers that a document states)."""
    label: str = ""
    pattern: str = ""
    evidence: list[str] = Field(default_factory=list)
    """Ids of the documents the question is built on (answer first), like BrowseComp-Plus qrels."""
    clues: list[dict[str, Any]] = Field(default_factory=list)
    """Each clue's evidence: subject, kind, the sentence the question states, the document and the
    character span of its text that states the fact (quote), and whether searching the clue's own
    words finds that document in the top 10."""
    links: list[dict[str, Any]] = Field(default_factory=list)
    """Each hop's evidence: the source document, the target it names, the span of the mention and the
    sentence it stands in."""

    def dumps(self) -> bytes:
        return (json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False) + "\n").encode()


class GoldPathBroken(RuntimeError):
    """A gold step did not show what it expects."""


def replay(path: GoldPath, call: Call) -> str:
    """Run the gold path through `call`; return the answer read from the tools."""
    last_open: dict[str, Any] | None = None
    for step in path.steps:
        result = call(step.tool, **step.args)
        if step.tool == "search":
            ids = [r["id"] for r in result["results"]]
            if step.expect not in ids:
                raise GoldPathBroken(f"search {step.args.get('query')!r} does not return {step.expect}")
        elif step.tool == "open":
            if result["id"] != step.expect:
                raise GoldPathBroken(f"open gave {result['id']}, not {step.expect}")
            last_open = result
        elif step.tool == "find":
            if not result["total"]:
                raise GoldPathBroken(f"{step.args['id']} does not contain {step.expect!r}")
        else:
            raise GoldPathBroken(f"unknown gold tool {step.tool}")
    if path.answer_from == "title":
        if last_open is None or last_open["id"] != path.answer_doc:
            raise GoldPathBroken("the gold path does not end by opening the answer document")
        return str(last_open["title"])
    if path.answer_from == "phrase":
        found = call("find", id=path.answer_doc, pattern=path.label)
        if not found["matches"]:
            raise GoldPathBroken(f"{path.answer_doc} does not state {path.label!r}")
        match = found["matches"][0]
        passage, at = match["passage"], match["passage"].casefold().find(path.label.casefold())
        return passage[at : at + len(path.label)] if at >= 0 else path.label
    found = call("find", id=path.answer_doc, pattern=f"{path.label}:")
    for match in found["matches"]:
        passage = match["passage"]
        at = passage.casefold().find(f"{path.label}:".casefold())
        line = passage[at + len(path.label) + 1 :].split("\n")[0] if at >= 0 else ""
        value = re.search(path.pattern, line)
        if value:
            return value.group(0).strip()
    raise GoldPathBroken(f"{path.answer_doc}: no {path.label} value matching {path.pattern!r}")
