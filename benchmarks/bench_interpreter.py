"""Benchmark of the interpreter family: the kernel, and generating and verifying tasks.

Prints, as a markdown table:
- kernel start with a warm image, p50/p90: a fresh sandbox and a kernel ready to execute
  (target: p50 at most 1 s);
- round trip of a trivial execution through the kernel against the same code run by a fresh
  `python -c` with `docker exec` in the same container (ratio; target: the kernel faster);
- generated tuples per second per category at difficulty 3 (files written, one core);
- verify seconds per tuple (a kernel per tuple, gold cells through the python tool, controls).

Usage: python benchmarks/bench_interpreter.py [--starts 10] [--round-trips 300] [--n 40]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import synth
from synth.environments.interpreter import Kernel, KernelSettings, kernel_image


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--starts", type=int, default=10)
    parser.add_argument("--round-trips", type=int, default=300)
    parser.add_argument("--n", type=int, default=40, help="tuples per category for generation")
    parser.add_argument("--verify", type=int, default=3, help="tuples per category for verify")
    args = parser.parse_args()
    rows: list[tuple[str, str, str]] = []
    kernel_image()  # warm: built once per machine
    synth.families()  # plug-ins imported before anything is timed

    starts, closes = [], []
    for _ in range(args.starts):
        began = time.perf_counter()
        kernel = Kernel(KernelSettings(), {})
        starts.append(time.perf_counter() - began)
        began = time.perf_counter()
        kernel.close()
        closes.append(time.perf_counter() - began)
    rows.append(("kernel start, warm image (sandbox + kernel ready), p50 / p90",
                 f"{statistics.median(starts):.2f} s / {percentile(starts, 90):.2f} s", "p50 <= 1 s"))
    rows.append(("kernel close (sandbox removed), p50", f"{statistics.median(closes):.2f} s", ""))

    with Kernel(KernelSettings(), {}) as kernel:
        for _ in range(20):
            kernel.execute("1 + 1")
        began = time.perf_counter()
        for _ in range(args.round_trips):
            kernel.execute("1 + 1")
        through_kernel = (time.perf_counter() - began) / args.round_trips
        execs = max(10, args.round_trips // 20)
        began = time.perf_counter()
        for _ in range(execs):
            # another uid than the kernel's: a command's clean-up kills every process of its user
            kernel.box.exec("/opt/venv/bin/python -c 'print(1 + 1)'", user="1001:1001")
        through_exec = (time.perf_counter() - began) / execs
    rows.append(("trivial execution: kernel round trip vs `docker exec python -c` in the same container",
                 f"{through_kernel * 1000:.2f} ms vs {through_exec * 1000:.0f} ms = {through_exec / through_kernel:.0f}x faster",
                 "kernel faster"))

    with tempfile.TemporaryDirectory() as tmp:
        figures = []
        for category in ("data", "math", "logic"):
            run = synth.Run.create(Path(tmp) / f"gen-{category}")
            began = time.perf_counter()
            synth.generate(run, "interpreter", {"category": [category], "n": args.n, "seed": 1, "difficulty": 3})
            figures.append(f"{category} {args.n / (time.perf_counter() - began):.0f}")
        rows.append(("generate, difficulty 3 (files written), one core", ", ".join(figures) + " tuples/s", ""))

        run = synth.Run.create(Path(tmp) / "verify")
        synth.generate(run, "interpreter", {"n": args.verify, "seed": 2, "difficulty": 3})
        began = time.perf_counter()
        summary = synth.verify(run)
        seconds = time.perf_counter() - began
        count = 3 * args.verify
        rows.append(("verify, difficulty 3 (kernel per tuple, gold through the tool, 5-7 controls)",
                     f"{seconds / count:.2f} s per tuple ({count} tuples, {'all sound' if summary.ok else 'UNSOUND'})", ""))

    print("| benchmark | figure | target |\n|---|---|---|")
    for name, figure, target in rows:
        print(f"| {name} | {figure} | {target} |")


if __name__ == "__main__":
    main()
