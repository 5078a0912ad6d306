"""The code verifier: `code.tests`, the JUnit reading and judgement it rests on, the strict diff
reading that decides what is graded, and the hardened harness every test run is made with.

Sits between the code family and the core (families -> verifiers -> core) and imports only the
core: a reviewer reads the reward of a code task here alone. `code.tests` (`_verifier.py`) grades
a submission from its stored `GradingArtifacts` (`_artifacts.py`); `judge` (`_junit.py`) reads one
stored `TestRun` with the `Runner` that made it; `problems` and `runner_tampering` (`_diff.py`)
read the submitted diff; `LanguageRunner` (`_runners.py`) is what a language's test runner provides to the supervisor; `Harness` (`_harness.py`) says how tests run, and `LAUNCHER`
(`_launcher.py`, copied into containers, never imported) runs them. The code family's execution
imports these to produce exactly what is graded. Importing this package registers the verifier
and the record types (its `synth.plugins` entry point).
"""

from ._artifacts import GradingArtifacts
from ._behaviour import gold_values, recorded, values_of, watched
from ._diff import DiffError, FileDiff, forbidden_path, parse, problems, runner_tampering, shadowing_name
from ._harness import ALLOW_MARK, HARNESS_VERSION, LAUNCHER, PROBE_MARK, ROOT, TEST_USER, Harness, Reading
from ._junit import MAX_JUNIT_BYTES, RUNNERS, TAMPERED, Judged, Outcome, PytestRunner, Runner, TestRun, judge, parse_junit, runner
from ._runners import KEY_FD, RECORD_FD, RECORD_FORMAT, Child, LanguageRunner, ScanFlag
from ._scan import is_python, scan_python
from ._verifier import code_tests

__all__ = [
    "ALLOW_MARK", "Child", "DiffError", "FileDiff", "GradingArtifacts", "HARNESS_VERSION", "Harness", "Judged", "KEY_FD", "LAUNCHER", "LanguageRunner", "MAX_JUNIT_BYTES",
    "Outcome", "PROBE_MARK", "PytestRunner", "RECORD_FD", "RECORD_FORMAT", "ROOT", "RUNNERS", "Reading", "Runner", "ScanFlag", "TAMPERED", "TEST_USER", "TestRun", "code_tests",
    "forbidden_path", "gold_values", "judge", "parse", "parse_junit", "problems", "runner", "runner_tampering", "is_python", "scan_python", "shadowing_name",
    "recorded", "values_of", "watched",
]
