"""Grading stored trajectories, and the pass@k facts of a run's rollouts.

Sits after rollout (verify -> rollout -> export): a trajectory's verdict is a pure function of the
stored record, submission and artifacts (`grade_trajectory`), so `regrade_run` rescores a whole run
with no model and no environment; `task_stats` and `pass_at_k` are what the rollout summary, the
RL export and the pass-rate filter read.
"""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from typing import Any, NamedTuple

from . import _registry as registry
from ._records import Check, TerminationReason, Trajectory, TupleRecord, Verdict
from ._store import Run


def grade_trajectory(record: TupleRecord, trajectory: Trajectory, run: Run) -> Verdict | None:
    """The verdict of a stored trajectory: None for infrastructure failures (never graded); a fail
    with a `submitted` check when the episode ended without an answer, or answered in text where the
    family grades only through its submit tool (`Family.grades_text_answer`); else the task's verifier."""
    if trajectory.termination.infrastructure:
        return None
    if trajectory.submission is None or (trajectory.termination is TerminationReason.ANSWERED and trajectory.source == "model"
                                         and not registry.family(record.environment.family).grades_text_answer(record)):
        answered = trajectory.submission is not None
        return Verdict(
            reward=0.0,
            status="fail",
            checks=[
                Check(
                    name="submitted",
                    passed=False,
                    expected="a submission",
                    actual=None,
                    message=("the model answered in text; this task grades only what its submit tool ran" if answered
                             else f"the episode ended with {trajectory.termination.value} before an answer"),
                )
            ],
        )
    return registry.grade(record, trajectory.submission, run, trajectory)


def latest_trajectories(run: Run) -> dict[str, Trajectory]:
    """Trajectories by key; when a key appears twice (an infrastructure failure re-run), the last wins."""
    return {t.key: t for t in run.trajectories()}


class TaskStats(NamedTuple):
    """Graded episodes of one task (infrastructure failures and verifier errors left out)."""

    n: int
    passed: int

    @property
    def pass_rate(self) -> float:
        return self.passed / self.n if self.n else 0.0

    def pass_at(self, k: int) -> float:
        return pass_at_k(self.n, self.passed, k)


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k from n samples with c passes: 1 - C(n-c, k) / C(n, k)."""
    if n <= 0 or k <= 0:
        return 0.0
    k = min(k, n)
    if n - c < k:
        return 1.0
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def task_stats(run: Run, model: str | None = None) -> dict[str, TaskStats]:
    """Per task key: graded model episodes and passes (optionally of one model)."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for trajectory in latest_trajectories(run).values():
        if trajectory.source != "model" or (model is not None and trajectory.model != model):
            continue
        verdict = trajectory.verdict
        if trajectory.termination.infrastructure or verdict is None or verdict.status == "error":
            continue
        entry = counts[trajectory.task_key]
        entry[0] += 1
        entry[1] += verdict.status == "pass"
    return {key: TaskStats(n, c) for key, (n, c) in counts.items()}


def regrade_run(run: Run) -> dict[str, int]:
    """Regrade every stored trajectory from its record alone (no model, no environment replay) and
    rewrite trajectories.jsonl atomically. Returns counts: regraded, changed."""
    tuples = {t.key: t for t in run.tuples()}
    journal = run.trajectories()
    out, regraded, changed = [], 0, 0
    for trajectory in journal:
        record = tuples.get(trajectory.task_key)
        if record is None or (trajectory.source == "gold" and trajectory.termination is not TerminationReason.SUBMITTED):
            out.append(trajectory)
            continue
        verdict = grade_trajectory(record, trajectory, run)
        regraded += 1
        if (verdict and verdict.model_dump()) != (trajectory.verdict and trajectory.verdict.model_dump()):
            changed += 1
        out.append(trajectory.model_copy(update={"verdict": verdict}))
    journal.rewrite(out)
    return {"regraded": regraded, "changed": changed}


# -- free-text completions -------------------------------------------------------------------------
SUBMIT_TOOLS = ("submit_result", "submit")
"""Names of the tools that end an episode with an answer (every built-in family uses one of them)."""
MAX_COMPLETION_CHARS = 256 * 1024
"""Longest completion the reader scans; the rest of a longer one is ignored (its answer, if any,
must come first)."""

