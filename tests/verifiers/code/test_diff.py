"""The strict diff reader and what grading lets in: pure functions, no Docker. Where git's own
reading matters, `git apply --numstat` on the host is the referee."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from synth.verifiers.code import DiffError, parse, problems, runner_tampering

SOURCE = ("diff --git a/calc/__init__.py b/calc/__init__.py\nindex 1..2 100644\n--- a/calc/__init__.py\n"
          "+++ b/calc/__init__.py\n@@ -1,2 +1,2 @@\n def add(a, b):\n-    return abs(a) + abs(b)\n+    return a + b\n")
CONFTEST = "import pytest\n\n\ndef pytest_runtest_makereport(item, call):\n    pass\n"


def new_file(path: str, text: str) -> str:
    body = "".join(f"+{line}\n" for line in text.splitlines())
    return (f"diff --git a/{path} b/{path}\nnew file mode 100644\n--- /dev/null\n+++ b/{path}\n"
            f"@@ -0,0 +1,{len(text.splitlines())} @@\n{body}")


def bare(path: str, text: str) -> str:
    body = "".join(f"+{line}\n" for line in text.splitlines())
    return f"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1,{len(text.splitlines())} @@\n{body}"


def git_paths(tmp_path: Path, diff: str) -> set[str]:
    """The paths `git apply` reads in a diff."""
    (tmp_path / "p.diff").write_text(diff)
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    done = subprocess.run(["git", "apply", "--numstat", "p.diff"], cwd=tmp_path, capture_output=True, text=True)
    return {line.split("\t")[2] for line in done.stdout.splitlines()}


def test_a_plain_diff_reads_as_git_reads_it(tmp_path):
    diff = SOURCE + new_file("calc/extra.py", "x = 1\n")
    sections = parse(diff)
    assert [s.path for s in sections] == ["calc/__init__.py", "calc/extra.py"]
    assert sections[0].added_lines == ("    return a + b",) and sections[0].removed == 1
    assert problems(diff) == [] and "".join(s.text for s in sections) == diff
    assert git_paths(tmp_path, diff) == {"calc/__init__.py", "calc/extra.py"}


def test_exploit_smuggled_conftest_section(tmp_path):
    """A bare ---/+++ section after a normal one: git creates conftest.py, a lax reader sees one file."""
    diff = new_file("calc/note.py", "x = 1\n") + bare("conftest.py", CONFTEST)
    assert "conftest.py" in git_paths(tmp_path, diff)
    with pytest.raises(DiffError, match="outside any hunk of calc/note.py"):
        parse(diff)
    assert problems(diff) and "outside any hunk" in problems(diff)[0]


def test_exploit_renamed_header_conftest(tmp_path):
    """Header names that differ with no rename lines: git takes the name from the +++ line."""
    body = "".join(f"+{line}\n" for line in CONFTEST.splitlines())
    diff = (f"diff --git a/calc/a.py b/calc/b.py\nnew file mode 100644\n--- /dev/null\n+++ b/conftest.py\n"
            f"@@ -0,0 +1,{len(CONFTEST.splitlines())} @@\n{body}")
    assert git_paths(tmp_path, diff) == {"conftest.py"}
    assert "git would write conftest.py" in problems(diff)[0]


def test_exploit_renamed_header_test_append(tmp_path):
    """The same trick appending to a test file, whose test patch would still apply on top."""
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_calc.py").write_text("def test_add():\n    assert False\n")
    diff = ("diff --git a/calc/a.py b/calc/b.py\n--- a/tests/test_calc.py\n+++ b/tests/test_calc.py\n"
            "@@ -1,2 +1,5 @@\n def test_add():\n     assert False\n+\n+def test_add():\n+    pass\n")
    assert git_paths(tmp_path, diff) == {"tests/test_calc.py"}
    assert problems(diff)


def test_a_header_whose_names_differ_without_content_is_refused():
    diff = "diff --git a/calc/a.py b/calc/b.py\nold mode 100644\nnew mode 100755\n"
    assert "no rename or copy lines" in problems(diff)[0]


def test_renames_with_their_lines_are_read_with_both_paths():
    diff = ("diff --git a/calc/old.py b/calc/new.py\nsimilarity index 100%\nrename from calc/old.py\n"
            "rename to calc/new.py\n")
    (section,) = parse(diff)
    assert section.renamed and section.paths == {"calc/old.py", "calc/new.py"} and problems(diff) == []


@pytest.mark.parametrize("diff, message", [
    ("not a diff\n", "before any 'diff --git'"),
    (SOURCE.replace("@@ -1,2 +1,2 @@", "@@ -1,3 +1,2 @@"), "short"),
    (SOURCE.replace("@@ -1,2 +1,2 @@", "@@ -1,1 +1,1 @@"), "outside any hunk"),
    (SOURCE.replace("+++ b/calc/__init__.py\n", ""), "without '\\+\\+\\+'"),
    (SOURCE + "garbage after the hunk\n", "outside any hunk"),
])
def test_malformed_diffs_are_errors_naming_the_line(diff, message):
    with pytest.raises(DiffError, match=message):
        parse(diff)


def test_quoted_names_and_trailing_blank_lines_are_read():
    diff = ('diff --git "a/calc/sp\\303\\251cial file.py" "b/calc/sp\\303\\251cial file.py"\nnew file mode 100644\n'
            '--- /dev/null\n+++ "b/calc/sp\\303\\251cial file.py"\n@@ -0,0 +1 @@\n+x = 1\n\n\n')
    assert [s.path for s in parse(diff)] == ["calc/spécial file.py"]


@pytest.mark.parametrize("path, reason", [
    ("calc/__pycache__/core.cpython-311.pyc", "bytecode"),
    ("calc/core.pyc", "bytecode"),
    ("calc/__pycache__/notes.txt", "bytecode"),
    ("evil-1.0.dist-info/entry_points.txt", "packaging metadata"),
    ("calc.egg-info/entry_points.txt", "packaging metadata"),
    ("pytest.py", "test runner or the standard library"),
    ("pdb.py", "test runner or the standard library"),
    ("_pytest/__init__.py", "test runner or the standard library"),
    ("sitecustomize/__init__.py", "test runner or the standard library"),
])
def test_paths_python_or_pytest_would_read_are_refused(path, reason):
    assert reason in " ".join(problems(new_file(path, "x = 1\n")))


def test_existing_top_level_modules_may_change_and_nested_ones_may_be_new():
    edit = SOURCE.replace("calc/__init__.py", "types.py")
    assert problems(edit) == []  # the project's own module, not a new one
    assert problems(new_file("calc/pdb.py", "x = 1\n")) == []  # calc.pdb shadows nothing


def test_binary_sections_are_refused():
    diff = "diff --git a/logo.png b/logo.png\nnew file mode 100644\nindex 0000000..e69de29\nBinary files /dev/null and b/logo.png differ\n"
    assert problems(diff) == ["logo.png: binary change"]


@pytest.mark.parametrize("code, flag", [
    ("from _pytest import reports", "_pytest"),
    ("import pluggy", "pluggy"),
    ("@pytest.hookimpl(wrapper=True)", "hookimpl"),
    ("def pytest_runtest_makereport(item, call):", "pytest hooks"),
    ("TestReport.from_item_and_call = flip", "report classes"),
    ("xml = LogXML(config.option.xmlpath)  # a comment no longer counts", "junitxml"),
    ("unittest.TestCase.run = quiet", "unittest internals"),
    ("setattr(unittest.TestCase, name, quiet)", "unittest internals"),
    ("atexit.register(lambda: os._exit(0))", "atexit with os._exit"),
])
def test_runner_internals_in_added_lines_are_flagged(code, flag):
    assert flag in runner_tampering(new_file("calc/x.py", code + "\n"))


def test_runner_flags_skip_discarded_files_and_ignore_ordinary_code():
    conftest = new_file("conftest.py", CONFTEST)
    assert runner_tampering(conftest) and runner_tampering(conftest, skip={"conftest.py"}) == []
    ordinary = new_file("calc/x.py", "import atexit\nimport os\n\natexit.register(print)\nos.getpid()\n")
    assert runner_tampering(SOURCE) == [] and runner_tampering(ordinary) == []


def test_runner_untouched_reads_code_not_comments_or_prose():
    """attack17 C1: the gold plus a comment naming JUnit XML and pytest_configure was graded fail."""
    comment = new_file("pkg/m.py", "x = 1\n# Results are reported as JUnit XML by the pytest_configure hook of the caller.\n"
                                   "y = 'see the JUnit XML of pytest_configure'\n")
    assert runner_tampering(comment) == []
    code = new_file("pkg/m.py", "m = getattr(config, 'pluginmanager')  # a name as a string still counts\n"
                                "def pytest_configure(config): pass\n")
    assert set(runner_tampering(code)) == {"plugin manager", "pytest hooks"}
