"""The general family: synthesized constraint environments (report section 3.2.3, general agent).

Each category is a procedural generator of a sandbox SQLite database, task-specific tools over it,
a task whose constraints the prompt states, a gold solution that may only call tools, a
verification function that checks a submitted JSON answer against the database (one check per
constraint), and perturbations of the gold answer that each break one named check.

Guarantees: an item is a pure function of (category, seed, index, difficulty), with one
`random.Random` per item, so the same arguments give byte-identical tuples and databases; every task
is feasible by construction (a planted solution exists) and the gold solver finds a solution
through the tools alone.
"""

from __future__ import annotations

import abc
import functools
import json
import random
import sqlite3
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, ClassVar

from synth import (
    AssetRef,
    Check,
    Control,
    EnvironmentSpec,
    Family,
    GenerationError,
    Run,
    RuntimeEnvironment,
    TaskSpec,
    Tool,
    ToolClient,
    ToolRuntime,
    TupleRecord,
    VerifierSpec,
    categories,
    category,
    register_family,
    render,
    tool_from_function,
)

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


def rows(db: sqlite3.Connection, sql: str, *params: Any) -> list[dict[str, Any]]:
    """Query helper for tools: rows as dicts."""
    cursor = db.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


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


def load_db(data: bytes) -> sqlite3.Connection:
    """A read-only in-memory copy of a stored database."""
    db = sqlite3.connect(":memory:", check_same_thread=False)
    db.deserialize(data)
    db.execute("PRAGMA query_only = ON")
    return db


_open_dbs = threading.local()


def stored_db(run: Run, ref: AssetRef) -> sqlite3.Connection:
    """The read-only database of a stored asset, shared by the tools, the verifier and the controls
    of one thread (opening a copy and parsing its schema costs more than most queries). Do not close
    it; the few most recent stay open."""
    cache: OrderedDict[str, sqlite3.Connection] = getattr(_open_dbs, "cache", None) or OrderedDict()
    _open_dbs.cache = cache
    db = cache.get(ref.sha256)
    if db is None:
        db = load_db(run.read_asset(ref))
        cache[ref.sha256] = db
        while len(cache) > 8:
            cache.popitem(last=False)[1].close()
    else:
        cache.move_to_end(ref.sha256)
    return db


_FACTS: dict[tuple[int, str], tuple[sqlite3.Connection, int, Any]] = {}


def db_facts(db: sqlite3.Connection, kind: str, read: Any) -> Any:
    """`read(db)`, computed once per live connection and content version: the verifier and the
    controls of one tuple check the same read-only database many times. The cache holds the
    connection itself (so its id cannot be reused while cached) and the connection's change
    counter (so a modified database is read again); it keeps the 16 most recent entries."""
    key = (id(db), kind)
    hit = _FACTS.get(key)
    if hit is not None and hit[0] is db and hit[1] == db.total_changes:
        return hit[2]
    value = read(db)
    _FACTS.pop(key, None)
    _FACTS[key] = (db, db.total_changes, value)
    while len(_FACTS) > 16:
        del _FACTS[next(iter(_FACTS))]
    return value


@dataclass
class Built:
    """What a category's generator returns."""

    db: sqlite3.Connection
    """The filled sandbox database."""
    params: dict[str, Any]
    """Task parameters: everything the prompt states (rendered into the template), JSON-safe."""


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


def check(name: str, passed: bool, expected: Any = None, actual: Any = None, message: str = "") -> Check:
    return Check(name=name, passed=bool(passed), expected=expected, actual=actual, message=message)


class GeneralCategory(abc.ABC):
    """One procedural category of the general family. Subclasses register with
    `@register_category("general", NAME)`."""

    name: ClassVar[str]
    description: ClassVar[str]
    template: ClassVar[str]
    """jinja2 template of the user prompt, rendered with the task params (StrictUndefined)."""
    answer_schema: ClassVar[dict[str, Any]]
    """JSON Schema of the parsed answer."""
    tools: ClassVar[list[Tool]]
    """The category's tools; the last is SUBMIT."""
    check_names: ClassVar[tuple[str, ...]]
    """Every check name `check` can return (documentation and perturbation targets)."""

    @abc.abstractmethod
    def build(self, rng: random.Random, difficulty: int) -> Built:
        """Fill a database and choose task params so that a solution exists."""

    @abc.abstractmethod
    def solve(self, client: ToolClient, params: dict[str, Any]) -> None:
        """Gold solution: find an answer with tool calls only and submit it with client.submit_result."""

    @abc.abstractmethod
    def check(self, db: sqlite3.Connection, params: dict[str, Any], answer: Any) -> list[Check]:
        """One check per constraint for a parsed answer (already valid JSON)."""

    @abc.abstractmethod
    def perturb(self, db: sqlite3.Connection, params: dict[str, Any], answer: Any, rng: random.Random) -> list[Control]:
        """At least three edits of the gold answer, each breaking a different named check."""

    def verify(self, db: sqlite3.Connection, params: dict[str, Any], submission: Any) -> list[Check]:
        """Parse the submitted text and check it; a non-JSON or wrongly shaped answer fails `format`."""
        if not isinstance(submission, str) or not submission.strip():
            return [check("format", False, "JSON text", submission, "no answer was submitted")]
        try:
            answer = json.loads(submission)
        except json.JSONDecodeError as exc:
            return [check("format", False, "JSON text", submission[:200], f"answer is not JSON: {exc.msg}")]
        problem = shape_problem(answer, self.answer_schema)
        if problem:
            return [check("format", False, "answer matching the schema", None, problem)]
        return [check("format", True), *self.check(db, params, answer)]


