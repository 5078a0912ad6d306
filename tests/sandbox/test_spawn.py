"""Long-lived processes (`Sandbox.spawn`) of every sandbox implementation, through the contract only:
stdin and stdout are a channel, stderr is kept apart, waits time out without losing output, an
exit is reported with its code, and kill or the sandbox's close ends the process and its children."""

from __future__ import annotations

import pytest

from synth.sandbox import ProcessExited

ECHO = ["python3", "-u", "-c",
        "import sys\nfor line in sys.stdin:\n    print(line.strip().upper())\n    print('seen', file=sys.stderr)"]


def test_a_spawned_process_answers_line_by_line(sandbox) -> None:
    with sandbox.spawn(ECHO) as process:
        for word in ("one", "two", "three"):
            process.send(f"{word}\n".encode())
            assert process.readline(30) == f"{word.upper()}\n".encode()
        assert "seen" in process.stderr()
        assert process.exit_code is None


def test_a_wait_times_out_and_keeps_the_partial_line(sandbox) -> None:
    with sandbox.spawn(["python3", "-u", "-c", "import sys, time\nsys.stdout.write('par'); sys.stdout.flush()\n"
                                               "sys.stdin.readline()\nprint('tial')"]) as process:
        with pytest.raises(TimeoutError):
            process.readline(1)
        process.send(b"go\n")
        assert process.readline(30) == b"partial\n"


def test_an_exit_is_reported_with_its_code_after_the_lines_it_wrote(sandbox) -> None:
    process = sandbox.spawn(["sh", "-c", "echo last words; exit 7"])
    assert process.readline(30) == b"last words\n"
    with pytest.raises(ProcessExited) as caught:
        process.readline(30)
    assert caught.value.exit_code == 7 and process.exit_code == 7
    with pytest.raises(ProcessExited):
        process.send(b"anyone?\n")
    process.close()


def test_kill_ends_the_process_and_what_it_started(sandbox) -> None:
    process = sandbox.spawn(["sh", "-c", "sleep 300 & echo started; sleep 300"])
    assert process.readline(30) == b"started\n"
    process.kill()
    process.kill()  # idempotent
    assert sandbox.exec("pgrep -u 1000 sleep || echo none", user="0:0").output.strip() == "none"
    with pytest.raises(ProcessExited):
        process.readline(30)


def test_closing_the_sandbox_ends_its_processes(implementation) -> None:
    box = implementation.start()
    process = box.spawn(ECHO)
    box.close()
    with pytest.raises(ProcessExited):
        process.readline(30)
    assert implementation.released(box)
