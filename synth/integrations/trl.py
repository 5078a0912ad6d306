"""synth's environments for TRL's GRPOTrainer (`environment_factory`, environment-owned rewards).

`environment_factories(run=RUN)` (in process) or `environment_factories(url=URL)` (a `synth serve`
server, over the OpenEnv client) returns `{name: factory}` for TRL's multi-environment mode: one
factory per family and category of the served tasks, named as the hf RL export's `environment`
column names them (`synth/FAMILY/CATEGORY`), so `synth export --format hf` rows route themselves.
Each factory makes an environment class whose public methods are that category's tools (typed,
with the tool's own descriptions, as TRL builds tool schemas from methods); `reset(**row)` opens a
synth session for the row's `task_key`; a tool method runs the call through synth's tool path and
returns the tool's result text; `get_reward()` ends the episode (unanswered: graded as no answer)
and returns the task verifier's reward, the verdict synth records with `record=True`. An episode
that ends in text rather than a submit call is graded from that text when `read_text_answers` is
among the trainer's `reward_funcs` (it hands the text over; TRL calls it before `get_reward`).

    from synth.integrations.trl import environment_factories
    trainer = GRPOTrainer(model=..., train_dataset=load_from_disk("tasks.hf"),
                          environment_factory=environment_factories(run="runs/demo", record=True),
                          reward_funcs=[read_text_answers], ...)

`chat_template_for_tools(tokenizer)` sets TRL's bundled Qwen2.5 template (ChatML, with tool calls
TRL can parse) on a tokenizer whose own template has no tool support (SmolLM2's).
"""

from __future__ import annotations

import inspect
import json
import threading
from pathlib import Path
from typing import Any, Callable, Optional, Union

from .._errors import ConfigError
from .._formats import environment_name

_TYPES: dict[str, Any] = {"string": str, "integer": int, "number": float, "boolean": bool, "object": dict, "array": list}


def _python_type(schema: dict[str, Any]) -> Any:
    """The Python hint whose JSON schema (transformers' `get_json_schema`) is `schema`."""
    if "anyOf" in schema:
        options = [s for s in schema["anyOf"] if s.get("type") != "null"]
        nullable = len(options) < len(schema["anyOf"])
        inner = Union[tuple(_python_type(s) for s in options)] if len(options) > 1 else (_python_type(options[0]) if options else Any)
        return Optional[inner] if nullable else inner
    kind = schema.get("type")
    if kind == "array":
        items = schema.get("items")
        return list[_python_type(items)] if isinstance(items, dict) and items.get("type") else list
    if isinstance(kind, list):
        return Union[tuple(_TYPES.get(k, Any) for k in kind if k != "null")]
    return _TYPES.get(kind, Any)


def _method(spec: dict[str, Any]) -> Callable[..., str]:
    """A method named after the tool, whose signature and Google-style docstring give back the
    tool's schema; calling it runs the tool in the environment's session."""
    function = spec["function"]
    name = function["name"]
    properties: dict[str, Any] = function.get("parameters", {}).get("properties", {}) or {}
    required = set(function.get("parameters", {}).get("required", []) or [])

    def tool(self: "SynthEnvironment", **arguments: Any) -> str:
        return self._call(name, arguments)

    parameters = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    annotations: dict[str, Any] = {}
    lines = [function.get("description") or name, "", "Args:"]
    for arg, schema in sorted(properties.items(), key=lambda kv: kv[0] not in required):
        hint = _python_type(schema)
        default = inspect.Parameter.empty if arg in required else schema.get("default")
        parameters.append(inspect.Parameter(arg, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=hint))
        annotations[arg] = hint
        lines.append(f"    {arg}: {' '.join(str(schema.get('description') or arg).split())}")
    if not properties:
        lines = lines[:1]
    annotations["return"] = str
    tool.__name__ = tool.__qualname__ = name
    tool.__doc__ = "\n".join(lines)
    tool.__annotations__ = annotations
    tool.__signature__ = inspect.Signature(parameters, return_annotation=str)  # type: ignore[attr-defined]
    return tool


class SynthEnvironment:
    """Base of the generated environment classes: one synth session, one episode per `reset`."""

    _run: str | None = None
    _url: str | None = None
    _record: bool = False
    _keep_easy: bool = False
    _model: str = "trl"

    def __init__(self) -> None:
        self._session: Any = None
        self.last: dict[str, Any] = {}
        self._text: str | None = None

    def reset(self, **row: Any) -> None:
        """Start the row's task (`task_key`) in a fresh episode; the prompt is the row's own."""
        from .._envserver import open_session

        if self._session is None:
            self._session = open_session(self._run, url=self._url, record=self._record, keep_easy=self._keep_easy)
        key = row.get("task_key")
        if not key:
            raise ConfigError("a TRL row for a synth environment needs its task_key column (synth export --format hf)")
        self._text = None
        self.last = self._session.reset(task_key=key, model=self._model)
        if self.last.get("error"):
            raise ConfigError(f"cannot start task {str(key)[:16]}: {self.last['error']['message']}")
        return None

    def _call(self, name: str, arguments: dict[str, Any]) -> str:
        observation = self._session.call(name, arguments)
        self.last = observation
        if observation.get("verdict"):
            return json.dumps({"status": "submitted"})
        return observation.get("result") or json.dumps({"error": observation.get("error")})

    def get_reward(self) -> float:
        """The task verifier's reward. An episode still open (no submit call) is graded from the
        completion's final text when `read_text_answers` handed it over (synth's completion reader:
        a submit call written as text, a fenced or bare JSON answer), else as no answer."""
        if self._session is None:
            return 0.0
        if not self.last.get("done"):
            self.last = self._session.submit(self._text)
        reward = self.last.get("reward")
        return float(reward) if reward is not None else 0.0

    def _close(self) -> None:
        """Close the session (every public method but reset and get_reward is a tool to TRL)."""
        if self._session is not None:
            self._session.close()
            self._session = None


