"""meeting_scheduling, generate then solve (issue 18): a prototype beside the planted generator
(`_build`), which still makes every tuple. Not wired in: `build` here has the same signature, and
benchmarks measure it by putting it in `_build.build`'s place.

A random instance is drawn with nothing planted: people, sparse calendars, rooms and their bookings,
meetings with random attendees from a small pool, random precedence pairs and a daily limit. The
oracle (`.._oracle`, CP-SAT over x[meeting][(start, room)]) finds a schedule. Then random busy
blocks and bookings are added one at a time, half of them anywhere and half over a place of another
schedule (every other schedule as likely to be hit as the oracle's current one), each kept only if
some schedule survives it and every meeting keeps `Level.min_options` starts by its own rules, until
the oracle proves one schedule the only one. The answer is that schedule; the gold solver must find
it through the tools at generation (`_family._gold_finds`), and the oracle's effort (solves, CP-SAT
branches and conflicts, booleans) is stored in the params as `oracle`.

Why it is not wired in (measured 2026-12-07 on fresh seeds, loaded machine; the planted generator
of `_build` beside it): a schedule that is the only one is pinned to the minute, and uniqueness
drawn at random comes mostly from each meeting's own calendar, not from the rules between
meetings, so agents without search still find it.
  first round (levels of two to three days, loose calendars), ladder d3 (n = 100):
    constrained_first 38%, greedy 23%, isolated 29%, latest_first 23%, lookahead 36%; any 71%;
    d5: constrained_first 20%, isolated 14%, lookahead 15%; any 38%; leak detector d3 66.7% against
    a chance of 31.6%, d5 73.3% against 29.1% (n = 120)
  second round (issue 18 part A): every meeting keeps `Level.min_options` starts of its own, and
    random most-constrained-first agents without backtracking must all fail (`Level.rollouts`,
    `_greedy_wins`). With the first round's levels no draw survives: of 22 unique schedules at d3,
    21 were completed by a random most-constrained-first agent (its choices are forced: each
    meeting's own calendar pins it). Levels of one shared day, a small pool of attendees and two or
    three rooms (meetings packed against each other, uniqueness from the rules between them) pass
    the filter (about 0.6 s a tuple at d3, 1.2 s at d5), but a least-constraining-value agent
    still wins (n = 40 at d3, 30 at d5, seed 31): mrv_lcv 42% / 20%, mrv_lookahead 20% / 17%,
    lookahead 10% / 3%, constrained_first 5% / 10%; any baseline 55% / 33%. Drawing busy blocks
    anywhere rather than half over another schedule (`aim` 0) changes nothing (mrv_lcv 53%, n = 30):
    in a packed day the schedule that leaves the others the most room is the only one, so a greedy
    that keeps room wins.
  third round (k18): `_greedy_wins` gained one-step look-ahead and least-constraining agents
    (`_Board.rollout` styles 0-2; the levels above keep style 3, the random agent of round two).
    Over unique instances (n = 5-8 per setting, 12 rollouts per style; share of rollouts that
    complete the schedule): the levels above: random + look-ahead 46%, least constraining 77-80%;
    hourly mode (meetings of an hour, free hours drawn per person) with 10-16 meetings, 2-4 days,
    2-15 precedence pairs: 23-43% and 29-90%; looser calendars (5 free hours a day): 4% and 52%.
    Size and precedence pairs do not help: the least constraining place is the answer's.
  What beat the least-constraining agent: `Level.degree`. Every person of the pool attends exactly
    `degree` meetings of two, with a daily limit of degree / days meetings (4 meetings over 2 days,
    limit 120 minutes): each person's meetings must split evenly over the days, a rule between
    meetings that no calendar shows and that leaves every day's places about equally constraining.
    Over unique instances (pool 5 and 6, 5 free hours a day, 3 rooms): least constraining 0 of 120
    rollouts, its best-two variant 1.7-3.3%, random + look-ahead 1.7-3.3%. The tool-only gold solves
    them in 0.0-0.2 s. Those figures had places on the 15-minute grid; in hourly mode every bound is
    on the hour, so the only schedule is on the hour too, and an agent that knows it searches the
    hour grid alone: the places are now drawn on it (the rollouts with them). With them
    (`DEGREE_LEVELS[3]`, n = 20, seeds 31000-31019, no gold at generation, each agent's submission
    compared with the oracle's only schedule): the five built-in baselines and six white-box agents
    solve 0 of 20 but mrv_lcv 1 of 20 (any: 5%, the d3 ceiling); the leak detector was not run.
    Not wired in: a kept tuple takes 34 s of CPU on average (33-96 s; 0.03 tuples/s), nearly all of
    it in the fill's search (`_Board.solve`: about 8,000 solves of 200 nodes per kept tuple, most
    draws refused for leaving a meeting under `min_options`). The next step is a faster fill (a
    counting check per person and day in the search, fewer refused draws), then the ladder and the
    detector at n = 200, then `_build.build` replaced.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any, NamedTuple

from ortools.sat.python import cp_model

from synth.verifiers.general.rules.meeting_scheduling import EPOCH_DAY, GRID, date_text, fits_work, hhmm, iso, local_day, overlaps

from .._base import Built
from .._oracle import Oracle
from ._build import (BASE_DATE, BUSY_TITLES, CLUSTERS, EQUIPMENT, FIRST, LAST, LONG_END, LONG_MIN, ROOMS, TEAMS,
                     TOPICS, WORK_HOURS, _chop, _complement, store)

DURATIONS = (30, 45, 60, 90)


class Level(NamedTuple):
    """What a difficulty level draws and which rules its task states."""

    meetings: int
    pool: int
    """People the meetings' attendees are drawn from (fewer: more meetings share an attendee)."""
    max_attendees: int
    extra_people: int
    """People in the directory who attend none of the meetings (their calendars are drawn alike)."""
    days: int
    gaps: tuple[int, ...]
    """Lengths of the free gaps drawn between busy blocks in a working day (minutes)."""
    blocks: tuple[int, ...]
    """Lengths of busy blocks and bookings (minutes)."""
    fill_draws: int
    """Blocks and bookings drawn at most while filling, before the instance is dropped."""
    person_share: float
    aim: float
    min_options: int
    search: bool
    """Drop an instance that arc consistency over the pairwise rules solves."""
    """Starts each meeting keeps by its own rules (in some room): the filling never takes more."""
    """Share of the filling draws placed over another schedule's meeting (the rest: anywhere)."""
    """Share of the filling draws that are busy blocks (the rest: bookings)."""
    rooms: int
    room_gaps: tuple[int, ...]
    """Lengths of the free gaps between a room's bookings (minutes)."""
    precedence: int
    """Precedence pairs stated (drawn at random, acyclic)."""
    limits: tuple[int, ...] | None
    """Daily limits on meeting minutes to draw from, or None: no limit."""
    long_rule: bool
    director_rule: bool
    buffer: int
    rollouts: int = 0
    free_hours: int = 0
    """Hourly mode (0: off): meetings last an hour and each person is free in this many whole UTC
    hours of each working day, never two in a row (the rest busy); rooms are booked by the hour."""
    room_booked: float = 0.3
    """Hourly mode: share of (room, hour) booked at first."""
    styles: tuple[int, ...] = (3,)
    """The agents of `_greedy_wins` taking turns (see `_Board.rollout`)."""
    degree: int = 0
    """Meetings of two attendees each, every person of the pool in exactly this many (0: attendees
    drawn freely; `meetings` is then ignored): with a daily limit of `degree / days` meetings, every
    person's meetings split evenly over the days, a rule no single meeting's calendar shows."""
    """Hourly mode: share of (room, hour) booked at first."""
    """Random most-constrained-first agents without backtracking that must all fail (0: no filter)."""


