"""Rollout configuration: one pydantic model, read from a TOML file and overridden by CLI flags.

Sits at the start of the rollout stage (verify -> rollout -> export): `synth rollout` and the
Python API build a `RolloutConfig` here and hand it to the client and the rollout loop. The API key
is never stored in the config or the run: the config names an environment variable and the key is
read from it when a request is made. Every bad value (unknown field, wrong type, out of range,
unreadable TOML, missing key variable) is a `ConfigError` with one line naming the field.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ._errors import ConfigError

Flavor = Literal["vllm", "sglang", "deepseek", "openai"]
ContextStrategy = Literal["discard-all", "discard-75", "summary", "none"]
Endpoint = Literal["chat", "completions"]

EMBEDDED_MODEL = "SmolLM2-135M-Instruct"
"""Model name the embedded server answers to."""


class RolloutConfig(BaseModel):
    """How to reach a model and how to roll it through environments."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_url: str | None = None
    """OpenAI-compatible server root, e.g. http://127.0.0.1:8000/v1; unset: start the embedded model."""
    model: str | None = None
    """Model name sent in requests; unset with the embedded model: SmolLM2-135M-Instruct."""
    api_key_env: str | None = None
    """Name of the environment variable holding the API key (the key itself is never written)."""
    flavor: Flavor = "openai"
    """Server kind: decides how thinking is switched on and where reasoning comes back."""
    endpoint: Endpoint = "chat"
    """chat: /chat/completions with tools; completions: /completions with the DeepSeek-V3.2 prompt
    rendered by synth (the exact prompt text is kept with the trajectory)."""
    temperature: float = Field(1.0, ge=0.0, le=2.0)
    """Sampling temperature (the V3.2 report samples at 1.0)."""
    top_p: float = Field(0.95, gt=0.0, le=1.0)
    """Nucleus sampling mass."""
    max_tokens: int = Field(1024, ge=1)
    """Completion tokens per model call."""
    max_episode_tokens: int | None = Field(None, ge=1)
    """Completion tokens per episode; reaching it ends the episode with max_tokens."""
    thinking: bool = False
    """Thinking mode (reasoning before answers and tool calls)."""
    context_window: int = Field(131072, ge=256)
    """Tokens the server's context holds."""
    context_threshold: float = Field(0.8, gt=0.0, le=1.0)
    """Fraction of the window at which context management starts."""
    context_strategy: ContextStrategy = "discard-all"
    """discard-all, discard-75 (drop the first 75% of tool rounds), summary, or none (end the episode)."""
    max_steps: int = Field(32, ge=1)
    """Model calls per episode."""
    samples: int = Field(1, ge=1, le=10_000)
    """Episodes per task (pass@k)."""
    concurrency: int = Field(8, ge=1, le=100_000)
    """Episodes in flight at once."""
    timeout: float = Field(300.0, gt=0.0)
    """Seconds per request before it counts as timed out (and is retried)."""
    max_consecutive_failures: int = Field(10, ge=0)
    """Stop the rollout once this many episodes in a row end in model_error or environment_error
    (a dead server, a broken environment); 0: never stop. A re-run resumes."""
    retries: int = Field(5, ge=0, le=100)
    """Retries of one request on 429, 5xx, timeouts and dropped connections."""
    backoff: float = Field(0.5, ge=0.0)
    """First backoff in seconds; doubles per retry, with jitter."""
    backoff_max: float = Field(30.0, ge=0.0)
    """Longest wait between retries (Retry-After is honoured up to this)."""
    logprobs: bool = False
    """Ask for token logprobs (and token ids where the server gives them) and keep them."""
    tool_choice: Literal["auto", "required", "none"] = "auto"
    """tool_choice sent with chat requests."""
    seed: int | None = None
    """Sampling seed sent to the server, if any; sample i uses seed + i."""

    @model_validator(mode="after")
    def _consistent(self) -> "RolloutConfig":
        if self.thinking and self.flavor == "openai":
            raise ValueError("thinking needs a flavor with a thinking switch: vllm, sglang or deepseek")
        return self

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None:
            check_url(value)
        return value

    @property
    def model_name(self) -> str:
        return self.model or EMBEDDED_MODEL

    def api_key(self) -> str | None:
        """The key from the named environment variable; a named but unset variable is an error."""
        if not self.api_key_env:
            return None
        value = os.environ.get(self.api_key_env)
        if not value:
            raise ConfigError(f"api_key_env names {self.api_key_env}, but that environment variable is not set")
        return value

    def sampling(self) -> dict[str, Any]:
        """Settings that shape what the model produces (stored with every trajectory)."""
        return {
            "temperature": self.temperature,
            "top_p": self.top_p,
            "max_tokens": self.max_tokens,
            "thinking": self.thinking,
            "flavor": self.flavor,
            "endpoint": self.endpoint,
        }

    def identity(self) -> dict[str, Any]:
        """Settings a resumed rollout must share with the first run (not URL, concurrency, samples)."""
        return {
            "model": self.model_name,
            **self.sampling(),
            "max_episode_tokens": self.max_episode_tokens,
            "context_window": self.context_window,
            "context_threshold": self.context_threshold,
            "context_strategy": self.context_strategy,
            "max_steps": self.max_steps,
            "tool_choice": self.tool_choice,
            "seed": self.seed,
        }


def check_url(url: str) -> None:
    """Refuse a server URL that cannot work: not http(s), no host, whitespace or an unparseable form."""
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"must start with http:// or https:// (got {url!r})")
    if any(c.isspace() for c in url):
        raise ValueError(f"{url!r} contains whitespace")
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise ValueError(f"{url!r} is not a URL: {exc}") from None
    if not parsed.host:
        raise ValueError(f"{url!r} names no host, e.g. http://127.0.0.1:8000/v1")
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise ValueError(f"{url!r} has port {parsed.port}, outside 1-65535")


def _one_line(exc: ValidationError, origin: str) -> ConfigError:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "config"
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        known = ", ".join(RolloutConfig.model_fields)
        message = f"unknown field (known: {known})"
    return ConfigError(f"{origin}: {where}: {message}")


def load_config(path: str | Path | None = None, **overrides: Any) -> RolloutConfig:
    """Config from a TOML file (top-level keys or a [rollout] table), then non-None overrides."""
    values: dict[str, Any] = {}
    origin = "rollout config"
    if path is not None:
        path = Path(path)
        origin = str(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"cannot read config {path}: {exc.strerror}") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"config {path} is not valid TOML: {exc}") from None
        values = data.get("rollout", data) if isinstance(data.get("rollout"), dict) else data
        values = {k.replace("_", "-").replace("-", "_"): v for k, v in values.items()}
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return RolloutConfig.model_validate(values)
    except ValidationError as exc:
        raise _one_line(exc, origin) from None
