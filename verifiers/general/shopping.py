"""shopping's checker: grade a cart bought at one store against the tuple's database.

Sits under the shopping category of the general family and over the core; shares only the domain
rules in `rules.shopping` (money, coupon terms, cart pricing) with the category's generator and
gold solver.

The answer is JSON {store, items: [{product, qty}], coupons: [codes]} (`ANSWER_SCHEMA`); the task
parameters give the shopping list (category, quantity, rating floor, unit price cap per entry), the
date, the budget in cents, whether delivery applies and the cap on coupons per order. Strict JSON of
another shape fails `format` (or the `format.*` check naming the limit broken). Then one check per
rule of `RULES`, in this order: the store exists; every product exists; one line per product with
a quantity of 1..MAX_QTY; the store carries each product with enough stock; every list entry is
covered in full by products that meet it; each unit that requires an accessory gets its own
accessory unit (a matching, not a count); coupon codes exist, each once; they are accepted by the
store and valid on the date; each one's base reaches its minimum spend; they may be combined; the
recomputed total is within budget. The prompt states exactly these rules, rendered from `RULES`.

Guarantees: every fact is recomputed from the database (prices, stock, ratings, coupon terms,
delivery); claims in the answer (an optional `total`) are ignored; a negative quantity, a repeated
line or a repeated code never lowers the total; the budget counts only coupons that are valid and
whose condition holds. Grading takes time linear in the answer's size, so a flood of unknown ids
does not stall it; what it reads from the database is cached per connection (`db_facts`).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from synth import Check

from . import register_checker
from ._common import Rule
from ._common import check as _check
from ._db import db_facts, rows
from .rules.shopping import coupon_applies, compatible, excluded_codes, meets_need, money, price_cart, valid_on

ANSWER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "store": {"type": "string"},
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"product": {"type": "string"}, "qty": {"type": "integer"}},
                "required": ["product", "qty"],
                "additionalProperties": False,
            },
        },
        "coupons": {"type": "array", "items": {"type": "string"}},
        "total": {"type": "number", "description": "Optional; ignored, the verifier recomputes it."},
    },
    "required": ["store", "items", "coupons"],
    "additionalProperties": False,
}

MAX_QTY = 99
"""The largest quantity one answer line may hold."""

RULES = (
    Rule("format", 'Submit with submit_result a JSON object {"store": name, "items": [{"product": sku, "qty": '
                   'integer}, ...], "coupons": [codes]}; an optional "total" is ignored (the total is recomputed).'),
    Rule("store.known", "Buy everything from a single store, named as list_stores shows it."),
    Rule("items.known", "Products are named by their sku, as the tools show it."),
    Rule("items.lines", f"Each product is on one line only, with a quantity from 1 to {MAX_QTY}."),
    Rule("items.in_stock", "Every product is carried by the chosen store with enough units in stock."),
    Rule("list.covered", "Every shopping-list entry is covered in full by products of its category that meet its "
                         "rating floor and unit price cap at that store. Extra products are allowed."),
    Rule("accessories", "Some products require an accessory: for each unit of such a product, the cart holds one "
                        "unit of an accessory from its requires_one_of list (any mix of them)."),
    Rule("coupons.known", "Coupon codes exist, and each is used once."),
    Rule("coupons.valid", "Coupons are accepted by the store and valid on {{ date }}."),
    Rule("coupons.conditions", "A coupon's base is the pre-discount price of the cart items it covers (its "
                               "category, or the whole cart); the base reaches the coupon's minimum spend and is above "
                               "zero. Percent discounts round down to the cent; a fixed discount never exceeds its "
                               "base."),
    Rule("coupons.stacking", "An exclusive coupon is not combined with any other, and no coupon is combined with a "
                             "code it names{% if max_coupons is not none %}; at most {{ max_coupons }} coupons per "
                             "order{% endif %}."),
    Rule("budget", "Total = sum of price x quantity, minus coupon discounts{% if delivery %}, plus the store's "
                   "delivery fee unless the subtotal after discounts reaches its free-delivery threshold{% endif %}; "
                   "it is at most {{ budget_text }}."),
)
"""Every rule a shopping task states, in grading order (the prompt's rule list comes from it)."""


@register_checker("shopping", ANSWER_SCHEMA, RULES)
def check(db: sqlite3.Connection, params: dict[str, Any], answer: Any) -> list[Check]:
    """One check per rule of a well-shaped answer, in `RULES` order."""
    out: list[Check] = []
    facts = db_facts(db, "shopping", _read_facts)
    store = facts["stores"].get(answer["store"])
    out.append(_check("store.known", store is not None, "a store from list_stores", answer["store"]))

    catalogue = facts["catalogue"]
    lines: dict[str, int] = {}
    unknown, bad_lines = [], []
    for item in answer["items"]:
        sku, qty = item["product"], item["qty"]
        if not 1 <= qty <= MAX_QTY:
            bad_lines.append(f"{sku}: qty {qty}")
        if sku in lines:
            bad_lines.append(f"{sku}: listed twice")
        if sku not in catalogue:
            unknown.append(sku)
            continue
        lines[sku] = lines.get(sku, 0) + max(qty, 0)
    out.append(_check("items.known", not unknown, "skus from the catalogue", unknown[:5]))
    out.append(_check("items.lines", not bad_lines, f"one line per product, qty 1..{MAX_QTY}", bad_lines[:5]))

    inventory = facts["inventory"].get(answer["store"], {}) if store is not None else {}
    short = [f"{s}: {q} > {inventory[s][1] if s in inventory else 0}" for s, q in sorted(lines.items())
             if s not in inventory or inventory[s][1] < q]
    out.append(_check("items.in_stock", store is not None and not short, "carried with enough stock", short[:5]))

    uncovered = []
    for need in params["needs"]:
        have = sum(q for s, q in lines.items()
                   if meets_need(need, *catalogue[s], inventory[s][0] if s in inventory else None))
        if have < need["qty"]:
            uncovered.append(f"{need['category']}: {have}/{need['qty']}")
    out.append(_check("list.covered", not uncovered, "every list entry in full", uncovered))

    requires = {s: facts["requires"][s] for s in sorted(lines) if s in facts["requires"] and lines[s] > 0}
    # One accessory unit serves one product unit: a matching, not a per-product count (two
    # cameras cannot share one memory card).
    needed = sum(lines[s] for s in requires)
    matched = _max_matching({s: lines[s] for s in requires},
                            {a: lines.get(a, 0) for acc in requires.values() for a in acc}, requires)
    missing = [] if matched >= needed else [f"{needed - matched} of {needed} units lack an accessory: "
                                            + ", ".join(sorted(requires))]
    out.append(_check("accessories", not missing, "one required accessory unit per unit", missing))

    found = facts["coupons"]
    codes = answer["coupons"]
    repeats: dict[str, int] = {}
    for c in codes:
        repeats[c] = repeats.get(c, 0) + 1
    bad_codes = [c for c in codes if c not in found] + sorted(c for c, n in repeats.items() if n > 1)
    out.append(_check("coupons.known", not bad_codes, "existing codes, each once", bad_codes[:5]))
    used = [dict(found[c], excludes=excluded_codes(found[c]["excludes"])) for c in dict.fromkeys(codes) if c in found]
    invalid = [c["code"] for c in used if (c["store"] is not None and (store is None or c["store"] != store["store"]))
               or not valid_on(c, params["date"])]
    out.append(_check("coupons.valid", not invalid, f"accepted by the store on {params['date']}", invalid))

    priced = {s: q for s, q in lines.items() if s in inventory}
    prices = {s: inventory[s][0] for s in priced}
    category_of = {s: catalogue[s][0] for s in priced}
    terms = store or {"delivery_fee": 0, "free_delivery_over": None}
    _, _, _, bases = price_cart(priced, prices, category_of, used, terms, params["delivery"])
    unmet = [f"{c['code']}: base {bases[c['code']] / 100:.2f} < {c['min_spend'] / 100:.2f}" for c in used
             if not coupon_applies(c, bases[c["code"]])]
    # The budget counts only coupons that are valid here and whose conditions hold.
    effective = [c for c in used if c["code"] not in invalid and coupon_applies(c, bases[c["code"]])]
    subtotal, discount, total, _ = price_cart(priced, prices, category_of, effective, terms, params["delivery"])
    out.append(_check("coupons.conditions", not unmet, "each coupon's base reaches its minimum spend", unmet))
    out.append(_check("coupons.stacking", compatible(used, params["max_coupons"]) and len(used) == len(codes),
                      "no exclusive coupon combined, no excluded pairing"
                      + (f", at most {params['max_coupons']}" if params["max_coupons"] is not None else ""), codes))
    within = store is not None and not short and total <= params["budget"]
    out.append(_check("budget", within, f"<= {params['budget'] / 100:.2f}", money(total),
                      f"subtotal {subtotal / 100:.2f}, discounts {discount / 100:.2f}"
                      + ("" if store is not None and not short else "; cart not fully priceable at this store")))
    return out


def _read_facts(db: sqlite3.Connection) -> dict[str, Any]:
    """Everything grading reads from the database, in one pass (cached per connection)."""
    inventory: dict[str, dict[str, tuple[int, int]]] = {}
    for store, sku, price, stock in db.execute("SELECT store, sku, price, stock FROM inventory"):
        inventory.setdefault(store, {})[sku] = (price, stock)
    requires: dict[str, list[str]] = {}
    for sku, accessory in db.execute("SELECT sku, accessory FROM requires ORDER BY sku, accessory"):
        requires.setdefault(sku, []).append(accessory)
    return {
        "stores": {r["store"]: r for r in rows(db, "SELECT * FROM stores")},
        "catalogue": {r[0]: (r[1], r[2]) for r in db.execute("SELECT sku, category, rating FROM products")},
        "inventory": inventory,
        "requires": requires,
        "coupons": {c["code"]: c for c in rows(db, "SELECT * FROM coupons")},
    }


def _max_matching(units: dict[str, int], stock: dict[str, int], edges: dict[str, list[str]]) -> int:
    """Most product units that can each get their own accessory unit (max flow, Edmonds-Karp on a
    graph of source -> product -> accessory -> sink with unit counts as capacities)."""
    cap: dict[tuple[str, str], int] = {}
    for p, q in units.items():
        cap[("S", "p:" + p)] = q
        for a in edges[p]:
            cap[("p:" + p, "a:" + a)] = q
    for a, q in stock.items():
        cap[("a:" + a, "T")] = q
    nxt: dict[str, list[str]] = {}
    for u, v in list(cap):
        nxt.setdefault(u, []).append(v)
        nxt.setdefault(v, []).append(u)
        cap.setdefault((v, u), 0)
    flow = 0
    while True:
        parent = {"S": "S"}
        queue = ["S"]
        for u in queue:
            for v in nxt.get(u, []):
                if v not in parent and cap[(u, v)] > 0:
                    parent[v] = u
                    queue.append(v)
        if "T" not in parent:
            return flow
        path, v = [], "T"
        while v != "S":
            path.append((parent[v], v))
            v = parent[v]
        push = min(cap[e] for e in path)
        for u, v in path:
            cap[(u, v)] -= push
            cap[(v, u)] += push
        flow += push
