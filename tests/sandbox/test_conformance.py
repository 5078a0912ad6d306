"""The sandbox conformance suite: every implementation (tests/sandbox/conftest.py) must pass it,
through the `Sandbox` contract only."""

from __future__ import annotations

import gzip
import io
import tarfile
import time

import pytest

from synth import SandboxError
from synth.sandbox import Sandbox


def test_an_implementation_is_a_sandbox(sandbox):
    assert isinstance(sandbox, Sandbox)


def test_commands_run_as_a_non_root_user_with_exit_codes(sandbox):
    result = sandbox.exec("id -u; exit 3")
    assert result.exit_code == 3 and result.output.strip() == "1000"
    assert sandbox.exec("id -u", user="0:0").output.strip() == "0"


def test_commands_take_a_working_directory_and_environment(sandbox):
    result = sandbox.exec('pwd; echo "$GREETING"', workdir="/tmp", env={"GREETING": "hello"})
    assert result.output.split() == ["/tmp", "hello"]


def test_never_ending_command_is_killed_at_its_timeout(sandbox):
    started = time.monotonic()
    result = sandbox.exec("sleep 600", timeout=2)
    assert result.timed_out and result.exit_code == 124
    assert time.monotonic() - started < 10


def test_huge_output_is_capped_head_and_tail(sandbox):
    result = sandbox.exec("echo FIRST; head -c 50000000 /dev/zero | tr '\\0' x; echo; echo LAST", output_cap=4096)
    assert result.truncated and result.output_bytes > 50_000_000
    assert result.output.startswith("FIRST") and result.output.rstrip().endswith("LAST")
    assert len(result.output) < 5000


def test_fork_bomb_is_contained_and_the_sandbox_recovers(sandbox):
    result = sandbox.exec(":(){ :|:& };:", timeout=5)
    assert result.duration < 15
    after = sandbox.exec("echo alive; ps -e --no-headers | wc -l")
    assert after.exit_code == 0 and after.output.split()[0] == "alive"
    assert int(after.output.split()[1]) < 20  # the bomb's processes are gone


def test_background_processes_do_not_outlive_their_command(sandbox):
    sandbox.exec("sleep 300 >/dev/null 2>&1 &")
    assert sandbox.exec("pgrep -u 1000 sleep || echo none").output.strip() == "none"


def test_no_network(sandbox):
    code = "import socket\ntry:\n socket.create_connection(('1.1.1.1', 443), timeout=3); print('reached')\nexcept OSError as e: print('blocked')"
    result = sandbox.exec(f"python3 -c \"{code}\"")
    assert result.output.strip() == "blocked"
    assert sandbox.exec("cat /sys/class/net/*/operstate 2>/dev/null | tr '\\n' ' '").output.split() in ([], ["unknown"])


def test_files_round_trip_and_missing_files_raise(sandbox):
    sandbox.write_file("/tmp/hello.txt", b"caf\xc3\xa9\n")
    assert sandbox.read_file("/tmp/hello.txt") == b"caf\xc3\xa9\n"
    assert sandbox.exec("stat -c %u /tmp/hello.txt").output.strip() == "1000"
    sandbox.write_file("/tmp/run.sh", b"echo ran\n", mode=0o755, user="0:0")
    assert sandbox.exec("stat -c '%u %a' /tmp/run.sh; /tmp/run.sh").output.split() == ["0", "755", "ran"]
    with pytest.raises(SandboxError):
        sandbox.read_file("/tmp/missing.txt")
    with pytest.raises(SandboxError):
        sandbox.read_file("/tmp/hello.txt", limit=2)


def _tar(files: dict[str, bytes], *, gz: bool) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.uid, info.gid = len(data), 1000, 1000
            tar.addfile(info, io.BytesIO(data))
    return gzip.compress(buffer.getvalue()) if gz else buffer.getvalue()


@pytest.mark.parametrize("gz", [False, True], ids=["tar", "tar.gz"])
def test_put_tree_unpacks_an_archive_into_a_folder(sandbox, gz):
    sandbox.exec("mkdir -p /tmp/tree")
    sandbox.put_tree("/tmp/tree", _tar({"pkg/__init__.py": b"X = 1\n", "README": b"hi\n"}, gz=gz))
    assert sandbox.read_file("/tmp/tree/pkg/__init__.py") == b"X = 1\n"
    assert sandbox.exec("cd /tmp/tree && find . -type f | sort").output.split() == ["./README", "./pkg/__init__.py"]
    with pytest.raises(SandboxError):
        sandbox.put_tree("/tmp/no/such/folder", _tar({"a": b"a"}, gz=gz))


def test_close_releases_everything_is_idempotent_and_never_raises(implementation):
    box = implementation.start()
    box.exec("true")
    box.close()
    box.close()
    assert implementation.released(box)


def test_a_context_manager_closes_on_the_way_out_of_an_error(implementation):
    with pytest.raises(RuntimeError):
        with implementation.start() as box:
            raise RuntimeError("boom")
    assert implementation.released(box)
