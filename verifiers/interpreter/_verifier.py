"""interpreter.answer: grade a submitted answer against the typed answer stored in the tuple.

Pure function of the tuple's verifier args (`answer`: type, value, tolerance) and the submission:
no kernel, no data files, no transcript. A tuple whose stored answer is malformed is a verifier
error (status error), never a fail. The other args (`gold`, `controls`) are the family's and are
not read here.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from synth import Check, TupleRecord, VerifierError, register_verifier

from ._answers import Answer


def stored_answer(args: dict[str, Any]) -> Answer:
    """The tuple's `Answer`; VerifierError when it is missing or malformed."""
    if "answer" not in args:
        raise VerifierError("the tuple stores no answer (verifier args lack 'answer')")
    try:
        return Answer.model_validate(args["answer"])
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "answer"
        raise VerifierError(f"malformed stored answer: {where}: {first['msg']}") from None


@register_verifier("interpreter.answer")
def interpreter_answer(record: TupleRecord, submission: Any, run: Any, *, trajectory: Any = None, **args: Any) -> list[Check]:
    return stored_answer(args).checks(submission)
