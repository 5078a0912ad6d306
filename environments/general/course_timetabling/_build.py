"""course_timetabling's generator: a random school, then a complete solver finds its one timetable.

Sits under the category (`__init__`) and over the shared rules, the oracle (`.._oracle`, OR-Tools
CP-SAT) and the core. `build` is a pure function of (rng, difficulty). Nothing is planted (issue
18): the school (slots, student groups and sizes, teachers, rooms, courses enrolling random groups,
a teacher often teaching two courses, in rooms of different kinds) and each teacher's availability
and each room's bookings are drawn at random. (Two courses of one teacher in rooms of one kind could
trade places, and no unavailability or booking tells those two timetables apart: such schools were
most of the draws that never reached a unique timetable.) Then:

- The oracle is a CP-SAT model of the checker's rules over y[course][slot][room] (a course's
  sessions are interchangeable, so a timetable is the set of (slot, room) its sessions take): every
  session once, no room, teacher or group twice in a slot, the group and teacher daily limits, the
  spread and rest rules. It finds a timetable, or the school is drawn again.
- Until that timetable is the only one: a random unavailability (a teacher of the term, a slot) or
  booking (a room, a slot) is drawn, half of them anywhere and half over a place of another
  timetable than the oracle's current one (`AIM`: every timetable as likely as the oracle's to be
  the other), and kept if some timetable survives it and every course keeps `Level.min_slots`
  slots of its own beyond its sessions (so uniqueness comes from the rules between courses, not
  from a course with nowhere else to go); when it takes a place of the oracle's timetable, it is
  kept only if that session moves alone to another place (the new timetable; no solve). The other
  timetable each draw aims at is first looked for without the solver (one session moved alone to
  another slot or room), then by CP-SAT (several courses moving together). A school where `REFUSED`
  draws in a row are refused is drawn again.
- From difficulty 3 the school is kept only where search is needed: `Level.rollouts` agents that
  place the most constrained session first (ties at random) at a place keeping every rule and
  leaving every other session a place (forward checking and one step of look-ahead, no
  backtracking) must all fail; a third try places in week order, a third in reverse week order,
  the rest at random. (Random choices without the look-ahead let a most-constrained-first agent
  with look-ahead solve 5-10% at d3; random places only, with look-ahead, left it 10% in week
  order.)

The answer is the oracle's timetable, never stored: the tool-only gold solver must find it at
generation (`_family._gold_finds`). The oracle's effort (solves, CP-SAT branches and conflicts,
booleans) is stored in the params as `oracle`.
"""

from __future__ import annotations

import random
import sqlite3
from typing import Any, NamedTuple

from synth.verifiers.general.rules.course_timetabling import Position, enrolled, last_period, room_fits

from .._base import Built, new_db
from .._oracle import Oracle, Undecided

SCHEMA = """
CREATE TABLE slots (slot TEXT PRIMARY KEY, day TEXT, day_index INTEGER, period INTEGER, start TEXT, end TEXT);
CREATE TABLE student_groups (grp TEXT PRIMARY KEY, program TEXT, size INTEGER);
CREATE TABLE teachers (teacher TEXT PRIMARY KEY, department TEXT);
CREATE TABLE teacher_unavailable (teacher TEXT, slot TEXT, reason TEXT);
CREATE TABLE rooms (room TEXT PRIMARY KEY, kind TEXT, capacity INTEGER, building TEXT);
CREATE TABLE room_bookings (room TEXT, slot TEXT, holder TEXT);
CREATE TABLE courses (course TEXT PRIMARY KEY, title TEXT, term TEXT, teacher TEXT, sessions INTEGER, room_kind TEXT);
CREATE TABLE enrollment (course TEXT, grp TEXT);
"""

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri")
PERIODS = (("09:00", "10:30"), ("10:45", "12:15"), ("13:15", "14:45"), ("15:00", "16:30"))
SUBJECTS = (
    ("BIO", "Cell Biology"), ("CHE", "Organic Chemistry"), ("CS", "Algorithms"), ("ECO", "Microeconomics"),
    ("HIS", "Modern History"), ("MAT", "Linear Algebra"), ("PHY", "Mechanics"), ("PSY", "Cognition"),
    ("STA", "Statistics"), ("LIN", "Syntax"), ("GEO", "Climate Systems"), ("ART", "Visual Design"),
    ("PHI", "Ethics"), ("MUS", "Harmony"), ("LAW", "Contract Law"), ("MED", "Anatomy"),
)
TEACHERS = ("Dr. Abara", "Dr. Brandt", "Dr. Castillo", "Dr. Dahl", "Dr. Egwu", "Dr. Fontaine", "Dr. Grieg",
            "Dr. Haddad", "Dr. Ito", "Dr. Jovanovic", "Dr. Kowalski", "Dr. Lindqvist")
