"""Rollout benchmark: orchestration overhead of `synth rollout` on the real trip_planning family
against a bare httpx loop, 1,000 concurrent rollouts on one core, and the embedded model's tokens
per second.

Where it sits: it measures the rollout stage (verify -> rollout -> export) with the model taken out of
the picture. A minimal OpenAI-compatible server written here (raw asyncio HTTP/1.1, keep-alive)
answers instantly in a separate process pinned to its own core, playing a trip agent that calls
real tools: get_all_cities, then get_all_hotels_by_city and get_all_restaurants_by_city for the
first city it was given, then submit_result. synth does everything a real rollout does (a live
environment over the tuple's own SQLite database, the tool runtime, validation, grading by the
trip checker, one journal line per episode). The bare loop sends the same requests (the tuple's
prompt and tools, the same sampling fields, and the very tool results synth's environments gave,
recorded from a first synth run) with the same httpx settings and does nothing else. Both run in
the same process, pinned to one core; the sides alternate and each keeps its best round.

    .venv/bin/python benchmarks/bench_rollout.py            # all figures
    .venv/bin/python benchmarks/bench_rollout.py --quick    # smaller counts, no embedded model

Targets (issues 3 and 8): synth >= 0.9 of the faster bare loop's steps/s at 256 concurrent
rollouts of the real family; 1,000 concurrent rollouts on one core with no errors.
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
from typing import Any, NamedTuple

STEPS = 4
"""Model calls per episode: three lookups, then a submission."""


# -- the instant server (runs in its own process) ---------------------------------------------------
def _reply(body: bytes, count: int) -> bytes:
    """The trip agent's next turn, from the conversation so far."""
    messages = json.loads(body)["messages"]
    results = [m["content"] for m in messages if m["role"] == "tool"]
    if not results:
        name, arguments = "get_all_cities", "{}"
    elif len(results) < STEPS - 1:
        cities = json.loads(results[0])
        name = "get_all_hotels_by_city" if len(results) == 1 else "get_all_restaurants_by_city"
        arguments = json.dumps({"city": cities[0] if isinstance(cities, list) and cities else "?"})
    else:
        name, arguments = "submit_result", json.dumps({"answer_text": "[]"})
    call = {"id": f"c{count}", "type": "function", "function": {"name": name, "arguments": arguments}}
    reply = {
        "id": "b",
        "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": None, "tool_calls": [call]}, "finish_reason": "tool_calls"}],
        "usage": {"prompt_tokens": 50, "completion_tokens": 10},
    }
    return json.dumps(reply).encode()


def serve(port: int) -> None:
    """HTTP/1.1 keep-alive server answering POSTs instantly (GET /v1/models too)."""
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
                payload = _reply(body, counter[0]) if head.startswith(b"POST") else b'{"object": "list", "data": []}'
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


# -- the real family --------------------------------------------------------------------------------
class Episodes(NamedTuple):
    """What the bare loop sends for each task: the opening messages, the tools, and the tool results
    synth's environments gave (recorded from a synth run), in order."""

    prompts: list[list[dict[str, Any]]]
    tools: list[list[dict[str, Any]]]
    results: list[list[str]]


def make_run(path: Path, n: int) -> Any:
    """A verified run of `n` trip_planning tuples at difficulty 3."""
    import synth

    run = synth.Run.create(path)
    synth.generate(run, "general", {"category": ["trip_planning"], "n": n, "seed": 1, "difficulty": 3})
    assert synth.verify(run).ok
    return run


def recorded(run: Any, model: str) -> Episodes:
    """Per tuple (run order): prompt, tools and the tool results of `model`'s sample 0."""
    import synth

    fam = synth.family("general")
    results = {t.task_key: [m.content for m in t.messages if m.role == "tool"]
               for t in run.trajectories() if t.model == model and t.sample == 0}
    tuples = run.tuples().read()
    return Episodes(
        prompts=[[m.openai() for m in fam.prompt_messages(record)] for record in tuples],
        tools=[[t.openai() for t in record.environment.tools] for record in tuples],
        results=[results[record.key] for record in tuples],
    )


