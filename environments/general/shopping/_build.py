"""shopping's generator: the database schema, its name pools and difficulty levels, and `build`,
which fills a database around a planted solution.

Sits under the shopping category (`__init__`); shares the pricing rules with the checker through
synth.verifiers.general.rules.shopping. Money is integer cents in the database. `build` draws from
`rng` only, in a fixed order, so an item is a pure function of its random stream.

Hard to solve by construction (from difficulty 3): spend more to save more. The planted cart at the
planted store upgrades one list entry to a dearer product, which lifts the subtotal over the minimum
spend of a fixed coupon worth more than the upgrade; the cheapest cart cannot reach it. The budget
sits at or just above the planted total and below what the cheapest cart of every store costs with
the best coupons that cart can use, so no agent that takes the cheapest way to cover each entry
(and then picks coupons, however well) stays within it: the cart must be searched. Coupons are
spread over every store (distractors: expired, exclusive and out of reach, excluded pairings,
another category, thresholds of their own), so the planted store is not the one most coupons name.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from typing import Any

from synth.verifiers.general.rules.shopping import (
    compatible, coupon_applies, excludes_text, meets_need, price_cart, valid_on,
)

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

# difficulty -> (list entries, stores, upgrade, budget slack, delivery, max coupons); upgrade: the
# planted cart needs a dearer product to unlock a threshold coupon (and the budget rules out every
# cheapest cart)
LEVELS = {
    1: (2, 2, False, 0.25, False, None),
    2: (2, 3, False, 0.12, False, None),
    3: (3, 3, True, 0.02, True, None),
    4: (3, 4, True, 0.01, True, 2),
    5: (4, 4, True, 0.0, True, 2),
}


def build(rng: random.Random, difficulty: int) -> Built:
    """Fill a database and choose task params so that the planted cart is a solution."""
    for _ in range(50):
        built = _attempt(rng, difficulty)
        if built is not None:
            return built
    raise RuntimeError("could not plant a cart in 50 attempts")


def _attempt(rng: random.Random, difficulty: int) -> Built | None:
    """One try; None when the drawn shop leaves no planted cart that beats every cheapest cart."""
    n_needs, n_stores, upgrade, slack, delivery, max_coupons = LEVELS[difficulty]
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
        for _ in range(rng.randint(5, 7) if upgrade and cat in need_cats else rng.randint(3, 5)):
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
            if rng.random() < (0.85 if upgrade else 0.75):
                price = max(99, int(base_price[sku] * factor * rng.uniform(0.9, 1.1)) // 100 * 100 - 1)
                inventory[(store, sku)] = [price, rng.choice((0, 1, 2, 3, 5, 8, 12))]

    rating_of = {p[0]: p[4] for p in products}
    # Plant the cart at the home store: per list entry a product with enough stock (one entry
    # upgraded to a product dearer than the cheapest the store carries), with one of its accessories.
    needs: list[dict[str, Any]] = []
    lines: dict[str, int] = {}
    upgraded = rng.randrange(n_needs) if upgrade else None
    for n, cat in enumerate(need_cats):
        qty = rng.choice((1, 1, 2, 3)) if CATALOG[cat][0] is None else rng.choice((1, 1, 2))
        carried = sorted((s for s, c in category_of.items() if c == cat and (home, s) in inventory),
                         key=lambda s: (inventory[(home, s)][0], s))
        if len(carried) < 2:
            return None
        # with an upgrade, every other entry takes the cheapest product, so few carts beat the planted one
        pick = rng.choice(carried[1:3]) if n == upgraded else carried[0] if upgrade else rng.choice(carried)
        inventory[(home, pick)][1] = max(inventory[(home, pick)][1], qty + rng.randint(0, 3))
        lines[pick] = lines.get(pick, 0) + qty
        need = {"category": cat, "qty": qty, "min_rating": None, "max_unit_price": None}
        # caps the planted product meets; with an upgrade they leave several products in (the ones
        # cheaper than the planted one included), so an unsearched cart has many ways to go wrong
        kept = carried[:max(3, carried.index(pick) + 2)] if upgrade else [pick]
        if difficulty >= 2 and rng.random() < 0.6:
            need["min_rating"] = round(max(2.5, min(rating_of[s] for s in kept) - rng.choice((0.0, 0.3, 0.6))), 1)
        if difficulty >= 3 and rng.random() < 0.5:
            need["max_unit_price"] = max(inventory[(home, s)][0] for s in kept) + rng.randrange(0, 2000, 100)
        needs.append(need)
        if pick in requires_of:
            accessories = requires_of[pick]
            if upgrade and n != upgraded:
                carried_acc = [a for a in accessories if (home, a) in inventory]
                accessories = [min(carried_acc, key=lambda a: (inventory[(home, a)][0], a))] if carried_acc else accessories
            accessory = rng.choice(accessories)
            inventory.setdefault((home, accessory), [base_price[accessory], 0])
            lines[accessory] = lines.get(accessory, 0) + qty
    for sku, qty in lines.items():
        inventory[(home, sku)][1] = max(inventory[(home, sku)][1], qty + rng.randint(0, 2))

    # Store terms.
    store_rows = {}
    for store in stores:
        fee = rng.choice((499, 699, 999)) if delivery else 0
        store_rows[store] = {"delivery_fee": fee,
                             "free_delivery_over": rng.choice((None, 20000, 50000, 100000)) if delivery else None}

    def prices_at(store: str) -> dict[str, int]:
        return {s: p for (st, s), (p, _) in inventory.items() if st == store}

    home_prices = prices_at(home)
    cheapest_home = _cheapest_cart(home, needs, category_of, rating_of, requires_of, inventory)
    if cheapest_home is None:
        return None
    subtotal = sum(home_prices[s] * q for s, q in lines.items())
    cheap_subtotal = sum(home_prices[s] * q for s, q in cheapest_home.items())
    if upgrade and subtotal <= cheap_subtotal:
        return None

    # Coupons: the planted ones at the home store, then distractors at every store.
    coupons: list[dict[str, Any]] = []
    codes: set[str] = set()

    def coupon(**terms: Any) -> dict[str, Any]:
        while True:
            code = f"{rng.choice(('SAVE', 'DEAL', 'TECH', 'SPRING', 'VIP', 'FLASH', 'MEGA', 'BONUS'))}{rng.randrange(5, 99)}"
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
        return sum(home_prices[s] * q for s, q in lines.items() if category in (None, category_of[s]))

    if upgrade:
        # a threshold the cheapest cart misses and a value that more than pays for the upgrade
        gap = subtotal - cheap_subtotal
        floor = cheap_subtotal + 100
        planted = [coupon(kind="fixed", value=(gap + rng.choice((500, 1000, 1500, 2500))) // 100 * 100,
                          min_spend=max(floor, subtotal - rng.randrange(0, min(max(gap, 100), 1000), 100)) // 100 * 100)]
        if planted[0]["min_spend"] <= cheap_subtotal or planted[0]["min_spend"] > subtotal:
            planted[0]["min_spend"] = subtotal
        if max_coupons is None or max_coupons >= 2:
            cat_pick = rng.choice(need_cats)
            planted.append(coupon(kind="percent", value=rng.choice((5, 10, 15)), category=cat_pick,
                                  min_spend=base_of(cat_pick) // 100 * 100 // rng.choice((1, 2))))
    else:
        cat_pick = rng.choice(need_cats)
        planted = [coupon(kind="percent", value=rng.choice((10, 15, 20)), category=cat_pick,
                          min_spend=base_of(cat_pick) // 100 * 100 // rng.choice((1, 2)))]
        planted.append(coupon(kind="fixed", value=rng.choice((500, 1000, 1500, 2000)),
                              min_spend=max(subtotal - rng.randrange(0, 3000, 500), 0) // 100 * 100))
    # Distractors, spread over the stores: an exclusive big coupon out of reach, an expired one, one
    # that excludes a planted code, one for a category not on the list, thresholds of their own.
    for store in stores:
        reach = sum(prices_at(store).get(s, base_price[s]) * q for s, q in lines.items())
        coupon(store=store, kind="percent", value=30, exclusive=1, min_spend=2 * reach + rng.randrange(2000, 20000, 1000))
        coupon(store=store, kind="percent", value=rng.choice((15, 20, 25)),
               valid_until=(date - dt.timedelta(days=rng.randint(1, 30))).isoformat(),
               valid_from=(date - dt.timedelta(days=rng.randint(31, 60))).isoformat())
        if store != home:
            coupon(store=store, kind="fixed", value=rng.choice((500, 1000, 1500)),
                   min_spend=reach + rng.randrange(500, 5000, 500))
    coupon(kind="fixed", value=max(100, planted[0]["value"] // 3 // 100 * 100), category=planted[0]["category"],
           min_spend=planted[0]["min_spend"], excludes=[planted[0]["code"]])
    coupon(kind="fixed", value=1500, category=distractor_cats[0], min_spend=1000, store=rng.choice(stores))
    if max_coupons is not None and len(planted) > max_coupons:
        planted = planted[:max_coupons]
    _, _, total, bases = price_cart(lines, home_prices, category_of, planted, store_rows[home], delivery)
    if not all(coupon_applies(c, bases[c["code"]]) for c in planted):
        return None
    budget = int(total * (1 + slack)) // 100 * 100 + 99
    if upgrade:
        # below every store's cheapest cart with the best coupons that cart can use
        totals = [_best_total(store, needs, category_of, rating_of, requires_of, inventory, coupons, store_rows[store],
                              delivery, date.isoformat(), max_coupons) for store in stores]
        beaten = min((t for t in totals if t is not None), default=None)
        if beaten is not None:
            if beaten <= total:
                return None
            budget = min(budget, beaten - 1)

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


def _cheapest_cart(store: str, needs: list[dict[str, Any]], category_of: dict[str, str], rating_of: dict[str, float],
                   requires_of: dict[str, list[str]], inventory: dict[tuple[str, str], list[int]]) -> dict[str, int] | None:
    """The cheapest way to cover each list entry at `store` (one qualifying product in full quantity,
    with its cheapest accessory in full quantity), merged; None if an entry cannot be covered or
    the merged quantities exceed the stock."""
    lines: dict[str, int] = {}
    for need in needs:
        best = None
        for sku in sorted(category_of):
            line = inventory.get((store, sku))
            if line is None or line[1] < need["qty"] or not meets_need(need, category_of[sku], rating_of[sku], line[0]):
                continue
            option = {sku: need["qty"]}
            cost = line[0]
            if sku in requires_of:
                fits = sorted((inventory[(store, a)][0], a) for a in requires_of[sku]
                              if (store, a) in inventory and inventory[(store, a)][1] >= need["qty"])
                if not fits:
                    continue
                option[fits[0][1]] = need["qty"]
                cost += fits[0][0]
            if best is None or cost < best[0]:
                best = (cost, option)
        if best is None:
            return None
        for sku, qty in best[1].items():
            lines[sku] = lines.get(sku, 0) + qty
    if any(inventory[(store, s)][1] < q for s, q in lines.items()):
        return None
    return lines


def _best_total(store: str, needs: list[dict[str, Any]], category_of: dict[str, str], rating_of: dict[str, float],
                requires_of: dict[str, list[str]], inventory: dict[tuple[str, str], list[int]],
                coupons: list[dict[str, Any]], terms: dict[str, Any], delivery: bool, date: str,
                max_coupons: int | None) -> int | None:
    """What the cheapest cart at `store` costs with the best combination of the coupons it can use
    (None: no cheapest cart there)."""
    lines = _cheapest_cart(store, needs, category_of, rating_of, requires_of, inventory)
    if lines is None:
        return None
    prices = {s: inventory[(store, s)][0] for s in lines}
    usable = [c for c in coupons if c["store"] in (None, store) and valid_on(c, date)]
    best = None
    for k in range(len(usable) + 1):
        for combo in itertools.combinations(usable, k):
            chosen = list(combo)
            if not compatible(chosen, max_coupons):
                continue
            _, _, total, bases = price_cart(lines, prices, category_of, chosen, terms, delivery)
            if all(coupon_applies(c, bases[c["code"]]) for c in chosen) and (best is None or total < best):
                best = total
    return best