DEPARTMENTS = ("Sciences", "Humanities", "Engineering", "Social Sciences")
PROGRAMS = ("Biology", "Computing", "Economics", "Physics", "Psychology")
BUILDINGS = ("North Hall", "South Hall", "Lab Wing")
AWAY_REASONS = ("research day", "committee", "leave", "office hours")
BOOKING_HOLDERS = ("exam", "seminar series", "maintenance", "club")
KINDS = ("lecture", "lab", "seminar")
CAPACITIES = (24, 30, 40, 60, 80)
TERM, OTHER_TERM = "Autumn 2026", "Spring 2027"


class Level(NamedTuple):
    """What a difficulty level draws and which rules its task states."""

    days: int
    courses: int
    """Courses of the term to timetable (two more, of another term, are distractors)."""
    groups: int
    teachers: int
    rooms: tuple[int, int, int]
    """Rooms of each kind (lecture, lab, seminar)."""
    course_groups: tuple[int, int]
    """Groups a course enrols (fewest, most)."""
    two_session_share: float
    available: float
    """Share of slots each teacher is available in, before the draws that make the timetable unique."""
    booked: float
    """Share of (room, slot) booked at first."""
    group_daily: int
    spread: bool
    teacher_daily: int | None
    rest_rule: bool
    min_slots: int
    """Slots (in some room) each course keeps beyond its sessions by its own rules."""
    rollouts: int
    """Random most-constrained-first agents without backtracking that must all fail (0: no filter)."""


LEVELS = {
    1: Level(3, 3, 3, 3, (2, 1, 0), (1, 2), 0.0, 0.5, 0.1, 2, False, None, False, 0, 0),
    2: Level(4, 5, 4, 4, (2, 1, 1), (1, 2), 0.3, 0.45, 0.1, 2, False, None, False, 1, 0),
    3: Level(4, 7, 5, 5, (2, 2, 1), (1, 3), 0.5, 0.5, 0.15, 2, True, None, False, 2, 48),
    4: Level(5, 8, 6, 6, (3, 2, 1), (1, 3), 0.5, 0.45, 0.15, 2, True, 2, False, 2, 60),
    5: Level(5, 10, 6, 7, (3, 2, 1), (2, 3), 0.6, 0.45, 0.15, 2, True, 2, True, 2, 72),
}
DRAWS = 2000
"""Schools drawn at most per tuple."""
FILL_DRAWS = 150
"""Unavailabilities and bookings drawn at most per school while making its timetable unique."""
MAX_CONFLICTS = 20_000
"""Conflicts one oracle solve may spend before the school is drawn again (deterministic)."""
AIM = 0.5
REFUSED = 10
UNAVAILABLE = 0.5
"""Share of the draws that make a teacher unavailable (the rest book a room)."""
RESTORE = True
"""Undo, once the timetable is unique, the unavailabilities and bookings it does not need (`_restore`)."""
"""Draws refused in a row (each would leave a course too few slots, or no timetable) before the school is drawn again."""
"""Share of the draws made over a place of another timetable than the oracle's current one (the rest: anywhere)."""


