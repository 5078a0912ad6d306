"""A crash or kill mid-run loses nothing: SIGKILL a stage, re-run it, and get exactly the records
of a run that was never interrupted (no duplicates, no torn lines)."""

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ARGS = ["generate", "general", "--category", "trip_planning", "--n", "150", "--seed", "9", "--difficulty", "4", "--out"]


def synth(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "synth.cli", *map(str, args)], capture_output=True, text=True, timeout=600)


def kill_when(args: list, path: Path, min_lines: int) -> None:
    """Start `synth ARGS`, SIGKILL it once `path` has at least `min_lines` lines."""
    process = subprocess.Popen([sys.executable, "-m", "synth.cli", *map(str, args)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline:
            if path.exists() and path.read_bytes().count(b"\n") >= min_lines:
                break
            if process.poll() is not None:
                pytest.fail("the stage finished before it could be killed; give it more work")
            time.sleep(0.005)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait()


def tear_last_line(path: Path) -> None:
    """Leave half a record at the end, as a kill in the middle of a write would."""
    data = path.read_bytes()
    last = data.rstrip(b"\n").rfind(b"\n")
    path.write_bytes(data[: last + 1] + data[last + 1 : last + 40])


def lines(path: Path) -> list[bytes]:
    data = path.read_bytes()
    assert data.endswith(b"\n")
    return data.splitlines()


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    run = tmp_path_factory.mktemp("ref") / "run"
    assert synth(*ARGS, run).returncode == 0
    assert synth("verify", run).returncode == 0
    return run


def test_generate_killed_mid_run_resumes_to_identical_records(reference, tmp_path):
    run = tmp_path / "run"
    kill_when([*ARGS, run], run / "tuples.jsonl", 40)
    tear_last_line(run / "tuples.jsonl")
    result = synth(*ARGS, run)
    assert result.returncode == 0, result.stderr
    got = lines(run / "tuples.jsonl")
    assert got == lines(reference / "tuples.jsonl")
    assert len(got) == len(set(got)) == 150
    assets = sorted(p.name for p in (run / "assets" / "general").iterdir())
    assert assets == sorted(p.name for p in (reference / "assets" / "general").iterdir())
    assert not list(run.rglob("*.tmp"))


def test_verify_refuses_an_unfinished_generation(tmp_path):
    run = tmp_path / "run"
    kill_when([*ARGS, run], run / "tuples.jsonl", 5)
    result = synth("verify", run)
    assert result.returncode == 2 and "did not finish" in result.stderr


def test_verify_killed_mid_run_resumes_to_identical_records(reference, tmp_path):
    run = tmp_path / "run"
    assert synth(*ARGS, run).returncode == 0
    kill_when(["verify", run], run / "trajectories.jsonl", 30)
    tear_last_line(run / "trajectories.jsonl")
    result = synth("verify", run)
    assert result.returncode == 0, result.stdout + result.stderr
    for name in ("verdicts.jsonl", "trajectories.jsonl"):
        got = lines(run / name)
        assert got == lines(reference / name), name
        assert len(got) == len(set(got))
