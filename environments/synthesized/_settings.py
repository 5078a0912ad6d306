"""The settings of the environment-synthesis agent, and the category file.

Sits between the command line (`synth generate general --agent ...`, or `synth generate
synthesized ...`: each field is an option, its docstring the help) and the agent's generator.
Guarantees: every bad value or combination is refused with one line before the run directory
exists (no category, both --category and --categories, --base-url without --model, a pass band
outside 0..K, a category file that is missing, empty, not UTF-8, or holds a malformed JSON line
or a repeated category); `stage_config` records the categories as read from the file, so a
resumed run whose file changed is refused instead of mixed.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from synth import ConfigError, FamilySettings, Flag

MAX_CATEGORY = 500
"""Longest category description, in characters."""


class CategoryEntry(BaseModel):
    """One task category the agent writes environments for."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    category: str = Field(min_length=1, max_length=MAX_CATEGORY)
    """What kind of task, e.g. 'trip planning across several cities'."""
    hints: str = ""
    """Extra guidance for the agent (from a JSONL category file)."""

    @property
    def slug(self) -> str:
        """A short name for records and keys, e.g. trip-planning-across-several-c."""
        return re.sub(r"[^a-z0-9]+", "-", self.category.lower()).strip("-")[:32].strip("-") or "category"

    @property
    def key(self) -> str:
        """Unique and stable across runs: the slug and a digest of the whole entry."""
        return f"{self.slug}-{hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:8]}"


def read_categories(path: Path) -> list[CategoryEntry]:
    """The entries of a category file: one description per line, or JSONL objects
    {"category": ..., "hints": ...}; blank lines and lines starting with # are skipped."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"--categories {path}: no such file") from None
    except UnicodeDecodeError:
        raise ConfigError(f"--categories {path}: not UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(f"--categories {path}: cannot read it ({exc.strerror})") from None
    entries: list[CategoryEntry] = []
    lines: dict[CategoryEntry, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = f"--categories {path} line {number}"
        if line.startswith("{"):
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ConfigError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})") from None
            if isinstance(data.get("hints"), list):
                data["hints"] = "\n".join(str(h) for h in data["hints"])
        else:
            data = {"category": line}
        try:
            entry = CategoryEntry.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or "line"
            raise ConfigError(f"{where}: {field}: {first['msg']} (give {{\"category\": TEXT, \"hints\": TEXT}})") from None
        if entry in lines:
            raise ConfigError(f"{where}: repeats line {lines[entry]}")
        lines[entry] = number
        entries.append(entry)
    if not entries:
        raise ConfigError(f"--categories {path}: holds no category (one description per line, or JSONL)")
    return entries


class AgentOptions(FamilySettings):
    """How the agent reaches its model and how it works (shared by `general --agent` and `synthesized`)."""

    categories: Path | None = None
    """With --agent: a file of task categories, one description per line, or JSONL {"category", "hints"}."""
    base_url: str | None = None
    """With --agent: OpenAI-compatible server of the agent's model; unset: the embedded SmolLM2-135M-Instruct."""
    model: str | None = None
    """With --agent: model name the server knows (needed with --base-url)."""
    api_key_env: str | None = None
    """With --agent: name of the environment variable holding the server's API key."""
    flavor: Literal["vllm", "sglang", "deepseek", "openai"] = "openai"
    """With --agent: server kind (how reasoning comes back)."""
    thinking: bool = False
    """With --agent: thinking mode for the agent (needs --flavor vllm, sglang or deepseek)."""
    temperature: float = Field(0.6, ge=0.0, le=2.0)
    """With --agent: sampling temperature of the agent."""
    max_tokens: int = Field(4096, ge=16)
    """With --agent: completion tokens per model call."""
    max_turns: int = Field(20, ge=1, le=500)
    """With --agent: model calls per difficulty level before the level is rejected."""
    timeout: float = Field(10.0, ge=1.0, le=600.0)
    """With --agent: seconds each run of generated code (a tool call, the solution, the verifier) may take."""
    network: Literal["none", "host"] = "none"
    """With --agent: network of the agent's bash (host lets it search and download); generated code never has any."""
    pass_at: int | None = Field(None, ge=1, le=1000)
    """With --agent: roll the model K times through each environment that passes the gate and keep it only inside the band."""
    pass_min: int = Field(1, ge=0)
    """With --pass-at: fewest passes of K to keep the task (1: solved at least once, as the report kept)."""
    pass_max: int | None = Field(None, ge=0)
    """With --pass-at: most passes of K to keep the task (default K)."""