def build(rng: random.Random, difficulty: int) -> Built:
    """Draw random schools until the oracle proves one has exactly one timetable (that search needs)."""
    for _ in range(DRAWS):
        built = _attempt(rng, LEVELS[difficulty])
        if built is not None:
            return built
    raise RuntimeError(f"no school with exactly one timetable in {DRAWS} draws")


class _School(NamedTuple):
    slots: dict[str, Position]
    """slot id -> (day index, period), in week order"""
    groups: dict[str, int]
    teachers: list[str]
    rooms: dict[str, tuple[str, int]]
    """room -> (kind, capacity)"""
    courses: dict[str, dict[str, Any]]
    """course -> {title, term, teacher, groups, sessions, room_kind}"""


def _school(rng: random.Random, level: Level) -> _School:
    slots = {f"{DAYS[d]}-{p + 1}": (d, p + 1) for d in range(level.days) for p in range(len(PERIODS))}
    groups: dict[str, int] = {}
    while len(groups) < level.groups:
        groups.setdefault(f"G{rng.randrange(1, 10)}{rng.choice('ABCD')}", rng.randrange(10, 36))
    group_ids = sorted(groups)
    teachers = sorted(rng.sample(TEACHERS, level.teachers))
    rooms: dict[str, tuple[str, int]] = {}
    for kind, count in zip(KINDS, level.rooms):
        prefix = {"lecture": "L", "lab": "Lab", "seminar": "S"}[kind]
        while sum(1 for k, _ in rooms.values() if k == kind) < count:
            rooms.setdefault(f"{prefix}{rng.randrange(100, 400)}", (kind, rng.choice(CAPACITIES)))
    rooms = dict(sorted(rooms.items()))
    subjects = rng.sample(SUBJECTS, level.courses + 2)
    courses: dict[str, dict[str, Any]] = {}
    taught: set[tuple[str, str]] = set()
    for i, (code, title) in enumerate(subjects):
        lo, hi = level.course_groups
        course_groups = sorted(rng.sample(group_ids, rng.randint(lo, hi)))
        size = enrolled(course_groups, groups)
        kinds = [k for k in KINDS if any(room_fits(r, k, size) for r in rooms.values())]
        if not kinds:
            course_groups = course_groups[:1]
            kinds = [k for k in KINDS if any(room_fits(r, k, groups[course_groups[0]]) for r in rooms.values())]
        name = f"{code}{rng.randrange(100, 400)}"
        kind = rng.choice(kinds) if kinds else "lecture"
        # a teacher's courses of the term need rooms of different kinds: two courses of one teacher in
        # rooms of one kind could trade places, which no unavailability or booking tells apart
        free = [t for t in teachers if i >= level.courses or (t, kind) not in taught]
        teacher = rng.choice(free or teachers)
        if i < level.courses:
            taught.add((teacher, kind))
        courses[name] = {
            "title": title, "term": TERM if i < level.courses else OTHER_TERM, "teacher": teacher,
            "groups": course_groups, "sessions": 2 if rng.random() < level.two_session_share else 1,
            "room_kind": kind,
        }
    return _School(slots, groups, teachers, rooms, courses)


