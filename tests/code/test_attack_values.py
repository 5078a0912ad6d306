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

from synth.verifiers.code._behaviour import differences



LAUNCHER = Path(__file__).resolve().parents[2] / "verifiers" / "code" / "_launcher.py"

DRIVER = '''
import importlib.util, json, os, sys
launcher_path, root, names, allow = os.path.abspath(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4])
spec = importlib.util.spec_from_file_location("launcher", launcher_path)
launcher = importlib.util.module_from_spec(spec)
spec.loader.exec_module(launcher)
launcher.RECORD_FD = 2  # a tamper report goes to stderr
send, lock = launcher._values({os.path.join(root, "mod.py"): names}, root, launcher_path)
ours = {}
exec(compile("def start(s, l):\\n    with l: return s(('start',))\\n"
             "def digest(s, l):\\n    with l: return s(('digest',))", launcher_path, "exec"), ours)
prefixes = tuple(sorted({os.path.dirname(os.__file__) + "/"}
                        | {p.rstrip("/") + "/" for p in sys.path if p and not p.startswith(root)}))
hook = launcher._make_hook(root, prefixes, frozenset({os.path.abspath(__file__), launcher_path}), allow, False,
                           lambda line: sys.stderr.write(line + "\\n"), lambda: os._exit(86))
sys.path.insert(0, root)
import mod
del launcher, spec
sys.addaudithook(hook)
ours["start"](send, lock)
try:
    mod.run()
except Exception as exc:
    sys.stderr.write("run raised %r\\n" % (exc,))
print(ours["digest"](send, lock), flush=True)
'''


ALLOW = ["frame-access@asyncio/coroutines.py:_format_coroutine"]  # what validation allows a project using asyncio.run


def _digest(tmp_path: Path, name: str, source: str, watched=("f",), python: str = sys.executable) -> dict:
    """The recorder's digest of `mod.run()` (label -> [count, hash, first calls]), or
    {"exit": code, "stderr": ...} when the process did not finish normally."""
    base = Path(tempfile.mkdtemp(prefix=name, dir=tmp_path))
    repo = base / "repo"
    repo.mkdir()
    (repo / "mod.py").write_text(textwrap.dedent(source))
    (base / "driver").mkdir()  # (not the repository's parent: sys.path[0] is a trusted prefix)
    (base / "driver" / "drive.py").write_text(DRIVER)
    done = subprocess.run([python, str(base / "driver" / "drive.py"), str(LAUNCHER), str(repo),
                           json.dumps(list(watched)), json.dumps(ALLOW)], capture_output=True, text=True, timeout=60)
    if done.returncode != 0 or not done.stdout.strip():
        return {"exit": done.returncode, "stderr": done.stderr}
    return json.loads(done.stdout.splitlines()[-1])


def _texts(digest: dict) -> dict:
    return {label: [shown for _, shown in entry[2]] for label, entry in digest.items() if label.startswith("mod.py")}


def _caught(tmp_path: Path, gold: str, submission: str, watched=("f",), python: str = sys.executable) -> bool:
    """Whether `gold_values` tells the submission from the gold (its entries differ)."""
    want = _digest(tmp_path, "gold", gold, watched, python)
    got = _digest(tmp_path, "sub", submission, watched, python)
    assert "exit" not in want, want
    if "exit" in got:
        return True  # a tamper report (exit 86) or a crash: the submission fails anyway
    return bool(differences(want, got))  # what grading's check `gold_values` compares


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


def test_values_cannot_be_forged_through_sys_gettrace(tmp_path):
    """Lost (was class (a) forgery): sys.gettrace() still hands out the tracer, but it answers only
    for a real frame (`type(frame) is FrameType`), and a project never holds one of its own frames."""
    assert _caught(tmp_path, GOLD_F, FORGED)


