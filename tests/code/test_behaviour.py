"""The behavioural cross-check's host side (issue 17 item 6, `_behaviour.py`): which functions a gold
patch changes, what a task keeps of two gold runs, and the check grading makes. The recorder itself
runs in the launcher; tests/code/redteam/test_attack_strength.py grades it on two real projects."""

from __future__ import annotations

import json
from xml.sax.saxutils import escape

from synth.verifiers.code import gold_values, recorded, values_of, watched

SOURCE = '''\
def memoize(func, key=None):
    if key is None:
        def key(args, kwargs):
            return args


class Box:
    def get(self):
        return 1

    def put(self, x):
        self.x = x
'''

GOLD = '''\
diff --git a/pkg/mod.py b/pkg/mod.py
--- a/pkg/mod.py
+++ b/pkg/mod.py
@@ -2,4 +2,4 @@
     if key is None:
         def key(args, kwargs):
-            return None
+            return args
 
@@ -10,4 +10,3 @@
 
     def put(self, x):
-        y = x
         self.x = x
'''


def test_watched_names_the_innermost_changed_functions_by_qualified_name():
    assert watched(GOLD, {"pkg/mod.py": SOURCE}.get) == {"pkg/mod.py": ["Box.put", "memoize.<locals>.key"]}
    assert watched(GOLD, lambda path: None) == {}
    assert watched("not a diff", {"pkg/mod.py": SOURCE}.get) == {}


def _xml(cases: dict[str, object]) -> str:
    body = "".join(
        f'<testcase classname="{t.partition("::")[0]}" name="{t.partition("::")[2]}" '
        f'synth-digest="{escape(json.dumps(d), {chr(34): "&quot;"})}"/>' for t, d in cases.items())
    return f'<?xml version="1.0"?><testsuites><testsuite name="synth-keyed">{body}</testsuite></testsuites>'


KEY = "pkg/mod.py:memoize.<locals>.key"
GOLD_VALUES = [2, "v2:aaaa", [["h1", "[[n2,n3],{}] -> [n2,n3]"], ["h2", "[[n1,{}],{}] -> [n1,{}]"]]]


def test_values_of_reads_the_supervisors_xml():
    assert values_of(_xml({"t.test_a::test_x": {KEY: GOLD_VALUES}})) == {"t.test_a::test_x": {KEY: GOLD_VALUES}}
    assert values_of(None) == {} and values_of("<not xml") == {}


def test_values_that_differ_between_two_gold_runs_are_optional():
    one = {"t::a": {KEY: GOLD_VALUES, "pkg/mod.py:now": [1, "x", [["h", "1.5"]]]}}
    two = {"t::a": {KEY: GOLD_VALUES, "pkg/mod.py:now": [1, "y", [["g", "1.7"]]]}}
    kept = recorded(one, two, ["t::a", "t::b"])
    assert kept["t::a"][KEY] == GOLD_VALUES
    assert "optional" in kept["t::a"]["pkg/mod.py:now"]
    assert "t::b" not in kept


def test_grading_fails_naming_the_function_and_the_call():
    kept = {"t::a": {KEY: GOLD_VALUES, "pkg/mod.py:now": {"optional": "differs"}}}
    same = gold_values(kept, _xml({"t::a": {KEY: GOLD_VALUES, "pkg/mod.py:now": [3, "z", []]}}), ["t::a"])
    assert same.passed and same.expected == 1
    # the same pairs from more calls (a cache, a loop) are the same values
    assert gold_values(kept, _xml({"t::a": {KEY: [7] + GOLD_VALUES[1:]}}), ["t::a"]).passed
    broken = [3, "v2:bbbb", [["h1", "[[n2,n3],{}] -> [n2,n3]"], ["h9", "[[n1,{}],{}] -> N"]]]
    check = gold_values(kept, _xml({"t::a": {KEY: broken}}), ["t::a"])
    assert not check.passed and check.actual == ["t::a"]
    assert "memoize.<locals>.key: '[[n1,{}],{}] -> N', where the gold had '[[n1,{}],{}] -> [n1,{}]'" in check.message
    # a task recorded in the earlier format (a sequence hash) is not compared
    assert gold_values({"t::a": {KEY: [2, "aaaa", []]}}, _xml({"t::a": {KEY: broken}}), ["t::a"]).passed
    missing = gold_values(kept, _xml({}), ["t::a"])
    assert not missing.passed and "no call recorded" in missing.message


