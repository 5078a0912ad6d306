"""What a category builds: a `Problem` (question, data files, typed answer, gold cells, decoys).

Sits under the interpreter categories (`_data`, `_math`, `_logic`, `_file`) and over the family,
which turns a Problem into a tuple. A category's `build(seed, index, difficulty)` is a pure function
of its arguments (every random choice comes from `item_rng`, or a generator seeded the same way). Guarantees a Problem carries:

- the answer was computed by the generator itself, in plain Python over its own in-memory data,
  never by running the gold cells: the gold code (pandas, sympy or a different algorithm, run in
  the kernel over the files) is an independent second computation that `synth verify` compares;
- every decoy (the answer a plausible mistake gives: the first 100 rows only, the neighbouring
  aggregation or bound, an off-by-one filter) fails its named check against the answer; `build`
  re-draws parameters until they all do (`distinct`), so a task never accepts a known mistake.
"""

from __future__ import annotations

import csv
import io
import random
import sqlite3
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Iterable, NamedTuple, Sequence

from synth import GenerationError
from synth.verifiers.interpreter import Answer

ATTEMPTS = 40
"""Draws of a problem's parameters before a category gives up (a bug, reported as a GenerationError)."""


class Redraw(Exception):
    """Raised by a problem draw whose parameters do not make a good question (e.g. nothing matches)."""


class Decoy(NamedTuple):
    """The answer a named mistake gives; the verifier must fail it on `breaks`."""

    name: str
    value: Any
    breaks: str


@dataclass
class Problem:
    """One interpreter task before it is a tuple."""

    kind: str
    """The question template, e.g. filtered_revenue."""
    question: str
    """What the user message asks (the family adds where the files are and how to answer)."""
    answer: Answer
    """The expected answer, its type and tolerance."""
    gold: list[str]
    """Cells of Python run through the python tool in order; the last prints the answer as JSON."""
    decoys: list[Decoy] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    """Data files by name (mounted read-only at /data/NAME)."""
    facts: dict[str, Any] = field(default_factory=dict)
    """The structured parameters the question states (task metadata)."""

    def undetected(self) -> list[str]:
        """Decoys the answer's checks would not fail on their named check."""
        bad = []
        for decoy in self.decoys:
            failing = {c.name for c in self.answer.checks(decoy.value) if not c.passed}
            if decoy.breaks not in failing:
                bad.append(decoy.name)
        return bad


def item_rng(category: str, seed: int, index: int, difficulty: int) -> random.Random:
    """The random source of one item: a pure function of where the item is, never the global one."""
    return random.Random(f"interpreter:{category}:{seed}:{index}:{difficulty}")


def distinct(kind: str, rng: random.Random, draw: Callable[[random.Random], Problem]) -> Problem:
    """The first drawn problem whose every decoy is told apart from its answer."""
    for _ in range(ATTEMPTS):
        try:
            problem = draw(rng)
        except Redraw:
            continue
        if not problem.undetected():
            return problem
    raise GenerationError(f"{kind}: no parameters in {ATTEMPTS} draws whose decoys all differ from the answer")


class KindCategory:
    """A category whose items cycle through its question kinds, each `kind(rng, difficulty) -> Problem`
    drawn again (`distinct`) until its decoys all differ from its answer."""

    name: ClassVar[str]
    description: ClassVar[str]
    KINDS: ClassVar[tuple[Callable[[random.Random, int], Problem], ...]]
    kinds: ClassVar[tuple[str, ...]] = ()
    """The kinds' names, in the order items cycle through them."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.kinds = tuple(kind.__name__ for kind in cls.KINDS)

    def build(self, seed: int, index: int, difficulty: int) -> Problem:
        kind = self.KINDS[index % len(self.KINDS)]
        return distinct(kind.__name__, item_rng(self.name, seed, index, difficulty), lambda r: kind(r, difficulty))


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """CSV text (LF line ends, minimal quoting) of `rows` whose cells are already strings."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def sqlite_bytes(tables: dict[str, tuple[str, list[tuple[Any, ...]]]]) -> bytes:
    """A SQLite database file holding `tables` (name -> (column definitions, rows)), byte-identical
    for the same input (built in memory, inserted in order, serialized)."""
    db = sqlite3.connect(":memory:")
    try:
        for name, (columns, rows) in tables.items():
            db.execute(f"CREATE TABLE {name} ({columns})")
            if rows:
                marks = ",".join("?" * len(rows[0]))
                db.executemany(f"INSERT INTO {name} VALUES ({marks})", rows)
        db.commit()
        return db.serialize()
    finally:
        db.close()


def print_json(expression: str) -> str:
    """The last line of a gold cell: print `expression` as JSON (numpy scalars made plain)."""
    return f"import json\nprint(json.dumps({expression}))"
