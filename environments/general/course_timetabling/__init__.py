"""course_timetabling: place every session of a term's courses into a weekly grid of slots and rooms.

A sandbox database of slots (day, period, times), student groups (size), teachers (with slots they
cannot teach), rooms (capacity, kind: lecture, lab or seminar, with slots already booked), and
courses (term, teacher, enrolled groups, sessions per week, the room kind they need). The task
names the term's courses; the answer is a JSON list of {course, slot, room}, one per session.
Constraints: every session exactly once, no teacher, group or room double booking, room free,
capacity >= enrolled students, right room kind, teacher available, a per-group daily limit; as
difficulty rises: sessions of one course on different days, a per-teacher daily limit, and a rest
rule (whoever teaches the last period of a day does not teach the first period of the next).

This module wires the parts: the generator (`_build`: a random school, and a CP-SAT oracle that
proves its timetable the only one), the tools
(`_tools`), the tools-only gold solver (`_solve`) and the perturbations (`_perturb`). Grading lives
in `synth.verifiers.general.course_timetabling`; the rules both sides share in
`synth.verifiers.general.rules.course_timetabling`.
"""

from __future__ import annotations

from synth import register_category

from .._base import RULES_BLOCK, GeneralCategory
from ._build import SCHEMA
from ._tools import TOOLS


@register_category("general", "course_timetabling")
class CourseTimetabling(GeneralCategory):
    name = "course_timetabling"
    schema = SCHEMA
    """The sandbox database's CREATE statements (for hand-built databases in tests and docs)."""
    description = "Timetable a term's courses into slots and rooms: teachers, groups, rooms, capacities, limits."
    template = """\
Build the weekly timetable for the {{ term }} term. Schedule every session of these courses: \
{{ courses | join(', ') }}.
""" + RULES_BLOCK
    tools = TOOLS