class _Model:
    """The oracle's model of one school: y[(course, slot, room)] for every place a session of a term
    course may take by its own rules at first (teacher available, room of its kind and size, not
    booked); unavailabilities and bookings drawn later fix variables to 0."""

    def __init__(self, school: _School, to_plan: list[str], available: dict[str, set[str]],
                 booked: set[tuple[str, str]], params: dict[str, Any]) -> None:
        self.oracle = Oracle(max_conflicts=MAX_CONFLICTS)
        m = self.oracle.model
        self.y: dict[tuple[str, str, str], Any] = {}
        x: dict[tuple[str, str], Any] = {}
        slots = list(school.slots)
        for c in to_plan:
            info = school.courses[c]
            size = enrolled(info["groups"], school.groups)
            fitting = [r for r in school.rooms if room_fits(school.rooms[r], info["room_kind"], size)]
            for s in slots:
                if s not in available[info["teacher"]]:
                    continue
                lits = []
                for r in fitting:
                    if (r, s) not in booked:
                        self.y[(c, s, r)] = m.new_bool_var(f"y{c}_{s}_{r}")
                        lits.append(self.y[(c, s, r)])
                if lits:
                    x[(c, s)] = m.new_bool_var(f"x{c}_{s}")
                    m.add(x[(c, s)] == sum(lits))
            m.add(sum(x[(c, s)] for s in slots if (c, s) in x) == info["sessions"])
        for r in school.rooms:
            for s in slots:
                here = [v for (c, s2, r2), v in self.y.items() if s2 == s and r2 == r]
                if len(here) > 1:
                    m.add_at_most_one(here)
        days = sorted({d for d, _ in school.slots.values()})
        periods = last_period(school.slots.values())
        slot_at = {pos: s for s, pos in school.slots.items()}
        whos: dict[str, list[str]] = {}
        for c in to_plan:
            info = school.courses[c]
            for who in (info["teacher"], *info["groups"]):
                whos.setdefault(who, []).append(c)
        for who, mine in sorted(whos.items()):
            teacher = who in school.teachers
            for s in slots:
                here = [x[(c, s)] for c in mine if (c, s) in x]
                if len(here) > 1:
                    m.add_at_most_one(here)
            cap = params["teacher_daily_max"] if teacher else params["max_group_daily"]
            if cap is not None:
                for d in days:
                    here = [x[(c, s)] for c in mine for s in slots if school.slots[s][0] == d and (c, s) in x]
                    if len(here) > cap:
                        m.add(sum(here) <= cap)
            if teacher and params["rest_rule"]:
                for d in days[:-1]:
                    pair = [x[(c, slot_at[pos])] for c in mine for pos in ((d, periods), (d + 1, 1))
                            if (c, slot_at[pos]) in x]
                    if len(pair) > 1:
                        m.add(sum(pair) <= 1)
        if params["spread"]:
            for c in to_plan:
                for d in days:
                    here = [x[(c, s)] for s in slots if school.slots[s][0] == d and (c, s) in x]
                    if len(here) > 1:
                        m.add_at_most_one(here)
        self.x = x

    def timetable(self, assume: list[Any] = ()) -> frozenset[tuple[str, str, str]] | None:
        """A timetable (the places taken) under the assumed literals, or None if there is none."""
        model = self.oracle.model
        model.clear_assumptions()
        model.add_assumptions(list(assume))
        solver = self.oracle.solve()
        model.clear_assumptions()
        if solver is None:
            return None
        return frozenset(key for key, v in self.y.items() if solver.value(v))

    def random_timetable(self, rng: random.Random) -> frozenset[tuple[str, str, str]] | None:
        """The timetable least in a random cost of each place (CP-SAT's first timetable leans to
        the places its search sets last), or None if there is none."""
        m = self.oracle.model
        m.minimize(sum(rng.randrange(1, 64) * v for _, v in sorted(self.y.items())))
        try:
            return self.timetable()
        finally:
            m.clear_objective()

    def other(self, taken: frozenset[tuple[str, str, str]]) -> frozenset[tuple[str, str, str]] | None:
        """A timetable other than `taken`, or None: `taken` is the only one. The exclusion holds only
        under a fresh literal assumed for this solve."""
        flag = self.oracle.model.new_bool_var("other")
        self.oracle.model.add_bool_or([self.y[key].Not() for key in sorted(taken)]).only_enforce_if(flag)
        return self.timetable([flag])


