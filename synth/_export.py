"""Export: the training views of a run, as JSONL files.

Sits at the end of generate -> verify -> rollout -> export. SFT and RL files are two views of the
same records: SFT lines are verified trajectories as OpenAI chat records (messages with tool calls,
tool results and reasoning_content, plus tools); RL lines are one per sound task (the prompt
messages, tools, and references to its environment and verifier, so a trainer can rebuild the
environment and grade its own rollouts). Only sound tuples are exported; trajectories with an
infrastructure failure never are. The output file is written atomically: a failed export leaves
no partial file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator, Literal

from . import _registry as registry
from ._errors import StoreError
from ._records import SCHEMA_VERSION, Trajectory, TupleRecord
from ._store import Run, atomic_write
from ._verify import TRAJECTORIES, TUPLES, sound_keys

Source = Literal["gold", "model", "all"]


def _tuples(run: Run) -> dict[str, TupleRecord]:
    tuples = {t.key: t for t in run.journal(TUPLES, TupleRecord)}
    if not tuples:
        raise StoreError(f"run {run.path} holds no tuples; run synth generate first")
    return tuples


def _sound(run: Run) -> set[str]:
    keys = sound_keys(run)
    if not keys and run.stage("verify") is None:
        raise StoreError(f"run {run.path} has not been verified; run synth verify first")
    return keys


def _metadata(record: TupleRecord) -> dict[str, Any]:
    env = record.environment
    return {
        "family": env.family,
        "category": env.category,
        "difficulty": env.difficulty,
        "seed": env.seed,
        "index": env.index,
    }


def sft_lines(run: Run, source: Source = "all") -> Iterator[dict[str, Any]]:
    """Verified trajectories of sound tasks (reward 1, status pass, no infrastructure failure)."""
    tuples = _tuples(run)
    sound = _sound(run)
    for trajectory in run.journal(TRAJECTORIES, Trajectory):
        if source != "all" and trajectory.source != source:
            continue
        record = tuples.get(trajectory.task_key)
        if record is None or record.key not in sound:
            continue
        if trajectory.termination.infrastructure or trajectory.verdict is None or trajectory.verdict.status != "pass":
            continue
        line: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "task_key": record.key,
            "source": trajectory.source,
            "model": trajectory.model,
            "sample": trajectory.sample,
            "messages": [m.openai() for m in trajectory.messages],
            "tools": [t.openai() for t in trajectory.tools],
            "reward": trajectory.verdict.reward,
            "termination": trajectory.termination.value,
            "verifier": record.verifier.model_dump(mode="json", exclude={"schema_version"}),
            "sampling": trajectory.sampling,
            "metadata": _metadata(record),
        }
        for field in ("token_ids", "logprobs", "prompt_text"):
            if field in trajectory.extra:
                line[field] = trajectory.extra[field]
        yield line


def rl_lines(run: Run, keys: set[str] | None = None) -> Iterator[dict[str, Any]]:
    """One line per sound task: prompt, tools, environment and verifier references."""
    sound = _sound(run)
    family_cache: dict[str, Any] = {}
    for record in _tuples(run).values():
        if record.key not in sound or (keys is not None and record.key not in keys):
            continue
        fam = family_cache.setdefault(record.environment.family, registry.family(record.environment.family))
        env = record.environment
        yield {
            "schema_version": SCHEMA_VERSION,
            "task_key": record.key,
            "prompt": [m.openai() for m in fam.prompt_messages(record)],
            "tools": [t.openai() for t in env.tools],
            "answer_schema": record.task.answer_schema,
            "environment": {
                "key": env.key,
                "family": env.family,
                "category": env.category,
                "seed": env.seed,
                "index": env.index,
                "difficulty": env.difficulty,
                "run": str(run.path.resolve()),
                "state": {name: ref.model_dump(mode="json", exclude={"schema_version"}) for name, ref in env.state.items()},
            },
            "verifier": record.verifier.model_dump(mode="json", exclude={"schema_version"}),
            "metadata": {**_metadata(record), "task": record.task.metadata},
        }


def write_jsonl(lines: Iterator[dict[str, Any]], out: Path) -> int:
    """Write all lines to `out` atomically; returns the count."""
    chunks = [json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n" for line in lines]
    atomic_write(out, "".join(chunks).encode("utf-8"))
    return len(chunks)
