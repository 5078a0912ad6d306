"""Round 2 of white-box attacks on the behavioural cross-check (issue 17 item 6), by an attacker who
did not write the recorder: `_launcher._recorder`/`_value_tracer`/`_encoder` driven in subprocesses
with the launcher's audit hook (no Docker), compared by `_behaviour.differences`, through the
helpers of tests/code/test_attack_values.py.

Class (a): a wrong submission whose recording equals the gold's. Class (b): a correct submission
whose recording differs. A winning attack is a strict xfail naming its class and why; a losing
one is a plain regression test."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from synth.verifiers.code._behaviour import differences

from .test_attack_values import ALLOW, DRIVER, GOLD_F, LAUNCHER, RETURNS, _caught, _digest


_GOLDS: dict = {}


def _told_apart(tmp_path: Path, gold: str, submission: str, watched=("f",)) -> bool:
    """As `_caught`, but a gold or submission that does not run through (a crash, a tamper report)
    raises RuntimeError, so a strict xfail (raises=AssertionError) wins only by the values."""
    key = (gold, tuple(watched))
    if key not in _GOLDS:  # (a gold shared by several attacks is run once: the file stays fast)
        _GOLDS[key] = _digest(tmp_path, "gold", gold, watched)
    want = _GOLDS[key]
    got = _digest(tmp_path, "sub", submission, watched)
    if "exit" in want or "exit" in got:
        raise RuntimeError(f"did not run through: {want if 'exit' in want else got}")
    return bool(differences(want, got))


def _digest_files(tmp_path: Path, name: str, files: dict, watched=("f",)) -> dict:
    """As `_digest`, with more files beside mod.py (a package's re-export, the test's own module)."""
    base = Path(tempfile.mkdtemp(prefix=name, dir=tmp_path))
    repo = base / "repo"
    repo.mkdir()
    for path, source in files.items():
        (repo / path).write_text(textwrap.dedent(source))
    (base / "driver").mkdir()
    (base / "driver" / "drive.py").write_text(DRIVER)
    done = subprocess.run([sys.executable, str(base / "driver" / "drive.py"), str(LAUNCHER), str(repo),
                           json.dumps(list(watched)), json.dumps(ALLOW)], capture_output=True, text=True, timeout=60)
    if done.returncode != 0 or not done.stdout.strip():
        return {"exit": done.returncode, "stderr": done.stderr}
    return json.loads(done.stdout.splitlines()[-1])


def _caught_files(tmp_path: Path, gold: dict, submission: dict, watched=("f",)) -> bool:
    want = _digest_files(tmp_path, "gold", gold, watched)
    got = _digest_files(tmp_path, "sub", submission, watched)
    assert "exit" not in want, want
    if "exit" in got:
        return True
    return bool(differences(want, got))


# -- (a) collisions: wrong values whose text is the gold's -------------------------------------------

ROUND2_RETURNS = RETURNS.replace("def looped():", '''SHOWN = 4

class Shadowed:  # the gold's class, named alike, with a property in front of its attribute
    def __init__(self, x):
        self.__dict__["x"] = x  # what the recorder reads
    x = property(lambda self: SHOWN)  # what a test reads
Shadowed.__qualname__ = "Plain"

class Plain:
    def __init__(self, x):
        self.x = x

class Impostor:  # another class, named as the gold's
    def __init__(self, x):
        self.x = x
    def __eq__(self, other):
        return True
Impostor.__qualname__ = "Plain"

def gen(items):
    return (item for item in items)

def fake_red():  # a member-looking object of Color, named RED, valued 2
    member = object.__new__(Color)
    member._name_, member._value_ = "RED", 2
    return member

class FakeValueError(Exception):
    pass
FakeValueError.__module__, FakeValueError.__qualname__ = "builtins", "ValueError"

class InvalidInput(ValueError):
    pass

def looped():''')

ROUND2_RETURNS = ROUND2_RETURNS.replace("class Point:", "import collections, math, types\n\nclass Point:")

COLLIDING2 = {  # id: (the gold's body of f, a wrong submission's, why a test tells them apart)
    "generator-object": ("return gen([1, 2, 3])", "return gen([9])", "list(f()) == [1, 2, 3]"),
    "lambda": ("return lambda x: x + 1", "return lambda x: x + 2", "f()(1) == 2"),
    "dict-keys-view": ("return {'a': 1}.keys()", "return {'b': 1}.keys()", "set(f()) == {'a'}"),
    "property-over-attribute": ("return Plain(3)", "return Shadowed(3)", "f().x == 3"),
    "class-named-as-the-golds": ("return Plain(3)", "return Impostor(3)", "Impostor(3) == anything"),
    "enum-member-by-name-only": ("return Color.RED", "return fake_red()", "f().value == 1"),
    "exception-type-named-as-builtin": ("raise ValueError('x')", "raise FakeValueError('x')",
                                        "pytest.raises(ValueError)"),
    "past-depth-200": ("return nested(250, 1)", "return nested(250, 2)", "f() == nested(250, 1)"),
    "list-for-tuple": ("return (1, 2)", "return [1, 2]", "f() == (1, 2)"),
    "deque-for-list": ("return [1, 2]", "return collections.deque([1, 2])", "f() == [1, 2]"),
    "negative-zero-sign": ("return -0.0", "return 0.0", "math.copysign(1, f()) == -1"),
    "true-vs-one-is": ("return True", "return 1", "f() is True"),
}

ROUND2_KEPT = {"negative-zero-sign", "true-vs-one-is"}


COLLISION_FIXES = {
    "generator-object": "a generator has no state the encoder reads (no __dict__, no C __reduce__): read its "
                        "yields where they are consumed, or make a returned generator a value that is not compared",
    "lambda": "a function is its __qualname__ only: read its code (bytecode and constants hash), defaults and "
              "closure cells",
    "dict-keys-view": "a dict view has no C __reduce__: read its mapping (or its items) through dict's C iterators",
    "property-over-attribute": "a class is its (__module__, __qualname__), both writable: name a project class by "
                               "its identity (defining file and first line, its own dict's descriptors)",
    "class-named-as-the-golds": "as property-over-attribute: a class named by its identity, not __qualname__",
    "enum-member-by-name-only": "an Enum member is its class and _name_: read _value_ too, or require identity "
                                "with the class's member of that name",
    "exception-type-named-as-builtin": "an exception is its type's (__module__, __qualname__): a builtin type "
                                       "recognised by identity, a project's by its identity",
    "list-for-tuple": "the encoder's own rule is 'as a test's == would tell values apart', and [1, 2] == (1, 2) "
                      "is False: tag tuple apart from list and deque (a test's == holds only within each); "
                      "round 1's tuple-vs-list 'equal' case is then the wrong expectation",
    "deque-for-list": "as list-for-tuple: deque([1, 2]) == [1, 2] is False, so a deque is its own kind of sequence",
    "past-depth-200": "a value past VALUE_DEPTH is the one text '<too deep>': hash the part past the depth "
                      "(as long strings are) instead of dropping it",
}


def _collision_reason(name):
    why = COLLIDING2[name][2]
    if name in ROUND2_KEPT:
        return (f"wins, class (a) collision ({name}), by design: `==` holds, a test reading `{why}` tells them "
                "apart; harmless as that test itself fails the wrong fix (fix only if the check should be stricter "
                "than `==`)")
    return (f"wins, class (a) collision ({name}): the encoder reads it as the same text, while `{why}` tells them "
            f"apart; a fix: {COLLISION_FIXES[name]}")


@pytest.mark.parametrize("gold, wrong", [
    pytest.param(g, w, id=name, marks=pytest.mark.xfail(strict=True, raises=AssertionError,
                                                  reason=_collision_reason(name)))
    for name, (g, w, _) in COLLIDING2.items()])
def test_round2_a_wrong_value_never_collides_with_the_gold(tmp_path, gold, wrong):
    assert _told_apart(tmp_path, ROUND2_RETURNS.format(gold), ROUND2_RETURNS.format(wrong))


# -- (a) forgeries: the recorder sees the gold's values, the test the wrong one -----------------------

TRACED_ONLY = '''
import sys

def f(x):
    if sys.gettrace() is not None:  # the recorder's tracer is on: this run is being graded
        return x + 2
    return x + 1  # the wrong value, everywhere else (the first reading, production)

def run():
    f(1)
'''


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "wins, class (a) the recorder is observable: sys.gettrace() (no audit event) shows the tracer, so a wrong "
    "fix returns the gold's value only while recorded; the recording is then not what the function returns in "
    "the untraced reading. A fix needs the values read where the code cannot tell (a tracer that sys.gettrace "
    "does not return, e.g. sys.monitoring from 3.12 or a C-level trace function, or every reading traced alike "
    "and the untraced reading's outcome required equal to the traced one's)"))
def test_round2_a_wrong_fix_that_sees_the_tracer_is_told_from_the_gold(tmp_path):
    assert _told_apart(tmp_path, GOLD_F, TRACED_ONLY)


REEXPORT_TEST = '''
from api import f  # the test imports the public name, re-exported by the package

def run():
    if f(1) == 2:  # the wrong value, seen by the test (the gold's test gets 3)
        import sys; sys.stderr.write("the test saw the wrong value\n")
'''

REEXPORT_GOLD = {
    "mod.py": '''
def f(x):
    return x + 2

def run():
    import test_api
    test_api.run()
''',
    "api.py": "from mod import f\n",
    "test_api.py": REEXPORT_TEST,
}

REEXPORT_WRONG = dict(REEXPORT_GOLD, **{"api.py": '''
from mod import f as _good

def f(x):  # the public name, re-bound in another file than the gold changed
    _good(x)  # the gold's value, computed for the recorder only
    return x + 1
'''})


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "wins, class (a) decoy through a re-export: the binding check reads the watched name only in the module "
    "of the watched file (and the namespaces its calls ran in); a package module that re-exports the name, "
    "where the test imports it from, is never read. A fix needs every binding the test's code reaches (e.g. "
    "every module's name that held the gold's function in the gold's run), or the values recorded at the "
    "test's call site rather than in the watched function"))
def test_round2_a_decoy_behind_a_re_export_is_told_from_the_gold(tmp_path):
    want = _digest_files(tmp_path, "gold", REEXPORT_GOLD)
    got = _digest_files(tmp_path, "sub", REEXPORT_WRONG)
    if "exit" in want or "exit" in got:
        raise RuntimeError((want, got))
    assert differences(want, got)


LYING_KEY = '''
import sys

ARMED = False

class Key(str):  # a name that equals "f" only while nothing is traced (the recorder's binding reads)
    __hash__ = str.__hash__
    def __eq__(self, other):
        return ARMED and sys.gettrace() is None and str.__eq__(self, other)

def f(x):
    return x + 2  # the gold's code, under the gold's name

_good = f
del f  # (leaves its slot in the module's table empty for the lying key, probed first)
globals()[Key("f")] = _good

def _wrong(x):
    _good(x)  # the gold's call, recorded (its globals: this module's)
    return x + 1

globals()["f"] = _wrong  # what `f` means to code that runs while traced
ARMED = True

def run():
    if f(1) != 2:  # the test did call the wrong function (else the driver fails: not an xfail)
        raise SystemExit(5)
'''


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "wins, class (a) the binding check runs project code: the module's dict is read with dict.get, which "
    "calls a str-subclass key's __eq__; the key answers 'f' only while sys.gettrace() is None (the recorder's "
    "reads at the start and end), so the check sees the gold's function and the test calls the wrong one. A fix "
    "needs namespaces read without comparisons a project can define (refuse or flag non-exact-str keys in a "
    "module dict; read bindings with the tracer on)"))
def test_round2_a_name_that_lies_to_the_binding_check_is_told_from_the_gold(tmp_path):
    assert _told_apart(tmp_path, GOLD_F, LYING_KEY)


LYING_SEQUENCE = '''
class Meta(type):  # a class that the encoder's `kinds` table takes for list
    def __hash__(cls):
        return hash(list)
    def __eq__(cls, other):
        return other is list or type.__eq__(cls, other)

class Result(metaclass=Meta):
    def __iter__(self):
        return iter([1, 2])  # what the encoder reads (base.__iter__ is this class's own)
    def __eq__(self, other):
        return True  # what a test reads

def f():
    {0}

def run():
    f()
'''


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "wins, class (a) a class the encoder's type table mistakes for list: `kinds.get(klass)` hashes and compares "
    "the project's class (its metaclass's __hash__/__eq__ run inside the recorder), then `base.__iter__` is the "
    "project's own __iter__. A fix needs the table looked up by identity (e.g. a loop of `is` over the builtin "
    "types) and only the builtin base's own C methods called"))
def test_round2_a_class_that_passes_for_a_list_is_told_from_the_gold(tmp_path):
    assert _told_apart(tmp_path, LYING_SEQUENCE.format("return [1, 2]"), LYING_SEQUENCE.format("return Result()"))


# -- (b) correct fixes the check fails --------------------------------------------------------------

B_RETURNS = ROUND2_RETURNS.replace("def gen(items):", '''P = collections.namedtuple("P", "x y")

def gen(items):''').replace("import math, types", "import collections, math, types")

EQUAL2 = {  # id: (the gold's body of f, a correct submission's, the test's reading under which they agree)
    "float-rounding": ("return 0.1 + 0.2", "return 0.3", "f() == pytest.approx(0.3)"),
    "sum-order": ("return sum([0.1, 0.2, 0.3])", "return 0.1 + (0.2 + 0.3)", "assertAlmostEqual"),
    "list-order-test-sorts": ("return [1, 2]", "return [2, 1]", "sorted(f()) == [1, 2]"),
    "userdict-vs-dict": ("return {'a': 1}", "return collections.UserDict(a=1)", "f() == {'a': 1}"),
    "mappingproxy-vs-dict": ("return {'a': 1}", "return types.MappingProxyType({'a': 1})", "f() == {'a': 1}"),
    "iterator-vs-list": ("return [1, 2]", "return iter([1, 2])", "list(f()) == [1, 2]"),
    "fresh-vs-shared-object": ("return [[1], [1]]", "return [[1]] * 2", "f() == [[1], [1]]"),
    "namedtuple-vs-tuple": ("return (1, 2)", "return P(1, 2)", "f() == (1, 2)"),
}

EQUAL2["exception-subclass"] = ("raise ValueError('bad')", "raise InvalidInput('bad')", "pytest.raises(ValueError)")

EQUAL2_WIN = {"exception-subclass", "float-rounding", "sum-order", "list-order-test-sorts", "userdict-vs-dict", "mappingproxy-vs-dict",
              "iterator-vs-list"}


def _equal_reason(name):
    why = EQUAL2[name][2]
    return (f"wins, class (b) {name}: a correct fix's value the test accepts (`{why}`) is another text than the "
            "gold's; a fix would need the test's own comparison (tolerance, order, Mapping/iterable equality), "
            "which the recorder cannot know: make such functions optional when the gold's value is a float or an "
            "unordered-looking sequence, or compare mappings/iterables by their contents")


@pytest.mark.parametrize("gold, correct", [
    pytest.param(g, c, id=name, marks=[pytest.mark.xfail(strict=True, raises=AssertionError,
                                                         reason=_equal_reason(name))] if name in EQUAL2_WIN else [])
    for name, (g, c, _) in EQUAL2.items()])
def test_round2_an_equal_value_passes(tmp_path, gold, correct):
    assert not _told_apart(tmp_path, B_RETURNS.format(gold), B_RETURNS.format(correct))


@pytest.mark.xfail(strict=True, raises=RuntimeError, reason=(
    "wins, class (b) a correct fix that builds a namedtuple at call time: collections.namedtuple calls "
    "sys._getframe (to set __module__), which the audit hook refuses to a request from project code, so the run "
    "is reported as tampering (exit 86) though the gold never needed the allowance. A fix needs stdlib "
    "trampolines (namedtuple, enum's functional API, typing.NamedTuple, warnings) judged by their own frame, as "
    "TRAMPOLINES does for inspect, or the allowance derived from the stdlib caller, not the gold's run"))
def test_round2_a_correct_fix_that_builds_a_namedtuple_at_call_time_passes(tmp_path):
    assert not _told_apart(tmp_path, B_RETURNS.format("return (1, 2)"),
                           B_RETURNS.format("return collections.namedtuple('Q', 'x y')(1, 2)"))


GOLD_FACT = '''
def f(n):
    out = 1
    for k in range(2, n + 1):
        out *= k
    return out  # the gold's fix: a loop

def run():
    assert f(4) == 24
'''

RECURSIVE = GOLD_FACT.replace('''    out = 1
    for k in range(2, n + 1):
        out *= k
    return out  # the gold's fix: a loop''', '''    return 1 if n <= 1 else n * f(n - 1)  # the same function, recursive''')

HELPER_CALL = GOLD_FACT.replace("def run():", '''def g(n):
    return f(n) // f(n - 1)  # an unwatched caller the correct fix now also uses

def run():''').replace("assert f(4) == 24", "assert f(4) == 24\n    assert g(4) == 4")

GOLD_CALLS_G = HELPER_CALL.replace("return f(n) // f(n - 1)", "return n")


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "wins, class (b) a correct recursive fix: its inner calls f(3), f(2), f(1) are pairs the gold never made, "
    "and the whole set of pairs is compared; a fix needs only the pairs of calls the test (or code outside the "
    "watched function) made to be compared, or the gold's pairs required as a subset"))
def test_round2_a_correct_recursive_fix_passes(tmp_path):
    assert not _told_apart(tmp_path, GOLD_FACT, RECURSIVE)


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "wins, class (b) a correct fix that calls the watched function from one more place (f(3), right): an "
    "extra correct pair changes the set's hash; a fix needs the gold's pairs as a subset of the submission's "
    "with the extra pairs' arguments new (an extra pair on an argument the gold saw is a wrong value)"))
def test_round2_a_correct_fix_with_an_extra_call_passes(tmp_path):
    assert not _told_apart(tmp_path, GOLD_CALLS_G, HELPER_CALL)


GOLD_TOTAL2 = '''
class Order:
    def __init__(self, items):
        self.items = items

    def total(self):
        return sum(self.items)  # the gold's fix

def run():
    order = Order([1, 2])
    assert order.total() == 3
    assert order.total() == 3
'''

MEMO_TOTAL = GOLD_TOTAL2.replace('''        return sum(self.items)  # the gold's fix''', '''        if "_total" not in self.__dict__:  # the same fix, memoised on the instance
            self._total = sum(self.items)
        return self._total''')


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "wins, class (b) a correct fix that memoises on `self`: the second call's arguments (self with `_total`) "
    "are another text, so a second pair the gold never had; a fix would read a method's arguments only as "
    "they were at the gold's first such call, or ignore instance attributes the watched function itself wrote"))
def test_round2_a_correct_fix_that_memoises_on_self_passes(tmp_path):
    assert not _told_apart(tmp_path, GOLD_TOTAL2, MEMO_TOTAL, watched=("Order.total",))


GOLD_GEN = '''
def f(items):
    for item in items:
        yield item * 2  # the gold's fix: a generator

def run():
    assert list(f([1, 2])) == [2, 4]
'''

LIST_INSTEAD = GOLD_GEN.replace('''    for item in items:
        yield item * 2  # the gold's fix: a generator''', '''    return [item * 2 for item in items]  # the same values, as a list''')

LAZY_CONSUMED = GOLD_GEN.replace("assert list(f([1, 2])) == [2, 4]", '''it = f([1, 2])
    assert next(it) == 2
    assert next(it) == 4''')

LAZY_CORRECT = LIST_INSTEAD.replace("assert list(f([1, 2])) == [2, 4]", '''it = iter(f([1, 2]))
    assert next(it) == 2
    assert next(it) == 4''')


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "wins, class (b) a correct fix that returns a list where the gold is a generator function: the gold's "
    "values are each yield (2, 4, then None), the fix's one return ([2, 4]); a fix needs a generator's yields "
    "and a returned iterable's items read alike (record what the caller consumes)"))
def test_round2_a_correct_fix_returning_a_list_for_a_generator_passes(tmp_path):
    assert not _told_apart(tmp_path, GOLD_GEN, LIST_INSTEAD)


def test_round2_a_generator_consumed_lazily_loses_nothing(tmp_path):
    """Loses (as it should): a generator left unfinished (closed by the collector) is its yields so far."""
    assert not _told_apart(tmp_path, LAZY_CONSUMED, LAZY_CONSUMED)
    assert _told_apart(tmp_path, LAZY_CONSUMED, LAZY_CONSUMED.replace("yield item * 2", "yield item * 2 + (item > 1)"))


ONE_LINE = '''
import contextlib

def f(d):
    {0}

def run():
    try:
        f({{}})
    except KeyError:
        pass
'''


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "wins, class (b) a correct fix that suppresses on one line (`with suppress(KeyError): return d['k']`): no "
    "line event follows the swallowed exception in the frame, so its None is recorded as `raise KeyError`; a "
    "fix needs the 'exception then return None' guess replaced by the frame's real exit (on 3.12+ "
    "sys.monitoring's PY_UNWIND vs PY_RETURN; before, an exception event followed by a return event whose "
    "f_lasti is a RETURN instruction is a return)"))
def test_round2_a_correct_one_line_suppress_passes(tmp_path):
    assert not _told_apart(tmp_path, ONE_LINE.format("return d.get('k')"),
                           ONE_LINE.format("with contextlib.suppress(KeyError): return d['k']"))


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "wins, class (a) the same guess the other way: a wrong fix that swallows the KeyError the gold raises, "
    "on one line, returns None and is recorded as the gold's `raise KeyError`; same fix as the one-line "
    "suppress (read the frame's real exit)"))
def test_round2_a_wrong_fix_that_swallows_the_golds_raise_is_told_apart(tmp_path):
    assert _told_apart(tmp_path, ONE_LINE.format("return d['k']"),
                       ONE_LINE.format("with contextlib.suppress(KeyError): return d['k']"))


IN_A_RAW_THREAD = '''
import _thread

def f(x):
    return x + 2

def compute(x):  # a correct fix that computes in a thread of its own (no threading.Thread)
    done, out = _thread.allocate_lock(), []
    done.acquire()
    def work():
        out.append(f(x))
        done.release()
    _thread.start_new_thread(work, ())
    done.acquire()
    return out[0]

def run():
    assert compute(1) == 3
'''

GOLD_COMPUTE = IN_A_RAW_THREAD.replace('''    done, out = _thread.allocate_lock(), []
    done.acquire()
    def work():
        out.append(f(x))
        done.release()
    _thread.start_new_thread(work, ())
    done.acquire()
    return out[0]''', "    return f(x)")


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "wins, class (b) a correct fix that calls the watched function in a thread started with "
    "_thread.start_new_thread (or a C library's thread): only threading.Thread's bootstrap installs the "
    "tracer, so the call is missing ('no call recorded'); a fix needs a process-wide tracer "
    "(threading.settrace_all_threads on 3.12+, sys.monitoring) or such a missing call made optional"))
def test_round2_a_correct_fix_in_a_raw_thread_passes(tmp_path):
    assert not _told_apart(tmp_path, GOLD_COMPUTE, IN_A_RAW_THREAD)


# -- (a) more forgeries: decoys the binding check does not read, pairs that collapse ----------------

GOLD_GET = '''
class A:
    def get(self, x):
        return x + 2  # the gold's fix

def make():
    return A()

def run():
    make().get(1)
'''

SUBCLASS_DECOY = GOLD_GET.replace('''def make():
    return A()''', '''class B(A):
    def get(self, x):  # a subclass's override, named B.get (not watched)
        A.get(self, x)  # the gold's call, recorded
        return x + 1

def make():
    return B()''')

INSTANCE_DECOY = GOLD_GET.replace('''def make():
    return A()''', '''def make():
    a = A()
    good = a.get
    a.get = lambda x: (good(x), x + 1)[1]  # an instance attribute in front of the class's method
    return a''')


SPOOFED_SUBCLASS_DECOY = SUBCLASS_DECOY.replace("def make():", 'B.__qualname__ = "A"  # self reads as an A\n\ndef make():')

HIDDEN_INSTANCE_DECOY = GOLD_GET.replace('''def make():
    return A()''', '''def make():
    a = A()
    good = a.get

    def decoy(x):
        del a.get  # gone from the instance while the gold's call reads `self`
        good(x)
        a.get = decoy
        return x + 1

    a.get = decoy
    return a''')


@pytest.mark.parametrize("submission", [
    pytest.param(SUBCLASS_DECOY, id="subclass-override"),
    pytest.param(INSTANCE_DECOY, id="instance-attribute")])
def test_round2_a_method_decoy_is_told_from_the_gold_by_self(tmp_path, submission):
    """Loses: `self` is an argument, read whole: a B is not an A, an instance attribute is part of it."""
    assert _told_apart(tmp_path, GOLD_GET, submission, watched=("A.get",))


@pytest.mark.parametrize("submission", [
    pytest.param(SPOOFED_SUBCLASS_DECOY, id="subclass-named-A"),
    pytest.param(HIDDEN_INSTANCE_DECOY, id="instance-attribute-hidden-during-the-call")])
@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "wins, class (a) decoy for a method: the binding check reads `A.get` in the class's dict only; the object "
    "the test calls is a subclass's whose __qualname__ is set to 'A' (so `self` reads as an A), or carries an "
    "instance attribute `get` that removes itself while it calls the gold's A.get for the recorder, and returns "
    "its own value. A fix needs a class named by its identity (defining file and line, not __qualname__) and "
    "the binding the test's call went through (e.g. a watched call made from project code the diff changed, "
    "whose value that code does not return unchanged, is a decoy)"))
def test_round2_a_method_decoy_is_told_from_the_gold(tmp_path, submission):
    assert _told_apart(tmp_path, GOLD_GET, submission, watched=("A.get",))


GOLD_BIG = '''
def f(items):
    return len(items)  # the gold's fix

def run():
    f(list(range(300)))
    f(list(range(301)))
'''

SWAPPED = GOLD_BIG.replace("return len(items)  # the gold's fix", '''return 601 - len(items)  # wrong on both calls: 301, then 300''')


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "wins, class (a) pairs that collapse: an argument past ARGUMENT_NODES (256) is the one text '<too large>', "
    "so f(300 items) -> 301 and f(301 items) -> 300 is the set of pairs the gold's f(300) -> 300, "
    "f(301) -> 301 makes; a method's `self` past 256 nodes collapses every call alike. A fix needs an "
    "argument past the budget hashed whole (as values past 200 characters are) or the calls' order kept"))
def test_round2_a_wrong_fix_that_swaps_values_between_large_arguments_is_told_apart(tmp_path):
    assert _told_apart(tmp_path, GOLD_BIG, SWAPPED)


BLINDED = '''
import sys

FEEDING = False

def f(x):
    return x + 2 if FEEDING else x + 1  # wrong, but while it feeds the recorder

def _dive():
    _dive()

def _blind():
    """A recursion to the limit: the tracer, called one frame deeper than the last Python frame, is
    the one that raises RecursionError, and CPython then drops it for this thread."""
    try:
        _dive()
    except RecursionError:
        pass

def run():
    global FEEDING
    FEEDING = True
    f(1)  # the gold's pair, recorded
    FEEDING = False
    _blind()
    if sys.gettrace() is not None:
        raise SystemExit(7)  # (the tracer survived: not an xfail)
    f(1)  # the test's call, wrong and unrecorded
'''


def test_round2_the_tracer_survives_a_recursion_to_the_limit(tmp_path):
    """Lost (class (a) blinding the tracer): CPython unsets a trace function that raises, but a recursion
    to the limit fails in the project's own frame first; the tracer is still set after it (exit 7)."""
    got = _digest(tmp_path, "sub", BLINDED)
    assert got.get("exit") == 7, got


