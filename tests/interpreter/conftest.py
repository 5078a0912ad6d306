"""Fixtures of the interpreter tests: the kernel image (built once per machine, cached by the hash of
its recipe, shared by the whole run), kernels over small data files, and a task file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from synth.environments.interpreter import Kernel, KernelSettings


@pytest.fixture(scope="session")
def kernel_image(base_image: str) -> str:
    """The interpreter kernel image (numpy, pandas, sympy on the base image); `base_image` has
    already checked that an engine answers (skipped locally without one, failing under CI)."""
    from synth.environments.interpreter import kernel_image

    return kernel_image()


@pytest.fixture(scope="session")
def data_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("data")
    (folder / "numbers.csv").write_text("x,y\n1,2\n3,4\n")
    (folder / "numbers.csv").chmod(0o644)
    return {"numbers.csv": folder / "numbers.csv"}


def start_kernel(files: dict[str, Path], **settings) -> Kernel:
    return Kernel(KernelSettings(**settings), files)


@pytest.fixture
def kernel(kernel_image: str, data_files: dict[str, Path]):
    """A fresh kernel with a 1.5 s execution timeout; removed afterwards."""
    with start_kernel(data_files, timeout=1.5) as k:
        yield k


@pytest.fixture(scope="module")
def shared_kernel(kernel_image: str, data_files: dict[str, Path]):
    """One kernel for tests that leave it usable (each names its own variables)."""
    with start_kernel(data_files, timeout=10) as k:
        yield k


def write_tasks(folder: Path, lines: list[dict | str]) -> Path:
    """A task file with one data file, scores.csv; dict lines are JSON, str lines are written as is."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "scores.csv").write_text("name,score\nada,3\nbo,5\ncy,4\n")
    path = folder / "tasks.jsonl"
    path.write_text("".join((json.dumps(line) if isinstance(line, dict) else line) + "\n" for line in lines))
    return path


GOOD_TASK = {"id": "best", "question": "Who scored highest in /data/scores.csv?", "files": ["scores.csv"],
             "answer": ["bo"], "answer_type": "list",
             "solution": "import pandas as pd, json\ns = pd.read_csv('/data/scores.csv')\n"
                         "print(json.dumps([s.loc[s.score.idxmax(), 'name']]))"}
