"""meeting_scheduling's solvers for the generator (`_build`): the CP-SAT oracle's model over the same
rules the checker states (`_model`, `_one`, `_second`), and a bit-set search over the live places of
an instance (`_Board`), fast enough for the many small solves of the generator's tightening loop and
for the agents without backtracking that a kept instance must defeat (`_greedy_wins`).

Sits under `_build`; uses the shared calendar rules and the general oracle (`.._oracle`).
"""

from __future__ import annotations

import random
from typing import Any

from ortools.sat.python import cp_model

from synth.verifiers.general.rules.meeting_scheduling import local_day

from .._oracle import Oracle


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


class OutOfNodes(Exception):
    """A capped search (`_Board.solve`) reached its node cap undecided."""


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

    def add_precedence(self, a: int, b: int) -> None:
        """State one more precedence pair: meeting b starts once meeting a has ended."""
        for n, (i, s, _) in enumerate(self.ids):
            if i != a:
                continue
            for m, (j, t, _) in enumerate(self.ids):
                if j == b and t < s + self.dur[a]:
                    self.clash[n] |= 1 << m
                    self.clash[m] |= 1 << n

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

    def solve(self, alive: list[int], avoid: list[int] | None = None, rng: random.Random | None = None,
              nodes: int | None = None) -> list[int] | None:
        """A schedule (the option index per meeting) among the live places, other than `avoid`, or
        None: depth first, the meeting with the fewest places first, forward checking (and, per
        person and local date, no more meetings than the daily limit leaves room for). With `rng` the
        places of a meeting are tried in random order (a schedule drawn at random, not the first in
        time), else lowest index first. Past `nodes` nodes (None: no cap) it raises OutOfNodes."""
        load: dict[tuple[str, int], int] = {}
        chosen: dict[int, int] = {}
        count = [0]

        def search(alive: list[int]) -> list[int] | None:
            count[0] += 1
            if nodes is not None and count[0] > nodes:
                raise OutOfNodes
            todo = [i for i in range(self.k) if i not in chosen]
            if not todo:
                found = [self.option[chosen[i]][1] for i in range(self.k)]
                return None if found == avoid else found
            i = min(todo, key=lambda i: alive[i].bit_count())
            places = _bits(alive[i])
            if rng is not None:
                rng.shuffle(places)
            for n in places:
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