GAPS, BLOCKS, ROOM_GAPS = (60, 90, 120, 180, 240), (30, 45, 60, 90, 120), (120, 240, 480)
LEVELS = {
    1: Level(2, 4, 3, 2, 1, GAPS, BLOCKS, 400, 0.7, 0.5, 2, False, 3, ROOM_GAPS, 0, None, False, False, 0),
    2: Level(3, 5, 3, 3, 1, GAPS, BLOCKS, 400, 0.7, 0.5, 2, False, 3, ROOM_GAPS, 1, None, False, False, 0),
    3: Level(6, 5, 3, 3, 1, (120, 180, 240, 300), BLOCKS, 400, 0.7, 0.5, 3, False, 2, (240, 480), 2, None, True, False, 0, 24),
    4: Level(6, 8, 3, 4, 2, GAPS, BLOCKS, 400, 0.7, 0.5, 2, True, 4, ROOM_GAPS, 2, (120, 150, 180), True, True, 0),
    5: Level(8, 6, 3, 4, 1, (120, 180, 240, 300), BLOCKS, 400, 0.7, 0.5, 3, False, 3, (240, 480), 3, None, True, True, 15, 48),
}
DRAWS = 3000
DEGREE_LEVELS = {
    3: Level(0, 5, 2, 3, 2, GAPS, BLOCKS, 1200, 0.6, 0.5, 4, False, 3, ROOM_GAPS, 2, (120,), False, False, 0, 24,
             5, 0.3, (0, 1, 2), 4),
    5: Level(0, 6, 2, 3, 2, GAPS, BLOCKS, 1200, 0.6, 0.5, 4, False, 3, ROOM_GAPS, 2, (120,), False, False, 0, 48,
             5, 0.3, (0, 1, 2), 4),
}
"""The degree-regular design measured in the third round (docstring), for d3 and d5; not used yet."""


