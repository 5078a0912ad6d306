"""The contract: every record synth writes or reads, as pydantic v2 models.

Sits at the bottom of generate -> verify -> rollout -> export; every other module speaks these
types. Records that carry identity are frozen and content-addressed: `key` is the sha256 of their
canonical JSON (sorted keys, no spaces, UTF-8), so the same content always has the same key and a
record whose stored key disagrees with its content is rejected on load. Every record carries
`schema_version`.
"""

from __future__ import annotations

import enum
import hashlib
import json
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SCHEMA_VERSION = 1


def canonical_json(value: Any) -> str:
    """The one canonical text of a JSON value: sorted keys, no spaces, non-ASCII kept."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def content_key(value: Any) -> str:
    """sha256 hex digest of `canonical_json(value)`."""
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


_SURROGATE = re.compile("[\ud800-\udfff]")


def encodable(value: Any) -> Any:
    """`value` with every lone surrogate (text UTF-8 cannot encode, e.g. from a JSON escape
    "\\ud800") replaced by U+FFFD, in strings, list items and dict keys and values. Records hold
    only encodable text: a model's reply or tool argument must never make a journal line fail."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value) if _SURROGATE.search(value) else value
    if isinstance(value, list):
        return [encodable(item) for item in value]
    if isinstance(value, dict):
        return {encodable(k): encodable(v) for k, v in value.items()}
    return value


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, saying how much was cut (for error messages and stored
    copies of oversized model output; never for data that is graded)."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... [{len(text) - limit} more characters cut]"


class Record(BaseModel):
    """Base of every stored record: unknown fields are rejected, the schema version is checked."""

    model_config = ConfigDict(extra="forbid")

    schema_version: int = SCHEMA_VERSION
    """Version of the record layout; readers reject versions newer than their own."""

    @field_validator("schema_version")
    @classmethod
    def _known_version(cls, value: int) -> int:
        if not 1 <= value <= SCHEMA_VERSION:
            raise ValueError(f"schema_version {value} is not supported (this synth reads 1..{SCHEMA_VERSION})")
        return value


class Keyed(Record):
    """A frozen record whose `key` is the content hash of all its other fields."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = ""
    """sha256 of the canonical JSON of every other field; filled in when empty, checked when given."""

    @model_validator(mode="after")
    def _content_key(self) -> "Keyed":
        expected = content_key(self.model_dump(mode="json", exclude={"key"}))
        if not self.key:
            object.__setattr__(self, "key", expected)
        elif self.key != expected:
            raise ValueError(f"key {self.key[:12]}… does not match the record's content ({expected[:12]}…)")
        return self


class ToolSpec(Record):
    """One tool as an OpenAI function-calling schema."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    """Function name the model calls."""
    description: str
    """What the tool does, from the function's docstring."""
    parameters: dict[str, Any]
    """JSON Schema (type object) of the arguments."""

    def openai(self) -> dict[str, Any]:
        """The `tools` entry of an OpenAI chat request."""
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": self.parameters},
        }


class AssetRef(Record):
    """A file stored with the run (e.g. an environment's SQLite database)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str
    """Path relative to the run directory, with forward slashes."""
    sha256: str
    """Digest of the file's bytes; readers refuse a file that does not match."""
    media_type: str = "application/octet-stream"
    """What the file holds, e.g. application/vnd.sqlite3."""


class EnvironmentSpec(Keyed):
    """Where a task happens: the family and category that made it, its state and its tools."""

    family: str
    """Registered family, e.g. general."""
    category: str
    """Registered category within the family, e.g. trip_planning."""
    seed: int
    """Seed the generator was given."""
    index: int
    """Item index within the seed; (category, seed, index, difficulty) fixes the item."""
    difficulty: int = Field(ge=1, le=5)
    """1 (easy) .. 5 (hard)."""
    state: dict[str, AssetRef] = Field(default_factory=dict)
    """Named state files stored with the run, e.g. {"db": AssetRef(...)}."""
    tools: list[ToolSpec] = Field(default_factory=list)
    """Tools the environment exposes, in the order shown to a model."""
    metadata: dict[str, Any] = Field(default_factory=dict)
    """Family-specific facts about the environment (never hidden answers)."""


