"""Runs that the report, viewer, format and executor tests read, made the way a user makes them.

`sample_run(path)`: real general tuples (every category), verified, then rolled out through a real
local OpenAI-compatible server (`fakes.FakeServer`) by a scripted model that calls one tool, then
submits the gold answer on even-indexed tasks and a wrong one on odd ones, so the run holds passes,
failures, tool errors and a model reply with markup in it. `big_run(path, n)`: `n` small tuples of
a registered test family written straight to the journals with verdicts and one model episode
each, for scale tests (10,000 tasks in a few seconds).
"""

from __future__ import annotations

import atexit
import functools
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import synth
from synth import Run

from fakes import FakeServer, call, completion

MARKUP = "<script>alert('x')</script><img src=x onerror=alert(1)>"
"""What the scripted model writes in its first reply: a viewer must show it as text."""


def _gold_answers(run: Run) -> dict[str, tuple[str, int]]:
    """The gold submission of each task by its user prompt, and its index in run order."""
    prompts = {t.key: (t.task.prompt, i) for i, t in enumerate(run.tuples())}
    out = {}
    for trajectory in run.trajectories():
        if trajectory.source == "gold":
            prompt, index = prompts[trajectory.task_key]
            out[prompt] = (trajectory.submission, index)
    return out


def scripted_model(run: Run):  # type: ignore[no-untyped-def]
    """reply(body, n): first a malformed tool call and markup, then the submission."""
    gold = _gold_answers(run)

    def reply(body: dict[str, Any], n: int) -> dict[str, Any]:
        messages = body["messages"]
        user = next(m["content"] for m in messages if m["role"] == "user")
        answer, index = gold[user]
        if not any(m["role"] == "tool" for m in messages):
            first = body["tools"][0]["function"]["name"]
            return completion(MARKUP, [call(first, "{not json", "call_1")], reasoning="Let me look around first.")
        submission = answer if index % 2 == 0 else "[]"
        return completion(None, [call("submit_result", {"answer_text": submission}, "call_2")], reasoning="Submitting.")

    return reply


def sample_run(path: Path, n: int = 2, difficulty: int = 3, samples: int = 1) -> Run:
    """Generate `n` general tuples per category, verify them, roll a scripted model through them."""
    synth.generate(path, "general", {"n": n, "seed": 3, "difficulty": difficulty})
    run = Run.open(path)
    assert synth.verify(run).ok
    with FakeServer(scripted_model(run)) as server:
        cfg = synth.RolloutConfig(base_url=server.base_url, model="scripted", samples=samples, max_steps=4,
                                  concurrency=1)
        synth.rollout(run, cfg)
    return Run.open(path)


def big_run(path: Path, n: int) -> Run:
    """`n` tuples of an unregistered family "scale" (the readers under test need no family), each
    with validation facts, a gold control, a perturbation and one model episode (odd tasks fail),
    and n/10 rejections (half of them after validation ran)."""
    from synth import (
        Check, EnvironmentSpec, Message, Rejection, TaskSpec, TerminationReason, Trajectory, TupleRecord, Verdict,
        VerdictRecord, VerifierSpec,
    )

    run = Run.create(path)
    categories = ("alpha", "beta", "gamma", "delta")
    with open(path / Run.REJECTIONS, "w") as rejections:
        for index in range(n // 10):
            validated = index % 2 == 1
            reason = "no test fails before the fix and passes after it (F2P = 0)" if validated else f"gold patch touches {6 + index % 3} files (limit 5)"
            details = {"k": 3, "fail_to_pass": 0, "pass_to_pass": 12} if validated else {}
            rejections.write(Rejection(key=f"rejected-{index}", family="scale", reason=reason, details=details).model_dump_json() + "\n")
    with open(path / Run.TUPLES, "w") as tuples, open(path / Run.VERDICTS, "w") as verdicts, \
            open(path / Run.TRAJECTORIES, "w") as trajectories:
        for index in range(n):
            category = categories[index % len(categories)]
            env = EnvironmentSpec(family="scale", category=category, seed=0, index=index, difficulty=1 + index % 5)
            task = TaskSpec(family="scale", category=category, environment_key=env.key,
                            prompt=f"Task number {index}: say the word 'w{index}'.")
            validation = {"k": 3, "fail_to_pass": 1 + index % 3, "pass_to_pass": 10 + index % 7,
                          "flake_rate": (index % 5) / 100, "flaky": ["t"] * (index % 5)}
            record = TupleRecord.build(env, task, VerifierSpec(name="scale.exact", args={"expected": f"w{index}", "validation": validation}))
            tuples.write(record.model_dump_json() + "\n")
            ok = Verdict(reward=1.0, status="pass", checks=[Check(name="word", passed=True, expected=f"w{index}", actual=f"w{index}")])
            bad = Verdict(reward=0.0, status="fail", checks=[
                Check(name="word", passed=False, expected=f"w{index}", actual="x", message=f"expected w{index}, got x")])
            verdicts.write(VerdictRecord(task_key=record.key, control="gold", expect="pass", verdict=ok, sound=True).model_dump_json() + "\n")
            verdicts.write(VerdictRecord(task_key=record.key, control="perturb:word", expect="fail", breaks="word",
                                         verdict=bad, sound=True).model_dump_json() + "\n")
            passed = index % 2 == 0
            trajectory = Trajectory(
                task_key=record.key, source="model", model="m", sample=0,
                messages=[Message(role="user", content=task.prompt), Message(role="assistant", content=f"w{index}" if passed else "x")],
                submission=f"w{index}" if passed else "x", termination=TerminationReason.ANSWERED,
                verdict=ok if passed else bad, usage={"prompt_tokens": 20, "completion_tokens": 3}, extra={"steps": 1},
            )
            trajectories.write(trajectory.model_dump_json() + "\n")
    run.begin("generate", {"family": "scale", "n": n})
    run.finish("generate", tuples=n, rejected=n // 10)  # the manifest agrees with the journals, as Run.open checks
    run.begin("verify", {})
    run.finish("verify", sound=n, unsound=0)
    run.begin("rollout:m", {})
    run.finish("rollout:m", samples=1, episodes=n)
    return run


@functools.cache
def shared_sample_run() -> Path:
    """One `sample_run` per test process (removed at exit); tests that change a run copy it first."""
    folder = Path(tempfile.mkdtemp(prefix="synth-sample-run-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    sample_run(folder / "run")
    return folder / "run"


@functools.cache
def shared_big_run(n: int = 10_000) -> Path:
    """One `big_run` of `n` tasks per test process (removed at exit), shared by the scale tests."""
    folder = Path(tempfile.mkdtemp(prefix="synth-big-run-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    big_run(folder / "run", n)
    return folder / "run"


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]
