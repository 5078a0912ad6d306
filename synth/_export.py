"""Export: the training views of a run, as JSONL files.

Sits at the end of generate -> verify -> rollout -> export. SFT and RL files are two views of the
same records: SFT lines are verified trajectories as OpenAI chat records (messages with tool calls,
tool results and reasoning_content, plus tools); RL lines are one per sound task (the prompt
messages, tools, and references to its environment and verifier, so a trainer can rebuild the
environment and grade its own rollouts). Only sound tuples are exported, and of them only those no
baseline agent solved unless `keep_easy` asks for the easy ones too; trajectories with an
infrastructure failure never are. Model trajectories carry the model, sample, sampling settings,
usage and, when the server gave them, token ids, logprobs and the exact prompt text; RL lines carry
per-model pass@k facts of the run's rollouts. A pass-rate range keeps only tasks whose rollouts pass
at a rate inside it (the V3.2 report kept tasks with non-zero pass@100). The output file is written
atomically: a failed export leaves no partial file.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterable, Iterator, Literal

from . import _registry as registry
from ._errors import ConfigError, StoreError
from ._lines import RLEnvironment, RLLine, SFTLine, TaskMetadata
from ._records import TupleRecord
from ._store import Run, atomic_write
from ._verify import easy_keys, sound_keys

Source = Literal["gold", "model", "all"]


def _tuples(run: Run) -> dict[str, TupleRecord]:
    tuples = {t.key: t for t in run.tuples()}
    if not tuples:
        raise StoreError(f"run {run.path} holds no tuples; run synth generate first")
    return tuples


def _sound(run: Run, keep_easy: bool = False) -> set[str]:
    """Keys of sound tuples, without the easy ones unless `keep_easy`."""
    keys = sound_keys(run)
    if not keys and run.stage("verify") is None:
        raise StoreError(f"run {run.path} has not been verified; run synth verify first")
    return keys if keep_easy else keys - easy_keys(run)


def _metadata(record: TupleRecord, **extra: Any) -> TaskMetadata:
    env = record.environment
    return TaskMetadata(family=env.family, category=env.category, difficulty=env.difficulty, seed=env.seed,
                        index=env.index, **extra)


class PassRange:
    """An interval of pass rates, written like `(0,1]` or `[0.2,0.8]` (brackets: inclusive)."""

    _FORM = re.compile(r"^\s*([\[(])\s*([0-9.]+)\s*,\s*([0-9.]+)\s*([\])])\s*$")

    def __init__(self, text: str) -> None:
        match = self._FORM.match(text)
        if match is None:
            raise ConfigError(f"pass-rate range {text!r} is not an interval like (0,1] or [0.2,0.8]")
        left, low, high, right = match.groups()
        try:
            self.low, self.high = float(low), float(high)
        except ValueError:
            raise ConfigError(f"pass-rate range {text!r} has a bound that is not a number") from None
        if not 0.0 <= self.low <= self.high <= 1.0:
            raise ConfigError(f"pass-rate range {text!r} must lie within [0,1] with low <= high")
        self.closed_low, self.closed_high = left == "[", right == "]"
        self.text = text.strip()

    def __contains__(self, rate: float) -> bool:
        above = rate >= self.low if self.closed_low else rate > self.low
        below = rate <= self.high if self.closed_high else rate < self.high
        return above and below


def keys_in_range(run: Run, rates: PassRange, model: str | None = None) -> set[str]:
    """Task keys whose graded model rollouts pass at a rate inside `rates` (tasks never rolled out
    are left out: their rate is unknown)."""
    from ._grading import task_stats

    return {key for key, stats in task_stats(run, model).items() if stats.pass_rate in rates}


def _rollout_facts(run: Run) -> dict[str, dict[str, dict[str, Any]]]:
    """Per task key, per model: samples graded, passes, pass rate, pass@1 and pass@n."""
    from ._grading import task_stats

    models = {t.model for t in run.trajectories() if t.source == "model" and t.model}
    facts: dict[str, dict[str, dict[str, Any]]] = {}
    for model in sorted(models):
        for key, stats in task_stats(run, model).items():
            facts.setdefault(key, {})[model] = {
                "samples": stats.n,
                "passed": stats.passed,
                "pass_rate": stats.pass_rate,
                "pass@1": stats.pass_at(1),
                f"pass@{stats.n}": stats.pass_at(stats.n),
            }
    return facts


def sft_lines(
    run: Run, source: Source = "all", *, keys: set[str] | None = None, model: str | None = None,
    keep_easy: bool = False,
) -> Iterator[SFTLine]:
    """Verified trajectories of sound tasks (reward 1, status pass, no infrastructure failure);
    optionally only tasks in `keys` and model trajectories of `model`; easy tasks only if
    `keep_easy`."""
    from ._grading import latest_trajectories

    tuples = _tuples(run)
    sound = _sound(run, keep_easy)
    for trajectory in latest_trajectories(run).values():
        if source != "all" and trajectory.source != source:
            continue
        if model is not None and trajectory.source == "model" and trajectory.model != model:
            continue
        record = tuples.get(trajectory.task_key)
        if record is None or record.key not in sound or (keys is not None and record.key not in keys):
            continue
        if trajectory.termination.infrastructure or trajectory.verdict is None or trajectory.verdict.status != "pass":
            continue
        yield SFTLine(
            task_key=record.key,
            source=trajectory.source,
            model=trajectory.model,
            sample=trajectory.sample,
            messages=[m.openai() for m in trajectory.messages],
            tools=[t.openai() for t in trajectory.tools],
            reward=trajectory.verdict.reward,
            termination=trajectory.termination.value,
            verifier=record.verifier.model_dump(mode="json", exclude={"schema_version"}),
            sampling=trajectory.sampling,
            usage=trajectory.usage,
            tool_errors=trajectory.tool_errors,
            metadata=_metadata(record),
            **{name: trajectory.extra[name] for name in ("token_ids", "logprobs", "prompt_text") if name in trajectory.extra},
        )


def rl_lines(run: Run, keys: set[str] | None = None, *, keep_easy: bool = False) -> Iterator[RLLine]:
    """One line per sound task (easy ones only if `keep_easy`): prompt, tools, environment and
    verifier references."""
    sound = _sound(run, keep_easy)
    rollouts = _rollout_facts(run)
    family_cache: dict[str, Any] = {}
    for record in _tuples(run).values():
        if record.key not in sound or (keys is not None and record.key not in keys):
            continue
        fam = family_cache.setdefault(record.environment.family, registry.family(record.environment.family))
        env = record.environment
        yield RLLine(
            task_key=record.key,
            prompt=[m.openai() for m in fam.prompt_messages(record)],
            tools=[t.openai() for t in env.tools],
            answer_schema=record.task.answer_schema,
            environment=RLEnvironment(
                key=env.key,
                family=env.family,
                category=env.category,
                seed=env.seed,
                index=env.index,
                difficulty=env.difficulty,
                run=str(run.path.resolve()),
                state={name: ref.model_dump(mode="json", exclude={"schema_version"}) for name, ref in env.state.items()},
            ),
            verifier=record.verifier.model_dump(mode="json", exclude={"schema_version"}),
            metadata=_metadata(record, task=record.task.metadata),
            rollouts=rollouts.get(record.key, {}),
        )


def write_jsonl(lines: Iterable[dict[str, Any]], out: Path) -> int:
    """Write all lines to `out` atomically; returns the count."""
    chunks = [json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n" for line in lines]
    atomic_write(out, "".join(chunks).encode("utf-8"))
    return len(chunks)
