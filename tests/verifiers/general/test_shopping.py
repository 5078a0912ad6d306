"""shopping's checker: a hand-built shop whose totals are worked out by hand, and the adversary's
attempts, one test each. Grading only: the database is built by hand with the category's schema."""

import json

import hand_cases
from hand_cases import SHOP_GOOD as GOOD
from hand_cases import SHOP_PARAMS as PARAMS
import pytest

from synth.verifiers.general import checker

CAT = "shopping"


# --------------------------------------------------------------- a hand-built shop with known totals

@pytest.fixture()
def shop():
    return hand_cases.shop()


def verdict(db, answer, params=PARAMS):
    text = answer if isinstance(answer, str) else json.dumps(answer)
    return {c.name: c for c in checker(CAT).grade(db, params, text)}


def failing(db, answer, params=PARAMS) -> set[str]:
    return {name for name, c in verdict(db, answer, params).items() if not c.passed}


def cart(**changes):
    return json.loads(json.dumps(dict(GOOD, **changes)))


def items(*pairs):
    return [{"product": p, "qty": q} for p, q in pairs]


def test_hand_case_total_is_recomputed_to_the_cent(shop):
    checks = verdict(shop, GOOD)
    assert all(c.passed for c in checks.values()), [c for c in checks.values() if not c.passed]
    assert set(checks) == set(checker(CAT).checks)
    assert checks["budget"].actual == 380.0
    assert failing(shop, GOOD, dict(PARAMS, budget=37999)) == {"budget"}
    assert failing(shop, cart(coupons=["CAM10"])) == {"budget"}  # 400 without FIX20


def test_hand_case_delivery_fee_below_the_threshold(shop):
    small = cart(items=items(("SKU-3001", 2)), coupons=[])
    checks = verdict(shop, small, dict(PARAMS, budget=10499))
    assert checks["budget"].passed and checks["budget"].actual == 104.99  # 100 + 4.99 delivery
    assert not verdict(shop, small, dict(PARAMS, budget=10498))["budget"].passed
    assert verdict(shop, small, dict(PARAMS, budget=10000, delivery=False))["budget"].passed


def test_hand_case_each_rule_is_enforced(shop):
    assert failing(shop, cart(coupons=["CAM10", "FIX20", "BIG30"])) == {"coupons.stacking"}
    assert failing(shop, cart(coupons=["BIG30", "CAM10"])) == {"coupons.stacking"}
    assert failing(shop, cart(coupons=["BIG30"])) == set()  # exclusive alone: 430 - 129 = 301
    assert failing(shop, cart(coupons=["CAM10", "CAM20"])) >= {"coupons.stacking"}
    assert failing(shop, cart(coupons=["OLD15", "FIX20"])) == {"coupons.valid", "budget"}
    assert "coupons.valid" in failing(shop, cart(coupons=["CITY5", "CAM10", "FIX20"]))
    assert failing(shop, cart(items=items(("SKU-1001", 1), ("SKU-3001", 2)))) == {"accessories"}
    assert "accessories" in failing(shop, cart(items=items(("SKU-1001", 2), ("SKU-2002", 1), ("SKU-3001", 2))))
    low_rated = cart(items=items(("SKU-1002", 1), ("SKU-2001", 1), ("SKU-3001", 2)), coupons=["CAM10", "FIX20"])
    assert failing(shop, low_rated) == {"list.covered"}
    assert failing(shop, cart(items=items(("SKU-1001", 1), ("SKU-2002", 1), ("SKU-3001", 4)))) >= {"items.in_stock"}
    assert failing(shop, cart(store="CityTech", coupons=[])) >= {"items.in_stock"}  # no SKU-2002 there
    headphones_only = cart(items=items(("SKU-3001", 2)), coupons=["FIX20"])
    assert "coupons.conditions" in failing(shop, headphones_only)
    assert "coupons.conditions" in failing(shop, cart(items=items(("SKU-3001", 2)), coupons=["CAM10"]))  # base 0


def test_hand_case_unit_price_cap(shop):
    params = json.loads(json.dumps(PARAMS))
    params["needs"][1]["max_unit_price"] = 4999
    assert "list.covered" in failing(shop, GOOD, params)


def test_exploit_claimed_total_is_ignored(shop):
    assert failing(shop, cart(total=380.0)) == set()
    assert failing(shop, cart(coupons=[], total=1.0)) == {"budget"}


def test_exploit_negative_or_zero_quantity_to_lower_the_total(shop):
    sneaky = cart(items=GOOD["items"] + [{"product": "SKU-1002", "qty": -1}], coupons=["CAM10"])
    assert "items.lines" in failing(shop, sneaky)
    assert verdict(shop, sneaky)["budget"].actual == 400.0  # the negative line adds nothing, subtracts nothing
    assert "items.lines" in failing(shop, cart(items=GOOD["items"] + [{"product": "SKU-2001", "qty": 0}]))


