"""shopping: the generator and gold solver, the prompt, the tools over a hand-built shop, and the
wiring of the category to its checker. Grading itself (hand-worked totals, the adversary's
attempts) is tested in tests/verifiers/general/test_shopping.py."""

import json

import hand_cases
import pytest

from synth import Run, ToolRuntime, category, family
from synth import gold_trajectory
from synth.verifiers.general import checker

CAT = "shopping"


def test_hard_levels_need_coupons_most_of_the_time(tmp_path):
    run = Run.create(tmp_path / "r")
    fam = family("general")
    used = 0
    for index in range(12):
        record = fam.build_tuple(run, CAT, 4, index, 5)
        used += bool(json.loads(gold_trajectory(record, run).submission)["coupons"])
    assert used >= 8


# ------------------------------------------------------- the tools over a hand-built shop

# The shop of tests/verifiers/general/test_shopping.py (test modules do not import each other).


@pytest.fixture()
def shop():
    return hand_cases.shop()


def test_tools_report_prices_in_currency_and_structured_errors(shop):
    runtime = ToolRuntime.of(category("general", CAT).tools, shop)
    stock = json.loads(runtime.call("get_store_inventory", {"store": "BrightMart", "category": "cameras"}).content)
    assert [(r["sku"], r["price"], r["stock"]) for r in stock] == [("SKU-1001", 300.0, 2), ("SKU-1002", 250.0, 5)]
    found = json.loads(runtime.call("search_products", {"category": "cameras", "min_rating": 4}).content)
    assert found == [{"sku": "SKU-1001", "name": "Arcon camera", "brand": "Arcon", "rating": 4.5,
                      "requires_one_of": ["SKU-2001", "SKU-2002"]}]
    coupons = json.loads(runtime.call("list_coupons", {"store": "CityTech"}).content)
    assert [c["code"] for c in coupons] == ["CITY5", "FIX20"]
    for name, args, kind in [
        ("get_store_inventory", {"store": "Nowhere"}, "not_found"),
        ("get_product", {"sku": "SKU-0"}, "not_found"),
        ("search_products", {"category": "cameras", "min_rating": "high"}, "invalid_arguments"),
        ("list_coupons", {"shop": "BrightMart"}, "invalid_arguments"),
    ]:
        result = runtime.call(name, args)
        assert result.error and result.error_kind == kind, (name, result.content)


def test_prompt_lists_each_need_on_its_own_line(tmp_path):
    record = family("general").build_tuple(Run.create(tmp_path / "r"), CAT, 1, 2, 5)
    lines = record.task.prompt.splitlines()
    for need in record.task.metadata["needs"]:
        assert any(line.startswith(f"- {need['qty']} x {need['category']}") for line in lines), record.task.prompt


def test_grading_is_the_checkers_not_the_category(shop):
    """The category owns no grading: its answer schema, check names and verdicts are its checker's."""
    cat, grading = category("general", CAT), checker(CAT)
    assert not {"answer_schema", "check_names", "check", "verify"} & set(vars(type(cat)))
    assert cat.answer_schema is grading.answer_schema and cat.check_names == grading.checks
    params = {"date": "2026-03-10", "budget": 10499, "budget_text": "104.99", "delivery": True, "max_coupons": None,
              "needs": [{"category": "headphones", "qty": 2, "min_rating": None, "max_unit_price": None,
                         "max_unit_price_text": None}]}
    text = json.dumps({"store": "BrightMart", "items": [{"product": "SKU-3001", "qty": 2}], "coupons": []})
    verdict = cat.verify(shop, params, text)
    assert verdict == grading.grade(shop, params, text) and all(c.passed for c in verdict)
