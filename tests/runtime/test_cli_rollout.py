"""`synth rollout`, `synth serve`, `synth verify --regrade` and the export options, as a user runs
them: against a real local HTTP server standing in for the model, with CliRunner; and a rollout
killed with SIGKILL and re-run loses and duplicates nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from synth import Trajectory
from synth import Run
from synth.cli import app

from .conftest import FakeServer, make_run, solver

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def one_line_error(result) -> str:  # type: ignore[no-untyped-def]
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("synth: error: "), result.output
    return lines[0]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--temperature", "5", "--base-url", "http://x/v1", "--model", "m"], "temperature"),
        (["--flavor", "tgi"], "--flavor"),
        (["--base-url", "ftp://x", "--model", "m"], "base_url"),
        (["--base-url", "http://", "--model", "m"], "names no host"),
        (["--base-url", "http://exa mple/v1", "--model", "m"], "whitespace"),
        (["--base-url", "http://127.0.0.1:99999/v1", "--model", "m"], "port 99999"),
        (["--base-url", "http://x/v1"], "needs --model"),
        (["--thinking", "--base-url", "http://x/v1", "--model", "m"], "thinking"),
        (["--api-key-env", "SYNTH_NO_SUCH_VARIABLE", "--base-url", "http://x/v1", "--model", "m"], "SYNTH_NO_SUCH_VARIABLE"),
        (["--model", "m"], "needs --base-url"),
    ],
)
def test_bad_flags_are_one_line_exit_2(tmp_path: Path, args: list[str], needle: str) -> None:
    make_run(tmp_path / "run", 1)
    line = one_line_error(invoke("rollout", tmp_path / "run", *args))
    assert needle in line


def test_bad_config_files_are_one_line_exit_2(tmp_path: Path) -> None:
    make_run(tmp_path / "run", 1)
    bad_toml = tmp_path / "bad.toml"
    bad_toml.write_text("temperature = = 1\n")
    assert "not valid TOML" in one_line_error(invoke("rollout", tmp_path / "run", "--config", bad_toml))
    unknown = tmp_path / "unknown.toml"
    unknown.write_text("[rollout]\ntemprature = 0.5\n")
    assert "temprature: unknown field" in one_line_error(invoke("rollout", tmp_path / "run", "--config", unknown))
    assert "cannot read config" in one_line_error(invoke("rollout", tmp_path / "run", "--config", tmp_path / "missing.toml"))


def test_rollout_from_a_config_file_then_export_and_regrade(tmp_path: Path) -> None:
    run = tmp_path / "run"
    make_run(run, 2)
    with FakeServer(solver) as server:
        config = tmp_path / "rollout.toml"
        config.write_text(f'[rollout]\nbase_url = "{server.base_url}"\nmodel = "fake"\nsamples = 2\nmax_steps = 4\n')
        result = invoke("rollout", run, "--config", config, "--concurrency", "3")
        assert result.exit_code == 0, result.output
        assert "4/4 graded episodes pass over 2 tasks; pass@1 1.000, pass@2 1.000" in result.output
        again = invoke("rollout", run, "--config", config)
        assert "0 episodes run, 4 already done" in again.output
    out = tmp_path / "model.sft.jsonl"
    assert invoke("export", run, "--format", "sft", "--source", "model", "--out", out).exit_code == 0
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == 4
    for line in lines:
        assert line["source"] == "model" and line["model"] == "fake" and line["reward"] == 1.0
        assert line["sampling"]["temperature"] == 1.0 and line["usage"]["completion_tokens"] == 20
        assert [m["role"] for m in line["messages"]][-2:] == ["assistant", "tool"]
        assert line["messages"][2]["tool_calls"][0]["function"]["name"] == "lookup"
    rl = tmp_path / "tasks.rl.jsonl"
    assert invoke("export", run, "--format", "rl", "--out", rl).exit_code == 0
    facts = [json.loads(line)["rollouts"] for line in rl.read_text().splitlines()]
    assert facts == [{"fake": {"samples": 2, "passed": 2, "pass_rate": 1.0, "pass@1": 1.0, "pass@2": 1.0}}] * 2
    # every task always passes: a range that excludes 1.0 keeps nothing, one that includes it keeps all
    assert "0 rl records" in invoke("export", run, "--format", "rl", "--pass-rate", "(0,1)", "--out", rl).output
    assert "2 rl records" in invoke("export", run, "--format", "rl", "--pass-rate", "(0,1]", "--out", rl).output
    assert "pass-rate range" in one_line_error(invoke("export", run, "--format", "rl", "--pass-rate", "0..1", "--out", rl))
    regraded = invoke("verify", run, "--regrade")
    assert regraded.exit_code == 0 and "regraded 6 trajectories (0 verdicts changed)" in regraded.output


def test_rollout_pass_rate_filter_keeps_only_tasks_in_range(tmp_path: Path) -> None:
    run = tmp_path / "run"
    make_run(run, 2)
    def half(body: dict, n: int) -> dict:
        # task 0 always answers right; task 1 always submits a wrong word
        reply = solver(body, n)
        args = json.loads(reply["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"])
        if "answer" in args and args["answer"] in ("cloud",):  # k1 of tuple 1 is WORDS[2] == "cloud"
            reply["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"] = json.dumps({"answer": "wrong"})
        return reply

    with FakeServer(half) as server:
        assert invoke("rollout", run, "--base-url", server.base_url, "--model", "fake", "-k", "2").exit_code == 0
    out = tmp_path / "solved.rl.jsonl"
    assert "1 rl records" in invoke("export", run, "--format", "rl", "--pass-rate", "(0,1]", "--out", out).output
    assert json.loads(out.read_text())["rollouts"]["fake"]["pass_rate"] == 1.0
    assert "1 rl records" in invoke("export", run, "--format", "rl", "--pass-rate", "[0,0]", "--out", out).output


def test_model_errors_are_reported_and_excluded(tmp_path: Path) -> None:
    run = tmp_path / "run"
    make_run(run, 1)
    with FakeServer(lambda body, n: (503, {"error": "down"})) as server:
        result = invoke("rollout", run, "--base-url", server.base_url, "--model", "fake", "--timeout", "5", "--config", _fast(tmp_path))
    assert result.exit_code == 1 and "model_error 1" in result.output
    out = tmp_path / "x.sft.jsonl"
    assert "0 sft records" in invoke("export", run, "--format", "sft", "--source", "model", "--out", out).output


def _fast(tmp_path: Path) -> Path:
    config = tmp_path / "fast.toml"
    config.write_text("retries = 1\nbackoff = 0.01\n")
    return config


def test_model_serve_dry_run_prints_the_v32_server_commands() -> None:
    vllm = invoke("model", "serve", "--vllm", "deepseek-ai/DeepSeek-V3.2", "--dry-run", "--tp", "8")
    assert vllm.exit_code == 0
    for flag in ("vllm serve deepseek-ai/DeepSeek-V3.2", "--tokenizer-mode deepseek_v32", "--tool-call-parser deepseek_v32",
                 "--enable-auto-tool-choice", "--reasoning-parser deepseek_v3", "--tensor-parallel-size 8"):
        assert flag in vllm.output
    sglang = invoke("model", "serve", "--sglang", "deepseek-ai/DeepSeek-V3.2", "--dry-run")
    for flag in ("sglang.launch_server", "--model-path deepseek-ai/DeepSeek-V3.2", "--tp 8", "--dp 8", "--enable-dp-attention",
                 "--tool-call-parser deepseekv32", "--reasoning-parser deepseek-v3"):
        assert flag in sglang.output
    assert "exactly one" in one_line_error(invoke("model", "serve", "--vllm", "a", "--sglang", "b"))
    assert "exactly one" in one_line_error(invoke("model", "serve"))


def test_serve_with_the_model_options_says_where_they_went() -> None:
    for args in (["--embedded"], ["--vllm", "deepseek-ai/DeepSeek-V3.2", "--dry-run"], ["--sglang", "m", "--tp", "8"]):
        assert "synth model serve" in one_line_error(invoke("serve", *args))


def toy_rollout(tmp_path: Path, run: Path, base_url: str, *flags: str) -> tuple[list[str], dict[str, str]]:
    """The command line of `synth rollout RUN` in a process that knows the toy family (it lives in
    the tests: a wrapper registers it, then runs the CLI), and its environment."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), str(Path(__file__).parents[1])])}
    wrapper = tmp_path / "synth_with_toy.py"
    wrapper.write_text(
        "import sys, importlib.util\n"
        f"spec = importlib.util.spec_from_file_location('toy_conftest', {str(Path(__file__).parent / 'conftest.py')!r})\n"
        "module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)\n"
        "from synth.cli import main\nsys.argv = ['synth', *sys.argv[1:]]\nmain()\n"
    )
    return [sys.executable, str(wrapper), "rollout", str(run), "--base-url", base_url, "--model", "fake", *flags], env


