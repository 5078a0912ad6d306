"""Unified diffs: split a fix into a gold patch (source) and a test patch (tests), by path rules.

Sits at the start of code generation (mining) and at grading (the agent's diff is filtered here);
diffs are read by the code verifier's strict reader (`synth.verifiers.code.parse`), so what is
split or filtered here is what `git apply` will write. Guarantees: splitting is lossless (every
file section of the input lands in exactly one of the two outputs, byte for byte); path rules are
per language and documented in `TEST_RULES`; a diff that is not a git unified diff is a
`PatchError` naming the problem.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

from synth import GenerationError
from synth.verifiers.code import DiffError, FileDiff
from synth.verifiers.code import parse as parse_strictly


class PatchError(GenerationError):
    """A diff synth cannot read."""


# Per-language rules: a path is a test file when any pattern matches (fnmatch on the posix path,
# plus directory names). Other languages follow by adding a row.
TEST_DIRS = {"test", "tests", "testing", "__tests__", "spec", "specs"}
TEST_RULES: dict[str, tuple[str, ...]] = {
    "python": ("test_*.py", "*_test.py", "tests.py", "conftest.py"),
    "javascript": ("*.test.js", "*.spec.js", "*.test.ts", "*.spec.ts", "*.test.jsx", "*.test.tsx"),
    "go": ("*_test.go",),
    "java": ("*Test.java", "*Tests.java", "*IT.java"),
    "php": ("*Test.php",),
    "c": ("test_*.c", "*_test.c", "test_*.cpp", "*_test.cpp", "*_test.cc"),
}
# Files that change how tests run: never taken from an agent's diff at grading (pytest reads the
# first five by name, pytest.toml and .pytest.toml since pytest 9).
TEST_CONFIG = ("conftest.py", "pytest.ini", ".pytest.ini", "pytest.toml", ".pytest.toml", "tox.ini", "setup.cfg",
               "pyproject.toml", "noxfile.py", "sitecustomize.py", "usercustomize.py", "*.pth", ".coveragerc",
               "Makefile")


def _match(path: str, patterns: tuple[str, ...]) -> bool:
    pure = PurePosixPath(path)
    return any(pure.match(p) for p in patterns)


def is_test_path(path: str, language: str | None = None) -> bool:
    """Whether `path` is a test file by the rules of `language` (all languages when None)."""
    parts = PurePosixPath(path).parts
    if any(part.lower() in TEST_DIRS for part in parts[:-1]):
        return True
    rules = TEST_RULES.values() if language is None else [TEST_RULES.get(language, ())]
    return any(_match(path, r) for r in rules)


def is_protected_path(path: str) -> bool:
    """Test files and test configuration: what an agent's diff may not change at grading."""
    return is_test_path(path) or _match(path, TEST_CONFIG)


def parse(diff: str) -> list[FileDiff]:
    """File sections of a git diff, read strictly; PatchError when it is not one."""
    try:
        return parse_strictly(diff)
    except DiffError as exc:
        raise PatchError(str(exc)) from None


@dataclass(frozen=True)
class Split:
    gold: str
    """Source changes."""
    tests: str
    """Test changes."""
    gold_files: tuple[str, ...]
    test_files: tuple[str, ...]


def split(diff: str, language: str = "python") -> Split:
    """Split a fix into its gold patch and its test patch."""
    gold, tests = [], []
    for section in parse(diff):
        (tests if is_test_path(section.path, language) else gold).append(section)
    return Split(
        gold="".join(s.text for s in gold),
        tests="".join(s.text for s in tests),
        gold_files=tuple(s.path for s in gold),
        test_files=tuple(s.path for s in tests),
    )


def runnable_test_files(test_patch: str) -> list[str]:
    """Python test modules the test patch leaves in place (deleted files and conftest.py excluded):
    the files a validation or grading run passes to pytest."""
    return [s.new_path for s in parse(test_patch)
            if s.new_path != "/dev/null" and s.new_path.endswith(".py") and not s.new_path.endswith("conftest.py")]


def drop_protected(diff: str) -> tuple[str, list[str]]:
    """The diff without sections touching tests or test configuration, and the dropped paths."""
    kept, dropped = [], []
    for section in parse(diff):
        if any(is_protected_path(path) for path in section.paths):
            dropped.append(section.path)
        else:
            kept.append(section.text)
    return "".join(kept), dropped


def size(diff: str) -> int:
    """Changed lines (added + removed)."""
    return sum(s.added + s.removed for s in parse(diff))