VIA_C = GOLD_F.replace("    assert f(1) == 3", """    import functools
    assert list(map(f, [1])) == [3]
    assert functools.partial(f, 1)() == 3
    assert sorted([1], key=f) == [1]""")


def test_round2_calls_through_c_callers_are_recorded(tmp_path):
    """Loses (class (a) calls no frame event sees): map, partial and a sort key call f through C, and each
    call is still a Python frame the tracer sees; a wrong f called only that way is told apart."""
    assert not _told_apart(tmp_path, GOLD_F, VIA_C)
    assert _told_apart(tmp_path, GOLD_F, VIA_C.replace("return x + 2", "return x + 1"))


MODULE_CLASS = '''
import sys, types

def f(x):
    return x + 2  # the gold's code, under the gold's name, in the module's dict

def _wrong(x):
    f(x)  # the gold's call, recorded (its globals: this module's dict, where f is f)
    return x + 1

class _Module(types.ModuleType):  # what `mod.f` reads: the module's class, not its dict
    def __getattribute__(self, name):
        if name == "f":
            return _wrong
        return types.ModuleType.__getattribute__(self, name)

sys.modules[__name__].__class__ = _Module

def run():
    import mod
    if mod.f(1) != 2:
        raise SystemExit(5)  # (the test did not reach the wrong function: not an xfail)
'''


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "wins, class (a) decoy through the module's class: `module.__class__` set to a ModuleType subclass whose "
    "__getattribute__ answers `f` with the wrong function; the binding check skips a module whose type is not "
    "exactly ModuleType and reads the dict of the gold's calls' globals, where `f` is still the gold's. A fix "
    "needs a module of another class refused (or its attribute read the way the test reads it), e.g. refuse "
    "`__class__` writes on modules in the audit hook or the tamper scan"))
