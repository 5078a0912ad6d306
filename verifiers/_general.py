"""general.constraints: grade a general-family answer against the environment's database.

Grading is a pure function of the stored tuple (its database asset and task params) and the
submission text, so any trajectory can be regraded offline. One check per constraint.
"""

from __future__ import annotations

from typing import Any

from synth import Check, Run, TupleRecord, register_verifier
from synth import category as find_category
from synth.environments.general import stored_db


@register_verifier("general.constraints")
def general_constraints(
    record: TupleRecord, submission: Any, run: Run, *, category: str, trajectory: Any = None
) -> list[Check]:
    cat = find_category("general", category)
    return cat.verify(stored_db(run, record.environment.state["db"]), record.task.metadata, submission)

