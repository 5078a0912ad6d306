"""meeting_scheduling gold solver: find a schedule with tool calls only and submit it.

Sits under the category (`__init__`). It sees the task params and a `ToolClient`, nothing else:
no database, no planted schedule. It reads every attendee's calendar and every room's bookings
through the tools, intersects each meeting's attendees' free time into a domain of starts on the
grid, then backtracks over (start, room) with forward checking, trying first the placement that
leaves the other meetings the fewest starts. The search is complete (the last strategy has no node
budget), so a feasible task is always solved. Uses the shared calendar rules,
so its arithmetic is the checker's.
"""

from __future__ import annotations

from typing import Any

from synth import ToolClient
from synth.verifiers.general.rules.meeting_scheduling import GRID, day_of, iso, minutes, overlaps, parse_start

from .._base import answer_text


class Calendar:
    """The world as the tools show it, read once: attendees' offsets, working hours and busy spans,
    rooms and their bookings, and per meeting the static domain (grid starts at which every attendee
    is within working hours, not busy, inside the window, and some suitable room has no booking).
    With `conditional` False the domains ignore the long-meeting and director rules."""

    def __init__(self, client: ToolClient, params: dict[str, Any], conditional: bool = True) -> None:
        self.params = params
        self.meetings = params["meetings"]
        self.by_id = {m["id"]: m for m in self.meetings}
        d0 = day_of(params["window_start"])
        w0, w1 = d0 * 1440, (day_of(params["window_end"]) + 1) * 1440
        attendees = sorted({p for m in self.meetings for p in m["attendees"]})
        roles = {p["name"]: p["role"] for p in client.list_people()}
        offset, work, busy = {}, {}, {}
        for person in attendees:
            calendar = client.get_calendar(person=person)
            offset[person] = calendar["utc_offset_minutes"]
            work[person] = (minutes(calendar["work_start"]), minutes(calendar["work_end"]))
            spans = []
            for b in calendar["busy"]:
                base = day_of(b["date"]) * 1440 - offset[person]
                spans.append((base + minutes(b["start"]), base + minutes(b["end"])))
            busy[person] = spans
        booked_by_room: dict[str, list[tuple[int, int]]] = {}
        for b in client.get_room_bookings()["bookings"]:
            booked_by_room.setdefault(b["room"], []).append((parse_start(b["start"]), parse_start(b["end"])))
        self.rooms = {r["room"]: (r["capacity"], set(r["equipment"]), booked_by_room.get(r["room"], []))
                      for r in client.list_rooms()}
        self.attendees, self.offset = attendees, offset
        long_rule = params["long_meeting"] if conditional else None
        self.buffer = params["buffer_minutes"] or 0
        self.limit = params["max_daily_minutes"]

        # Rooms are picked when a start is placed; the rest is checked by `Schedule.fits`.
        self.domains: dict[str, list[int]] = {}
        self.room_free: dict[str, list[tuple[str, list[tuple[int, int]]]]] = {}
        for m in self.meetings:
            duration = m["duration"]
            end_by = minutes(long_rule["end_by"]) if long_rule and duration >= long_rule["min_duration"] else None
            free = [(w0, w1)]
            for person in m["attendees"]:
                allowed = []
                for day in range(d0 - 1, w1 // 1440 + 1):
                    base = day * 1440 - offset[person]
                    close = work[person][1] if end_by is None else min(work[person][1], end_by)
                    allowed.append((base + work[person][0], base + close))
                free = _subtract(_intersect(free, allowed), busy[person])
            needs_video = conditional and params["director_video"] and any(roles.get(p) == "director" for p in m["attendees"])
            starts: set[int] = set()
            self.room_free[m["id"]] = []
            for r in sorted(self.rooms):
                capacity, equipment, booked = self.rooms[r]
                if capacity < len(m["attendees"]) or not set(m["equipment"]) <= equipment:
                    continue
                if needs_video and "video" not in equipment:
                    continue
                spans = _subtract(free, booked)
                self.room_free[m["id"]].append((r, spans))
                for lo, hi in spans:
                    starts.update(range(-(-lo // GRID) * GRID, hi - duration + 1, GRID))
            self.domains[m["id"]] = sorted(starts)


class Schedule:
    """Meetings placed so far, and whether another placement keeps every rule with them."""

    def __init__(self, cal: Calendar) -> None:
        self.cal = cal
        self.after: dict[str, list[str]] = {i: [] for i in cal.by_id}  # meeting -> meetings that must end before it
        self.before: dict[str, list[str]] = {i: [] for i in cal.by_id}
        for p in cal.params["precedence"]:
            self.after[p["after"]].append(p["before"])
            self.before[p["before"]].append(p["after"])
        self.chosen: dict[str, tuple[int, int, str]] = {}
        self.spans: dict[str, list[tuple[int, int]]] = {p: [] for p in cal.attendees}
        self.room_spans: dict[str, list[tuple[int, int]]] = {r: [] for r in cal.rooms}
        self.load: dict[tuple[str, int], int] = {}
        self.cap = cal.limit if cal.limit is not None else 10**9

    def fits(self, mid: str, start: int) -> bool:
        """Everything but the room: precedence, attendees' other meetings (with buffer), daily limit."""
        m = self.cal.by_id[mid]
        end = start + m["duration"]
        buffer, chosen = self.cal.buffer, self.chosen
        for a in self.after[mid]:
            if a in chosen and start < chosen[a][1]:
                return False
        for b in self.before[mid]:
            if b in chosen and chosen[b][0] < end:
                return False
        for person in m["attendees"]:
            for s, e in self.spans[person]:
                if s < end + buffer and start < e + buffer:
                    return False
            if self.load.get((person, (start + self.cal.offset[person]) // 1440), 0) + m["duration"] > self.cap:
                return False
        return True

    def rooms_for(self, mid: str, start: int) -> list[str]:
        """Suitable rooms free for the whole meeting, in name order."""
        end = start + self.cal.by_id[mid]["duration"]
        return [r for r, free_spans in self.cal.room_free[mid]
                if any(lo <= start and end <= hi for lo, hi in free_spans) and not overlaps(self.room_spans[r], start, end)]

    def place(self, mid: str, start: int, room: str, sign: int) -> None:
        """Place (sign 1) or remove (sign -1) a meeting."""
        m = self.cal.by_id[mid]
        end = start + m["duration"]
        if sign > 0:
            self.chosen[mid] = (start, end, room)
            self.room_spans[room].append((start, end))
        else:
            del self.chosen[mid]
            self.room_spans[room].remove((start, end))
        for person in m["attendees"]:
            key = (person, (start + self.cal.offset[person]) // 1440)
            self.load[key] = self.load.get(key, 0) + sign * m["duration"]
            if sign > 0:
                self.spans[person].append((start, end))
            else:
                self.spans[person].remove((start, end))

    def submit(self, client: ToolClient) -> None:
        """Submit the placed meetings, in the task's order."""
        answer = [{"meeting": m["id"], "room": self.chosen[m["id"]][2], "start": iso(self.chosen[m["id"]][0])}
                  for m in self.cal.meetings if m["id"] in self.chosen]
        client.submit_result(answer_text=answer_text(answer))


def solve(client: ToolClient, params: dict[str, Any]) -> None:
    """Find a schedule satisfying every stated rule through the tools and submit it."""
    cal = Calendar(client, params)
    plan = Schedule(cal)
    by_id, domains, after, before = cal.by_id, dict(cal.domains), plan.after, plan.before
    fits, rooms_for, place = plan.fits, plan.rooms_for, plan.place

    related = {i: [o for o in sorted(by_id) if o != i and (
        set(by_id[i]["attendees"]) & set(by_id[o]["attendees"]) or o in after[i] or o in before[i])]
        for i in by_id}

    room_names = {i: {r for r, _ in cal.room_free[i]} for i in by_id}
    room_related = {i: {o for o in by_id if o != i and room_names[i] & room_names[o]} for i in by_id}

    # Precedence bounds first (earliest end of a 'before' bounds its 'after', and back).
    for _ in range(len(by_id)):
        for p in params["precedence"]:
            a, b = p["before"], p["after"]
            if domains[a] and domains[b]:
                earliest_end = domains[a][0] + by_id[a]["duration"]
                latest_start = domains[b][-1]
                domains[b] = [v for v in domains[b] if v >= earliest_end]
                domains[a] = [v for v in domains[a] if v + by_id[a]["duration"] <= latest_start]
    # Topological order (ties: smaller domain first), earliest starts first, forward checking.
    order: list[str] = []
    while len(order) < len(by_id):
        ready = [i for i in by_id if i not in order and all(a in order for a in after[i])]
        order.append(min(ready, key=lambda i: (len(domains[i]), i)))

    rank = {mid: i for i, mid in enumerate(order)}
    nodes = [0, 0]  # visited, budget (0: none)

    def search(doms: dict[str, list[int]], mrv: bool) -> bool:
        if not doms:
            return True
        nodes[0] += 1
        if nodes[1] and nodes[0] > nodes[1]:
            raise _OutOfBudget
        mid = min(doms, key=(lambda i: (len(doms[i]), rank[i])) if mrv else rank.__getitem__)
        near, near_room = related[mid], room_related[mid]

        def forward(start: int, room: str) -> dict[str, list[int]] | None:
            """The other meetings' starts left once `mid` is placed at (start, room) (placed)."""
            rest = {}
            for o, values in doms.items():
                if o == mid:
                    continue
                if o in near:
                    values = [v for v in values if fits(o, v)]
                if o in near_room and room in room_names[o]:
                    # Only starts overlapping the new booking can have lost their room.
                    lo, hi = start - by_id[o]["duration"], start + by_id[mid]["duration"]
                    values = [v for v in values if not lo < v < hi or rooms_for(o, v)]
                if not values:
                    return None
                rest[o] = values
            return rest

        # fail first: the placement that leaves the others the fewest starts is tried first (a
        # slot that forces its neighbours settles them at once; a decoy leaves them their options)
        tried = []
        for start in doms[mid]:
            if not fits(mid, start):
                continue
            for room in rooms_for(mid, start):
                place(mid, start, room, 1)
                rest = forward(start, room)
                place(mid, start, room, -1)
                if rest is not None:
                    tried.append((sum(len(v) for v in rest.values()), start, room, rest))
        tried.sort(key=lambda t: t[:3])
        for _, start, room, rest in tried:
            place(mid, start, room, 1)
            if search(rest, mrv):
                return True
            place(mid, start, room, -1)
        return False

    # Precedence order first, then smallest domain first; a node budget switches strategy
    # before either thrashes (the last one runs to completion, so the search stays complete).
    for mrv, budget in ((False, 400), (True, 400), (False, 0)):
        nodes[:] = [0, budget]
        try:
            search(dict(domains), mrv)
            break
        except _OutOfBudget:
            for mid in list(plan.chosen):
                place(mid, plan.chosen[mid][0], plan.chosen[mid][2], -1)
    plan.submit(client)


def _intersect(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out = []
    for s1, e1 in a:
        for s2, e2 in b:
            s, e = max(s1, s2), min(e1, e2)
            if s < e:
                out.append((s, e))
    return sorted(out)


def _subtract(spans: list[tuple[int, int]], holes: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out = []
    for s, e in spans:
        pieces = [(s, e)]
        for hs, he in holes:
            nxt = []
            for ps, pe in pieces:
                if he <= ps or pe <= hs:
                    nxt.append((ps, pe))
                    continue
                if ps < hs:
                    nxt.append((ps, hs))
                if he < pe:
                    nxt.append((he, pe))
            pieces = nxt
        out += pieces
    return out


class _OutOfBudget(Exception):
    """The gold search visited more nodes than its current strategy may."""
