"""The Ray executor against the local one on the same machine: overhead and scaling with workers.

Generate + verify of general tuples (difficulty 2, every category) and a rollout against a local
OpenAI-compatible server that answers each call after a fixed delay (a latency-bound model), run
with the local executor in this process, then in child processes with a fresh local Ray of 1 and
of 2 CPUs. Prints wall-clock seconds, the ratio to the local executor measured in the same run,
the 2-worker / 1-worker speed-up, Ray's start-up time (apart), and checks that every executor
wrote byte-identical journals.

    .venv/bin/python benchmarks/bench_ray.py [--n 100] [--episodes 64] [--delay 0.05] [--concurrency 4]
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
from fakes import FakeServer, call, completion  # noqa: E402

JOURNALS = (Run.TUPLES, Run.VERDICTS, Run.TRAJECTORIES)


def reply(body: dict, n: int) -> dict:
    done = sum(1 for m in body["messages"] if m["role"] == "tool")
    if done < 2:
        return completion("Looking.", [call(body["tools"][done]["function"]["name"], "{}", f"call_{done}")])
    return completion(None, [call("submit_result", {"answer_text": "[]"}, "call_submit")])


def work(root: Path, n: int, episodes: int, delay: float, executor: object, concurrency: int) -> dict[str, float]:
    t0 = time.perf_counter()
    synth.generate(root, "general", {"n": n, "seed": 0, "difficulty": 2}, executor=executor)  # type: ignore[arg-type]
    t1 = time.perf_counter()
    run = Run.open(root)
    synth.verify(run, executor=executor)  # type: ignore[arg-type]
    t2 = time.perf_counter()
    with FakeServer(reply, delay=delay) as server:
        cfg = synth.RolloutConfig(base_url=server.base_url, model="bench", samples=1, max_steps=4, concurrency=concurrency)
        synth.rollout(run, cfg, tasks=episodes, executor=executor)  # type: ignore[arg-type]
    t3 = time.perf_counter()
    return {"generate": t1 - t0, "verify": t2 - t1, "rollout": t3 - t2}


def child(cpus: int, root: Path, n: int, episodes: int, delay: float, concurrency: int) -> None:
    import ray

    from synth._executor import RayExecutor

    t0 = time.perf_counter()
    ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False, configure_logging=False, _node_ip_address="127.0.0.1")
    executor = RayExecutor()
    startup = time.perf_counter() - t0
    work(root, n, episodes, delay, executor, concurrency)  # warm: workers start, modules import
    import shutil

    shutil.rmtree(root)
    figures = work(root, n, episodes, delay, executor, concurrency)
    ray.shutdown()
    print(json.dumps({"startup": startup, **figures}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100, help="tuples per category (4 categories)")
    parser.add_argument("--episodes", type=int, default=64, help="rollout episodes (one per task)")
    parser.add_argument("--delay", type=float, default=0.05, help="seconds the model server takes per call")
    # at 8 and more, episodes of the general family in one process hit a known shared-connection
    # fault (issue 8: "Cannot operate on a closed database") that changes their tool results
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.root, args.n, args.episodes, args.delay, args.concurrency)

    with tempfile.TemporaryDirectory(prefix="synth-bench-ray-") as tmp:
        base = Path(tmp)
        work(base / "warm", args.n, args.episodes, args.delay, None, args.concurrency)  # as the Ray children warm up
        local = work(base / "local", args.n, args.episodes, args.delay, None, args.concurrency)
        results = {"local": local}
        for cpus in (1, 2):
            out = subprocess.run([sys.executable, __file__, "--child", str(cpus), "--root", str(base / f"ray{cpus}"),
                                  "--n", str(args.n), "--episodes", str(args.episodes), "--delay", str(args.delay),
                                  "--concurrency", str(args.concurrency)], capture_output=True, text=True, check=True)
            results[f"ray{cpus}"] = json.loads(out.stdout.strip().splitlines()[-1])
        identical = all((base / "local" / name).read_bytes() == (base / f"ray{c}" / name).read_bytes()
                        for c in (1, 2) for name in JOURNALS[:2])
        same_rollout = all(sorted((base / "local" / Run.TRAJECTORIES).read_bytes().splitlines())
                           == sorted((base / f"ray{c}" / Run.TRAJECTORIES).read_bytes().splitlines()) for c in (1, 2))
    tuples = args.n * 4
    print(f"{tuples} tuples, {args.episodes} episodes at {args.delay * 1e3:.0f} ms a model call, concurrency {args.concurrency}")
    print(f"{'stage':10} {'local s':>8} {'ray 1 CPU':>10} {'ratio':>6} {'ray 2 CPU':>10} {'ratio':>6} {'2 vs 1':>7}")
    for stage in ("generate", "verify", "rollout"):
        l, r1, r2 = local[stage], results["ray1"][stage], results["ray2"][stage]
        print(f"{stage:10} {l:8.2f} {r1:10.2f} {r1 / l:6.2f} {r2:10.2f} {r2 / l:6.2f} {r1 / r2:6.2f}x")
    print(f"Ray start-up (not in the figures above): 1 CPU {results['ray1']['startup']:.1f} s, 2 CPUs {results['ray2']['startup']:.1f} s")
    print(f"tuples and verdicts byte-identical to the local executor: {identical}; "
          f"the same trajectory lines: {same_rollout}")


if __name__ == "__main__":
    main()
