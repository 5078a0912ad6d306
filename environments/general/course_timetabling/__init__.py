"""course_timetabling: place every session of a term's courses into a weekly grid of slots and rooms.

A sandbox database of slots (day, period, times), student groups (size), teachers (with slots they
cannot teach), rooms (capacity, kind: lecture, lab or seminar, with slots already booked), and
courses (term, teacher, enrolled groups, sessions per week, the room kind they need). The task
names the term's courses; the answer is a JSON list of {course, slot, room}, one per session.
Constraints: every session exactly once, no teacher, group or room double booking, room free,
capacity >= enrolled students, right room kind, teacher available, a per-group daily limit; as
difficulty rises: sessions of one course on different days, a per-teacher daily limit, and a rest
rule (whoever teaches the last period of a day does not teach the first period of the next).

This module wires the parts: the generator with its planted timetable (`_build`), the tools
(`_tools`), the tools-only gold solver (`_solve`) and the perturbations (`_perturb`). Grading lives
in `synth.verifiers.general.course_timetabling`; the rules both sides share in
`synth.verifiers.general.rules.course_timetabling`.
"""

from __future__ import annotations

from synth import register_category

from .._base import GeneralCategory
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
{{ courses | join(', ') }}. A course with n sessions per week needs n entries.

Rules:
- No teacher, student group or room is in two places in the same slot.
- A room already booked in a slot cannot be used in it.
- The room must be of the kind the course requires and seat all students of its enrolled groups.
- A teacher only teaches in slots where they are available.
- No student group has more than {{ max_group_daily }} sessions on one day.
{% if spread %}
- Sessions of the same course fall on different days.
{% endif %}
{% if teacher_daily_max is not none %}
- No teacher teaches more than {{ teacher_daily_max }} sessions on one day.
{% endif %}
{% if rest_rule %}
- A teacher who teaches in the last period of a day does not teach in the first period of the \
next day.
{% endif %}

Submit a JSON list with one object per session: {"course": id, "slot": slot id, "room": room name}.
"""
    tools = TOOLS
