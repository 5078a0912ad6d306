"""No container outlives synth: after a raise, Ctrl-C, SIGTERM; `synth sandbox cleanup` after SIGKILL."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest
from typer.testing import CliRunner

pytestmark = pytest.mark.docker

SCRIPT = """
import sys
from synth.sandbox import start_sandbox
with start_sandbox(sys.argv[1]) as box:
    print("ready", flush=True)
    box.exec("sleep 600", timeout=600)
"""


THREADED = """
import asyncio, sys
from synth import family
from synth.sandbox import start_sandbox

family("code").prepare()  # what every stage does in the main thread before work


async def main():
    box = await asyncio.to_thread(start_sandbox, sys.argv[1])  # started in a worker thread
    try:
        print("ready", flush=True)
        await asyncio.to_thread(box.exec, "sleep 600", timeout=600)
    finally:
        box.close()

asyncio.run(main())
"""


def _containers_of(pid: int) -> list:
    from synth.sandbox import engine

    return engine().containers.list(all=True, filters={"label": f"synth.pid={pid}"})


def _start(base_image: str, script: str = SCRIPT, sigint: signal.Handlers = signal.SIG_DFL) -> subprocess.Popen:
    """The child starts with SIGINT as `sigint` whatever this process has: a shell starts background
    jobs (`make test &`, CI wrappers) with SIGINT ignored, and children inherit that."""
    proc = subprocess.Popen([sys.executable, "-c", script, base_image], stdout=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, sigint))
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    assert len(_containers_of(proc.pid)) == 1
    time.sleep(0.5)  # inside the blocking exec
    return proc


def test_no_container_left_after_a_raise(base_image):
    from synth.sandbox import engine, start_sandbox

    with pytest.raises(RuntimeError):
        with start_sandbox(base_image) as box:
            ident = box.id
            raise RuntimeError("boom")
    assert not engine().containers.list(all=True, filters={"id": ident})


SIGNALS = [(signal.SIGINT, signal.SIG_DFL), (signal.SIGINT, signal.SIG_IGN), (signal.SIGTERM, signal.SIG_DFL)]
"""SIGINT twice: as a terminal's child gets it, and as a background job inherits it (ignored):
synth's Ctrl-C handling must not depend on what the shell gave."""
IDS = ["SIGINT", "SIGINT-inherited-ignored", "SIGTERM"]


@pytest.mark.parametrize("sig, sigint", SIGNALS, ids=IDS)
def test_no_container_left_after_a_signal(base_image, sig, sigint):
    proc = _start(base_image, sigint=sigint)
    proc.send_signal(sig)
    proc.wait(timeout=60)
    assert proc.returncode != 0
    assert _containers_of(proc.pid) == []


@pytest.mark.parametrize("sig, sigint", SIGNALS, ids=IDS)
def test_no_container_left_after_a_signal_when_started_from_a_worker_thread(base_image, sig, sigint):
    proc = _start(base_image, THREADED, sigint)
    proc.send_signal(sig)
    proc.wait(timeout=60)
    assert proc.returncode != 0
    assert _containers_of(proc.pid) == []


def test_cleanup_command_removes_leftovers_of_a_killed_process(base_image):
    from synth.cli import app

    proc = _start(base_image)
    proc.kill()
    proc.wait(timeout=30)
    assert len(_containers_of(proc.pid)) == 1  # SIGKILL cannot be caught: the label finds it
    result = CliRunner().invoke(app, ["sandbox", "cleanup"])
    assert result.exit_code == 0 and "removed" in result.output
    assert _containers_of(proc.pid) == []
