"""trip_planning: the report's canonical general task (DeepSeek-V3.2, section 3.2.3).

A sandbox database of cities, hotels, restaurants, attractions (prices, ratings, opening hours,
indoor or not), inter-city and city transport, and weather by date. The agent plans a multi-day
trip from a start city: one new city a day, reachable from the previous one, no venue twice, every
venue in that day's city and open when it is used, plus conditional budget rules on given days
(if the hotel costs at least X then lunch+dinner under Y and both rated at least Z, ...), a rain
rule, a hotel rating floor and a total budget as difficulty rises. The answer is a JSON list of
{time, city, hotel, afternoon_restaurant, afternoon_attraction, evening_restaurant}.

Generated, then solved (issue 18): nothing is planted; the generator draws a random world and
CP-SAT proves its cheapest plan the only one within the stated budget. The gold solver never sees
that plan and searches through the tools (cheapest valid day per city, then a path of cities within
the budget); at generation it must submit the oracle's plan.

This module only wires the parts: `_build` (schema, name pools, prompt template, generator and its
oracle), `_tools`, `_solve` (gold solver), `_baselines`, `_whitebox` and `_perturb` (null controls). Grading is
`synth.verifiers.general.trip_planning`; the rules all of them share are in
`synth.verifiers.general.rules.trip_planning`.
"""

from __future__ import annotations

from synth import register_category

from .._base import GeneralCategory
from . import _build, _tools


@register_category("general", "trip_planning")
class TripPlanning(GeneralCategory):
    """Multi-day trip planning with conditional budget rules (the report's example)."""

    name = "trip_planning"
    description = "Multi-day trip over a city database with no repeats, opening hours and conditional budget rules."
    template = _build.TEMPLATE
    schema = _build.SCHEMA
    tools = _tools.TOOLS
