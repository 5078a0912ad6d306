"""Serving benchmark: what `synth serve` adds to a tool call, against `Environment.call` in process.

Where it sits: it measures the environment server (rollout | serve -> export) with no model: a
client plays a trainer's tool loop over real general tasks (trip_planning, difficulty 3: live
environments over each tuple's SQLite database). `synth serve RUN` runs in its own process; the
client is openenv-core's own async WebSocket client (`EnvClient`), one connection per session.

- step latency at 1 session: the same tool calls through the server and through
  `Environment.call` in this process, side by side (alternating rounds, best round kept); the
  server's added p50 is the difference;
- 256 concurrent sessions (`--sessions`): each resets to a task, makes `--steps` tool calls and
  submits the gold answer; p50/p99 step latency and steps/s against the in-process calls, errors
  (any error observation, or a reward other than the gold's 1.0), and sessions and environments
  the server still holds afterwards (`/synth/sessions`);
- the container families (16 sessions each, `--containers`): interpreter tasks (a kernel container
  a session) and code tasks (a container a session, and one more that grades its submission; the
  calc repository of tests/code_repos.py, served --unsound since serving needs no verify): each
  session's containers are counted by their synth label while the sessions are open, and again
  after they closed, half of them by disconnecting mid-episode without a close message; the others
  submit the gold (code: the gold patch applied with bash, then submit).

    .venv/bin/python benchmarks/bench_serve.py                 # general figures
    .venv/bin/python benchmarks/bench_serve.py --containers    # also interpreter and code (Docker)

Target (issue 22): the server adds < 2 ms p50 a step on this machine; 0 errors; no session leaked.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def make_run(path: Path, family: str, settings: dict[str, Any]) -> Path:
    import synth

    if not (path / "manifest.json").exists():
        synth.generate(path, family, settings)
        assert synth.verify(synth.Run.open(path)).ok
    return path


def start(run: Path, sessions: int, *extra: str) -> tuple[subprocess.Popen, str]:
    command = [sys.executable, "-m", "synth.cli", "serve", str(run), "--port", "0", "--max-sessions", str(sessions + 8), *extra]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    url = process.stdout.readline().strip() if process.stdout else ""
    if not url.startswith("http"):
        raise SystemExit("synth serve did not start")
    return process, url


def plan(run: Path, steps: int) -> list[tuple[str, list[tuple[str, dict]], str]]:
    """(task key, tool calls, gold answer) per task: the first argument-free lookups of the task."""
    from synth import Run
    from synth._envserver import Catalog

    opened = Run.open(run)
    gold = {t.task_key: t.submission for t in opened.trajectories() if t.source == "gold"}
    out = []
    for record in Catalog(opened).records.values():  # the tasks a server serves (sound, not easy)
        free = [t.name for t in record.environment.tools if not t.parameters.get("required") and t.name != "submit_result"]
        calls = [(free[i % len(free)], {}) for i in range(steps)]
        out.append((record.key, calls, gold[record.key]))
    return out


# -- in process ------------------------------------------------------------------------------------
def in_process(run: Path, tasks: list, sessions: int) -> dict[str, Any]:
    """Every session's calls through `Environment.call`, episode after episode (one thread)."""
    from synth import Run, family

    opened = Run.open(run)
    records = {t.key: t for t in opened.tuples()}
    latencies: list[float] = []
    started = time.perf_counter()
    for number in range(sessions):
        key, calls, gold = tasks[number % len(tasks)]
        record = records[key]
        with family(record.environment.family).open(record, opened) as env:
            for name, arguments in calls:
                t0 = time.perf_counter()
                env.call(name, json.dumps(arguments))
                latencies.append(time.perf_counter() - t0)
            env.call("submit_result", json.dumps({"answer_text": gold}))
    wall = time.perf_counter() - started
    return {"p50_ms": pct(latencies, 0.5) * 1e3, "p99_ms": pct(latencies, 0.99) * 1e3, "steps_per_s": len(latencies) / wall}


# -- through the server ----------------------------------------------------------------------------
async def through_server(url: str, tasks: list, sessions: int, *, drop: int = 0, episodes: int = 1,
                         submit: tuple[str, str | None] = ("submit_result", "answer_text")) -> dict[str, Any]:
    """`sessions` concurrent WebSocket sessions, `episodes` one after the other in each; the first
    `drop` sessions disconnect mid-episode; the others submit the gold answer through `submit`
    (the submit tool and its argument)."""
    from synth._openenv import client_class, openenv_types

    Action, _, _ = openenv_types()
    Client = client_class()
    latencies: list[float] = []
    errors: list[str] = []

    async def one(number: int) -> None:
        key, calls, gold = tasks[number % len(tasks)]
        client = Client(base_url=url, connect_timeout_s=600, message_timeout_s=600)
        try:
            await client.connect()  # 256 handshakes at once: a slow one is waited for; a refused one is an error
            first = await client.reset(task_key=key)
            if first.observation.error:
                errors.append(str(first.observation.error))
                return
            for name, arguments in calls:
                t0 = time.perf_counter()
                result = await client.step(Action(type="call_tool", tool_name=name, arguments=arguments))
                latencies.append(time.perf_counter() - t0)
                if result.observation.error:
                    errors.append(str(result.observation.error))
            if number < drop:
                await client._ws.close()  # gone mid-episode, no close message
                client._ws = None
                return
            done = await client.step(Action(type="call_tool", tool_name=submit[0], arguments={submit[1]: gold} if submit[1] else {}))
            if not done.done or done.reward != 1.0:
                errors.append(f"gold reward {done.reward}")
        except Exception as exc:  # a refused or dropped connection is an error of the run
            errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            await client.close()

    async def serial(number: int) -> None:
        for episode in range(episodes):
            await one(number * episodes + episode)

    started = time.perf_counter()
    await asyncio.gather(*(serial(n) for n in range(sessions)))
    wall = time.perf_counter() - started
    return {"p50_ms": pct(latencies, 0.5) * 1e3, "p99_ms": pct(latencies, 0.99) * 1e3,
            "steps_per_s": len(latencies) / wall, "errors": len(errors), "first_error": errors[0] if errors else None}


