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
import sys, time
from synth.sandbox import DockerSandbox, SyncSandbox
box = SyncSandbox(DockerSandbox.start_blocking(sys.argv[1]))
try:
    print("ready", flush=True)
    box.exec("sleep 600", timeout=600)
finally:
    box.close()
"""


THREADED = """
import asyncio, sys
import synth.environments.code  # loading the code family installs the signal handlers
from synth.sandbox import DockerSandbox

async def main():
    box = await DockerSandbox.start(sys.argv[1])  # started in a worker thread
    try:
        print("ready", flush=True)
        await box.exec("sleep 600", timeout=600)
    finally:
        await box.close()

asyncio.run(main())
"""


def _containers_of(pid: int) -> list:
    from synth.sandbox import engine

    return engine().containers.list(all=True, filters={"label": f"synth.pid={pid}"})


def _start(base_image: str, script: str = SCRIPT) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", script, base_image], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    assert len(_containers_of(proc.pid)) == 1
    time.sleep(0.5)  # inside the blocking exec
    return proc


def test_no_container_left_after_a_raise(base_image):
    from synth.sandbox import DockerSandbox, SyncSandbox, engine

    with pytest.raises(RuntimeError):
        with SyncSandbox(DockerSandbox.start_blocking(base_image)) as box:
            ident = box.sandbox.id
            raise RuntimeError("boom")
    assert not engine().containers.list(all=True, filters={"id": ident})


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_no_container_left_after_a_signal(base_image, sig):
    proc = _start(base_image)
    proc.send_signal(sig)
    proc.wait(timeout=60)
    assert proc.returncode != 0
    assert _containers_of(proc.pid) == []


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_no_container_left_after_a_signal_when_started_from_a_worker_thread(base_image, sig):
    proc = _start(base_image, THREADED)
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
