"""A scripted model that attacks its own kernel: floods, kills, deletes, exhausts and corrupts from
inside the notebook, then tries to submit. Whatever it does is the model's: each episode ends
graded (a tool error it reads and recovers from, or `sandbox_broken_by_model`, reward 0), never
`environment_error` (never graded, retried by a re-run, ten in a row stop the rollout).

The interpreter family's faults, by who causes them (the README's table says the same):

| fault | caused by | ending |
|---|---|---|
| bytes written to the kernel's channel (a flood without a newline, garbage, a forged frame) | model | skipped by the framed reader; a frame that never comes: timeout, kernel restarted (tool error) |
| the kernel killed or exited by its code, closed descriptors | model | kernel restarted (tool error naming the signal) |
| memory exhausted | model | kernel restarted (tool error naming the memory limit) |
| /work filled | model | the write fails at the quota, with a note naming it |
| memory its death does not free (System V segments), code planted in HOME, /work made unreadable | model | kernel restarted (tool error) |
| a kernel that cannot start again in a container that still runs | model | sandbox_broken_by_model (graded fail) |
| the container removed from outside, the engine gone, the image missing | infrastructure | environment_error |
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
from fakes import Scripted, call, completion

import synth
from synth import ModelClient, RolloutConfig, Run, TerminationReason, run_episode

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def math_run(tmp_path_factory: pytest.TempPathFactory, kernel_image: str) -> Run:
    run = Run.create(tmp_path_factory.mktemp("faults") / "run")
    synth.generate(run, "interpreter", {"category": ["math"], "n": 1, "seed": 2, "difficulty": 1, "timeout": 60,
                                        "max_executions": 6})
    return run


def episode(run: Run, cells: list[str]):
    """The model runs `cells` one call each, then submits a wrong answer."""
    record = run.tuples().read()[0]
    steps = [("python", {"code": cell}) for cell in cells] + [("submit", {"answer": -12345})]

    def reply(body: dict, n: int) -> dict:
        if n >= len(steps):
            return completion("done")
        name, arguments = steps[n]
        return completion(None, [call(name, arguments, f"c{n}")])

    config = RolloutConfig(base_url="http://model.test/v1", model="attacker", max_steps=len(steps) + 1)

    async def go():
        async with ModelClient(config, transport=Scripted(reply).transport()) as client:
            return await run_episode(client, config, synth.family("interpreter"), record, run, 0)

    return asyncio.run(go())


def results(trajectory) -> list[dict]:
    return [json.loads(m.content) for m in trajectory.messages if m.role == "tool"]


def graded_fail(trajectory) -> None:
    assert not trajectory.termination.infrastructure, (trajectory.termination, trajectory.extra.get("error"))
    assert trajectory.verdict is not None and trajectory.verdict.status == "fail" and trajectory.verdict.reward == 0


FLOOD = "import os\nf = os.fdopen(4, 'wb', closefd=False)\nf.write(b'x' * 70_000_000)\nf.flush()\n'flooded'"
FLOOD_THREAD = ("import os, threading\n"
                "def flood():\n    while True:\n        os.write(4, b'y' * (1 << 20))\n"
                "threading.Thread(target=flood, daemon=True).start()\n'started'")
FORGED = ("import os\ntoken = dict(l.split('=', 1) for l in open('/proc/self/environ').read().split('\\0') if '=' in l)"
          ".get('SYNTH_KERNEL_TOKEN', '')\nos.write(4, b'\\n\\x00SYNTH-FRAME ' + token.encode() + b' 0060000000\\n{')\n'forged'")


def test_a_70_mb_flood_of_the_kernel_s_channel_is_the_model_s_and_the_episode_goes_on(math_run: Run) -> None:
    trajectory = episode(math_run, [FLOOD, "1 + 1"])
    graded_fail(trajectory)
    assert trajectory.termination is TerminationReason.SUBMITTED
    flooded, after, _ = results(trajectory)
    assert flooded.get("result") == "'flooded'" and after["result"] == "2"


def test_a_flood_between_calls_costs_the_host_a_bounded_buffer_and_the_episode_goes_on(math_run: Run) -> None:
    trajectory = episode(math_run, [FLOOD_THREAD, "import time\ntime.sleep(2)\n3 * 3", "2 + 2"])
    graded_fail(trajectory)
    assert trajectory.termination is TerminationReason.SUBMITTED
    assert results(trajectory)[-2]["result"] == "4"


def test_a_forged_frame_header_is_skipped_without_a_wait(math_run: Run) -> None:
    started = time.monotonic()
    trajectory = episode(math_run, [FORGED, "5 + 5"])
    graded_fail(trajectory)
    assert trajectory.termination is TerminationReason.SUBMITTED
    forged, after, _ = results(trajectory)
    assert forged["result"] == "'forged'" and after["result"] == "10"
    assert time.monotonic() - started < 50  # the cell's 60 s timeout never ran out


def test_a_kernel_that_kills_itself_is_told_so_not_blamed_on_the_memory_limit(math_run: Run) -> None:
    trajectory = episode(math_run, ["import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", "7"])
    graded_fail(trajectory)
    killed, after, _ = results(trajectory)
    message = killed["error"]["message"]
    assert killed["error"]["type"] == "kernel_restarted" and "SIGKILL" in message, message
    assert "memory" not in message
    assert after["result"] == "7"


HOARD = """\
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
libc.shmat.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
for _ in range(64):  # System V shared memory outlives its processes and is charged to the container
    ident = libc.shmget(0, 64 << 20, 0o1600)
    if ident < 0:
        break
    at = libc.shmat(ident, None, 0)
    ctypes.memset(at, 1, 64 << 20)
    libc.shmdt(ctypes.c_void_p(at))