def test_round2_a_decoy_behind_the_modules_class_is_told_from_the_gold(tmp_path):
    assert _told_apart(tmp_path, GOLD_F, MODULE_CLASS)


WITH_OPTION = GOLD_F.replace("def f(x):", "def f(x, strict=False):  # the same fix, with an option the test does not use")


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "wins, class (b) a correct fix that adds an optional parameter: its default is read as one more argument "
    "([n1,False] where the gold had [n1]); a fix needs the arguments as the caller passed them (bound to the "
    "gold's parameter names, defaults the caller did not pass left out)"))
def test_round2_a_correct_fix_with_an_optional_parameter_passes(tmp_path):
    assert not _told_apart(tmp_path, GOLD_F, WITH_OPTION)


SEND_FROM_DEFAULTS = '''
import sys

def _wrong(x):
    send = sys.gettrace().__defaults__[2][0]  # the tracer's defaults hold the recorder's `send`
    {0}
    return x + 1

f = _wrong

def run():
    f(1)
'''


@pytest.mark.parametrize("body", [
    "list(map(send, [('returned', 'mod.py:f', 3, '[n1]', (1,))]))",
    "send(('returned', 'mod.py:f', 3, '[n1]', (1,)))",
], ids=["through-map", "direct"])
def test_round2_the_recorders_send_read_from_the_tracers_defaults_is_refused(tmp_path, body):
    """Loses (class (a) reading the recorder): `sys.gettrace().__defaults__` hands the project the
    recorder's `send` (reading __defaults__ is not refused), but the recorder asks who sent each message
    (its caller's code must be the tracer's) and reports tampering (exit 86) for anything else."""
    got = _digest(tmp_path, "sub", SEND_FROM_DEFAULTS.format(body))
    assert got.get("exit") == 86 and "not synth's tracer" in got["stderr"], got


