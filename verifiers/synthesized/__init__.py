"""synthesized.sandbox: the verifier of environments a model wrote, and how their code is run.

Sits under the synthesized family and over the core. `_sandbox.py` holds the image generated code
runs in (a layer on the base image with synth's harness, `_harness.py`, and unprivileged users)
and the protocol of one harness run; `_verifier.py` grades an answer by running the stored
verify.py in a fresh sandbox over the stored database. Importing this package registers the
verifier (its `synth.plugins` entry point); nothing runs until a grade is asked for.
"""

from ._sandbox import (
    AGENT_USER,
    CLOCK,
    CLOCK_SHIFT,
    LIMITS,
    SOLVER_USER,
    TOOLS_USER,
    Outcome,
    drain,
    fresh_sandbox,
    image_recipe,
    metered,
    place,
    run_harness,
    sandbox_image,
)
from ._verifier import MAX_ANSWER, answer_file, checks_of, clean, grade_answer, grade_answers, parse_answer, stored_files, synthesized_sandbox

__all__ = [name for name in dir() if not name.startswith("_")]