"""


def test_memory_its_death_does_not_free_is_a_restart_the_model_reads(math_run: Run) -> None:
    trajectory = episode(math_run, [HOARD, "1"])
    graded_fail(trajectory)
    hoarded, after, _ = results(trajectory)
    # the memory limit killed the kernel (a restart) or the cell ran out of time first (interrupted)
    assert hoarded["error"].get("type") == "kernel_restarted" or hoarded["error"]["name"] == "TimeoutError", hoarded
    assert after["result"] == "1"


def test_a_kernel_that_cannot_start_again_in_a_running_container_is_broken_by_the_model(math_run: Run) -> None:
    # white-box: the one way left to make a restart fail (the program gone) needs root, so the test
    # takes it; what matters is the ending the rollout gives when a restart fails and the container runs
    record = math_run.tuples().read()[0]
    with synth.family("interpreter").open(record, math_run) as env:
        box = env.notebook.kernel.box
        assert box.exec("rm /opt/synth-kernel/kernel.py", user="0:0").exit_code == 0
        with pytest.raises(synth.BrokenByModel, match="no kernel could start again"):
            env.call("python", json.dumps({"code": "import os\nos._exit(1)"}))


def test_code_planted_in_home_to_run_at_the_next_start_does_not_break_the_kernel(math_run: Run) -> None:
    plant = ("import os, site\npath = site.getusersitepackages()\nos.makedirs(path, exist_ok=True)\n"
             "open(os.path.join(path, 'usercustomize.py'), 'w').write('import os\\nos._exit(3)\\n')\nos._exit(1)")
    trajectory = episode(math_run, [plant, "6 * 7"])
    graded_fail(trajectory)
    assert trajectory.termination is TerminationReason.SUBMITTED
    assert results(trajectory)[1]["result"] == "42"


def test_a_3_gb_write_stops_at_the_disk_quota_with_a_message_the_model_reads(math_run: Run) -> None:
    write = ("import subprocess\nr = subprocess.run(['dd', 'if=/dev/zero', 'of=/work/big', 'bs=1M', 'count=3000'],"
             " capture_output=True, text=True)\nprint(r.stderr)")
    size = "import os\nos.path.getsize('/work/big')"
    trajectory = episode(math_run, [write, size, "import os\nos.remove('/work/big')\nopen('/work/small', 'w').write('ok')"])
    graded_fail(trajectory)
    wrote, measured, freed, _ = results(trajectory)
    assert "No space left on device" in wrote["stdout"], wrote
    assert "1g" in wrote["note"] and "quota" in wrote["note"]
    assert int(measured["result"]) <= 1 << 30
    assert freed["result"] == "2"


def test_a_python_write_past_the_quota_is_an_error_with_the_note(math_run: Run) -> None:
    fill = "chunk = b'z' * (1 << 26)\nwith open('/work/fill', 'wb') as f:\n    for _ in range(40):\n        f.write(chunk)"
    trajectory = episode(math_run, [fill])
    graded_fail(trajectory)
    filled = results(trajectory)[0]
    assert filled["error"]["name"] == "OSError" and "quota" in filled["note"]


def test_open_files_are_limited(math_run: Run) -> None:
    trajectory = episode(math_run, ["import resource\nresource.getrlimit(resource.RLIMIT_NOFILE)",
                                    "fs = []\ntry:\n    while True:\n        fs.append(open('/proc/self/stat'))\n"
                                    "except OSError as e:\n    err = e.errno\nlen(fs) < 5000, err"])
    limit, opened, _ = results(trajectory)
    assert limit["result"] == "(4096, 4096)"
    assert opened["result"] == "(True, 24)"  # EMFILE


def test_no_host_path_is_visible_inside_the_kernel(math_run: Run) -> None:
    trajectory = episode(math_run, ["print(open('/proc/self/mountinfo').read())", "import os\nsorted(os.listdir('/data'))"])
    mounts, data, _ = results(trajectory)
    checkout = str(Path(synth.__file__).resolve().parents[1])
    assert str(math_run.path) not in mounts["stdout"] and checkout not in mounts["stdout"]
    assert "/opt/synth-kernel" not in mounts["stdout"] and " /data/" not in mounts["stdout"]  # copied in, not mounted
    assert data["result"] == "[]"  # a math task has no data files
