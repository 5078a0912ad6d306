"""meeting_scheduling: book K meetings across calendars, time zones, working hours and rooms.

A sandbox database of people (team, role, fixed UTC offset, local working hours), their busy
blocks (stored as UTC timestamps, shown in local time), and rooms (capacity, equipment, existing
bookings in UTC). The task lists meetings (attendees, duration, required equipment) to place in a
window of UTC dates, with precedence pairs, a per-person daily limit on new meeting minutes and,
as difficulty rises, conditional rules: long meetings end early for every attendee, a meeting with
a director needs a video room, a buffer between one person's new meetings. The answer is a JSON
list of {meeting, room, start (UTC ISO)}; ends come from the task's durations, never the answer.

Feasible by construction: the meetings are planted first (start, room, attendees) and every busy
block, room booking and limit is drawn around them. The gold solver sees only tools: it intersects
each meeting's attendees' free time, then backtracks over (start, room) on a 15-minute grid.

This package wires the parts: `_build` (schema, name pools, generator), `_tools`, `_solve` (gold
solver), `_perturb` (controls). Grading is `synth.verifiers.general.meeting_scheduling`; the
calendar arithmetic both sides share is `synth.verifiers.general.rules.meeting_scheduling`.
"""

from __future__ import annotations

from synth import register_category

from .._base import GeneralCategory
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
choosing a room and a start time, so that all of them start and end within the UTC dates \
{{ window_start }} to {{ window_end }} (inclusive).

Meetings (id: title; attendees; duration; required room equipment):
{% for m in meetings %}
- {{ m.id }}: {{ m.title }}; {{ m.attendees | join(', ') }}; {{ m.duration }} minutes; \
{{ m.equipment | join(', ') if m.equipment else 'no special equipment' }}
{% endfor %}

Rules:
- Every attendee must be within their local working hours for the whole meeting, and not busy in \
their calendar at any time during it. Calendars are shown in each person's local time; time zones \
are fixed UTC offsets (no daylight saving).
- Nobody attends two of these meetings at overlapping times.
- The room must seat every attendee, have all the required equipment, and be free: no overlap \
with its existing bookings (listed in UTC) or with another of these meetings.
{% for p in precedence %}
- {{ p.after }} must start no earlier than the end of {{ p.before }}.
{% endfor %}
{% if max_daily_minutes is not none %}
- Nobody may spend more than {{ max_daily_minutes }} minutes in these meetings on any one of \
their local dates.
{% endif %}
{% if long_meeting is not none %}
- A meeting of {{ long_meeting.min_duration }} minutes or longer must end by \
{{ long_meeting.end_by }} local time for every attendee.
{% endif %}
{% if director_video %}
- If any attendee has the role director, the room must have video equipment.
{% endif %}
{% if buffer_minutes %}
- Anyone attending two of these meetings needs at least {{ buffer_minutes }} minutes between \
the end of one and the start of the next.
{% endif %}

Submit a JSON list with one object per meeting: {"meeting": id, "room": room name, "start": UTC \
start as ISO 8601, e.g. "2026-01-05T14:30:00Z"}. The end is the start plus the duration.
"""
