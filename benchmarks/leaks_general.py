"""The general family's leak detector (issue 18): can shallow features that the tools show predict a
task's answer without solving it?

For each category and difficulty it generates fresh tuples, takes the gold answer (the only one, for
a generator that proves uniqueness), and poses one choice of it as a ranking over candidates that
any agent sees through the tools:

    trip_planning       day 1's city among the cities reachable from the start with a valid day 1
    meeting_scheduling  the first meeting's start among its grid starts that the calendars allow
    shopping            the store among the stores that can cover every list entry
    course_timetabling  the first course's first session slot among its teacher's available slots

Each candidate gets shallow features (its position in the tool's listing and in name order, price
and rating ranks, number of links, completeness of its data, ties, round numbers, how often the
rules or other entities name it, its neighbours in the listing). A plain model (scikit-learn
logistic regression and gradient boosting) learns on 75% of the tuples; on the rest its top-scored
candidate is its guess. The figure is that guess's accuracy against chance (the mean of
1/candidates): a category whose detector beats chance by more than 10 points at difficulty >= 3 has
a leak (issue 18). scikit-learn is a benchmark dependency only (`pip install -e '.[bench]'`).

    .venv/bin/python benchmarks/leaks_general.py [--n 2000] [--category C] [--difficulty D] [--seed S]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from synth import Run, ToolClient, categories, family, gold_trajectory

Rows = list[list[float]]


def _rank(values: list[float]) -> list[float]:
    """Rank of each value among `values` (0 = smallest, ties share), scaled to 0..1."""
    order = sorted(set(values))
    top = max(len(order) - 1, 1)
    return [order.index(v) / top for v in values]


def _round(x: float) -> float:
    return float(x % 100 == 0 or x % 50 == 0)


def trip(client: ToolClient, params: dict[str, Any], answer: Any) -> tuple[Rows, int] | None:
    from synth.environments.general.trip_planning._solve import TripView
    from synth.verifiers.general.rules.trip_planning import AFTERNOON, DINNER, LUNCH, open_at, open_through

    view = TripView(client, params)
    # candidates keep day 1's rules: a city the rules rule out is the task, not a leak
    options = [c for c in view.reachable(view.start) if c != view.start and view.cheapest_day(c, 1) is not None]
    if answer[0]["city"] not in options or len(options) < 2:
        return None
    raw = []
    for i, city in enumerate(options):
        hotels, restaurants, attractions = view.venues(city)
        floor = params["min_hotel_rating"] or 0
        prices = [h["price"] for h in hotels] + [r["avg_price"] for r in restaurants] + [a["ticket"] for a in attractions]
        raw.append([
            i / max(len(options) - 1, 1),
            len(view.reachable(city)),
            min(h["price"] for h in hotels),
            min(r["avg_price"] for r in restaurants),
            min(a["ticket"] for a in attractions),
            max(h["rating"] for h in hotels),
            max(r["rating"] for r in restaurants),
            sum(h["rating"] >= floor for h in hotels),
            sum(open_at(r["opening_hours"], LUNCH) for r in restaurants),
            sum(open_at(r["opening_hours"], DINNER) for r in restaurants),
            sum(open_through(a["opening_hours"], *AFTERNOON) for a in attractions),
            sum(a["indoor"] for a in attractions),
            float(view.rainy(city, 1)) if params["rain_rule"] else 0.0,
            len(prices) - len(set(prices)),
            sum(_round(p) for p in prices),
            sum(h["price"] for h in hotels) / len(hotels),
        ])
    rows = _with_ranks(raw, rank_columns=(1, 2, 3, 4, 5, 6, 15))
    return rows, options.index(answer[0]["city"])


def meeting(client: ToolClient, params: dict[str, Any], answer: Any) -> tuple[Rows, int] | None:
    from synth.environments.general.meeting_scheduling._solve import Calendar, Schedule
    from synth.verifiers.general.rules.meeting_scheduling import GRID, parse_start

    cal = Calendar(client, params)
    first = params["meetings"][0]["id"]
    starts = cal.domains[first]
    chosen = next(parse_start(a["start"]) for a in answer if a["meeting"] == first)
    if chosen not in starts or len(starts) < 2:
        return None
    domain, plan = set(starts), Schedule(cal)
    raw = []
    for i, s in enumerate(starts):
        run_left = 0
        while s - (run_left + 1) * GRID in domain:
            run_left += 1
        run_right = 0
        while s + (run_right + 1) * GRID in domain:
            run_right += 1
        raw.append([i / max(len(starts) - 1, 1), (s - starts[0]) / 1440, (s % 1440) / 1440, float(s % 60 == 0),
                    run_left, run_right, run_left + run_right, len(plan.rooms_for(first, s)),
                    float(i == 0), float(i == len(starts) - 1)])
    return _with_ranks(raw, rank_columns=(6, 7)), starts.index(chosen)


def shopping(client: ToolClient, params: dict[str, Any], answer: Any) -> tuple[Rows, int] | None:
    from collections import Counter

    from synth.environments.general.shopping._solve import Market

    market = Market(client, params)
    # candidates keep the list's rules: a store with no qualifying product (in stock, with an accessory
    # it stocks) for some entry is ruled out by the task, not by a leak (as trip's day-1 cities are)
    stores = [s for s in sorted(market.stores) if all(market.options(s))]
    if answer["store"] not in stores or len(stores) < 2:
        return None
    named = Counter(c["store"] for c in market.coupons)
    excluded = {code for c in market.coupons for code in c["excludes"]}
    raw = []
    for i, store in enumerate(stores):
        prices, _ = market.prices(store)
        options = market.options(store)
        cheapest = sum(min(sum(prices[s] * q for s, q in x.items()) for x in o) for o in options if o)
        usable = market.usable(store)
        raw.append([i / max(len(stores) - 1, 1), named[store], len(usable), sum(c["code"] in excluded for c in usable),
                    sum(c["kind"] == "fixed" for c in usable), max((c["min_spend"] for c in usable), default=0),
                    cheapest, market.stores[store]["delivery_fee"], len(prices), float(any(not o for o in options)),
                    sum(len(o) for o in options)])
    return _with_ranks(raw, rank_columns=(1, 2, 6, 7)), stores.index(answer["store"])


def timetable(client: ToolClient, params: dict[str, Any], answer: Any) -> tuple[Rows, int] | None:
    from synth.environments.general.course_timetabling._solve import read_school

    search, domains = read_school(client, params)
    first = params["courses"][0]
    slots = list(dict.fromkeys(slot for slot, _ in domains[(first, 0)]))
    chosen = next(a["slot"] for a in answer if a["course"] == first)
    if chosen not in slots or len(slots) < 2:
        return None
    others: dict[str, int] = {}
    for (course, k), dom in domains.items():
        if course != first and k == 0:
            for slot in {s for s, _ in dom}:
                others[slot] = others.get(slot, 0) + 1
    raw = []
    for i, slot in enumerate(slots):
        day, period = search.slots[slot]
        rooms = sum(1 for s, _ in domains[(first, 0)] if s == slot)
        raw.append([i / max(len(slots) - 1, 1), day, period, rooms, others.get(slot, 0), float(i == 0),
                    float(i == len(slots) - 1)])
    return _with_ranks(raw, rank_columns=(3, 4)), slots.index(chosen)


def _with_ranks(raw: Rows, rank_columns: tuple[int, ...]) -> Rows:
    """The raw features plus, for the listed columns, each candidate's rank within its task."""
    ranks = [_rank([r[c] for r in raw]) for c in rank_columns]
    return [list(map(float, r)) + [rk[i] for rk in ranks] + [float(len(raw))] for i, r in enumerate(raw)]


