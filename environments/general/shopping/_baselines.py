"""shopping's baseline agents: cheap strategies a hard shopping task must defeat (the verify gate).

Sits under the category (`GeneralCategory.baselines` reads `BASELINES`). Each agent has the gold
solver's interface (a ToolClient and the task params, tool calls only) and reads the shops through
the gold solver's `Market`. A cart here is always the cheapest way to cover each list entry at the
store (one qualifying product with its cheapest accessory); none of them searches other carts.

- `greedy`: stores in name order; the cheapest cart, then coupons added largest discount first
  while they combine and their conditions hold; the first store within budget (else the first cart).
- `cheapest`: the store whose cheapest cart costs least, with no coupons.
- `best_coupons`: at every store the cheapest cart with its best combination of coupons; the store
  where that costs least.
- `most_coupons`: the generator's coupon leak: the store that most coupons name, its cheapest cart
  and its best combination of coupons.
- `random_cart`: a store and a way to cover each entry drawn at random (seeded by the task), with
  the best combination of coupons: what an unsearched cart is worth, the measure of the task itself.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from typing import Any

from synth import ToolClient
from synth.verifiers.general.rules.shopping import compatible, coupon_applies, coupon_discount

from ._solve import Market

Cart = tuple[int, str, dict[str, int], list[str]]
"""(total in cents, store, sku -> quantity, coupon codes)."""


def _cheapest_cart(market: Market, store: str) -> dict[str, int] | None:
    """The cheapest option of every list entry at `store`, merged; None if an entry has none or
    the merged quantities exceed the stock."""
    options = market.options(store)
    if any(not o for o in options):
        return None
    lines: dict[str, int] = {}
    for option in options:
        for sku, qty in option[0].items():
            lines[sku] = lines.get(sku, 0) + qty
    stock = market.stock(store)
    return lines if all(stock[s]["stock"] >= q for s, q in lines.items()) else None


def _best_coupons(market: Market, store: str, lines: dict[str, int]) -> Cart:
    """The cart with the combination of usable coupons (conditions met, combinable) that costs least."""
    usable = market.usable(store)
    best: Cart | None = None
    for k in range(len(usable) + 1):
        for combo in itertools.combinations(usable, k):
            chosen = list(combo)
            if not compatible(chosen, market.params["max_coupons"]):
                continue
            total, bases = market.price(store, lines, chosen)
            if all(coupon_applies(c, bases[c["code"]]) for c in chosen) and (best is None or total < best[0]):
                best = (total, store, lines, [c["code"] for c in chosen])
    assert best is not None  # the empty combination always qualifies
    return best


def _submit(market: Market, cart: Cart | None) -> None:
    if cart is None:
        market.submit("", {}, [])
    else:
        market.submit(cart[1], cart[2], cart[3])


def greedy(client: ToolClient, params: dict[str, Any]) -> None:
    """First store (name order) whose cheapest cart, with coupons added greedily, is within budget."""
    market = Market(client, params)
    first: Cart | None = None
    for store in sorted(market.stores):
        lines = _cheapest_cart(market, store)
        if lines is None:
            continue
        _, bases = market.price(store, lines, market.usable(store))
        chosen: list[dict[str, Any]] = []
        for c in sorted(market.usable(store), key=lambda c: (-coupon_discount(c, bases[c["code"]]), c["code"])):
            if coupon_applies(c, bases[c["code"]]) and compatible(chosen + [c], params["max_coupons"]):
                chosen.append(c)
        total, _ = market.price(store, lines, chosen)
        cart = (total, store, lines, [c["code"] for c in chosen])
        if total <= params["budget"]:
            _submit(market, cart)
            return
        first = first or cart
    _submit(market, first)


def cheapest(client: ToolClient, params: dict[str, Any]) -> None:
    """The store with the cheapest coupon-free cart."""
    market = Market(client, params)
    carts = [(market.price(store, lines, [])[0], store, lines, []) for store in sorted(market.stores)
             if (lines := _cheapest_cart(market, store)) is not None]
    _submit(market, min(carts, key=lambda c: (c[0], c[1])) if carts else None)


def best_coupons(client: ToolClient, params: dict[str, Any]) -> None:
    """At every store the cheapest cart with its best coupons; the least total wins."""
    market = Market(client, params)
    carts = [_best_coupons(market, store, lines) for store in sorted(market.stores)
             if (lines := _cheapest_cart(market, store)) is not None]
    _submit(market, min(carts, key=lambda c: (c[0], c[1])) if carts else None)


def most_coupons(client: ToolClient, params: dict[str, Any]) -> None:
    """The store most coupons name: its cheapest cart with its best coupons."""
    market = Market(client, params)
    named = Counter(c["store"] for c in market.coupons if c["store"] in market.stores)
    store = min(market.stores, key=lambda s: (-named[s], s))
    lines = _cheapest_cart(market, store)
    _submit(market, None if lines is None else _best_coupons(market, store, lines))


def random_cart(client: ToolClient, params: dict[str, Any]) -> None:
    """A random store and a random way to cover each entry, with its best coupons."""
    market = Market(client, params)
    rng = random.Random(f"{params['date']}:{params['budget']}")
    store = rng.choice(sorted(market.stores))
    options = market.options(store)
    if any(not o for o in options):
        _submit(market, None)
        return
    lines: dict[str, int] = {}
    for option in options:
        for sku, qty in rng.choice(option).items():
            lines[sku] = lines.get(sku, 0) + qty
    _submit(market, _best_coupons(market, store, lines))


BASELINES = {"greedy": greedy, "cheapest": cheapest, "best_coupons": best_coupons, "most_coupons": most_coupons,
             "random_cart": random_cart}
