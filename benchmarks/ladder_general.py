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

The gate (`synth verify`) runs the built-in and the white-box baselines alike: **any (easy)** counts
a tuple either kind solves. The leak detector of `leaks_general.py` (scikit-learn, the `bench`
extra) is scored on the same tuples by 4-fold cross-validation: the share of tuples where its top
guess is the answer's choice, beside chance (target: at most 10 points over chance at d >= 3).

    .venv/bin/python benchmarks/ladder_general.py [--n 200] [--category trip_planning] [--markdown]
    .venv/bin/python benchmarks/ladder_general.py --readme README.md   (regenerate README's table)
    .venv/bin/python benchmarks/ladder_general.py --readme README.md --category shopping -d 3 -d 5
                                                  (only those cells: the rest of the table is kept)
"""

from __future__ import annotations

import argparse
import re
import sys
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


def _searches(category: str) -> dict[str, Any]:
    """The category's attackers that search (`_whitebox.SEARCHES`: bounded sets of walks, kept out of the
    verify gate), by name."""
    import importlib

    try:
        module = importlib.import_module(f"synth.environments.general.{category}._whitebox")
    except ModuleNotFoundError:
        return {}
    return dict(getattr(module, "SEARCHES", {}))


def _attack(agent: Any, record: Any, run: Run) -> bool:
    """Whether `agent` (a tool-only agent) solves the tuple."""
    fam = family("general")
    with fam.open(record, run) as env:
        client = ToolClient(lambda name, arguments: env.call(name, arguments).content, env.tools)
        agent(client, json.loads(json.dumps(record.task.metadata)))
        submission = env.submission if env.submitted else None
    return submission is not None and grade(record, submission, run).status == "pass"


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


def _detector_items(category: str, record: Any, run: Run, gold: Any) -> Any:
    """The leak detector's (candidate features, answer's candidate) for one tuple, or None."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from leaks_general import CHOICES

    fam = family("general")
    with fam.open(record, run) as env:
        client = ToolClient(lambda name, arguments: env.call(name, arguments).content, env.tools)
        return CHOICES[category](client, json.loads(json.dumps(record.task.metadata)), json.loads(gold.submission))


def detector(items: list[Any], folds: int = 4) -> tuple[float, float] | None:
    """(top-guess accuracy, chance) of the leak detector over `items` by `folds`-fold cross-validation:
    each fold scored by the better of `leaks_general.detect`'s two models trained on the others.
    None without scikit-learn or with too few tuples."""
    try:
        import sklearn  # noqa: F401
    except ImportError:
        return None
    from leaks_general import detect

    if len(items) < 2 * folds:
        return None
    hits = chance = 0.0
    for k in range(folds):
        test = items[k::folds]
        train = [item for i, item in enumerate(items) if i % folds != k]
        result = detect(train + test, cut=len(train))
        hits += max(result["logistic"], result["boosting"]) * len(test)
        chance += result["chance"] * len(test)
    return hits / len(items), chance / len(items)


def ladder(category: str, difficulty: int, n: int, seed: int, root: Path
           ) -> tuple[Counter, int, int, int, int | None, list[int], tuple[float, float] | None]:
    """(passes per baseline, white-box ones included; easy tuples by the gate (built-in and white-box
    baselines); gold passes; tuples; plain-search solves or None; the oracle's branches per tuple;
    the leak detector's cross-validated (top-guess accuracy, chance) or None) over n fresh tuples."""
    fam = family("general")
    run = Run.create(root / f"{category}-{difficulty}")
    passes: Counter = Counter()
    easy = gold_ok = 0
    plain: int | None = 0 if category in PLAIN else None
    branches = []
    items = []
    for index in range(n):
        record = fam.build_tuple(run, category, seed, index, difficulty)
        gold = gold_trajectory(record, run)
        gold_ok += gold.verdict.status == "pass"  # type: ignore[union-attr]
        solved = [r.control.removeprefix("baseline:") for r in baseline_records(record, run)
                  if r.verdict.status == "pass"]
        passes.update(solved)
        easy += bool(solved)
        if plain is not None:
            plain += bool(_plain(category, record, run))
        for name, agent in _searches(category).items():
            passes[f"search:{name}"] += _attack(agent, record, run)
        if "oracle" in record.task.metadata:
            branches.append(record.task.metadata["oracle"]["branches"])
        if gold.verdict.status == "pass":  # type: ignore[union-attr]
            found = _detector_items(category, record, run, gold)
            if found is not None:
                items.append(found)
    return passes, easy, gold_ok, n, plain, branches, detector(items)


