"""R1's rule without Docker (`_launcher._test_code_problem`): the function pytest made an item of
must be the test file's. Legitimate shapes pass (a package decorator with `functools.wraps`, a
parametrized test, a test imported from another test file, a TestCase method); swaps do not."""

from __future__ import annotations

import importlib.util
import os
import sys

from synth.verifiers.code import _launcher as launcher


def _load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_item_functions_must_come_from_the_test_files(tmp_path):
    pkg = tmp_path / "pkg_r4.py"
    pkg.write_text("import functools\n\ndef deco(f):\n    @functools.wraps(f)\n    def inner(*a, **k):\n"
                   "        return f(*a, **k)\n    return inner\n\ndef swapped():\n    return None\n")
    other = tmp_path / "test_other_r4.py"
    other.write_text("def test_shared():\n    assert True\n")
    main = tmp_path / "test_main_r4.py"
    main.write_text("import unittest\nimport pytest\nimport pkg_r4\nfrom test_other_r4 import test_shared\n\n"
                    "@pkg_r4.deco\ndef test_wrapped():\n    assert True\n\n"
                    "@pytest.mark.parametrize('x', [1, 2])\ndef test_param(x):\n    assert x\n\n"
                    "def test_plain():\n    assert True\n\n"
                    "class Case(unittest.TestCase):\n    def test_method(self):\n        self.assertTrue(True)\n")
    sys.path.insert(0, str(tmp_path))
    try:
        _load(str(pkg), "pkg_r4")
        _load(str(other), "test_other_r4")
        module = _load(str(main), "test_main_r4")
        files = {os.path.realpath(str(main)), os.path.realpath(str(other))}
        modules = {os.path.realpath(str(main)): [vars(module)],
                   os.path.realpath(str(other)): [vars(sys.modules["test_other_r4"])]}

        def problem(obj, name):
            return launcher._test_code_problem(obj, name, files, modules, launcher._decorated_defs)

        for name in ("test_wrapped", "test_param", "test_plain", "test_shared"):
            assert problem(getattr(module, name), name) is None, name
        assert problem(module.Case("test_method").test_method, "test_method") is None
        swapped = sys.modules["pkg_r4"].swapped
        assert problem(swapped, "test_plain") is not None
        assert problem(module.test_shared, "test_plain") is not None  # another test under this name
        wrapper = sys.modules["pkg_r4"].deco(module.test_plain)  # a wrapper the file does not apply
        assert problem(wrapper, "test_plain") is not None
        assert problem(module.test_plain, "test_plain") is None
        assert launcher._test_code_problem(module.test_plain, "test_plain", files, {}, launcher._decorated_defs)
    finally:
        sys.path.remove(str(tmp_path))
        for name in ("pkg_r4", "test_other_r4", "test_main_r4"):
            sys.modules.pop(name, None)
