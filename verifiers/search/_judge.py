"""The stored verdict of the optional rubric-based model judge (free-form answers).

Sits between execution and grading: the search family calls the judge model when a submission is
executed (`Environment.finalize`, or `Family.evaluate` for a control) and stores one `JudgeVerdict`
with the trajectory (extra["artifacts"]["judge"]); `search.answer` reads it back. Grading never
calls a model, so `synth verify --regrade` is offline and a run's verdicts do not depend on when it
was regraded. A verdict counts only for the very submission, rubric and judge model it records.
"""

from __future__ import annotations

import hashlib

from pydantic import BaseModel, ConfigDict

from synth import register_record


def submission_digest(submission: str) -> str:
    """sha256 of the submission text the judge saw."""
    return hashlib.sha256(submission.encode("utf-8")).hexdigest()


@register_record
class JudgeVerdict(BaseModel):
    """What the judge model said about one submission (stored with its trajectory)."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    judge_model: str
    """Model name of the judge (pinned in the tuple's verifier args)."""
    rubric: str
    """The rubric the judge applied, verbatim."""
    submission_sha256: str
    """sha256 of the submission judged; a verdict of another submission does not count."""
    correct: bool
    """The judge's decision."""
    reasoning: str = ""
    """The judge's stated reasons (capped)."""
    raw: str = ""
    """The judge's raw reply (capped), for audit."""
