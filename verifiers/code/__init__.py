"""The code verifier: `code.tests`, and the JUnit reading and pass/fail judgement it rests on.

Sits between the code family and the core (families -> verifiers -> core) and imports only the
core: a reviewer reads the reward of a code task here alone. `code.tests` (`_verifier.py`) grades
a submission from its stored `GradingArtifacts` (`_artifacts.py`); `judge` (`_junit.py`) reads one
stored `TestRun` with the `Runner` that made it. The code family's execution imports `runner`,
`TestRun` and `GradingArtifacts` from here to produce exactly what is graded. Importing this
package registers the verifier and the record types (its `synth.plugins` entry point).
"""

from ._artifacts import GradingArtifacts
from ._junit import MAX_JUNIT_BYTES, RUNNERS, Judged, Outcome, PytestRunner, Runner, TestRun, judge, parse_junit, runner
from ._verifier import code_tests

__all__ = [
    "GradingArtifacts", "Judged", "MAX_JUNIT_BYTES", "Outcome", "PytestRunner", "RUNNERS", "Runner", "TestRun",
    "code_tests", "judge", "parse_junit", "runner",
]
