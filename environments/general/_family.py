"""The general family: synthesized constraint environments (report section 3.2.3, general agent).

Each category (a package beside this module) generates a sandbox SQLite database with a planted
feasible solution, task-specific tools over it, a task whose constraints the prompt states and a
gold solution that may only call tools; its checker in `synth.verifiers.general` grades a submitted
JSON answer against the database with one check per constraint, and its perturbations of the gold
answer each break one named check. Items are a pure function of (category, seed, index,
difficulty): the family inherits the core's procedural generator and settings.
"""

from __future__ import annotations

import json
import random
import sqlite3
from typing import Any, cast

from synth import (
    Control,
    EnvironmentSpec,
    Family,
    GenerationError,
    Run,
    RuntimeEnvironment,
    TaskSpec,
    ToolClient,
    ToolRuntime,
    TupleRecord,
    VerifierSpec,
    register_family,
    render,
)
from synth.verifiers.general import environment_db, stored_db

from ._base import SYSTEM_PROMPT, GeneralCategory, item_rng


@register_family
class GeneralFamily(Family):
    name = "general"
    description = "Synthesized constraint tasks over a sandbox database: hard to solve, easy to verify."
    examples = (
        "synth generate general --category trip_planning --n 20 --seed 1 --difficulty 3 --out runs/trips",
        "synth generate general --n 5 --out runs/all   (every category)",
    )
    blocking = False
    """Tools are in-process functions over an in-memory database: episodes run on the event loop."""

    def category(self, name: str) -> GeneralCategory:
        from synth import category

        return cast(GeneralCategory, category(self.name, name))

    def build_tuple(self, run: Run, category: str, seed: int, index: int, difficulty: int) -> TupleRecord:
        """Generate one tuple (pure in its arguments) and store its database in `run`."""
        cat = self.category(category)
        built = None
        try:
            built = cat.build(item_rng(category, seed, index, difficulty), difficulty)
            data = built.db.serialize()
        except Exception as exc:
            raise GenerationError(f"general/{category} seed {seed} index {index}: {type(exc).__name__}: {exc}") from exc
        finally:
            if built is not None:
                built.db.close()
        asset = run.write_asset("general", data, ".sqlite", "application/vnd.sqlite3")
        environment = EnvironmentSpec(
            family="general",
            category=category,
            seed=seed,
            index=index,
            difficulty=difficulty,
            state={"db": asset},
            tools=[t.spec for t in cat.tools],
        )
        task = TaskSpec(
            family="general",
            category=category,
            environment_key=environment.key,
            prompt=render(cat.template, **built.params),
            system_prompt=SYSTEM_PROMPT,
            answer_schema=cat.answer_schema,
            metadata=built.params,
        )
        verifier = VerifierSpec(name="general.constraints", args={"category": category})
        return TupleRecord.build(environment, task, verifier)

    def database(self, record: TupleRecord, run: Run) -> sqlite3.Connection:
        """The tuple's database for a synchronous reader (controls): shared per thread."""
        return stored_db(run, record.environment.state["db"])

    def open(self, record: TupleRecord, run: Run) -> RuntimeEnvironment:
        """A live environment over the tuple's database. Its connection lives as long as the
        environments using it (closed by the last one's close), so no other episode's coming or
        going can close it under a live tool call; the probe reports a broken one."""
        cat = self.category(record.environment.category)
        db, release = environment_db(run, record.environment.state["db"])
        runtime = ToolRuntime.of(cat.tools, db, probe=lambda: db.execute("SELECT 1"))
        return RuntimeEnvironment(runtime, on_close=release)

    def solve_gold(self, record: TupleRecord, run: Run, client: ToolClient) -> None:
        self.category(record.environment.category).solve(client, json.loads(json.dumps(record.task.metadata)))

    def controls(self, record: TupleRecord, run: Run, gold_submission: Any) -> list[Control]:
        cat = self.category(record.environment.category)
        rng = random.Random(f"perturb:{record.key}")
        return cat.perturb(self.database(record, run), record.task.metadata, json.loads(gold_submission), rng)
