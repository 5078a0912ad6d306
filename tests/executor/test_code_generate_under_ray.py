"""Code-task generation under `--executor ray`: candidates are validated on the workers (`work()`,
each worker testing a mutation's project once for the mutants it screens) and the records are built
on the writer in candidate order (`finish()`), so tuples and rejections are the same bytes as the
local executor's, for mined history and for mutants alike."""

from __future__ import annotations

from pathlib import Path

import pytest

import synth
from synth import Run

from code_repos import make_repo

pytestmark = [pytest.mark.ray, pytest.mark.docker, pytest.mark.slow]


@pytest.mark.parametrize("source", [{"mutate": True, "n": 2, "max_candidates": 4}, {"n": 5}], ids=["mutation", "history"])
def test_code_generation_on_ray_writes_the_local_executors_bytes(tmp_path: Path, base_image: str, ray_executor,
                                                                 source) -> None:  # type: ignore[no-untyped-def]
    repo = make_repo(tmp_path / "repo")
    settings = {"git": repo, "k": 2, "timeout": 60, **source}
    local = synth.generate(tmp_path / "local", "code", settings)
    ray = synth.generate(tmp_path / "ray", "code", settings, executor=ray_executor)
    assert local.tuples >= 1 and (local.tuples, local.rejected) == (ray.tuples, ray.rejected)
    for journal in (Run.TUPLES, Run.REJECTIONS):
        a, b = tmp_path / "local" / journal, tmp_path / "ray" / journal
        assert a.exists() == b.exists()
        if a.exists():
            assert a.read_bytes() == b.read_bytes(), journal
    indexes = [t.environment.index for t in Run.open(tmp_path / "ray").tuples()]
    assert indexes == list(range(len(indexes)))  # numbered on the writer, in candidate order