class TaskSpec(Keyed):
    """What the agent is asked to do in one environment."""

    family: str
    """Family of the environment."""
    category: str
    """Category of the environment."""
    environment_key: str
    """Key of the EnvironmentSpec this task runs in, so the task key covers its environment."""
    prompt: str
    """User message, rendered from a jinja2 template with StrictUndefined."""
    system_prompt: str = ""
    """Optional system message placed before the tools."""
    answer_schema: dict[str, Any] = Field(default_factory=dict)
    """JSON Schema of the submitted answer."""
    metadata: dict[str, Any] = Field(default_factory=dict)
    """Structured task parameters (the constraints the prompt states); visible to solvers."""


class VerifierSpec(Record):
    """A registered verifier and its arguments: enough to rebuild the verifier from a record."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    """Registered verifier name, e.g. general.constraints."""
    args: dict[str, Any] = Field(default_factory=dict)
    """Keyword arguments the verifier is called with."""


class TupleRecord(Record):
    """One line of tuples.jsonl: an <environment, tools, task, verifier> tuple."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str
    """The task key (TaskSpec.key); the join key of every later record."""
    environment: EnvironmentSpec
    """The environment, including its tools and state files."""
    task: TaskSpec
    """The task prompt and answer schema."""
    verifier: VerifierSpec
    """How a submission is graded."""

    @model_validator(mode="after")
    def _joined(self) -> "TupleRecord":
        if self.key != self.task.key:
            raise ValueError("tuple key differs from its task key")
        if self.task.environment_key != self.environment.key:
            raise ValueError("task names a different environment than the tuple holds")
        return self

    @classmethod
    def build(cls, environment: EnvironmentSpec, task: TaskSpec, verifier: VerifierSpec) -> "TupleRecord":
        return cls(key=task.key, environment=environment, task=task, verifier=verifier)


class Check(Record):
    """One compared thing inside a verdict."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    """Constraint or comparison name, e.g. budget.day2_lunch_dinner."""
    passed: bool
    """Whether the submission satisfies it."""
    expected: Any = None
    """What the constraint asks for."""
    actual: Any = None
    """What the submission has."""
    message: str = ""
    """One line for a human."""


class Verdict(Record):
    """The grade of one submission: never a bare float."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    reward: float
    """1.0 when every check passes, else 0.0; 0.0 with status error too (exclude those from training)."""
    status: Literal["pass", "fail", "error"]
    """error means the verifier could not grade; it is never a plain fail."""
    checks: list[Check] = Field(default_factory=list)
    """One check per constraint compared."""
    error: str | None = None
    """Why grading failed, when status is error."""

    @classmethod
    def from_checks(cls, checks: list[Check]) -> "Verdict":
        ok = bool(checks) and all(c.passed for c in checks)
        if not checks:
            return cls(reward=0.0, status="error", error="verifier returned no checks")
        return cls(reward=1.0 if ok else 0.0, status="pass" if ok else "fail", checks=checks)

    @classmethod
    def crashed(cls, error: str) -> "Verdict":
        return cls(reward=0.0, status="error", error=error)

    def first_failure(self) -> str:
        """Name and message of the first failing check, or the error."""
        if self.status == "error":
            return f"error: {self.error}"
        for check in self.checks:
            if not check.passed:
                return f"{check.name}: {check.message}" if check.message else check.name
        return ""


class FunctionCall(BaseModel):
    """The function part of an OpenAI tool call; `arguments` is the raw JSON text the model wrote."""

    model_config = ConfigDict(extra="forbid")

    name: str
    arguments: str


class ToolCall(BaseModel):
    """An OpenAI tool call in an assistant message."""

    model_config = ConfigDict(extra="forbid")

    id: str
    type: Literal["function"] = "function"
    function: FunctionCall


class Message(BaseModel):
    """An OpenAI chat message, with DeepSeek's `reasoning_content`."""

    model_config = ConfigDict(extra="forbid")

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | None = None
    reasoning_content: str | None = None
    """Thinking text of an assistant message (thinking mode)."""
    tool_calls: list[ToolCall] | None = None
    tool_call_id: str | None = None
    """For role tool: the call this message answers."""
    name: str | None = None

    def openai(self) -> dict[str, Any]:
        """The message as OpenAI JSON, without empty fields."""
        return self.model_dump(mode="json", exclude_none=True)


