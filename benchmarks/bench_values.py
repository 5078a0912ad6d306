"""Benchmark of the behavioural cross-check against the gold (issue 17 item 6) on two real projects
(toolz, a pytest-function suite; more-itertools, a TestCase suite; both mined from PyPI sdists).

Prints, as a markdown table, per project: grading one submission (the gold) with the task's values
watched and compared, against the same task's harness without them (`watch` and `values` emptied),
alternating in the same loop (what recording costs at grading: the tracer runs only in the F2P
tests' confirming forks); and the second gold run validation adds (one solo reading of the F2P
tests) against the validation's own readings measured in `synth generate` (the task's `seconds`).
Ratios, measured side by side, are what to read on a loaded machine.

With `--before REF` (a git ref, e.g. main), grading with values is also timed with the launcher as
it is at REF (the recorder before a change), in the same loop: the change's cost side by side. The
gold's own `gold_values` verdict with this tree's launcher is printed too (it must pass).

Usage: python benchmarks/bench_values.py [--rounds 3] [--before main]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

PROJECTS = {"toolz": "toolz==0.12.1", "more-itertools": "more-itertools==10.1.0"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--before", default=None, help="a git ref whose launcher is timed beside this tree's")
    options = parser.parse_args()
    import subprocess

    import synth.environments.code._exec as exec_module
    from synth.verifiers.code import gold_values, values_of

    current = exec_module.LAUNCHER
    before = subprocess.run(["git", "show", f"{options.before}:verifiers/code/_launcher.py"], check=True,
                            capture_output=True, cwd=Path(__file__).resolve().parents[1]).stdout \
        if options.before else None

    import synth
    from synth.environments.code._exec import run_tests, start_test_box, apply_patch, apply_submission
    from synth.environments.code._family import execute_submission, gold_patch_of, harness_of, images_for, test_patch_of
    from synth.environments.code._patch import drop_protected
    from synth.sandbox import ensure_base

    ensure_base()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, sdist in PROJECTS.items():
            run = synth.Run.create(Path(tmp) / label)
            started = time.perf_counter()
            synth.generate(run, "code", {"sdist": sdist, "n": 1, "k": 1, "seed": 0, "timeout": 120})
            generate_seconds = time.perf_counter() - started
            record = next(iter(run.tuples()))
            harness, gold, image = harness_of(record), gold_patch_of(record, run), images_for(record, run)["task"]
            args = record.verifier.args
            plain = harness.model_copy(update={"watch": {}, "values": {}})
            with_values, without, with_before, verdicts = [], [], [], []
            plan = [(with_values, harness, current), (without, plain, current)] + (
                [(with_before, harness, before)] if before else [])
            for _ in range(options.rounds):
                for times, chosen, launcher in plan:
                    exec_module.LAUNCHER = launcher
                    started = time.perf_counter()
                    from synth.environments.code._exec import grading_run
                    graded = grading_run(image, gold, test_patch_of(record, run), chosen, list(args.get("test_files", [])),
                                         list(args["fail_to_pass"]), list(args["pass_to_pass"]), 300)
                    times.append(time.perf_counter() - started)
                    exec_module.LAUNCHER = current
                    if times is with_values:
                        verdicts.append(_gold_check(graded, harness, args, gold_values, values_of))
            # the run validation adds: one solo reading of the F2P tests with the gold, values watched
            box = start_test_box(image)
            try:
                apply_patch(box, test_patch_of(record, run))
                apply_submission(box, drop_protected(gold)[0])
                started = time.perf_counter()
                again = run_tests(box, harness, list(args.get("test_files", [])), 300, reading="solo",
                                  ids=list(args["fail_to_pass"]), observe=True)
                extra = time.perf_counter() - started
                main_run = run_tests(box, harness, list(args.get("test_files", [])), 300, observe=True)
            finally:
                box.close()
            recorded = sum(1 for t in harness.values.values() for v in t.values() if isinstance(v, list))
            optional = sum(1 for t in harness.values.values() for v in t.values() if not isinstance(v, list))
            rows.append((label, len(args["fail_to_pass"]), ", ".join(f"{p}: {n}" for p, n in harness.watch.items()),
                         recorded, optional, statistics.median(with_values), statistics.median(without), extra,
                         main_run.duration, generate_seconds, again.exit_code,
                         statistics.median(with_before) if with_before else None, verdicts))
    print("| project | F2P | watched | values kept / optional | grading with values (s) | without (s) | ratio | "
          f"with values, launcher at {options.before or '-'} (s) | ratio | gold's gold_values | "
          "added validation run (s) | a main reading, same box (s) | generate k=1 (s) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for label, f2p, watched, kept, optional, a, b, extra, main_s, gen, _, old, verdicts in rows:
        then = f"{old:.2f} | {old / b:.2f}x" if old else "- | -"
        print(f"| {label} | {f2p} | {watched} | {kept} / {optional} | {a:.2f} | {b:.2f} | {a / b:.2f}x | {then} | "
              f"{'pass' if verdicts and all(verdicts) else verdicts} | {extra:.2f} | {main_s:.2f} | {gen:.1f} |")


def _gold_check(graded, harness, args, gold_values, values_of) -> bool:
    """Whether the gold's grading run passes its own `gold_values` (the check grading makes)."""
    runs = graded["runs"] if isinstance(graded, dict) else graded.runs
    second = runs[1] if len(runs) > 1 else None  # where the verifier reads them
    xml = second.get("junit_xml") if isinstance(second, dict) else getattr(second, "junit_xml", None)
    return gold_values(harness.values, xml, list(args["fail_to_pass"])).passed


if __name__ == "__main__":
    main()
