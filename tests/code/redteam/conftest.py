"""The red team's targets: one task of each of two real projects, mined from PyPI sdists at test
time (mutation tasks, as `synth generate code --sdist` makes them): toolz, a plain-pytest suite of
test functions, and more-itertools, a `unittest` TestCase suite. Each task is generated and its gold
patch graded once per test session (one shared fixture), so every attack runs against a task whose
gold is known to pass."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest

PROJECTS = {
    "toolz": "toolz==0.12.1",
    "moreit": "more-itertools==10.1.0",
}
"""Project label -> sdist; toolz's tests are pytest functions, more-itertools' are TestCase classes."""


@dataclass
class Target:
    """One validated task of a real project, and what an attacker reads off it."""

    label: str
    run: object
    record: object
    gold: str
    target: str
    """The source file the gold patch changes (the module the F2P tests exercise)."""
    function: str
    """The function the mutation broke (qualified in its module)."""
    task_image: str


def _target(label: str, tmp: Path) -> Target:
    import synth
    from synth.environments.code._family import gold_patch_of, images_for
    from synth.environments.code._patch import parse

    run = synth.Run.create(tmp / label)
    synth.generate(run, "code", {"sdist": PROJECTS[label], "n": 1, "k": 1, "seed": 0, "timeout": 120})
    records = list(run.tuples())
    assert len(records) == 1, f"{label}: no task was mined"
    record = records[0]
    gold = gold_patch_of(record, run)
    target = next(s.path for s in parse(gold) if s.path.endswith(".py"))
    function = record.task.metadata["instance_id"].split(":")[2]
    return Target(label, run, record, gold, target, function, images_for(record, run)["task"])


@pytest.fixture(scope="session")
def redteam_targets(tmp_path_factory: pytest.TempPathFactory, base_image: str) -> dict[str, Target]:
    """Both projects' tasks, each validated by generation and its gold graded once (it must pass)."""
    from synth import grade
    from synth.environments.code._family import execute_submission

    targets = {}
    for label in PROJECTS:
        target = _target(label, tmp_path_factory.mktemp("redteam"))
        artifacts = execute_submission(target.record, target.run, target.gold, target.task_image)
        verdict = grade(target.record, target.gold, target.run, SimpleNamespace(extra={"artifacts": artifacts}))
        assert verdict.status == "pass", (label, verdict)
        targets[label] = target
    return targets
