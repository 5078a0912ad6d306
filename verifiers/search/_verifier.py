"""search.answer: grade a search-QA submission against the stored answer.

Pure function of the tuple's verifier args (answer, aliases, type, value, tolerance) and, for
free-form answers only, the judge verdict stored with the trajectory. Checks:

- `answer_format`: a non-empty string of at most `MAX_ANSWER_CHARS` characters (a model that
  pastes a page, or many candidates, fails here).
- `answer` (entity, number, date): the whole answer, normalized, equals an accepted alias
  (entity: names unique to the answer in its corpus, so an alias of another entity fails); is one
  number within the relative tolerance (number); is one date within the tolerance in days, or the
  year for year-precision answers (date).
- `judge` (text answers): the stored `JudgeVerdict` of this very submission, by the pinned judge
  model and rubric, says correct. No stored verdict is a verifier error, never a fail or a pass.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ValidationError

from synth import Check, TupleRecord, VerifierError, register_verifier

from ._judge import JudgeVerdict, submission_digest
from ._match import date_matches, name_matches, number_matches

MAX_ANSWER_CHARS = 300
AnswerType = Literal["entity", "number", "date", "text"]


def _judged(trajectory: Any, submission: str, judge: dict[str, Any]) -> Check:
    stored = ((getattr(trajectory, "extra", None) or {}).get("artifacts") or {}).get("judge") if trajectory is not None else None
    if not stored:
        raise VerifierError("no stored judge verdict: the submission was not executed with the pinned judge")
    try:
        verdict = JudgeVerdict.model_validate(stored)
    except ValidationError as exc:
        raise VerifierError(f"malformed judge verdict: {exc.errors()[0]['msg']}") from None
    problems = []
    if verdict.submission_sha256 != submission_digest(submission):
        problems.append("the stored verdict judged another submission")
    if verdict.judge_model != judge.get("model"):
        problems.append(f"judged by {verdict.judge_model}, not the pinned {judge.get('model')}")
    if verdict.rubric != judge.get("rubric"):
        problems.append("judged with another rubric")
    if problems:
        return Check(name="judge", passed=False, expected="a verdict of this submission", actual=None, message="; ".join(problems))
    return Check(name="judge", passed=verdict.correct, expected="correct", actual="correct" if verdict.correct else "incorrect",
                 message=verdict.reasoning[:300])


@register_verifier("search.answer")
def search_answer(
    record: TupleRecord,
    submission: Any,
    run: Any,
    *,
    trajectory: Any = None,
    answer: str,
    type: AnswerType = "entity",  # noqa: A002  (the stored argument's name)
    aliases: list[str] = (),  # type: ignore[assignment]
    value: float | str | None = None,
    tolerance: float = 0.0,
    judge: dict[str, Any] | None = None,
    **_: Any,
) -> list[Check]:
    text = submission if isinstance(submission, str) else None
    ok_format = text is not None and 0 < len(text.strip()) <= MAX_ANSWER_CHARS
    shown = text if text is None or len(text) <= 80 else text[:77] + "..."
    checks = [Check(name="answer_format", passed=ok_format, expected=f"a string of 1..{MAX_ANSWER_CHARS} characters",
                    actual=shown if text is not None else type_name(submission),
                    message="" if ok_format else "the answer is empty, too long or not text")]
    if not ok_format:
        checks.append(Check(name="answer" if type != "text" else "judge", passed=False, expected=answer, actual=shown,
                            message="no answer to compare"))
        return checks
    assert text is not None
    if type == "entity":
        hit = name_matches(text, [answer, *aliases])
        checks.append(Check(name="answer", passed=hit is not None, expected=answer, actual=shown,
                            message=f"matches {hit!r}" if hit else "names no accepted alias of the answer"))
    elif type == "number":
        if not isinstance(value, (int, float)):
            raise VerifierError("a number answer needs a numeric value")
        ok, got = number_matches(text, float(value), tolerance)
        checks.append(Check(name="answer", passed=ok, expected=f"{value:g} (within {tolerance:.0%})", actual=got,
                            message="" if ok else ("not one number" if got is None else "outside the tolerance")))
    elif type == "date":
        if not isinstance(value, str):
            raise VerifierError("a date answer needs an ISO date or a year as its value")
        ok, got = date_matches(text, value, int(tolerance))
        checks.append(Check(name="answer", passed=ok, expected=value, actual=got,
                            message="" if ok else ("not one date" if got is None else "another date")))
    elif type == "text":
        if not judge:
            raise VerifierError("a free-form answer needs a pinned judge (verifier args: judge)")
        hit = name_matches(text, [answer, *aliases])
        if hit is not None:
            checks.append(Check(name="judge", passed=True, expected=answer, actual=shown, message=f"matches {hit!r} exactly"))
        else:
            checks.append(_judged(trajectory, text, judge))
    else:
        raise VerifierError(f"unknown answer type {type!r}")
    return checks


def type_name(value: Any) -> str:
    return "nothing" if value is None else type(value).__name__