def read_text_answers(completions: list[Any], environments: list[Any] | None = None, **_: Any) -> list[None]:
    """A TRL reward function that scores nothing itself (None, ignored, for every completion): it
    hands each synth environment whose episode is still open the completion's final assistant text,
    so that `get_reward` grades an episode that ended in text (the model wrote its answer, or a
    submit call TRL did not parse, instead of calling the submit tool) with synth's completion
    reader (`synth.score`'s rules). Pass it in `reward_funcs`: TRL runs those before the
    environments' own `get_reward`."""
    for completion, env in zip(completions, environments or []):
        if isinstance(env, SynthEnvironment):
            env._text = final_text(completion)
    return [None] * len(completions)


def final_text(completion: Any) -> str | None:
    """The text of a completion's last message when the model wrote it (a conversational
    completion: the last assistant message's content; after a tool result, None)."""
    if isinstance(completion, str):
        return completion
    if not isinstance(completion, list) or not completion or not isinstance(completion[-1], dict):
        return None
    last = completion[-1]
    if last.get("role") != "assistant":
        return None
    content = last.get("content")
    if isinstance(content, list):  # content blocks
        content = "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return content if isinstance(content, str) and content.strip() else None


def environment_factories(run: str | Path | None = None, *, url: str | None = None, record: bool = False,
                          keep_easy: bool = False, model: str = "trl") -> dict[str, type]:
    """{`synth/FAMILY/CATEGORY`: environment class} over the served tasks of `run` (in process) or
    of the `synth serve` server at `url`. `record=True` (in process; a server records with its own
    --record) appends every episode to the run with its verdict, as model "serve:MODEL"."""
    if (run is None) == (url is None):
        raise ConfigError("give exactly one of run= (in process) or url= (a synth serve server)")
    groups = _tool_sets(run, url, keep_easy)
    factories: dict[str, type] = {}
    for (family, category), tools in sorted(groups.items()):
        attributes: dict[str, Any] = {spec["function"]["name"]: _method(spec) for spec in tools}
        reserved = {"reset", "get_reward"} & set(attributes)
        if reserved:
            raise ConfigError(f"tools {sorted(reserved)} of {family}/{category} clash with TRL's environment methods")
        attributes.update(_run=None if run is None else str(Path(run).resolve()), _url=url, _record=record,
                          _keep_easy=keep_easy, _model=model,
                          __doc__=f"synth {family}/{category} tasks: the tools are the task's own; the reward is its verifier's.")
        name = "Synth_" + "".join(ch if ch.isalnum() else "_" for ch in f"{family}_{category}")
        factories[environment_name(family, category)] = type(name, (SynthEnvironment,), attributes)
    return factories


def _tool_sets(run: str | Path | None, url: str | None, keep_easy: bool) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """The tools of each (family, category) the run serves (in process: read from the run; remote:
    one reset per group, asked from the server)."""
    from .._envserver import Catalog
    from .._openenv import RemoteSession
    from .._store import Run

    if run is not None:
        catalog = Catalog(Run.open(run), keep_easy=keep_easy)
        groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for record in catalog.records.values():
            env = record.environment
            groups.setdefault((env.family, env.category), [t.openai() for t in env.tools])
        return groups
    import httpx

    info = httpx.get(f"{url}/synth/tools", timeout=30).json()
    return {(g["family"], g["category"]): g["tools"] for g in info["groups"]}


def chat_template_for_tools(tokenizer: Any) -> Any:
    """Set TRL's bundled Qwen2.5 chat template (ChatML tokens, tool calls in <tool_call> tags that
    TRL parses) on `tokenizer`; returns it. For models whose own template has no tools (SmolLM2)."""
    from trl.chat_template_utils import qwen2_5_chat_template

    tokenizer.chat_template = qwen2_5_chat_template
    return tokenizer


def plain_model_from_gguf(folder: str | Path, gguf_file: str) -> tuple[Any, Any]:
    """(model, tokenizer) loaded by transformers from a GGUF file (dequantized), the weights copied
    into a plain model of the same config: trainers refuse a GGUF-loaded model as quantized, and
    `save_pretrained` refuses GGUF ones."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    loaded = AutoModelForCausalLM.from_pretrained(str(folder), gguf_file=gguf_file)
    tokenizer = AutoTokenizer.from_pretrained(str(folder), gguf_file=gguf_file)
    config = loaded.config
    if hasattr(config, "quantization_config"):
        delattr(config, "quantization_config")
    plain = AutoModelForCausalLM.from_config(config)
    plain.load_state_dict(loaded.state_dict())
    return plain, tokenizer


_lock = threading.Lock()