# -- the two clients --------------------------------------------------------------------------------
async def bare_loop(base_url: str, episodes: int, concurrency: int, play: Episodes, *, lanes: bool) -> tuple[int, float, float]:
    """The same requests as a rollout, with nothing else: returns (steps, seconds, CPU seconds). lanes=False:
    one httpx client with a pool of `concurrency` connections (the obvious way); lanes=True: one
    single-connection client per episode in flight (what synth's client does)."""
    import ssl

    import certifi
    import httpx

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
            task = index % len(play.prompts)
            messages: list[dict[str, Any]] = list(play.prompts[task])
            results = iter(play.results[task])
            try:
                for _ in range(STEPS):
                    body = {"model": "bench", "messages": messages, "temperature": 1.0, "top_p": 0.95, "max_tokens": 1024,
                            "tools": play.tools[task], "tool_choice": "auto"}  # fmt: skip
                    response = await client.post("chat/completions", json=body)
                    message = response.json()["choices"][0]["message"]
                    steps += 1
                    messages.append(message)
                    calls = message.get("tool_calls") or []
                    for call in calls:
                        messages.append({"role": "tool", "tool_call_id": call["id"], "content": next(results)})
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


async def synth_rollout(base_url: str, run: Any, samples: int, concurrency: int, model: str | None = None) -> tuple[int, float, float, Any]:
    from synth._config import RolloutConfig
    from synth._rollout import rollout_run

    config = RolloutConfig(base_url=base_url, model=model or f"bench-{concurrency}-{time.monotonic_ns()}", samples=samples,
                           concurrency=concurrency, max_steps=STEPS + 2)
    started, cpu = time.perf_counter(), time.process_time()
    stats = await rollout_run(run, config)
    return stats.steps, time.perf_counter() - started, time.process_time() - cpu, stats


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
    tasks, samples, rounds = (64, 4, 1) if args.quick else (256, 8, 3)
    proc, base_url = start_server()
    _pin(0)
    try:
        with tempfile.TemporaryDirectory(prefix="synth-bench-") as tmp:
            run = make_run(Path(tmp) / "run", tasks)
            _, _, _, warm = asyncio.run(synth_rollout(base_url, run, 1, 256, model="recording"))
            assert warm.infrastructure == 0 and warm.done == tasks, warm
            play = recorded(run, "recording")
            episodes = tasks * samples
            best: dict[str, tuple[float, float]] = {}

            def keep(name: str, steps: int, seconds: float, cpu: float) -> None:
                wall, per_cpu = best.get(name, (0.0, 0.0))
                best[name] = (max(wall, steps / seconds), max(per_cpu, steps / cpu))

            for _ in range(rounds):  # alternate, keep each side's best: the machine is shared
                keep("pool", *asyncio.run(bare_loop(base_url, episodes, 256, play, lanes=False)))
                keep("bare", *asyncio.run(bare_loop(base_url, episodes, 256, play, lanes=True)))
                steps, seconds, cpu, stats = asyncio.run(synth_rollout(base_url, run, samples, 256))
                assert stats.infrastructure == 0 and stats.done == episodes and steps == episodes * STEPS, stats
                keep("synth", steps, seconds, cpu)
            print(f"256 concurrent rollouts of trip_planning (difficulty 3), {episodes} episodes x {STEPS} steps, "
                  "client on one core (steps per wall second | per client CPU second):")  # fmt: skip
            labels = {"pool": "bare httpx loop, one shared pool", "bare": "bare httpx loop, one client per episode", "synth": "synth rollout"}
            for name, label in labels.items():
                print(f"  {label:<40}: {best[name][0]:7.0f} | {best[name][1]:7.0f}")
            faster = max(best["pool"][0], best["bare"][0]), max(best["pool"][1], best["bare"][1])
            print(f"  synth / faster bare loop: {best['synth'][0] / faster[0]:.2f} wall, {best['synth'][1] / faster[1]:.2f} CPU"
                  " (target >= 0.90)")

            many = 1000
            steps, seconds, _, stats = asyncio.run(synth_rollout(base_url, run, -(-many // tasks), many, model="many"))
            tool_errors = sum(t.tool_errors for t in run.trajectories() if t.model == "many")
            ok = stats.done >= many and stats.infrastructure == 0 and tool_errors == 0
            print(f"{many:,} concurrent rollouts on one core: {stats.done} episodes done, {stats.infrastructure} infrastructure "
                  f"errors, {tool_errors} tool errors, {steps / seconds:.0f} steps/s, {seconds:.1f} s  {'OK' if ok else 'FAILED'}")  # fmt: skip
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