_REASONING = re.compile(r"^\s*<(think|thinking|reasoning)>.*?</\1>", re.DOTALL)
_OPEN_REASONING = re.compile(r"^\s*<(think|thinking|reasoning)>", re.DOTALL)
_CLOSE_ONLY = re.compile(r"^(?:(?!<(?:think|thinking|reasoning)>).)*?</(think|thinking|reasoning)>", re.DOTALL)
_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[ \t]*\n(.*?)\n?[ \t]*```", re.DOTALL)


class Completion(NamedTuple):
    """What `read_completion` found in a completion."""

    how: str
    """submit_call, fenced_json, bare_json, text, or none (nothing left once reasoning is removed)."""
    text: str
    """For a submit call: its arguments as JSON text; for JSON: the value's exact source text (so the
    verifier's strict reader sees repeated keys or huge numbers as written); for text: the answer
    text with the reasoning removed."""
    value: Any = None
    """The decoded JSON value (the call's arguments object for a submit call)."""


def strip_reasoning(text: str) -> str | None:
    """`text` without its leading reasoning block: `<think>...</think>` (also `<thinking>`,
    `<reasoning>`), or everything up to a first `</think>` when the opening tag was in the prompt (as
    DeepSeek-R1 and Qwen3 templates put it). None when a reasoning block is opened and never closed:
    the model ran out before answering."""
    match = _REASONING.match(text)
    if match:
        return text[match.end():]
    if _OPEN_REASONING.match(text):
        return None
    match = _CLOSE_ONLY.match(text)
    if match:
        return text[match.end():]
    return text


def _json_values(text: str, starts: str = "{[") -> list[tuple[int, int, Any]]:
    """Outermost JSON values (objects and arrays) in `text`, in order, as (start, end, value)."""
    decoder = json.JSONDecoder()
    found: list[tuple[int, int, Any]] = []
    i, n = 0, len(text)
    while i < n:
        if text[i] in starts:
            try:
                value, end = decoder.raw_decode(text, i)
            except (ValueError, RecursionError):
                i += 1
                continue
            found.append((i, end, value))
            i = end
        else:
            i += 1
    return found


def _submit_call(value: Any, names: tuple[str, ...]) -> dict[str, Any] | None:
    """The arguments of `value` when it is a call of a submit tool in JSON form: {"name": N,
    "arguments": {...} or JSON text of an object} (Hermes/Qwen `<tool_call>` bodies, OpenAI's
    `function` object; `parameters` is read as `arguments`)."""
    if isinstance(value, dict) and isinstance(value.get("function"), dict) and "name" not in value:
        value = value["function"]
    if not isinstance(value, dict) or value.get("name") not in names:
        return None
    arguments = value.get("arguments", value.get("parameters", {}))
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except ValueError:
            return None
    return arguments if isinstance(arguments, dict) else None


def read_completion(text: str, submit_tools: tuple[str, ...] = SUBMIT_TOOLS) -> Completion:
    """Read an answer from a completion as a model writes it, in this order:

    1. a leading reasoning block is removed (`strip_reasoning`); an unclosed one leaves no answer;
    2. the last call of a submit tool written as JSON ({"name": "submit_result", "arguments": {...}},
       in `<tool_call>` tags, a fence or bare) gives the answer: its arguments;
    3. else the last fenced block (```json or ``` with no language) that holds one JSON value;
    4. else the last bare JSON object or array in the text, or the whole text when it is one JSON
       value (a number, a string, true/false/null);
    5. else the remaining text itself (`how="text"`): an answer only where the task's answer is
       free text (search); a JSON answer (general, synthesized, interpreter) fails `format`.
    """
    body = strip_reasoning(text[:MAX_COMPLETION_CHARS])
    if body is None or not body.strip():
        return Completion("none", "")
    values = _json_values(body)
    for start, end, value in reversed(values):
        for candidate in [value] + ([value[-1]] if isinstance(value, list) and value else []):
            arguments = _submit_call(candidate, submit_tools)
            if arguments is not None:
                return Completion("submit_call", json.dumps(arguments, ensure_ascii=False), arguments)
    decoder = json.JSONDecoder()
    for match in reversed(list(_FENCE.finditer(body))):
        language, inside = match.group(1).lower(), match.group(2).strip()
        if language not in ("", "json", "jsonc", "json5"):
            continue
        try:
            value, end = decoder.raw_decode(inside)
        except (ValueError, RecursionError):
            continue
        if not inside[end:].strip():
            return Completion("fenced_json", inside, value)
    stripped = body.strip()
    try:
        value, end = decoder.raw_decode(stripped)
        if not stripped[end:].strip():
            return Completion("bare_json", stripped, value)
    except (ValueError, RecursionError):
        pass
    if values:
        start, end, value = values[-1]
        return Completion("bare_json", body[start:end], value)
    return Completion("text", stripped)


def completion_submission(completion: str, record: TupleRecord) -> Any:
    """The submission a free-text completion makes for `record`: what its submit tool would have
    recorded had the model called it with the answer `read_completion` finds.

    The submit tool's one parameter decides the shape: a parameter that takes JSON as text
    (`answer_text` of general and synthesized tasks) receives the JSON source text; another text
    parameter (search: the answer alone) receives a JSON string's value, else the text; an untyped
    parameter (interpreter: any JSON value) receives the decoded value. A submit call's argument is
    taken as written. Tasks whose submit tool takes no argument (code: the diff is the workspace's)
    get the completion unchanged. Nothing left after the reasoning: None (a `format` failure)."""
    tools = {t.name: t for t in record.environment.tools}
    names = tuple(name for name in SUBMIT_TOOLS if name in tools) or SUBMIT_TOOLS
    spec = tools.get(names[0])
    params = list((spec.parameters.get("properties") or {}).items()) if spec is not None else []
    if spec is not None and not params:
        return completion
    found = read_completion(completion, names)
    if found.how == "none":
        return None
    if not params:  # a record without a submit tool: the answer as text
        return found.text
    name, schema = params[0]
    if found.how == "submit_call":
        return found.value.get(name)
    if schema.get("type") != "string":
        return found.value if found.how != "text" else found.text
    json_text = name == "answer_text" or "JSON text" in str(schema.get("description", ""))
    if json_text or found.how == "text":
        return found.text
    return found.value if isinstance(found.value, str) else found.text
