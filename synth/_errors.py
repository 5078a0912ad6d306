"""The one error tree of synth; every boundary raises a subclass of `SynthError`.

    SynthError                 anything synth reports to a user (the CLI prints it on one line, exit 2)
    ├── ConfigError            bad arguments, flags, config files, unknown registry names
    ├── StoreError             a run directory that is unreadable, foreign, or holds malformed records
    ├── GenerationError        a generator could not build a tuple
    ├── ToolError              a tool call the environment rejects (becomes a tool message, never a crash)
    ├── EnvironmentFault       the environment itself broke during a tool call (the episode ends environment_error)
    ├── VerifierError          a verifier that cannot grade (becomes status="error", never reward 0)
    ├── SubmissionError        a submission that cannot be graded as it is (a fail on the check it names)
    ├── SandboxError           containers, images, the Docker engine
    │   └── BrokenByModel      the model's own actions broke its sandbox (ends sandbox_broken_by_model, graded fail)
    └── ModelError             the model server failed after retries (an infrastructure failure)
"""

from __future__ import annotations


class SynthError(Exception):
    """Base of every error synth raises on purpose; its message is one line a user can act on."""


class ConfigError(SynthError):
    """Bad input from a user: arguments, flags, config files, unknown names."""


class StoreError(SynthError):
    """A run directory that cannot be used as asked: unreadable, foreign, malformed, or mismatched."""


class GenerationError(SynthError):
    """A generator could not produce a tuple."""


class ToolError(SynthError):
    """A tool call the environment rejects; `kind` names the failure for the caller."""

    def __init__(self, message: str, kind: str = "invalid_request") -> None:
        super().__init__(message)
        self.kind = kind


class EnvironmentFault(SynthError):
    """The environment itself failed while serving a tool call (a closed connection, a dead
    container): an infrastructure failure, never a tool error the model is blamed for."""


class VerifierError(SynthError):
    """A verifier could not grade a submission (distinct from a failing grade)."""


class SubmissionError(SynthError):
    """A submission that cannot be graded as it is: not JSON, over a size, depth or number limit, a
    key repeated in one object, text no encoder can write. It is the answer's fault, so grading
    gives a fail (reward 0) on the check named by `check`, never an error."""

    def __init__(self, check: str, message: str) -> None:
        super().__init__(message)
        self.check = check


class SandboxError(SynthError):
    """Containers, images or the Docker engine failed."""


class BrokenByModel(SandboxError):
    """What the model's own calls did (a flood, a kill, a quota, processes that would not stop) broke
    its sandbox beyond repair while the engine itself is healthy: the episode ends
    `sandbox_broken_by_model`, graded fail with reward 0, never an infrastructure error that a policy
    could use to make a losing episode not count."""


class ModelError(SynthError):
    """The model server failed after retries: an infrastructure failure, not a model failure."""
