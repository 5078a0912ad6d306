"""Verifiers: registered grading functions, named in every tuple's VerifierSpec.

Each verifier is `fn(record, submission, run, *, trajectory=None, **args) -> list[Check] | Verdict`
and is reached through `synth.grade`, which turns a crash into status error (never reward 0).
Importing this package registers the built-in verifiers.
"""

from . import _general  # noqa: F401
from . import _code  # noqa: F401
