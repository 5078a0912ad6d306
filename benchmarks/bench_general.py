"""Throughput of generate + verify for the general family, per category, on one core.

Runs the real pipeline (build the tuple, store its database, append it to tuples.jsonl, run the
gold solution through the tool path, grade it and every null control, append verdicts and the gold
trajectory) at difficulty 3, pinned to one CPU, and prints tuples per second per category and where
the time goes; the target is at least 50 tuples/s (issue 18: a generator that solves its instance
with CP-SAT may be slower than one that plants; below 50 it must say why). The baseline agents that
`synth verify` also runs (the easy-tuple gate) are timed apart, in their own column, and are not in
the rate.

Times are CPU seconds of the measuring process (the machine is shared: wall time would count other
jobs), best of `--rounds` rounds. `--against PYTHON` also measures another installation of synth
(e.g. a worktree of an older commit with its own virtualenv) in the same run, the two alternating
round by round, and prints the ratio: the way a speed-up is claimed.

    .venv/bin/python benchmarks/bench_general.py [--n 200] [--difficulty 3] [--category trip_planning]
    .venv/bin/python benchmarks/bench_general.py --category trip_planning --against ../old/.venv/bin/python
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

TARGET = 50.0

# The measurement, run as a script by each interpreter compared (so it uses only what every
# version of synth offers) and printing one JSON line.
DRIVER = r'''
import json, os, sys, tempfile, time
from pathlib import Path
if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
import synth
from synth import Run, family, control_records, gold_trajectory
category, n, difficulty = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
baselines = getattr(synth, "baseline_records", None)
fam = family("general")

def bench(root, count):
    run = Run.create(root)
    tuples, verdicts, trajectories = run.tuples(), run.verdicts(), run.trajectories()
    spent = {"generate": 0.0, "gold": 0.0, "controls": 0.0, "baselines": 0.0}
    controls = 0
    clock = time.process_time
    with tuples, verdicts, trajectories:
        for index in range(count):
            t0 = clock()
            record = fam.build_tuple(run, category, 0, index, difficulty)
            tuples.append(record)
            t1 = clock()
            gold = gold_trajectory(record, run)
            t2 = clock()
            items = control_records(record, run, gold)
            for item in items:
                verdicts.append(item)
            trajectories.append(gold)
            t3 = clock()
            extra = baselines(record, run) if baselines is not None else []
            for item in extra:
                verdicts.append(item)
            t4 = clock()
            assert all(item.sound for item in items), [i.control for i in items if not i.sound]
            controls += len(items) - 1
            spent["generate"] += t1 - t0
            spent["gold"] += t2 - t1
            spent["controls"] += t3 - t2
            spent["baselines"] += t4 - t3
    measured = spent["generate"] + spent["gold"] + spent["controls"]
    return {"rate": count / measured, "n_controls": controls / count, "baselines": spent["baselines"] / count * 1e3,
            **{k: v / count * 1e3 for k, v in spent.items() if k != "baselines"}}

with tempfile.TemporaryDirectory() as tmp:
    bench(Path(tmp) / "warm", 10)
    print(json.dumps(bench(Path(tmp) / "run", n)))
'''


def measure(python: str, category: str, n: int, difficulty: int) -> dict[str, float]:
    # run from a neutral folder: `python -c` puts the working directory first on sys.path, and from a
    # checkout another installation's interpreter would import this checkout's synth
    done = subprocess.run([python, "-c", DRIVER, category, str(n), str(difficulty)], capture_output=True, text=True,
                          check=False, cwd=tempfile.gettempdir())
    if done.returncode != 0:
        raise SystemExit(f"{python} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def best(results: list[dict[str, float]]) -> dict[str, float]:
    return max(results, key=lambda r: r["rate"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="tuples per category and round")
    parser.add_argument("--difficulty", type=int, default=3)
    parser.add_argument("--category", action="append", help="only these categories (repeatable)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per installation; the best one counts")
    parser.add_argument("--against", metavar="PYTHON", help="another installation's interpreter, measured alternately")
    args = parser.parse_args()
    from synth import categories

    chosen = args.category or sorted(categories("general"))
    print(f"general family, generate+verify, difficulty {args.difficulty}, {args.n} tuples per category, one core, "
          f"CPU time, best of {args.rounds}")
    print(f"{'category':<22}{'tuples/s':>10}{'vs target':>11}{'gen ms':>9}{'gold ms':>9}{'ctrl ms':>9}{'controls':>10}"
          f"{'baselines ms':>14}" + (f"{'before':>10}{'ratio':>8}" if args.against else ""))
    for category in chosen:
        mine, theirs = [], []
        for _ in range(args.rounds):
            mine.append(measure(sys.executable, category, args.n, args.difficulty))
            if args.against:
                theirs.append(measure(args.against, category, args.n, args.difficulty))
        r = best(mine)
        line = (f"{category:<22}{r['rate']:>10.0f}{r['rate'] / TARGET:>10.2f}x{r['generate']:>9.2f}{r['gold']:>9.2f}"
                f"{r['controls']:>9.2f}{r['n_controls']:>10.1f}{r['baselines']:>14.2f}")
        if args.against:
            before = best(theirs)
            line += f"{before['rate']:>10.0f}{r['rate'] / before['rate']:>7.2f}x"
            line += (f"\n{'  (before)':<22}{before['rate']:>10.0f}{before['rate'] / TARGET:>10.2f}x{before['generate']:>9.2f}"
                     f"{before['gold']:>9.2f}{before['controls']:>9.2f}{before['n_controls']:>10.1f}")
        print(line)


if __name__ == "__main__":
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    main()