def shape_problem(value: Any, schema: dict[str, Any], where: str = "answer") -> str | None:
    """A minimal JSON-Schema shape check (type, properties, required, items, enum); first problem or None."""
    kind = schema.get("type")
    types = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}
    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            return f"{where} must be an integer"
    elif kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"{where} must be a number"
    elif kind in types and not isinstance(value, types[kind]):
        return f"{where} must be {'an' if kind[0] in 'aeiou' else 'a'} {kind}"
    if "enum" in schema and value not in schema["enum"]:
        return f"{where} must be one of {schema['enum']}"
    if kind == "object":
        for name in schema.get("required", []):
            if name not in value:
                return f"{where} is missing {name!r}"
        props = schema.get("properties", {})
        if schema.get("additionalProperties") is False:
            extra = sorted(set(value) - set(props))
            if extra:
                return f"{where} has unknown field {extra[0]!r}"
        for name, sub in props.items():
            if name in value:
                problem = shape_problem(value[name], sub, f"{where}.{name}")
                if problem:
                    return problem
    if kind == "array":
        if "minItems" in schema and len(value) < schema["minItems"]:
            return f"{where} needs at least {schema['minItems']} items"
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            return f"{where} allows at most {schema['maxItems']} items"
        if "items" in schema:
            for i, item in enumerate(value):
                problem = shape_problem(item, schema["items"], f"{where}[{i}]")
                if problem:
                    return problem
    return None


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


@register_family
class GeneralFamily(Family):
    name = "general"
    description = "Synthesized constraint tasks over a sandbox database: hard to solve, easy to verify."

    def build_tuple(self, run: Run, category_name: str, seed: int, index: int, difficulty: int) -> TupleRecord:
        """Generate one tuple (pure in its arguments) and store its database in `run`."""
        cat: GeneralCategory = category("general", category_name)
        try:
            built = cat.build(item_rng(category_name, seed, index, difficulty), difficulty)
            data = built.db.serialize()
        except Exception as exc:
            raise GenerationError(f"general/{category_name} seed {seed} index {index}: {type(exc).__name__}: {exc}") from exc
        finally:
            try:
                built.db.close()  # type: ignore[possibly-undefined]
            except Exception:
                pass
        asset = run.write_asset("general", data, ".sqlite", "application/vnd.sqlite3")
        environment = EnvironmentSpec(
            family="general",
            category=category_name,
            seed=seed,
            index=index,
            difficulty=difficulty,
            state={"db": asset},
            tools=[t.spec for t in cat.tools],
        )
        task = TaskSpec(
            family="general",
            category=category_name,
            environment_key=environment.key,
            prompt=render(cat.template, **built.params),
            system_prompt=SYSTEM_PROMPT,
            answer_schema=cat.answer_schema,
            metadata=built.params,
        )
        verifier = VerifierSpec(name="general.constraints", args={"category": category_name})
        return TupleRecord.build(environment, task, verifier)

    def category_names(self) -> list[str]:
        return sorted(categories("general"))

    def database(self, record: TupleRecord, run: Run) -> sqlite3.Connection:
        return stored_db(run, record.environment.state["db"])

    def open(self, record: TupleRecord, run: Run) -> RuntimeEnvironment:
        cat: GeneralCategory = category("general", record.environment.category)
        db = self.database(record, run)
        return RuntimeEnvironment(ToolRuntime.of(cat.tools, db))

    def solve_gold(self, record: TupleRecord, run: Run, client: ToolClient) -> None:
        cat: GeneralCategory = category("general", record.environment.category)
        cat.solve(client, json.loads(json.dumps(record.task.metadata)))

    def controls(self, record: TupleRecord, run: Run, gold_submission: Any) -> list[Control]:
        cat: GeneralCategory = category("general", record.environment.category)
        rng = random.Random(f"perturb:{record.key}")
        return cat.perturb(self.database(record, run), record.task.metadata, json.loads(gold_submission), rng)
