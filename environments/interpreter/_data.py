"""The data-analysis category: a generated shop (CSV + SQLite) and questions that need pandas.

Sits under the interpreter family (through `_problem.Problem`). A shop is orders.csv (10^3..10^5
rows by difficulty, with exact duplicate rows, void rows with no quantity, prices as text that
sometimes start with "$", empty discounts, timestamps over three years) and shop.sqlite (customers
and products, joined to orders by id). Every question is answered by the generator in plain Python
over its clean in-memory orders, and by the gold cells with pandas over the files; its decoys are
what the usual mistakes give (the first 100 rows only, the mean for the median, an exclusive bound,
an off-by-one threshold, duplicates counted, ties broken the wrong way).
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import itertools
import math
import random
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any, Callable

from synth.verifiers.interpreter import Answer

from ._problem import Decoy, Problem, Redraw, csv_bytes, distinct, item_rng, print_json, sqlite_bytes

ROWS = {1: 1_000, 2: 3_000, 3: 10_000, 4: 30_000, 5: 100_000}
"""Rows of orders.csv by difficulty."""
CITIES = ("Aveiro", "Bergen", "Cork", "Delft", "Essen", "Faro", "Graz", "Haarlem", "Ivrea", "Jena", "Kassel", "Lille")
SEGMENTS = ("consumer", "business", "education")
CATEGORIES = ("audio", "books", "garden", "kitchen", "office", "sports", "toys", "travel")
FIRST = ("Ada", "Bruno", "Chloe", "Dmitri", "Elena", "Felix", "Greta", "Hugo", "Ines", "Jonas", "Katrin", "Lars",
         "Mara", "Nils", "Olga", "Pavel", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera", "Wim", "Xenia", "Yusuf",
         "Zoe", "Anton", "Bea", "Carl", "Dana")
LAST = ("Alves", "Berg", "Costa", "Dahl", "Eriksen", "Fischer", "Gomez", "Horvat", "Ibsen", "Jansen", "Kovac",
        "Lund", "Moreno", "Novak", "Olsen", "Peters", "Quist", "Rossi", "Silva", "Thorn", "Ulrich", "Vidal",
        "Weber", "Xu", "Young", "Zeller", "Amato", "Bauer", "Cruz", "Duval")
STATUSES = ("shipped", "cancelled", "returned", "pending")
STATUS_WEIGHTS = (75, 10, 8, 7)
DISCOUNTS = (0.05, 0.1, 0.15, 0.2, 0.25)
START = dt.datetime(2022, 1, 1)
SPAN_SECONDS = 3 * 365 * 86400
YEARS = (2022, 2023, 2024)

FILES_NOTE = """\
Files (read-only):
- /data/orders.csv: one row per order: order_id, customer_id, sku, order_date (YYYY-MM-DD HH:MM:SS), \
quantity, unit_price, discount, status.
- /data/shop.sqlite: SQLite tables customers(customer_id, name, city, segment, signup_date) and \
products(sku, product, category, list_price).

Rules of this data:
- Some orders were entered twice: identical rows in orders.csv are one order.
- Rows with an empty quantity are void: leave them out of everything.
- unit_price is text and sometimes starts with "$"; an empty discount means no discount.
- The value of an order is quantity * unit_price * (1 - discount).
- A day or month means the calendar day or month of order_date; a customer's city and segment and a \
product's category come from shop.sqlite."""

LOAD = """\
import sqlite3
import pandas as pd
orders = pd.read_csv("/data/orders.csv", dtype={"unit_price": str}).drop_duplicates()
orders = orders.dropna(subset=["quantity"])
orders["unit_price"] = orders["unit_price"].str.lstrip("$").astype(float)
orders["discount"] = orders["discount"].fillna(0.0)
orders["order_date"] = pd.to_datetime(orders["order_date"])
orders["value"] = orders["quantity"] * orders["unit_price"] * (1 - orders["discount"])
with sqlite3.connect("file:/data/shop.sqlite?mode=ro", uri=True) as db:
    customers = pd.read_sql("SELECT * FROM customers", db)
    products = pd.read_sql("SELECT * FROM products", db)
