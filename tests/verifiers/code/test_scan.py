"""The static tamper scan reads what a diff adds to a Python file, by AST: constructs a fix never
needs are flagged, the same constructs already in the file are not, and names built at run time
are read as computed names."""

from __future__ import annotations

import pytest

from synth.verifiers.code import scan_python

BEFORE = "import functools\n\n\ndef area(w, h):\n    return w + h\n"


def _found(added: str, before: str = BEFORE) -> set[str]:
    return {construct for _, construct in scan_python(before, before + added)}


@pytest.mark.parametrize("added, construct", [
    ("import gc\n", "gc (import gc)"),
    ("import sys\nf = sys._getframe()\n", "frames (sys._getframe)"),
    ("def g(f):\n    return f.f_back.f_locals\n", "frame access (f_back)"),
    ("area.__code__ = (lambda w, h: 6).__code__\n", "function or class internals (__code__)"),
    ("import unittest\n", "test framework (import unittest)"),
    ("import importlib\nm = importlib.import_module('unit' + 'test')\n", "computed name (import_module)"),
    ("import os\nname = 'TestCase'\nx = getattr(os, name)\n", "computed attribute name on a module (getattr)"),
    ("exec('x = 1')\n", "compile/exec/eval (exec)"),
    ("import sys\nsys.modules.pop('x', None)\n", "sys.modules (sys.modules)"),
    ("class A:\n    def __eq__(self, other):\n        return True\n",
     "a class whose __eq__ ignores what it is compared with"),
    ("def f():\n    raise KeyboardInterrupt\n", "control-flow exceptions (KeyboardInterrupt)"),
    ("import os\nos._exit(0)\n", "process exit (os._exit)"),
])
def test_constructs_a_fix_never_needs_are_flagged(added, construct):
    assert construct in _found(added)


def test_what_the_file_already_had_and_plain_fixes_are_not_flagged():
    before = BEFORE + "import gc\n\n\ndef leaks():\n    return len(gc.get_objects())\n"
    assert not _found("\n\ndef more():\n    return gc.collect()\n", before) - {"gc (import gc)"}
    assert _found("", before) == set()
    plain = ("\n\nclass Box:\n    def __eq__(self, other):\n        return isinstance(other, Box) and self.v == other.v\n"
             "\n\ndef pick(obj, name):\n    return getattr(obj, name)\n")
    assert _found(plain) == set()


def test_a_file_that_does_not_parse_is_flagged():
    assert scan_python(BEFORE, "def broken(:\n") == [(0, "a file that does not parse")]


# issue 17, second review (attack17): the scan's gaps used by the attacks that beat harness 3
UTF7 = ("# coding: utf-7\ndef f(x):\n"
        "    return x #+AAo-import gc+AAo-_all = gc.get_objects()+AAo-import sys+AAo-_m = sys.modules\n")


def test_scan_a_coding_declaration_other_than_utf8_is_flagged_and_honoured():
    assert scan_python("def f(x):\n    return x\n", UTF7) == [(1, "a source encoding other than UTF-8 (utf-7)")]
    assert scan_python(None, "# -*- coding: utf-8 -*-\nx = 1\n") == []
    assert scan_python(None, "# coding: latin-1\nx = 1\n") != []


@pytest.mark.parametrize("added, construct", [
    ("import os as _o\n_o._exit(0)\n", "process exit (os._exit)"),
    ("import os as _o\n_o.write(4, b'x')\n", "raw descriptors (os.write)"),
    ("import sys as _s\n_s.modules['x'] = 1\n", "sys.modules (sys.modules)"),
    ("import traceback as _t\n_t.walk_stack(None)\n", "frames or closures (walk_stack)"),
    ("import traceback as _t\n_t.StackSummary.extract([], capture_locals=True)\n", "frames or closures (capture_locals)"),
    ("import inspect as _i\n_i.getclosurevars(area)\n", "frames or closures (getclosurevars)"),
    ("from inspect import getclosurevars as g\n", "frames or closures (getclosurevars)"),
    ("x = area.__closure__[0].cell_contents\n", "function or class internals (cell_contents)"),
    ("x = getattr(area, 'plugin' + 'manager')\n", "computed attribute name on an object (getattr)"),
    ("import importlib.machinery as _m\n_m.SourceFileLoader('x', 'd.txt').load_module()\n",
     "loading code from a file (SourceFileLoader)"),
    ("import importlib.machinery as _m\n", "loading code from a file (import importlib.machinery)"),
    ("import runpy\nrunpy.run_path('d.txt')\n", "loading code from a file (run_path)"),
    ("import importlib.util as u\nu.spec_from_file_location('x', 'd.txt')\n",
     "loading code from a file (spec_from_file_location)"),
])
def test_scan_aliases_frames_closures_loaders_and_computed_names(added, construct):
    assert construct in _found(added)


# issue 17, third round: names spelled as strings or in pieces, and os under its other name
@pytest.mark.parametrize("added, construct", [
    ("x = getattr(area, '__closure__')\n", "(__closure__)"),
    ("n = ''.join(['__clo', 'sure__'])\nx = getattr(area, n)\n", "(__closure__)"),
    ("n = '__co' + 'de__'\n", "(__code__)"),
    ("n = f'cell_{\"contents\"}'\n", "(cell_contents)"),
    ("n = '_'.join(['', 'getframe'])\n", "(_getframe)"),
    ("n = ''.join(('plugin', 'manager'))\n", "(pluginmanager)"),
    ("import posix as _p\n_p._exit(0)\n", "process exit (os._exit)"),
    ("from posix import write\n", "raw descriptors (os.write)"),
])
def test_scan_names_spelled_as_strings_and_os_by_another_name(added, construct):
    assert any(construct in found for found in _found(added)), _found(added)


def test_scan_plain_strings_are_not_names_of_internals():
    assert not _found("MESSAGE = 'the code ' + 'was closed'\nWORDS = ', '.join(['a', 'b'])\n")


def test_scan_reads_any_file_that_is_python_source():
    from synth.verifiers.code import is_python

    assert is_python("import gc\nx = gc.get_objects()\n")
    assert not is_python('{"a": 1}\n') and not is_python("Some prose, not code.\n") and not is_python(b"\xff\xfe")
