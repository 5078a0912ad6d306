"""Throughput of generate + verify for the general family, per category, on one core.

Runs the real pipeline (build the tuple, store its database, append it to tuples.jsonl, run the
gold solution through the tool path, grade it and every null control, append verdicts and the gold
trajectory) at difficulty 3, pinned to one CPU. Prints tuples per second per category and where
the time goes; the target is at least 200 tuples/s.

    .venv/bin/python benchmarks/bench_general.py [--n 200] [--difficulty 3]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from synth import Run, categories, family
from synth import control_records, gold_trajectory

TARGET = 200.0


def bench(category: str, n: int, difficulty: int, root: Path) -> dict[str, float]:
    fam = family("general")
    run = Run.create(root / category)
    tuples = run.tuples()
    verdicts = run.verdicts()
    trajectories = run.trajectories()
    phases = {"generate": 0.0, "gold": 0.0, "controls": 0.0}
    controls = 0
    start = time.perf_counter()
    with tuples, verdicts, trajectories:
        for index in range(n):
            t0 = time.perf_counter()
            record = fam.build_tuple(run, category, 0, index, difficulty)  # type: ignore[attr-defined]
            tuples.append(record)
            t1 = time.perf_counter()
            gold = gold_trajectory(record, run)
            t2 = time.perf_counter()
            items = control_records(record, run, gold)
            for item in items:
                verdicts.append(item)
            trajectories.append(gold)
            t3 = time.perf_counter()
            assert all(item.sound for item in items), [i.control for i in items if not i.sound]
            controls += len(items) - 1
            phases["generate"] += t1 - t0
            phases["gold"] += t2 - t1
            phases["controls"] += t3 - t2
    elapsed = time.perf_counter() - start
    return {"rate": n / elapsed, "n_controls": controls / n, **{k: v / n * 1e3 for k, v in phases.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="tuples per category")
    parser.add_argument("--difficulty", type=int, default=3)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    print(f"general family, generate+verify, difficulty {args.difficulty}, {args.n} tuples per category, one core")
    print(f"{'category':<22}{'tuples/s':>10}{'vs target':>11}{'gen ms':>9}{'gold ms':>9}{'ctrl ms':>9}{'controls':>10}")
    with tempfile.TemporaryDirectory() as tmp:
        for category in sorted(categories("general")):
            bench(category, 10, args.difficulty, Path(tmp) / "warm")  # imports, caches
            r = bench(category, args.n, args.difficulty, Path(tmp))
            print(f"{category:<22}{r['rate']:>10.0f}{r['rate'] / TARGET:>10.2f}x{r['generate']:>9.2f}{r['gold']:>9.2f}"
                  f"{r['controls']:>9.2f}{r['n_controls']:>10.1f}")


if __name__ == "__main__":
    main()
