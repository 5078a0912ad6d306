"""The code family's language layer: one module per language beside Python's pytest harness.

Sits between the code family's generator and grading (`_generate.py`, `_family.py`) and the
sandbox: a `Language` (`_base.py`) detects a project by its manifest, gives the Debian packages of
its toolchain image, the setup script of its environment image, which files are tests and
configuration (protected at grading), the test processes of a reading (all tests or some ids),
how each process's stream reads, a static tamper scan of a diff and its exploit null controls.
`_run.py` executes them (readings with synth's canary test, validation, grading runs). Python is
not here: it keeps its own harness (`synth.verifiers.code`), and `detect` answers "python" for it.
"""

from __future__ import annotations

from pathlib import Path

from ._base import CANARY, Case, Language, Plan, Process, Stream, StreamRunner, junit, register_runner, to_run
from .go import Go
from .java import Java
from .javascript import JavaScript, TypeScript, manifest_of
from .rust import Rust
from ._controls import exploit_controls

LANGUAGES: dict[str, Language] = {lang.name: lang for lang in (Go(), TypeScript(), JavaScript(), Rust(), Java())}
"""Every language beside Python, by name."""
for _lang in LANGUAGES.values():
    for _runner in _lang.runners:
        register_runner(_runner)


def language(name: str) -> Language:
    """The language `name`; KeyError naming the known ones."""
    if name not in LANGUAGES:
        raise KeyError(f"unknown language {name!r}; known: python, {', '.join(LANGUAGES)}")
    return LANGUAGES[name]


def detect(root: Path) -> str:
    """The language of the project at `root`: the first whose manifest is there, else python."""
    if any((root / m).exists() for m in ("pyproject.toml", "setup.py", "setup.cfg")):
        return "python"
    for lang in LANGUAGES.values():
        if lang.detect(root):
            return lang.name
    return "python"


__all__ = ["CANARY", "Case", "Go", "Java", "JavaScript", "TypeScript", "LANGUAGES", "Language", "Plan", "Process", "Rust", "Stream", "StreamRunner",
           "detect", "exploit_controls", "junit", "language", "manifest_of", "register_runner", "to_run"]
