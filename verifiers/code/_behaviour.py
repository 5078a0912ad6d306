"""The behavioural cross-check against the gold (issue 17 item 6): what the functions the gold patch
changes return on each FAIL_TO_PASS test's calls, recorded at validation and required at grading.

Sits in the code verifier beside the harness: validation asks `watched` which functions the gold
changes (the innermost `def` around each line it adds or removes, by qualified name, read with
`ast` from the files as the gold leaves them), runs the F2P tests' confirming forks with those
functions watched (`Harness.watch`; the launcher's recorder, `_launcher.py`), twice in two
processes, and keeps what `recorded` makes of the two (`Harness.values`); `code.tests` compares the
submission's values with them (`gold_values`). Guarantees:

- values are compared by value, never by `==`: a value is its text as the launcher writes it (exact
  builtin scalars by repr, containers element by element, sets and dicts in sorted order, any other
  object by its type's name, a raise by the exception type's name), so an object that says it is
  equal to everything is just its type's name, and the gold's was something else;
- a function whose values differ between the two gold runs (time, ids, randomness, hash order
  across processes) is *optional* for that test, so the gold never fails the check it set;
- a test or function the gold recorded nothing for is not checked; tasks validated before the
  check have no values and pass it (its message says so).
"""

from __future__ import annotations

import ast
import json
import re
import xml.etree.ElementTree as ET
from typing import Any, Callable, Iterable

from synth import Check
from synth._syntax import parse as parse_python

from ._diff import DiffError, parse

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@")
OPTIONAL = "optional"


def changed_lines(fix: str) -> dict[str, set[int]]:
    """The lines of each Python file the diff changes, numbered in the file after it: every added
    line, and for a removal the lines on either side of where it was."""
    try:
        sections = parse(fix)
    except DiffError:
        return {}
    out: dict[str, set[int]] = {}
    for section in sections:
        if section.new_path == "/dev/null" or not section.new_path.endswith(".py"):
            continue
        lines, number = out.setdefault(section.new_path, set()), 0
        for line in section.text.splitlines():
            match = _HUNK.match(line)
            if match:
                number = int(match.group(1))
            elif number and line.startswith("+"):
                lines.add(number)
                number += 1
            elif number and line.startswith("-"):
                lines.update((max(1, number - 1), number))
            elif number and line.startswith(" "):
                number += 1
    return {path: lines for path, lines in out.items() if lines}


