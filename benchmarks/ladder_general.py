"""The difficulty ladder of the general family: how often each baseline agent solves a tuple, per
category and difficulty 1..5, with the gold solution's pass rate beside it.

Runs the library's own verify pieces (`build_tuple`, `gold_trajectory`, `baseline_records`) on
fresh tuples (seed 0, indexes 0..n-1). A tuple any baseline solves is *easy*: `synth verify` flags
it and `synth export` leaves it out. Targets (issue 8): at difficulty >= 3 every baseline fails at
least 90% of tuples, at difficulty 5 at least 97%, and the gold solution passes all.

    .venv/bin/python benchmarks/ladder_general.py [--n 200] [--category trip_planning] [--markdown]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from pathlib import Path

from synth import Run, baseline_records, categories, family, gold_trajectory

CEILING = {1: None, 2: None, 3: 0.10, 4: 0.10, 5: 0.03}
"""Highest pass rate a baseline may have per difficulty (None: no target)."""


def ladder(category: str, difficulty: int, n: int, seed: int, root: Path) -> tuple[Counter, int, int, int]:
    """(passes per baseline, easy tuples, gold passes, tuples) over n fresh tuples."""
    fam = family("general")
    run = Run.create(root / f"{category}-{difficulty}")
    passes: Counter = Counter()
    easy = gold_ok = 0
    for index in range(n):
        record = fam.build_tuple(run, category, seed, index, difficulty)
        gold_ok += gold_trajectory(record, run).verdict.status == "pass"  # type: ignore[union-attr]
        solved = [r.control.removeprefix("baseline:") for r in baseline_records(record, run)
                  if r.verdict.status == "pass"]
        passes.update(solved)
        easy += bool(solved)
    return passes, easy, gold_ok, n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="tuples per category and difficulty")
    parser.add_argument("--seed", type=int, default=0)
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
            names = list(categories("general")[category].baselines)  # type: ignore[attr-defined]
            if not args.markdown:
                print(f"\n{category} ({args.n} tuples per difficulty): % of tuples each baseline solves")
                print(f"{'difficulty':>10}" + "".join(f"{n:>18}" for n in names) + f"{'any (easy)':>12}{'gold':>8}{'s':>7}")
            table: dict[str, list[str]] = {name: [] for name in [*names, "any (easy)", "gold passes"]}
            for difficulty in levels:
                t0 = time.perf_counter()
                passes, easy, gold_ok, n = ladder(category, difficulty, args.n, args.seed, Path(tmp))
                seconds = time.perf_counter() - t0
                ceiling = CEILING[difficulty]
                for name in names:
                    if ceiling is not None and passes[name] / n > ceiling:
                        misses.append(f"{category} d{difficulty} {name} {passes[name] / n:.1%} > {ceiling:.0%}")
                    table[name].append(f"{passes[name] / n:.1%}")
                table["any (easy)"].append(f"{easy / n:.1%}")
                table["gold passes"].append(f"{gold_ok}/{n}")
                if gold_ok != n:
                    misses.append(f"{category} d{difficulty} gold {gold_ok}/{n}")
                if not args.markdown:
                    print(f"{difficulty:>10}" + "".join(f"{passes[name] / n:>17.1%} " for name in names)
                          + f"{easy / n:>11.1%} {gold_ok / n:>7.0%} {seconds:>6.1f}")
            if args.markdown:
                for name, cells in table.items():
                    print(f"| `{category}` | {name} | " + " | ".join(cells) + " |")
    print("\ntargets met" if not misses else "\ntargets missed:\n  " + "\n  ".join(misses))


if __name__ == "__main__":
    main()
