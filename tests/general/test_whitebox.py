"""White-box baselines (issue 18): agents written by reading each category's generator, exploiting
the structure it leaves behind without search. Each one that ever won stays here as a regression
test: `xfail(strict=True)` while it still solves more than the gate allows on a fixed sample of
fresh tuples, so the test flips (and must be unmarked) the day the generator defeats it. The full
measurement is `benchmarks/ladder_general.py` (n = 200 per cell)."""

from __future__ import annotations

import math

import pytest

from synth import Run, baseline_records, categories, family

CEILING = {3: 0.05, 5: 0.02}
"""Issue 18's targets: share of tuples any one baseline may solve."""
N = 20
SEED = 4242

WINS = {
    # category: {baseline: difficulties where it still beats the ceiling on this sample}
    # trip_planning's lookahead_first and lookahead_cheapest won 100% against the planted maze
    # (issue 18); they lose against the generate-then-solve generator and stay here as plain tests.
    # second_cheapest read its first filter (the cheapest-first walk was never the answer: 30% at d3);
    # two_swerves reads the filter that replaced it (no walk with one swerve is the answer)
    # (its class, limited discrepancy search of two swerves, is trip's SEARCHES["any_two_swerves"]: the ladder)
    "trip_planning": {"two_swerves": {3, 5}},
    # meeting_scheduling's isolated (100% / 96.5%), latest_first and lookahead won against the planted
    # cycle; mrv_lcv and mrv_lookahead won against the generate-then-solve prototype (4-10 of 20). Against
    # the generator that replaced both (`_build`: a degree-regular instance tightened to one schedule)
    # they lose at d3 on this sample (and on the ladder, n = 200: 0.5-3.5% each), as do pinned, fewest_rooms
    # and least_contested. At d5 (ceiling 0 of 20 here) mrv_lookahead and pinned, most constrained first with
    # one step of look-ahead or at a domain's edge, still solve one tuple or more of this sample
    "meeting_scheduling": {"mrv_lookahead": {5}, "pinned": {5}},
    # shopping's excluded_threshold, one_upgrade and cheapest_feasible won 93-100% against the planted
    # cart (issue 18); they lose against the generate-then-solve generator (0/60 at d3 and d5, seed 5151);
    # two_upgrades and cheapest_store (the store whose cheapest cart costs least) lose too (ladder, n=200),
    # but that store is the answer's far above chance: test_the_cheapest_looking_choice... below
    # course_timetabling's unshared_slots won 75% / 65% against the planted cycle (issue 18); it loses
    # against the generate-then-solve generator, as do least_hit and mrv_lcv. mrv_lookahead (most
    # constrained first, one step of look-ahead, week order) won 8.3% at d3 until the hardness filter's
    # agents also tried week order and its reverse; last_place, tightest_room and fewest_wanted read the
    # current generator and lose on the ladder (n=60, seed 190020: at most 3.3% at d3, 0% at d5), but
    # tightest_room (smallest room that seats the course, then the slot the fewest sessions want) beats
    # the ceiling at d3 on this sample (more than 1 of 20; 1.7% on the ladder)
    "course_timetabling": {"tightest_room": {3}},
}
"""What wins today (measured; README ladder). The leak each exploits is in its module's docstring."""

CASES = [pytest.param(category, name, d,
                      marks=[pytest.mark.xfail(strict=True, reason=f"{category}/{name} still exploits the generator at d{d}")]
                      if d in WINS.get(category, {}).get(name, set()) else [])
         for category in sorted(categories("general"))
         for name in categories("general")[category].whitebox
         for d in sorted(CEILING)]


def test_every_category_has_at_least_three_whitebox_baselines():
    for name, cat in categories("general").items():
        assert len(cat.whitebox) >= 3, name
        assert not set(cat.whitebox) & set(cat.baselines), name


