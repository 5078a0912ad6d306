"""Reading a submitted diff as strictly as `git apply` reads it, and what grading lets in.

Sits in the code verifier (it imports only the core), under the code family's patch splitting,
`submit` tool and grading runs, which import it. Guarantees:

- `parse` splits a git diff into file sections and counts every hunk's lines, so text `git apply`
  would read as one more file (a bare `---`/`+++` pair after a hunk, a section without a
  `diff --git` header) is a `DiffError` here, never a file the filters do not see.
- `problems` lists why a diff is not graded at all: it is malformed; a header's two names differ
  with no rename or copy lines (git then takes the names from the `---`/`+++` lines); it has
  binary sections; or it writes a path Python or pytest reads besides source: bytecode and
  `__pycache__/`, `*.dist-info/` and `*.egg-info/` (entry points autoload pytest plugins), a new
  top-level module named like the test runner or the standard library. Pure functions of the
  text, so a regrade gives the same answer.
- `runner_tampering` lists the test-runner internals a diff's added lines name (pytest's report
  and hook machinery, unittest's test-calling internals, JUnit writing, an exit handler that ends
  the process): a flag, not proof, since code can spell names at run time; the runtime guard and
  the second reading (see `_launcher.py`) stand behind it.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field

from synth import VerifierError


class DiffError(VerifierError):
    """A diff synth cannot read strictly (raised by `parse`)."""


_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_EXTENDED = ("old mode ", "new mode ", "deleted file mode ", "new file mode ", "similarity index ",
             "dissimilarity index ", "index ", "copy from ", "copy to ", "rename from ", "rename to ")
_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", '"': '"', "\\": "\\"}


@dataclass(frozen=True)
class FileDiff:
    """One file's section of a git diff."""

    old_path: str
    """The path before (or /dev/null for a new file)."""
    new_path: str
    """The path after (or /dev/null for a deleted file)."""
    text: str
    """The section, from its `diff --git` line, ending with a newline."""
    header_names: tuple[str, str] = ("", "")
    """The two names of the `diff --git a/X b/Y` line."""
    renamed: bool = False
    """The section has rename or copy lines."""
    binary: bool = False
    """The section is a binary patch (or says binary files differ)."""
    added_lines: tuple[str, ...] = field(default=(), repr=False)
    """The text of the lines the hunks add (without the leading +)."""

    @property
    def path(self) -> str:
        return self.new_path if self.new_path != "/dev/null" else self.old_path

    @property
    def paths(self) -> set[str]:
        """Every path the section reads or writes."""
        return {p for p in (self.old_path, self.new_path) if p != "/dev/null"}

    @property
    def added(self) -> int:
        return len(self.added_lines)

    @property
    def removed(self) -> int:
        return sum(1 for line in _hunk_lines(self.text) if line.startswith("-"))


def _hunk_lines(text: str) -> list[str]:
    lines, inside = [], False
    for line in text.splitlines():
        if line.startswith("@@"):
            inside = True
        elif inside:
            lines.append(line)
    return lines


def _unquote(name: str) -> str:
    """A name as git writes it: C-quoted ("a/x\\tb", octal escapes for bytes) or plain."""
    if not (len(name) >= 2 and name[0] == '"' and name[-1] == '"'):
        return name
    out, raw, i = bytearray(), name[1:-1], 0
    while i < len(raw):
        char = raw[i]
        if char != "\\":
            out += char.encode()
            i += 1
        elif raw[i + 1: i + 4].isdigit() and len(raw[i + 1: i + 4]) == 3:
            out.append(int(raw[i + 1: i + 4], 8))
            i += 4
        elif i + 1 < len(raw) and raw[i + 1] in _ESCAPES:
            out += _ESCAPES[raw[i + 1]].encode()
            i += 2
        else:
            raise DiffError(f"bad escape in quoted name {name[:80]}")
    return out.decode("utf-8", "surrogateescape")


def _strip(name: str, prefix: str) -> str:
    name = _unquote(name.split("\t")[0] if not name.startswith('"') else name)
    if name == "/dev/null":
        return name
    if not name.startswith(prefix):
        raise DiffError(f"name {name[:80]!r} does not start with {prefix}")
    return name[len(prefix):]


def _header_names(line: str) -> tuple[str, str]:
    rest = line[len("diff --git "):]
    if rest.startswith('"'):
        end = rest.index('"', 1)
        while rest[end - 1] == "\\":
            end = rest.index('"', end + 1)
        first, second = rest[: end + 1], rest[end + 2:]
        return _strip(first, "a/"), _strip(second, "b/")
    if rest.endswith('"'):
        start = rest.rindex(' "')
        return _strip(rest[:start], "a/"), _strip(rest[start + 1:], "b/")
    # unquoted: "a/X b/Y"; names may hold spaces, so prefer the split that gives equal names
    splits = [m.start() for m in re.finditer(" b/", rest)]
    if not rest.startswith("a/") or not splits:
        raise DiffError(f"malformed patch header: {line.strip()[:120]}")
    options = [(rest[2:at], rest[at + 3:]) for at in splits]
    return next((o for o in options if o[0] == o[1]), options[0])


