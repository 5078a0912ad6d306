"""What every general category builds on: the category contract and generation helpers.

Sits between the general family and its category packages. A category is a procedural generator of
a sandbox SQLite database with a feasible task (`build`: planted, or a random instance the CP-SAT
oracle of `_oracle` solves and proves unique), task-specific tools over it,
a tools-only gold solver (`solve`), tools-only baseline agents that a hard task must defeat
(`baselines`) and perturbations of a gold answer (`perturb`); its grading lives in
`synth.verifiers.general.<name>` (reached as `checker`), never here.

Guarantees: an item is a pure function of (category, seed, index, difficulty), with one
`random.Random` per item (`item_rng`), so the same arguments give byte-identical tuples and
databases.
"""

from __future__ import annotations

import functools
import importlib
import json
import random
import sqlite3
from dataclasses import dataclass
from typing import Any, Callable, ClassVar

from synth import Check, Control, Tool, ToolClient, render, tool_from_function
from synth.verifiers.general import Checker, checker

SYSTEM_PROMPT = (
    "You are an agent working in a sandboxed environment. You can only learn about the environment "
    "through the tools provided. Use them to gather the facts you need, make sure every stated "
    "constraint holds, then call submit_result exactly once with your final answer as JSON text."
)


def submit_result(db: sqlite3.Connection, answer_text: str) -> str:
    """Submit the final answer. This ends the task; it can be called only once.

    Args:
        answer_text: The answer as JSON text, in the format the task asks for.
    """
    return answer_text


SUBMIT = tool_from_function(submit_result, submit=True)


RULES_BLOCK = """
Rules:
{% for rule in rules %}
- {{ rule }}
{% endfor %}

Answer:
{% for rule in answer %}
- {{ rule }}
{% endfor %}
"""
"""The end of every category's prompt template: the task's rules and the answer's, each a sentence
its checker's rule list states for the task (`Checker.statements`), one per check."""


@functools.lru_cache(maxsize=32)
def _empty(schema: str) -> bytes:
    db = sqlite3.connect(":memory:")
    db.executescript(schema)
    data = db.serialize()
    db.close()
    return data


def new_db(schema: str) -> sqlite3.Connection:
    """An in-memory database with `schema` (a script of CREATE statements); the empty database is
    built once per schema and copied, which is much cheaper than running the script each time."""
    db = sqlite3.connect(":memory:")
    db.deserialize(_empty(schema))
    return db


@dataclass
class Built:
    """What a category's generator returns."""

    db: sqlite3.Connection
    """The filled sandbox database."""
    params: dict[str, Any]
    """Task parameters: everything the prompt states (rendered into the template), JSON-safe."""
    answer: Any = None
    """The oracle's answer (a generator that solves its instance with CP-SAT: the only answer the
    task has), never stored: the family checks that the tool-only gold solver finds it. None: the
    generator has no oracle."""


def answer_text(value: Any) -> str:
    """An answer as the JSON text a submission carries."""
    return json.dumps(value, ensure_ascii=False)


def one_per_check(options: list[tuple[str, str, Any]], limit: int = 6) -> list[Control]:
    """Controls from (name, check it breaks, answer) options: the first option for each check, at
    most `limit`. The options are not filtered through the verifier, so a verifier that misses one
    shows up as an unsound control."""
    controls: list[Control] = []
    seen: set[str] = set()
    for name, breaks, answer in options:
        if breaks not in seen and len(controls) < limit:
            controls.append(Control(name, answer_text(answer), breaks))
            seen.add(breaks)
    return controls


