"""interpreter.answer as an adversary sees it: every wrong answer a lax comparison would accept is a
test named after the trick. Grading is a pure function of the stored answer and the submission."""

from __future__ import annotations

import json
import math

import pytest

from synth import Check, EnvironmentSpec, TaskSpec, TupleRecord, VerifierSpec, grade
from synth.verifiers.interpreter import MAX_ITEMS, Answer


def failing(answer: Answer, submission) -> set[str]:
    return {c.name for c in answer.checks(submission) if not c.passed}


def passes(answer: Answer, submission) -> bool:
    checks = answer.checks(submission)
    return bool(checks) and all(c.passed for c in checks)


NUMBER = Answer(type="number", value=2.5, rel_tol=1e-3, abs_tol=0.0)
INTEGER = Answer(type="integer", value=42)


def record(answer: dict) -> TupleRecord:
    env = EnvironmentSpec(family="interpreter", category="math", seed=0, index=0, difficulty=1)
    task = TaskSpec(family="interpreter", category="math", environment_key=env.key, prompt="q")
    return TupleRecord.build(env, task, VerifierSpec(name="interpreter.answer", args={"answer": answer}))


# -- numbers ----------------------------------------------------------------------------------------
def test_a_number_within_the_tolerance_passes_and_one_beyond_fails() -> None:
    allowed = 2.5e-3
    assert passes(NUMBER, 2.5 + allowed)  # the boundary itself is inside
    assert passes(NUMBER, 2.5 - allowed)
    assert failing(NUMBER, 2.5 + allowed * 1.001) == {"value"}
    assert failing(NUMBER, 2.5 - allowed * 1.001) == {"value"}


def test_tolerance_is_the_larger_of_relative_and_absolute() -> None:
    near_zero = Answer(type="number", value=0.0, rel_tol=1e-6, abs_tol=1e-9)
    assert passes(near_zero, 5e-10) and not passes(near_zero, 2e-9)
    big = Answer(type="number", value=1e6, rel_tol=1e-6, abs_tol=1e-9)
    assert passes(big, 1e6 + 0.9) and not passes(big, 1e6 + 1.1)


def test_exact_tolerance_accepts_only_the_same_float() -> None:
    exact = Answer(type="number", value=0.1, rel_tol=0, abs_tol=0)
    assert passes(exact, 0.1)
    assert not passes(exact, math.nextafter(0.1, 1.0))


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_nan_and_infinities_are_never_an_answer(value: float) -> None:
    wide = Answer(type="number", value=1.0, rel_tol=1.0, abs_tol=1e300)
    assert {"finite", "value"} <= failing(wide, value)


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-Infinity", "1e999", "[NaN]"])
def test_nan_and_infinity_spelled_as_json_text_are_refused(text: str) -> None:
    wide = Answer(type="number", value=1.0, rel_tol=1.0, abs_tol=1e300)
    assert not passes(wide, text)


def test_huge_integer_is_compared_exactly_without_overflow() -> None:
    assert failing(NUMBER, 10 ** 400) == {"value"}
    assert failing(Answer(type="number", value=1e308, rel_tol=1.0, abs_tol=0), -(10 ** 400)) == {"value"}


def test_an_integer_with_too_many_digits_in_json_text_is_a_type_failure_not_a_crash() -> None:
    assert "answer_type" in failing(INTEGER, "4" * 5000)


@pytest.mark.parametrize("trick", [True, False, None, [2.5], {"answer": 2.5}, "", "2.5 units", "0x2.8p0", "2,5",
                                   "two and a half", "2.5.0", "'2.5'", "2_5"])
def test_things_that_are_not_a_json_number_fail_the_type_check(trick) -> None:
    assert "answer_type" in failing(NUMBER, trick)


def test_a_number_quoted_as_json_text_is_the_same_number() -> None:
    # a model that quotes its JSON, or replies with the bare value instead of calling submit
    assert passes(NUMBER, "2.5") and passes(NUMBER, " 2.5\n")
    assert failing(NUMBER, "2.6") == {"value"}


def test_a_bool_is_not_an_integer_even_though_python_says_so() -> None:
    one = Answer(type="integer", value=1)
    assert "answer_type" in failing(one, True)


def test_integer_answers_are_exact() -> None:
    assert passes(INTEGER, 42) and passes(INTEGER, 42.0) and passes(INTEGER, "42")
    assert failing(INTEGER, 43) == {"value"}
    assert "answer_type" in failing(INTEGER, 42.5)
    assert "answer_type" in failing(INTEGER, "42.5")
    big = Answer(type="integer", value=2 ** 64 + 1)
    assert not passes(big, float(2 ** 64 + 1))  # a float cannot hold it: 2**64 is another number