def build(rng: random.Random, difficulty: int) -> Built:
    """Draw random instances until the oracle proves one has exactly one schedule."""
    for _ in range(DRAWS):
        built = _attempt(rng, LEVELS[difficulty])
        if built is not None:
            return built
    raise RuntimeError(f"no instance with exactly one schedule in {DRAWS} draws")


def _names(rng: random.Random, n: int) -> list[str]:
    names: list[str] = []
    while len(names) < n:
        candidate = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        if candidate not in names:
            names.append(candidate)
    return names


def _day_spans(rng: random.Random, lo: int, hi: int, gaps: tuple[int, ...], blocks: tuple[int, ...]) -> list[tuple[int, int]]:
    """Busy spans over [lo, hi): free gaps and busy blocks drawn in turn from `lo` (which a gap or a
    block begins at random), the last block cut at `hi`."""
    out, at = [], lo
    busy = rng.random() < 0.5
    while at < hi:
        length = rng.choice(blocks if busy else gaps)
        if busy:
            out.append((at, min(at + length, hi)))
        at += length
        busy = not busy
    return out


def _attempt(rng: random.Random, level: Level) -> Built | None:
    """One random instance, kept only if the oracle finds exactly one schedule."""
    k = level.meetings
    d0 = (BASE_DATE + dt.timedelta(weeks=rng.randrange(40))).toordinal() - EPOCH_DAY
    w0, w1 = d0 * 1440, (d0 + level.days) * 1440
    offsets = rng.choice(CLUSTERS)
    names = _names(rng, level.pool + level.extra_people)
    pool = names[:level.pool]
    everyone = sorted(names)
    directors = set(rng.sample(pool, 2)) if level.director_rule else set()
    people = {}
    for person in everyone:
        role = "director" if person in directors else rng.choice(("engineer", "designer", "manager", "analyst"))
        people[person] = {"team": rng.choice(TEAMS), "role": role, "offset": rng.choice(offsets),
                          "work": rng.choice(WORK_HOURS)}
    hourly = level.free_hours > 0
    if level.degree:
        while True:
            stubs = [p for p in pool for _ in range(level.degree)]
            rng.shuffle(stubs)
            pairs = [sorted(stubs[n:n + 2]) for n in range(0, len(stubs), 2)]
            if all(a != b for a, b in pairs):
                break
        k = len(pairs)
    meetings = [{"attendees": pairs[n] if level.degree else sorted(rng.sample(pool, rng.randint(2, level.max_attendees))),
                 "duration": 60 if hourly else rng.choice(DURATIONS),
                 "equipment": sorted(rng.sample(EQUIPMENT, rng.randint(0, 1)))} for n in range(k)]

    room_names = sorted(rng.sample(ROOMS, level.rooms))
    rooms = {r: {"capacity": rng.choice((3, 4, 6, 8, 10)), "floor": rng.randint(1, 6),
                 "equipment": sorted(rng.sample(EQUIPMENT, rng.randint(1, 3)))} for r in room_names}

    busy: dict[str, list[tuple[int, int]]] = {}
    for person in everyone:
        q = people[person]
        spans: list[tuple[int, int]] = []
        for day in range(d0 - 1, d0 + level.days + 1):
            lo = max(day * 1440 + q["work"][0] - 30 - q["offset"], w0 - 60)
            hi = min(day * 1440 + q["work"][1] + 30 - q["offset"], w1 + 60)
            if hi - lo >= 120 and hourly:
                hours = [h for h in range(-(-(lo + 30) // 60) * 60, hi - 30 - 60 + 1, 60)]
                free: list[int] = []
                for h in rng.sample(hours, len(hours)):
                    if len(free) < level.free_hours and (level.free_hours > 4 or h - 60 not in free and h + 60 not in free):
                        free.append(h)
                spans += _complement(lo, hi, [(h, h + 60) for h in free])
            elif hi - lo >= 120:
                spans += _day_spans(rng, lo, hi, level.gaps, level.blocks)
        busy[person] = spans
    booked: dict[str, list[tuple[int, int]]] = {}
    for room in room_names:
        booked[room] = []
        for day in range(d0, d0 + level.days):
            if hourly:
                booked[room] += [(day * 1440 + h * 60, day * 1440 + h * 60 + 60) for h in range(24)
                                 if rng.random() < level.room_booked]
            else:
                booked[room] += _day_spans(rng, day * 1440, day * 1440 + 1440, level.room_gaps, level.blocks)

    precedence_pairs: list[tuple[int, int]] = []
    if level.precedence:
        order = rng.sample(range(k), k)
        pairs = [(order[a], order[b]) for a in range(k) for b in range(a + 1, k)]
        precedence_pairs = rng.sample(pairs, level.precedence)
    max_daily = rng.choice(level.limits) if level.limits else None

    # each meeting's (start, room) options on the grid: every attendee works and is free, the room
    # seats them, has the equipment (and video for a director) and has no booking
    options: list[list[tuple[int, str]]] = []
    for m in meetings:
        d = m["duration"]
        end_by = LONG_END if level.long_rule and d >= LONG_MIN else None
        needs_video = level.director_rule and any(people[p]["role"] == "director" for p in m["attendees"])
        fitting = [r for r in room_names if rooms[r]["capacity"] >= len(m["attendees"])
                   and set(m["equipment"]) <= set(rooms[r]["equipment"])
                   and (not needs_video or "video" in rooms[r]["equipment"])]
        found = []
        # hourly: every bound is on the hour, so a schedule off the hour exists only if two on it do
        for s in range(w0, w1 - d + 1, 60 if hourly else GRID):
            if all(fits_work(people[p]["offset"], people[p]["work"], s, s + d, end_by)
                   and not overlaps(busy[p], s, s + d) for p in m["attendees"]):
                found += [(s, r) for r in fitting if not overlaps(booked[r], s, s + d)]
        if len({s for s, _ in found}) < level.min_options:
            return None
        options.append(found)

    # the fill's many solves run on a bit-set search (`_Board.solve`); CP-SAT proves the end result
    board = _Board(meetings, people, options, set(), precedence_pairs, max_daily, level.buffer)
    alive = list(board.mask)
    schedule = board.solve(alive)
    if schedule is None:
        return None
    # fill: random busy blocks and bookings, each kept if some schedule survives it, until one does
    attendees = sorted({p for m in meetings for p in m["attendees"]})
    other = board.solve(alive, avoid=schedule)
    dead: set[tuple[int, int]] = set()
    draws = 0
    while other is not None:
        draws += 1
        if draws > level.fill_draws:
            return None
        length = 60 if hourly else rng.choice(level.blocks)
        day = rng.randrange(d0, d0 + level.days)
        aim = None
        if rng.random() < level.aim:
            # over a random place of another schedule: another schedule must go, and every one is
            # as likely as the oracle's current one to be the other
            i = rng.choice([i for i in range(k) if other[i] != schedule[i]])
            aim = options[i][other[i]]
            offset = 0 if hourly else rng.randrange(-(length // GRID) + 1, meetings[i]["duration"] // GRID) * GRID
        if rng.random() < level.person_share:
            who = rng.choice(meetings[i]["attendees"] if aim else attendees)
            q = people[who]
            lo = day * 1440 + q["work"][0] - q["offset"]
            start = aim[0] + offset if aim else lo + rng.randrange(0, q["work"][1] - q["work"][0], GRID)
            if hourly:
                start -= start % 60
            span = (start, start + length)
            if overlaps(busy[who], *span):
                continue
            hit = [(i, j) for i, m in enumerate(meetings) if who in m["attendees"]
                   for j, (s, _) in enumerate(options[i]) if s < span[1] and span[0] < s + m["duration"]]
            taken = busy[who]
        else:
            who = aim[1] if aim else rng.choice(room_names)
            start = aim[0] + offset if aim else day * 1440 + rng.randrange(6 * 60, 20 * 60, 60 if hourly else GRID)
            span = (start, start + length)
            if overlaps(booked[who], *span):
                continue
            hit = [(i, j) for i, m in enumerate(meetings) for j, (s, r) in enumerate(options[i])
                   if r == who and s < span[1] and span[0] < s + m["duration"]]
            taken = booked[who]
        hit = [(i, j) for i, j in hit if (i, j) not in dead]
        gone = dead | set(hit)
        if any(len({s for j, (s, _) in enumerate(options[i]) if (i, j) not in gone}) < level.min_options
               for i in {i for i, _ in hit}):
            continue  # every meeting keeps several places of its own: the rest is for search to find
        moved = any(schedule[i] == j for i, j in hit)
        after = list(alive)
        for i, j in hit:
            after[i] &= ~(1 << board.index[(i, j)])
        if moved:
            found = board.solve(after)
            if found is None:
                continue
            schedule = found
        alive = after
        dead.update(hit)
        taken.append(span)
        if moved or any(other[i] == j for i, j in hit):
            other = board.solve(alive, avoid=schedule)
    if level.search and _propagates(meetings, options, dead, precedence_pairs, level.buffer):
        return None  # arc consistency alone finds it: no search needed
    if level.rollouts and _greedy_wins(meetings, people, options, dead, precedence_pairs, max_daily, level.buffer,
                                       rng, level.rollouts, level.styles):
        return None  # an agent committing at random, most constrained first, completes a schedule
    # the oracle: CP-SAT over the same rules finds the schedule and proves it the only one
    oracle, x = _model(meetings, people, options, precedence_pairs, max_daily, level.buffer)
    for i, j in sorted(dead):
        oracle.model.add(x[i][j] == 0)
    found = _one(oracle, x)
    if found != schedule or _second(oracle, x, schedule) is not None:
        raise RuntimeError(f"the oracle found {found}, the fill's search {schedule}")
    effort = oracle.effort.as_params()
    schedule = [options[i][j] for i, j in enumerate(schedule)]

    busy_rows = []
    for person in everyone:
        for start, end in _chop(rng, busy[person]):
            busy_rows.append((person, start * 60, end * 60, rng.choice(BUSY_TITLES)))
    booking_rows = [(room, s * 60, e * 60, rng.choice(TEAMS)) for room in room_names for s, e in booked[room]]
    order = list(range(k))
    rng.shuffle(order)
    label = {i: f"M{n + 1}" for n, i in enumerate(order)}
    precedence = sorted(({"before": label[a], "after": label[b]} for a, b in precedence_pairs),
                        key=lambda p: (int(p["after"][1:]), int(p["before"][1:])))
    topics = [TOPICS[n % len(TOPICS)] + (f" {n // len(TOPICS) + 1}" if n >= len(TOPICS) else "") for n in rng.sample(range(k), k)]
    db = store(everyone, people, busy_rows, room_names, rooms, booking_rows)
    params = {
        "window_start": date_text(d0),
        "window_end": date_text(d0 + level.days - 1),
        "meetings": [{"id": label[i], "title": topics[n], "attendees": meetings[i]["attendees"],
                      "duration": meetings[i]["duration"], "equipment": meetings[i]["equipment"]}
                     for n, i in enumerate(order)],
        "precedence": precedence,
        "max_daily_minutes": max_daily,
        "long_meeting": {"min_duration": LONG_MIN, "end_by": hhmm(LONG_END)} if level.long_rule else None,
        "director_video": level.director_rule,
        "buffer_minutes": level.buffer,
        "oracle": effort,
    }
    answer = [{"meeting": label[i], "room": schedule[i][1], "start": iso(schedule[i][0])} for i in order]
    return Built(db, params, answer)


def _model(meetings: list[dict[str, Any]], people: dict[str, dict[str, Any]],
           options: list[list[tuple[int, str]]], precedence: list[tuple[int, int]], max_daily: int | None,
           buffer: int) -> tuple[Oracle, list[list[Any]]]:
    """The oracle's model over x[meeting][option] (an option is a (start, room) on the grid): one
    option per meeting; per person, their meetings (each stretched by the buffer) do not overlap;
    per room, its meetings do not; each precedence pair's 'after' starts once its 'before' ended;
    per person and local date, at most the daily limit. Starts on the grid suffice: every bound is a
    multiple of the grid, so a schedule off the grid exists only if two on it do."""
    oracle = Oracle()
    model = oracle.model
    x = [[model.new_bool_var(f"x{i}_{j}") for j in range(len(opts))] for i, opts in enumerate(options)]
    start = []
    for i, (m, opts) in enumerate(zip(meetings, options)):
        model.add_exactly_one(x[i])
        starts = sorted({s for s, _ in opts})
        var = model.new_int_var_from_domain(cp_model.Domain.from_values(starts), f"s{i}")
        model.add(var == sum(s * lit for (s, _), lit in zip(opts, x[i])))
        start.append(var)
    attendees = sorted({p for m in meetings for p in m["attendees"]})
    for p in attendees:
        mine = [i for i, m in enumerate(meetings) if p in m["attendees"]]
        if len(mine) > 1:
            model.add_no_overlap([model.new_fixed_size_interval_var(start[i], meetings[i]["duration"] + buffer, f"p{i}")
                                  for i in mine])
    rooms = sorted({r for opts in options for _, r in opts})
    for r in rooms:
        intervals = []
        for i, opts in enumerate(options):
            lits = [lit for (_, room), lit in zip(opts, x[i]) if room == r]
            if lits:
                present = model.new_bool_var(f"in{i}_{r}")
                model.add(present == sum(lits))
                intervals.append(model.new_optional_fixed_size_interval_var(start[i], meetings[i]["duration"],
                                                                            present, f"r{i}_{r}"))
        if len(intervals) > 1:
            model.add_no_overlap(intervals)
    for a, b in precedence:
        model.add(start[b] >= start[a] + meetings[a]["duration"])
    if max_daily is not None:
        for p in attendees:
            load: dict[int, list[Any]] = {}
            for i, m in enumerate(meetings):
                if p in m["attendees"]:
                    for (s, _), lit in zip(options[i], x[i]):
                        load.setdefault(local_day(people[p]["offset"], s), []).append(m["duration"] * lit)
            for terms in load.values():
                model.add(sum(terms) <= max_daily)
    return oracle, x


def _propagates(meetings: list[dict[str, Any]], options: list[list[tuple[int, str]]], dead: set[tuple[int, int]],
                precedence: list[tuple[int, int]], buffer: int) -> bool:
    """Whether arc consistency over the pairwise rules (one person in one meeting at a time, with
    the buffer; one meeting in a room at a time; precedence) leaves every meeting one place."""
    k = len(meetings)
    doms = [[options[i][j] for j in range(len(options[i])) if (i, j) not in dead] for i in range(k)]
    people = [set(m["attendees"]) for m in meetings]
    dur = [m["duration"] for m in meetings]
    before = set(precedence)

    def fine(a: int, pa: tuple[int, str], b: int, pb: tuple[int, str]) -> bool:
        (sa, ra), (sb, rb) = pa, pb
        if (a, b) in before and sb < sa + dur[a] or (b, a) in before and sa < sb + dur[b]:
            return False
        gap = buffer if people[a] & people[b] else 0 if ra == rb else None
        return gap is None or sb >= sa + dur[a] + gap or sa >= sb + dur[b] + gap

    queue = [(a, b) for a in range(k) for b in range(k) if a != b]
    while queue:
        a, b = queue.pop()
        kept = [pa for pa in doms[a] if any(fine(a, pa, b, pb) for pb in doms[b])]
        if len(kept) < len(doms[a]):
            doms[a] = kept
            queue += [(c, a) for c in range(k) if c != a and c != b and (c, a) not in queue]
    return all(len(d) == 1 for d in doms)


def _greedy_wins(meetings: list[dict[str, Any]], people: dict[str, dict[str, Any]], options: list[list[tuple[int, str]]],
                 dead: set[tuple[int, int]], precedence: list[tuple[int, int]], max_daily: int | None, buffer: int,
                 rng: random.Random, rollouts: int, styles: tuple[int, ...] = (0, 1, 2)) -> bool:
    """Whether one of `rollouts` agents without backtracking completes a schedule; the `styles` of
    `_Board.rollout` take turns."""
    board = _Board(meetings, people, options, dead, precedence, max_daily, buffer)
    return any(board.rollout(rng, styles[n % len(styles)]) for n in range(rollouts))


class _Board:
    """The live places of an instance as bit sets, for fast agents without backtracking: place o
    (a meeting's (start, room)) has the bit of its index in `ids`; `clash[o]` holds the places of
    other meetings it rules out (a shared attendee within the buffer, the same room at once, a
    precedence pair broken); `day_of[o]` the (person, local date) keys it loads."""

    def __init__(self, meetings: list[dict[str, Any]], people: dict[str, dict[str, Any]],
                 options: list[list[tuple[int, str]]], dead: set[tuple[int, int]], precedence: list[tuple[int, int]],
                 max_daily: int | None, buffer: int) -> None:
        k = len(meetings)
        self.k = k
        who = [set(m["attendees"]) for m in meetings]
        dur = [m["duration"] for m in meetings]
        self.dur = dur
        ids = [(i, s, r) for i in range(k) for j, (s, r) in enumerate(options[i]) if (i, j) not in dead]
        self.ids = ids
        self.index = {}
        for i in range(k):
            for j in range(len(options[i])):
                if (i, j) not in dead:
                    self.index[(i, j)] = len(self.index)
        self.option = {n: ij for ij, n in self.index.items()}
        self.mask = [0] * k
        for n, (i, _, _) in enumerate(ids):
            self.mask[i] |= 1 << n
        before = set(precedence)
        self.clash = []
        for n, (i, s, r) in enumerate(ids):
            bits = 0
            for m, (j, t, q) in enumerate(ids):
                if j == i:
                    continue
                gap = buffer if who[i] & who[j] else 0 if q == r else None
                if gap is not None and t < s + dur[i] + gap and s < t + dur[j] + gap:
                    bits |= 1 << m
                elif (i, j) in before and t < s + dur[i] or (j, i) in before and s < t + dur[j]:
                    bits |= 1 << m
            self.clash.append(bits)
        self.cap = max_daily
        self.day_of = [[(p, local_day(people[p]["offset"], s)) for p in sorted(who[i])] for i, s, _ in ids]
        # per (person, local date): the places loading it, as (duration, meeting, bits) per meeting
        grouped: dict[tuple[str, int], dict[int, int]] = {}
        for n, keys in enumerate(self.day_of):
            for key in keys:
                mine = grouped.setdefault(key, {})
                mine[ids[n][0]] = mine.get(ids[n][0], 0) | 1 << n
        self.by_day = {key: [(dur[j], j, bits) for j, bits in mine.items()] for key, mine in grouped.items()}

    def _after(self, alive: list[int], load: dict[tuple[str, int], int], n: int) -> list[int]:
        """The live places of every meeting once place n is taken (its own meeting's left as is)."""
        out = [a & ~self.clash[n] for a in alive]
        if self.cap is not None:
            i = self.ids[n][0]
            for key in self.day_of[n]:
                room = self.cap - load.get(key, 0) - self.dur[i]
                for d, j, bits in self.by_day[key]:
                    if d > room:
                        out[j] &= ~bits
        return out

    def solve(self, alive: list[int], avoid: list[int] | None = None) -> list[int] | None:
        """A schedule (the option index per meeting) among the live places, other than `avoid`, or
        None: depth first, the meeting with the fewest places first, forward checking."""
        load: dict[tuple[str, int], int] = {}
        chosen: dict[int, int] = {}

        def search(alive: list[int]) -> list[int] | None:
            todo = [i for i in range(self.k) if i not in chosen]
            if not todo:
                found = [self.option[chosen[i]][1] for i in range(self.k)]
                return None if found == avoid else found
            i = min(todo, key=lambda i: alive[i].bit_count())
            for n in _bits(alive[i]):
                after = self._after(alive, load, n)
                if all(after[j] for j in todo if j != i):
                    chosen[i] = n
                    self._load(load, n, 1)
                    found = search(after)
                    self._load(load, n, -1)
                    del chosen[i]
                    if found is not None:
                        return found
            return None

        return search(alive)

    def rollout(self, rng: random.Random, style: int) -> bool:
        """Whether one agent without backtracking completes a schedule. It places the meeting with
        the fewest places left that keep every rule with those placed (ties at random), at (style 0)
        a random place that leaves every unplaced meeting a place (one step of look-ahead), (1) the
        one leaving the others the most places (least constraining, ties at random), (2) a random one
        of the best two, (3) a random place, without look-ahead."""
        alive = list(self.mask)
        load: dict[tuple[str, int], int] = {}
        todo = list(range(self.k))
        while todo:
            sizes = {i: alive[i].bit_count() for i in todo}
            fewest = min(sizes.values())
            if fewest == 0:
                return False
            i = rng.choice([i for i in todo if sizes[i] == fewest])
            todo.remove(i)
            if style == 3:
                n = rng.choice(_bits(alive[i]))
                alive = self._after(alive, load, n)
                alive[i] = 1 << n
                self._load(load, n, 1)
                continue
            scored = []
            for n in _bits(alive[i]):
                after = self._after(alive, load, n)
                left = [after[j].bit_count() for j in todo]
                if all(left):
                    scored.append((sum(left), rng.random(), n, after))
            if not scored:
                return False
            if style == 0:
                choice = rng.choice(scored)
            else:
                scored.sort(key=lambda t: (-t[0], t[1]))
                choice = scored[0] if style == 1 else rng.choice(scored[:2])
            n, alive = choice[2], choice[3]
            alive[i] = 1 << n
            self._load(load, n, 1)
        return True

    def _load(self, load: dict[tuple[str, int], int], n: int, sign: int) -> None:
        """Add (sign 1) or take back (-1) place n's minutes on its attendees' local dates."""
        for key in self.day_of[n]:
            load[key] = load.get(key, 0) + sign * self.dur[self.ids[n][0]]


def _bits(bits: int) -> list[int]:
    """The indexes of the set bits, lowest first."""
    out = []
    while bits:
        low = bits & -bits
        out.append(low.bit_length() - 1)
        bits ^= low
    return out


def _one(oracle: Oracle, x: list[list[Any]], assume: list[Any] = ()) -> list[int] | None:
    """A schedule of the oracle's model under the assumed literals (the option chosen per meeting),
    or None if it has none."""
    oracle.model.clear_assumptions()
    oracle.model.add_assumptions(assume)
    solver = oracle.solve()
    oracle.model.clear_assumptions()
    if solver is None:
        return None
    return [next(j for j, lit in enumerate(row) if solver.value(lit)) for row in x]


def _second(oracle: Oracle, x: list[list[Any]], schedule: list[int]) -> list[int] | None:
    """A schedule of the model other than `schedule`, or None: `schedule` is the only one. The
    exclusion holds only under a fresh literal assumed for this solve, so the model keeps it idle."""
    other = oracle.model.new_bool_var("other")
    oracle.model.add_bool_or([x[i][j].Not() for i, j in enumerate(schedule)]).only_enforce_if(other)
    return _one(oracle, x, [other])
