"""The LLM setup agent: a model with a bash tool in a setup container, until the test suite collects.

Sits beside the heuristic installer (`_install.py`), used instead of it when a model is configured
(`synth generate code --setup-base-url URL`); it talks to the model through the rollout runtime's
`ModelClient`. The container is the base image with the repository at /testbed, run as root with
the host network and the host's CA bundle and pip settings. The agent starts from the heuristic
script's outcome, runs commands, and calls `done`; synth then checks that `pytest --collect-only`
succeeds and, if not, says so and lets it continue. Guarantees: the recorded script is the list of
commands that exited 0, in order, ending with the same collection check the heuristic uses, so
the environment image is rebuilt from it in a fresh container (a script that only worked by
accident fails there, and the generator falls back to the heuristic); the container is removed on
every path; the model gets at most `max_steps` turns.
"""

from __future__ import annotations

import json
from typing import Any

from synth import Message, SandboxError, ToolSpec
from synth.sandbox import Limits, host_settings, start_sandbox

COLLECT = "python -m pytest --collect-only -q -p no:cacheprovider"
SYSTEM = (
    "You set up Python projects so their test suites run. The repository is at /testbed in a Debian "
    "container; you are root, the network reaches the package index, and the Python environment is "
    "/opt/venv (already on PATH, pytest installed). Install what the tests need with bash, then call "
    "done. Keep commands non-interactive; every command that succeeds becomes part of the setup script."
)
TOOLS = [
    ToolSpec(name="bash", description="Run a bash command as root in /testbed (network on). Output is truncated.",
             parameters={"type": "object", "properties": {"command": {"type": "string", "description": "The command."}},
                         "required": ["command"]}),
    ToolSpec(name="done", description="Say the setup is finished; synth checks that the test suite collects.",
             parameters={"type": "object", "properties": {}, "required": []}),
]


async def agent_setup(client: Any, base: str, tree_tar: bytes, heuristic: str, *, max_steps: int = 20,
                      timeout: float = 600) -> str:
    """A setup script written by a model; SandboxError when it gives up or runs out of steps.
    Sandbox calls block: this coroutine runs alone on the generator's private event loop, one
    step at a time, so there is nothing for them to hold up."""
    settings = host_settings()
    with start_sandbox(base, limits=Limits(network="host", user="0:0", pids=4096, memory="4g", cpus=2.0),
                       kind="setup", mounts=settings.mounts, env=settings.env) as box:
        box.put_tree("/testbed", tree_tar)
        first = box.exec(f"cd /testbed && {COLLECT} 2>&1 | tail -n 25", user="0:0", timeout=timeout)
        messages = [
            Message(role="system", content=SYSTEM),
            Message(role="user", content=f"Files at the top of /testbed and the test collection output so far:\n\n"
                    f"{box.exec('ls -la /testbed', user='0:0').output}\n{first.output}\n\n"
                    f"A heuristic proposed this script (not yet run):\n{heuristic}"),
        ]
        recorded: list[str] = []
        for _ in range(max_steps):
            reply = await client.chat(messages, TOOLS)
            message = reply.message
            messages.append(message)
            if not message.tool_calls:
                messages.append(Message(role="user", content="Call bash to run a command, or done when finished."))
                continue
            for call in message.tool_calls:
                try:
                    args = json.loads(call.function.arguments or "{}")
                except json.JSONDecodeError:
                    args = None
                if call.function.name == "bash" and isinstance(args, dict) and isinstance(args.get("command"), str):
                    result = box.exec(f"cd /testbed && {args['command']}", user="0:0", timeout=timeout)
                    if result.exit_code == 0:
                        recorded.append(args["command"])
                    content = json.dumps({"exit_code": result.exit_code, "output": result.output[-4000:]})
                elif call.function.name == "done":
                    check = box.exec(f"cd /testbed && {COLLECT}", user="0:0", timeout=timeout)
                    if check.exit_code == 0:
                        return _script(recorded)
                    content = json.dumps({"collects": False, "output": check.output[-4000:]})
                else:
                    content = json.dumps({"error": {"type": "invalid_call", "message": "call bash(command) or done()"}})
                messages.append(Message(role="tool", tool_call_id=call.id, name=call.function.name, content=content))
        raise SandboxError(f"the setup agent did not make the test suite collect within {max_steps} steps")


def _script(commands: list[str]) -> str:
    lines = ["#!/usr/bin/env bash", "# recorded by synth's LLM setup agent: the commands that succeeded, in order",
             "set -euxo pipefail", "cd /testbed", *commands,
             f"{COLLECT} > /tmp/synth-collect.log 2>&1 || {{ tail -n 40 /tmp/synth-collect.log; exit 1; }}",
             "tail -n 1 /tmp/synth-collect.log; rm -f /tmp/synth-collect.log"]
    return "\n".join(lines) + "\n"
