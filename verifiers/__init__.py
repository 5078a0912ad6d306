"""Verifiers: registered grading functions, named in every tuple's VerifierSpec.

Sits between the families and the core (cli -> stages -> families -> verifiers -> core): a
verifier imports only the core, so a reward function can be read, tested and reviewed alone.
Each verifier is `fn(record, submission, run, *, trajectory=None, **args) -> list[Check] | Verdict`,
reached through `synth.grade`, which turns a crash into status error (never reward 0). Each
subpackage registers its verifiers when imported (through its `synth.plugins` entry point):
`general` (general.constraints, one checker module per category) and `code` (code.tests).
"""
