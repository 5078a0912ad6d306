"""The record contract: content keys, tamper detection, schema versions, verdict rules."""

import pytest
from pydantic import ValidationError

from synth import (
    Check,
    EnvironmentSpec,
    TaskSpec,
    ToolSpec,
    TupleRecord,
    Verdict,
    VerifierSpec,
    canonical_json,
    content_key,
)


def _tuple(prompt: str = "do it") -> TupleRecord:
    env = EnvironmentSpec(family="general", category="c", seed=1, index=2, difficulty=3,
                          tools=[ToolSpec(name="t", description="d", parameters={"type": "object"})])
    task = TaskSpec(family="general", category="c", environment_key=env.key, prompt=prompt)
    return TupleRecord.build(env, task, VerifierSpec(name="v", args={"category": "c"}))


def test_canonical_json_is_order_independent_and_keeps_unicode():
    assert canonical_json({"b": 1, "a": "é"}) == '{"a":"é","b":1}'
    assert content_key({"a": 1, "b": 2}) == content_key({"b": 2, "a": 1})


def test_task_key_is_content_addressed_and_covers_the_environment():
    a, b = _tuple(), _tuple()
    assert a.key == b.key and len(a.key) == 64
    assert _tuple("other prompt").key != a.key
    env2 = a.environment.model_copy(update={"seed": 9, "key": ""})
    env2 = EnvironmentSpec.model_validate(env2.model_dump(exclude={"key"}))
    task2 = TaskSpec(family="general", category="c", environment_key=env2.key, prompt="do it")
    assert task2.key != a.task.key


def test_record_round_trips_through_json():
    record = _tuple()
    again = TupleRecord.model_validate_json(record.model_dump_json())
    assert again == record


def test_a_tampered_record_is_rejected_on_load():
    data = _tuple().model_dump(mode="json")
    data["task"]["prompt"] = "something else"
    with pytest.raises(ValidationError, match="does not match"):
        TupleRecord.model_validate(data)


def test_unknown_fields_and_future_schema_versions_are_rejected():
    data = _tuple().model_dump(mode="json")
    with pytest.raises(ValidationError):
        TupleRecord.model_validate({**data, "surprise": 1})
    with pytest.raises(ValidationError, match="schema_version 99"):
        TupleRecord.model_validate({**data, "schema_version": 99})


def test_frozen_records_cannot_be_mutated():
    record = _tuple()
    with pytest.raises(ValidationError):
        record.task.prompt = "x"  # type: ignore[misc]


def test_verdict_from_checks():
    ok = Verdict.from_checks([Check(name="a", passed=True)])
    assert (ok.status, ok.reward) == ("pass", 1.0)
    bad = Verdict.from_checks([Check(name="a", passed=True), Check(name="b", passed=False, message="m")])
    assert (bad.status, bad.reward, bad.first_failure()) == ("fail", 0.0, "b: m")
    empty = Verdict.from_checks([])
    assert empty.status == "error"


def test_a_crashed_verifier_is_an_error_not_a_plain_zero():
    verdict = Verdict.crashed("boom")
    assert verdict.status == "error" and verdict.error == "boom"
