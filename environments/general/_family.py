"""The general family: synthesized constraint environments (report section 3.2.3, general agent).

Each category (a package beside this module) generates a sandbox SQLite database with a feasible
task (planted, or drawn at random and solved by the CP-SAT oracle, whose answer the gold solver
must find at generation: `_gold_finds`), task-specific tools over it, a task whose constraints the prompt states and a
gold solution that may only call tools; its checker in `synth.verifiers.general` grades a submitted
JSON answer against the database with one check per constraint, and its perturbations of the gold
answer each break one named check. Items are a pure function of (category, seed, index,
difficulty): the family inherits the core's procedural generator.

Agent mode (`--agent`): a model writes new environments instead (the synthesis agent of the
`synthesized` family, which builds, proves and runs them); `GeneralSettings` holds both modes,
each option of one mode refused with one line in the other, and the procedural mode records and
generates exactly what it did before agent mode existed.
"""

from __future__ import annotations

import json
import random
import sqlite3
from typing import Annotated, Any, ClassVar, cast

from pydantic import Field, model_validator

from synth import (
    Control,
    EnvironmentSpec,
    Family,
    FamilySettings,
    Flag,
    GenerationError,
    Generator,
    ItemSettings,
    Run,
    RuntimeEnvironment,
    TaskSpec,
    ToolClient,
    ToolRuntime,
    TupleRecord,
    VerifierSpec,
    register_family,
)
from synth.environments.synthesized import AgentOptions, agent_settings
from synth.verifiers.general import environment_db, stored_db

from ._base import SYSTEM_PROMPT, Built, GeneralCategory, item_rng


class GeneralSettings(AgentOptions, ItemSettings):
    """Procedural categories, or (--agent) environments a model writes."""

    agent: bool = False
    """A model writes new environments (the synthesis agent) instead of the procedural categories."""
    category: Annotated[list[str], Flag("-c")] = Field(default_factory=list)
    """Category (repeatable); default: every category. With --agent: a description of a task category."""
    n: int = Field(10, ge=1, le=1_000_000)
    """Tuples per category. With --agent: environments per category (each a chain of --difficulty levels)."""
    difficulty: Annotated[int, Flag("-d")] = Field(3, ge=1, le=5)
    """1 (easy) .. 5 (hard). With --agent: levels of the difficulty chain."""

    @model_validator(mode="after")
    def _one_mode(self) -> "GeneralSettings":
        if not self.agent:
            for name in AgentOptions.model_fields:
                if getattr(self, name) != AgentOptions.model_fields[name].default:
                    raise ValueError(f"--{name.replace('_', '-')} goes with --agent")
        return self

    def agent_settings(self) -> FamilySettings:
        """The synthesis agent's settings (ConfigError naming the option when they do not hold)."""
        return agent_settings(self.model_dump(exclude={"agent"}))


def _gold_finds(cat: GeneralCategory, built: Built) -> None:
    """Run the tool-only gold solver over the new database and check it submits the oracle's answer
    (the task's only one); GenerationError naming the difference if not."""
    runtime = ToolRuntime.of(cat.tools, built.db)
    cat.solve(ToolClient(lambda name, arguments: runtime.call(name, arguments).content, runtime.specs),
              json.loads(json.dumps(built.params)))
    found = json.loads(runtime.submission) if runtime.submitted and isinstance(runtime.submission, str) else None
    if found != built.answer:
        raise GenerationError(f"the gold solver found {found!r}, the oracle {built.answer!r}")


@register_family
class GeneralFamily(Family):
    name = "general"
    description = ("Synthesized constraint tasks over a sandbox database: hard to solve, easy to verify "
                   "(--agent: a model writes new environments, proven by the gate).")
    examples = (
        "synth generate general --category trip_planning --n 20 --seed 1 --difficulty 3 --out runs/trips",
        "synth generate general --n 5 --out runs/all   (every category)",
        "synth generate general --agent --category 'trip planning' --base-url http://127.0.0.1:8000/v1 --model M --out runs/agent",
    )
    settings: ClassVar[type[FamilySettings]] = GeneralSettings
    blocking = False
    """Tools are in-process functions over an in-memory database: episodes run on the event loop.
    Agent-mode tuples belong to the synthesized family, whose tools run in sandboxes."""

    # -- agent mode: the synthesized family does the work -------------------------------------------
    def _agent(self, settings: FamilySettings) -> tuple[Family, FamilySettings] | None:
        if isinstance(settings, GeneralSettings) and settings.agent:
            from synth import family

            return family("synthesized"), settings.agent_settings()
        return None

    def check_settings(self, settings: FamilySettings) -> None:
        agent = self._agent(settings)
        if agent is None:
            return super().check_settings(settings)
        agent[0].check_settings(agent[1])

    def stage_config(self, settings: FamilySettings) -> dict[str, Any]:
        agent = self._agent(settings)
        return super().stage_config(settings) if agent is None else agent[0].stage_config(agent[1]) | {"family": self.name}

    def generator(self, run: Run, settings: FamilySettings) -> Generator:
        agent = self._agent(settings)
        return super().generator(run, settings) if agent is None else agent[0].generator(run, agent[1])

    def candidate_key(self, record: TupleRecord) -> str:
        if record.environment.family != self.name:
            from synth import family

            return family(record.environment.family).candidate_key(record)
        return super().candidate_key(record)

    def category(self, name: str) -> GeneralCategory:
        from synth import category

        return cast(GeneralCategory, category(self.name, name))

    def build_tuple(self, run: Run, category: str, seed: int, index: int, difficulty: int) -> TupleRecord:
        """Generate one tuple (pure in its arguments) and store its database in `run`."""
        cat = self.category(category)
        built = None
        try:
            built = cat.build(item_rng(category, seed, index, difficulty), difficulty)
            if built.answer is not None:
                _gold_finds(cat, built)
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
            prompt=cat.prompt(built.params),
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

    def baselines(self, record: TupleRecord) -> tuple[str, ...]:
        """The category's five built-in baselines, then its white-box ones (issue 18: agents written by
        reading the generator, `GeneralCategory.whitebox`): a tuple any of them solves is easy."""
        cat = self.category(record.environment.category)
        return (*cat.baselines, *(name for name in cat.whitebox if name not in cat.baselines))

    def solve_baseline(self, record: TupleRecord, run: Run, client: ToolClient, name: str) -> None:
        cat = self.category(record.environment.category)
        agent = cat.baselines.get(name) or cat.whitebox[name]
        agent(client, json.loads(json.dumps(record.task.metadata)))

    def controls(self, record: TupleRecord, run: Run, gold_submission: Any) -> list[Control]:
        cat = self.category(record.environment.category)
        rng = random.Random(f"perturb:{record.key}")
        return cat.perturb(self.database(record, run), record.task.metadata, json.loads(gold_submission), rng)