@pytest.fixture(scope="module")
def solved(tmp_path_factory):
    """(category, difficulty) -> {whitebox baseline: tuples it solves} over the fixed sample."""
    cache: dict[tuple[str, int], dict[str, int]] = {}

    def get(category: str, difficulty: int) -> dict[str, int]:
        if (category, difficulty) not in cache:
            run = Run.create(tmp_path_factory.mktemp("whitebox") / "r")
            fam = family("general")
            names = tuple(categories("general")[category].whitebox)
            passes = dict.fromkeys(names, 0)
            for index in range(N):
                record = fam.build_tuple(run, category, SEED, index, difficulty)
                for item in baseline_records(record, run, names):
                    assert item.sound, (item.control, item.verdict.error)
                    passes[item.control.removeprefix("baseline:")] += item.verdict.status == "pass"
            cache[(category, difficulty)] = passes
        return cache[(category, difficulty)]

    return get


@pytest.mark.parametrize("category,name,difficulty", CASES)
def test_whitebox_baseline_stays_under_the_ceiling(solved, category, name, difficulty):
    allowed = math.floor(CEILING[difficulty] * N)
    assert solved(category, difficulty)[name] <= allowed, f"{name} solved {solved(category, difficulty)[name]}/{N}"


def _shopping_guess(client, params):
    """The leak white-box `cheapest_store` reads: the store whose cheapest cart costs least before coupons."""
    from synth.environments.general.shopping._solve import Market
    from synth.environments.general.shopping._whitebox import _by_cart_price

    market = Market(client, params)
    return _by_cart_price(market), len(market.stores)


def _trip_guess(client, params):
    """The day-1 city whose cheapest valid day costs least, among the valid ones (a cost-rank leak)."""
    from synth.environments.general.trip_planning._solve import TripView

    view = TripView(client, params)
    options = [(o[0], c) for c in view.reachable(view.start)
               if c != view.start and (o := view.cheapest_day(c, 1)) is not None]
    return (min(options)[1] if options else None), max(len(options), 1)


def _timetable_guess(client, params):
    """The first course's earliest slot (week order) its teacher, a room and its own rules allow."""
    from synth.environments.general.course_timetabling._solve import read_school

    _, domains = read_school(client, params)
    slots = list(dict.fromkeys(s for s, _ in domains[(params["courses"][0], 0)]))
    return (slots[0] if slots else None), max(len(slots), 1)


GUESSES = {"shopping": (_shopping_guess, lambda answer: answer["store"]),
           "trip_planning": (_trip_guess, lambda answer: answer[0]["city"]),
           "course_timetabling": (_timetable_guess, lambda answer: answer[0]["slot"])}
LEAKS = {"shopping": {3, 5}, "course_timetabling": {5}}
"""Where the guess still beats chance by more than 10 points on this sample (measured; course_timetabling:
at d5 here, not at d3 on this sample although the earliest slot was the first course's 47% of the time
against 25% chance on another, n=30; the learned detector beats chance by 34-36 points on the ladder)."""


@pytest.mark.parametrize("category,difficulty", [
    pytest.param(c, d, marks=[pytest.mark.xfail(strict=True, reason=f"{c}: a shallow guess gives the answer away at d{d}")]
                 if d in LEAKS.get(c, set()) else []) for c in sorted(GUESSES) for d in sorted(CEILING)])
def test_the_cheapest_looking_choice_is_not_the_answer_more_often_than_chance(tmp_path, category, difficulty):
    """The leak detector's strongest shallow feature as a rule (benchmarks/leaks_general.py measures the
    learned detector): the store whose cheapest cart costs least (shopping), the day-1 city whose
    cheapest valid day costs least (trip_planning), the first course's earliest slot
    (course_timetabling) is the answer's at most 10 points above chance."""
    import json

    from synth import ToolClient, gold_trajectory

    guess, truth = GUESSES[category]
    run = Run.create(tmp_path / "r")
    fam = family("general")
    hits = chance = 0.0
    n = 40
    for index in range(n):
        record = fam.build_tuple(run, category, SEED, index, difficulty)
        answer = json.loads(gold_trajectory(record, run).submission)
        with fam.open(record, run) as env:
            client = ToolClient(lambda name, arguments: env.call(name, arguments).content, env.tools)
            picked, candidates = guess(client, json.loads(json.dumps(record.task.metadata)))
        hits += picked == truth(answer)
        chance += 1 / candidates
    assert hits / n <= chance / n + 0.10, f"{hits / n:.0%} against chance {chance / n:.0%}"
