"""Strict JSON: what `json.loads` lets through and a grader must not, each refused with the name of
the limit it breaks (a SubmissionError, which grading turns into a failing check)."""

from __future__ import annotations

import json

import pytest

from synth import JsonLimits, SubmissionError, strict_loads


def refused(text: str, limits: JsonLimits = JsonLimits()) -> str:
    with pytest.raises(SubmissionError) as info:
        strict_loads(text, limits)
    return info.value.check


def test_ordinary_json_reads_as_json_does():
    text = '[{"a": "x", "b": [1, 2.5, -3e2, true, null]}, "\\u00e9\\ud83d\\ude00"]'
    assert strict_loads(text) == json.loads(text)


def test_exploit_a_repeated_key_is_refused_not_last_one_wins():
    assert json.loads('{"hotel": "Invented", "hotel": "Real"}') == {"hotel": "Real"}
    assert refused('{"hotel": "Invented", "hotel": "Real"}') == "format.keys"
    assert refused('[{"a": 1}, {"b": {"c": 1, "c": 1}}]') == "format.keys"


def test_exploit_an_integer_past_python_conversion_limit_is_refused_not_a_crash():
    with pytest.raises(ValueError, match="integer string conversion"):
        json.loads("1" + "0" * 5000)
    assert refused("1" + "0" * 5000) == "format.numbers"
    assert refused('{"qty": 1' + "0" * 15 + "}") == "format.numbers"
    assert strict_loads('{"qty": 1' + "0" * 14 + "}") == {"qty": 10**14}


def test_exploit_non_finite_numbers_are_refused():
    for text in ("NaN", "[Infinity]", '{"x": -Infinity}', "1e400", "-1e999"):
        assert refused(text) == "format.numbers", text


def test_exploit_deep_nesting_is_refused_not_a_recursion_error():
    assert refused("[" * 10_000 + "]" * 10_000) == "format.depth"
    assert refused("[" * 9 + "]" * 9) == "format.depth"
    assert strict_loads("[" * 8 + "]" * 8) == [[[[[[[[]]]]]]]]
    assert refused('{"a": ' * 9 + "1" + "}" * 9) == "format.depth"


def test_exploit_lone_surrogates_escaped_or_raw_are_refused():
    assert refused('"\\ud800"') == "format.text"
    assert refused('{"\\udfff": 1}') == "format.text"
    assert refused('["ok", "\\ud83d"]') == "format.text"
    assert refused('"\ud800"') == "format.text"
    assert strict_loads('"\\ud83d\\ude00"') == "\U0001f600"


def test_exploit_a_huge_text_is_refused_before_it_is_parsed():
    assert refused(" " * 20_001 + "1") == "format.size"
    assert refused("[1]", JsonLimits(chars=2)) == "format.size"


def test_text_that_is_not_json_names_the_position():
    with pytest.raises(SubmissionError) as info:
        strict_loads('[{"a": 1,}]')
    assert info.value.check == "format" and "position" in str(info.value)


@pytest.mark.parametrize("text", ["[1٢]", "[١]", "[１２]", "[1.٥]", "[1e٢]"])
def test_exploit_non_ascii_digits_in_a_number_are_not_read_as_a_number(text, monkeypatch):
    """JSON numbers are ASCII digits only. CPython's C scanner agrees, but the pure-Python one
    (`json.scanner.py_make_scanner`, used where `_json` is missing) matches numbers with `\\d`,
    which takes any Unicode digit, and int()/float() then read "1٢" as 12."""
    assert refused(text) == "format"
    monkeypatch.setattr(json.scanner, "make_scanner", json.scanner.py_make_scanner)
    assert refused(text) in {"format", "format.numbers"}
    assert strict_loads("[12, 1.5, 1e2]") == [12, 1.5, 100.0]
