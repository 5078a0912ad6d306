"""The settings of `synth generate interpreter`: categories, sizes, the task file and the kernel's limits.

Sits between the command line (each field is an option `--field-name`, its docstring the help) and
the interpreter generator. Guarantees: a bad value is refused with one line before the run
directory exists (an unknown category, `file` without --from, a task file that is unreadable or
has a bad line, named with its line number; a disk quota that is not a size); `--from FILE` alone
gives the file's tasks only, categories named beside it add generated ones; the task file's path is made absolute and its digest
goes into the stage config, so a re-run from another folder resumes and a re-run over an edited
file is refused rather than mixed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, field_validator, model_validator

from synth import FamilySettings, Flag

GENERATED = ("data", "math", "logic")
"""Categories made procedurally; `file` comes from --from."""
CATEGORIES = (*GENERATED, "file")


class InterpreterSettings(FamilySettings):
    """What to generate and how each task's kernel runs."""

    category: Annotated[list[str], Flag("-c")] = Field(default_factory=list)
    """data, math, logic or file (repeatable); default: data, math and logic, or only the file's tasks when --from is given (name categories as well to add generated tasks)."""
    n: int = Field(10, ge=1, le=1_000_000)
    """Tuples per generated category (a task file gives one tuple per task)."""
    seed: int = Field(0, ge=0)
    """Seed; (category, seed, index, difficulty) fixes a generated tuple."""
    difficulty: Annotated[int, Flag("-d")] = Field(3, ge=1, le=5)
    """1 (easy) .. 5 (hard): rows of data, sizes of graphs, matrices and searches."""
    from_file: Annotated[Path | None, Flag("--from")] = None
    """A JSONL file of your own tasks (question, files, answer, answer_type, tolerance, solution)."""
    timeout: float = Field(120.0, gt=0, le=3600)
    """Seconds one execution may run before it is interrupted (the report's setting: 120)."""
    max_executions: int = Field(20, ge=1, le=1000)
    """Executions of the python tool allowed per episode (the report's setting: 20)."""
    disk: str = "1g"
    """Disk quota of each kernel: the size of its writable /work folder and of any one file (a tmpfs inside the kernel's 2g memory limit; e.g. 512m, 1g)."""
    nofile: int = Field(4096, ge=64, le=1 << 20)
    """Most open files per process in each kernel's container."""
    inodes: int | None = Field(None, ge=64, le=1 << 24)
    """Most files and folders in each kernel's writable storage (default 65536)."""

    @field_validator("disk")
    @classmethod
    def _size(cls, value: str) -> str:
        from synth.sandbox import size_bytes

        try:
            size = size_bytes(value)
        except ValueError:
            raise ValueError(f"--disk takes a size such as 512m or 1g, not {value!r}") from None
        if size < 16 << 20:
            raise ValueError(f"--disk must be at least 16m, not {value!r}")
        return value

    @field_validator("category")
    @classmethod
    def _known(cls, names: list[str]) -> list[str]:
        for name in names:
            if name not in CATEGORIES:
                raise ValueError(f"unknown interpreter category {name!r}; known: {', '.join(CATEGORIES)}")
        return names

    @field_validator("from_file")
    @classmethod
    def _absolute(cls, path: Path | None) -> Path | None:
        return None if path is None else Path(path).expanduser().resolve()

    @model_validator(mode="after")
    def _file_needs_from(self) -> "InterpreterSettings":
        if "file" in self.category and self.from_file is None:
            raise ValueError("--category file needs --from FILE (a JSONL file of tasks)")
        return self

    def chosen(self) -> list[str]:
        """Categories to generate, in a fixed order."""
        if self.category:
            picked = set(self.category)
            if self.from_file is not None:
                picked.add("file")
        else:  # --from alone gives the file's tasks only
            picked = {"file"} if self.from_file is not None else set(GENERATED)
        return [name for name in CATEGORIES if name in picked]

    def stage_config(self, file_digest: str | None) -> dict[str, Any]:
        return {"family": "interpreter", "categories": self.chosen(), "n": self.n, "seed": self.seed,
                "difficulty": self.difficulty, "from": None if self.from_file is None else str(self.from_file),
                "from_sha256": file_digest, "timeout": self.timeout, "max_executions": self.max_executions,
                "disk": self.disk, "nofile": self.nofile, **({} if self.inodes is None else {"inodes": self.inodes})}