def test_tasks_without_values_pass_the_check_and_say_so():
    check = gold_values({}, None, ["t::a"])
    assert check.passed and "no values were recorded" in check.message


MODULE = '''
def memoize(func):
    def key(args, kwargs):
        return args
    return key


def windows(n):
    if n < 0:
        raise ValueError("n")
    for i in range(n):
        yield (i, {"b": {3, 1, 2}})


class Always:
    __eq__ = lambda self, other: True


def always():
    return Always()


def text():
    class Text(str):
        pass
    return Text("x")
'''

DRIVER = '''
import importlib.util, json, os, sys
spec = importlib.util.spec_from_file_location("launcher", sys.argv[1])
launcher = importlib.util.module_from_spec(spec)
spec.loader.exec_module(launcher)
read, launcher.RECORD_FD = os.pipe()
here = os.path.abspath("mod.py")
send, lock = launcher._values({here: ["memoize.<locals>.key", "windows", "always", "text"]}, os.getcwd(),
                              os.path.abspath(sys.argv[1]))
ours = {}
exec(compile("def start(s): return s(('start',))\\ndef digest(s): return s(('digest',))", sys.argv[1], "exec"), ours)
sys.path.insert(0, os.getcwd())
import mod
ours["start"](send)  # the recorder installs its tracer
key = mod.memoize(len)
key((2, 3), {}), key((1, {}), {})
list(mod.windows(2))
try:
    list(mod.windows(-1))
except ValueError:
    pass
unfinished = mod.windows(3)
next(unfinished)
del unfinished
mod.always(), mod.text()
print(ours["digest"](send), flush=True)  # and removes it
assert sys.gettrace() is None
send(("returned", "mod.py:windows", 1, "[]", ()))  # not the tracer's code: refused
'''


def test_the_recorder_writes_values_by_value_and_takes_them_only_from_its_tracer(tmp_path):
    """The launcher's recorder and tracer, driven as a confirming fork drives them (no Docker)."""
    import subprocess
    import sys
    from pathlib import Path

    import synth.verifiers.code as code

    (tmp_path / "mod.py").write_text(MODULE)
    (tmp_path / "drive.py").write_text(DRIVER)
    launcher = Path(code.__file__).with_name("_launcher.py")
    done = subprocess.run([sys.executable, "drive.py", str(launcher)], cwd=tmp_path, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 86, done.stderr  # the forged value: a tamper report, exit 86
    values = json.loads(done.stdout.splitlines()[0])
    texts = {label: [shown for _, shown in calls] for label, (_, _, calls) in values.items()}
    # each call is its arguments -> its value, by value (a tuple and a list alike, as sequences)
    assert texts["mod.py:memoize.<locals>.key"] == ["[[n2,n3],{}] -> [n2,n3]", "[[n1,{}],{}] -> [n1,{}]"]
    # each yield, the end, a raise by its type; the unfinished generator's close is not a value
    assert texts["mod.py:windows"] == ["[n2] -> [n0,{s'b':S{n1,n2,n3}}]", "[n2] -> [n1,{s'b':S{n1,n2,n3}}]",
                                       "[n2] -> N", "[n-1] -> raise builtins.ValueError",
                                       "[n3] -> [n0,{s'b':S{n1,n2,n3}}]"]
    # an always-equal object is its type and its attributes (none), never what its __eq__ says
    assert texts["mod.py:always"] == ["[] -> omod.Always()"]
    assert texts["mod.py:text"] == ["[] -> s'x'"]  # a str subclass is its text, as `==` sees it
    assert values["mod.py:windows"][0] == 5 and values["mod.py:windows"][1].startswith("v2:")
