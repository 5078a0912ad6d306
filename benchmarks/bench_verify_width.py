"""Benchmark of `synth verify` on code tasks: a task's null controls graded one at a time (width 1,
synth before Family.control_width) against `control_width` at a time, alternating, on the same tuples.

Each round copies the tuples and assets of a code run into a fresh run (nothing verified yet) and
times `synth.verify` on it, once per width, in alternating order (ABBA) so load drifts hit both.
Prints a markdown row per round and the median ratio. Verdicts must agree (same controls, same
soundness) or the script exits 1.

Usage: python benchmarks/bench_verify_width.py [--run runs/demo-code] [--rounds 2] [--width N]
(`make demo` makes runs/demo-code: 3 toolz mutation tasks with ~19 controls each.)
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import synth
from synth.environments.code import CodeFamily


def fresh_copy(source: Path, into: Path) -> synth.Run:
    into.mkdir(parents=True)
    shutil.copy(source / "tuples.jsonl", into / "tuples.jsonl")
    shutil.copy(source / "manifest.json", into / "manifest.json")
    shutil.copytree(source / "assets", into / "assets")
    return synth.Run.open(into)


def timed(source: Path, work: Path, width: int, tag: str) -> tuple[float, dict]:
    CodeFamily.control_width = width
    run = fresh_copy(source, work / tag)
    start = time.perf_counter()
    summary = synth.verify(run)
    took = time.perf_counter() - start
    found = {(v.task_key, v.control): v.sound for v in run.verdicts()}
    if not summary.ok:
        print(f"width {width}: verify not ok: {summary.unsound}", file=sys.stderr)
    return took, found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, default=Path("runs/demo-code"))
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--width", type=int, default=CodeFamily.control_width)
    args = parser.parse_args()
    if not (args.run / "tuples.jsonl").is_file():
        print(f"no code run at {args.run} (make demo makes runs/demo-code)", file=sys.stderr)
        return 2
    tuples = sum(1 for _ in open(args.run / "tuples.jsonl"))
    print(f"| round | tuples | width 1 | width {args.width} | ratio |\n|---|---|---|---|---|")
    ratios = []
    with tempfile.TemporaryDirectory(prefix="bench-width-") as tmp:
        for round_ in range(args.rounds):
            order = [1, args.width] if round_ % 2 == 0 else [args.width, 1]
            got = {w: timed(args.run, Path(tmp), w, f"r{round_}-w{w}") for w in order}
            (one, seen_one), (many, seen_many) = got[1], got[args.width]
            if seen_one != seen_many:
                print("verdicts differ between widths", file=sys.stderr)
                return 1
            ratios.append(one / many)
            print(f"| {round_ + 1} | {tuples} | {one:.1f} s | {many:.1f} s | {one / many:.2f}x |", flush=True)
    print(f"\nmedian speed-up of width {args.width} over width 1: {statistics.median(ratios):.2f}x "
          f"({len(seen_one)} verdicts each, the same in both)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
