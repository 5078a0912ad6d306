"""White-box attacks on the behavioural cross-check against the gold (issue 17 item 6): the
launcher's recorder and tracer (`_recorder`, `_value_tracer`) driven as a confirming fork drives
them, with the launcher's audit hook installed (no Docker), and the host's `gold_values`.

A "gold" module and a "submission" module are each run in a fresh process; `mod.run()` stands for
the F2P test's body. Attack class (a): a submission that is wrong yet records the gold's values;
class (b): a correct submission whose values differ from the gold's. An attack that still wins is a
strict xfail naming its class; one that loses is a plain regression test."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest



LAUNCHER = Path(__file__).resolve().parents[2] / "verifiers" / "code" / "_launcher.py"

DRIVER = '''
import importlib.util, json, os, sys
launcher_path, root, names = os.path.abspath(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])
spec = importlib.util.spec_from_file_location("launcher", launcher_path)
launcher = importlib.util.module_from_spec(spec)
spec.loader.exec_module(launcher)
launcher.RECORD_FD = 2  # a tamper report goes to stderr
recorder = launcher._recorder(launcher_path, os.write, os._exit, sys._getframe, sys.settrace)
next(recorder)
trace = launcher._value_tracer(frozenset((os.path.join(root, "mod.py"), n) for n in names), recorder.send,
                               len(root) + 1)
recorder.send(trace)
del trace
ours = {}
exec(compile("def start(s): return s(('start',))\\ndef digest(s): return s(('digest',))", launcher_path, "exec"),
     ours)
prefixes = tuple(sorted({os.path.dirname(os.__file__) + "/"}
                        | {p.rstrip("/") + "/" for p in sys.path if p and not p.startswith(root)}))
hook = launcher._make_hook(root, prefixes, frozenset({os.path.abspath(__file__), launcher_path}), [], False,
                           lambda line: sys.stderr.write(line + "\\n"), lambda: os._exit(86))
sys.path.insert(0, root)
import mod
send = recorder.send
del recorder, launcher, spec
sys.addaudithook(hook)
ours["start"](send)
try:
    mod.run()
except Exception as exc:
    sys.stderr.write("run raised %r\\n" % (exc,))
print(ours["digest"](send), flush=True)
'''


def _digest(tmp_path: Path, name: str, source: str, watched=("f",)) -> dict:
    """The recorder's digest of `mod.run()` (label -> [count, hash, first calls]), or
    {"exit": code, "stderr": ...} when the process did not finish normally."""
    base = Path(tempfile.mkdtemp(prefix=name, dir=tmp_path))
    repo = base / "repo"
    repo.mkdir()
    (repo / "mod.py").write_text(textwrap.dedent(source))
    (base / "drive.py").write_text(DRIVER)
    done = subprocess.run([sys.executable, str(base / "drive.py"), str(LAUNCHER), str(repo),
                           json.dumps(list(watched))], capture_output=True, text=True, timeout=60)
    if done.returncode != 0 or not done.stdout.strip():
        return {"exit": done.returncode, "stderr": done.stderr}
    return json.loads(done.stdout.splitlines()[-1])


def _texts(digest: dict) -> dict:
    return {label: [shown for _, shown in entry[2]] for label, entry in digest.items() if label.startswith("mod.py")}


def _caught(tmp_path: Path, gold: str, submission: str, watched=("f",)) -> bool:
    """Whether `gold_values` tells the submission from the gold (its entries differ)."""
    want, got = _digest(tmp_path, "gold", gold, watched), _digest(tmp_path, "sub", submission, watched)
    assert "exit" not in want, want
    if "exit" in got:
        return True  # a tamper report (exit 86) or a crash: the submission fails anyway
    return want != got


GOLD_F = '''
def f(x):
    return x + 2

def run():
    assert f(1) == 3
'''

# -- (a) forging values through the tracer ---------------------------------------------------------

FORGED = '''
import os, sys, types

def _f(x):  # the wrong fix; the name `f` the gold changed is now an alias with another qualname
    fake = types.SimpleNamespace(f_code=types.SimpleNamespace(
        co_filename=os.path.abspath(__file__), co_qualname="f", co_name="f"))
    local = sys.gettrace()(fake, "call", None)  # the tracer's per-frame function for `f`
    local(fake, "return", x + 2)  # the gold's value, sent from the tracer's own code
    return x + 1

f = _f

def run():
    f(1)
'''


@pytest.mark.xfail(strict=True, reason="wins, class (a) forgery: sys.gettrace() is not audited and hands the "
                   "project the tracer; called with a fake frame it returns the per-frame function, whose sends "
                   "the recorder accepts (its sender check is by code object)")
def test_values_cannot_be_forged_through_sys_gettrace(tmp_path):
    assert _caught(tmp_path, GOLD_F, FORGED)


@pytest.mark.parametrize("body", [
    "sys.settrace(None)",
    "sys._getframe().f_trace = None",
    "threading.settrace(None); sys.settrace(None)",
    "(lambda e: e.__traceback__.tb_frame)(ZeroDivisionError())",
    "__import__('gc').get_objects()",
], ids=["settrace", "getframe-f_trace", "threading-settrace", "tb_frame", "gc"])
def test_switching_the_tracer_off_is_refused(tmp_path, body):
    """Loses: the audit hook refuses the tracer, frames and the collector to project code."""
    sub = f'''
import sys, threading

def f(x):
    try:
        raise ValueError
    except ValueError as exc:
        tb = exc
    {body}
    return x + 1

def run():
    f(1)
'''
    got = _digest(tmp_path, "sub", sub)
    assert got.get("exit") == 86 or _caught(tmp_path, GOLD_F, sub), got


def test_a_wrong_value_computed_in_another_thread_is_still_missed_by_count(tmp_path):
    """Loses: calls made in a thread of the project's are not traced, so the gold's call is missing."""
    sub = '''
import threading

def f(x):
    return x + 1

def run():
    out = []
    t = threading.Thread(target=lambda: out.append(f(1)))
    t.start(); t.join()
'''
    assert _caught(tmp_path, GOLD_F, sub)