def model_lines(journal: Path) -> list[bytes]:
    """Complete journal lines of model episodes (a torn last line is not a record)."""
    data = journal.read_bytes() if journal.exists() else b""
    return [line for line in data.split(b"\n")[:-1] if b'"source":"model"' in line]


def wait_for_episodes(journal: Path, count: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while len(model_lines(journal)) < count:
        assert process.poll() is None and time.monotonic() < deadline, "the rollout ended or stalled"
        time.sleep(0.02)


def test_sigkilled_rollout_resumes_without_loss_or_duplicates(tmp_path: Path) -> None:
    run = tmp_path / "run"
    make_run(run, 4)
    journal = run / Run.TRAJECTORIES
    with FakeServer(solver, delay=0.05) as server:
        args, env = toy_rollout(tmp_path, run, server.base_url, "-k", "5", "-j", "2")
        proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_episodes(journal, 6, proc)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        killed_at = len(model_lines(journal))
        assert 6 <= killed_at < 20
        done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert f"{20 - killed_at} episodes run, {killed_at} already done" in done.stdout
    raw = journal.read_bytes()
    assert raw.endswith(b"\n")
    model = [Trajectory.model_validate_json(line) for line in model_lines(journal)]
    assert len(model) == 20 and len({t.key for t in model}) == 20
    assert all(t.verdict is not None and t.verdict.status == "pass" for t in model)


def test_tasks_limits_a_smoke_run_to_the_first_sound_tasks(tmp_path: Path) -> None:
    run = tmp_path / "run"
    make_run(run, 3)
    with FakeServer(solver) as server:
        result = invoke("rollout", run, "--base-url", server.base_url, "--model", "fake", "--tasks", "1", "-k", "2")
        assert result.exit_code == 0 and "2/2 graded episodes pass over 1 tasks" in result.output
        more = invoke("rollout", run, "--base-url", server.base_url, "--model", "fake", "-k", "2")
        assert "4 episodes run, 2 already done" in more.output


def test_a_second_rollout_of_the_same_model_on_a_run_is_refused_naming_the_first(tmp_path: Path) -> None:
    # two synth rollout on one run both ran the same episodes (79 keys written twice)
    run = tmp_path / "run"
    make_run(run, 2)
    journal = run / Run.TRAJECTORIES
    with FakeServer(solver, delay=0.05) as server:
        args, env = toy_rollout(tmp_path, run, server.base_url, "-k", "10", "-j", "1")
        first = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wait_for_episodes(journal, 1, first)
        second = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
        out, err = first.communicate(timeout=120)
    assert second.returncode == 2, second.stderr
    lines = second.stderr.strip().splitlines()
    assert len(lines) == 1 and f"another synth process (pid {first.pid}) is running the rollout:fake stage" in lines[0]
    assert first.returncode == 0, err
    keys = [Trajectory.model_validate_json(line).key for line in model_lines(journal)]
    assert len(keys) == 20 and len(set(keys)) == 20


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_dead_server_fails_at_once_naming_the_url_and_the_cause(tmp_path: Path) -> None:
    # with the server down, 80 episodes spent 120 s retrying and stderr never named the URL
    run = tmp_path / "run"
    make_run(run, 2)
    manifest = (run / "manifest.json").read_bytes()
    url = f"http://127.0.0.1:{_free_port()}/v1"
    line = one_line_error(invoke("rollout", run, "--base-url", url, "--model", "fake"))
    assert url in line and "refused" in line.lower()
    assert (run / "manifest.json").read_bytes() == manifest and b'"source":"model"' not in (run / Run.TRAJECTORIES).read_bytes()


def test_a_server_that_is_not_an_openai_api_fails_at_once(tmp_path: Path) -> None:
    run = tmp_path / "run"
    make_run(run, 1)
    with FakeServer(lambda body, n: (404, {"detail": "Not Found"}), get=(404, {"detail": "Not Found"})) as server:
        line = one_line_error(invoke("rollout", run, "--base-url", server.base_url, "--model", "fake"))
    assert server.base_url in line and "not an OpenAI-compatible API root" in line
    with FakeServer(solver, get=(200, {"html": "a web page"})) as server:
        line = one_line_error(invoke("rollout", run, "--base-url", server.base_url, "--model", "fake"))
    assert "did not answer with an OpenAI model list" in line


def test_a_refused_api_key_fails_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run = tmp_path / "run"
    make_run(run, 1)
    monkeypatch.setenv("SYNTH_TEST_KEY", "wrong")
    with FakeServer(solver, get=(401, {"error": "invalid api key"})) as server:
        line = one_line_error(invoke("rollout", run, "--base-url", server.base_url, "--model", "fake", "--api-key-env", "SYNTH_TEST_KEY"))
    assert "refused the API key" in line and server.base_url in line


def test_a_rollout_stopped_by_consecutive_failures_exits_1_and_says_so(tmp_path: Path) -> None:
    run = tmp_path / "run"
    make_run(run, 3)
    with FakeServer(lambda body, n: (503, {"error": "down"})) as server:
        result = invoke("rollout", run, "--base-url", server.base_url, "--model", "fake", "-k", "4", "-j", "1",
                        "--max-consecutive-failures", "2", "--config", _fast(tmp_path))
    assert result.exit_code == 1
    assert "stopped after 2 episodes in a row failed on infrastructure" in result.output and server.base_url in result.output
    assert json.loads((run / "manifest.json").read_text())["stages"]["rollout:fake"]["aborted"]
