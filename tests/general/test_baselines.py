"""The baseline agents of every general category: tools only (they hold nothing but a ToolClient and
the task params, and their submission is a function of the tool results alone; test_all_categories
reads their modules for database access), and the gate they
make: at difficulty 3 every baseline fails at least 90% of tuples, at difficulty 5 at least 97%,
on a fixed sample (benchmarks/ladder_general.py measures the full ladder)."""

from __future__ import annotations

import json
import math

import pytest

from synth import Run, ToolClient, baseline_records, categories, family

CATEGORIES = sorted(categories("general"))
CEILING = {3: 0.10, 5: 0.03}


def test_every_category_has_at_least_three_baselines():
    for name in CATEGORIES:
        assert len(categories("general")[name].baselines) >= 3, name


class Recorder:
    """A ToolClient's send function over a live environment that keeps every (call, result)."""

    def __init__(self, env):
        self.env, self.log = env, []

    def __call__(self, name: str, arguments: str) -> str:
        content = self.env.call(name, arguments).content
        self.log.append((name, arguments, content))
        return content


class Replay:
    """A send function with no environment behind it: it answers each call with the recorded result
    of the same call, and fails on any call the recording does not hold."""

    def __init__(self, log):
        self.log, self.at = log, 0

    def __call__(self, name: str, arguments: str) -> str:
        assert self.at < len(self.log), f"an extra call {name}({arguments})"
        expected_name, expected_arguments, content = self.log[self.at]
        assert (name, arguments) == (expected_name, expected_arguments), "the calls differ from the recorded run"
        self.at += 1
        return content


@pytest.mark.parametrize("category", CATEGORIES)
def test_property_a_baseline_submits_what_the_tool_results_determine(tmp_path_factory, category):
    """Property: for arbitrary tuples, every baseline run again against a replay of its own tool
    results (no environment, no database anywhere) makes the same calls and the same submission: it
    learns nothing but what the tools return."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    run = Run.create(tmp_path_factory.mktemp("replay") / "r")
    fam = family("general")
    cat = categories("general")[category]

    @settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(seed=st.integers(0, 2**31 - 1), index=st.integers(0, 10**6), difficulty=st.integers(1, 5))
    def replayed(seed, index, difficulty):
        record = fam.build_tuple(run, category, seed, index, difficulty)
        for name, baseline in cat.baselines.items():
            with fam.open(record, run) as env:
                recorder = Recorder(env)
                baseline(ToolClient(recorder, env.tools), json.loads(json.dumps(record.task.metadata)))
                assert env.submitted, f"{name} ended without submitting"
            replay = Replay(recorder.log)
            baseline(ToolClient(replay, record.environment.tools), json.loads(json.dumps(record.task.metadata)))
            assert replay.at == len(recorder.log), f"{name} made fewer calls against the replay"
            assert recorder.log[-1][0] == "submit_result"

    replayed()


@pytest.mark.slow
@pytest.mark.parametrize("difficulty", sorted(CEILING))
@pytest.mark.parametrize("category", CATEGORIES)
def test_every_baseline_fails_hard_tuples(tmp_path, category, difficulty):
    """The gate holds on a fixed sample: no baseline solves more than the ceiling allows (rounded up
    for a sample of 30), and the gold solution passes every tuple."""
    from synth import gold_trajectory

    run = Run.create(tmp_path / "r")
    fam = family("general")
    n = 30
    passes: dict[str, int] = {}
    for index in range(n):
        record = fam.build_tuple(run, category, 77, index, difficulty)
        assert gold_trajectory(record, run).verdict.status == "pass"
        for item in baseline_records(record, run, tuple(categories("general")[category].baselines)):
            assert item.sound, (item.control, item.verdict.error)
            passes[item.control] = passes.get(item.control, 0) + (item.verdict.status == "pass")
    allowed = math.ceil(CEILING[difficulty] * n)
    assert all(count <= allowed for count in passes.values()), (passes, allowed)
