"""The hardened test harness: how a task's tests run, fixed at validation, reused at grading.

Sits in the code verifier beside the runners whose output `judge` reads; the code family's
execution (validation and grading runs) builds every test command from a `Harness` and copies
`LAUNCHER` (`_launcher.py`) into the container, so validation and grading run the same command by
construction, and the tuple records the harness its F2P/P2P lists were made with. What the
command guarantees:

- the interpreter is isolated from the working directory (`python -I`): a module at the
  repository root never shadows pytest or the standard library, and the repository goes to the
  end of `sys.path`;
- plugin autoload is off (`PYTEST_DISABLE_PLUGIN_AUTOLOAD=1`); the plugins installed when the
  environment was built are imported by module name before any project code;
- the configuration file pytest used at validation is pinned with `-c` (`/dev/null` when it used
  none) together with `--rootdir`, so a configuration file added later is never read;
- no bytecode is read from or written to the tree (its bytecode files are swept away before each
  run, `-B`, and the tree is read-only), so only sources of the repository are imported;
- the repository is read-only for the test process, and a root supervisor outside it kills what
  the tests leave running before anything is read back;
- (harness 3) the verdict is the root supervisor's: every test process gets a fresh key on fd 3
  before any project code runs and writes one keyed record per test to fd 4; the supervisor writes
  the JUnit XML from the records it verified. The main reading runs the test files in one process;
  the confirmation reading (`solo`) runs each FAIL_TO_PASS test in its own fork of a process that
  collected them. Inside the test process an audit hook refuses what no fix needs, the runner is
  compared with a snapshot taken before the project was imported, and synth's own executor decides
  that a test body returned normally (docs/code-grading.md).
"""

from __future__ import annotations

import hashlib
import posixpath
import shlex
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from synth import register_record

HARNESS_VERSION = 3
ROOT = "/testbed"
TEST_USER = (1000, 1000)
LAUNCHER = (Path(__file__).with_name("_launcher.py")).read_bytes()
"""The launcher script copied into every test container (never imported by synth)."""
LAUNCHER_DIGEST = hashlib.sha256(LAUNCHER).hexdigest()[:12]
PROBE_MARK = "SYNTH-PROBE "
ALLOW_MARK = "SYNTH-ALLOW "
"""The launcher's line listing the audit events an observed run's tests asked for."""
Reading = Literal["main", "solo"]


@register_record
class Harness(BaseModel):
    """How a task's tests run: found once, when the task is validated, and reused unchanged."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    version: int = HARNESS_VERSION
    """Version of synth's hardened harness (2: the first hardened one; 3: keyed records)."""
    config: str | None = None
    """The configuration file pytest read at validation, relative to the repository; every run
    passes it with -c, so files a submission adds are never read. None: pytest found none and runs
    get -c /dev/null."""
    rootdir: str = "."
    """pytest's rootdir at validation, relative to the repository (passed with --rootdir)."""
    plugins: list[str] = Field(default_factory=list)
    """pytest plugins (module names) installed in the environment; with autoload off only these load."""
    recheck: Literal["pytest", "unittest"] = "pytest"
    """Harness 2's second reading (kept so stored tuples load; harness 3 reads every suite with
    synth's own executor under pytest)."""
    allow: list[str] = Field(default_factory=list)
    """Audit events the task's own tests needed when the gold was validated (e.g. `gc.get_objects`):
    allowed for this task only, nothing else is."""
    scan_allow: list[str] = Field(default_factory=list)
    """Constructs of the static tamper scan the gold patch itself adds: not flagged for this task."""
    watch: dict[str, list[str]] = Field(default_factory=dict)
    """The functions the gold patch changes (file -> qualified names, `memoize.<locals>.key`): each
    FAIL_TO_PASS test's confirming fork records what they return on its calls (`_behaviour.py`)."""
    values: dict[str, dict[str, Any]] = Field(default_factory=dict)
    """What those functions returned with the gold, per FAIL_TO_PASS test and function (`path:qualname`
    -> [calls, hash of every value, the first calls' [hash, text]], or {"optional": why} when two gold
    runs disagreed): grading's values must be the same (check `gold_values`). Empty: not recorded
    (no function changed, or the task was validated before issue 17 item 6)."""

    def pytest_args(self, test_files: list[str], junit: str | None) -> list[str]:
        """pytest's arguments: the pinned configuration, then JUnit XML to `junit` (None: no JUnit)."""
        rootdir = posixpath.normpath(posixpath.join(ROOT, self.rootdir))
        args = ["-c", posixpath.join(ROOT, self.config) if self.config else "/dev/null", "--rootdir", rootdir]
        if not self.config:
            args += ["--confcutdir", rootdir]  # what pytest uses with no configuration file
        args += ["-p", "no:cacheprovider", "-o", "console_output_style=classic", "-rA", "--tb=short", "--color=no"]
        args += ["-o", "junit_family=xunit1", f"--junitxml={junit}"] if junit else ["-p", "no:junitxml"]
        return args + list(test_files)

    def spec(self, reading: Reading, *, run: str, test_files: list[str], ids: list[str], timeout: float,
             observe: bool = False, confirm: list[str] | None = None) -> dict[str, Any]:
        """What the launcher reads for one run (`run` is the run's folder in the container): the main
        reading runs `test_files` in one process; `solo` runs each of `ids` in its own fork. A main
        reading with `confirm` first runs each of those tests in its own fork of the process that
        collected them, before any test ran there, each with its own key: the solo reading, written
        to `{run}/solo.xml`, at the cost of forks instead of a second process and collection."""
        child: dict[str, Any] = {"mode": "batch" if reading == "main" else "solo", "args": self.pytest_args([], None),
                                 "files": list(test_files), "ids": None if reading == "main" else list(ids),
                                 "rootdir": posixpath.normpath(posixpath.join(ROOT, self.rootdir))}
        spec = {
            "reading": reading, "root": ROOT, "run": run, "user": list(TEST_USER), "plugins": list(self.plugins),
            "junit": f"{run}/junit.xml", "timeout": max(1.0, float(timeout)), "home": "/home/synth",
            "allow": list(self.allow), "observe": observe, "trusted": list(test_files), "children": [child],
        }
        if reading == "main" and confirm:
            child["confirm"] = list(confirm)
            spec["junit_solo"] = f"{run}/solo.xml"
        if self.watch and (reading == "solo" or confirm):  # the forks record the watched functions' values
            child["record"] = {posixpath.join(ROOT, path): list(names) for path, names in self.watch.items()}
            # collected as grading collects them (every test file imported), so that a value that
            # depends on what the other test modules did at import shows as a difference between
            # the gold's two runs, never only at grading
            child["collect_all"] = True
        return spec

    def command(self, reading: Reading, test_files: list[str], ids: list[str]) -> str:
        """The test process's command line as a person reads it."""
        head = f"PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 python -I -B launcher@{LAUNCHER_DIGEST} {reading} keyed"
        if self.plugins:
            head += f" plugins={','.join(self.plugins)}"
        if self.allow:
            head += f" allow={','.join(self.allow)}"
        if reading == "solo":
            head += f" ids={len(ids)}"
        return f"{head} -- {shlex.join(self.pytest_args(test_files, None))}"
