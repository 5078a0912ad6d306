"""An interpreter episode as a model lives it: the python and submit tools through the rollout runtime
(a scripted model, real kernels), the execution budget, a dead kernel reported as a tool error, a
vanished sandbox labelled an environment error, and answers graded the same live and regraded."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from fakes import Scripted, call, completion

import synth
from synth import ModelClient, RolloutConfig, Run, SandboxError, TerminationReason, grade_trajectory, run_episode
from synth.sandbox import engine

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def math_run(tmp_path_factory: pytest.TempPathFactory, kernel_image: str) -> Run:
    run = Run.create(tmp_path_factory.mktemp("env") / "run")
    synth.generate(run, "interpreter", {"category": ["math"], "n": 1, "seed": 2, "difficulty": 1, "timeout": 2,
                                        "max_executions": 3})
    return run


@pytest.fixture
def record(math_run: Run) -> synth.TupleRecord:
    return math_run.tuples().read()[0]


def episode(run: Run, record: synth.TupleRecord, steps: list[tuple[str, dict]]):
    def reply(body: dict, n: int) -> dict:
        if n >= len(steps):
            return completion("done")
        name, arguments = steps[n]
        return completion(None, [call(name, arguments, f"c{n}")])

    model = Scripted(reply)
    config = RolloutConfig(base_url="http://model.test/v1", model="scripted", max_steps=len(steps) + 1)

    async def go():
        async with ModelClient(config, transport=model.transport()) as client:
            return await run_episode(client, config, synth.family("interpreter"), record, run, 0)

    return asyncio.run(go()), model


def tool_results(trajectory) -> list[dict]:
    return [json.loads(m.content) for m in trajectory.messages if m.role == "tool"]


def test_a_model_that_computes_and_submits_the_answer_passes(math_run: Run, record) -> None:
    cells = record.verifier.args["gold"]["cells"]
    answer = record.verifier.args["answer"]["value"]
    trajectory, model = episode(math_run, record, [("python", {"code": cells[-1]}), ("submit", {"answer": answer})])
    assert [t["function"]["name"] for t in model.requests[0]["tools"]] == ["python", "submit"]
    assert trajectory.termination is TerminationReason.SUBMITTED
    assert trajectory.verdict is not None and trajectory.verdict.status == "pass", trajectory.verdict
    (result, submitted) = tool_results(trajectory)
    assert json.loads(result["stdout"]) == answer and result["executions_left"] == 2
    assert submitted == {"status": "submitted"}


def test_state_persists_between_the_model_s_calls(math_run: Run, record) -> None:
    trajectory, _ = episode(math_run, record, [("python", {"code": "x = 20"}), ("python", {"code": "x + 22"}),
                                               ("submit", {"answer": 0})])
    assert tool_results(trajectory)[1]["result"] == "42"


def test_the_execution_budget_ends_with_a_structured_error_and_runs_nothing(math_run: Run, record) -> None:
    with synth.family("interpreter").open(record, math_run) as env:
        for n in range(3):
            assert not env.call("python", json.dumps({"code": f"open('/work/{n}', 'w')"})).error
        over = env.call("python", json.dumps({"code": "open('/work/over', 'w')"}))
        assert over.error and json.loads(over.content)["error"]["type"] == "execution_limit"
        left = env.notebook.kernel.execute("import os\nsorted(os.listdir('/work'))").result
        assert left == "['0', '1', '2']"
        assert env.call("submit", json.dumps({"answer": 1})).submitted  # submitting is still allowed


def test_a_timeout_comes_back_as_an_error_result_with_the_state_kept(math_run: Run, record) -> None:
    trajectory, _ = episode(math_run, record, [("python", {"code": "kept = 1\nimport time\ntime.sleep(300)"}),
                                               ("python", {"code": "kept"}), ("submit", {"answer": 0})])
    slept, after, _ = tool_results(trajectory)
    assert slept["error"]["name"] == "TimeoutError" and after["result"] == "1"


def test_a_dead_kernel_is_a_tool_error_the_model_sees_and_the_episode_goes_on(math_run: Run, record) -> None:
    trajectory, _ = episode(math_run, record, [("python", {"code": "import os\nos._exit(1)"}),
                                               ("python", {"code": "1 + 1"}), ("submit", {"answer": 0})])
    died, after, _ = tool_results(trajectory)
    assert died["error"]["type"] == "kernel_restarted" and "is gone" in died["error"]["message"]
    assert after["result"] == "2"
    assert trajectory.tool_errors == 1 and trajectory.termination is TerminationReason.SUBMITTED


def test_a_vanished_sandbox_is_an_environment_error_not_the_model_s(math_run: Run, record) -> None:
    with synth.family("interpreter").open(record, math_run) as env:
        engine().api.remove_container(env.notebook.kernel.box.id, force=True)
        with pytest.raises(SandboxError):
            env.call("python", json.dumps({"code": "1"}))


@pytest.mark.parametrize("answer", ["NaN", "Infinity"])
def test_a_non_finite_answer_fails_live_and_the_same_after_regrading(math_run: Run, record, answer: str) -> None:
    arguments = '{"answer": ' + answer + "}"
    trajectory, _ = episode(math_run, record, [("submit", arguments)])
    assert trajectory.verdict is not None and trajectory.verdict.status == "fail"
    stored = synth.Trajectory.model_validate_json(trajectory.model_dump_json())
    assert grade_trajectory(record, stored, math_run) == trajectory.verdict


def test_tool_results_carry_no_timings(math_run: Run, record) -> None:
    with synth.family("interpreter").open(record, math_run) as one, synth.family("interpreter").open(record, math_run) as two:
        code = json.dumps({"code": "import time\nprint('hi')\ntime.sleep(0.2)\n[1, 2]"})
        assert one.call("python", code).content == two.call("python", code).content


def test_a_tuple_whose_file_was_modified_does_not_open(tmp_path: Path, kernel_image: str) -> None:
    run = Run.create(tmp_path / "run")
    synth.generate(run, "interpreter", {"category": ["logic"], "n": 1, "difficulty": 1})
    (record,) = run.tuples()
    ref = next(iter(record.environment.state.values()))
    (run.path / ref.path).write_text("tampered\n")
    with pytest.raises(synth.StoreError, match="does not match its sha256"):
        synth.family("interpreter").open(record, run)
