"""meeting_scheduling: book K meetings across calendars, time zones, working hours and rooms.

A sandbox database of people (team, role, fixed UTC offset, local working hours), their busy
blocks (stored as UTC timestamps, shown in local time), and rooms (capacity, equipment, existing
bookings in UTC). The task lists meetings (attendees, duration, required equipment) to place in a
window of UTC dates, with precedence pairs, a per-person daily limit on new meeting minutes and,
as difficulty rises, the director rule (a meeting with a director needs a video room). The answer
is a JSON list of {meeting, room, start (UTC ISO)}; ends come from the task's durations, never the
answer.

Nothing is planted (issue 18): `_build` draws a random instance (every person of a pool in the same
number of meetings of two, which the daily limit must split evenly over the days), takes away
places of other schedules until one schedule is left, and the CP-SAT oracle proves it the only one.
The gold solver sees only tools: it intersects each meeting's attendees' free time, then backtracks
over (start, room) on a 15-minute grid; at generation it must find the oracle's schedule.

This package wires the parts: `_build` (schema, name pools, generator), `_search` (the generator's
searches and the oracle's model), `_tools`, `_solve` (gold solver), `_perturb` (controls). Grading is
`synth.verifiers.general.meeting_scheduling`; the calendar arithmetic both sides share is `synth.verifiers.general.rules.meeting_scheduling`.
"""

from __future__ import annotations

from synth import register_category

from .._base import RULES_BLOCK, GeneralCategory
from . import _build
from ._tools import TOOLS


@register_category("general", "meeting_scheduling")
class MeetingScheduling(GeneralCategory):
    name = "meeting_scheduling"
    description = "Schedule meetings across calendars, time zones, working hours and rooms with capacities."
    schema = _build.SCHEMA
    tools = TOOLS
    template = """\
You coordinate meetings for a distributed company. Schedule every meeting below exactly once, \
choosing a room and a start time.

Meetings (id: title; attendees; duration; required room equipment):
{% for m in meetings %}
- {{ m.id }}: {{ m.title }}; {{ m.attendees | join(', ') }}; {{ m.duration }} minutes; \
{{ m.equipment | join(', ') if m.equipment else 'no special equipment' }}
{% endfor %}
""" + RULES_BLOCK