class GeneralCategory:
    """One procedural category of the general family: a package whose `__init__` defines the
    subclass (registered with `@register_category("general", NAME)`) and whose modules `_build`
    (`build(rng, difficulty)`), `_solve` (`solve(client, params)`, tools only), `_baselines`
    (`BASELINES`: name -> `fn(client, params)`, tools only) and `_perturb` (`perturb(db, params,
    answer, rng)`) are its parts; its checker of the same name lives in `synth.verifiers.general`."""

    name: ClassVar[str]
    description: ClassVar[str]
    template: ClassVar[str]
    """jinja2 template of the user prompt, rendered with the task params (StrictUndefined) plus
    `rules` and `answer`, the sentences of the rules the task states; it ends with `RULES_BLOCK`."""
    schema: ClassVar[str]
    """SQL script creating the sandbox database's tables."""
    tools: ClassVar[list[Tool]]
    """The category's tools; the last is SUBMIT."""

    @property
    def checker(self) -> Checker:
        """The grading side of this category (in synth.verifiers.general)."""
        return checker(self.name)

    @property
    def answer_schema(self) -> dict[str, Any]:
        """JSON Schema of the parsed answer (owned by the checker)."""
        return self.checker.answer_schema

    @property
    def check_names(self) -> tuple[str, ...]:
        """Every check name grading can return (owned by the checker)."""
        return self.checker.checks

    def _part(self, name: str) -> Any:
        """A module of the category's package (`_build`, `_solve`, `_perturb`)."""
        return importlib.import_module(f"{type(self).__module__}.{name}")

    def build(self, rng: random.Random, difficulty: int) -> Built:
        """Fill a database and choose task params so that a solution exists: `_build.build`."""
        return self._part("_build").build(rng, difficulty)

    def solve(self, client: ToolClient, params: dict[str, Any]) -> None:
        """Gold solution, tool calls only, ending with client.submit_result: `_solve.solve`."""
        self._part("_solve").solve(client, params)

    @property
    def baselines(self) -> dict[str, Callable[[ToolClient, dict[str, Any]], None]]:
        """Baseline agents by name (`_baselines.BASELINES`): cheap strategies with the gold solver's
        interface (a ToolClient and the task params, ending with a submission) that every hard
        tuple must defeat: greedy first-fit over the stated rules, the cheapest or first choice,
        and one per known leak of the generator."""
        return self._part("_baselines").BASELINES

    @property
    def whitebox(self) -> dict[str, Callable[[ToolClient, dict[str, Any]], None]]:
        """White-box baselines by name (`_whitebox.WHITEBOX`, issue 18): agents written by reading
        this category's generator, each exploiting a structure it leaves behind (isolated choices,
        look-ahead, link counts, coupon pairings) without search. Same interface as `baselines`;
        `benchmarks/ladder_general.py` measures them and tests/general/test_whitebox.py holds each
        one that wins as a strict xfail. `synth verify` runs them beside `baselines` (the easy-tuple
        gate). A category package without a `_whitebox` module has none."""
        try:
            return self._part("_whitebox").WHITEBOX
        except ModuleNotFoundError as exc:
            if exc.name != f"{type(self).__module__}._whitebox":
                raise
            return {}

    def perturb(self, db: sqlite3.Connection, params: dict[str, Any], answer: Any, rng: random.Random) -> list[Control]:
        """At least three edits of the gold answer, each breaking a different named check:
        `_perturb.perturb`."""
        return self._part("_perturb").perturb(db, params, answer, rng)

    def prompt(self, params: dict[str, Any]) -> str:
        """The user prompt of a task: the template with the rules its checker states for `params`
        (task rules under Rules, `format` ones under Answer)."""
        statements = self.checker.statements(params)
        return render(self.template, rules=[text for name, text in statements if not name.startswith("format")],
                      answer=[text for name, text in statements if name.startswith("format")], **params)

    def check(self, db: sqlite3.Connection, params: dict[str, Any], answer: Any) -> list[Check]:
        """The checker's checks of a parsed answer."""
        return self.checker.check(db, params, answer)

    def verify(self, db: sqlite3.Connection, params: dict[str, Any], submission: Any) -> list[Check]:
        """The checker's grade of a submitted text (`format`, then one check per constraint)."""
        return self.checker.grade(db, params, submission)


def first_fit_baselines(first_fit: Callable[..., None], seed: Callable[[dict[str, Any]], str]
                        ) -> dict[str, Callable[[ToolClient, dict[str, Any]], None]]:
    """The baseline set of a category that places items one at a time (meetings, sessions) with
    `first_fit(client, params, *, every_rule=True, fewest_first=False, roomiest=False, rng=None)`:
    greedy (task order, earliest place, every rule), first_choice (the conditional and global rules
    ignored), constrained_first (fewest places first), roomiest (largest rooms first) and random_fit
    (a random place that keeps every rule, seeded by `seed(params)`)."""

    def greedy(client: ToolClient, params: dict[str, Any]) -> None:
        first_fit(client, params)

    def first_choice(client: ToolClient, params: dict[str, Any]) -> None:
        first_fit(client, params, every_rule=False)

    def constrained_first(client: ToolClient, params: dict[str, Any]) -> None:
        first_fit(client, params, fewest_first=True)

    def roomiest(client: ToolClient, params: dict[str, Any]) -> None:
        first_fit(client, params, roomiest=True)

    def random_fit(client: ToolClient, params: dict[str, Any]) -> None:
        first_fit(client, params, rng=random.Random(seed(params)))

    return {"greedy": greedy, "first_choice": first_choice, "constrained_first": constrained_first,
            "roomiest": roomiest, "random_fit": random_fit}


class ItemRandom(random.Random):
    """random.Random whose choice and randrange draw one float each (about three times faster than
    the rejection sampling of the base class; generators make thousands of draws per item). Still a
    pure function of its seed."""

    def choice(self, seq: Any) -> Any:
        if not seq:
            raise IndexError("cannot choose from an empty sequence")
        return seq[int(self.random() * len(seq))]

    def randrange(self, start: int, stop: int | None = None, step: int = 1) -> int:  # type: ignore[override]
        if stop is None:
            start, stop = 0, start
        if step != 1:
            return super().randrange(start, stop, step)
        if stop <= start:
            raise ValueError(f"empty range for randrange({start}, {stop})")
        return start + int(self.random() * (stop - start))


def item_rng(category_name: str, seed: int, index: int, difficulty: int) -> random.Random:
    """The one random stream of an item."""
    return ItemRandom(f"general:{category_name}:{seed}:{index}:{difficulty}")
