"""The difficulty ladder of the general family: how often each baseline agent solves a tuple, per
category and difficulty 1..5, with the gold solution's pass rate beside it.

Runs the library's own verify pieces (`build_tuple`, `gold_trajectory`, `baseline_records`) on
fresh tuples (indexes 0..n-1 of a seed no test uses). A tuple any baseline solves is *easy*:
`synth verify` flags it and `synth export` leaves it out. Beside the gate's baselines it runs each
category's white-box baselines (`GeneralCategory.whitebox`: agents that read the generator, issue
18), a plain backtracking search over tool results with a 200k-node budget where one is written
(`PLAIN`), and the oracle's effort where the generator records one (CP-SAT branches, mean and max).
Targets (issue 18): at difficulty 3 every baseline, white-box ones included, solves at most 5% of
tuples, at difficulty 5 at most 2%, and the gold solution passes all.

    .venv/bin/python benchmarks/ladder_general.py [--n 200] [--category trip_planning] [--markdown]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from pathlib import Path

import json
from typing import Any

from synth import Run, ToolClient, baseline_records, categories, family, grade, gold_trajectory

CEILING = {1: None, 2: None, 3: 0.05, 4: 0.05, 5: 0.02}
"""Highest pass rate a baseline may have per difficulty (None: no target; issue 18)."""
NODES = 200_000
"""Node budget of the plain backtracking search."""


class _OutOfNodes(Exception):
    pass


def plain_trip(client: ToolClient, params: dict[str, Any]) -> int:
    """Plain backtracking over trips through the tools: depth-first over reachable new cities in name
    order, each day the city's cheapest valid day, pruned only by the budget spent so far (no
    look-ahead, no propagation); submits the first complete plan. Returns the nodes visited, or
    raises _OutOfNodes past `NODES`."""
    from synth.environments.general.trip_planning._solve import TripView

    view = TripView(client, params)
    budget, nodes = params["budget"], 0

    def search(path: list[str], cost: int, plan: list[Any]) -> list[Any] | None:
        nonlocal nodes
        nodes += 1
        if nodes > NODES:
            raise _OutOfNodes
        day = len(plan) + 1
        if day > params["days"]:
            return plan
        for city in view.reachable(path[-1]):
            if city == view.start or city in path:
                continue
            option = view.cheapest_day(city, day)
            if option is None or (budget is not None and cost + option[0] > budget):
                continue
            found = search(path + [city], cost + option[0], plan + [(city, option[1])])
            if found is not None:
                return found
        return None

    view.submit(search([view.start], 0, []) or [])
    return nodes


PLAIN = {"trip_planning": plain_trip}
"""A plain backtracking search per category (tools only, no propagation), where one is written."""


def _plain(category: str, record: Any, run: Run) -> bool | None:
    """Whether the plain search solves the tuple within NODES (None: no plain search written)."""
    if category not in PLAIN:
        return None
    fam = family("general")
    with fam.open(record, run) as env:
        client = ToolClient(lambda name, arguments: env.call(name, arguments).content, env.tools)
        try:
            PLAIN[category](client, json.loads(json.dumps(record.task.metadata)))
        except _OutOfNodes:
            return False
        submission = env.submission if env.submitted else None
    return submission is not None and grade(record, submission, run).status == "pass"


def ladder(category: str, difficulty: int, n: int, seed: int, root: Path
           ) -> tuple[Counter, int, int, int, int | None, list[int]]:
    """(passes per baseline, white-box ones included; easy tuples by the gate's baselines; gold
    passes; tuples; plain-search solves or None; the oracle's branches per tuple) over n fresh
    tuples."""
    fam = family("general")
    cat = categories("general")[category]
    run = Run.create(root / f"{category}-{difficulty}")
    names = tuple(cat.baselines) + tuple(cat.whitebox)  # type: ignore[attr-defined]
    passes: Counter = Counter()
    easy = gold_ok = 0
    plain: int | None = 0 if category in PLAIN else None
    branches = []
    for index in range(n):
        record = fam.build_tuple(run, category, seed, index, difficulty)
        gold_ok += gold_trajectory(record, run).verdict.status == "pass"  # type: ignore[union-attr]
        solved = [r.control.removeprefix("baseline:") for r in baseline_records(record, run, names)
                  if r.verdict.status == "pass"]
        passes.update(solved)
        passes["any"] += bool(solved)
        easy += bool(set(solved) & set(cat.baselines))  # type: ignore[attr-defined]
        if plain is not None:
            plain += bool(_plain(category, record, run))
        if "oracle" in record.task.metadata:
            branches.append(record.task.metadata["oracle"]["branches"])
    return passes, easy, gold_ok, n, plain, branches


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="tuples per category and difficulty")
    parser.add_argument("--seed", type=int, default=18_2026, help="a seed no test uses")
    parser.add_argument("--category", action="append", help="only these categories (repeatable)")
    parser.add_argument("--difficulty", type=int, action="append", help="only these difficulties (repeatable)")
    parser.add_argument("--markdown", action="store_true",
                        help="print README table rows: category, baseline, then one column per difficulty")
    args = parser.parse_args()
    chosen = args.category or sorted(categories("general"))
    levels = args.difficulty or [1, 2, 3, 4, 5]
    misses = []
    with tempfile.TemporaryDirectory() as tmp:
        for category in chosen:
            cat = categories("general")[category]
            gate, white = list(cat.baselines), list(cat.whitebox)  # type: ignore[attr-defined]
            names = gate + white
            rows = [*gate, "any (easy)", *(f"{w} (white-box)" for w in white), "any baseline", "plain search (200k nodes)",
                    "oracle branches (mean / max)", "gold passes"]
            table: dict[str, list[str]] = {row: [] for row in rows}
            if not args.markdown:
                print(f"\n{category} ({args.n} tuples per difficulty): % of tuples each baseline solves")
            for difficulty in levels:
                t0 = time.perf_counter()
                passes, easy, gold_ok, n, plain, branches = ladder(category, difficulty, args.n, args.seed, Path(tmp))
                seconds = time.perf_counter() - t0
                ceiling = CEILING[difficulty]
                for name in names:
                    if ceiling is not None and passes[name] / n > ceiling:
                        misses.append(f"{category} d{difficulty} {name} {passes[name] / n:.1%} > {ceiling:.0%}")
                for name in gate:
                    table[name].append(f"{passes[name] / n:.1%}")
                for name in white:
                    table[f"{name} (white-box)"].append(f"{passes[name] / n:.1%}")
                table["any (easy)"].append(f"{easy / n:.1%}")
                table["any baseline"].append(f"{passes['any'] / n:.1%}")
                table["plain search (200k nodes)"].append("n/a" if plain is None else f"{plain / n:.1%}")
                table["oracle branches (mean / max)"].append(
                    f"{sum(branches) / len(branches):.0f} / {max(branches)}" if branches else "n/a")
                table["gold passes"].append(f"{gold_ok}/{n}")
                if gold_ok != n:
                    misses.append(f"{category} d{difficulty} gold {gold_ok}/{n}")
                if not args.markdown:
                    print(f"  d{difficulty} ({seconds:.0f} s): " + ", ".join(
                        f"{row} {cells[-1]}" for row, cells in table.items()), flush=True)
            if args.markdown:
                for name, cells in table.items():
                    label = f"**{name}**" if name in ("any (easy)", "any baseline") else name
                    print(f"| `{category}` | {label} | " + " | ".join(cells) + " |", flush=True)
    print("\ntargets met" if not misses else "\ntargets missed:\n  " + "\n  ".join(misses))


if __name__ == "__main__":
    main()
