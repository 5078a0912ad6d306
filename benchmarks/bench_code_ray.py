"""Code-task validation under `--executor ray`: throughput with 1 and 2 Ray workers vs the local executor.

Generates mutation tasks of one project (default: the calculator repository the tests make, Python,
pytest; `--debian json-simple` or another `synth generate code` source for a language of the language
layer) with the local executor in this process, then in child processes with a fresh local Ray of 1
and of 2 CPUs. Each worker validates candidates (`work()`: screening, k readings, the second reading
by id) and tests the project once for itself; the records are built on the writer in candidate
order. Prints seconds, candidates validated per minute, the 2-worker / 1-worker speed-up, and checks
that tuples and rejections are byte-identical to the local executor's. Images are built before the
timed runs (they are cached by recipe hash: every executor reuses them).

    .venv/bin/python benchmarks/bench_code_ray.py [--n 4] [--max-candidates 8] [--k 2] [--debian json-simple]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import synth
from synth import Run

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from code_repos import make_repo  # noqa: E402


def settings(args: argparse.Namespace, repo: Path) -> dict:
    source = {"debian": args.debian} if args.debian else {"git": str(repo), "mutate": True}
    return {**source, "n": args.n, "k": args.k, "timeout": args.timeout, "max_candidates": args.max_candidates}


def work(root: Path, chosen: dict, executor: object) -> dict[str, float]:
    t0 = time.perf_counter()
    report = synth.generate(root, "code", chosen, executor=executor)  # type: ignore[arg-type]
    return {"seconds": time.perf_counter() - t0, "tuples": report.tuples, "rejected": report.rejected}


def child(cpus: int, root: Path, chosen: dict) -> None:
    import ray

    from synth._executor import RayExecutor, init_local

    init_local(num_cpus=cpus, include_dashboard=False, log_to_driver=False, configure_logging=False)
    executor = RayExecutor()
    figures = work(root, chosen, executor)
    ray.shutdown()
    print(json.dumps(figures))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=4)
    parser.add_argument("--max-candidates", type=int, default=8)
    parser.add_argument("--k", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--debian", help="a Debian package source instead of the calculator repository")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--settings", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.root, json.loads(args.settings))
    with tempfile.TemporaryDirectory(prefix="synth-bench-code-ray-") as tmp:
        base = Path(tmp)
        chosen = settings(args, make_repo(base / "repo"))
        work(base / "warm", chosen, None)  # images built once (cached by recipe hash)
        results = {"local": work(base / "local", chosen, None)}
        for cpus in (1, 2):
            out = subprocess.run([sys.executable, __file__, "--child", str(cpus), "--root", str(base / f"ray{cpus}"),
                                  "--settings", json.dumps(chosen)], capture_output=True, text=True)
            if out.returncode != 0:
                raise SystemExit(f"ray {cpus}: {out.stderr[-2000:]}")
            results[f"ray{cpus}"] = json.loads(out.stdout.strip().splitlines()[-1])
        identical = all((base / "local" / name).read_bytes() == (base / f"ray{c}" / name).read_bytes()
                        for c in (1, 2) for name in (Run.TUPLES, Run.REJECTIONS) if (base / "local" / name).exists())
    local = results["local"]
    candidates = local["tuples"] + local["rejected"]
    print(f"{chosen}: {candidates} candidates validated -> {local['tuples']} tuples")
    print("| executor | seconds | candidates per minute | vs local |")
    print("|---|---|---|---|")
    for name, figures in results.items():
        print(f"| {name} | {figures['seconds']:.1f} | {candidates / figures['seconds'] * 60:.2f} | "
              f"{local['seconds'] / figures['seconds']:.2f}x |")
    print(f"Ray 2 workers vs 1: {results['ray1']['seconds'] / results['ray2']['seconds']:.2f}x; "
          f"tuples and rejections byte-identical to the local executor: {identical}")


if __name__ == "__main__":
    main()
