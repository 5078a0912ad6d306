"""Issue 20, round 2 (an independent attacker): a scripted model whose cells attack the kernel's
container and the host's side of it, through the real rollout path (`run_episode`, the interpreter
family, a real Docker engine). Each test is named after its class: a strict xfail while the attack
still wins (its reason says what wins), a plain test where the system gives the verdict a user
expects (the model's fault: a tool error it reads or a graded fail, reward 0; never
`environment_error`; nothing outside the episode touched).

All tests share one run generated with a small disk quota (64m), a small inode quota (256 files
and folders) and a short cell timeout (4 s), so a quota or a timeout is reached in seconds.
"""

from __future__ import annotations

import json
import time

import pytest

import synth
from synth import Run, TerminationReason

from .test_model_faults import episode, graded_fail, results

pytestmark = pytest.mark.docker

TIMEOUT = 4


@pytest.fixture(scope="module")
def small_run(tmp_path_factory: pytest.TempPathFactory, kernel_image: str) -> Run:
    run = Run.create(tmp_path_factory.mktemp("faults2") / "run")
    synth.generate(run, "interpreter", {"category": ["math"], "n": 1, "seed": 2, "difficulty": 1, "timeout": TIMEOUT,
                                        "max_executions": 8, "disk": "64m", "inodes": 256})
    return run


# -- disk quota: paths the host's watch cannot see ------------------------------------------------
# /home/synth is in the container's writable layer (the host's disk), not a tmpfs: the quota there
# is the host's walk of the layer every second, which skips what it cannot lstat.
DEEP = """\
import subprocess
script = ("echo $$ > /work/writer; cd /home/synth && for i in $(seq {depth}); do mkdir {name} && cd {name} || exit 1; done; "
          "for n in 1 2 3; do dd if=/dev/zero of=big$n bs=1M count=60 status=none; sleep 2.5; done; touch /work/done")
subprocess.Popen(['bash', '-c', script], start_new_session=True)
'started'
"""
WAIT = """\
import os, subprocess, time
end = time.monotonic() + 3.5
writer = open('/work/writer').read().strip()
while not os.path.exists('/work/done') and os.path.exists(f'/proc/{writer}') and time.monotonic() < end:
    time.sleep(0.1)  # until the writer is done, or was killed
int(subprocess.run(['du', '-sm', '/home/synth'], capture_output=True, text=True).stdout.split()[0])
"""


@pytest.mark.parametrize("depth", [
    1,
    25,
], ids=["shallow", "deep"])
def test_disk_quota_bypass_by_a_deep_path_is_stopped_at_the_quota(small_run: Run, depth: int) -> None:
    trajectory = episode(small_run, [DEEP.format(depth=depth, name="d" * 200)] + [WAIT] * 6)
    graded_fail(trajectory)
    outs = results(trajectory)[:-1]
    sizes = [int(r["result"]) for r in outs if r.get("result", "").isdigit()]
    # stopped at the quota: the writer killed after the file that crossed it (the third never written)
    assert not sizes or sizes[-1] < 150, outs


def test_a_write_past_the_quota_outside_work_is_named_to_the_model(small_run: Run) -> None:
    trajectory = episode(small_run, [DEEP.format(depth=1, name="d")] + [WAIT] * 4)
    graded_fail(trajectory)
    assert any("quota" in json.dumps(r) for r in results(trajectory)), results(trajectory)


# -- inodes: empty files cost the host's inode table, and no byte is counted ---------------------
INODES = """\
import os, time
os.makedirs('/home/synth/i', exist_ok=True)
made, started = 0, time.monotonic()
try:
    while made < 40_000 and time.monotonic() - started < {budget}:
        open(f'/home/synth/i/{{made}}', 'w').close()
        made += 1
except OSError as exc:
    print(exc)
made
"""


def test_inode_exhaustion_in_the_writable_layer_is_limited(small_run: Run) -> None:
    cell = INODES.format(budget=TIMEOUT - 1)
    trajectory = episode(small_run, [cell, cell.replace("/i'", "/j'").replace("/i/", "/j/"), "import os\nlen(os.listdir('/home/synth/i')) + len(os.listdir('/home/synth/j'))"])
    graded_fail(trajectory)
    outs = results(trajectory)
    # what a limit would look like: an error or a note the model reads, naming it
    assert any(word in json.dumps(r) for r in outs[:-1] for word in ("quota", "No space", "inode")), outs


