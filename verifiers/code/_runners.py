"""The interface a language's test runner plugs into (harness 3): what a runner provides, what the
supervisor guarantees.

Sits in the code verifier beside the `Harness` (which pins a task's facts) and the launcher (the
root supervisor copied into every test container). A runner is a host-side description: it turns
a harness and test ids into **children**, commands the supervisor starts one after the other as
the test user; it never runs anything itself. The supervisor (`_launcher.py run`) owns everything
that decides a verdict: the per-child key on fd 3, the records on fd 4, the kill of every
test-user process, and the JUnit XML `judge` reads (docs/code-grading.md, "The interface a language
runner plugs into").

Guarantees to a runner, whatever its language:

- the repository is read-only for the test user and root-owned; the runner's `sweep` globs were
  deleted first (bytecode, build caches), so nothing written at run time is read back as code;
- each child runs as uid 1000 with no network, the sandbox's limits and the run's timeout, its
  working directory the repository root, its environment exactly `Child.env` plus `PATH`, `HOME`,
  `LANG` and, for `junit` reporters, `SYNTH_JUNIT` (where to write the XML);
- for a `keyed` reporter: fd 3 holds a fresh 32-byte key (read it to EOF, then close it, before
  any project code is loaded), fd 4 takes records (`RECORD_FORMAT`); a test passes only with exactly
  one keyed `passed` record and a clean exit (`Child.solo`: status 0; a batch: 0 or 1); any line on
  fd 4 that does not verify makes the run invalid;
- after each child every process of the test user is killed before its records are read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, NamedTuple, Protocol, runtime_checkable

Reporter = Literal["keyed", "junit"]
KEY_FD = 3
"""The key pipe's descriptor in a child (read to EOF, then close it, before project code)."""
RECORD_FD = 4
"""The records pipe's descriptor in a child (write-only)."""
KEY_BYTES = 32
RECORD_FORMAT = "S\t{key}\t{test_id}\t{outcome}\t{digest}\t{message}\n"
"""One keyed record: `key` the child's key in lowercase hex, `test_id` as the task's lists spell it
(JUnit `classname::name`), `outcome` passed|failed|error|skipped, `digest` the behavioural digest
or `-`, `message` one line (tabs and newlines replaced by spaces)."""
TAMPER_FORMAT = "T\t{text}\n"
"""A tamper report (an in-process guard refused something): the run is invalid."""
OUTCOMES = ("passed", "failed", "error", "skipped")


@dataclass(frozen=True)
class Child:
    """One process the supervisor starts: a command, and the tests it must report."""

    argv: list[str]
    """The command (absolute paths inside the container; `$RUN` is the run's folder)."""
    ids: list[str] | None
    """The test ids it must report (None: whatever tests it finds, for a main reading)."""
    solo: bool = False
    """Exactly one test in a fresh process (a FAIL_TO_PASS confirmation)."""
    reporter: Reporter = "keyed"
    env: dict[str, str] = field(default_factory=dict)
    """Extra environment variables (never a secret: the test process reads its environment)."""


class ScanFlag(NamedTuple):
    """A construct the static tamper scan found in what a diff adds."""

    path: str
    line: int
    construct: str
    """What was found, as the check names it, e.g. `gc.get_objects` or `__code__ assignment`."""


@runtime_checkable
class LanguageRunner(Protocol):
    """What a language runner provides (Python's is `PythonRunner` in `_harness.py`; JS/TS, Go,
    Rust and Java runners live in the code family's `languages` package)."""

    name: str
    """The runner's name as tuples record it, e.g. `pytest`, `go-test`."""
    language: str
    extensions: tuple[str, ...]
    """Source file extensions the static scan reads, e.g. (".go",)."""
    sweep: tuple[str, ...]
    """Globs (relative to the repository, `**` allowed) deleted before every run."""
    reporter: Reporter
    guard_events: tuple[str, ...]
    """Names of the in-process events its guard can refuse (allowances name these); () if none."""

    def main_child(self, harness: object, test_files: list[str]) -> Child:
        """The main reading: every test of `test_files` in one process."""
        ...

    def batch_child(self, harness: object, test_ids: list[str]) -> Child:
        """These tests in one process (the PASS_TO_PASS confirmation)."""
        ...

    def solo_child(self, harness: object, test_id: str) -> Child:
        """Exactly this test in its own process (a FAIL_TO_PASS confirmation)."""
        ...

    def summary(self, log: str) -> object | None:
        """The runner's own summary line in a log (a `Summary`), for `judge`'s cross-check."""
        ...

    def scan(self, path: str, before: str | None, after: str) -> list[ScanFlag]:
        """Constructs `after` adds over `before` (None: a new file) that reach the runner's
        internals, the process or its memory: the static tamper scan of this language."""
        ...
