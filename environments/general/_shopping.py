"""shopping: fill a shopping list at one store within a budget, with coupons and required accessories.

A sandbox database of stores (delivery fee, free-delivery threshold), products (category, brand,
rating, the accessories a product requires), per-store inventory (price in cents, stock) and
coupons (store, percent or fixed, category, minimum spend, validity dates, exclusive, excluded
pairings). The task states a shopping list (category, quantity, rating floor, unit price cap), a
date and a budget; as difficulty rises: more items and stores, a tighter budget, delivery fees,
a cap on coupons per order. The answer is JSON {store, items: [{product, qty}], coupons: [...]};
the verifier recomputes every price, discount and fee from the database (an optional `total` in
the answer is ignored).

Pricing (stated in the prompt): each coupon is computed on pre-discount prices of the items it
covers (its category, or the whole cart); it needs that base >= its minimum spend; percent
discounts round down to the cent, fixed ones never exceed their base. Delivery, when it applies,
is charged unless the discounted subtotal reaches the store's free-delivery threshold.

Feasible by construction: a cart, store and coupon set are planted first and the budget is drawn
above their total. The gold solver searches stores, one product per list entry with each
compatible accessory, and every allowed coupon subset, through the tools only.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
import sqlite3
from typing import Any

from synth import Check, Control, ToolClient, ToolError, register_category, tool_from_function

from ._base import SUBMIT, Built, GeneralCategory, answer_text, check, db_facts, new_db, one_per_check, rows

SCHEMA = """
CREATE TABLE stores (store TEXT PRIMARY KEY, city TEXT, delivery_fee INTEGER, free_delivery_over INTEGER);
CREATE TABLE products (sku TEXT PRIMARY KEY, name TEXT, category TEXT, brand TEXT, rating REAL);
CREATE TABLE requires (sku TEXT, accessory TEXT);
CREATE TABLE inventory (store TEXT, sku TEXT, price INTEGER, stock INTEGER, PRIMARY KEY (store, sku));
CREATE TABLE coupons (code TEXT PRIMARY KEY, store TEXT, kind TEXT, value INTEGER, category TEXT,
                      min_spend INTEGER, valid_from TEXT, valid_until TEXT, exclusive INTEGER, excludes TEXT);