orders = orders.merge(products[["sku", "category"]], on="sku").merge(customers, on="customer_id")
print(len(orders), "orders")"""


@dataclass(frozen=True)
class Order:
    order_id: int
    customer: int
    sku: str
    when: str
    quantity: int | None
    price_text: str
    discount: float | None
    status: str
    city: str
    segment: str
    category: str
    name: str

    @property
    def void(self) -> bool:
        return self.quantity is None

    @property
    def price(self) -> float:
        return float(self.price_text.lstrip("$"))

    @property
    def value(self) -> float:
        assert self.quantity is not None
        return self.quantity * self.price * (1 - (self.discount if self.discount is not None else 0.0))

    @property
    def day(self) -> str:
        return self.when[:10]

    @property
    def year(self) -> int:
        return int(self.when[:4])


class Shop:
    """The generated data: files, and the orders as the generator knows them."""

    def __init__(self, files: dict[str, bytes], rows: list[Order]) -> None:
        self.files = files
        self.rows = rows
        """orders.csv's rows in file order, duplicates included."""
        self.orders = self.unique(rows)
        """Valid orders, each once, in file order: what every question is about."""
        self.with_duplicates = [o for o in rows if not o.void]
        """Valid rows with the duplicates kept (the mistake of not dropping them)."""
        self.head = self.unique(rows[:100])
        """What reading only the first 100 rows of orders.csv gives."""
        counts = Counter(o.order_id for o in rows)
        self.duplicated = [o for o in self.orders if counts[o.order_id] > 1]
        """Valid orders that appear twice in the file."""

    @staticmethod
    def unique(rows: list[Order]) -> list[Order]:
        seen: set[int] = set()
        out = []
        for order in rows:
            if order.order_id not in seen and not order.void:
                seen.add(order.order_id)
                out.append(order)
        return out