CHOICES: dict[str, Callable[[ToolClient, dict[str, Any], Any], tuple[Rows, int] | None]] = {
    "trip_planning": trip, "meeting_scheduling": meeting, "shopping": shopping, "course_timetabling": timetable}


def collect(category: str, difficulty: int, n: int, seed: int, root: Path) -> list[tuple[Rows, int]]:
    """(candidate features, index of the answer's candidate) for each of n fresh tuples."""
    fam = family("general")
    run = Run.create(root / f"{category}-{difficulty}")
    out = []
    for index in range(n):
        record = fam.build_tuple(run, category, seed, index, difficulty)
        gold = gold_trajectory(record, run)
        if gold.verdict is None or gold.verdict.status != "pass":
            continue
        with fam.open(record, run) as env:
            client = ToolClient(lambda name, arguments: env.call(name, arguments).content, env.tools)
            found = CHOICES[category](client, json.loads(json.dumps(record.task.metadata)), json.loads(gold.submission))
        if found is not None:
            out.append(found)
    return out


def detect(items: list[tuple[Rows, int]], cut: int | None = None) -> dict[str, float]:
    """Top-1 accuracy of each model on the held-out quarter (or on the items from `cut` on), and chance."""
    import numpy as np
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    cut = len(items) * 3 // 4 if cut is None else cut
    train, test = items[:cut], items[cut:]
    x = np.array([row for rows, _ in train for row in rows])
    y = np.array([int(i == answer) for rows, answer in train for i in range(len(rows))])
    out = {"tuples": float(len(items)), "chance": float(np.mean([1 / len(rows) for rows, _ in test]))}
    models = {"logistic": make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)),
              "boosting": GradientBoostingClassifier(random_state=0)}
    for name, model in models.items():
        model.fit(x, y)
        hits = 0
        for rows, answer in test:
            scores = model.predict_proba(np.array(rows))[:, 1]
            hits += int(np.argmax(scores)) == answer
        out[name] = hits / len(test)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="tuples per category and difficulty")
    parser.add_argument("--seed", type=int, default=20261207, help="a seed no test uses")
    parser.add_argument("--category", action="append", help="only these categories (repeatable)")
    parser.add_argument("--difficulty", type=int, action="append", help="only these difficulties (default 3 and 5)")
    args = parser.parse_args()
    chosen = args.category or sorted(categories("general"))
    levels = args.difficulty or [3, 5]
    bugs = []
    print(f"{'category':<20}{'d':>3}{'tuples':>8}{'chance':>9}{'logistic':>10}{'boosting':>10}{'  best - chance':>16}{'s':>7}")
    with tempfile.TemporaryDirectory() as tmp:
        for category in chosen:
            for difficulty in levels:
                t0 = time.perf_counter()
                result = detect(collect(category, difficulty, args.n, args.seed, Path(tmp)))
                over = max(result["logistic"], result["boosting"]) - result["chance"]
                if over > 0.10:
                    bugs.append(f"{category} d{difficulty}: {over:+.1%} over chance")
                print(f"{category:<20}{difficulty:>3}{int(result['tuples']):>8}{result['chance']:>9.1%}"
                      f"{result['logistic']:>10.1%}{result['boosting']:>10.1%}{over:>+16.1%}"
                      f"{time.perf_counter() - t0:>7.0f}", flush=True)
    print("\nno leak above chance + 10 points" if not bugs else "\nleaks (issue 18: a bug):\n  " + "\n  ".join(bugs))


if __name__ == "__main__":
    main()