def _attempt(rng: random.Random, level: Level) -> Built | None:
    """One random school; None unless its timetable is made unique and search is needed."""
    school = _school(rng, level)
    slots = list(school.slots)
    to_plan = sorted(c for c, v in school.courses.items() if v["term"] == TERM)
    available = {t: {s for s in slots if rng.random() < level.available} for t in school.teachers}
    booked = {(r, s) for r in school.rooms for s in slots if rng.random() < level.booked}
    params: dict[str, Any] = {
        "term": TERM,
        "courses": to_plan,
        "max_group_daily": level.group_daily,
        "spread": level.spread,
        "teacher_daily_max": level.teacher_daily,
        "rest_rule": level.rest_rule,
    }
    places: dict[str, set[tuple[str, str]]] = {c: set() for c in to_plan}
    model = _Model(school, to_plan, available, booked, params)
    for c, s, r in model.y:
        places[c].add((s, r))

    def slots_left(c: str) -> int:
        return len({s for s, _ in places[c]})

    if any(slots_left(c) < school.courses[c]["sessions"] + level.min_slots for c in to_plan):
        return None
    try:
        taken = model.random_timetable(rng)
        if taken is None:
            return None
        other = _moved(school, to_plan, taken, places, params, rng) or model.other(taken)
        term_teachers = sorted({school.courses[c]["teacher"] for c in to_plan})
        draws = refused = 0
        while other is not None:
            draws += 1
            if draws > FILL_DRAWS:
                return None
            aim = rng.choice(sorted(other - taken)) if rng.random() < AIM else None
            s = aim[1] if aim else rng.choice(slots)
            if rng.random() < UNAVAILABLE:
                who = school.courses[aim[0]]["teacher"] if aim else rng.choice(term_teachers)
                if s not in available[who]:
                    continue
                hit = [key for key in model.y if key[1] == s and school.courses[key[0]]["teacher"] == who]
            else:
                who = aim[2] if aim else rng.choice(list(school.rooms))
                if (who, s) in booked:
                    continue
                hit = [key for key in model.y if key[1] == s and key[2] == who]
            hit = [key for key in hit if (key[1], key[2]) in places[key[0]]]
            touched = {c for c, _, _ in hit}
            for c, s2, r in hit:
                places[c].discard((s2, r))
            short = any(slots_left(c) < school.courses[c]["sessions"] + level.min_slots for c in touched)
            moved = bool(set(hit) & taken)
            found = None
            if not short and moved:
                # the session the draw took, moved alone to another of its places (else the draw
                # is refused: asking the solver for a wider repair cost most of the generation's time)
                lost = sorted(set(hit) & taken)
                found = _moved(school, to_plan, taken, places, params, rng, lost[0]) if len(lost) == 1 else None
            if short or (moved and found is None):
                for c, s2, r in hit:
                    places[c].add((s2, r))
                refused += 1
                if refused > REFUSED:
                    return None  # whatever another timetable takes, no course can lose it: draw again
                continue
            refused = 0
            if found is not None:
                taken = found
            for key in hit:
                model.oracle.model.add(model.y[key] == 0)
            if who in school.rooms:
                booked.add((who, s))
            else:
                available[who].discard(s)
            if moved or set(hit) & other:
                other = _moved(school, to_plan, taken, places, params, rng) or model.other(taken)
        effort = model.oracle.effort.as_params()
        if RESTORE:
            restored = _restore(school, to_plan, taken, places, available, booked, params, rng)
            if restored is not None:
                places, available, booked, check = restored
                effort = {k: max(v, check[k]) if k == "booleans" else v + check[k] for k, v in effort.items()}
    except Undecided:
        return None
    if level.rollouts and _greedy_wins(school, to_plan, places, params, rng, level.rollouts):
        return None
    params["oracle"] = effort
    # the courses in a random order (the task's order is what first-fit agents follow)
    params["courses"] = rng.sample(to_plan, len(to_plan))
    answer = []
    for c in params["courses"]:
        mine = sorted(((s, r) for c2, s, r in taken if c2 == c), key=lambda p: school.slots[p[0]])
        answer += [{"course": c, "slot": s, "room": r} for s, r in mine]
    return Built(_store(rng, school, available, booked), params, answer)


