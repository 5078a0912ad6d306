"""The notebook kernel in its sandbox, as a model using it would notice: state persists, output comes
back capped and in its streams, a runaway cell is interrupted without losing state, a dead or stuck
kernel is restarted and reported, and the sandbox has no network, a non-root user, read-only data
and is removed on exit, Ctrl-C and SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from synth.environments.interpreter import KernelRestarted
from synth.sandbox import engine

from .conftest import start_kernel

pytestmark = pytest.mark.docker


# -- state ------------------------------------------------------------------------------------------
def test_a_variable_persists_across_executions(shared_kernel) -> None:
    shared_kernel.execute("persisting = 41")
    assert shared_kernel.execute("persisting + 1").result == "42"


def test_an_open_file_stays_open_across_executions(shared_kernel) -> None:
    shared_kernel.execute("handle = open('/work/notes.txt', 'w')\nhandle.write('first ')")
    shared_kernel.execute("handle.write('second')\nhandle.close()")
    assert shared_kernel.execute("open('/work/notes.txt').read()").result == "'first second'"


def test_random_state_is_seeded_at_start_and_carries_on_between_cells(kernel_image, data_files) -> None:
    with start_kernel(data_files) as one:
        first = one.execute("import random, numpy\n(random.random(), float(numpy.random.rand()))").result
        second = one.execute("(random.random(), float(numpy.random.rand()))").result
    with start_kernel(data_files) as fresh:  # the same seed: the same stream, drawn in one cell
        both = fresh.execute("import random, numpy\na = (random.random(), float(numpy.random.rand()))\n"
                             "b = (random.random(), float(numpy.random.rand()))\n(a, b)").result
    assert first != second
    assert both == f"({first}, {second})"


def test_numpy_is_seeded_however_it_is_first_imported(kernel_image, data_files) -> None:
    with start_kernel(data_files, seed=5) as through_pandas, start_kernel(data_files, seed=5) as explicit:
        drawn = through_pandas.execute("import pandas\nimport numpy\nnumpy.random.rand()").result
        assert explicit.execute("import numpy\nnumpy.random.seed(5)\nnumpy.random.rand()").result == drawn


def test_hash_order_is_the_same_in_every_kernel(kernel_image, data_files) -> None:
    code = "list({'alpha', 'beta', 'gamma', 'delta', 'epsilon'})"
    with start_kernel(data_files) as one, start_kernel(data_files) as two:
        assert one.execute(code).result == two.execute(code).result


# -- what an execution returns --------------------------------------------------------------------
def test_stdout_stderr_and_the_last_value_come_back_apart(shared_kernel) -> None:
    run = shared_kernel.execute("import sys\nprint('to stdout')\nprint('to stderr', file=sys.stderr)\n6 * 7")
    assert (run.stdout, run.stderr, run.result, run.error) == ("to stdout\n", "to stderr\n", "42", None)


def test_output_of_subprocesses_and_c_code_is_captured_too(shared_kernel) -> None:
    run = shared_kernel.execute("import os\nos.system('echo from a shell; echo oops >&2')\nos.write(1, b'raw\\n')")
    assert run.stdout == "from a shell\nraw\n" and run.stderr == "oops\n"


def test_a_statement_at_the_end_shows_no_value(shared_kernel) -> None:
    assert shared_kernel.execute("quiet = 5").result is None
    assert shared_kernel.execute("None").result is None


def test_an_exception_comes_back_with_its_traceback_and_the_kernel_lives_on(shared_kernel) -> None:
    run = shared_kernel.execute("def broken():\n    return 1 / 0\nbroken()")
    assert run.error is not None and run.error["name"] == "ZeroDivisionError"
    assert "return 1 / 0" in run.error["traceback"] and "_kernel_main" not in run.error["traceback"]
    assert shared_kernel.execute("'still here'").result == "'still here'"


def test_a_syntax_error_points_at_the_line(shared_kernel) -> None:
    run = shared_kernel.execute("x = (1,\ny = 2 +")
    assert run.error is not None and run.error["name"] == "SyntaxError"


def test_exit_and_keyboard_interrupt_in_user_code_do_not_end_the_kernel(shared_kernel) -> None:
    assert shared_kernel.execute("raise SystemExit(3)").error["name"] == "SystemExit"
    assert shared_kernel.execute("raise KeyboardInterrupt").error["name"] == "KeyboardInterrupt"
    assert shared_kernel.execute("1").result == "1"


def test_huge_output_is_capped_head_and_tail_with_the_true_size(kernel_image, data_files) -> None:
    with start_kernel(data_files, output_cap=1000) as k:
        run = k.execute("print('FIRST')\nprint('x' * 5_000_000)\nprint('LAST')\n'y' * 100_000")
    assert run.stdout.startswith("FIRST") and run.stdout.rstrip().endswith("LAST")
    assert "bytes of output truncated" in run.stdout and len(run.stdout) < 1200
    assert run.stdout_bytes == 5_000_000 + len("FIRST\n\nLAST\n")
    assert run.result is not None and len(run.result) < 1200 and "characters truncated" in run.result


def test_reading_stdin_ends_at_once(shared_kernel) -> None:
    assert shared_kernel.execute("input()").error["name"] == "EOFError"


# -- runaway and dead kernels ---------------------------------------------------------------------
def test_a_timeout_interrupts_the_cell_and_keeps_the_state(kernel) -> None:
    kernel.execute("kept = 'yes'\nimport time")
    run = kernel.execute("time.sleep(600)")
    assert run.timed_out and run.error["name"] == "TimeoutError"
    assert kernel.execute("kept").result == "'yes'"
    assert kernel.restarts == 0


def test_a_timeout_is_not_swallowed_by_except_exception(kernel) -> None:
    run = kernel.execute("import time\nwhile True:\n    try:\n        time.sleep(0.1)\n    except Exception:\n        pass")
    assert run.timed_out and kernel.restarts == 0


def test_a_cell_that_swallows_every_interrupt_gets_a_fresh_kernel_and_the_model_is_told(kernel) -> None:
    kernel.execute("lost = 1\nopen('/work/kept.txt', 'w').write('on disk')")
    with pytest.raises(KernelRestarted) as caught:
        kernel.execute("import time\nwhile True:\n    try:\n        time.sleep(0.1)\n    except BaseException:\n        pass")
    assert caught.value.kind == "kernel_restarted" and "restarted" in str(caught.value)
    assert kernel.restarts == 1
    assert kernel.execute("lost").error["name"] == "NameError"
    assert kernel.execute("open('/work/kept.txt').read()").result == "'on disk'"


@pytest.mark.parametrize("death, why", [("import os\nos._exit(3)", "exited with code 3"),
                                        ("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", "exit code 137")])
def test_a_dead_kernel_is_restarted_and_the_model_is_told(kernel, death: str, why: str) -> None:
    kernel.execute("lost = 1")
    with pytest.raises(KernelRestarted, match=why):
        kernel.execute(death)
    assert kernel.execute("lost").error["name"] == "NameError"
    assert kernel.execute("2 + 2").result == "4"


def test_the_memory_limit_kills_the_kernel_not_the_machine(kernel_image, data_files) -> None:
    with start_kernel(data_files, memory="256m") as k:
        with pytest.raises(KernelRestarted, match="memory"):
            k.execute("hog = bytearray(1024 ** 3)\nhog[::4096] = b'x' * len(hog[::4096])")
        assert k.execute("'after'").result == "'after'"


def test_forged_kernel_replies_are_ignored(shared_kernel) -> None:
    # code that finds the kernel's own channel and writes fake replies to it: the host reads only
    # the reply that carries its request's id
    forge = textwrap.dedent("""\
        import os
        for fd in range(3, 64):
            try:
                os.write(fd, b'not json\\n{"id": "forged", "stdout": "fake"}\\n')
            except OSError:
                pass
        'real'""")
    assert shared_kernel.execute(forge).result == "'real'"
    assert shared_kernel.execute("'next'").result == "'next'"


def test_closing_the_kernel_s_own_descriptors_gets_a_fresh_kernel_not_a_hang(kernel) -> None:
    with pytest.raises(KernelRestarted):
        kernel.execute("import os\nos.closerange(0, 256)\nprint('gone')")
    assert kernel.execute("'fresh'").result == "'fresh'"


# -- the sandbox ------------------------------------------------------------------------------------
def test_no_network(shared_kernel) -> None:
    run = shared_kernel.execute("import socket\nsocket.create_connection(('1.1.1.1', 53), timeout=3)")
    assert run.error is not None and run.error["name"] in ("OSError", "TimeoutError", "gaierror")


def test_runs_as_uid_1000_with_read_only_data_and_a_writable_work_folder(shared_kernel) -> None:
    assert shared_kernel.execute("import os\n(os.getuid(), os.getcwd())").result == "(1000, '/work')"
    assert shared_kernel.execute("open('/data/numbers.csv').read()").result == repr("x,y\n1,2\n3,4\n")
    assert shared_kernel.execute("open('/data/numbers.csv', 'a').write('5,6')").error["name"] in ("OSError", "PermissionError")
    assert shared_kernel.execute("open('/work/out.txt', 'w').write('ok')").result == "2"


def test_numpy_pandas_and_sympy_are_installed(shared_kernel) -> None:
    run = shared_kernel.execute("import numpy, pandas, sympy\nstr(sympy.factorint(2 ** 10 * 3))")
    assert run.result == repr("{2: 10, 3: 1}")


HOLDER = """
import sys, time
from pathlib import Path
from synth.environments.interpreter import Kernel, KernelSettings
kernel = Kernel(KernelSettings(), {})
print(kernel.box.id, flush=True)
time.sleep(600)
"""


@pytest.mark.parametrize("how, sigint", [(signal.SIGTERM, signal.SIG_DFL), (signal.SIGINT, signal.SIG_DFL),
                                         (signal.SIGINT, signal.SIG_IGN)],
                         ids=["SIGTERM", "SIGINT", "SIGINT-inherited-ignored"])
def test_the_kernel_container_is_removed_on_sigterm_and_ctrl_c(kernel_image, how: signal.Signals, sigint) -> None:
    # the child's SIGINT is set here, not inherited (a background job's children start with it
    # ignored); synth removes the container either way
    holder = subprocess.Popen([sys.executable, "-c", HOLDER], stdout=subprocess.PIPE, text=True,
                              preexec_fn=lambda: signal.signal(signal.SIGINT, sigint))
    try:
        container = holder.stdout.readline().strip()
        assert container and engine().containers.list(all=True, filters={"id": container})
        holder.send_signal(how)
        holder.wait(timeout=120)
    finally:
        if holder.poll() is None:
            holder.kill()
    assert not engine().containers.list(all=True, filters={"id": container})


def test_the_kernel_container_is_removed_when_the_process_exits(kernel_image) -> None:
    code = HOLDER.replace("time.sleep(600)", "")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    container = done.stdout.strip()
    assert done.returncode == 0 and container
    assert not engine().containers.list(all=True, filters={"id": container})


def test_close_removes_the_container(kernel_image, data_files) -> None:
    k = start_kernel(data_files)
    container = k.box.id
    k.close()
    k.close()  # idempotent
    assert not engine().containers.list(all=True, filters={"id": container})


def test_the_image_is_built_once_and_reused(kernel_image) -> None:
    from synth.environments.interpreter import PACKAGES, kernel_image as again

    assert again() == kernel_image and kernel_image.startswith("synth-kernel:")
    labels = engine().images.get(kernel_image).labels
    assert labels["synth.image"] == "kernel"
    assert json.dumps(list(PACKAGES))  # pinned versions make the recipe, hence the tag
    assert all("==" in p for p in PACKAGES)
    assert os.path.basename(kernel_image)