# -- the channel: a reply forged by the cell itself -------------------------------------------------
# The cell runs in the kernel's process: main()'s frame holds the request id, the token and the
# protocol stream, so it can write a well-formed frame that answers its own request first.
FORGE = """\
import sys, json
frame = sys._getframe()
while frame is not None and 'ident' not in frame.f_locals:
    frame = frame.f_back
reply = {{"id": frame.f_locals['ident'], "stdout": {stdout}, "stderr": "", "result": None, "error": {error},
         "timed_out": False, "stdout_bytes": {stdout_bytes}, "stderr_bytes": 0}}
payload = json.dumps(reply).encode()
out = frame.f_locals['proto_out']
out.write(b"\\n\\x00SYNTH-FRAME " + frame.f_globals['TOKEN'] + b" " + b"%010d\\n" % len(payload) + payload)
out.flush()
"""


def test_forged_reply_output_cap_bypass_is_capped_on_the_host(small_run: Run) -> None:
    record = small_run.tuples().read()[0]
    with synth.family("interpreter").open(record, small_run) as env:
        forged = env.call("python", json.dumps({"code": FORGE.format(stdout="'A' * 8_000_000", error="None",
                                                                     stdout_bytes=8)}))
        after = json.loads(env.call("python", json.dumps({"code": "6 * 7"})).content)
    assert after["result"] == "42"  # the real reply of the forged call was skipped: the kernel goes on
    assert len(forged.content) <= 64 * 1024, f"the python tool returned {len(forged.content)} characters"


def test_forged_reply_of_the_wrong_shape_is_a_tool_error_and_the_kernel_goes_on(small_run: Run) -> None:
    trajectory = episode(small_run, [FORGE.format(stdout="{'not': 'text'}", error="'a string, not an object'",
                                                  stdout_bytes="'many'"), "6 * 7"])
    graded_fail(trajectory)
    assert trajectory.termination is TerminationReason.SUBMITTED
    forged, after, _ = results(trajectory)
    assert forged["error"]["type"] == "tool_failure", forged
    assert after["result"] == "42"


# -- the channel: requests stolen, descriptors closed -----------------------------------------------
STEAL = """\
import os, threading
real = os.dup(3)  # the kernel's request stream
blind, _keep = os.pipe()
os.dup2(blind, 3)  # the kernel's reader now waits on a pipe nobody writes
def steal():
    while os.read(real, 1 << 16):
        pass
threading.Thread(target=steal, daemon=True).start()
'stealing'
"""


def test_requests_stolen_from_the_kernel_s_input_are_a_restart_the_model_reads(small_run: Run) -> None:
    started = time.monotonic()
    trajectory = episode(small_run, [STEAL, "1 + 1", "2 + 2", "3 + 3"])
    graded_fail(trajectory)
    assert trajectory.termination is TerminationReason.SUBMITTED
    stole, stolen, after, again, _ = results(trajectory)
    assert stole["result"] == "'stealing'"
    # a stolen request never gets its reply: the host restarts the kernel (a tool error), then all is well again
    assert stolen["error"]["type"] == "kernel_restarted", stolen
    assert after["result"] == "4" and again["result"] == "6"
    assert time.monotonic() - started < 4 * (TIMEOUT + 5) + 60


def test_closed_channel_descriptors_are_a_restart_the_model_reads(small_run: Run) -> None:
    trajectory = episode(small_run, ["import os\nfor fd in (0, 1, 2, 3, 4):\n    os.close(fd)\n'closed'", "5 * 5"])
    graded_fail(trajectory)
    closed, after, _ = results(trajectory)
    assert closed["error"]["type"] == "kernel_restarted", closed
    assert after["result"] == "25"


# -- a hang that looks like the engine's ---------------------------------------------------------
HANG = """\
import signal, time
signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGALRM, signal.SIGINT, signal.SIGTERM])
time.sleep(3600)
"""