class TerminationReason(str, enum.Enum):
    """Why an episode ended. Infrastructure failures are apart from model failures."""

    SUBMITTED = "submitted"
    """The agent called the submit tool."""
    ANSWERED = "answered"
    """The agent replied without tool calls (its content is the answer)."""
    MAX_STEPS = "max_steps"
    MAX_TOKENS = "max_tokens"
    CONTEXT_EXHAUSTED = "context_exhausted"
    MODEL_ERROR = "model_error"
    """The server failed after retries: infrastructure, excluded from rewards and export."""
    ENVIRONMENT_ERROR = "environment_error"
    """The environment failed for a reason outside the model's reach (the engine is down, an image
    or asset is missing, a container vanished): infrastructure."""
    SANDBOX_BROKEN_BY_MODEL = "sandbox_broken_by_model"
    """The model's own tool calls broke its sandbox beyond repair (floods, kills, quotas): the
    model's failure, graded fail (reward 0), exported like any failed episode."""
    ABANDONED = "abandoned"
    """A served episode its trainer left before an answer (`synth serve`: the client disconnected,
    the idle session was reaped, or it reset to another task): not graded, never exported."""

    @property
    def infrastructure(self) -> bool:
        return self in (TerminationReason.MODEL_ERROR, TerminationReason.ENVIRONMENT_ERROR)


class Trajectory(Record):
    """One episode of an agent (a model, or a gold solution) in one tuple."""

    model_config = ConfigDict(extra="forbid")

    task_key: str
    """TupleRecord.key of the task."""
    source: Literal["gold", "model"]
    """gold: the tuple's reference solution; model: a rollout."""
    model: str | None = None
    """Model name for rollouts."""
    sample: int = 0
    """Sample index for pass@k."""
    sampling: dict[str, Any] = Field(default_factory=dict)
    """Sampling settings used (temperature, top_p, thinking, ...)."""
    messages: list[Message]
    """Full conversation: system, user, assistant (with tool_calls), tool."""
    tools: list[ToolSpec] = Field(default_factory=list)
    """Tools offered."""
    submission: Any = None
    """What the agent submitted (the submit tool's argument, or the final answer)."""
    termination: TerminationReason
    """Why the episode ended."""
    verdict: Verdict | None = None
    """The task verifier's grade of `submission`."""
    tool_errors: int = 0
    """Tool calls the environment rejected (bad JSON, unknown tool, bad arguments)."""
    usage: dict[str, int] = Field(default_factory=dict)
    """Token counts (prompt_tokens, completion_tokens) summed over the episode."""
    extra: dict[str, Any] = Field(default_factory=dict)
    """Optional payloads: token ids, logprobs, raw prompt text."""

    @property
    def key(self) -> str:
        """Identity of the episode: task, source, model, sample."""
        return content_key([self.task_key, self.source, self.model, self.sample])


class VerdictRecord(Record):
    """One line of verdicts.jsonl: a graded control of a tuple (gold, empty, perturbation)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    task_key: str
    """TupleRecord.key."""
    control: str
    """gold, empty, or perturb:<name>."""
    expect: Literal["pass", "fail"]
    """What a sound tuple must give for this control."""
    breaks: str | None = None
    """For a perturbation: the check it is built to break."""
    verdict: Verdict
    """The verifier's grade."""
    sound: bool
    """Whether the verdict is what the control expects."""

    @property
    def key(self) -> str:
        return content_key([self.task_key, self.control])


class Rejection(Record):
    """One line of rejections.jsonl: a candidate that did not become a tuple, and why."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str
    """The candidate's key (unique within the run; a re-run skips it)."""
    family: str
    """Family whose generator refused it."""
    reason: str
    """One line: which filter, gate or validation step refused it."""
    details: dict[str, Any] = Field(default_factory=dict)
    """Family-specific facts (source, repository, figures of the failed check)."""
