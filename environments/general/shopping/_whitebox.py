"""shopping's white-box baselines: agents written by reading the generator (`_build`), each trying to
exploit the structure it leaves behind without any search over carts (issue 18).

Sits under the category (`GeneralCategory.whitebox` reads `WHITEBOX`). Same interface as the
baselines (a ToolClient and the task params, tool calls only): a cart is the cheapest way to cover
each list entry, or that cart with a single entry upgraded to another of its options; none of them
reads the budget.

- `excluded_threshold`: the threshold coupon is the code another coupon excludes with the same
  minimum spend; the store is the one most coupons name; the cheapest cart plus the single
  cheapest upgrade that reaches that spend, with the best coupons.
- `one_upgrade`: at the store most coupons name, the cheapest cart and every single upgrade of it,
  each with its best coupons; the least total.
- `cheapest_feasible`: the same over every store (the cheapest total any single-upgrade cart with
  its best coupons reaches).
- `two_upgrades`: against the generate-then-solve generator, which redraws a shop whose answer is the
  cheapest cart or one upgrade of it: at the store whose cheapest cart costs least before coupons
  (the store-price leak: that store holds the answer about two times in three at difficulty 3), the
  cheapest cart with two of its entries upgraded to one of their three next cheapest options, each
  with its best coupons; the least total.
- `cheapest_store`: the leak alone: the store whose cheapest cart costs least before coupons, and
  there the least total of the cheapest cart and each single upgrade, with the best coupons.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from synth import ToolClient

from ._baselines import Cart, _best_coupons, _cheapest_cart, _submit
from ._solve import Market


def _home(market: Market) -> str:
    named = Counter(c["store"] for c in market.coupons if c["store"] in market.stores)
    return min(market.stores, key=lambda s: (-named[s], s))


def _carts(market: Market, store: str) -> list[dict[str, int]]:
    """The cheapest cart at `store` and each cart that upgrades one entry of it (stock respected)."""
    options = market.options(store)
    if any(not o for o in options):
        return []
    stock = market.stock(store)
    out = []
    for k in range(-1, len(options)):
        for alt in (options[k] if k >= 0 else [None]):
            lines: dict[str, int] = {}
            for i, entry in enumerate(options):
                for sku, qty in (alt if i == k else entry[0]).items():
                    lines[sku] = lines.get(sku, 0) + qty
            if all(stock[s]["stock"] >= q for s, q in lines.items()) and lines not in out:
                out.append(lines)
    return out


def _best(market: Market, stores: list[str]) -> Cart | None:
    carts = [_best_coupons(market, store, lines) for store in stores for lines in _carts(market, store)]
    return min(carts, key=lambda c: (c[0], c[1])) if carts else None


def excluded_threshold(client: ToolClient, params: dict[str, Any]) -> None:
    market = Market(client, params)
    store = _home(market)
    excluded = {code for c in market.coupons for code in c["excludes"]}
    by_code = {c["code"]: c for c in market.coupons}
    spends = [by_code[code]["min_spend"] for c in market.coupons for code in c["excludes"]
              if code in by_code and by_code[code]["min_spend"] == c["min_spend"]]
    carts = _carts(market, store)
    if not carts:
        _submit(market, None)
        return
    prices, _ = market.prices(store)
    if spends and excluded:
        spend = spends[0]
        reaching = [lines for lines in carts if sum(prices[s] * q for s, q in lines.items()) >= spend]
        if reaching:
            lines = min(reaching, key=lambda l: sum(prices[s] * q for s, q in l.items()))
            _submit(market, _best_coupons(market, store, lines))
            return
    _submit(market, _best_coupons(market, store, carts[0]))


def one_upgrade(client: ToolClient, params: dict[str, Any]) -> None:
    market = Market(client, params)
    _submit(market, _best(market, [_home(market)]))


def cheapest_feasible(client: ToolClient, params: dict[str, Any]) -> None:
    market = Market(client, params)
    _submit(market, _best(market, sorted(market.stores)))


def _by_cart_price(market: Market) -> str | None:
    """The store whose cheapest cart (before coupons and delivery) costs least."""
    priced = []
    for store in sorted(market.stores):
        lines = _cheapest_cart(market, store)
        if lines is not None:
            prices, _ = market.prices(store)
            priced.append((sum(prices[s] * q for s, q in lines.items()), store))
    return min(priced)[1] if priced else None


def two_upgrades(client: ToolClient, params: dict[str, Any]) -> None:
    market = Market(client, params)
    store = _by_cart_price(market)
    if store is None:
        _submit(market, None)
        return
    options = market.options(store)
    stock = market.stock(store)
    carts: list[dict[str, int]] = []
    for a in range(len(options)):
        for b in range(a + 1, len(options)):
            for x in options[a][1:4]:
                for y in options[b][1:4]:
                    lines: dict[str, int] = {}
                    for i, entry in enumerate(options):
                        for sku, qty in (x if i == a else y if i == b else entry[0]).items():
                            lines[sku] = lines.get(sku, 0) + qty
                    if all(stock[s]["stock"] >= q for s, q in lines.items()) and lines not in carts:
                        carts.append(lines)
    priced = [_best_coupons(market, store, lines) for lines in carts]
    _submit(market, min(priced, key=lambda c: (c[0], c[1])) if priced else None)


def cheapest_store(client: ToolClient, params: dict[str, Any]) -> None:
    market = Market(client, params)
    store = _by_cart_price(market)
    _submit(market, None if store is None else _best(market, [store]))


WHITEBOX = {"excluded_threshold": excluded_threshold, "one_upgrade": one_upgrade, "cheapest_feasible": cheapest_feasible,
            "two_upgrades": two_upgrades, "cheapest_store": cheapest_store}
