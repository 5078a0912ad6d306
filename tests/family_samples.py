"""What the family conformance suite (tests/families) needs of each family: small generate settings.

Procedural families (settings `ItemSettings`) need nothing here: every category at a low
difficulty. A family with settings of its own adds a provider below (settings for a small sample,
a larger one for the kill-and-resume test, and its pytest marks); a registered family with neither
fails the suite, so no family goes unchecked. Importable from any test as `family_samples`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pytest

import synth


@dataclass
class Provider:
    sample: Callable[[Path], dict[str, Any]]
    """Settings of the shared sample run (tools, gold, controls, regrading are checked on it)."""
    resume: Callable[[Path], dict[str, Any]]
    """Settings with enough work that a stage can be killed in the middle."""
    marks: list[Any] = field(default_factory=list)


ITEMS = Provider(sample=lambda tmp: {"n": 2, "seed": 11, "difficulty": 2},
                 resume=lambda tmp: {"n": 30, "seed": 12, "difficulty": 2})

def _code(tmp: Path, **settings: Any) -> dict[str, Any]:
    from code_repos import make_repo

    return {"git": str(make_repo(tmp / "origin")), "k": 2, "timeout": 60, **settings}


def _interpreter_tasks(tmp: Path) -> Path:
    """A task file of two lines (one with a data file and a solution, one without either)."""
    import json

    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "scores.csv").write_text("name,score\nada,3\nbo,5\ncy,4\n")
    lines = [
        {"id": "best", "question": "Who has the highest score in /data/scores.csv?", "files": ["scores.csv"],
         "answer": ["bo"], "answer_type": "list",
         "solution": "import pandas as pd\nimport json\ns = pd.read_csv('/data/scores.csv')\n"
                     "print(json.dumps([s.loc[s.score.idxmax(), 'name']]))"},
        {"question": "What is 2 to the power 0.5?", "answer": 1.4142135623730951, "answer_type": "number",
         "tolerance": {"rel": 1e-9, "abs": 0}},
    ]
    (tmp / "tasks.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    return tmp / "tasks.jsonl"


def _synthesized(tmp: Path, **settings: Any) -> dict[str, Any]:
    from agent_script import agent_server

    return {"category": ["hotel booking"], "base_url": agent_server(), "model": "scripted", **settings}


PROVIDERS: dict[str, Provider] = {
    # the calc repository's history (its newest fix becomes the task); mutating it gives the resume
    # test two tasks to be killed between (a code task's verify runs 14 controls in containers, so
    # each task here costs about a minute on two cores)
    "code": Provider(sample=lambda tmp: _code(tmp, n=1), resume=lambda tmp: _code(tmp, n=2, mutate=True),
                     marks=[pytest.mark.docker]),
    # one task of each generated category and the two of a task file; the resume test kills
    # generation among data tasks of 30,000 rows and verification among kernels
    "interpreter": Provider(sample=lambda tmp: {"n": 1, "seed": 11, "difficulty": 1, "category": ["data", "math", "logic"],
                                                "from_file": str(_interpreter_tasks(tmp / "file"))},
                            resume=lambda tmp: {"category": ["data"], "n": 6, "seed": 12, "difficulty": 4},
                            marks=[pytest.mark.docker]),
    # the factbook (every answer type, small and quick); the resume test kills a wiki run, slower per task
    "search": Provider(sample=lambda tmp: {"corpus": "factbook", "n": 4, "seed": 2, "hops": 2},
                       resume=lambda tmp: {"corpus": "wiki", "n": 24, "seed": 4, "hops": 2}),
    # a scripted model (tests/agent_script.py, served over HTTP for the CLI runs) writes the hotel
    # environment: a two-level chain for the sample, two one-level sessions to be killed between
    "synthesized": Provider(sample=lambda tmp: _synthesized(tmp, n=1, difficulty=2),
                            resume=lambda tmp: _synthesized(tmp, n=2, difficulty=1), marks=[pytest.mark.docker]),
}


def provider(name: str) -> Provider:
    fam = synth.family(name)
    if name in PROVIDERS:
        return PROVIDERS[name]
    if issubclass(fam.settings, synth.ItemSettings):
        return ITEMS
    pytest.fail(f"family {name} has settings of its own: add a provider to tests/families/conftest.py")


def cli_args(settings: dict[str, Any]) -> list[str]:
    """`synth generate FAMILY` options for a settings dict (lists repeat, booleans are flags)."""
    args: list[str] = []
    for name, value in settings.items():
        flag = f"--{name.replace('_', '-')}"
        if isinstance(value, bool):
            args.append(flag if value else f"--no-{flag[2:]}")
        elif isinstance(value, (list, tuple)):
            for item in value:
                args += [flag, str(item)]
        elif value is not None:
            args += [flag, str(value)]
    return args


def installed_families() -> list[str]:
    """Families that come from an installed `synth.plugins` entry point (not the ad-hoc families
    some tests register in-process)."""
    from importlib import metadata

    roots = [entry.value.split(":")[0] for entry in metadata.entry_points(group="synth.plugins")]
    return sorted(name for name, fam in synth.families().items()
                  if any(type(fam).__module__ == root or type(fam).__module__.startswith(root + ".") for root in roots))


def family_params() -> list[Any]:
    return [pytest.param(name, marks=PROVIDERS[name].marks if name in PROVIDERS else [], id=name)
            for name in installed_families()]
