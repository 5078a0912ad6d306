"""Fixtures of the code family tests: git repositories the tests make themselves, and (with Docker)
one generated run over each that many tests share (the base image is built once and cached by hash)."""

from __future__ import annotations

from pathlib import Path

import pytest
from code_repos import make_repo, make_unittest_repo


@pytest.fixture
def calc_repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path)


@pytest.fixture(scope="session")
def session_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_repo(tmp_path_factory.mktemp("repo"))


@pytest.fixture(scope="session")
def calc_run(tmp_path_factory: pytest.TempPathFactory, session_repo: Path, base_image: str):
    """A run generated from the calc repository's history (k=3), shared by the Docker tests."""
    import synth

    run = synth.Run.create(tmp_path_factory.mktemp("run") / "calc")
    synth.generate(run, "code", {"git": session_repo, "n": 5, "k": 3, "timeout": 60})
    return run


@pytest.fixture(scope="session")
def shapes_run(tmp_path_factory: pytest.TempPathFactory, base_image: str):
    """A run generated from the shapes repository (a unittest TestCase suite, k=1): one task."""
    import synth

    run = synth.Run.create(tmp_path_factory.mktemp("run") / "shapes")
    repo = make_unittest_repo(tmp_path_factory.mktemp("shapes"))
    synth.generate(run, "code", {"git": repo, "n": 1, "k": 1, "timeout": 60})
    return run


@pytest.fixture(scope="session")
def calc_mutant_run(tmp_path_factory: pytest.TempPathFactory, session_repo: Path, base_image: str):
    """One mutation task of the calc repository at HEAD (the whole suite runs; seed 1 breaks sub(),
    whose test module pytest collects after test_calc.py has imported calc; k=2 drops the flaky test)."""
    import synth

    run = synth.Run.create(tmp_path_factory.mktemp("run") / "calc-mutants")
    synth.generate(run, "code", {"git": session_repo, "mutate": True, "n": 1, "k": 2, "seed": 1, "timeout": 60})
    return run
