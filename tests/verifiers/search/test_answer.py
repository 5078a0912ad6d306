"""search.answer: the matching rules, and the adversary's attempts on them, one test each.
Grading only: tuples are built by hand, no corpus and no model."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

import synth
from synth import EnvironmentSpec, TaskSpec, TupleRecord, VerifierSpec
from synth.verifiers.search import JudgeVerdict, parse_date, parse_number, submission_digest


def record(**args: Any) -> TupleRecord:
    env = EnvironmentSpec(family="search", category="hand", seed=0, index=0, difficulty=1)
    task = TaskSpec(family="search", category="hand", environment_key=env.key, prompt="Which country ...?")
    return TupleRecord.build(env, task, VerifierSpec(name="search.answer", args=args))


KENYA = record(answer="Kenya", aliases=["Republic of Kenya"], type="entity")
POPULATION = record(answer="55,751,717", type="number", value=55751717.0, tolerance=0.01)
INDEPENDENCE = record(answer="12 December 1963", type="date", value="1963-12-12", tolerance=0)


def failing(rec: TupleRecord, submission: Any, trajectory: Any = None) -> set[str]:
    verdict = synth.grade(rec, submission, None, trajectory)
    assert verdict.status in ("pass", "fail"), verdict.error
    return {c.name for c in verdict.checks if not c.passed}


@pytest.mark.parametrize("answer", ["Kenya", "kenya", "  KENYA. ", '"Kenya"', "Republic of Kenya", "the Republic of Kenya"])
def test_names_match_normalized_with_aliases(answer: str) -> None:
    assert failing(KENYA, answer) == set()


def test_accents_and_punctuation_do_not_matter() -> None:
    rec = record(answer="Côte d'Ivoire", aliases=[], type="entity")
    assert failing(rec, "Cote d Ivoire") == set() and failing(rec, "côte d’ivoire") == set()


@pytest.mark.parametrize("answer", ["Tanzania", "Kenya or Tanzania", "Kenya, Tanzania", "Kenyan", "Republic", "The answer is Kenya and Uganda"])
def test_other_names_hedges_and_lists_fail(answer: str) -> None:
    assert failing(KENYA, answer) == {"answer"}


def test_exploit_empty_and_whitespace_answers_fail_the_format_check() -> None:
    assert failing(KENYA, "") == {"answer_format", "answer"}
    assert failing(KENYA, "   \n") == {"answer_format", "answer"}


def test_exploit_pasting_a_page_of_candidates_fails_the_format_check() -> None:
    page = " ".join(["Kenya"] * 100)
    assert "answer_format" in failing(KENYA, page)


def test_exploit_non_string_submissions_fail_cleanly() -> None:
    for submission in (None, 42, ["Kenya"], {"answer": "Kenya"}):
        assert "answer_format" in failing(KENYA, submission)


@pytest.mark.parametrize("answer", ["55,751,717", "55751717", "55.75 million", "about 55.8 million", "55,751,717 people",
                                    "55,751,717 (2025 est.)", "55.4 million"])
def test_numbers_within_the_relative_tolerance_pass(answer: str) -> None:
    assert failing(POPULATION, answer) == set(), parse_number(answer)


@pytest.mark.parametrize("answer", ["57 million", "50,000,000", "5,575,171"])
def test_numbers_outside_the_tolerance_fail(answer: str) -> None:
    assert failing(POPULATION, answer) == {"answer"}


@pytest.mark.parametrize("answer", ["55,751,717 or 60,000,000", "between 50 and 60 million", "55,751,717 and 1", "population 55751717",
                                    "55751717 dogs", "1e999"])
def test_exploit_a_hedge_or_a_sentence_around_a_number_is_not_a_number(answer: str) -> None:
    assert failing(POPULATION, answer) == {"answer"}


@pytest.mark.parametrize("answer", ["12 December 1963", "1963-12-12", "December 12, 1963", "12th Dec 1963", "Dec. 12 1963"])
def test_dates_in_several_formats_pass(answer: str) -> None:
    assert failing(INDEPENDENCE, answer) == set(), parse_date(answer)


@pytest.mark.parametrize("answer", ["13 December 1963", "12 December 1964", "1963", "December 1963", "12 December 1963 or 1 June 1963",
                                    "31 February 1963"])
def test_other_dates_a_bare_year_and_hedges_fail_a_day_precision_answer(answer: str) -> None:
    assert failing(INDEPENDENCE, answer) == {"answer"}


def test_year_precision_answers_accept_the_year_or_a_day_in_it() -> None:
    rec = record(answer="1963", type="date", value="1963", tolerance=0)
    assert failing(rec, "1963") == set() and failing(rec, "12 December 1963") == set()
    assert failing(rec, "1964") == {"answer"}


# -- the judge of free-form answers -------------------------------------------------------------------
JUDGE = {"model": "judge-m", "rubric": "Correct when it names the Ostra river.", "base_url": "http://127.0.0.1:9/v1"}
FREE = record(answer="the Ostra river", aliases=[], type="text", judge=JUDGE)


def judged(submission: str, correct: bool, **changes: Any) -> SimpleNamespace:
    verdict = JudgeVerdict(judge_model=JUDGE["model"], rubric=JUDGE["rubric"], submission_sha256=submission_digest(submission),
                           correct=correct, reasoning="because")
    return SimpleNamespace(extra={"artifacts": {"judge": verdict.model_copy(update=changes).model_dump(mode="json")}})


def test_a_free_form_answer_passes_on_the_stored_verdict_of_the_pinned_judge() -> None:
    answer = "It is the river Ostra."
    assert failing(FREE, answer, judged(answer, True)) == set()
    assert failing(FREE, answer, judged(answer, False)) == {"judge"}


def test_exploit_a_stored_verdict_of_another_submission_does_not_count() -> None:
    assert failing(FREE, "the Kelby canal", judged("It is the river Ostra.", True)) == {"judge"}


def test_exploit_a_verdict_by_another_judge_or_rubric_does_not_count() -> None:
    answer = "It is the river Ostra."
    assert failing(FREE, answer, judged(answer, True, judge_model="lenient-judge")) == {"judge"}
    assert failing(FREE, answer, judged(answer, True, rubric="Anything goes.")) == {"judge"}


def test_no_stored_judge_verdict_is_an_error_never_a_pass_or_a_fail() -> None:
    verdict = synth.grade(FREE, "It is the river Ostra.", None, None)
    assert verdict.status == "error" and "judge" in verdict.error


def test_a_verifier_without_its_stored_arguments_is_an_error() -> None:
    assert synth.grade(record(answer="5", type="number"), "5", None).status == "error"
