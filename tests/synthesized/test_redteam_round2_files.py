"""Round 2 of the red team (tests/synthesized/redteam_round2.py), the scenarios the gate's file
checks reject before anything runs (`redteam_round2.STATIC`: rules hidden in task.md's text, and
reflection by name through `operator`: methodcaller/attrgetter on guards, dunders, execute), so
without Docker: `_files.problems()` is the gate's first stage and its first line is the rejection
reason (`level 1: <line>`)."""

from __future__ import annotations

import pytest

from synth.environments.synthesized._files import problems

from . import redteam_round2 as r2


@pytest.mark.parametrize("name", r2.STATIC)
def test_the_flaw_is_rejected_before_anything_runs_and_named(name):
    flaw, _ = r2.SCENARIOS[name]
    found = problems(r2.files_of(name))
    assert found and f"[{flaw}]" in found[0], found


def test_the_sound_hotel_levels_pass_the_file_checks():
    import agent_script as script

    assert problems(script.LEVEL1) == [] and problems(script.LEVEL2) == []


@pytest.mark.parametrize("task, rules, left", [
    ("Pick a hotel. Answer with JSON: {\"name\": NAME}.", {"Pick a hotel": "name"}, None),
    ("Pick a hotel for a night and make sure it has a pool. Answer with JSON: {\"name\": NAME}.", {"Pick a hotel": "name"}, "pool"),
    ("Pick a hotel; cats are welcome. Answer with JSON: {\"name\": NAME}.", {"Pick a hotel": "name"}, "cats"),
    ("Pick a hotel. Cats are welcome.", {"Pick a hotel": "name", "Cats are welcome": "context"}, None),
    ("Pick a hotel. Reply in JSON, pets allowed: {\"name\": NAME}", {"Pick a hotel": "name"}, "pets"),
    ("Pick a hotel\u00adnow.", {"Pick a hotel": "name"}, "invisible"),
    ("Pick a ｈｏｔｅｌ.", {"Pick a hotel": "name"}, None),  # NFKC: full-width letters are the same words
])
def test_every_sentence_but_the_answer_format_is_a_requirement(task, rules, left):
    from synth.environments.synthesized._proof import rule_failures

    found = rule_failures(task, rules)
    assert (left is None and found == []) or (left is not None and found and left in found[0]), found


def test_invisible_characters_in_rules_json_are_refused():
    from synth.environments.synthesized._proof import read_rules

    assert "invisible" in (read_rules('{"Pick a ho\u200btel": "name"}')[1] or "")


@pytest.mark.parametrize("source, flaw", [
    ("import operator\nf = operator.attrgetter(name)\n", "forbidden code"),
    ("from operator import methodcaller as m\nm('set_authorizer', None)\n", "sandbox violation"),
    ("import operator\noperator.itemgetter('__globals__')\n", "forbidden code"),
    ("import operator\noperator.attrgetter('a.__class__')\n", "forbidden code"),
    ("import time, operator\noperator.attrgetter('monotonic')(time)\n", "clock or entropy"),
    ("import zipfile\n", "forbidden code"),
    ("from operator import methodcaller as m\nm(name)(db)\n", "forbidden code"),
    ("import operator\nm = operator.methodcaller\nm(name)(db)\n", "forbidden code"),  # the import allowlist
])
def test_reflection_by_name_is_refused(source, flaw):
    from synth.environments.synthesized._static import static_problems

    found = static_problems("verify.py", source, sql=True)
    assert found and f"[{flaw}]" in found[0], found


def test_plain_operator_use_and_allowed_imports_pass():
    from synth.environments.synthesized._static import static_problems

    source = "import json, math, operator\nfrom collections import Counter\nkey = operator.itemgetter('price')\n"
    assert static_problems("verify.py", source, sql=True) == []


def test_the_exhaustive_baseline_varies_optional_arguments_small_integers_and_reads_errors():
    from synth.environments.synthesized._files import remote_tool, signatures
    from synth.environments.synthesized._proof import error_values, exploration_rounds, stated_values

    tools = {s.name: s for name in ("leak behind an optional argument", "leak behind an argument value no result shows")
             for s in signatures(r2.files_of(name)["tools.py"])}.values()
    specs = [remote_tool(s).spec for s in tools]
    calls = exploration_rounds(specs, [*stated_values("Book in Rome and Oslo."), (None, "Rome"), (None, "Oslo")], set())
    assert {"name": "suggest_booking", "arguments": {"confirm": True}} in calls
    assert {"name": "quote_trip", "arguments": {"first_city": "Rome", "second_city": "Oslo", "nights": 1}} in calls
    assert error_values('cannot be booked; instead: {"Rome": "A", "Oslo": "B"}') == [{"Rome": "A", "Oslo": "B"}]


def test_a_string_only_echoed_and_a_sum_by_coincidence_ground_nothing():
    from synth.environments.synthesized._proof import grounding_failures

    rome = [{"name": "Pensione Tevere", "price": 90, "rating": 4.1}, {"name": "Hotel Colosseo", "price": 180, "rating": 4.5}]
    oslo = [{"name": "Nordlys", "price": 120, "rating": 4.0}, {"name": "Fjord Inn", "price": 150, "rating": 4.3}]
    pair = {"Rome": "Pensione Tevere", "Oslo": "Nordlys"}
    assert grounding_failures({**pair, "total": 210}, [rome, oslo], [], []) == []  # the pair's prices
    assert "total = 270" in grounding_failures({**pair, "total": 270}, [rome, oslo], [], [])[0]  # 90 + 180: another hotel's
    echoed = grounding_failures({"Rome": "Villa Segreta"}, [{"hotel": "Villa Segreta", "available": True}], [], [],
                                [{"hotel": "Villa Segreta"}])
    assert echoed and "Villa Segreta" in echoed[0]
    assert grounding_failures(pair, [rome, oslo], [], [], [{"city": "Rome"}, {"city": "Oslo"}]) == []
