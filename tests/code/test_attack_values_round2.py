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


def _told_apart(tmp_path: Path, gold: str, submission: str, watched=("f",)) -> bool:
    """As `_caught`, but a gold or submission that does not run through (a crash, a tamper report)
    raises RuntimeError, so a strict xfail (raises=AssertionError) wins only by the values."""
    want = _digest(tmp_path, "gold", gold, watched)
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

def looped():''')

ROUND2_RETURNS = ROUND2_RETURNS.replace("class Point:", "import math, types\n\nclass Point:")

COLLIDING2 = {  # id: (the gold's body of f, a wrong submission's, why a test tells them apart)
    "generator-object": ("return gen([1, 2, 3])", "return gen([9])", "list(f()) == [1, 2, 3]"),
    "lambda": ("return lambda x: x + 1", "return lambda x: x + 2", "f()(1) == 2"),
    "dict-keys-view": ("return {'a': 1}.keys()", "return {'b': 1}.keys()", "set(f()) == {'a'}"),
    "property-over-attribute": ("return Plain(3)", "return Shadowed(3)", "f().x == 3"),
    "class-named-as-the-golds": ("return Plain(3)", "return Impostor(3)", "Impostor(3) == anything"),
    "negative-zero-sign": ("return -0.0", "return 0.0", "math.copysign(1, f()) == -1"),
    "true-vs-one-is": ("return True", "return 1", "f() is True"),
}

ROUND2_KEPT = {"negative-zero-sign", "true-vs-one-is"}


def _collision_reason(name):
    why = COLLIDING2[name][2]
    if name in ROUND2_KEPT:
        return (f"wins, class (a) collision ({name}), by design: `==` holds, a test reading `{why}` tells them "
                "apart; harmless as that test itself fails the wrong fix (fix only if the check should be stricter "
                "than `==`)")
    return (f"wins, class (a) collision ({name}): the encoder reads it as the same text, while `{why}` tells them "
            "apart; a fix needs to read what a test would read (iterator/view contents via their C iterators "
            "or __reduce__, a function's code hash and closure, class-level descriptors and the class's identity "
            "by its defining file, not __qualname__)")


@pytest.mark.parametrize("gold, wrong", [
    pytest.param(g, w, id=name, marks=pytest.mark.xfail(strict=True, raises=AssertionError,
                                                  reason=_collision_reason(name)))
    for name, (g, w, _) in COLLIDING2.items()])
def test_round2_a_wrong_value_never_collides_with_the_gold(tmp_path, gold, wrong):
    assert _told_apart(tmp_path, ROUND2_RETURNS.format(gold), ROUND2_RETURNS.format(wrong))
