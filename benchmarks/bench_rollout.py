"""Rollout benchmark: orchestration overhead of `synth rollout` against a bare httpx loop, 1,000
concurrent rollouts on one core, and the embedded model's tokens per second.

Where it sits: it measures the rollout stage (verify -> rollout -> export) with the model taken out of
the picture. A minimal OpenAI-compatible server written here (raw asyncio HTTP/1.1, keep-alive)
answers instantly in a separate process pinned to its own core; it replies with a `lookup` tool call
until the conversation holds STEPS-1 tool results, then with `submit_result`. The bare loop sends the
same requests (same messages, tools and sampling fields) with the same httpx settings and does
nothing else; synth does everything a real rollout does (environment, tool runtime, validation,
grading, one journal line per episode). Both run in the same process, pinned to one core.

    .venv/bin/python benchmarks/bench_rollout.py            # all figures
    .venv/bin/python benchmarks/bench_rollout.py --quick    # smaller counts, no embedded model

Targets (issue 3): synth >= 0.9 of the bare loop's steps/s at 256 concurrent rollouts; 1,000
concurrent rollouts on one core with no errors.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

STEPS = 4
"""Model calls per episode: STEPS-1 lookups, then a submission."""


# -- the instant server (runs in its own process) ---------------------------------------------------
def _reply(n_tools: int, count: int) -> bytes:
    if n_tools < STEPS - 1:
        call = {"id": f"c{count}", "type": "function", "function": {"name": "lookup", "arguments": '{"key": "k1"}'}}
    else:
        call = {"id": f"c{count}", "type": "function", "function": {"name": "submit_result", "arguments": '{"answer": "apple"}'}}
    body = {
        "id": "b",
        "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": None, "tool_calls": [call]}, "finish_reason": "tool_calls"}],
        "usage": {"prompt_tokens": 50, "completion_tokens": 10},
    }
    return json.dumps(body).encode()


def serve(port: int) -> None:
    """HTTP/1.1 keep-alive server answering POSTs instantly (also GET /v1/models)."""
    _raise_file_limit()
    counter = [0]

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                body = await reader.readexactly(length) if length else b""
                counter[0] += 1
                payload = _reply(body.count(b'"tool"'), counter[0]) if head.startswith(b"POST") else b'{"data": []}'
                writer.write(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: "
                    + str(len(payload)).encode()
                    + b"\r\n\r\n"
                    + payload
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=4096)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


# -- helpers --------------------------------------------------------------------------------------
def _raise_file_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, 65536) if hard != resource.RLIM_INFINITY else 65536
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def _pin(core: int) -> None:
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {core % (os.cpu_count() or 1)})


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server() -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, __file__, "--serve", str(port)])
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(proc.pid, {1})
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc, f"http://127.0.0.1:{port}/v1"
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("bench: the fake server did not start")


# -- a tiny family for synth ----------------------------------------------------------------------
def _register_bench_family() -> Any:
    import synth
    from synth import Check, Control, RuntimeEnvironment, ToolRuntime, tool_from_function

    def lookup(table: dict[str, str], key: str) -> str:
        """Look up the word under a key.

        Args:
            key: The key.
        """
        return table.get(key, "")

    def submit_result(table: dict[str, str], answer: str) -> str:
        """Submit the answer.

        Args:
            answer: The word.
        """
        return answer

    tools = [tool_from_function(lookup), tool_from_function(submit_result, submit=True)]

    @synth.register_verifier("bench.exact")
    def _exact(record: Any, submission: Any, run: Any, *, trajectory: Any = None, expected: str) -> list[Check]:
        return [Check(name="answer", passed=submission == expected, expected=expected, actual=submission)]

    @synth.register_family
    class BenchFamily(synth.Family):
        name = "bench"
        blocking = False
        description = "rollout benchmark"

        def open(self, record: Any, run: Any) -> RuntimeEnvironment:
            return RuntimeEnvironment(ToolRuntime.of(tools, {"k1": "apple"}))

        def solve_gold(self, record: Any, run: Any, client: Any) -> None:
            client.submit_result(answer=client.lookup(key="k1"))

        def controls(self, record: Any, run: Any, gold: Any) -> list[Control]:
            return [Control("wrong", gold + "x", "answer")]

    return tools


def make_run(path: Path, n: int, tools: Any) -> Any:
    import synth
    run = synth.Run.create(path)
    with run.tuples() as journal:
        for index in range(n):
            env = synth.EnvironmentSpec(family="bench", category="lookup", seed=0, index=index, difficulty=1, tools=[t.spec for t in tools])
            task = synth.TaskSpec(
                family="bench", category="lookup", environment_key=env.key, system_prompt="You use tools.",
                prompt=f"Task {index}: call lookup with key k1, then submit_result with the word.",
            )  # fmt: skip
            journal.append(synth.TupleRecord.build(env, task, synth.VerifierSpec(name="bench.exact", args={"expected": "apple"})))
    synth.verify(run)
    return run


# -- the two clients --------------------------------------------------------------------------------
async def bare_loop(base_url: str, episodes: int, concurrency: int, tools: list[dict[str, Any]], *, lanes: bool) -> tuple[int, float, float]:
    """The same requests as a rollout, with nothing else: returns (steps, seconds, CPU seconds). lanes=False:
    one httpx client with a pool of `concurrency` connections (the obvious way); lanes=True: one
    single-connection client per episode in flight (what synth's client does)."""
    import httpx

    import ssl

    import certifi

    size = 1 if lanes else concurrency
    limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
    started, cpu = time.perf_counter(), time.process_time()  # clients are made inside the timing, as synth's are
    context = ssl.create_default_context(cafile=certifi.where())
    clients = [
        httpx.AsyncClient(base_url=base_url + "/", limits=limits, timeout=300, verify=context)
        for _ in range(concurrency if lanes else 1)
    ]
    idle = list(clients)
    steps = 0
    try:
        slots = asyncio.Semaphore(concurrency)

        async def episode(index: int) -> None:
            nonlocal steps
            client = idle.pop() if lanes else clients[0]
            messages: list[dict[str, Any]] = [
                {"role": "system", "content": "You use tools."},
                {"role": "user", "content": f"Task {index}: call lookup with key k1, then submit_result with the word."},
            ]
            try:
                for _ in range(STEPS):
                    body = {"model": "bench", "messages": messages, "temperature": 1.0, "top_p": 0.95, "max_tokens": 1024,
                            "tools": tools, "tool_choice": "auto"}  # fmt: skip
                    response = await client.post("chat/completions", json=body)
                    message = response.json()["choices"][0]["message"]
                    steps += 1
                    messages.append(message)
                    calls = message.get("tool_calls") or []
                    for call in calls:
                        messages.append({"role": "tool", "tool_call_id": call["id"], "content": '"apple"'})
                    if any(c["function"]["name"] == "submit_result" for c in calls):
                        return
            finally:
                if lanes:
                    idle.append(client)
                slots.release()

        async with asyncio.TaskGroup() as group:
            for index in range(episodes):
                await slots.acquire()
                group.create_task(episode(index))
        return steps, time.perf_counter() - started, time.process_time() - cpu
    finally:
        for client in clients:
            await client.aclose()


async def synth_rollout(base_url: str, run: Any, samples: int, concurrency: int) -> tuple[int, float, float, Any]:
    from synth._config import RolloutConfig
    from synth._rollout import rollout_run

    config = RolloutConfig(base_url=base_url, model=f"bench-{concurrency}-{time.monotonic_ns()}", samples=samples, concurrency=concurrency, max_steps=STEPS + 2)
    started, cpu = time.perf_counter(), time.process_time()
    stats = await rollout_run(run, config)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    from synth import Trajectory
    
    steps = sum(t.extra.get("steps", 0) for t in run.trajectories() if t.model == config.model_name)
    return steps, seconds, cpu, stats


# -- the embedded model -----------------------------------------------------------------------------
def embedded_tokens_per_second(rounds: int = 3, max_tokens: int = 200) -> float:
    import httpx

    from synth._serve import embedded_server

    server = embedded_server()
    with server.start(timeout=180):
        httpx.post(f"{server.base_url}/chat/completions", json={"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 8}, timeout=120)
        tokens, seconds = 0, 0.0
        for i in range(rounds):
            body = {"messages": [{"role": "user", "content": f"Write a long story about a lighthouse keeper, part {i + 1}."}],
                    "max_tokens": max_tokens, "temperature": 1.0, "top_p": 0.95, "seed": i}  # fmt: skip
            started = time.perf_counter()
            data = httpx.post(f"{server.base_url}/chat/completions", json=body, timeout=300).json()
            seconds += time.perf_counter() - started
            tokens += data["usage"]["completion_tokens"]
    return tokens / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="smaller counts; skip the embedded model")
    parser.add_argument("--no-embedded", action="store_true", help="skip the embedded model's tokens/s")
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    _raise_file_limit()
    tools = _register_bench_family()
    wire_tools = [t.spec.openai() for t in tools]
    tasks, samples, rounds = (64, 4, 1) if args.quick else (256, 8, 3)
    proc, base_url = start_server()
    _pin(0)
    try:
        with tempfile.TemporaryDirectory(prefix="synth-bench-") as tmp:
            run = make_run(Path(tmp) / "run", tasks, tools)
            episodes = tasks * samples
            best: dict[str, tuple[float, float]] = {}

            def keep(name: str, steps: int, seconds: float, cpu: float) -> None:
                wall, per_cpu = best.get(name, (0.0, 0.0))
                best[name] = (max(wall, steps / seconds), max(per_cpu, steps / cpu))

            for _ in range(rounds):  # alternate, keep each side's best: the machine is shared
                keep("pool", *asyncio.run(bare_loop(base_url, episodes, 256, wire_tools, lanes=False)))
                keep("bare", *asyncio.run(bare_loop(base_url, episodes, 256, wire_tools, lanes=True)))
                steps, seconds, cpu, stats = asyncio.run(synth_rollout(base_url, run, samples, 256))
                assert stats.infrastructure == 0 and stats.done == episodes, stats
                keep("synth", steps, seconds, cpu)
            print(f"256 concurrent rollouts, {episodes} episodes x {STEPS} steps, client on one core "
                  "(steps per wall second | per client CPU second):")  # fmt: skip
            labels = {"pool": "bare httpx loop, one shared pool", "bare": "bare httpx loop, one client per episode", "synth": "synth rollout"}
            for name, label in labels.items():
                print(f"  {label:<40}: {best[name][0]:7.0f} | {best[name][1]:7.0f}")
            wall_ratio = best["synth"][0] / best["bare"][0]
            cpu_ratio = best["synth"][1] / best["bare"][1]
            print(f"  synth / faster bare loop: {wall_ratio:.2f} wall, {cpu_ratio:.2f} CPU (target >= 0.90)")

            big = make_run(Path(tmp) / "big", 1000, tools)
            steps, seconds, _, stats = asyncio.run(synth_rollout(base_url, big, 1, 1000))
            errors = stats.infrastructure
            ok = stats.done == 1000 and errors == 0
            print(f"1,000 concurrent rollouts on one core: {stats.done} done, {errors} errors, {steps / seconds:.0f} steps/s, "
                  f"{seconds:.1f} s  {'OK' if ok else 'FAILED'}")  # fmt: skip
    finally:
        proc.kill()
        proc.wait()
        if hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
    if not (args.quick or args.no_embedded):
        print(f"embedded model (SmolLM2-135M-Instruct Q4_1, llama-cpp-python, {os.cpu_count()} CPU threads): "
              f"{embedded_tokens_per_second():.1f} completion tokens/s")  # fmt: skip


if __name__ == "__main__":
    main()
