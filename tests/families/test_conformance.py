"""The family conformance suite: every registered family (and every category of it) must pass it.

A new family is covered by registering it (its `synth.plugins` entry point): the sample run is
made through the public stages and the CLI, never through family internals. What a user of the
data relies on, checked per family: the same settings give byte-identical tuples; every tuple's
gold solution passes through the tools and every null control fails on the check it names; a bad
tool call is a structured error, never an exception; grading is a pure function of the stored
artifacts (regrading changes nothing); a stage killed with SIGKILL and re-run gives the records
of a run that was never interrupted.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from family_samples import cli_args, family_params, provider

import synth
from synth import Run


class Sample:
    """One family's sample run, generated and verified once per module."""

    def __init__(self, name: str, root: Path) -> None:
        self.name = name
        self.family = synth.family(name)
        self.settings = provider(name).sample(root)
        self.run = Run.create(root / "sample")
        synth.generate(self.run, self.family, self.settings)
        self.summary = synth.verify(self.run)
        self.tuples = self.run.tuples().read()


@pytest.fixture(scope="module", params=family_params())
def sample(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Sample:
    return Sample(request.param, tmp_path_factory.mktemp(request.param))


def test_every_registered_category_is_generated(sample: Sample) -> None:
    made = {t.environment.category for t in sample.tuples}
    assert sample.tuples, "the sample run holds no tuples"
    assert set(sample.family.categories()) <= made, "categories the sample settings do not reach"


def test_same_settings_give_byte_identical_tuples(sample: Sample, tmp_path: Path) -> None:
    again = Run.create(tmp_path / "again")
    synth.generate(again, sample.family, sample.settings)
    assert (again.path / Run.TUPLES).read_bytes() == (sample.run.path / Run.TUPLES).read_bytes()
    for record in sample.tuples:
        for ref in record.environment.state.values():
            assert again.read_asset(ref) == sample.run.read_asset(ref)


def test_gold_passes_and_every_null_control_fails_on_its_named_check(sample: Sample) -> None:
    assert sample.summary.ok, sample.summary.unsound[:5]
    per_task: dict[str, list[synth.VerdictRecord]] = defaultdict(list)
    for item in sample.run.verdicts():
        per_task[item.task_key].append(item)
    for record in sample.tuples:
        items = {item.control: item for item in per_task[record.key]}
        assert items["gold"].verdict.status == "pass", items["gold"].verdict.first_failure()
        assert items["empty"].verdict.status == "fail"
        perturbations = [item for name, item in items.items() if name.startswith("perturb:")]
        assert perturbations, f"{record.environment.category}: no perturbation control"
        for item in perturbations:
            failing = {c.name for c in item.verdict.checks if not c.passed}
            assert item.verdict.status == "fail" and item.breaks in failing, (item.control, item.verdict.first_failure())


@pytest.mark.parametrize("name, arguments", [
    ("no_such_tool", "{}"),
    (None, "{not json"),
    (None, "[1, 2]"),
    (None, '{"no_such_argument": 1}'),
])
def test_a_bad_tool_call_is_a_structured_error(sample: Sample, name: str | None, arguments: str) -> None:
    record = sample.tuples[0]
    with sample.family.open(record, sample.run) as env:
        result = env.call(name or env.tools[0].name, arguments)
        assert result.error
        error = json.loads(result.content)["error"]
        assert error["type"] and error["message"]
        assert not env.submitted


def test_grading_is_a_pure_function_of_stored_artifacts(sample: Sample, tmp_path: Path) -> None:
    import shutil

    copy = Run.open(shutil.copytree(sample.run.path, tmp_path / "copy"))
    stored = {t.key: t.verdict for t in copy.trajectories()}
    report = synth.regrade(copy)
    assert report.regraded == len(sample.tuples) and report.changed == 0
    for trajectory in copy.trajectories():
        record = next(r for r in sample.tuples if r.key == trajectory.task_key)
        assert synth.grade(record, trajectory.submission, copy, trajectory) == stored[trajectory.key]


# -- killed stages ----------------------------------------------------------------------------------
def synth_cli(*args: Any) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "synth.cli", *map(str, args)], capture_output=True, text=True, timeout=1200)


def kill_when(args: list[Any], path: Path, min_lines: int) -> None:
    """Start `synth ARGS`; SIGKILL it once `path` has `min_lines` lines, then tear its last line as a
    kill in the middle of a write would."""
    process = subprocess.Popen([sys.executable, "-m", "synth.cli", *map(str, args)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 1200
    try:
        while time.monotonic() < deadline:
            if path.exists() and path.read_bytes().count(b"\n") >= min_lines:
                break
            if process.poll() is not None:
                pytest.fail(f"{args[0]} finished before it could be killed; give the resume settings more work")
            time.sleep(0.002)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait()
    data = path.read_bytes()
    last = data.rstrip(b"\n").rfind(b"\n")
    path.write_bytes(data[: last + 1] + data[last + 1 : last + 30])


@pytest.mark.slow
def test_stages_killed_mid_run_resume_to_identical_records(sample: Sample, tmp_path: Path) -> None:
    args = ["generate", sample.name, *cli_args(provider(sample.name).resume(tmp_path))]
    reference, killed = tmp_path / "reference", tmp_path / "killed"
    for run in (reference,):
        assert synth_cli(*args, "--out", run).returncode == 0
        assert synth_cli("verify", run).returncode == 0
    total = (reference / Run.TUPLES).read_bytes().count(b"\n")
    kill_when([*args, "--out", killed], killed / Run.TUPLES, max(1, total // 4))
    done = synth_cli(*args, "--out", killed)
    assert done.returncode == 0, done.stderr
    kill_when(["verify", killed], killed / Run.TRAJECTORIES, max(1, total // 4))
    done = synth_cli("verify", killed)
    assert done.returncode == 0, done.stdout + done.stderr
    for name in (Run.TUPLES, Run.VERDICTS):
        got = (killed / name).read_bytes()
        assert got == (reference / name).read_bytes(), name
        assert len(got.splitlines()) == len(set(got.splitlines()))
    got, want = (killed / Run.TRAJECTORIES).read_bytes().splitlines(), (reference / Run.TRAJECTORIES).read_bytes().splitlines()
    assert len(got) == len(want) == len({without_timings(line) for line in got})
    for mine, theirs in zip(got, want):
        assert without_timings(mine) == without_timings(theirs)
    assert not list(killed.rglob("*.tmp"))


def without_timings(line: bytes) -> bytes:
    """A trajectory line without the execution evidence of its submission (test logs, JUnit files
    and durations measured in a container differ between any two runs); the line itself when it
    has none, so in-process families are compared byte for byte."""
    data = json.loads(line)
    artifacts = data["extra"].pop("artifacts", None)
    if artifacts is None:
        return line
    data["extra"]["artifact_fields"] = sorted(artifacts)
    data["extra"]["submission_sha256"] = artifacts.get("submission_sha256")
    return json.dumps(data, sort_keys=True).encode()