"""
# Money is integer cents in the database; tools show it as decimal currency units.

# category -> (accessory category or None, base price range in cents)
CATALOG = {
    "cameras": ("memory cards", (25000, 90000)),
    "drones": ("batteries", (30000, 120000)),
    "game consoles": ("controllers", (25000, 55000)),
    "printers": ("ink cartridges", (8000, 30000)),
    "tablets": ("cases", (15000, 70000)),
    "headphones": (None, (3000, 35000)),
    "monitors": (None, (12000, 60000)),
    "keyboards": (None, (2500, 18000)),
    "speakers": (None, (4000, 40000)),
    "routers": (None, (5000, 30000)),
}
ACCESSORY_PRICES = {"memory cards": (1500, 6000), "batteries": (4000, 15000), "controllers": (3500, 8000),
                    "ink cartridges": (1500, 5000), "cases": (1500, 6000)}
BRANDS = ("Arcon", "Belvo", "Corvid", "Dynex", "Elara", "Fenwick", "Gyro", "Halden", "Ionic", "Juno")
STORES = ("BrightMart", "CityTech", "ElectroHub", "GadgetBarn", "MegaVolt", "PixelPoint", "TechTown")
CITIES = ("Aldmere", "Brackwater", "Caldris", "Dunmore", "Eastvale")
BASE_DATE = dt.date(2026, 2, 2)

# difficulty -> (list entries, stores, coupons on the planted store, budget slack, delivery, max coupons)
LEVELS = {
    1: (2, 2, 2, 0.25, False, None),
    2: (2, 3, 3, 0.12, False, None),
    3: (3, 3, 3, 0.06, True, None),
    4: (3, 4, 4, 0.03, True, 2),
    5: (4, 4, 4, 0.015, True, 2),
}
MAX_QTY = 99


def _money(cents: int) -> float:
    return round(cents / 100, 2)


def _cents(value: Any) -> int:
    return int(round(float(value) * 100))



# ---------------------------------------------------------------------------------------------- tools


def _store(db: sqlite3.Connection, store: str) -> dict[str, Any]:
    found = rows(db, "SELECT * FROM stores WHERE store = ?", store)
    if not found:
        raise ToolError(f"no store named {store!r}; list_stores shows every store", "not_found")
    return found[0]


def list_stores(db: sqlite3.Connection) -> list[dict[str, Any]]:
    """List the stores with their delivery fee and the discounted subtotal above which delivery is free."""
    return [{"store": s["store"], "city": s["city"], "delivery_fee": _money(s["delivery_fee"]),
             "free_delivery_over": None if s["free_delivery_over"] is None else _money(s["free_delivery_over"])}
            for s in rows(db, "SELECT * FROM stores ORDER BY store")]


def list_categories(db: sqlite3.Connection) -> list[str]:
    """List the product categories."""
    return [r[0] for r in db.execute("SELECT DISTINCT category FROM products ORDER BY category")]


def search_products(db: sqlite3.Connection, category: str, min_rating: float = 0.0) -> list[dict[str, Any]]:
    """Products of a category (catalogue facts; prices and stock are per store), with the accessories
    each requires: one of `requires_one_of` per unit bought.

    Args:
        category: A category from list_categories.
        min_rating: Only products rated at least this.
    """
    found = rows(db, "SELECT sku, name, brand, rating FROM products WHERE category = ? AND rating >= ? ORDER BY sku",
                 category, min_rating)
    needs: dict[str, list[str]] = {}
    for sku, accessory in db.execute("SELECT sku, accessory FROM requires WHERE sku IN "
                                     "(SELECT sku FROM products WHERE category = ?) ORDER BY sku, accessory",
                                     (category,)):
        needs.setdefault(sku, []).append(accessory)
    return [dict(p, requires_one_of=needs.get(p["sku"], [])) for p in found]


def get_product(db: sqlite3.Connection, sku: str) -> dict[str, Any]:
    """Catalogue facts of one product, including the accessories it requires.

    Args:
        sku: Product id, e.g. SKU-1234.
    """
    found = rows(db, "SELECT * FROM products WHERE sku = ?", sku)
    if not found:
        raise ToolError(f"no product {sku!r}", "not_found")
    accessories = [r[0] for r in db.execute("SELECT accessory FROM requires WHERE sku = ? ORDER BY accessory", (sku,))]
    return dict(found[0], requires_one_of=accessories)


def get_store_inventory(db: sqlite3.Connection, store: str, category: str | None = None) -> list[dict[str, Any]]:
    """What a store carries: price and units in stock per product, optionally for one category.

    Args:
        store: Store name from list_stores.
        category: Only products of this category.
    """
    _store(db, store)
    sql = ("SELECT i.sku, p.name, p.category, i.price, i.stock FROM inventory i JOIN products p ON p.sku = i.sku "
           "WHERE i.store = ?")
    args: list[Any] = [store]
    if category is not None:
        sql += " AND p.category = ?"
        args.append(category)
    return [dict(r, price=_money(r["price"])) for r in rows(db, sql + " ORDER BY i.sku", *args)]


def list_coupons(db: sqlite3.Connection, store: str | None = None) -> list[dict[str, Any]]:
    """Coupons with their full terms, optionally only those a store accepts (store-specific or any store).

    Args:
        store: Store name from list_stores.
    """
    sql, args = "SELECT * FROM coupons", []
    if store is not None:
        _store(db, store)
        sql, args = sql + " WHERE store IS NULL OR store = ?", [store]
    out = []
    for c in rows(db, sql + " ORDER BY code", *args):
        out.append({
            "code": c["code"], "store": c["store"] or "any", "kind": c["kind"],
            "value": c["value"] if c["kind"] == "percent" else _money(c["value"]),
            "category": c["category"] or "any", "min_spend": _money(c["min_spend"]),
            "valid_from": c["valid_from"], "valid_until": c["valid_until"],
            "exclusive": bool(c["exclusive"]),
            "not_combinable_with": c["excludes"].split(",") if c["excludes"] else [],
        })
    return out


# ------------------------------------------------------------------------------------- pricing


def coupon_discount(coupon: dict[str, Any], base: int) -> int:
    """Discount in cents of one coupon over the pre-discount base it covers."""
    if coupon["kind"] == "percent":
        return base * coupon["value"] // 100
    return min(coupon["value"], base)


def price_cart(lines: dict[str, int], prices: dict[str, int], category_of: dict[str, str],
               coupons: list[dict[str, Any]], store: dict[str, Any], delivery: bool) -> tuple[int, int, int, dict[str, int]]:
    """(subtotal, discount, total, base per coupon code) of a cart; prices in cents."""
    subtotal = sum(prices[s] * q for s, q in lines.items())
    bases, discount = {}, 0
    for c in coupons:
        base = sum(prices[s] * q for s, q in lines.items() if c["category"] in (None, category_of[s]))
        bases[c["code"]] = base
        discount += coupon_discount(c, base)
    goods = max(subtotal - discount, 0)
    fee = 0
    if delivery and (store["free_delivery_over"] is None or goods < store["free_delivery_over"]):
        fee = store["delivery_fee"]
    return subtotal, discount, goods + fee, bases


def _compatible(coupons: list[dict[str, Any]], limit: int | None) -> bool:
    if limit is not None and len(coupons) > limit:
        return False
    codes = {c["code"] for c in coupons}
    for c in coupons:
        if c["exclusive"] and len(coupons) > 1:
            return False
        if codes & set(c["excludes"]):
            return False
    return True


# ------------------------------------------------------------------------------------- the category


@register_category("general", "shopping")
class Shopping(GeneralCategory):
    name = "shopping"
    schema = SCHEMA
    """The sandbox database's CREATE statements (for hand-built databases in tests and docs)."""
    description = "Fill a shopping list at one store within budget, with coupons, stock and required accessories."
    template = """\
Buy everything on this shopping list from a single store, on {{ date }}, for at most \
{{ budget_text }} in total.

Shopping list:
{% for n in needs %}
- {{ n.qty }} x {{ n.category }}{{ ", rated at least %s" % n.min_rating if n.min_rating is not none else "" }}\
{{ ", at most %s each" % n.max_unit_price_text if n.max_unit_price is not none else "" }}
{% endfor %}

Rules:
- Every product must be carried by the chosen store with enough units in stock.
- Some products require an accessory: for each unit of such a product, the cart must hold one \
unit of an accessory from its `requires_one_of` list (any mix of them).
- Coupons must be accepted by the store and valid on {{ date }}. A coupon's base is the \
pre-discount price of the cart items it covers (its category, or the whole cart); the base must \
reach the coupon's minimum spend and be above zero. Percent discounts round down to the cent; a \
fixed discount never exceeds its base. An exclusive coupon cannot be combined with any other; a \
coupon cannot be combined with the codes it names.
{% if max_coupons is not none %}
- At most {{ max_coupons }} coupons per order.
{% endif %}
{% if delivery %}
- The store's delivery fee is added unless the subtotal after discounts reaches its free-delivery \
threshold.
{% endif %}
- Total = sum of price x quantity, minus coupon discounts{% if delivery %}, plus delivery{% endif %}; \
it must not exceed the budget. Extra products are allowed.

Submit JSON: {"store": name, "items": [{"product": sku, "qty": integer}, ...], "coupons": [codes]}.
"""
    answer_schema = {
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
    tools = [
        tool_from_function(list_stores),
        tool_from_function(list_categories),
        tool_from_function(search_products),
        tool_from_function(get_product),
        tool_from_function(get_store_inventory),
        tool_from_function(list_coupons),
        SUBMIT,
    ]
    check_names = (
        "format", "store.known", "items.known", "items.lines", "items.in_stock", "list.covered", "accessories",
        "coupons.known", "coupons.valid", "coupons.conditions", "coupons.stacking", "budget",
    )

    # ------------------------------------------------------------------------------------ build

    def build(self, rng: random.Random, difficulty: int) -> Built:
        n_needs, n_stores, n_coupons, slack, delivery, max_coupons = LEVELS[difficulty]
        date = BASE_DATE + dt.timedelta(days=rng.randrange(300))
        stores = sorted(rng.sample(STORES, n_stores))
        home = rng.choice(stores)
        need_cats = sorted(rng.sample(sorted(CATALOG), n_needs))
        # Every need gets accessories at difficulty >= 2 when its category has any.
        distractor_cats = sorted(rng.sample(sorted(set(CATALOG) - set(need_cats)), 2))
        skus: set[str] = set()

        def new_sku() -> str:
            while True:
                sku = f"SKU-{rng.randrange(1000, 10000)}"
                if sku not in skus:
                    skus.add(sku)
                    return sku

        products: list[tuple[str, str, str, str, float]] = []
        base_price: dict[str, int] = {}
        category_of: dict[str, str] = {}
        requires: list[tuple[str, str]] = []
        accessories_of_cat: dict[str, list[str]] = {}
        for cat in need_cats + distractor_cats:
            acc_cat, (lo, hi) = CATALOG[cat]
            if acc_cat is not None and acc_cat not in accessories_of_cat:
                accessories_of_cat[acc_cat] = []
                alo, ahi = ACCESSORY_PRICES[acc_cat]
                for _ in range(3):
                    sku = new_sku()
                    brand = rng.choice(BRANDS)
                    products.append((sku, f"{brand} {acc_cat[:-1]} {sku[-3:]}", acc_cat, brand,
                                     round(rng.uniform(3.0, 5.0), 1)))
                    base_price[sku] = rng.randrange(alo, ahi, 100) - 1
                    category_of[sku] = acc_cat
                    accessories_of_cat[acc_cat].append(sku)
            for _ in range(rng.randint(3, 5)):
                sku = new_sku()
                brand = rng.choice(BRANDS)
                products.append((sku, f"{brand} {cat[:-1]} {sku[-3:]}", cat, brand, round(rng.uniform(2.5, 5.0), 1)))
                base_price[sku] = rng.randrange(lo, hi, 100) - 1
                category_of[sku] = cat
                if acc_cat is not None:
                    pool = accessories_of_cat[acc_cat]
                    for accessory in sorted(rng.sample(pool, rng.randint(1, 2))):
                        requires.append((sku, accessory))
        requires_of: dict[str, list[str]] = {}
        for sku, accessory in requires:
            requires_of.setdefault(sku, []).append(accessory)

        # Inventory: each store carries most products at its own price.
        inventory: dict[tuple[str, str], list[int]] = {}
        for store in stores:
            factor = rng.uniform(0.9, 1.15)
            for sku, *_ in products:
                if rng.random() < 0.75:
                    price = max(99, int(base_price[sku] * factor * rng.uniform(0.9, 1.1)) // 100 * 100 - 1)
                    inventory[(store, sku)] = [price, rng.choice((0, 1, 2, 3, 5, 8, 12))]

        # Plant the cart at the home store.
        needs, lines = [], {}
        for cat in need_cats:
            qty = rng.choice((1, 1, 2, 3)) if CATALOG[cat][0] is None else rng.choice((1, 1, 2))
            choices = sorted(s for s, c in category_of.items() if c == cat)
            pick = rng.choice(choices)
            if difficulty >= 3:  # the cheapest the home store carries: coupons, not luck, must close the gap
                carried = [s for s in choices if (home, s) in inventory]
                if carried:
                    pick = min(carried, key=lambda s: (inventory[(home, s)][0], s))
            inventory.setdefault((home, pick), [base_price[pick], 0])
            inventory[(home, pick)][1] = max(inventory[(home, pick)][1], qty + rng.randint(0, 3))
            lines[pick] = lines.get(pick, 0) + qty
            rating = next(p[4] for p in products if p[0] == pick)
            price = inventory[(home, pick)][0]
            need = {"category": cat, "qty": qty, "min_rating": None, "max_unit_price": None}
            if difficulty >= 2 and rng.random() < 0.6:
                need["min_rating"] = round(max(2.5, rating - rng.choice((0.0, 0.3, 0.6))), 1)
            if difficulty >= 3 and rng.random() < 0.5:
                need["max_unit_price"] = price + rng.randrange(0, 2000, 100)
            needs.append(need)
            if pick in requires_of:
                accessory = rng.choice(requires_of[pick])
                inventory.setdefault((home, accessory), [base_price[accessory], 0])
                lines[accessory] = lines.get(accessory, 0) + qty
        for sku, qty in lines.items():
            inventory[(home, sku)][1] = max(inventory[(home, sku)][1], qty + rng.randint(0, 2))
        prices = {s: inventory[(home, s)][0] for s in lines}

        # Store terms.
        store_rows = {}
        for store in stores:
            fee = rng.choice((499, 699, 999)) if delivery else 0
            store_rows[store] = {"delivery_fee": fee,
                                 "free_delivery_over": rng.choice((None, 20000, 50000, 100000)) if delivery else None}

        # Coupons: a compatible planted set at the home store, then distractors.
        coupons: list[dict[str, Any]] = []
        codes: set[str] = set()

        def coupon(**terms: Any) -> dict[str, Any]:
            while True:
                code = f"{rng.choice(('SAVE', 'DEAL', 'TECH', 'SPRING', 'VIP', 'FLASH'))}{rng.randrange(5, 60)}"
                if code not in codes:
                    codes.add(code)
                    break
            c = {"code": code, "store": home, "kind": "percent", "value": 10, "category": None, "min_spend": 0,
                 "valid_from": (date - dt.timedelta(days=rng.randint(1, 20))).isoformat(),
                 "valid_until": (date + dt.timedelta(days=rng.randint(0, 20))).isoformat(),
                 "exclusive": 0, "excludes": []}
            c.update(terms)
            coupons.append(c)
            return c

        def base_of(category: str | None) -> int:
            return sum(prices[s] * q for s, q in lines.items() if category in (None, category_of[s]))

        subtotal = base_of(None)
        cat_pick = rng.choice(need_cats)
        planted = [coupon(kind="percent", value=rng.choice((10, 15, 20)), category=cat_pick,
                          min_spend=base_of(cat_pick) // 100 * 100 // rng.choice((1, 2)))]
        if n_coupons >= 3:
            planted.append(coupon(kind="fixed", value=rng.choice((500, 1000, 1500, 2000)),
                                  min_spend=max(subtotal - rng.randrange(0, 3000, 500), 0) // 100 * 100))
        # Distractors: exclusive big coupon out of reach, expired, other store, excludes the first, category absent.
        coupon(kind="percent", value=30, exclusive=1, min_spend=(subtotal + rng.randrange(2000, 20000, 1000)))
        coupon(kind="percent", value=rng.choice((15, 20, 25)),
               valid_until=(date - dt.timedelta(days=rng.randint(1, 30))).isoformat(),
               valid_from=(date - dt.timedelta(days=rng.randint(31, 60))).isoformat())
        others = [s for s in stores if s != home]
        coupon(kind="fixed", value=rng.choice((2000, 3000)), store=rng.choice(others), min_spend=0)
        if n_coupons >= 3:
            coupon(kind="percent", value=rng.choice((20, 25)), category=planted[0]["category"],
                   min_spend=planted[0]["min_spend"], excludes=[planted[0]["code"]])
        if n_coupons >= 4:
            absent = distractor_cats[0]
            coupon(kind="fixed", value=1500, category=absent, min_spend=1000)
            coupon(kind="percent", value=10, store=None, min_spend=subtotal // 2 // 100 * 100, excludes=[])
        if max_coupons is not None and len(planted) > max_coupons:
            planted = planted[:max_coupons]
        _, _, total, _ = price_cart(lines, prices, category_of, planted, store_rows[home], delivery)
        budget = int(total * (1 + slack)) // 100 * 100 + 99
        if difficulty >= 3:
            # Make coupons necessary where the planted cart allows it: below every coupon-free cart.
            rating_of = {p[0]: p[4] for p in products}
            cheapest = None
            for store in stores:
                cost = 0
                for need in needs:
                    best = None
                    for sku in sorted(category_of):
                        line = inventory.get((store, sku))
                        if category_of[sku] != need["category"] or line is None or line[1] < need["qty"]:
                            continue
                        if need["min_rating"] is not None and rating_of[sku] < need["min_rating"]:
                            continue
                        if need["max_unit_price"] is not None and line[0] > need["max_unit_price"]:
                            continue
                        extra = 0
                        if sku in requires_of:
                            fits = [inventory[(store, a)][0] for a in requires_of[sku]
                                    if (store, a) in inventory and inventory[(store, a)][1] >= need["qty"]]
                            if not fits:
                                continue
                            extra = min(fits)
                        unit = line[0] + extra
                        best = unit if best is None else min(best, unit)
                    if best is None:
                        cost = None
                        break
                    cost += best * need["qty"]
                if cost is None:
                    continue
                terms = store_rows[store]
                if delivery and (terms["free_delivery_over"] is None or cost < terms["free_delivery_over"]):
                    cost += terms["delivery_fee"]
                cheapest = cost if cheapest is None else min(cheapest, cost)
            if cheapest is not None and cheapest - 1 < budget:
                budget = max(total, cheapest - 1)

        db = new_db(SCHEMA)
        db.executemany("INSERT INTO stores VALUES (?, ?, ?, ?)", [
            (s, rng.choice(CITIES), store_rows[s]["delivery_fee"], store_rows[s]["free_delivery_over"]) for s in stores])
        db.executemany("INSERT INTO products VALUES (?, ?, ?, ?, ?)", sorted(products))
        db.executemany("INSERT INTO requires VALUES (?, ?)", sorted(requires))
        db.executemany("INSERT INTO inventory VALUES (?, ?, ?, ?)",
                       sorted((s, k, p, q) for (s, k), (p, q) in inventory.items()))
        db.executemany("INSERT INTO coupons VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", sorted(
            (c["code"], c["store"], c["kind"], c["value"], c["category"], c["min_spend"], c["valid_from"],
             c["valid_until"], c["exclusive"], ",".join(sorted(c["excludes"]))) for c in coupons))
        db.commit()
        params = {
            "date": date.isoformat(),
            "budget": budget,
            "budget_text": f"{budget / 100:.2f}",
            "needs": [dict(n, max_unit_price_text=None if n["max_unit_price"] is None else f"{n['max_unit_price'] / 100:.2f}")
                      for n in needs],
            "delivery": delivery,
            "max_coupons": max_coupons,
        }
        return Built(db, params)

    # ------------------------------------------------------------------------------------ solve

    def solve(self, client: ToolClient, params: dict[str, Any]) -> None:
        date, budget, limit = params["date"], params["budget"], params["max_coupons"]
        stores = {s["store"]: {"delivery_fee": _cents(s["delivery_fee"]),
                               "free_delivery_over": None if s["free_delivery_over"] is None
                               else _cents(s["free_delivery_over"])} for s in client.list_stores()}
        catalogue: dict[str, dict[str, Any]] = {}
        for need in params["needs"]:
            for p in client.search_products(category=need["category"], min_rating=need["min_rating"] or 0.0):
                catalogue[p["sku"]] = dict(p, category=need["category"])
        coupons_all = [dict(c, category=None if c["category"] == "any" else c["category"],
                            value=c["value"] if c["kind"] == "percent" else _cents(c["value"]),
                            min_spend=_cents(c["min_spend"]), excludes=c["not_combinable_with"])
                       for c in client.list_coupons()]
        best: Any = None
        for store in sorted(stores):
            stock = {r["sku"]: r for r in client.get_store_inventory(store=store)}
            prices = {s: _cents(r["price"]) for s, r in stock.items()}
            category_of = {s: r["category"] for s, r in stock.items()}
            options_per_need = []
            for need in params["needs"]:
                options = []
                for sku, p in sorted(catalogue.items()):
                    if p["category"] != need["category"] or sku not in stock or stock[sku]["stock"] < need["qty"]:
                        continue
                    if need["max_unit_price"] is not None and prices[sku] > need["max_unit_price"]:
                        continue
                    if not p["requires_one_of"]:
                        options.append({sku: need["qty"]})
                    for accessory in p["requires_one_of"]:
                        if accessory in stock and stock[accessory]["stock"] >= need["qty"]:
                            options.append({sku: need["qty"], accessory: need["qty"]})
                options.sort(key=lambda o: sum(prices[s] * q for s, q in o.items()))
                options_per_need.append(options)
            usable = [c for c in coupons_all if c["store"] in ("any", store) and c["valid_from"] <= date <= c["valid_until"]]
            subsets = [list(combo) for k in range(len(usable) + 1) for combo in itertools.combinations(usable, k)
                       if _compatible(list(combo), limit)]
            for subset in subsets:
                best = _cheapest_cart(options_per_need, subset, prices, category_of, stock, stores[store],
                                      params["delivery"], budget)
                if best is not None:
                    best = (store, best, [c["code"] for c in subset])
                    break
            if best is not None:
                break
        if best is None:
            client.submit_result(answer_text=answer_text({"store": "", "items": [], "coupons": []}))
            return
        store, lines, codes = best
        client.submit_result(answer_text=answer_text({
            "store": store, "items": [{"product": s, "qty": q} for s, q in sorted(lines.items())], "coupons": codes}))

    # ------------------------------------------------------------------------------------ check

    def check(self, db: sqlite3.Connection, params: dict[str, Any], answer: Any) -> list[Check]:
        out: list[Check] = []
        facts = db_facts(db, "shopping", _read_facts)
        store = facts["stores"].get(answer["store"])
        out.append(check("store.known", store is not None, "a store from list_stores", answer["store"]))

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
        out.append(check("items.known", not unknown, "skus from the catalogue", unknown[:5]))
        out.append(check("items.lines", not bad_lines, f"one line per product, qty 1..{MAX_QTY}", bad_lines[:5]))

        inventory = facts["inventory"].get(answer["store"], {}) if store is not None else {}
        short = [f"{s}: {q} > {inventory[s][1] if s in inventory else 0}" for s, q in sorted(lines.items())
                 if s not in inventory or inventory[s][1] < q]
        out.append(check("items.in_stock", store is not None and not short, "carried with enough stock", short[:5]))

        uncovered = []
        for need in params["needs"]:
            have = sum(q for s, q in lines.items() if catalogue[s][0] == need["category"]
                       and (need["min_rating"] is None or catalogue[s][1] >= need["min_rating"])
                       and (need["max_unit_price"] is None or (s in inventory and inventory[s][0] <= need["max_unit_price"])))
            if have < need["qty"]:
                uncovered.append(f"{need['category']}: {have}/{need['qty']}")
        out.append(check("list.covered", not uncovered, "every list entry in full", uncovered))

        requires = {s: facts["requires"][s] for s in sorted(lines) if s in facts["requires"] and lines[s] > 0}
        # One accessory unit serves one product unit: a matching, not a per-product count (two
        # cameras cannot share one memory card).
        needed = sum(lines[s] for s in requires)
        matched = _max_matching({s: lines[s] for s in requires},
                                {a: lines.get(a, 0) for acc in requires.values() for a in acc}, requires)
        missing = [] if matched >= needed else [f"{needed - matched} of {needed} units lack an accessory: "
                                                + ", ".join(sorted(requires))]
        out.append(check("accessories", not missing, "one required accessory unit per unit", missing))

        found = facts["coupons"]
        codes = answer["coupons"]
        repeats: dict[str, int] = {}
        for c in codes:
            repeats[c] = repeats.get(c, 0) + 1
        bad_codes = [c for c in codes if c not in found] + sorted(c for c, n in repeats.items() if n > 1)
        out.append(check("coupons.known", not bad_codes, "existing codes, each once", bad_codes[:5]))
        used = [dict(found[c], excludes=found[c]["excludes"].split(",") if found[c]["excludes"] else [])
                for c in dict.fromkeys(codes) if c in found]
        invalid = [c["code"] for c in used if (c["store"] is not None and (store is None or c["store"] != store["store"]))
                   or not c["valid_from"] <= params["date"] <= c["valid_until"]]
        out.append(check("coupons.valid", not invalid, f"accepted by the store on {params['date']}", invalid))

        priced = {s: q for s, q in lines.items() if s in inventory}
        prices = {s: inventory[s][0] for s in priced}
        category_of = {s: catalogue[s][0] for s in priced}
        terms = store or {"delivery_fee": 0, "free_delivery_over": None}
        _, _, _, bases = price_cart(priced, prices, category_of, used, terms, params["delivery"])
        unmet = [f"{c['code']}: base {bases[c['code']] / 100:.2f} < {c['min_spend'] / 100:.2f}" for c in used
                 if bases[c["code"]] <= 0 or bases[c["code"]] < c["min_spend"]]
        # The budget counts only coupons that are valid here and whose conditions hold.
        effective = [c for c in used if c["code"] not in invalid and bases[c["code"]] > 0
                     and bases[c["code"]] >= c["min_spend"]]
        subtotal, discount, total, _ = price_cart(priced, prices, category_of, effective, terms, params["delivery"])
        out.append(check("coupons.conditions", not unmet, "each coupon's base reaches its minimum spend", unmet))
        out.append(check("coupons.stacking", _compatible(used, params["max_coupons"]) and len(used) == len(codes),
                         "no exclusive coupon combined, no excluded pairing"
                         + (f", at most {params['max_coupons']}" if params["max_coupons"] is not None else ""), codes))
        within = store is not None and not short and total <= params["budget"]
        out.append(check("budget", within, f"<= {params['budget'] / 100:.2f}", round(total / 100, 2),
                         f"subtotal {subtotal / 100:.2f}, discounts {discount / 100:.2f}"
                         + ("" if store is not None and not short else "; cart not fully priceable at this store")))
        return out

    # ---------------------------------------------------------------------------------- perturb

    def perturb(self, db: sqlite3.Connection, params: dict[str, Any], answer: Any, rng: random.Random) -> list[Control]:
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
        options.append(("list_item_dropped", "list.covered", with_items([i for i in items if i is not main])))
        acc = [i for i in items if i["product"] in accessories and category_of[i["product"]] not in need_cats]
        if acc:
            options.append(("accessory_dropped", "accessories", with_items([i for i in items if i is not acc[0]])))
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
            if not next(c for c in self.check(db, params, with_items(extra)) if c.name == "budget").passed:
                options.append(("over_budget", "budget", with_items(extra)))
        options += [
            ("invented_coupon", "coupons.known", dict(answer, coupons=[*gold_codes, "FREE100"])),
            ("duplicate_line", "items.lines", with_items(items + [dict(items[0])])),
            ("unknown_store", "store.known", dict(answer, store="Nowhere Mart")),
        ]
        return one_per_check(options)


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
            if total > budget or any(bases[c["code"]] <= 0 or bases[c["code"]] < c["min_spend"] for c in subset):
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


def _read_facts(db: sqlite3.Connection) -> dict[str, Any]:
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