def parse(diff: str) -> list[FileDiff]:
    """File sections of a git diff, read strictly; DiffError naming the first line that does not
    belong (text before the first header, a hunk whose line counts do not add up, text after a
    hunk that is not another hunk or another `diff --git` section)."""
    if not diff.strip():
        return []
    lines = diff.splitlines(keepends=True)
    sections: list[FileDiff] = []
    i = 0
    while i < len(lines):
        line = lines[i].rstrip("\n")
        if not line.startswith("diff --git "):
            if not line.strip() and (not sections or not "".join(lines[i:]).strip()):
                i += 1  # blank lines before the first section or after the last one
                continue
            where = "before any 'diff --git' header" if not sections else f"outside any hunk of {sections[-1].path}"
            raise DiffError(f"malformed patch: line {i + 1} comes {where}: {line[:80]!r}")
        section, i = _section(lines, i)
        sections.append(section)
    return sections


def _section(lines: list[str], start: int) -> tuple[FileDiff, int]:
    header = lines[start].rstrip("\n")
    old, new = _header_names(header)
    names = (old, new)
    renamed = binary = False
    minus = plus = None
    i = start + 1
    while i < len(lines) and lines[i].startswith(_EXTENDED):
        line = lines[i].rstrip("\n")
        if line.startswith(("rename from ", "copy from ")):
            old, renamed = _unquote(line.split(" from ", 1)[1]), True
        elif line.startswith(("rename to ", "copy to ")):
            new, renamed = _unquote(line.split(" to ", 1)[1]), True
        elif line.startswith("new file mode "):
            old = "/dev/null"
        elif line.startswith("deleted file mode "):
            new = "/dev/null"
        i += 1
    added: list[str] = []
    if i < len(lines) and lines[i].startswith("GIT binary patch"):
        binary = True
        i += 1
        while i < len(lines) and not lines[i].startswith("diff --git "):
            i += 1
    elif i < len(lines) and lines[i].startswith("Binary files "):
        binary = True
        i += 1
    elif i < len(lines) and lines[i].startswith("--- "):
        if i + 1 >= len(lines) or not lines[i + 1].startswith("+++ "):
            raise DiffError(f"malformed patch: line {i + 1}: '---' without '+++' in {header[:100]!r}")
        minus, plus = _strip(lines[i][4:].rstrip("\n"), "a/"), _strip(lines[i + 1][4:].rstrip("\n"), "b/")
        i += 2
        if i >= len(lines) or not lines[i].startswith("@@"):
            raise DiffError(f"malformed patch: line {i + 1}: no hunk after the names of {header[:100]!r}")
        while i < len(lines) and lines[i].startswith("@@"):
            i = _hunk(lines, i, added)
    if minus is not None and plus is not None:
        if (minus != "/dev/null" and minus != old) or (plus != "/dev/null" and plus != new):
            raise DiffError(f"malformed patch: the names of {header[:100]!r} differ from its '---'/'+++' lines "
                            f"({minus} -> {plus}); git would write {plus}")
        old = "/dev/null" if minus == "/dev/null" else old
        new = "/dev/null" if plus == "/dev/null" else new
    text = "".join(lines[start:i])
    section = FileDiff(old, new, text if text.endswith("\n") else text + "\n", names, renamed, binary, tuple(added))
    return section, i


def _hunk(lines: list[str], i: int, added: list[str]) -> int:
    match = _HUNK.match(lines[i])
    if match is None:
        raise DiffError(f"malformed hunk header at line {i + 1}: {lines[i].strip()[:80]!r}")
    old_left = int(match.group(2) if match.group(2) is not None else 1)
    new_left = int(match.group(4) if match.group(4) is not None else 1)
    i += 1
    while old_left > 0 or new_left > 0:
        if i >= len(lines):
            raise DiffError(f"malformed patch: the hunk ending at line {i} is {old_left + new_left} line(s) short")
        line = lines[i]
        kind = line[:1]
        if line in ("\n", "\r\n"):
            kind = " "  # an empty context line whose space an editor dropped: git reads it so too
        if kind == " ":
            old_left, new_left = old_left - 1, new_left - 1
        elif kind == "-":
            old_left -= 1
        elif kind == "+":
            new_left -= 1
            added.append(line[1:].rstrip("\n"))
        elif kind != "\\":
            raise DiffError(f"malformed patch: line {i + 1} inside a hunk starts with {kind!r}")
        if old_left < 0 or new_left < 0:
            raise DiffError(f"malformed patch: the hunk at line {i + 1} has more lines than its header says")
        i += 1
    while i < len(lines) and lines[i].startswith("\\"):
        i += 1
    return i


# -- what grading lets in --------------------------------------------------------------------------
RUNNER_MODULES = frozenset({"pytest", "_pytest", "py", "pluggy", "iniconfig", "packaging", "unittest",
                            "sitecustomize", "usercustomize", "hypothesis", "_hypothesis_pytestplugin", "coverage"})