def _restore(school: _School, to_plan: list[str], taken: frozenset[tuple[str, str, str]],
             places: dict[str, set[tuple[str, str]]], available: dict[str, set[str]],
             booked: set[tuple[str, str]], params: dict[str, Any], rng: random.Random) -> Any:
    """Undo, in a random order, the unavailabilities and bookings whose undoing lets no session move
    alone, then prove the timetable still the only one (a fresh model): (places, availability,
    bookings, the proof's effort), or None (nothing undone, or the proof failed: keep the school as
    it was). Without it the oracle's slots are those the fewest other courses could take (the
    draws cleared them of the courses that could trade places): 70% of first sessions at d3."""
    places = {c: set(v) for c, v in places.items()}
    available = {t: set(v) for t, v in available.items()}
    booked = set(booked)
    teachers = sorted({school.courses[c]["teacher"] for c in to_plan})
    sizes = {c: enrolled(school.courses[c]["groups"], school.groups) for c in to_plan}
    cuts = sorted([(t, s) for t in teachers for s in school.slots if s not in available[t]] + sorted(booked))
    undone = 0
    for who, s in rng.sample(cuts, len(cuts)):
        added = set()
        for c in to_plan:
            info = school.courses[c]
            if who in school.rooms:
                if s not in available[info["teacher"]]:
                    continue
                rooms = [who]
            elif who != info["teacher"]:
                continue
            else:
                rooms = list(school.rooms)
            for r in rooms:
                if room_fits(school.rooms[r], info["room_kind"], sizes[c]) and (r == who or (r, s) not in booked) \
                        and (s, r) not in places[c]:
                    added.add((c, s, r))
        for c, s2, r in added:
            places[c].add((s2, r))
        if added and _moved(school, to_plan, taken, places, params, rng) is not None:
            for c, s2, r in added:
                places[c].discard((s2, r))
            continue
        undone += 1
        if who in school.rooms:
            booked.discard((who, s))
        else:
            available[who].add(s)
    if not undone:
        return None
    model = _Model(school, to_plan, available, booked, params)
    model.oracle.model.add_bool_or([model.y[key].Not() for key in sorted(taken)])
    if model.timetable() is not None:
        return None
    return places, available, booked, model.oracle.effort.as_params()


def _moved(school: _School, to_plan: list[str], taken: frozenset[tuple[str, str, str]],
           places: dict[str, set[tuple[str, str]]], params: dict[str, Any],
           rng: random.Random, lost: tuple[str, str, str] | None = None) -> frozenset[tuple[str, str, str]] | None:
    """Another timetable found without the solver, or None: `taken` with one session moved to
    another of its course's places (another slot, or another room), every other session kept. The
    courses, sessions and places are tried in a random order; with `lost` (a place of `taken` a draw
    took), only the session there moves."""
    from ._solve import Search

    courses = {c: school.courses[c] for c in to_plan}
    sessions = [(c, k) for c in to_plan for k in range(courses[c]["sessions"])]
    search = Search(school.slots, list(school.slots), courses, sessions, params, school.rooms)
    mine = {c: sorted(((s, r) for c2, s, r in taken if c2 == c), key=lambda p: school.slots[p[0]]) for c in to_plan}
    for c in to_plan:
        for k, (s, r) in enumerate(mine[c]):
            search.place((c, k), s, r, 1)
    for c in [lost[0]] if lost else rng.sample(to_plan, len(to_plan)):
        for k, (s, r) in enumerate(mine[c]):
            search.place((c, k), s, r, -1)
        which = [mine[c].index(lost[1:])] if lost else rng.sample(range(len(mine[c])), len(mine[c]))
        for i in which:
            keep = mine[c][:i] + mine[c][i + 1:]
            used = {s for s, _ in mine[c]}
            for s, r in rng.sample(sorted(places[c]), len(places[c])):
                if (s, r) in mine[c] or (s in used and s != mine[c][i][0]):
                    continue
                combo = sorted([*keep, (s, r)], key=lambda p: school.slots[p[0]])
                placed = []
                for k, (s2, r2) in enumerate(combo):
                    if not search.fits((c, k), s2, r2):
                        break
                    search.place((c, k), s2, r2, 1)
                    placed.append((k, s2, r2))
                for k, s2, r2 in placed:
                    search.place((c, k), s2, r2, -1)
                if len(placed) == len(combo):
                    return frozenset(taken - {(c, *mine[c][i])} | {(c, s, r)})
        for k, (s, r) in enumerate(mine[c]):
            search.place((c, k), s, r, 1)
    return None


