"""shopping's gold solver: find a cart within budget through the tools only, and submit it.

Sits under the shopping category (`__init__`); it receives a ToolClient and the task params,
nothing else, and reads prices back from the tools' currency units (`cents` of the shared rules).
It prices carts with the same rules the checker recomputes them with.

Search: stores in name order; per store, every compatible subset of the coupons it accepts on the
date, fewest coupons first; per subset, one product per list entry with each of its compatible
accessories, depth-first from the cheapest (`_cheapest_cart`). The first cart that meets every
coupon's condition and the budget is submitted; with none, an empty answer.
"""

from __future__ import annotations

import itertools
from typing import Any

from synth import ToolClient
from synth.verifiers.general.rules.shopping import cents, compatible, coupon_applies, meets_need, price_cart, valid_on

from .._base import answer_text


class Market:
    """The shops as the tools show them, read once: store terms, the catalogue of each list entry's
    category (at its rating floor), every coupon (money in cents), and each store's stock."""

    def __init__(self, client: ToolClient, params: dict[str, Any]) -> None:
        self.client, self.params = client, params
        self.stores = {s["store"]: {"delivery_fee": cents(s["delivery_fee"]),
                                    "free_delivery_over": None if s["free_delivery_over"] is None
                                    else cents(s["free_delivery_over"])} for s in client.list_stores()}
        self.catalogue: dict[str, dict[str, Any]] = {}
        for need in params["needs"]:
            for p in client.search_products(category=need["category"], min_rating=need["min_rating"] or 0.0):
                self.catalogue[p["sku"]] = dict(p, category=need["category"])
        self.coupons = [dict(c, category=None if c["category"] == "any" else c["category"],
                             value=c["value"] if c["kind"] == "percent" else cents(c["value"]),
                             min_spend=cents(c["min_spend"]), excludes=c["not_combinable_with"])
                        for c in client.list_coupons()]
        self._stock: dict[str, dict[str, dict[str, Any]]] = {}

    def stock(self, store: str) -> dict[str, dict[str, Any]]:
        """sku -> {price (currency units), stock, category, ...} of what `store` carries."""
        if store not in self._stock:
            self._stock[store] = {r["sku"]: r for r in self.client.get_store_inventory(store=store)}
        return self._stock[store]

    def prices(self, store: str) -> tuple[dict[str, int], dict[str, str]]:
        """(sku -> price in cents, sku -> category) at `store`."""
        stock = self.stock(store)
        return {s: cents(r["price"]) for s, r in stock.items()}, {s: r["category"] for s, r in stock.items()}

    def options(self, store: str) -> list[list[dict[str, int]]]:
        """Per list entry, the carts that cover it at `store` (one qualifying product in full quantity,
        with one of its accessories in full quantity if it needs one), cheapest first."""
        stock = self.stock(store)
        prices, _ = self.prices(store)
        options_per_need = []
        for need in self.params["needs"]:
            options = []
            for sku, p in sorted(self.catalogue.items()):
                if sku not in stock or stock[sku]["stock"] < need["qty"] \
                        or not meets_need(need, p["category"], p["rating"], prices[sku]):
                    continue
                if not p["requires_one_of"]:
                    options.append({sku: need["qty"]})
                for accessory in p["requires_one_of"]:
                    if accessory in stock and stock[accessory]["stock"] >= need["qty"]:
                        options.append({sku: need["qty"], accessory: need["qty"]})
            options.sort(key=lambda o: sum(prices[s] * q for s, q in o.items()))
            options_per_need.append(options)
        return options_per_need

    def usable(self, store: str) -> list[dict[str, Any]]:
        """Coupons `store` accepts on the task's date."""
        return [c for c in self.coupons if c["store"] in ("any", store) and valid_on(c, self.params["date"])]

    def price(self, store: str, lines: dict[str, int], coupons: list[dict[str, Any]]) -> tuple[int, dict[str, int]]:
        """(total in cents, base per coupon code) of a cart at `store`."""
        prices, category_of = self.prices(store)
        _, _, total, bases = price_cart(lines, prices, category_of, coupons, self.stores[store], self.params["delivery"])
        return total, bases

    def submit(self, store: str, lines: dict[str, int], codes: list[str]) -> None:
        self.client.submit_result(answer_text=answer_text({
            "store": store, "items": [{"product": s, "qty": q} for s, q in sorted(lines.items())], "coupons": codes}))


def solve(client: ToolClient, params: dict[str, Any]) -> None:
    """Gold solution: search with tool calls only and submit with client.submit_result."""
    market = Market(client, params)
    budget, limit = params["budget"], params["max_coupons"]
    for store in sorted(market.stores):
        prices, category_of = market.prices(store)
        options_per_need = market.options(store)
        usable = market.usable(store)
        subsets = [list(combo) for k in range(len(usable) + 1) for combo in itertools.combinations(usable, k)
                   if compatible(list(combo), limit)]
        for subset in subsets:
            best = _cheapest_cart(options_per_need, subset, prices, category_of, market.stock(store),
                                  market.stores[store], params["delivery"], budget)
            if best is not None:
                market.submit(store, best, [c["code"] for c in subset])
                return
    client.submit_result(answer_text=answer_text({"store": "", "items": [], "coupons": []}))


def _cheapest_cart(options_per_need: list[list[dict[str, int]]], subset: list[dict[str, Any]], prices: dict[str, int],
                   category_of: dict[str, str], stock: dict[str, Any], store: dict[str, Any], delivery: bool,
                   budget: int) -> dict[str, int] | None:
    """A cart (one option per need) that meets every coupon of `subset` and the budget, or None.

    Depth-first over options in order of their discounted cost, pruned by a lower bound: percent
    coupons taken at their exact rate (the real discount rounds down, so it is never larger) and
    every fixed coupon in full."""
    rate: dict[str, float] = {}
    for c in subset:
        if c["kind"] == "percent":
            for s in prices:
                if c["category"] in (None, category_of[s]):
                    rate[s] = rate.get(s, 0.0) + c["value"] / 100
    fixed = sum(c["value"] for c in subset if c["kind"] == "fixed")

    def cost(option: dict[str, int]) -> float:
        return sum(prices[s] * q * max(0.0, 1 - rate.get(s, 0.0)) for s, q in option.items())

    ranked = [sorted(((cost(o), i, o) for i, o in enumerate(options)), key=lambda t: (t[0], t[1]))
              for options in options_per_need]
    if any(not r for r in ranked):
        return None
    floor = [0.0] * (len(ranked) + 1)
    for k in range(len(ranked) - 1, -1, -1):
        floor[k] = floor[k + 1] + ranked[k][0][0]
    chosen: list[dict[str, int]] = []

    def search(k: int, spent: float) -> dict[str, int] | None:
        if spent + floor[k] - fixed > budget + 1e-6:
            return None
        if k == len(ranked):
            lines: dict[str, int] = {}
            for option in chosen:
                for s, q in option.items():
                    lines[s] = lines.get(s, 0) + q
            if any(stock[s]["stock"] < q for s, q in lines.items()):
                return None
            _, _, total, bases = price_cart(lines, prices, category_of, subset, store, delivery)
            if total > budget or any(not coupon_applies(c, bases[c["code"]]) for c in subset):
                return None
            return lines
        for c, _, option in ranked[k]:
            chosen.append(option)
            found = search(k + 1, spent + c)
            chosen.pop()
            if found is not None:
                return found
        return None

    return search(0, 0.0)
