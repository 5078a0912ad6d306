"""Benchmark of the behavioural cross-check against the gold (issue 17 item 6) on two real projects
(toolz, a pytest-function suite; more-itertools, a TestCase suite; both mined from PyPI sdists).

Prints, as a markdown table, per project: grading one submission (the gold) with the task's values
watched and compared, against the same task's harness without them (`watch` and `values` emptied),
alternating in the same loop (what recording costs at grading: the tracer runs only in the F2P
tests' confirming forks); and the second gold run validation adds (one solo reading of the F2P
tests) against the validation's own readings measured in `synth generate` (the task's `seconds`).
Ratios, measured side by side, are what to read on a loaded machine.

Usage: python benchmarks/bench_values.py [--rounds 3]
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
    options = parser.parse_args()

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
            with_values, without = [], []
            for _ in range(options.rounds):
                for times, chosen in ((with_values, harness), (without, plain)):
                    started = time.perf_counter()
                    from synth.environments.code._exec import grading_run
                    grading_run(image, gold, test_patch_of(record, run), chosen, list(args.get("test_files", [])),
                                list(args["fail_to_pass"]), list(args["pass_to_pass"]), 300)
                    times.append(time.perf_counter() - started)
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
                         main_run.duration, generate_seconds, again.exit_code))
    print("| project | F2P | watched | values kept / optional | grading with values (s) | without (s) | ratio | "
          "added validation run (s) | a main reading, same box (s) | generate k=1 (s) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for label, f2p, watched, kept, optional, a, b, extra, main_s, gen, _ in rows:
        print(f"| {label} | {f2p} | {watched} | {kept} / {optional} | {a:.2f} | {b:.2f} | {a / b:.2f}x | {extra:.2f} | "
              f"{main_s:.2f} | {gen:.1f} |")


if __name__ == "__main__":
    main()
