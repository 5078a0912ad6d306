"""Small git repositories the code tests make themselves (no network): a calculator whose history
holds a fix with a fail-to-pass test, a change that fixes nothing, and a fix next to a flaky test
(pytest-style tests); and a shapes library whose history holds one fix, tested by a `unittest`
TestCase suite in a tests package, with subtests and a doctest (doctest imports pdb). Importable from any test as
`code_repos` (pytest's pythonpath includes tests/)."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

CALC_V1 = '''\
"""A tiny calculator."""


def add(a, b):
    return abs(a) + abs(b)


def sub(a, b):
    return a + b


def mul(a, b):
    return a * b
'''

TESTS_V1 = '''\
from calc import add, mul


def test_add_positive():
    assert add(1, 2) == 3


def test_mul():
    assert mul(2, 3) == 6
'''

FIX_MESSAGE = "Fix add() dropping the sign of negative numbers\n\nadd(-1, -2) returned 3 instead of -3."


def git(repo: Path, *args: str) -> str:
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@x",
           "GIT_AUTHOR_DATE": "2024-01-01T00:00:00", "GIT_COMMITTER_DATE": "2024-01-01T00:00:00", "PATH": "/usr/bin:/bin"}
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env).stdout


def write(repo: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def make_repo(root: Path) -> Path:
    """calc: c1 initial; c2 fixes add (F2P); c3 changes mul with a test that passed before (F2P = 0);
    c4 fixes sub and adds a test whose outcome flips on every run (flaky)."""
    repo = root / "calc-project"
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    write(repo, {"calc/__init__.py": CALC_V1, "tests/test_calc.py": TESTS_V1, "README.md": "calc\n"})
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Initial calculator")
    write(repo, {"calc/__init__.py": CALC_V1.replace("abs(a) + abs(b)", "a + b"),
                  "tests/test_calc.py": TESTS_V1 + "\n\ndef test_add_negative():\n    assert add(-1, -2) == -3\n"})
    git(repo, "commit", "-q", "-am", FIX_MESSAGE)
    calc = (repo / "calc/__init__.py").read_text()
    write(repo, {"calc/__init__.py": calc.replace("return a * b", "result = a * b\n    return result"),
                  "tests/test_calc.py": (repo / "tests/test_calc.py").read_text()
                  + "\n\ndef test_mul_zero():\n    assert mul(0, 5) == 0\n"})
    git(repo, "commit", "-q", "-am", "Refactor mul to name its result and cover zero")
    calc = (repo / "calc/__init__.py").read_text()
    flip = '''

def test_toggle():
    import os
    path = "/tmp/calc-toggle"
    flipped = os.path.exists(path)
    if flipped:
        os.remove(path)
    else:
        open(path, "w").close()
    assert flipped
'''
    write(repo, {"calc/__init__.py": calc.replace("return a + b\n\n\ndef mul", "return a - b\n\n\ndef mul"),
                  "tests/test_sub.py": "from calc import sub\n\n\ndef test_sub():\n    assert sub(5, 3) == 2\n" + flip})
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Fix sub() adding instead of subtracting (closes #7)")
    return repo


SHAPES_V1 = '''\
"""Areas and perimeters.

>>> perimeter(1, 2)
6
"""


def area(width, height):
    return width + height


def perimeter(width, height):
    return 2 * (width + height)
'''

SHAPES_TESTS = '''\
import doctest
import unittest

import shapes
from shapes import area, perimeter


class AreaTests(unittest.TestCase):
    def test_square(self):
        self.assertEqual(area(2, 2), 4)


class PerimeterTests(unittest.TestCase):
    def test_rectangle(self):
        self.assertEqual(perimeter(2, 3), 10)

    def test_line(self):
        self.assertEqual(perimeter(0, 4), 8)

    def test_squares(self):
        for side, expected in ((1, 4), (3, 12)):
            with self.subTest(side=side):
                self.assertEqual(perimeter(side, side), expected)


class DocTests(unittest.TestCase):
    def test_docstrings(self):
        self.assertEqual(doctest.testmod(shapes).failed, 0)
'''

SHAPES_FIX = "Fix area() adding the sides instead of multiplying them\n\narea(2, 3) gave 5, not 6."


def make_unittest_repo(root: Path) -> Path:
    """shapes: s1 initial (area adds); s2 fixes area and adds a test that fails before (F2P)."""
    repo = root / "shapes-project"
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    write(repo, {"shapes/__init__.py": SHAPES_V1, "tests/__init__.py": "", "tests/test_shapes.py": SHAPES_TESTS})
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Initial shapes")
    write(repo, {"shapes/__init__.py": SHAPES_V1.replace("width + height\n\n\ndef", "width * height\n\n\ndef"),
                 "tests/test_shapes.py": SHAPES_TESTS.replace("        self.assertEqual(area(2, 2), 4)\n",
                                                              "        self.assertEqual(area(2, 2), 4)\n\n"
                                                              "    def test_rectangle(self):\n"
                                                              "        self.assertEqual(area(2, 3), 6)\n")})
    git(repo, "commit", "-q", "-am", SHAPES_FIX)
    return repo
