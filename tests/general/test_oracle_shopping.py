"""shopping's generate-then-solve generator (issue 18): the oracle's cart is accepted by the checker
at exactly the budget, one cent less admits no cart at any store (the gold solver's model, built from
the tools, finds none), the gold solver must find the oracle's cart at generation, the task records
the oracle's effort and never the answer, and a tighter or looser model changes nothing pure."""

from __future__ import annotations

import json

import pytest

from synth import GenerationError, Run, category, family, gold_trajectory
from synth.environments.general import item_rng
from synth.environments.general.shopping import _build, _model

CAT = "shopping"


@pytest.mark.parametrize("seed,indices,difficulty", [(7, (0, 1, 2), 1), (7, (0, 1, 2), 3), (7, (0, 1, 2), 5),
                                                     # a conflict-capped solve once passed a feasible cart
                                                     # off as the optimum (another store was cheaper)
                                                     (9, (2,), 5)])
def test_the_oracles_cart_passes_at_the_budget_and_nothing_is_cheaper(seed, indices, difficulty):
    cat = category("general", CAT)
    for index in indices:
        built = cat.build(item_rng(CAT, seed, index, difficulty), difficulty)
        checks = cat.check(built.db, built.params, built.answer)
        assert all(c.passed for c in checks), [c for c in checks if not c.passed]
        # the checker's own total is the budget: the cart spends all of it
        assert [c.actual for c in checks if c.name == "budget"] == [built.params["budget"] / 100]
        stores = [r[0] for r in built.db.execute("SELECT store FROM stores")]
        shops = {s: _shop(built, s) for s in stores}
        assert all(_model.within(shop, built.params["budget"] - 1) is None for shop in shops.values())
        others = [s for s in stores if s != built.answer["store"]]
        assert all(_model.within(shops[s], built.params["budget"]) is None for s in others)


def _shop(built, store):
    """A store's model read straight from the database (not through the tools)."""
    db, p = built.db, built.params
    inv = {s: (pr, n) for s, pr, n in db.execute("SELECT sku, price, stock FROM inventory WHERE store=?", (store,))}
    cat_of = dict(db.execute("SELECT sku, category FROM products"))
    rating = dict(db.execute("SELECT sku, rating FROM products"))
    req: dict[str, list[str]] = {}
    for s, a in db.execute("SELECT sku, accessory FROM requires ORDER BY sku, accessory"):
        req.setdefault(s, []).append(a)
    terms = dict(zip(("delivery_fee", "free_delivery_over"), db.execute(
        "SELECT delivery_fee, free_delivery_over FROM stores WHERE store=?", (store,)).fetchone()))
    cols = [d[1] for d in db.execute("PRAGMA table_info(coupons)")]
    coupons = []
    for row in db.execute("SELECT * FROM coupons"):
        c = dict(zip(cols, row))
        c["excludes"] = c["excludes"].split(",") if c["excludes"] else []
        if c["store"] in (None, store) and c["valid_from"] <= p["date"] <= c["valid_until"]:
            coupons.append(c)
    return _model.Shop(store, {s: v[0] for s, v in inv.items()}, {s: v[1] for s, v in inv.items()}, cat_of, rating,
                       req, coupons, terms, p["needs"], p["delivery"], p["max_coupons"])


def test_the_task_records_the_oracles_effort_and_never_its_answer(tmp_path):
    run = Run.create(tmp_path / "r")
    record = family("general").build_tuple(run, CAT, 7, 0, 3)
    effort = record.task.metadata["oracle"]
    assert set(effort) == {"solves", "branches", "conflicts", "booleans"} and effort["solves"] == 4
    gold = gold_trajectory(record, run)
    assert gold.verdict.status == "pass"
    assert json.loads(gold.submission)["items"]


def test_a_gold_solver_that_misses_the_oracles_answer_stops_generation(tmp_path, monkeypatch):
    from synth.environments.general.shopping import _solve

    def wrong(client, params):
        client.submit_result(answer_text=json.dumps({"store": "", "items": [], "coupons": []}))

    monkeypatch.setattr(_solve, "solve", wrong)
    with pytest.raises(GenerationError, match="the gold solver found"):
        family("general").build_tuple(Run.create(tmp_path / "r"), CAT, 7, 0, 3)


def test_levels_grow():
    sizes = [(_build.LEVELS[d].needs, _build.LEVELS[d].stores, _build.LEVELS[d].coupons) for d in (1, 3, 5)]
    assert sizes == sorted(sizes) and len(set(sizes)) == 3
