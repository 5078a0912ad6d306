"""shopping's generator: the database schema, its name pools and difficulty levels, and `build`,
which fills a database around a planted solution.

Sits under the shopping category (`__init__`); shares the pricing rules with the checker through
synth.verifiers.general.rules.shopping. Money is integer cents in the database.

Feasible by construction: a cart, store and coupon set are planted first and the budget is drawn
above their total. From difficulty 3 the budget is also pulled below the cheapest simple
coupon-free cart where the planted cart allows it, so that coupons, not luck, usually close the
gap. `build` draws from `rng` only, in a fixed order, so an item is a pure function of its random
stream.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from synth.verifiers.general.rules.shopping import delivery_fee, excludes_text, meets_need, price_cart

from .._base import Built, new_db

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


def build(rng: random.Random, difficulty: int) -> Built:
    """Fill a database and choose task params so that the planted cart is a solution."""
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
        cheapest = _cheapest_without_coupons(stores, needs, category_of, rating_of, requires_of, inventory,
                                             store_rows, delivery)
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
         c["valid_until"], c["exclusive"], excludes_text(c["excludes"])) for c in coupons))
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


def _cheapest_without_coupons(stores: list[str], needs: list[dict[str, Any]], category_of: dict[str, str],
                              rating_of: dict[str, float], requires_of: dict[str, list[str]],
                              inventory: dict[tuple[str, str], list[int]], store_rows: dict[str, dict[str, Any]],
                              delivery: bool) -> int | None:
    """The total of the cheapest simple coupon-free cart over all stores, or None if no store has one:
    per need, one qualifying product in full quantity with one accessory product in full quantity,
    plus delivery. Not a bound on every cart: mixing products or accessories within a need, or
    adding products to reach a free-delivery threshold, can cost less."""
    cheapest = None
    for store in stores:
        cost = 0
        for need in needs:
            best = None
            for sku in sorted(category_of):
                line = inventory.get((store, sku))
                if line is None or line[1] < need["qty"] \
                        or not meets_need(need, category_of[sku], rating_of[sku], line[0]):
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
        cost += delivery_fee(store_rows[store], cost, delivery)
        cheapest = cost if cheapest is None else min(cheapest, cost)
    return cheapest
