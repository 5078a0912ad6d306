"""search.proposal and search.judgment: the format checks of the agentic pipeline's own agents.

The questioner submits a proposal and the verification agent a judgment through submit tools; the
rollout runtime grades every episode with its tuple's verifier, and these two say whether what an
agent submitted is usable (a question and an answer; a yes or no verdict). Whether a proposal
becomes a task is the gate's business, not these checks'.
"""

from __future__ import annotations

from typing import Any

from synth import Check, TupleRecord, register_verifier


@register_verifier("search.proposal")
def search_proposal(record: TupleRecord, submission: Any, run: Any, *, trajectory: Any = None, **_: Any) -> list[Check]:
    data = submission if isinstance(submission, dict) else {}
    question = str(data.get("question") or "").strip()
    answer = str(data.get("answer") or "").strip()
    return [
        Check(name="question", passed=len(question) >= 20, actual=question[:80] or None, message="" if len(question) >= 20 else "no question"),
        Check(name="answer", passed=bool(answer), actual=answer[:80] or None, message="" if answer else "no answer"),
    ]


@register_verifier("search.judgment")
def search_judgment(record: TupleRecord, submission: Any, run: Any, *, trajectory: Any = None, **_: Any) -> list[Check]:
    verdict = submission.get("verdict") if isinstance(submission, dict) else None
    ok = verdict in ("yes", "no")
    return [Check(name="verdict", passed=ok, expected="yes or no", actual=verdict, message="" if ok else "no verdict")]
