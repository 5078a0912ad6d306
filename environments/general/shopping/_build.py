"""shopping's generator: a random shop, then a complete solver finds its one answer (issue 18).

Sits under the shopping category (`__init__`); shares the pricing rules with the checker through
synth.verifiers.general.rules.shopping and the constraint model with the gold solver (`_model`).
Money is integer cents in the database. `build` draws from `rng` only, in a fixed order, so an item
is a pure function of its random stream.

Nothing is planted: stores, products (prices, ratings, required accessories), per-store stock,
the shopping list (quantities, rating floors, price caps) and coupons (percent or fixed, whole
cart or one category, minimum spends scaled to the store's typical cart, exclusive ones, excluded
pairings, some expired or not yet valid) are drawn at random. The CP-SAT oracle (`_model`, the
checker's rules: extra products, mixed products per entry, any accessory mix) finds each store's
cheapest cart; the instance is kept only if one store's cheapest is below every other store's and
no other cart there reaches that total. The budget is that total, so the cart is the task's only
answer. The solver's effort (all stores' solves plus the uniqueness proof) is stored in the params
as `oracle`; the answer never is: the gold solver finds it through the tools at generation.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any, NamedTuple

from synth.verifiers.general.rules.shopping import excludes_text, meets_need, valid_on

from .._base import Built, new_db
from .._oracle import Effort, Undecided
from ._model import Shop, cheapest

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

class Level(NamedTuple):
    needs: int
    """Shopping-list entries."""
    stores: int
    products: tuple[int, int]
    """Products per category (range)."""
    coupons: int
    """Coupons drawn per store (plus one any-store coupon)."""
    delivery: bool
    max_coupons: int | None
    stock: tuple[int, ...]
    """Stock levels an inventory line draws from (low stock makes carts mix products)."""
    search: bool
    """Redraw a shop whose answer is the cheapest cover of each entry or one upgrade of it (a greedy
    cart: no search needed)."""


LEVELS = {
    1: Level(2, 2, (3, 4), 2, False, None, (2, 3, 5, 8), False),
    2: Level(2, 3, (3, 5), 3, False, None, (1, 2, 3, 5, 8), False),
    3: Level(3, 3, (4, 6), 5, True, None, (0, 1, 2, 3, 4, 6), True),
    4: Level(3, 4, (4, 6), 6, True, 2, (0, 1, 2, 3, 4, 6), True),
    5: Level(4, 4, (5, 7), 7, True, 2, (0, 1, 2, 3, 4, 6), True),
}


MAX_CONFLICTS = 3000
"""Conflicts one oracle solve may spend before the instance is redrawn (deterministic; keeps rare
hard draws from stalling generation: throughput)."""


def build(rng: random.Random, difficulty: int) -> Built:
    """Draw random shops until the oracle finds one whose cheapest cart is its only one within budget."""
    for _ in range(200):
        built = _attempt(rng, LEVELS[difficulty])
        if built is not None:
            return built
    raise RuntimeError("no shop with a unique cheapest cart in 200 draws")


def _attempt(rng: random.Random, level: Level) -> Built | None:
    """One random shop; None unless one cart at one store is the cheapest and the only one at that total."""
    date = BASE_DATE + dt.timedelta(days=rng.randrange(300))
    stores = sorted(rng.sample(STORES, level.stores))
    need_cats = sorted(rng.sample(sorted(CATALOG), level.needs))
    other_cats = sorted(rng.sample(sorted(set(CATALOG) - set(need_cats)), 2))
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
    requires_of: dict[str, list[str]] = {}
    accessories_of_cat: dict[str, list[str]] = {}
    for cat in need_cats + other_cats:
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
        for _ in range(rng.randint(*level.products)):
            sku = new_sku()
            brand = rng.choice(BRANDS)
            products.append((sku, f"{brand} {cat[:-1]} {sku[-3:]}", cat, brand, round(rng.uniform(2.5, 5.0), 1)))
            base_price[sku] = rng.randrange(lo, hi, 100) - 1
            category_of[sku] = cat
            if acc_cat is not None:
                requires_of[sku] = sorted(rng.sample(accessories_of_cat[acc_cat], rng.randint(1, 2)))
    rating_of = {p[0]: p[4] for p in products}

    inventory: dict[tuple[str, str], tuple[int, int]] = {}
    for store in stores:
        factor = rng.uniform(0.9, 1.15)
        for sku, *_ in products:
            if rng.random() < 0.8:
                price = max(99, int(base_price[sku] * factor * rng.uniform(0.85, 1.15)) // 100 * 100 - 1)
                inventory[(store, sku)] = (price, rng.choice(level.stock))

    needs: list[dict[str, Any]] = []
    for cat in need_cats:
        qty = rng.choice((1, 1, 2, 3)) if CATALOG[cat][0] is None else rng.choice((1, 1, 2))
        of_cat = sorted(s for s in category_of if category_of[s] == cat)
        need = {"category": cat, "qty": qty, "min_rating": None, "max_unit_price": None}
        if rng.random() < 0.5:
            need["min_rating"] = rng.choice((3.0, 3.5, 4.0))
        if rng.random() < 0.4:
            prices = sorted(p for (_, s), (p, _) in inventory.items() if s in of_cat)
            if prices:
                need["max_unit_price"] = prices[rng.randrange(len(prices) // 2, len(prices))] // 100 * 100 + 100
        needs.append(need)

    store_rows = {}
    for store in stores:
        store_rows[store] = {"delivery_fee": rng.choice((499, 699, 999)) if level.delivery else 0,
                             "free_delivery_over": rng.choice((None, 20000, 50000, 100000)) if level.delivery else None}

    def scale(store: str, category: str | None) -> int:
        """A rough size of a cart's base at `store` (median prices of the list's categories)."""
        total = 0
        for need in needs:
            if category in (None, need["category"]):
                prices = sorted(p for (st, s), (p, _) in inventory.items()
                                if st == store and category_of[s] == need["category"])
                total += prices[len(prices) // 2] * need["qty"] if prices else 0
        return total

    coupons: list[dict[str, Any]] = []
    codes: set[str] = set()
    scoped = need_cats + other_cats + sorted(accessories_of_cat)
    for store in stores + [None]:
        for _ in range(level.coupons if store is not None else 1):
            while True:
                code = f"{rng.choice(('SAVE', 'DEAL', 'TECH', 'SPRING', 'VIP', 'FLASH', 'MEGA', 'BONUS'))}{rng.randrange(5, 99)}"
                if code not in codes:
                    codes.add(code)
                    break
            roll = rng.random()
            category = None if roll < 0.45 else rng.choice(need_cats) if roll < 0.9 else rng.choice(scoped)
            percent = rng.random() < 0.5
            size = scale(store or rng.choice(stores), category)
            min_spend = 0 if rng.random() < 0.15 else int(size * rng.uniform(0.7, 1.6)) // 1000 * 1000
            value = rng.choice((5, 10, 15, 20, 25)) if percent else \
                max(500, int(max(size, 5000) * rng.uniform(0.04, 0.2)) // 500 * 500)
            valid = rng.random() < 0.85
            start = date - dt.timedelta(days=rng.randint(1, 30)) if valid or rng.random() < 0.5 else \
                date + dt.timedelta(days=rng.randint(1, 10))
            until = date + dt.timedelta(days=rng.randint(0, 30)) if valid or start > date else \
                date - dt.timedelta(days=rng.randint(1, 10))
            coupons.append({"code": code, "store": store, "kind": "percent" if percent else "fixed", "value": value,
                            "category": category, "min_spend": min_spend, "valid_from": start.isoformat(),
                            "valid_until": max(start, until).isoformat(),
                            "exclusive": int(rng.random() < 0.15), "excludes": []})
    for c in coupons:
        if rng.random() < 0.3:
            pool = sorted(o["code"] for o in coupons if o["store"] in (None, c["store"]) and o["code"] != c["code"])
            if pool:
                c["excludes"] = [rng.choice(pool)]

    best, found, oracles, carts = None, [], [], {}
    for store in stores:
        shop = Shop(store, {s: p for (st, s), (p, _) in inventory.items() if st == store},
                    {s: n for (st, s), (_, n) in inventory.items() if st == store}, category_of, rating_of,
                    requires_of, [c for c in coupons if c["store"] in (None, store) and valid_on(c, date.isoformat())],
                    store_rows[store], needs, level.delivery, level.max_coupons)
        try:
            cart, least, answer = cheapest(shop, MAX_CONFLICTS, best)
        except Undecided:
            return None
        oracles.append(cart.oracle)
        if least is None:
            continue
        carts[store] = (cart, answer)
        if best is None or least < best:
            best, found = least, [store]
        elif least == best:
            found.append(store)
    if best is None or len(found) != 1:
        return None
    cart, answer = carts[found[0]]
    if level.search and {i["product"]: i["qty"] for i in answer["items"]} in _greedy(
            found[0], needs, inventory, category_of, rating_of, requires_of):
        return None
    m = cart.oracle.model
    m.clear_objective()
    m.add(cart.total <= best)
    cart.exclude(answer)
    try:
        unique = cart.oracle.solve() is None
    except Undecided:
        return None
    if not unique:
        return None

    db = new_db(SCHEMA)
    db.executemany("INSERT INTO stores VALUES (?, ?, ?, ?)", [
        (s, rng.choice(CITIES), store_rows[s]["delivery_fee"], store_rows[s]["free_delivery_over"]) for s in stores])
    db.executemany("INSERT INTO products VALUES (?, ?, ?, ?, ?)", sorted(products))
    db.executemany("INSERT INTO requires VALUES (?, ?)", sorted((s, a) for s, acc in requires_of.items() for a in acc))
    db.executemany("INSERT INTO inventory VALUES (?, ?, ?, ?)",
                   sorted((s, k, p, q) for (s, k), (p, q) in inventory.items()))
    db.executemany("INSERT INTO coupons VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", sorted(
        (c["code"], c["store"], c["kind"], c["value"], c["category"], c["min_spend"], c["valid_from"],
         c["valid_until"], c["exclusive"], excludes_text(c["excludes"])) for c in coupons))
    db.commit()
    params = {
        "date": date.isoformat(),
        "budget": best,
        "budget_text": f"{best / 100:.2f}",
        "needs": [dict(n, max_unit_price_text=None if n["max_unit_price"] is None else f"{n['max_unit_price'] / 100:.2f}")
                  for n in needs],
        "delivery": level.delivery,
        "max_coupons": level.max_coupons,
        "oracle": _effort(oracles),
    }
    return Built(db, params, answer)


def _greedy(store: str, needs: list[dict[str, Any]], inventory: dict[tuple[str, str], tuple[int, int]],
            category_of: dict[str, str], rating_of: dict[str, float],
            requires_of: dict[str, list[str]]) -> list[dict[str, int]]:
    """The carts a greedy agent reaches at `store`: per entry the cheapest way to cover it (one product
    in full quantity, with one accessory in full quantity if it needs one), and each cart that
    upgrades one entry to another of its ways."""
    per_need = []
    for need in needs:
        ways = []
        for sku in sorted(category_of):
            line = inventory.get((store, sku))
            if line is None or line[1] < need["qty"] or not meets_need(need, category_of[sku], rating_of[sku], line[0]):
                continue
            if sku not in requires_of:
                ways.append({sku: need["qty"]})
            for a in requires_of.get(sku, []):
                if (store, a) in inventory and inventory[(store, a)][1] >= need["qty"]:
                    ways.append({sku: need["qty"], a: need["qty"]})
        ways.sort(key=lambda w: sum(inventory[(store, s)][0] * q for s, q in w.items()))
        if not ways:
            return []
        per_need.append(ways)
    carts = []
    for k in range(-1, len(per_need)):
        for alt in (per_need[k] if k >= 0 else [None]):
            lines: dict[str, int] = {}
            for i, ways in enumerate(per_need):
                for sku, qty in (alt if i == k else ways[0]).items():
                    lines[sku] = lines.get(sku, 0) + qty
            carts.append(lines)
    return carts


def _effort(oracles: list[Any]) -> dict[str, int]:
    """The oracle's effort over every store's model (booleans: the largest model)."""
    total = Effort()
    for o in oracles:
        total.solves += o.effort.solves
        total.branches += o.effort.branches
        total.conflicts += o.effort.conflicts
        total.booleans = max(total.booleans, o.effort.booleans)
    return total.as_params()