def test_round2_the_recorder_killed_through_its_send_fails_the_run(tmp_path):
    """Loses: `send.__self__.close()` ends the recorder generator; the digest then raises StopIteration
    (here the run ends with a tamper report; under pytest the test's values are missing, which
    `differences` reports as 'no call recorded')."""
    got = _digest(tmp_path, "sub", SEND_FROM_DEFAULTS.format("send.__self__.close()"))
    assert "exit" in got and got["exit"] != 0, got


ASYNC_GEN_GOLD = '''
import asyncio

async def f():
    yield 1

async def main():
    return [item async for item in f()]

def run():
    assert asyncio.run(main()) == [1]
'''


def test_round2_an_async_generator_that_awaits_once_more_passes(tmp_path):
    """Lost, by luck (class (b)): the await's suspension is recorded as a value (the coroutine mask 0x180 leaves
    out async generators, 0x200), but asyncio.sleep(0) suspends with None, the same pair as the generator's
    final return None, and pairs are a set."""
    correct = ASYNC_GEN_GOLD.replace("    yield 1", "    await asyncio.sleep(0)\n    yield 1")
    assert not _told_apart(tmp_path, ASYNC_GEN_GOLD, correct)


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "wins, class (a) an async generator's yields are not read: each yield reaches the tracer as an opaque "
    "C `async_generator_wrapped_value`, encoded by its type name alone, so yielding 2 where the gold yields 1 "
    "records the same; a fix needs the wrapped value unwrapped (or async generators' yields read at the "
    "consumer: the __anext__ result), and 0x200 in the coroutine mask so awaits are not values"))
def test_round2_an_async_generator_yielding_a_wrong_value_is_told_apart(tmp_path):
    assert _told_apart(tmp_path, ASYNC_GEN_GOLD, ASYNC_GEN_GOLD.replace("    yield 1", "    yield 2").replace(
        "assert asyncio.run(main()) == [1]", "asyncio.run(main())"))