def test_a_cell_that_masks_its_interrupt_and_hangs_is_a_restart_not_an_engine_hang(small_run: Run) -> None:
    started = time.monotonic()
    trajectory = episode(small_run, [HANG, "x = 3\nx * 3"])
    graded_fail(trajectory)
    hung, after, _ = results(trajectory)
    assert hung["error"]["type"] == "kernel_restarted" and "restarted" in hung["error"]["message"], hung
    assert after["result"] == "9"
    assert time.monotonic() - started < TIMEOUT + 5 + 60  # the cell's timeout and the grace, not an hour


# -- open files: the limit is per process ---------------------------------------------------------
HOARD_FILES = """\
import subprocess, sys
hold = ("import os, time\\nfs = [open('/dev/null') for _ in range(4000)]\\n"
        "open(f'/tmp/held.{os.getpid()}', 'w').close()\\ntime.sleep(60)")
subprocess.Popen(['bash', '-c', 'for i in $(seq 25); do "$0" -c "$1" & done; wait', sys.executable, hold],
                 start_new_session=True)
'started'
"""
COUNT_FILES = """\
import glob, os, time
end = time.monotonic() + 2
while len(glob.glob('/tmp/held.*')) < 25 and time.monotonic() < end:
    time.sleep(0.1)
time.sleep(1.5)  # the host's watch looks once a second: give it a look at what is held
total = -1
if len(glob.glob('/tmp/held.*')) == 25:  # every holder has opened its files: count them once
    total = 0
    for pid in filter(str.isdigit, os.listdir('/proc')):
        try:
            total += len(os.listdir(f'/proc/{pid}/fd'))
        except OSError:
            pass
str(total)
"""


@pytest.mark.slow
def test_open_files_held_by_many_processes_are_limited_per_container(small_run: Run) -> None:
    trajectory = episode(small_run, [HOARD_FILES] + [COUNT_FILES] * 5)
    graded_fail(trajectory)
    outs = results(trajectory)[1:-1]
    counts = [int(r["result"].strip("'")) for r in outs if r.get("result", "").strip("'").isdigit()]
    # the holders opened their files and were killed past the quota (the host's watch looks once a
    # second, so by the last of five cells of 1.5 s it has), or not all 25 could open theirs and the
    # model read why
    assert (counts and counts[-1] <= 4096 * 4) or any("open files" in json.dumps(r) for r in outs), outs


# -- pids: a fork bomb left running between calls ---------------------------------------------------
BOMB = """\
import subprocess
subprocess.Popen(['bash', '-c', 'b(){ b | b & }; b'], start_new_session=True, stdout=subprocess.DEVNULL,
                 stderr=subprocess.DEVNULL)
'lit'
"""


def test_a_fork_bomb_left_running_between_calls_is_the_model_s_and_a_restart_clears_it(small_run: Run) -> None:
    trajectory = episode(small_run, [BOMB, "import time\ntime.sleep(1)\n2 + 2", "import os\nos._exit(3)", "3 + 3"])
    graded_fail(trajectory)
    assert trajectory.termination is TerminationReason.SUBMITTED
    lit, during, died, after, _ = results(trajectory)
    assert lit["result"] == "'lit'"
    assert during.get("result") == "4" or during["error"]["type"] == "kernel_restarted", during  # the kernel needs no new pid
    assert died["error"]["type"] == "kernel_restarted", died
    assert after["result"] == "6"  # the restart reaped the bomb: a fresh kernel could start


# -- the container's init and every process of the kernel's user ---------------------------------
def test_killing_init_is_refused_and_killing_every_own_process_is_a_restart(small_run: Run) -> None:
    trajectory = episode(small_run, ["import os, signal\nos.kill(1, signal.SIGKILL)",
                                     "import subprocess\nsubprocess.run(['kill', '-9', '-1'])", "8 * 8"])
    graded_fail(trajectory)
    assert trajectory.termination is TerminationReason.SUBMITTED
    init, everyone, after, _ = results(trajectory)
    assert init["error"]["name"] == "PermissionError", init  # uid 1000 without capabilities: init is root's
    assert everyone["error"]["type"] == "kernel_restarted" and "SIGKILL" in everyone["error"]["message"], everyone
    assert after["result"] == "64"
