"""general.constraints: grade a general-family answer against the tuple's stored database.

Sits under the general family and over the core: one checker module per category
(`trip_planning`, `meeting_scheduling`, `shopping`, `course_timetabling`), each owning its answer
schema, its check names and its checks, with the domain rules it shares with the generator and the
gold solver under `rules/`. A reviewer of a reward function reads one checker module; a generator
edit cannot change grading. Grading is a pure function of the stored tuple (its database asset and
task parameters) and the submission text, so any trajectory can be regraded offline. The answer
must be JSON matching the category's schema (check `format`); then one check per constraint.
Checkers of third-party general categories register with `register_checker`.
"""

from __future__ import annotations

import importlib
import sqlite3
from dataclasses import dataclass
from typing import Any, Callable

from synth import Check, ConfigError, Run, TupleRecord, register_verifier

from ._common import check, parse_answer, shape_problem
from ._db import db_facts, environment_db, load_db, rows, stored_db

CheckFn = Callable[[sqlite3.Connection, dict[str, Any], Any], "list[Check]"]


@dataclass(frozen=True)
class Checker:
    """The grading side of one general category."""

    name: str
    """Category name."""
    answer_schema: dict[str, Any]
    """JSON Schema the parsed answer must match (the prompt states it)."""
    checks: tuple[str, ...]
    """Every check name grading can return, `format` included (documentation, perturbation targets)."""
    check: CheckFn
    """One check per constraint for a parsed, well-shaped answer."""

    def grade(self, db: sqlite3.Connection, params: dict[str, Any], submission: Any) -> list[Check]:
        """Parse the submitted text and check it; a non-JSON or wrongly shaped answer fails `format`."""
        answer, fmt = parse_answer(submission, self.answer_schema)
        if not fmt.passed:
            return [fmt]
        return [fmt, *self.check(db, params, answer)]


_checkers: dict[str, Checker] = {}
_BUILT_IN = ("trip_planning", "meeting_scheduling", "shopping", "course_timetabling")


def register_checker(name: str, answer_schema: dict[str, Any], checks: tuple[str, ...]) -> Callable[[CheckFn], CheckFn]:
    """Decorator: the check function of general category `name`."""

    def decorate(fn: CheckFn) -> CheckFn:
        if name in _checkers:
            raise ValueError(f"general checker {name!r} is registered twice")
        names = tuple(checks) if "format" in checks else ("format", *checks)
        _checkers[name] = Checker(name, answer_schema, names, fn)
        return fn

    return decorate


def checker(name: str) -> Checker:
    """The registered checker of a general category (built-in ones load on first use)."""
    if name not in _checkers and name in _BUILT_IN:
        importlib.import_module(f"{__name__}.{name}")
    if name not in _checkers:
        raise ConfigError(f"no general checker {name!r}; known: {', '.join(sorted(set(_checkers) | set(_BUILT_IN)))}")
    return _checkers[name]


@register_verifier("general.constraints")
def general_constraints(
    record: TupleRecord, submission: Any, run: Run, *, category: str, trajectory: Any = None
) -> list[Check]:
    return checker(category).grade(stored_db(run, record.environment.state["db"]), record.task.metadata, submission)


__all__ = ["Checker", "check", "checker", "db_facts", "environment_db", "load_db", "parse_answer", "register_checker", "rows",
           "shape_problem", "stored_db"]
