"""Export lines: the records an SFT or RL file holds, one JSON object per line.

Sits at the end of generate -> verify -> rollout -> export. SFT and RL lines are two views of the
same records (a verified trajectory; a sound task with its verifier reference); `synth schema`
shows both. `line()` is the JSON object written: optional server payloads appear only when present.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ._records import Record


class TaskMetadata(BaseModel):
    """Where an exported task came from (the `metadata` of SFT and RL lines)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    family: str
    """Family of the task."""
    category: str
    """Category within the family."""
    difficulty: int
    """1 (easy) .. 5 (hard)."""
    seed: int
    """Generator seed."""
    index: int
    """Item index within the seed."""
    task: dict[str, Any] | None = None
    """RL lines: the structured task parameters the prompt states."""


class SFTLine(Record):
    """One line of an SFT export: a verified trajectory of a sound task as an OpenAI chat record."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    task_key: str
    """Join key into tuples.jsonl."""
    source: Literal["gold", "model"]
    """gold: the tuple's reference solution; model: a rollout."""
    model: str | None
    """Model name of a rollout (null for gold)."""
    sample: int
    """Sample index of a rollout (pass@k)."""
    messages: list[dict[str, Any]]
    """OpenAI chat messages: system, user, assistant (tool_calls, reasoning_content), tool."""
    tools: list[dict[str, Any]]
    """The OpenAI `tools` list the agent was offered."""
    reward: float
    """The verifier's reward (1.0: only verified passes are exported)."""
    termination: str
    """Why the episode ended."""
    verifier: dict[str, Any]
    """`{name, args}` of the registered verifier."""
    sampling: dict[str, Any]
    """Sampling settings of a rollout."""
    usage: dict[str, int]
    """Token counts of the episode."""
    tool_errors: int
    """Tool calls the environment rejected."""
    metadata: TaskMetadata
    """Family, category, difficulty, seed, index."""
    token_ids: Any = None
    """Prompt and completion token ids per call, when the server returned them."""
    logprobs: Any = None
    """Token logprobs per call, when the server returned them."""
    prompt_text: str | None = None
    """The exact last prompt text (completions endpoint), when known."""

    def line(self) -> dict[str, Any]:
        """The JSON object written to the file (the optional server payloads only when present)."""
        data = self.model_dump(mode="json", exclude_none=False)
        for name in ("token_ids", "logprobs", "prompt_text"):
            if data[name] is None:
                del data[name]
        data["metadata"] = self.metadata.model_dump(mode="json", exclude={"task"})
        return data


class RLEnvironment(BaseModel):
    """What an RL line says of the environment: enough to rebuild it from the run."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str
    """EnvironmentSpec.key."""
    family: str
    category: str
    seed: int
    index: int
    difficulty: int
    run: str
    """Absolute path of the run directory."""
    state: dict[str, dict[str, Any]]
    """Asset references (path relative to the run, sha256, media type) by name."""


class RLLine(Record):
    """One line of an RL export: one sound task with its prompt, tools and verifier reference."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    task_key: str
    """Join key into tuples.jsonl."""
    prompt: list[dict[str, Any]]
    """The opening messages (system with the instructions, user with the task)."""
    tools: list[dict[str, Any]]
    """The OpenAI `tools` list."""
    answer_schema: dict[str, Any]
    """JSON Schema of the answer."""
    environment: RLEnvironment
    """The environment to rebuild."""
    verifier: dict[str, Any]
    """`{name, args}` of the registered verifier that grades a rollout."""
    metadata: TaskMetadata
    """Family, category, difficulty, seed, index and the task parameters."""
    rollouts: dict[str, dict[str, Any]] = Field(default_factory=dict)
    """Per model: samples, passed, pass_rate, pass@1, pass@n of the run's rollouts."""

    def line(self) -> dict[str, Any]:
        return self.model_dump(mode="json")