def functions_at(source: str, lines: Iterable[int]) -> list[str]:
    """The qualified names (as `co_qualname` spells them) of the innermost functions around `lines`."""
    try:
        tree = parse_python(source)
    except (SyntaxError, ValueError):
        return []
    spans: list[tuple[int, int, str]] = []

    def walk(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = prefix + child.name
                spans.append((child.lineno, child.end_lineno or child.lineno, name))
                walk(child, name + ".<locals>.")
            elif isinstance(child, ast.ClassDef):
                walk(child, prefix + child.name + ".")
            else:
                walk(child, prefix)

    walk(tree, "")
    found = set()
    for line in lines:
        around = [s for s in spans if s[0] <= line <= s[1]]
        if around:
            found.add(max(around, key=lambda s: s[0])[2])
    return sorted(found)


def watched(fix: str, read: Callable[[str], str | None]) -> dict[str, list[str]]:
    """The functions the gold patch changes: file -> qualified names (`read(path)` gives a file's
    text as the gold leaves it, or None)."""
    out = {}
    for path, lines in sorted(changed_lines(fix).items()):
        source = read(path)
        names = functions_at(source, lines) if source is not None else []
        if names:
            out[path] = names
    return out


def values_of(junit_xml: str | None) -> dict[str, dict[str, list[Any]]]:
    """The values each test's record carried (`synth-digest` of the supervisor's XML): test id ->
    `path:qualname` -> [calls, hash of every value, [[hash, text] of the first calls]]."""
    if not junit_xml:
        return {}
    try:
        root = ET.fromstring(junit_xml)
    except ET.ParseError:
        return {}
    out = {}
    for case in root.iter("testcase"):
        digest = case.get("synth-digest")
        if not digest:
            continue
        try:
            found = json.loads(digest)
        except ValueError:
            continue
        if isinstance(found, dict):
            out[f"{case.get('classname', '')}::{case.get('name', '')}"] = found
    return out


def recorded(first: dict[str, dict[str, Any]], second: dict[str, dict[str, Any]],
             tests: Iterable[str]) -> dict[str, dict[str, Any]]:
    """What the task keeps of two gold runs: per test and function, the values when both runs gave
    the same, else `{"optional": why}`."""
    out: dict[str, dict[str, Any]] = {}
    for test in tests:
        one, two = first.get(test), second.get(test)
        if not one and not two:
            continue
        kept = {}
        for label in sorted(set(one or {}) | set(two or {})):
            a, b = (one or {}).get(label), (two or {}).get(label)
            kept[label] = a if a == b else {OPTIONAL: "its values differ between two runs of the gold"}
        out[test] = kept
    return out


VERSION = "v2:"
"""The recorder's digest format this check compares (a function's values: the hash of the set of its
distinct (arguments -> value) pairs); a task recorded in an earlier format is not compared."""


def compared(entry: Any) -> bool:
    """Whether the gold's recording of one function is compared: a list in this format (an optional
    function, whose gold runs disagreed, or an entry in an earlier format is not)."""
    return isinstance(entry, list) and len(entry) >= 3 and str(entry[1]).startswith(VERSION)


def differences(want: dict[str, Any], got: dict[str, Any] | None) -> dict[str, str]:
    """The functions whose values differ between the gold's recording of one test (`want`: label ->
    [calls, hash of the set of pairs, first pairs]) and the submission's (`got`), with why. Compared:
    the set of distinct pairs, never the number of calls (a cache calls less, a worker thread in
    another order); an optional function (the gold's two runs disagreed) or an entry in an earlier
    format is not compared."""
    bad = {}
    for label, entry in sorted((want or {}).items()):
        if not compared(entry):
            continue
        have = (got or {}).get(label)
        if not isinstance(have, list) or len(have) < 3:
            bad[label] = f"no call recorded (the gold's first: {_shown(entry)})"
        elif have[1] != entry[1]:
            bad[label] = _first_difference(entry, have)
    return bad


def _first_difference(want: list[Any], got: list[Any]) -> str:
    theirs = {h for h, _ in got[2]}
    ours = {h for h, _ in want[2]}
    missing = [shown for h, shown in want[2] if h not in theirs]
    extra = [shown for h, shown in got[2] if h not in ours]
    if extra:
        return f"{extra[0]!r}, where the gold had " + (repr(missing[0]) if missing else f"{want[0]} other call(s)")
    if missing:
        return f"never {missing[0]!r} (the gold's)"
    return f"its calls differ from the gold's past the first {len(want[2])}"


def _shown(entry: list[Any]) -> str:
    return repr(entry[2][0][1]) if len(entry) > 2 and entry[2] else "?"


def gold_values(values: dict[str, dict[str, Any]] | None, solo_xml: str | None, fail_to_pass: Iterable[str]) -> Check:
    """The check `gold_values`: every F2P test's recorded functions returned, in the submission's
    confirming fork, what they returned with the gold (`actual`: the tests whose values differ)."""
    if not values:
        return Check(name="gold_values", passed=True, message="no values were recorded for this task")
    got = values_of(solo_xml)
    bad: dict[str, str] = {}
    checked = 0
    for test in fail_to_pass:
        want = values.get(test) or {}
        checked += sum(1 for entry in want.values() if compared(entry))
        for label, why in differences(want, got.get(test)).items():
            if test not in bad:
                bad[test] = f"{test}: {label}: {why}"
    return Check(name="gold_values", passed=not bad, expected=checked, actual=sorted(bad) or None,
                 message=("values differ from the gold's: " + "; ".join(list(bad.values())[:3]))[:600] if bad else "")
