"""The sandbox conformance suite: every implementation must pass it (today: Docker)."""

from __future__ import annotations

import time

import pytest

from synth import SandboxError

pytestmark = pytest.mark.docker


def test_commands_run_as_a_non_root_user_with_exit_codes(sandbox):
    box, run = sandbox
    result = run(box.exec("id -u; exit 3"))
    assert result.exit_code == 3 and result.output.strip() == "1000"


def test_never_ending_command_is_killed_at_its_timeout(sandbox):
    box, run = sandbox
    started = time.monotonic()
    result = run(box.exec("sleep 600", timeout=2))
    assert result.timed_out and result.exit_code == 124
    assert time.monotonic() - started < 10


def test_huge_output_is_capped_head_and_tail(sandbox):
    box, run = sandbox
    result = run(box.exec("echo FIRST; head -c 50000000 /dev/zero | tr '\\0' x; echo; echo LAST", output_cap=4096))
    assert result.truncated and result.output_bytes > 50_000_000
    assert result.output.startswith("FIRST") and result.output.rstrip().endswith("LAST")
    assert len(result.output) < 5000


def test_fork_bomb_is_contained_and_the_sandbox_recovers(sandbox):
    box, run = sandbox
    result = run(box.exec(":(){ :|:& };:", timeout=5))
    assert result.duration < 15
    after = run(box.exec("echo alive; ps -e --no-headers | wc -l"))
    assert after.exit_code == 0 and after.output.split()[0] == "alive"
    assert int(after.output.split()[1]) < 20  # the bomb's processes are gone


def test_background_processes_do_not_outlive_their_command(sandbox):
    box, run = sandbox
    run(box.exec("sleep 300 >/dev/null 2>&1 &"))
    assert run(box.exec("pgrep -u 1000 sleep || echo none")).output.strip() == "none"


def test_no_network(sandbox):
    box, run = sandbox
    code = "import socket\ntry:\n socket.create_connection(('1.1.1.1', 443), timeout=3); print('reached')\nexcept OSError as e: print('blocked')"
    result = run(box.exec(f"python3 -c \"{code}\""))
    assert result.output.strip() == "blocked"
    assert run(box.exec("cat /sys/class/net/*/operstate 2>/dev/null | tr '\\n' ' '")).output.split() in ([], ["unknown"])


def test_files_round_trip_and_missing_files_raise(sandbox):
    box, run = sandbox
    run(box.write_file("/tmp/hello.txt", b"caf\xc3\xa9\n"))
    assert run(box.read_file("/tmp/hello.txt")) == b"caf\xc3\xa9\n"
    assert run(box.exec("stat -c %u /tmp/hello.txt")).output.strip() == "1000"
    with pytest.raises(SandboxError):
        run(box.read_file("/tmp/missing.txt"))


def test_close_removes_the_container_and_is_idempotent(base_image):
    import asyncio

    from synth.sandbox import DockerSandbox, engine

    loop = asyncio.new_event_loop()
    box = loop.run_until_complete(DockerSandbox.start(base_image))
    loop.run_until_complete(box.close())
    loop.run_until_complete(box.close())
    loop.close()
    assert not engine().containers.list(all=True, filters={"id": box.id})
