"""shopping's gold solver: find a cart within budget through the tools only, and submit it.

Sits under the shopping category (`__init__`); it receives a ToolClient and the task params,
nothing else, and reads prices back from the tools' currency units (`cents` of the shared rules).
It prices carts with the same rules the checker recomputes them with.

Search: stores in name order; per store, the constraint model of every cart it allows (`_model`,
built from what the tools show: every category's catalogue, the store's inventory and the coupons it
accepts on the date) asked by CP-SAT for a cart within the budget: search with propagation, and
complete. The generator proved one cart at one store the only one within the budget, so the first
found is that cart (checked at generation); with none, an empty answer.
"""

from __future__ import annotations

from typing import Any

from synth import ToolClient
from synth.verifiers.general.rules.shopping import cents, compatible, coupon_applies, meets_need, price_cart, valid_on

from .._base import answer_text
from ._model import Shop, within


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

    def shop(self, store: str) -> Shop:
        """`store`'s side of the instance as the tools show it (every category's catalogue, read once)."""
        if not hasattr(self, "_products"):
            self._products = {p["sku"]: p for cat in self.client.list_categories()
                              for p in self.client.search_products(category=cat)}
        prices, category_of = self.prices(store)
        return Shop(store, prices, {s: r["stock"] for s, r in self.stock(store).items()}, category_of,
                    {s: p["rating"] for s, p in self._products.items()},
                    {s: p["requires_one_of"] for s, p in self._products.items() if p["requires_one_of"]},
                    self.usable(store), self.stores[store], self.params["needs"], self.params["delivery"],
                    self.params["max_coupons"])

    def submit(self, store: str, lines: dict[str, int], codes: list[str]) -> None:
        self.client.submit_result(answer_text=answer_text({
            "store": store, "items": [{"product": s, "qty": q} for s, q in sorted(lines.items())], "coupons": codes}))


def solve(client: ToolClient, params: dict[str, Any]) -> None:
    """Gold solution: per store in name order, the constraint model of every cart it allows (built from
    what the tools show: `_model`, search with propagation) asked for one within the budget; the
    first found is submitted (the generator proved it the only one), with none an empty answer."""
    market = Market(client, params)
    for store in sorted(market.stores):
        answer = within(market.shop(store), params["budget"])
        if answer is not None:
            client.submit_result(answer_text=answer_text(answer))
            return
    client.submit_result(answer_text=answer_text({"store": "", "items": [], "coupons": []}))