def _greedy_wins(school: _School, to_plan: list[str], places: dict[str, set[tuple[str, str]]],
                 params: dict[str, Any], rng: random.Random, rollouts: int) -> bool:
    """Whether one of `rollouts` agents without backtracking completes a timetable: each places the
    session with the fewest places left (ties at random) at a place keeping every rule that leaves
    every other session a place (any place, if none does): the first such in week order (a third of
    the agents), in reverse week order (a third), or at random. (With random places only, most
    constrained first with look-ahead in week order still solved 10% at d3 and d5.)"""
    from ._solve import Search

    ordered = list(school.slots)
    courses = {c: school.courses[c] for c in to_plan}
    sessions = [(c, k) for c in to_plan for k in range(courses[c]["sessions"])]
    rank = {s: i for i, s in enumerate(ordered)}
    domains = {(c, k): sorted(places[c], key=lambda p: (rank[p[0]], p[1])) for c, k in sessions}
    for i in range(rollouts):
        search = Search(school.slots, ordered, courses, sessions, params, school.rooms)
        todo = list(sessions)
        while todo:
            fitting = {key: [p for p in domains[key] if search.fits(key, *p)] for key in todo}
            fewest = min(len(v) for v in fitting.values())
            if fewest == 0:
                break
            key = rng.choice([k for k in todo if len(fitting[k]) == fewest])
            todo.remove(key)
            # a third of the agents try places in week order, a third in reverse, the rest at random
            options = fitting[key] if i % 3 == 0 else fitting[key][::-1] if i % 3 == 1 else \
                rng.sample(fitting[key], len(fitting[key]))
            for slot, room in options:  # the first that leaves every other session a place
                search.place(key, slot, room, 1)
                if all(any(search.fits(o, *p) for p in fitting[o]) for o in todo):
                    break
                search.place(key, slot, room, -1)
            else:
                search.place(key, *options[0], 1)
        if not todo:
            return True
    return False


def _store(rng: random.Random, school: _School, available: dict[str, set[str]],
           booked: set[tuple[str, str]]) -> sqlite3.Connection:
    """The database of the school: slots, groups, teachers and their unavailability, rooms and their
    bookings, courses (the term's and the distractors) and enrolment."""
    slots, rooms, courses = school.slots, school.rooms, school.courses
    db = new_db(SCHEMA)
    db.executemany("INSERT INTO slots VALUES (?, ?, ?, ?, ?, ?)", [
        (s, DAYS[d], d, p, *PERIODS[p - 1]) for s, (d, p) in slots.items()])
    db.executemany("INSERT INTO student_groups VALUES (?, ?, ?)",
                   [(g, rng.choice(PROGRAMS), school.groups[g]) for g in sorted(school.groups)])
    db.executemany("INSERT INTO teachers VALUES (?, ?)", [(t, rng.choice(DEPARTMENTS)) for t in school.teachers])
    db.executemany("INSERT INTO teacher_unavailable VALUES (?, ?, ?)", [
        (t, s, rng.choice(AWAY_REASONS)) for t in school.teachers for s in slots if s not in available[t]])
    db.executemany("INSERT INTO rooms VALUES (?, ?, ?, ?)", [
        (r, kind, capacity, "Lab Wing" if kind == "lab" else rng.choice(BUILDINGS[:2]))
        for r, (kind, capacity) in rooms.items()])
    db.executemany("INSERT INTO room_bookings VALUES (?, ?, ?)", [
        (r, s, rng.choice(BOOKING_HOLDERS)) for r in rooms for s in slots if (r, s) in booked])
    db.executemany("INSERT INTO courses VALUES (?, ?, ?, ?, ?, ?)", [
        (c, v["title"], v["term"], v["teacher"], v["sessions"], v["room_kind"]) for c, v in sorted(courses.items())])
    db.executemany("INSERT INTO enrollment VALUES (?, ?)",
                   [(c, g) for c, v in sorted(courses.items()) for g in v["groups"]])
    db.commit()
    return db