@pytest.mark.parametrize("body", [
    "sys.settrace(None)",
    "sys._getframe().f_trace = None",
    "threading.settrace(None); sys.settrace(None)",
    "tb.__traceback__.tb_frame",
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
    assert got.get("exit") == 86 and "T\t" in got["stderr"], got


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


# -- (a) values whose text collides with the gold's ------------------------------------------------

RETURNS = '''
import collections, datetime, decimal, enum

class Color(enum.Enum):
    RED = 1
    BLUE = 2

class Point:
    def __init__(self, x):
        self.x = x

class L(list):
    def __repr__(self):
        return "[1, 2]"
    def __iter__(self):
        return iter([1, 2])
    def __eq__(self, other):
        return True
    __hash__ = None

class S(str):
    def __repr__(self):
        return "'good'"

def looped():
    out = [1]
    out.append(out)
    return out

def nested(n, leaf):
    out = leaf
    for _ in range(n):
        out = [1, out]
    return out

def f():
    {0}

def run():
    try:
        f()
    except Exception:
        pass
'''

COLLIDING = {  # id: (the gold's body of f, a wrong submission's)
    "enum-member": ("return Color.RED", "return Color.BLUE"),
    "decimal": ("return decimal.Decimal('1.5')", "return decimal.Decimal('2.5')"),
    "bytearray": ("return bytearray(b'good')", "return bytearray(b'bad')"),
    "date": ("return datetime.date(2020, 1, 1)", "return datetime.date(1999, 1, 1)"),
    "range": ("return range(3)", "return range(4)"),
    "object-attributes": ("return Point(1)", "return Point(2)"),
    "depth-over-6": ("return [[[[[[[[1]]]]]]]]", "return [[[[[[[[2]]]]]]]]"),
    "recursion": ("return looped()", "return nested(8, None)"),
    "past-500-items": ("return list(range(1000))", "return list(range(999)) + [0]"),
    "past-2000-nodes": ("return [list(range(10)) for _ in range(300)]",
                        "return [list(range(10)) for _ in range(299)] + [[0] * 10]"),
    "ordereddict-order": ("return collections.OrderedDict([('a', 1), ('b', 2)])",
                          "return collections.OrderedDict([('b', 2), ('a', 1)])"),
    "exception-message": ("raise ValueError('the right reason')", "raise ValueError('a wrong one')"),
}

DISTINCT = {  # id: (the gold's, a wrong submission's) that the text tells apart
    "list-subclass-lying": ("return [1, 2]", "return L([9])"),
    "str-subclass-lying": ("return 'good'", "return S('bad')"),
    "long-str-tail": ("return 'a' * 300", "return 'a' * 299 + 'b'"),
    "huge-int": ("return 10 ** 5000", "return 10 ** 5000 + 1"),
    "nan-vs-number": ("return float('nan')", "return 0.0"),
    "raise-vs-none": ("raise KeyError('k')", "return None"),
    "set-element": ("return {1, 2, 3}", "return {1, 2, 4}"),
    "dict-value": ("return {'a': 1, 'b': 2}", "return {'b': 2, 'a': 3}"),
}


KEPT = {  # collisions kept on purpose: telling these apart fails correct fixes (the test's `==` does not)
    "ordereddict-order": "an OrderedDict is read as a mapping, so that a correct fix returning a dict (or an "
                         "OrderedDict for the gold's dict) passes, as `==` between the two ignores order",
    "exception-message": "a raise is its exception's type: a correct alternative fix words its message its own "
                         "way, and a test that checks the message (assertRaisesRegex, match=) fails the wrong one",
}


@pytest.mark.parametrize("gold, wrong", [
    pytest.param(*pair, id=name, marks=[pytest.mark.xfail(strict=True, reason=(
        f"wins, class (a) collision ({name}), kept on purpose: {KEPT[name]}"))] if name in KEPT else [])
    for name, pair in COLLIDING.items()])
def test_a_wrong_value_never_collides_with_the_gold(tmp_path, gold, wrong):
    """Lost (was class (a) collisions, 10 of 12): a value is read whole (no cut; long parts by hash),
    objects by their attributes and slots, static C types by their own __reduce__, Enum members by
    name, cycles by where they point."""
    assert _caught(tmp_path, RETURNS.format(gold), RETURNS.format(wrong))


@pytest.mark.parametrize("gold, wrong", list(DISTINCT.values()), ids=list(DISTINCT))
def test_values_are_told_apart_by_value_not_by_their_methods(tmp_path, gold, wrong):
    """Loses: builtin subclasses are read through their base's own methods, long values by hash."""
    assert _caught(tmp_path, RETURNS.format(gold), RETURNS.format(wrong))


ECHO = '''
def f(value):  # the watched name, now an echo: whatever it is given is "what f returned"
    return value

_echo = f

def _f(x):
    _echo(x + 2)  # the gold's value, computed for the recorder only
    return x + 1

f = _f

def run():
    f(1)
'''


def test_values_cannot_be_fed_through_a_decoy_under_the_watched_name(tmp_path):
    """Lost (was class (a) decoy): where the watched name is bound (its module, at the start and the
    end of the test, and the namespaces its calls ran in) is part of the values: here `f` is bound
    to `_f`, where the gold's is bound to `f`."""
    assert _caught(tmp_path, GOLD_F, ECHO)


# -- (b) a correct submission that the check fails ---------------------------------------------------

EQUAL = {  # id: (the gold's body of f, a correct submission's: an equal value)
    "int-vs-float": ("return 1", "return 1.0"),
    "bool-vs-int": ("return True", "return 1"),
    "tuple-vs-list": ("return (1, 2)", "return [1, 2]"),
    "dict-vs-ordereddict": ("return {'a': 1}", "return collections.OrderedDict(a=1)"),
    "zero-vs-negative-zero": ("return 0.0", "return -0.0"),
}


@pytest.mark.parametrize("gold, correct", list(EQUAL.values()), ids=list(EQUAL))
def test_an_equal_value_of_another_type_passes(tmp_path, gold, correct):
    """Lost (was class (b)): numbers by exact numeric value, sequences as sequences, mappings as
    mappings, as a test's `==` compares them."""
    assert not _caught(tmp_path, RETURNS.format(gold), RETURNS.format(correct))


def test_a_value_that_is_the_same_passes(tmp_path):
    """Loses (as it should): the same values in another order of construction pass."""
    assert not _caught(tmp_path, RETURNS.format("return {'b': {3, 1}, 'a': (1, 'x')}"),
                       RETURNS.format("return {'a': (1, 'x'), 'b': {1, 3}}"))
    assert not _caught(tmp_path, RETURNS.format("return float('nan')"), RETURNS.format("return float('-nan')"))
    # (a set and a frozenset are one text: no subclass name, the same braces)
    assert not _caught(tmp_path, RETURNS.format("return {1}"), RETURNS.format("return frozenset({1})"))


GOLD_PARSE = '''
def normalize(text):
    return text.strip()  # the gold's fix

def parse(text):
    return int(normalize(text))

def run():
    assert parse(" 1 ") == 1
'''

ELSEWHERE = '''
def normalize(text):
    return text

def parse(text):
    return int(normalize(text).strip())  # the same fix, one function up

def run():
    assert parse(" 1 ") == 1
'''

CACHED = '''
import functools

@functools.lru_cache(maxsize=None)
def normalize(text):
    return text.strip()

def parse(text):
    return int(normalize(text))

def run():
    assert parse(" 1 ") == 1
    assert parse(" 1 ") == 1  # the second call is served by the cache: normalize is not called
'''

GOLD_TWICE = GOLD_PARSE.replace('assert parse(" 1 ") == 1', 'assert parse(" 1 ") == 1\n    assert parse(" 1 ") == 1')

THREADED = '''
from concurrent.futures import ThreadPoolExecutor

def normalize(text):
    return text.strip()

def parse(text):
    with ThreadPoolExecutor(1) as pool:  # a correct fix that normalizes in a worker thread
        return int(pool.submit(normalize, text).result())

def run():
    assert parse(" 1 ") == 1
'''


@pytest.mark.parametrize("gold, correct", [
    pytest.param(GOLD_PARSE, ELSEWHERE, id="fix-one-function-up", marks=pytest.mark.xfail(strict=True, reason=(
        "wins, class (b) alternative correct fix one function up: the check holds the gold's function to the "
        "gold's values; kept (docs/code-grading.md): the check is the only one a wrong fix that special-cases "
        "the test's inputs meets, and it names the function and the value that differ"))),
    pytest.param(GOLD_TWICE, CACHED, id="cached-fewer-calls"),
    pytest.param(GOLD_PARSE, THREADED, id="called-in-a-thread"),
])
def test_an_alternative_correct_fix_passes(tmp_path, gold, correct):
    """Lost (was class (b)) for a cache and a worker thread: the set of distinct (arguments -> value)
    pairs is compared, never the number of calls, and threads the test starts are traced."""
    assert not _caught(tmp_path, gold, correct, watched=("normalize",))


SUPPRESSED = '''
import contextlib

def f(d):
    with contextlib.suppress(KeyError):
        return d["k"]

def run():
    assert f({}) is None
'''

GOT = SUPPRESSED.replace('''    with contextlib.suppress(KeyError):
        return d["k"]''', "    return d.get('k')")


def test_a_value_returned_after_a_suppressed_exception_is_that_value(tmp_path):
    """The tracer calls a return a raise when an exception was the frame's last event before it."""
    assert _texts(_digest(tmp_path, "gold", SUPPRESSED))["mod.py:f"] == ["[{}] -> N"]
    assert not _caught(tmp_path, SUPPRESSED, GOT)


ASYNC_GOLD = '''
import asyncio

async def f():
    return 3

def run():
    assert asyncio.run(f()) == 3
'''


def test_a_coroutine_that_awaits_once_more_passes(tmp_path):
    """Lost (was class (b)): a coroutine's suspensions are not values, only its return or raise."""
    correct = ASYNC_GOLD.replace("    return 3", "    await asyncio.sleep(0)\n    return 3")
    assert not _caught(tmp_path, ASYNC_GOLD, correct)


PY310 = Path("/root/.pyenv/versions/3.10.13/bin/python")

PLAIN_GOLD = '''
class A:
    def get(self):
        return 1  # the gold's fix

class B:
    def get(self):
        return 2  # untouched by the gold

def run():
    assert A().get() == 1
    B().get()
'''


@pytest.mark.skipif(not PY310.exists(), reason="needs a Python 3.10 (no co_qualname)")
def test_before_3_11_only_the_gold_function_is_recorded(tmp_path):
    """Lost (was class (b)): before 3.11 a call matched by plain name is resolved to the qualified
    name whose function (in the call's module) has its code; B.get is not A.get."""
    correct = PLAIN_GOLD.replace("    B().get()\n", "")
    assert not _caught(tmp_path, PLAIN_GOLD, correct, watched=("A.get",), python=str(PY310))


GOLD_PUT = '''
class Box:
    def put(self, x):
        self.x = x  # the gold's fix: put stores its argument

def run():
    box = Box()
    box.put(5)
'''


def test_a_wrong_mutation_is_told_from_the_gold(tmp_path):
    """Lost (was class (a) side effects): a call's arguments are read again after it, so a function
    that works by mutation (`self.x = ...`, returning None) is told apart by what it left."""
    wrong = GOLD_PUT.replace("self.x = x", "self.x = None")
    assert _caught(tmp_path, GOLD_PUT, wrong, watched=("Box.put",))


# -- round 2 (this branch): attacks on the binding check and the (arguments -> value) pairs ----------

WRAPPED = '''
def f(x):
    return x + 2  # the gold's function, kept to feed the recorder

_good = f

def _closure(good):
    def f(x):  # a project wrapper named like the watched function
        good(x)
        return x + 1
    return f

f = _closure(_good)

def run():
    f(1)
'''

LAZY = '''
def f(x):
    return x + 2

_good = f

def __getattr__(name):  # the module's own binding gone: `f` resolved lazily to the wrong code
    if name == "f":
        return lambda x: (_good(x), x + 1)[1]
    raise AttributeError(name)

del f

def run():
    import mod
    mod.f(1)
'''

CACHE_WRAPPED = '''
import functools

def f(x):
    return x + 2

_good = f

def _wrong(x):
    _good(x)
    return x + 1

f = functools.lru_cache(maxsize=None)(_wrong)
f.__wrapped__ = _good  # the cache wrapper's only readable link to what it calls

def run():
    f(1)
'''


@pytest.mark.parametrize("submission", [WRAPPED, LAZY], ids=["project-wrapper-closure", "module-getattr"])
def test_a_decoy_behind_a_wrapper_or_a_lazy_name_is_told_from_the_gold(tmp_path, submission):
    """Loses: a binding is followed only through staticmethod, classmethod, property, partial and a
    cache wrapper; a project's own wrapper, or no binding at all, is not the gold's binding."""
    assert _caught(tmp_path, GOLD_F, submission)


@pytest.mark.xfail(strict=True, reason="wins, class (a) decoy through a cache wrapper: lru_cache's wrapper exposes "
                   "what it calls only as its writable `__wrapped__`, which the binding check follows; the static "
                   "tamper scan is what flags a `__wrapped__` write in a diff")
def test_a_decoy_behind_a_cache_wrapper_with_a_rewritten_wrapped_is_told_from_the_gold(tmp_path):
    assert _caught(tmp_path, GOLD_F, CACHE_WRAPPED)


DECORATED = '''
import functools

def logged(function):  # the project's own pass-through decorator
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        return function(*args, **kwargs)
    return wrapper

@logged
def f(x):
    return x + 2

def run():
    assert f(1) == 3
'''


@pytest.mark.xfail(strict=True, reason="wins, class (b) a correct fix that adds a project decorator: the watched name "
                   "is then bound to the decorator's wrapper, not to the gold's function; following a project's "
                   "wrappers would reopen the decoy (a wrapper that calls the gold's code and returns its own value)")
def test_a_correct_fix_that_adds_a_pass_through_decorator_passes(tmp_path):
    assert not _caught(tmp_path, GOLD_F, DECORATED)


GOLD_TOTAL = '''
import functools

class Order:
    def __init__(self, items):
        self.items = items

    @functools.cached_property
    def total(self):
        return sum(self.items)

def f(order):
    return sum(order.items) > 10  # the gold's fix reads the items

def run():
    assert f(Order([5, 6]))
'''


def test_a_correct_fix_that_fills_a_cache_on_its_argument_passes(tmp_path):
    """Lost (it won while every call's arguments were read again after it): only a call that returned
    None (a procedure) is judged by what it left in its arguments."""
    correct = GOLD_TOTAL.replace("return sum(order.items) > 10  # the gold's fix reads the items",
                                 "return order.total > 10")
    assert not _caught(tmp_path, GOLD_TOTAL, correct)


SIGNALLED = '''
import signal, sys

def _handler(number, frame):  # a signal handler is handed the interrupted frame: `f`'s own
    frame.f_trace = None  # the recorder's per-frame function for this call, dropped
    local = sys.gettrace()(frame, "call", None)
    local(frame, "return", 3)  # the gold's value, sent for a real frame of `f`

def f(x):
    previous = signal.signal(signal.SIGUSR1, _handler)
    signal.raise_signal(signal.SIGUSR1)
    signal.signal(signal.SIGUSR1, previous)  # restored before any check of the runner
    return x + 1

def run():
    f(1)
'''


def test_values_cannot_be_forged_through_a_signal_handlers_frame(tmp_path):
    """Lost (won before this round's fix): a signal handler is handed a real frame of the watched
    function, but the tracer and its per-frame functions answer only when the interpreter calls
    them for that frame (`sys._getframe(1) is frame`); with the frame's own per-frame function
    dropped, the call is missing from the values."""
    assert _caught(tmp_path, GOLD_F, SIGNALLED)


OTHER_PYTHONS = [Path(f"/root/.pyenv/versions/{v}/bin/python") for v in ("3.9.18", "3.10.13", "3.12.1", "3.13.0")]


@pytest.mark.parametrize("python", [pytest.param(p, id=p.parts[-3], marks=pytest.mark.skipif(
    not p.exists(), reason=f"no {p}")) for p in OTHER_PYTHONS])
def test_the_recorder_reads_alike_on_other_pythons(tmp_path, python):
    """The launcher runs on the container's Python (3.9 on): a coroutine's suspensions, a procedure's
    arguments (3.13 reads locals through a proxy), a worker thread and the decoy, on each."""
    awaited = ASYNC_GOLD.replace("    return 3", "    await asyncio.sleep(0)\n    return 3")
    assert not _caught(tmp_path, ASYNC_GOLD, awaited, python=str(python))
    assert _caught(tmp_path, GOLD_PUT, GOLD_PUT.replace("self.x = x", "self.x = None"), watched=("Box.put",),
                   python=str(python))
    assert not _caught(tmp_path, GOLD_PARSE, THREADED, watched=("normalize",), python=str(python))
    assert _caught(tmp_path, GOLD_F, ECHO, python=str(python))


@pytest.mark.xfail(strict=True, reason="wins, class (a) collision past the read budget: a value of more than 50,000 "
                   "nodes is the one text '<too large>' (reading it whole at every call is what a task's F2P tests "
                   "would pay: 50,000 nodes is about 50 ms), so two such values of one function are not told apart")
def test_a_wrong_value_past_the_read_budget_is_told_from_the_gold(tmp_path):
    assert _caught(tmp_path, RETURNS.format("return list(range(60000))"),
                   RETURNS.format("return list(range(59999)) + [0]"))
