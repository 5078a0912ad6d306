"""general.constraints: grade a general-family answer against the tuple's stored database.

Sits under the general family and over the core: one checker module per category
(`trip_planning`, `meeting_scheduling`, `shopping`, `course_timetabling`), each owning its answer
schema, its rule list and its checks, with the domain rules it shares with the generator and the
gold solver under `rules/`. A reviewer of a reward function reads one checker module; a generator
edit cannot change grading. Grading is a pure function of the stored tuple (its database asset and
task parameters) and the submission text, so any trajectory can be regraded offline.

One rule list per category (`Rule`: a check name and the sentence a prompt states) is the source
of both the task's prompt and its grading: the prompt states exactly the rules that apply to the
task (`Checker.statements`) and grading returns exactly their checks, in order; a checker that
returns any other list is a bug and grades as an error. The answer must be strict JSON text
(`format.*`: size, repeated keys, numbers, depth, lone surrogates, see `synth.strict_loads`) of the
category's shape (`format`); then one check per rule. Checkers of third-party general categories
register with `register_checker`.
"""

from __future__ import annotations

import importlib
import sqlite3
from dataclasses import dataclass
from typing import Any, Callable

from synth import Check, ConfigError, Run, TupleRecord, VerifierError, register_verifier, render

from ._common import ANSWER_RULES, LIMITS, Rule, check, parse_answer, shape_problem
from ._db import db_facts, environment_db, load_db, rows, stored_db

CheckFn = Callable[[sqlite3.Connection, dict[str, Any], Any], "list[Check]"]


@dataclass(frozen=True)
class Checker:
    """The grading side of one general category."""

    name: str
    """Category name."""
    answer_schema: dict[str, Any]
    """JSON Schema the parsed answer must match (the `format` rule states it)."""
    rules: tuple[Rule, ...]
    """Every rule the category can state, in the order grading returns their checks: `format`,
    the answer rules (`format.*`), then the category's own."""
    check: CheckFn
    """One check per rule that applies, for a parsed, well-shaped answer (the `format.*` checks
    are the caller's)."""

    @classmethod
    def build(cls, name: str, answer_schema: dict[str, Any], rules: tuple[Rule, ...], check: CheckFn) -> "Checker":
        """A checker whose rule list `rules` starts with its `format` rule (the answer's shape); the
        answer rules (`format.*`) are added after it."""
        if not rules or rules[0].check != "format" or rules[0].when is not None:
            raise ValueError(f"general checker {name!r}: the rule list starts with an unconditional 'format' rule")
        full = (rules[0], *ANSWER_RULES, *rules[1:])
        if len({r.check for r in full}) != len(full):
            raise ValueError(f"general checker {name!r}: two rules share a check name")
        return cls(name, answer_schema, full, check)

    @property
    def checks(self) -> tuple[str, ...]:
        """Every check name grading can return (documentation, perturbation targets)."""
        return tuple(r.check for r in self.rules)

    def stated(self, params: dict[str, Any]) -> list[Rule]:
        """The rules a task with `params` states and grading checks, in order."""
        return [r for r in self.rules if r.applies(params)]

    def statements(self, params: dict[str, Any]) -> list[tuple[str, str]]:
        """(check name, sentence) of every rule a task with `params` states, in order. Sentences
        with no template syntax are used as they are; the others are rendered in one pass."""
        stated = self.stated(params)
        dynamic = [r.text for r in stated if "{{" in r.text or "{%" in r.text]
        rendered = iter(_render_all(dynamic, params))
        return [(r.check, next(rendered) if "{{" in r.text or "{%" in r.text else r.text) for r in stated]

    def grade(self, db: sqlite3.Connection, params: dict[str, Any], submission: Any) -> list[Check]:
        """Parse the submitted text and check it: an answer that is not strict JSON of the right
        shape fails on the one check that names why, and nothing else is checked; otherwise one
        check per stated rule, in order."""
        answer, failed = parse_answer(submission, self.answer_schema)
        if failed is not None:
            return [failed]
        checks = [*_PASSED_FORMAT, *self.check(db, params, answer)]
        names = [c.name for c in checks]
        expected = [r.check for r in self.stated(params)]
        if names != expected:
            raise VerifierError(f"general/{self.name} checker returned checks {names} but the task states {expected}")
        return checks


_SEPARATOR = "\x1e"
"""Joins the templates of one task's sentences into one template (a control character no
sentence and no task parameter holds)."""


def _render_all(texts: list[str], params: dict[str, Any]) -> list[str]:
    """Each template of `texts` rendered with the task params and `LIMITS`: one jinja2 render for all."""
    if not texts:
        return []
    out = render(_SEPARATOR.join(texts), limits=LIMITS, **params).split(_SEPARATOR)
    if len(out) != len(texts):  # a parameter held the separator after all: one render each
        out = [render(text, limits=LIMITS, **params) for text in texts]
    return [text.strip() for text in out]


_PASSED_FORMAT = tuple(check(name, True) for name in ("format", *(r.check for r in ANSWER_RULES)))
"""The format checks of every answer that parsed (frozen records, shared)."""

_checkers: dict[str, Checker] = {}
_BUILT_IN = ("trip_planning", "meeting_scheduling", "shopping", "course_timetabling")


def register_checker(name: str, answer_schema: dict[str, Any], rules: tuple[Rule, ...]) -> Callable[[CheckFn], CheckFn]:
    """Decorator: the check function of general category `name`, whose rule list `rules` starts with
    its `format` rule (the answer's shape); the answer rules (`format.*`) are added after it."""

    def decorate(fn: CheckFn) -> CheckFn:
        if name in _checkers:
            raise ValueError(f"general checker {name!r} is registered twice")
        _checkers[name] = Checker.build(name, answer_schema, rules, fn)
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


__all__ = ["ANSWER_RULES", "LIMITS", "Checker", "Rule", "check", "checker", "db_facts", "environment_db", "load_db",
           "parse_answer", "register_checker", "rows", "shape_problem", "stored_db"]