def held(url: str) -> dict[str, int]:
    for _ in range(200):
        counts = httpx.get(url + "/synth/sessions").json()
        if counts["sessions"] == 0 and counts["environments"] == 0:
            break
        time.sleep(0.05)
    return counts


def containers(owner: int) -> int:
    """Containers synth started for process `owner` (the server): its sandbox label and pid."""
    import docker

    # sparse: no inspect per container (one removed between the listing and its inspect would raise)
    return len(docker.from_env().containers.list(all=True, sparse=True, filters={"label": ["synth.sandbox", f"synth.pid={owner}"]}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=256)
    parser.add_argument("--steps", type=int, default=8, help="tool calls a session makes before it submits")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--containers", action="store_true", help="also 16 sessions of the interpreter and code families")
    parser.add_argument("--containers-only", action="store_true", help="only the container families' figures")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "synth-bench-serve")
    args = parser.parse_args()

    if not args.containers_only:
        general(args)
    if args.containers or args.containers_only:
        interpreter(args)
        code(args)


def general(args: argparse.Namespace) -> None:
    run = make_run(args.work / "general", "general", {"n": 16, "seed": 1, "difficulty": 3, "category": ["trip_planning"]})
    tasks = plan(run, args.steps)
    server, url = start(run, args.sessions)
    try:
        single_server, single_local = [], []
        for _ in range(args.rounds):  # 1 session at a time: the added latency, alternating sides
            single_local.append(in_process(run, tasks, 16))
            single_server.append(asyncio.run(through_server(url, tasks, 1, episodes=16)))
        best_local = min(single_local, key=lambda r: r["p50_ms"])
        best_server = min(single_server, key=lambda r: r["p50_ms"])
        print(json.dumps({"one_session": {"in_process_p50_ms": round(best_local["p50_ms"], 3),
                                          "server_p50_ms": round(best_server["p50_ms"], 3),
                                          "added_p50_ms": round(best_server["p50_ms"] - best_local["p50_ms"], 3),
                                          "server_p99_ms": round(best_server["p99_ms"], 3)}}))
        many_local = in_process(run, tasks, args.sessions)
        many = asyncio.run(through_server(url, tasks, args.sessions))
        print(json.dumps({f"{args.sessions}_sessions": {
            "server": {k: (round(v, 3) if isinstance(v, float) else v) for k, v in many.items()},
            "in_process": {k: round(v, 3) for k, v in many_local.items()},
            "throughput_ratio": round(many["steps_per_s"] / many_local["steps_per_s"], 3),
            "held_after": held(url)}}))
    finally:
        server.terminate()
        server.wait(timeout=60)


def interpreter(args: argparse.Namespace) -> None:
    irun = make_run(args.work / "interpreter", "interpreter", {"n": 4, "seed": 1, "difficulty": 1, "category": ["math"]})
    from synth import Run

    opened = Run.open(irun)
    gold = {t.task_key: t.submission for t in opened.trajectories() if t.source == "gold"}
    itasks = [(t.key, [("python", {"code": "print(1 + 1)"})] * 2, gold[t.key]) for t in opened.tuples()]
    containers_bench("interpreter_16_sessions", irun, itasks, ("submit", "answer"))


def code(args: argparse.Namespace) -> None:
    """The calc repository's task (tests/code_repos.py), generated without verify and served --unsound."""
    from synth import Run

    path = args.work / "code"
    if not (path / "run" / "manifest.json").exists():
        import synth

        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
        from code_repos import make_repo

        synth.generate(path / "run", "code", {"git": str(make_repo(path / "origin")), "k": 2, "timeout": 60, "n": 1})
    from synth.environments.code._family import DELIM, gold_patch_of

    opened = Run.open(path / "run")
    ctasks = []
    for record in opened.tuples():
        apply = f"git apply --whitespace=nowarn - <<'{DELIM}'\n{gold_patch_of(record, opened)}{DELIM}\n"
        ctasks.append((record.key, [("bash", {"command": "ls"}), ("bash", {"command": apply})], ""))
    containers_bench("code_16_sessions", path / "run", ctasks, ("submit", None), "--unsound", "--keep-easy")


def containers_bench(name: str, run: Path, tasks: list, submit: tuple[str, str | None], *extra: str) -> None:
    """16 sessions of a container family, 8 dropped mid-episode: containers at the peak and left after."""
    server, url = start(run, 16, *extra)
    before = containers(server.pid)
    try:
        peak = 0

        async def watch(stop: asyncio.Event) -> None:
            nonlocal peak
            while not stop.is_set():
                peak = max(peak, await asyncio.to_thread(containers, server.pid) - before)
                await asyncio.sleep(0.2)

        async def both() -> dict[str, Any]:
            stop = asyncio.Event()
            watcher = asyncio.create_task(watch(stop))
            result = await through_server(url, tasks, 16, drop=8, submit=submit)
            stop.set()
            await watcher
            return result

        result = asyncio.run(both())
        after = held(url)
        time.sleep(1.0)
        print(json.dumps({name: {**{k: (round(v, 3) if isinstance(v, float) else v) for k, v in result.items()},
                                 "containers_peak": peak, "held_after": after,
                                 "containers_left": containers(server.pid) - before}}))
    finally:
        server.terminate()
        server.wait(timeout=120)


if __name__ == "__main__":
    main()