AGENT_ONLY = tuple(AgentOptions.model_fields)


def option(name: str) -> str:
    return f"--{name.replace('_', '-')}"


class AgentSettings(AgentOptions):
    """The settings of an agent run."""

    category: Annotated[list[str], Flag("-c")] = Field(default_factory=list)
    """A task category for the agent (repeatable), e.g. 'trip planning across several cities'."""
    n: int = Field(1, ge=1, le=100_000)
    """Environments the agent writes per category (each a chain of --difficulty levels)."""
    seed: int = Field(0, ge=0)
    """Seed sent with the agent's requests (servers that honour it repeat themselves)."""
    difficulty: Annotated[int, Flag("-d")] = Field(3, ge=1, le=5)
    """Levels of the difficulty chain: the agent writes level 1, then makes it harder up to this level."""

    @model_validator(mode="after")
    def _consistent(self) -> "AgentSettings":
        if bool(self.category) == (self.categories is not None):
            raise ValueError("the agent needs --category TEXT or --categories FILE (one of them)")
        for text in self.category:
            if not text.strip() or len(text) > MAX_CATEGORY:
                raise ValueError(f"--category {text[:40]!r}: give a description of 1 to {MAX_CATEGORY} characters")
        if self.base_url is not None and not self.model:
            raise ValueError("--base-url needs --model (the name the server knows the model by)")
        if self.model and self.base_url is None:
            raise ValueError(f"--model {self.model} needs --base-url; without one synth runs the embedded SmolLM2-135M-Instruct")
        if self.base_url is not None and not re.match(r"https?://[^\s/]+", self.base_url):
            raise ValueError(f"--base-url {self.base_url!r}: give http(s)://HOST[:PORT]/PATH")
        if self.thinking and self.flavor == "openai":
            raise ValueError("--thinking needs --flavor vllm, sglang or deepseek (how the server switches it on)")
        if self.pass_at is None and (self.pass_min != 1 or self.pass_max is not None):
            raise ValueError("--pass-min and --pass-max go with --pass-at K")
        if self.pass_at is not None:
            top = self.pass_max if self.pass_max is not None else self.pass_at
            if not self.pass_min <= top <= self.pass_at:
                raise ValueError(f"the pass band {self.pass_min}..{top} must lie within 0..{self.pass_at} (--pass-at)")
        return self

    def entries(self) -> list[CategoryEntry]:
        """The categories, from --category or the file (ConfigError when the file is unusable)."""
        if self.categories is not None:
            return read_categories(self.categories)
        return [CategoryEntry(category=text.strip()) for text in dict.fromkeys(self.category)]

    @property
    def band(self) -> tuple[int, int] | None:
        """(fewest, most) passes of --pass-at K a kept task has, or None without --pass-at."""
        if self.pass_at is None:
            return None
        return self.pass_min, self.pass_max if self.pass_max is not None else self.pass_at

    def stage_config(self, family: str) -> dict[str, Any]:
        """The generate config in the run manifest: what decides the tuples (not the URL or key)."""
        return {
            "family": family, "agent": True, "categories": [e.model_dump() for e in self.entries()], "n": self.n,
            "seed": self.seed, "difficulty": self.difficulty, "model": self.model or "embedded",
            "flavor": self.flavor, "thinking": self.thinking, "temperature": self.temperature, "max_tokens": self.max_tokens,
            "max_turns": self.max_turns, "timeout": self.timeout, "network": self.network, "pass_at": self.pass_at,
            "band": list(self.band) if self.band else None,
        }


def agent_settings(values: dict[str, Any]) -> AgentSettings:
    """AgentSettings from a dict; a bad value is a one-line ConfigError naming the option."""
    try:
        return AgentSettings.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = f"{option(str(first['loc'][0]))}: " if first["loc"] else ""
        raise ConfigError(where + first["msg"].removeprefix("Value error, ")) from None
