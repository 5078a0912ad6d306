"""shopping's perturbations: edits of the gold answer, each meant to break one named check.

Sits under the shopping category (`__init__`). The edits are not filtered through the checker
(`one_per_check` keeps the first per check), so a checker that misses one shows up as an unsound
control; the one exception is the over-budget edit, whose total depends on stock, priced with the
checker before it is offered.
"""

from __future__ import annotations

import random
import sqlite3
from typing import Any

from synth import Control
from synth.verifiers.general import checker, rows

from .._base import one_per_check


def perturb(db: sqlite3.Connection, params: dict[str, Any], answer: Any, rng: random.Random) -> list[Control]:
    """The first applicable edit per check, at most six, in this order: more than in stock, a list
    entry dropped, an accessory dropped, an expired or an exclusive coupon added, over budget, an
    invented coupon, a duplicate line, an unknown store."""
    store = answer["store"]
    items = answer["items"]
    inventory = {r[0]: (r[1], r[2]) for r in db.execute("SELECT sku, price, stock FROM inventory WHERE store = ?",
                                                         (store,))}
    category_of = dict(db.execute("SELECT sku, category FROM products").fetchall())
    need_cats = {n["category"] for n in params["needs"]}
    accessories = {r[0] for r in db.execute("SELECT DISTINCT accessory FROM requires")}

    def with_items(new_items: list[dict[str, Any]], **rest: Any) -> dict[str, Any]:
        return dict(answer, items=new_items, **rest)

    options: list[tuple[str, str, Any]] = []
    main = next(i for i in items if category_of[i["product"]] in need_cats)
    over = [dict(i, qty=inventory[i["product"]][1] + 1) if i is main else dict(i) for i in items]
    options.append(("more_than_in_stock", "items.in_stock", with_items(over)))
    # every line of the entry's category goes (a random cart may cover an entry with several products)
    options.append(("list_item_dropped", "list.covered",
                    with_items([i for i in items if category_of[i["product"]] != category_of[main["product"]]])))
    needing = {r[0] for r in db.execute("SELECT DISTINCT sku FROM requires")}
    acc = [i for i in items if i["product"] in accessories and category_of[i["product"]] not in need_cats]
    if acc and any(i["product"] in needing for i in items):
        # every accessory line goes (spare accessory units could otherwise still cover the products)
        options.append(("accessory_dropped", "accessories", with_items([i for i in items if i not in acc])))
    coupons = {r["code"]: r for r in rows(db, "SELECT * FROM coupons")}
    gold_codes = answer["coupons"]
    expired = sorted(c for c, r in coupons.items() if r["valid_until"] < params["date"])
    if expired:
        options.append(("expired_coupon", "coupons.valid", dict(answer, coupons=[*gold_codes, expired[0]])))
    exclusive = sorted(c for c, r in coupons.items() if r["exclusive"] and c not in gold_codes)
    if exclusive and gold_codes:
        options.append(("exclusive_stacked", "coupons.stacking", dict(answer, coupons=[*gold_codes, exclusive[0]])))
    # Budget: add units of the priciest product the store has in stock until the total is over budget.
    spare = sorted(((p, s) for s, (p, q) in inventory.items()
                    if q - sum(i["qty"] for i in items if i["product"] == s) >= 1
                    and s not in accessories and category_of[s] not in need_cats), reverse=True)
    if spare:
        price, sku = spare[0]
        room = inventory[sku][1] - sum(i["qty"] for i in items if i["product"] == sku)
        qty = min(room, max(1, -(-params["budget"] // price)))
        extra = [dict(i) for i in items if i["product"] != sku]
        extra.append({"product": sku, "qty": qty + sum(i["qty"] for i in items if i["product"] == sku)})
        # Stock may cap the extra units: price the cart and keep the edit only if it is over.
        if not next(c for c in checker("shopping").check(db, params, with_items(extra)) if c.name == "budget").passed:
            options.append(("over_budget", "budget", with_items(extra)))
    options += [
        ("invented_coupon", "coupons.known", dict(answer, coupons=[*gold_codes, "FREE100"])),
        ("duplicate_line", "items.lines", with_items(items + [dict(items[0])])),
        ("unknown_store", "store.known", dict(answer, store="Nowhere Mart")),
    ]
    return one_per_check(options)