# -- sets, lists and tables -------------------------------------------------------------------------
SET = Answer(type="string_set", value=["Oslo", "Graz", "Cork"])


def test_a_string_set_ignores_order_case_spacing_and_repeats() -> None:
    assert passes(SET, ["cork", " GRAZ ", "oslo", "Oslo"])
    assert passes(SET, "[\"Cork\", \"Graz\", \"Oslo\"]")


def test_a_string_set_with_a_member_missing_or_extra_fails() -> None:
    assert failing(SET, ["Oslo", "Graz"]) == {"members"}
    assert failing(SET, ["Oslo", "Graz", "Cork", "Faro"]) == {"members"}


def test_submitting_every_name_does_not_cover_the_set() -> None:
    assert failing(SET, ["Oslo", "Graz", "Cork"] + [f"city{i}" for i in range(1000)]) == {"members"}


def test_fullwidth_letters_are_the_same_string() -> None:
    assert passes(SET, ["\uff2f\uff53\uff4c\uff4f", "Graz", "Cork"])  # Ｏｓｌｏ


def test_case_sensitive_sets_keep_case() -> None:
    exact = Answer(type="string_set", value=["Oslo"], case_sensitive=True)
    assert failing(exact, ["oslo"]) == {"members"}


def test_a_string_is_not_a_set_of_its_characters() -> None:
    letters = Answer(type="string_set", value=["a", "b"])
    assert "answer_type" in failing(letters, "ab")


def test_a_list_is_ordered() -> None:
    ranking = Answer(type="list", value=["Ada", "Bo", "Cy"])
    assert passes(ranking, ["ada", "bo", "cy"])
    assert failing(ranking, ["Bo", "Ada", "Cy"]) == {"items"}
    assert failing(ranking, ["Ada", "Bo"]) == {"length", "items"}


def test_numbers_inside_a_list_use_the_tolerance_and_integers_stay_exact() -> None:
    mixed = Answer(type="list", value=[1.0, 2, "x"], rel_tol=1e-3, abs_tol=0)
    assert passes(mixed, [1.0005, 2, "X"])
    assert failing(mixed, [1.0, 2.0005, "x"]) == {"items"}
    assert failing(mixed, ["1.0", 2, "x"]) == {"items"}  # a string is not a number inside a list


def test_a_table_compares_shape_then_cells() -> None:
    table = Answer(type="table", value=[["audio", 2.5], ["books", 1.0]], rel_tol=1e-6, abs_tol=0)
    assert passes(table, [["AUDIO", 2.5], ["books", 1.0]])
    assert failing(table, [["audio", 2.5]]) == {"shape", "cells"}
    assert failing(table, [["audio", 2.5], ["books", 1.1]]) == {"cells"}
    assert failing(table, [["audio", 2.5, 0], ["books", 1.0]]) == {"shape", "cells"}
    assert "answer_type" in failing(table, [{"category": "audio", "median": 2.5}])


def test_an_oversized_answer_fails_without_being_compared() -> None:
    assert "answer_type" in failing(SET, ["x"] * (MAX_ITEMS + 1))


def test_objects_and_booleans_inside_a_list_are_not_items() -> None:
    ranking = Answer(type="list", value=[1, 0])
    assert "answer_type" in failing(ranking, [True, False])
    assert "answer_type" in failing(ranking, [{"a": 1}, 0])


# -- the stored answer ------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", [
    {"type": "number", "value": "12"},
    {"type": "number", "value": 1.0, "rel_tol": -1},
    {"type": "float", "value": 1.0},
    {"type": "string_set", "value": ["a", "A"]},
    {"type": "table", "value": [1, 2]},
])
def test_an_answer_that_does_not_fit_its_type_cannot_be_built(bad: dict) -> None:
    with pytest.raises(ValueError):
        Answer.model_validate(bad)


def test_a_malformed_stored_answer_is_a_verifier_error_never_a_fail() -> None:
    verdict = grade(record({"type": "number", "value": "twelve"}), 12, None)
    assert verdict.status == "error" and "malformed stored answer" in (verdict.error or "")


def test_grading_through_the_registry_gives_one_check_per_comparison() -> None:
    verdict = grade(record({"type": "list", "value": [1, 2, 3]}), [1, 2, 4], None)
    assert verdict.status == "fail" and [c.name for c in verdict.checks] == ["answer_type", "length", "items"]
    assert all(isinstance(c, Check) for c in verdict.checks)
    assert grade(record({"type": "list", "value": [1, 2, 3]}), [1, 2, 3], None).status == "pass"


def test_checks_serialize_even_for_nan_submissions() -> None:
    checks = NUMBER.checks(float("nan"))
    json.loads(json.dumps([c.model_dump(mode="json") for c in checks], allow_nan=False))
