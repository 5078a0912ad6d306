"""The harness at run time, with the gate's static refusals out of the way (the tuple is built by
hand, `agent_script.record_of`): generated code that tries to switch the harness off, reach its
state, write SQL from values, read the clock or entropy, or flood the output is refused and the
attempt is reported by class (issue 19, item 5, 4, 6 and 8). Each tool here is one attack."""

from __future__ import annotations

import json

import agent_script as script
import pytest

import synth
from synth import Run
from synth.verifiers.synthesized import TOOLS_USER, fresh_sandbox, run_harness

pytestmark = pytest.mark.docker

ATTACKS = '''
import datetime
import os
import sys
import time


def posixsubprocess(db) -> str:
    """Imports the process-spawning module the audit hook cannot see."""
    import _posixsubprocess
    return "imported"


def posixshmem(db) -> str:
    """Imports shared memory."""
    import _posixshmem
    return "imported"


def reach_the_hook(db) -> str:
    """Looks for the audit hook among every object."""
    import gc
    return str(len(gc.get_objects()))


def close_the_reports(db) -> str:
    """Closes every descriptor the harness could report through, then writes a file."""
    for fd in range(3, 64):
        try:
            os.close(fd)
        except OSError:
            pass
    try:
        open("/dev/shm/after", "w").write("x")
    except OSError:
        pass
    return "quiet"


def aliased_sql(db, city: str) -> list:
    """SQL from an f-string through an alias the static check would have refused.

    Args:
        city: A city.
    """
    run = getattr(db, "exec" + "ute")
    return run(f"SELECT name FROM hotel WHERE city = '{city}'").fetchall()


def clock(db) -> list:
    """What time it is, as generated code sees it."""
    return [time.time(), datetime.datetime.now().isoformat(), datetime.date.today().isoformat()]


def entropy(db) -> str:
    """Random bytes."""
    return os.urandom(4).hex()


def read_environ(db) -> str:
    """The process environment, where the result mark once was."""
    marks = [k for k in os.environ if "MARK" in k]
    try:
        open("/proc/self/environ", "rb").read()
    except OSError:
        pass
    return ",".join(marks) or "none"


def frames(db) -> str:
    """Walks up to the harness's frames."""
    try:
        raise ValueError("x")
    except ValueError as exc:
        return str(exc.__traceback__.tb_frame.f_back.f_globals.get("__name__"))


def getframe(db) -> str:
    """Asks for its caller's frame directly."""
    return str(sys._getframe(1).f_globals.get("__name__"))


def chmod_env(db) -> str:
    """Makes its own file writable."""
    os.chmod("/env/tools.py", 0o666)
    return "changed"


def hostname_time(db) -> float:
    """Reads the real clock from a file's timestamp."""
    return os.stat("/etc/hostname").st_mtime


def dev_random(db) -> str:
    """Reads entropy from a device."""
    return open("/dev/urandom", "rb").read(2).hex()


def io_state(db) -> bool:
    """Looks at the harness's files."""
    return os.path.exists("/io/calls.json")


def loud(db) -> str:
    """Prints 2 MB."""
    print("x" * (2 << 20))
    return "done"
'''


@pytest.fixture(scope="module")
def env(tmp_path_factory, base_image):
    run = Run.create(tmp_path_factory.mktemp("harness") / "run")
    record = script.record_of(run, {**script.LEVEL1, "tools.py": ATTACKS}, timeout=5)
    with synth.family("synthesized").open(record, run) as live:
        yield live


def result(env, name: str, arguments: dict | None = None) -> tuple[bool, str]:
    got = env.call(name, json.dumps(arguments or {}))
    return bool(got.error), got.content


@pytest.mark.parametrize("name, kind", [
    ("posixsubprocess", "native code"),
    ("posixshmem", "native code"),
    ("reach_the_hook", "native code"),
    ("close_the_reports", "harness tampering"),
    ("entropy", "entropy"),
    ("frames", "frame access"),
    ("getframe", "frame access"),
    ("chmod_env", "file write"),
    ("hostname_time", "clock"),
    ("dev_random", "entropy"),
    ("io_state", "harness tampering"),
])
def test_an_attack_on_the_harness_is_refused_and_reported(env, name, kind):
    failed, content = result(env, name)
    assert failed and f"({kind}" in content, content


def test_sql_built_from_an_argument_is_refused_at_run_time(env):
    failed, content = result(env, "aliased_sql", {"city": "Rome' OR '1'='1"})
    assert failed and "sql built from values" in content, content
    failed, content = result(env, "aliased_sql", {"city": "Rome"})  # even a harmless value: the text is not a literal
    assert failed and "sql built from values" in content, content


def test_generated_code_sees_a_fixed_clock(env):
    failed, content = result(env, "clock")
    assert not failed and json.loads(content) == [1767225600.0, "2026-01-01T00:00:00", "2026-01-01"], content


def test_the_result_mark_is_not_in_the_environment_and_proc_is_refused(env):
    failed, content = result(env, "read_environ")
    assert failed and "(file access" in content and "/proc/self/environ" in content, content


def test_printed_output_is_counted_not_kept(tmp_path, base_image):
    files = {"/env/tools.py": ATTACKS.encode(), "/state/db.sqlite": _db(tmp_path)}
    with fresh_sandbox(files, TOOLS_USER) as box:
        outcome = run_harness(box, "call", "loud", "{}", timeout=5)
        owner = box.exec("stat -c %u:%a /env/tools.py /state/db.sqlite", user=TOOLS_USER).output.split()
    assert outcome.ok and outcome.value["result"] == "done"
    assert outcome.output_bytes >= 2 << 20
    assert owner == ["0:444", "0:444"]  # root's, read-only to every user of generated code


def _db(tmp_path) -> bytes:
    from synth.environments.synthesized import build_database

    return build_database(script.LEVEL1, 5).data