def build_shop(rng: random.Random, rows: int) -> Shop:
    names: set[str] = set()
    customers = []
    for cid in range(1, max(40, rows // 25) + 1):
        while True:
            name = f"{rng.choice(FIRST)} {rng.choice('ABCDEFGHIJKLMNOPRSTVW')}. {rng.choice(LAST)}"
            if name.casefold() not in names:
                names.add(name.casefold())
                break
        signup = (START - dt.timedelta(days=rng.randrange(1, 900))).strftime("%Y-%m-%d")
        customers.append((cid, name, rng.choice(CITIES), rng.choice(SEGMENTS), signup))
    products = []
    for number, category in enumerate(sorted(CATEGORIES * 6)):
        products.append((f"SKU-{number + 101:04d}", f"{category} item {number % 6 + 1}", category,
                         round(rng.uniform(3, 400), 2)))
    by_id = {c[0]: c for c in customers}
    price_of = {p[0]: p[3] for p in products}
    category_of = {p[0]: p[2] for p in products}
    # a few customers buy much more than others; a few products sell much more
    customer_weights = list(itertools.accumulate(rng.paretovariate(1.5) for _ in customers))
    product_weights = list(itertools.accumulate(rng.paretovariate(2.0) for _ in products))
    times = sorted(rng.randrange(SPAN_SECONDS) for _ in range(rows))
    unique = []
    for order_id, offset in enumerate(times, start=1):
        customer = rng.choices(customers, cum_weights=customer_weights)[0]
        product = rng.choices(products, cum_weights=product_weights)[0]
        price = round(price_of[product[0]] * rng.uniform(0.85, 1.1), 2)
        quantity = None if rng.random() < 0.015 else max(1, int(rng.expovariate(1.0) * 60 / math.sqrt(price)) + 1)
        text = f"${price:.2f}" if rng.random() < 0.25 else f"{price:.2f}"
        discount = rng.choice(DISCOUNTS) if rng.random() < 0.3 else None
        status = rng.choices(STATUSES, STATUS_WEIGHTS)[0]
        when = (START + dt.timedelta(seconds=offset)).strftime("%Y-%m-%d %H:%M:%S")
        cid = customer[0]
        unique.append(Order(order_id, cid, product[0], when, quantity, text, discount, status, by_id[cid][2],
                            by_id[cid][3], category_of[product[0]], by_id[cid][1]))
    file_rows: list[Order] = []
    for order in unique:
        file_rows.append(order)
        if rng.random() < 0.03:  # entered twice, near its first entry
            file_rows.insert(len(file_rows) - rng.randrange(0, min(5, len(file_rows))), order)
    csv_rows = [(o.order_id, o.customer, o.sku, o.when, "" if o.quantity is None else o.quantity, o.price_text,
                 "" if o.discount is None else f"{o.discount:.2f}", o.status) for o in file_rows]
    files = {
        "orders.csv": csv_bytes(("order_id", "customer_id", "sku", "order_date", "quantity", "unit_price", "discount",
                                 "status"), csv_rows),
        "shop.sqlite": sqlite_bytes({
            "customers": ("customer_id INTEGER PRIMARY KEY, name TEXT, city TEXT, segment TEXT, signup_date TEXT",
                          customers),
            "products": ("sku TEXT PRIMARY KEY, product TEXT, category TEXT, list_price REAL", products),
        }),
    }
    return Shop(files, file_rows)


# -- plain-Python statistics the generator answers with (pandas does the gold) ----------------------
def percentile(values: list[float], p: float, method: str = "linear") -> float:
    ordered = sorted(values)
    h = (len(ordered) - 1) * p / 100
    low = math.floor(h)
    if method == "lower" or low + 1 >= len(ordered):
        return ordered[low]
    return ordered[low] + (h - low) * (ordered[low + 1] - ordered[low])


def pearson(xs: list[float], ys: list[float]) -> float | None:
    if len(xs) < 3:
        return None
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxy = math.fsum((x - mx) * (y - my) for x, y in zip(xs, ys))
    sxx = math.fsum((x - mx) ** 2 for x in xs)
    syy = math.fsum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    return sxy / math.sqrt(sxx * syy)


def total(orders: list[Order]) -> float:
    return math.fsum(o.value for o in orders)


NUMBER = {"rel_tol": 1e-6, "abs_tol": 1e-6}


# -- question kinds -----------------------------------------------------------------------------------
def filtered_revenue(shop: Shop, rng: random.Random) -> Problem:
    # built around an order that was entered twice, ending on the day of a later order of the same
    # city: counting duplicates and an exclusive end each change the answer
    shipped = [o for o in shop.duplicated if o.status == "shipped"]
    if not shipped:
        raise Redraw()
    anchor = rng.choice(shipped)
    city = anchor.city
    first = dt.date.fromisoformat(anchor.day)
    later = [o.day for o in shop.orders if o.city == city and o.status == "shipped" and anchor.day < o.day
             and dt.date.fromisoformat(o.day) - first <= dt.timedelta(days=150)]
    d1 = (first - dt.timedelta(days=rng.randrange(0, 60))).isoformat()
    d2 = rng.choice(later) if later else anchor.day

    def pick(orders: list[Order], inclusive: bool = True) -> list[Order]:
        return [o for o in orders if o.status == "shipped" and o.city == city and d1 <= o.day and (o.day <= d2 if inclusive else o.day < d2)]

    value = total(pick(shop.orders))
    question = (f"What is the total value of the shipped orders placed by customers from {city} between {d1} and "
                f"{d2}, both days included?")
    gold = (f"days = orders['order_date'].dt.strftime('%Y-%m-%d')\n"
            f"chosen = orders[(orders['status'] == 'shipped') & (orders['city'] == {city!r}) & days.between({d1!r}, {d2!r})]\n"
            + print_json("float(chosen['value'].sum())"))
    return Problem("filtered_revenue", question, Answer(type="number", value=value, **NUMBER), [LOAD, gold], [
        Decoy("first_100_rows", total(pick(shop.head)), "value"),
        Decoy("exclusive_end_date", total(pick(shop.orders, inclusive=False)), "value"),
        Decoy("duplicates_counted", total(pick(shop.with_duplicates)), "value"),
    ], facts={"city": city, "from": d1, "to": d2, "status": "shipped"})


def _medians(orders: list[Order], year: int, how: Callable[[list[float]], float]) -> list[list[Any]]:
    groups: dict[str, list[float]] = defaultdict(list)
    for o in orders:
        if o.status == "shipped" and o.year == year:
            groups[o.category].append(o.value)
    return [[category, how(values)] for category, values in sorted(groups.items())]


def category_median(shop: Shop, rng: random.Random) -> Problem:
    year = rng.choice(YEARS)
    value = _medians(shop.orders, year, statistics.median)
    question = (f"For each product category, what is the median value of the shipped orders placed in {year}? "
                "Answer with one row [category, median] per category that has such orders, sorted by category name.")
    gold = (f"chosen = orders[(orders['status'] == 'shipped') & (orders['order_date'].dt.year == {year})]\n"
            "table = chosen.groupby('category')['value'].median().sort_index()\n"
            + print_json("[[name, float(v)] for name, v in table.items()]"))
    return Problem("category_median", question, Answer(type="table", value=value, **NUMBER), [LOAD, gold], [
        Decoy("mean_for_median", _medians(shop.orders, year, statistics.fmean), "cells"),
        Decoy("first_100_rows", _medians(shop.head, year, statistics.median), "cells"),
    ], facts={"year": year, "status": "shipped"})


def _loyal(orders: list[Order], segment: str, year: int, k: int, strict: bool = False) -> int:
    counts = Counter(o.customer for o in orders if o.status == "shipped" and o.segment == segment and o.year == year)
    return sum(1 for n in counts.values() if (n > k if strict else n >= k))


def loyal_customers(shop: Shop, rng: random.Random) -> Problem:
    segment, year, k = rng.choice(SEGMENTS), rng.choice(YEARS), rng.randrange(2, 6)
    question = f"How many distinct customers of the {segment} segment placed at least {k} shipped orders in {year}?"
    gold = (f"chosen = orders[(orders['status'] == 'shipped') & (orders['segment'] == {segment!r}) "
            f"& (orders['order_date'].dt.year == {year})]\n"
            f"per_customer = chosen.groupby('customer_id').size()\n" + print_json(f"int((per_customer >= {k}).sum())"))
    return Problem("loyal_customers", question, Answer(type="integer", value=_loyal(shop.orders, segment, year, k)),
                   [LOAD, gold], [
        Decoy("more_than_k", _loyal(shop.orders, segment, year, k, strict=True), "value"),
        Decoy("duplicates_counted", _loyal(shop.with_duplicates, segment, year, k), "value"),
        Decoy("first_100_rows", _loyal(shop.head, segment, year, k), "value"),
    ], facts={"segment": segment, "year": year, "at_least": k})


def value_percentile(shop: Shop, rng: random.Random) -> Problem:
    p = rng.choice((75, 80, 90, 95, 99))

    def values(orders: list[Order], cancelled: bool = False) -> list[float]:
        return [o.value for o in orders if cancelled or o.status != "cancelled"]

    question = (f"What is the {p}th percentile of the value of the orders that were not cancelled, interpolating "
                "linearly between the two nearest ranks (numpy.percentile's default method)?")
    gold = ("chosen = orders[orders['status'] != 'cancelled']\n"
            + print_json(f"float(chosen['value'].quantile({p / 100!r}))"))
    head = values(shop.head)
    return Problem("value_percentile", question,
                   Answer(type="number", value=percentile(values(shop.orders), p), **NUMBER), [LOAD, gold], [
        Decoy("lower_rank", percentile(values(shop.orders), p, "lower"), "value"),
        Decoy("cancelled_included", percentile(values(shop.orders, cancelled=True), p), "value"),
        *([Decoy("first_100_rows", percentile(head, p), "value")] if head else []),
    ], facts={"percentile": p, "excluded_status": "cancelled"})


def correlation(shop: Shop, rng: random.Random) -> Problem:
    category = rng.choice(CATEGORIES)

    def corr(orders: list[Order], every: bool = False) -> float | None:
        chosen = [o for o in orders if o.status == "shipped" and (every or o.category == category)]
        return pearson([float(o.quantity or 0) for o in chosen], [o.price for o in chosen])

    value = corr(shop.orders)
    if value is None:
        raise Redraw()
    question = (f"What is the Pearson correlation coefficient between quantity and unit price over the shipped "
                f"orders of products in the {category} category?")
    gold = (f"chosen = orders[(orders['status'] == 'shipped') & (orders['category'] == {category!r})]\n"
            + print_json("float(chosen['quantity'].corr(chosen['unit_price']))"))
    decoys = [Decoy("every_category", corr(shop.orders, every=True), "value"),
              Decoy("first_100_rows", corr(shop.head), "value")]
    return Problem("correlation", question, Answer(type="number", value=value, **NUMBER), [LOAD, gold],
                   [d for d in decoys if d.value is not None], facts={"category": category, "status": "shipped"})


def _monthly(orders: list[Order], year: int) -> list[float]:
    sums: dict[int, list[float]] = defaultdict(list)
    for o in orders:
        if o.status == "shipped" and o.year == year:
            sums[int(o.when[5:7])].append(o.value)
    return [math.fsum(sums.get(month, [])) for month in range(1, 13)]


def monthly_revenue(shop: Shop, rng: random.Random) -> Problem:
    year = rng.choice(YEARS)
    question = (f"What was the total value of shipped orders in each month of {year}? Answer with a list of 12 "
                "numbers, January first (0 for a month with none).")
    gold = (f"chosen = orders[(orders['status'] == 'shipped') & (orders['order_date'].dt.year == {year})]\n"
            "monthly = chosen.set_index('order_date')['value'].resample('MS').sum()\n"
            f"monthly = monthly.reindex(pd.date_range('{year}-01-01', periods=12, freq='MS'), fill_value=0.0)\n"
            + print_json("[float(v) for v in monthly]"))
    return Problem("monthly_revenue", question, Answer(type="list", value=_monthly(shop.orders, year), **NUMBER),
                   [LOAD, gold], [
        Decoy("duplicates_counted", _monthly(shop.with_duplicates, year), "items"),
        Decoy("first_100_rows", _monthly(shop.head, year), "items"),
    ], facts={"year": year, "status": "shipped"})


def _top(orders: list[Order], year: int, k: int, reverse_ties: bool = False, count_orders: bool = False) -> list[str]:
    bought: dict[str, set[Any]] = defaultdict(set)
    for o in orders:
        if o.status == "shipped" and o.year == year:
            bought[o.name].add(o.order_id if count_orders else o.sku)
    counts = {name: len(items) for name, items in bought.items()}
    if reverse_ties:
        ranked = sorted(sorted(counts, reverse=True), key=lambda name: -counts[name])
    else:
        ranked = sorted(counts, key=lambda name: (-counts[name], name))
    return ranked[:k]


def top_customers(shop: Shop, rng: random.Random) -> Problem:
    year, k = rng.choice(YEARS), rng.randrange(3, 9)
    question = (f"Which {k} customers bought the most different products (distinct sku) in shipped orders in {year}? "
                "Answer with their names, most products first; customers with equally many in alphabetical order "
                "of name.")
    gold = (f"chosen = orders[(orders['status'] == 'shipped') & (orders['order_date'].dt.year == {year})]\n"
            "counts = chosen.groupby('name')['sku'].nunique().reset_index(name='n')\n"
            f"ranked = counts.sort_values(['n', 'name'], ascending=[False, True]).head({k})\n"
            + print_json("list(ranked['name'])"))
    return Problem("top_customers", question, Answer(type="list", value=_top(shop.orders, year, k)), [LOAD, gold], [
        Decoy("ties_reversed", _top(shop.orders, year, k, reverse_ties=True), "items"),
        Decoy("orders_for_products", _top(shop.orders, year, k, count_orders=True), "items"),
        Decoy("first_100_rows", _top(shop.head, year, k), "items"),
    ], facts={"year": year, "k": k, "status": "shipped"})


def _busy(orders: list[Order], year: int, k: int) -> list[str]:
    people: dict[str, set[int]] = defaultdict(set)
    for o in orders:
        if o.status == "shipped" and o.year == year:
            people[o.city].add(o.customer)
    return sorted(city for city, who in people.items() if len(who) >= k)


def busy_cities(shop: Shop, rng: random.Random) -> Problem:
    year = rng.choice(YEARS)
    people: dict[str, set[int]] = defaultdict(set)
    for o in shop.orders:
        if o.status == "shipped" and o.year == year:
            people[o.city].add(o.customer)
    sizes = sorted(len(v) for v in people.values())
    k = sizes[bisect.bisect_left(sizes, sizes[len(sizes) // 2])] if sizes else 1
    k = max(1, k + rng.randrange(-1, 2))
    question = f"Which cities had at least {k} distinct customers with a shipped order in {year}?"
    gold = (f"chosen = orders[(orders['status'] == 'shipped') & (orders['order_date'].dt.year == {year})]\n"
            "per_city = chosen.groupby('city')['customer_id'].nunique()\n"
            + print_json(f"sorted(per_city[per_city >= {k}].index)"))
    return Problem("busy_cities", question, Answer(type="string_set", value=_busy(shop.orders, year, k)), [LOAD, gold], [
        Decoy("more_than_k", _busy(shop.orders, year, k + 1), "members"),
        Decoy("first_100_rows", _busy(shop.head, year, k), "members"),
    ], facts={"year": year, "at_least": k, "status": "shipped"})


KINDS = (filtered_revenue, category_median, loyal_customers, value_percentile, correlation, monthly_revenue,
         top_customers, busy_cities)


@functools.lru_cache(maxsize=2)
def shop_for(seed: int, group: int, difficulty: int) -> Shop:
    """The shop of a group of consecutive items: every kind is asked once about each shop, so a run
    stores one dataset per len(KINDS) tasks (assets are content-addressed)."""
    return build_shop(random.Random(f"interpreter:data:shop:{seed}:{group}:{difficulty}"), ROWS[difficulty])


class DataCategory:
    name = "data"
    description = ("Data analysis over a generated shop (orders.csv with duplicates, void rows and mixed types; "
                   "shop.sqlite with related tables): filters, group-bys, joins, percentiles, correlations, "
                   "monthly resampling, ranking with ties.")
    kinds = tuple(kind.__name__ for kind in KINDS)

    def build(self, seed: int, index: int, difficulty: int) -> Problem:
        kind = KINDS[index % len(KINDS)]
        shop = shop_for(seed, index // len(KINDS), difficulty)

        def draw(r: random.Random) -> Problem:
            problem = kind(shop, r)
            problem.question = f"{FILES_NOTE}\n\nQuestion: {problem.question}"
            problem.files = shop.files
            problem.facts = {"rows": ROWS[difficulty], **problem.facts}
            return problem

        return distinct(kind.__name__, item_rng("data", seed, index, difficulty), draw)