def test_exploit_one_accessory_shared_by_two_products(shop):
    # Two cameras, one card: each camera alone "has" a compatible card, together they lack one.
    params = json.loads(json.dumps(PARAMS))
    params["needs"][0].update(qty=2, min_rating=None)
    shared = cart(items=items(("SKU-1001", 1), ("SKU-1002", 1), ("SKU-2001", 1), ("SKU-3001", 2)), coupons=[])
    assert "accessories" in failing(shop, shared, dict(params, budget=10**6))
    enough = cart(items=items(("SKU-1001", 1), ("SKU-1002", 1), ("SKU-2001", 1), ("SKU-2002", 1),
                              ("SKU-3001", 2)), coupons=[])
    assert failing(shop, enough, dict(params, budget=10**6)) == set()
    # The matching, not the count: SKU-1002 takes only SKU-2001, so two SKU-2002 do not help it.
    wrong_kind = cart(items=items(("SKU-1001", 1), ("SKU-1002", 1), ("SKU-2002", 2), ("SKU-3001", 2)), coupons=[])
    assert "accessories" in failing(shop, wrong_kind, dict(params, budget=10**6))


def test_exploit_split_lines_to_dodge_the_stock_limit(shop):
    split = cart(items=items(("SKU-1001", 1), ("SKU-2002", 1), ("SKU-3001", 2), ("SKU-3001", 2)))
    assert failing(shop, split) >= {"items.lines", "items.in_stock"}


def test_exploit_huge_quantity(shop):
    assert failing(shop, cart(items=items(("SKU-1001", 1), ("SKU-2002", 10**12), ("SKU-3001", 2)))) >= {
        "items.lines", "items.in_stock", "budget"}


def test_exploit_float_bool_or_string_quantities(shop):
    for qty in (2.0, True, "2", None):
        bad = cart(items=items(("SKU-1001", 1), ("SKU-2002", 1), ("SKU-3001", qty)))
        assert failing(shop, bad) == {"format"}, qty


def test_exploit_same_coupon_twice(shop):
    twice = cart(coupons=["CAM10", "CAM10", "FIX20"])
    checks = verdict(shop, twice)
    assert not checks["coupons.known"].passed
    assert checks["budget"].actual == 380.0  # counted once


def test_exploit_unknown_or_case_variant_ids(shop):
    assert failing(shop, cart(store="brightmart")) >= {"store.known"}
    assert failing(shop, cart(coupons=["cam10", "FIX20"])) >= {"coupons.known"}
    assert failing(shop, cart(items=GOOD["items"] + [{"product": "sku-1001", "qty": 1}])) >= {"items.known"}
    assert failing(shop, cart(store="x' OR '1'='1")) >= {"store.known"}


def test_exploit_wrong_shapes(shop):
    assert failing(shop, "") == {"format"}
    assert failing(shop, "[]") == {"format"}
    assert failing(shop, cart(note="approved by manager")) == {"format"}
    assert failing(shop, {"store": "BrightMart", "items": [], "coupons": []}) >= {"list.covered"}


def test_exploit_a_huge_answer_fails_its_size_limit_before_any_other_check(shop):
    flood = cart(coupons=[f"X{i}" for i in range(20000)] * 2,
                 items=GOOD["items"] + [{"product": f"SKU-{i}", "qty": 1} for i in range(20000)])
    assert failing(shop, flood) == {"format.size"}


def test_exploit_a_flood_within_the_size_limit_is_graded_on_its_checks(shop):
    flood = cart(coupons=[f"X{i}" for i in range(300)] * 2,
                 items=GOOD["items"] + [{"product": f"SKU-{i}", "qty": 1} for i in range(300)])
    assert len(json.dumps(flood)) <= 20_000
    assert failing(shop, flood) >= {"coupons.known", "items.known"}


def test_false_negative_the_same_sku_on_two_lines_fails_a_rule_the_prompt_states(shop):
    split = cart(items=items(("SKU-1001", 1), ("SKU-2002", 1), ("SKU-3001", 1), ("SKU-3001", 1)))
    assert failing(shop, split) == {"items.lines"}
    sentence = dict(checker(CAT).statements(PARAMS))["items.lines"]
    assert "one line only" in sentence


def test_false_negative_the_quantity_cap_is_a_rule_the_prompt_states(shop):
    assert "items.lines" in failing(shop, cart(items=items(("SKU-1001", 1), ("SKU-2002", 1), ("SKU-3001", 100))))
    assert "from 1 to 99" in dict(checker(CAT).statements(PARAMS))["items.lines"]
