"""Quotas on every sandbox that runs model or generated code, and who is to blame when a command
breaks one: the code family's agent and test containers and the synthesized family's workspace and
tool harness take `Limits` defaults (a disk quota of 1g, 4096 open files), so they are held here
with exactly the limits those families pass.

The container families' faults (the interpreter's are in tests/interpreter/test_model_faults.py):

| fault | caused by | ending |
|---|---|---|
| writes past the disk quota in the writable layer | model | the command killed, its output says why (a tool result) |
| one file past the quota | model | "File size limit exceeded" (a tool result) |
| too many open files | model | EMFILE inside the command (a tool result) |
| a fork bomb that leaves the process group and outlives the timeout | model | killed from the host (a timed-out tool result) |
| a container the sandbox removed because the command's processes would not die | model | BrokenByModel: sandbox_broken_by_model |
| the container removed from outside, the engine gone | infrastructure | SandboxError: environment_error |
"""

from __future__ import annotations

import pytest

from synth import BrokenByModel, SandboxError
from synth.sandbox import Limits, engine, start_sandbox

pytestmark = pytest.mark.docker


def family_limits() -> dict[str, Limits]:
    from synth.environments.code._exec import TEST_LIMITS
    from synth.verifiers.synthesized._sandbox import LIMITS

    return {"code": TEST_LIMITS, "synthesized": LIMITS}


def test_the_families_containers_get_the_default_quotas() -> None:
    for name, limits in family_limits().items():
        assert limits.disk == "1g" and limits.nofile == 4096 and limits.quota_applies, name


@pytest.mark.parametrize("family", ["code", "synthesized"])
def test_open_files_and_file_size_are_limited_as_the_families_run(base_image: str, family: str) -> None:
    with start_sandbox(base_image, limits=family_limits()[family], kind="test") as box:
        assert box.exec("ulimit -n; ulimit -f").output.split() == ["4096", str((1 << 30) // 1024 + 1024)]
        many = box.exec("python3 -c \"fs = [open('/proc/self/stat') for _ in range(10000)]\"")
        assert many.exit_code != 0 and "Too many open files" in many.output


def test_one_file_past_the_quota_stops_with_a_message(base_image: str) -> None:
    with start_sandbox(base_image, limits=Limits(disk="64m"), kind="test") as box:
        big = box.exec("cd /tmp && dd if=/dev/zero of=big bs=1M count=200; ls -l big | cut -d' ' -f5", timeout=60)
        assert "File size limit exceeded" in big.output, big.output
        # the file's size (the watch may also kill the command once the layer passes 64m: its note follows)
        assert int(next(line for line in big.output.split() if line.isdigit())) <= 65 << 20


def test_many_files_past_the_quota_kill_the_command_with_a_message(base_image: str) -> None:
    with start_sandbox(base_image, limits=Limits(disk="128m"), kind="test") as box:
        fill = box.exec("cd /tmp && for i in $(seq 40); do dd if=/dev/zero of=f$i bs=1M count=20 status=none; sleep 0.1; done;"
                        " echo finished", timeout=60)
        assert fill.quota_exceeded and "disk quota" in fill.output and "finished" not in fill.output, fill.output
        used = box.exec("du -sm /tmp | cut -f1")
        assert int(used.output.split()[0]) < 600  # stopped within about a second of passing 128m, not at 800m
        assert box.exec("rm -f /tmp/f*; echo freed").output.strip() == "freed"  # recoverable: the model can free space
        assert not box.exec("echo ok").quota_exceeded


def test_scratch_folders_are_tmpfs_of_the_quota_owned_by_the_user(base_image: str) -> None:
    with start_sandbox(base_image, limits=Limits(disk="32m"), kind="test", scratch={"/scratch": None, "/tmp": "8m"}) as box:
        df = box.exec("df -k --output=size /scratch /tmp | tail -2; stat -c %u /scratch").output.split()
        assert df == [str(32 * 1024), str(8 * 1024), "1000"]
        full = box.exec("dd if=/dev/zero of=/scratch/x bs=1M count=100")
        assert "No space left on device" in full.output


def test_a_fork_bomb_that_outlives_its_timeout_is_ended_from_the_host(base_image: str) -> None:
    with start_sandbox(base_image, limits=Limits(pids=64), kind="test") as box:
        bomb = box.exec("setsid bash -c 'b(){ b | b & }; b' & sleep 30", timeout=3)
        assert bomb.timed_out
        assert box.exec("echo alive").output.strip() == "alive"


def test_a_sandbox_removed_because_of_what_a_command_did_is_broken_by_the_model(base_image: str) -> None:
    box = start_sandbox(base_image, kind="test")
    try:
        # what exec's watchdog records when a command's processes would not die
        box.broken_by_model = "a command's processes would not stop"  # type: ignore[attr-defined]
        box.close()
        with pytest.raises(BrokenByModel):
            box.exec("true")
    finally:
        box.close()


def test_a_container_removed_from_outside_is_not_the_model_s(base_image: str) -> None:
    with start_sandbox(base_image, kind="test") as box:
        engine().api.remove_container(box.id, force=True)
        with pytest.raises(SandboxError) as caught:
            box.exec("true")
        assert not isinstance(caught.value, BrokenByModel)


def test_bytes_held_in_deleted_open_files_count_against_the_quota(base_image: str) -> None:
    # a file unlinked right after opening no longer shows in the writable layer's tree, yet its
    # blocks fill the host's disk until closed (an attacker held 3 GB this way, unseen)
    with start_sandbox(base_image, limits=Limits(disk="128m"), kind="test") as box:
        held = box.exec("python3 -c \"\nimport os, time\nfs = []\nfor i in range(4):\n"
                        "    f = open(f'/tmp/h{i}', 'wb'); os.unlink(f'/tmp/h{i}'); fs.append(f)\n"
                        "    for _ in range(60):\n        f.write(b'x' * (1 << 20)); f.flush()\n        time.sleep(0.01)\n"
                        "print('finished')\n\"", timeout=90)
        assert held.quota_exceeded and "disk quota" in held.output and "finished" not in held.output, held.output
