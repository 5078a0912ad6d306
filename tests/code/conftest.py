"""Fixtures of the code family tests: a git repository the tests make themselves, and (with Docker)
one generated run over it that many tests share (the base image is built once and cached by hash)."""

from __future__ import annotations

from pathlib import Path

import pytest
from code_repos import make_repo


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
