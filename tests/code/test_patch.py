"""Patch splitting and protected paths: pure functions, no Docker."""

from __future__ import annotations

import pytest

from synth.environments.code import PatchError, drop_protected, is_test_path, parse, split

DIFF = """\
diff --git a/calc/__init__.py b/calc/__init__.py
index 1..2 100644
--- a/calc/__init__.py
+++ b/calc/__init__.py
@@ -1,2 +1,2 @@
 def add(a, b):
-    return abs(a) + abs(b)
+    return a + b
diff --git a/tests/test_calc.py b/tests/test_calc.py
index 1..2 100644
--- a/tests/test_calc.py
+++ b/tests/test_calc.py
@@ -1 +1,3 @@
 x = 1
+def test_neg():
+    assert True
diff --git a/conftest.py b/conftest.py
new file mode 100644
--- /dev/null
+++ b/conftest.py
@@ -0,0 +1 @@
+import os
"""


def test_split_is_lossless_and_sorts_by_path_rules():
    pieces = split(DIFF)
    assert pieces.gold_files == ("calc/__init__.py",)
    assert set(pieces.test_files) == {"tests/test_calc.py", "conftest.py"}
    assert sorted((pieces.gold + pieces.tests).splitlines()) == sorted(DIFF.splitlines())


@pytest.mark.parametrize("path, language, expected", [
    ("tests/test_x.py", "python", True), ("pkg/test_x.py", "python", True), ("pkg/x_test.py", "python", True),
    ("pkg/x.py", "python", False), ("src/app.test.ts", "javascript", True), ("main_test.go", "go", True),
    ("src/FooTest.java", "java", True), ("src/Foo.java", "java", False), ("testing/helpers.py", None, True),
])
def test_test_path_rules_per_language(path, language, expected):
    assert is_test_path(path, language) is expected


def test_agent_diff_loses_test_and_config_changes():
    kept, dropped = drop_protected(DIFF)
    assert [f.path for f in parse(kept)] == ["calc/__init__.py"]
    assert set(dropped) == {"tests/test_calc.py", "conftest.py"}


def test_malformed_patch_is_a_clear_error():
    with pytest.raises(PatchError, match="before any 'diff --git'"):
        parse("this is not a diff\n+++ b/x\n")


def test_deleted_test_files_are_not_run():
    from synth.environments.code._patch import runnable_test_files

    deleting = ("diff --git a/tests/test_old.py b/tests/test_old.py\ndeleted file mode 100644\n--- a/tests/test_old.py\n"
                "+++ /dev/null\n@@ -1 +0,0 @@\n-x = 1\n")
    assert runnable_test_files(split(DIFF).tests + deleting) == ["tests/test_calc.py"]