"""Top-level names of the test machinery; a new module of that name in the repository is refused
(conftest.py is a test file: it is dropped, not refused)."""
# modules removed from the standard library in 3.12/3.13 (PEP 594, distutils, imp): older Pythons in
# the containers still have them, whatever Python grades
_REMOVED_STDLIB = frozenset({"aifc", "asynchat", "asyncore", "audioop", "cgi", "cgitb", "chunk", "crypt", "distutils",
                             "imghdr", "imp", "mailcap", "msilib", "nis", "nntplib", "ossaudiodev", "pipes", "smtpd",
                             "sndhdr", "spwd", "sunau", "telnetlib", "uu", "xdrlib"})
SHADOWED = frozenset(sys.stdlib_module_names) | _REMOVED_STDLIB | RUNNER_MODULES
BYTECODE_SUFFIXES = (".pyc", ".pyo")


def forbidden_path(path: str) -> str | None:
    """Why a path may not be written by a submission (whatever its content), or None."""
    parts = path.split("/")
    if path.endswith(BYTECODE_SUFFIXES) or "__pycache__" in parts:
        return f"{path}: bytecode (Python would load it instead of the source)"
    if any(part.endswith((".dist-info", ".egg-info")) for part in parts[:-1]):
        return f"{path}: packaging metadata (its entry points would load pytest plugins)"
    return None


def shadowing_name(path: str) -> str | None:
    """The module name a new top-level file or package defines, when the test runner or the
    standard library owns that name."""
    parts = path.split("/")
    if len(parts) == 1 and path.endswith(".py"):
        name = path[:-3]
    elif len(parts) == 2 and parts[1] == "__init__.py":
        name = parts[0]
    else:
        return None
    return name if name in SHADOWED else None


def problems(diff: str) -> list[str]:
    """Why a diff is not graded (empty: it is). Pure function of the text."""
    try:
        sections = parse(diff)
    except DiffError as exc:
        return [str(exc)]
    found = []
    for section in sections:
        first, second = section.header_names
        if first != second and not section.renamed:
            found.append(f"the header of {first} -> {second} names two files with no rename or copy lines")
        if section.binary:
            found.append(f"{section.path}: binary change")
        for path in sorted(section.paths):
            reason = forbidden_path(path)
            if reason:
                found.append(reason)
        if section.old_path == "/dev/null" or section.renamed:
            name = shadowing_name(section.new_path)
            if name:
                found.append(f"{section.new_path}: a new top-level module named like {name!r} of the test runner "
                             "or the standard library")
    return found


# (flag, pattern over added lines); "atexit with os._exit" needs both halves in the same diff
RUNNER_INTERNALS = (
    ("_pytest", r"\b_pytest\b"),
    ("pluggy", r"\bpluggy\b"),
    ("hookimpl", r"\bhook(impl|wrapper|spec)\b"),
    ("pytest hooks", r"\bpytest_(runtest|collection|collect|session|configure|unconfigure|report|terminal|make|pyfunc|plugin)\w*"),
    ("report classes", r"\b(TestReport|CollectReport|BaseReport|CallInfo|TerminalReporter|TestCaseFunction)\b"),
    ("junitxml", r"(?i)\bjunit(xml)?\b|\bLogXML\b"),
    ("plugin manager", r"\b(pluginmanager|PytestPluginManager|PluginManager)\b"),
    ("unittest internals", r"\b(_callTestMethod|_callSetUp|_callTearDown|_callCleanup|_Outcome|testPartExecutor|"
                           r"_feedErrorsToResult|addFailure|addError|addSuccess|addSubTest)\b|"
                           r"\bTestCase\s*\.\s*(run|__call__|debug)\s*=|setattr\(\s*[\w.]*TestCase\b"),
)


_LITERAL = re.compile(r'(?s)("""|\'\'\')(.*?)(?:\1|\Z)'
                      r'|"((?:\\.|[^"\\\n])*)"?'
                      r"|'((?:\\.|[^'\\\n])*)'?"
                      r"|#[^\n]*")
_NAME_LIKE = re.compile(r"[\w.]+")


def _code_only(text: str) -> str:
    """Added lines without their comments and prose: a comment or a string that is not a bare
    (dotted) name is blanked, so "results go to JUnit XML by pytest_configure" in a comment or a
    message names nothing; a string that is one name (`getattr(config, "pluginmanager")`) still
    does."""
    def blank(match: re.Match) -> str:
        if match.group(0).startswith("#"):
            return " "
        body = next((g for g in match.groups()[1:] if g is not None), "")
        return f" {body} " if _NAME_LIKE.fullmatch(body) else " "

    return _LITERAL.sub(blank, text)


def runner_tampering(diff: str, skip: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """The runner internals the diff's added lines name, in sections whose path is not in `skip`
    (e.g. test files whose changes are discarded anyway). A malformed diff names none."""
    try:
        sections = parse(diff)
    except DiffError:
        return []
    text = "\n".join(_code_only("\n".join(s.added_lines)) for s in sections if s.path not in skip)
    found = [flag for flag, pattern in RUNNER_INTERNALS if re.search(pattern, text)]
    if re.search(r"\batexit\b", text) and re.search(r"\b_exit\s*\(", text):
        found.append("atexit with os._exit")
    return found
