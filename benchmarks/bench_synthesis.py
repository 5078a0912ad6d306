"""Benchmark of the environment-synthesis agent's machinery (Docker; no model but a scripted one).

Prints, as a markdown table:
- the sandbox round trip of one generated-code execution (a tool call through the harness, warm
  image, live container) against a bare `true` in the same container (the engine's floor);
- gate time per candidate environment (the hotel environment of tests/agent_script.py, levels 1
  and 2), with the sandbox pool that starts containers ahead and removes them behind, against the
  same gate with every container started and removed in line;
- model calls per kept environment in the scripted run (two categories, two levels each; one
  second-level draft lacks a tool, one first-level verifier needs a repair);
- with --redteam: each red-team scenario (tests/synthesized/redteam.py) through the gate, kept or
  rejected with the class it names, and the gate's seconds (run it on two checkouts to compare
  gates: files the gate under test does not know, e.g. rules.json, are left out);
- with --gates-only: only the gate figures (for a side-by-side run on another checkout).

Usage: python benchmarks/bench_synthesis.py [--calls 40] [--gates 3] [--redteam] [--gates-only]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "synthesized"))

import agent_script as script  # noqa: E402
from fakes import Scripted  # noqa: E402

import synth  # noqa: E402
from synth.environments.synthesized import FILES, CategoryEntry, Placement, run_gate  # noqa: E402
from synth.verifiers.synthesized import _sandbox, fresh_sandbox, run_harness, sandbox_image  # noqa: E402


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def round_trips(calls: int) -> tuple[list[float], list[float]]:
    """(tool calls through the harness, bare `true` execs) in one live container, seconds each."""
    run = synth.Run.create(Path(tempfile.mkdtemp(prefix="bench-synth-")) / "run")
    record = script.record_of(run, script.LEVEL1)
    harness, bare = [], []
    with synth.family("synthesized").open(record, run) as env:
        box = env.runtime.context.box
        for _ in range(calls):
            started = time.perf_counter()
            result = env.call("hotels_in", '{"city": "Rome"}')
            harness.append(time.perf_counter() - started)
            assert not result.error, result.content
            started = time.perf_counter()
            box.exec("true")
            bare.append(time.perf_counter() - started)
    return harness, bare


def gates(count: int, pooled: bool) -> list[float]:
    """Seconds of `count` gate runs of each hotel level (a fresh run directory each)."""
    if not pooled:  # start and remove every container in line, as a plain context manager would
        _sandbox._pool.DEPTH = 0
        _sandbox._pool.release = lambda box: box.close()  # type: ignore[method-assign]
    seconds = []
    entry = CategoryEntry(category="hotel booking")
    for _ in range(count):
        run = synth.Run.create(Path(tempfile.mkdtemp(prefix="bench-gate-")) / "run")
        for level, files, before in ((1, script.LEVEL1, None), (2, script.LEVEL2, "level1")):
            where = Placement(candidate=f"b:0:L{level}", category=entry, seed=0, index=0, level=level, model="bench")
            started = time.perf_counter()
            report = run_gate(run, {k: v for k, v in files.items() if k in FILES}, where, previous if before else None)
            seconds.append(time.perf_counter() - started)
            assert report.passed, report.failures
            previous = report.facts
    _sandbox._pool.drain()
    return seconds


def redteam() -> None:
    """Every red-team scenario through the gate: kept or rejected (first reason), seconds."""
    import redteam as team

    run = synth.Run.create(Path(tempfile.mkdtemp(prefix="bench-redteam-")) / "run")
    entry = CategoryEntry(category="red team")
    print("| scenario | class | outcome | gate s |")
    print("|---|---|---|---|")
    kept, spent = 0, []
    for name, (flaw, _) in team.SCENARIOS.items():
        where = Placement(candidate="r:0:L1", category=entry, seed=0, index=0, level=1, model="bench", timeout=5)
        started = time.perf_counter()
        report = run_gate(run, team.files_of(name, tuple(FILES)), where)
        spent.append(time.perf_counter() - started)
        kept += report.passed
        outcome = "KEPT" if report.passed else "rejected: " + report.first()[:90].replace("|", "/")
        print(f"| {name} | {flaw} | {outcome} | {spent[-1]:.1f} |")
    print(f"\n{kept} of {len(team.SCENARIOS)} kept; gate {sum(spent):.0f} s in all, median {statistics.median(spent):.1f} s")


def scripted_run() -> tuple[int, int]:
    """(model calls, kept environments) of the scripted two-category, two-level run."""
    run = synth.Run.create(Path(tempfile.mkdtemp(prefix="bench-agent-")) / "run")
    model = Scripted(script.by_category(script.HOTEL_AGENTS))
    fam = synth.family("synthesized")
    fam.transport = model.transport()
    try:
        synth.generate(run, "general", {"agent": True, "base_url": "http://scripted.invalid/v1", "model": "scripted",
                                        "category": list(script.HOTEL_AGENTS), "n": 1, "difficulty": 2})
    finally:
        fam.transport = None
    return len(model.requests), len(run.tuples().read())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=40, help="tool calls timed")
    parser.add_argument("--gates", type=int, default=3, help="gate runs per level and mode")
    parser.add_argument("--redteam", action="store_true", help="run the red-team scenarios through the gate instead")
    parser.add_argument("--gates-only", action="store_true", help="only the gate figures")
    args = parser.parse_args()
    synth.family("synthesized").prepare()
    sandbox_image()
    with fresh_sandbox() as box:  # warm the image's page cache
        run_harness(box, "build")
    if args.redteam:
        redteam()
        return
    if args.gates_only:
        pooled = gates(args.gates, pooled=True)
        print(f"| gate per candidate environment (hotel levels 1-2), pooled sandboxes, p50 / mean | "
              f"{statistics.median(pooled):.2f} s / {statistics.mean(pooled):.2f} s |")
        return
    harness, bare = round_trips(args.calls)
    calls, kept = scripted_run()
    pooled = gates(args.gates, pooled=True)
    inline = gates(args.gates, pooled=False)
    p50 = statistics.median
    print("| figure | value |")
    print("|---|---|")
    print(f"| generated-code execution (tool call via harness), warm image, p50 / p90 | {p50(harness):.3f} s / "
          f"{pct(harness, 0.9):.3f} s |")
    print(f"| bare `true` exec in the same container, p50 (floor) | {p50(bare):.3f} s "
          f"(harness / floor = {p50(harness) / p50(bare):.2f}x) |")
    print(f"| gate per candidate environment (hotel levels 1-2), pooled sandboxes, p50 | {p50(pooled):.2f} s |")
    print(f"| the same gate, containers started and removed in line, p50 | {p50(inline):.2f} s "
          f"(pooled / in line = {p50(pooled) / p50(inline):.2f}) |")
    print(f"| model calls per kept environment (scripted run) | {calls} calls / {kept} kept = {calls / kept:.2f} |")


if __name__ == "__main__":
    main()