def write_readme(path: Path, table: dict[tuple[str, str], dict[int, str]]) -> None:
    """Write the cells measured (`table`: (category, row label) -> {difficulty: cell}) into the ladder
    table of README `path` (under the header `| category | baseline | d1 | ...` of section "The
    difficulty ladder"): a measured row's cells of the difficulties measured are replaced, its other
    cells kept (a new row gets "-" there); rows of categories not measured are kept as they are."""
    text = path.read_text()
    section = text.index("### The difficulty ladder")
    header = re.compile(r"^\| category \| baseline \|(.*)\|\n\|[-|]+\|\n", re.M).search(text, section)
    if header is None:
        raise SystemExit(f"{path}: no ladder table after '### The difficulty ladder'")
    levels = [int(c.strip().removeprefix("d")) for c in header.group(1).split("|")]
    end = header.end()
    while text.startswith("| `", end):
        end = text.index("\n", end) + 1
    old: dict[tuple[str, str], list[str]] = {}
    for row in text[header.end():end].splitlines():
        cells = [c.strip() for c in row.strip().strip("|").split("|")]
        old[(cells[0].strip("`"), cells[1])] = cells[2:]
    measured = {category for category, _ in table}
    rows = []
    for category in sorted({c for c, _ in old} | measured):
        labels = [label for c, label in table if c == category] if category in measured else \
            [label for c, label in old if c == category]
        for label in labels:
            cells = old.get((category, label), ["-"] * len(levels))
            cells = [table.get((category, label), {}).get(d, cell) for d, cell in zip(levels, cells)]
            rows.append(f"| `{category}` | {label} | " + " | ".join(cells) + " |\n")
    path.write_text(text[:header.end()] + "".join(rows) + text[end:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="tuples per category and difficulty")
    parser.add_argument("--seed", type=int, default=18_2026, help="a seed no test uses")
    parser.add_argument("--category", action="append", help="only these categories (repeatable)")
    parser.add_argument("-d", "--difficulty", type=int, action="append", help="only these difficulties (repeatable)")
    parser.add_argument("--markdown", action="store_true",
                        help="print README table rows: category, baseline, then one column per difficulty")
    parser.add_argument("--readme", type=Path, metavar="README.md",
                        help="write the cells measured into the ladder table of this README (other cells kept)")
    args = parser.parse_args()
    args.markdown = args.markdown or bool(args.readme)
    cells: dict[tuple[str, str], dict[int, str]] = {}
    chosen = args.category or sorted(categories("general"))
    levels = args.difficulty or [1, 2, 3, 4, 5]
    misses = []
    with tempfile.TemporaryDirectory() as tmp:
        for category in chosen:
            cat = categories("general")[category]
            gate, white = list(cat.baselines), list(cat.whitebox)  # type: ignore[attr-defined]
            names = gate + white
            searches = list(_searches(category))
            rows = [*gate, *(f"{w} (white-box)" for w in white), "any (easy: the gate)", "leak detector top guess (chance)",
                    *(f"{w} (search, not in the gate)" for w in searches), "plain search (200k nodes)", "oracle branches (mean / max)", "gold passes"]
            table: dict[str, list[str]] = {row: [] for row in rows}
            if not args.markdown:
                print(f"\n{category} ({args.n} tuples per difficulty): % of tuples each baseline solves")
            for difficulty in levels:
                t0 = time.perf_counter()
                passes, easy, gold_ok, n, plain, branches, leak = ladder(category, difficulty, args.n, args.seed, Path(tmp))
                seconds = time.perf_counter() - t0
                ceiling = CEILING[difficulty]
                for name in names:
                    if ceiling is not None and passes[name] / n > ceiling:
                        misses.append(f"{category} d{difficulty} {name} {passes[name] / n:.1%} > {ceiling:.0%}")
                for name in gate:
                    table[name].append(f"{passes[name] / n:.1%}")
                for name in white:
                    table[f"{name} (white-box)"].append(f"{passes[name] / n:.1%}")
                table["any (easy: the gate)"].append(f"{easy / n:.1%}")
                for name in searches:
                    table[f"{name} (search, not in the gate)"].append(f"{passes[f'search:{name}'] / n:.1%}")
                table["leak detector top guess (chance)"].append(
                    "n/a" if leak is None else f"{leak[0]:.1%} ({leak[1]:.1%})")
                if leak is not None and ceiling is not None and leak[0] - leak[1] > 0.10:
                    misses.append(f"{category} d{difficulty} leak detector {leak[0] - leak[1]:+.1%} over chance")
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
                for name, row in table.items():
                    label = f"**{name}**" if name == "any (easy: the gate)" else name
                    cells[(category, label)] = dict(zip(levels, row))
                    print(f"| `{category}` | {label} | " + " | ".join(row) + " |", flush=True)
    if args.readme:
        write_readme(args.readme, cells)
        print(f"\n{args.readme}: ladder rows of {', '.join(chosen)} rewritten")
    print("\ntargets met" if not misses else "\ntargets missed:\n  " + "\n  ".join(misses))


if __name__ == "__main__":
    main()
