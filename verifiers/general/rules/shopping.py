"""shopping's domain rules: money, coupon terms and cart pricing, as the prompt states them.

Sits under the shopping category's generator, tools and gold solver (in the general family) and
its checker (synth.verifiers.general.shopping); imports only the standard library. Every function
is pure, so the budget the generator plants, the cart the gold solver picks and the total the
checker recomputes come from the same arithmetic.

Money is integer cents in the database and in every computation; tools show decimal currency units
(`money`) and the gold solver reads them back (`cents`). A coupon is a mapping with the columns of
the `coupons` table (`code`, `store`, `kind` percent or fixed, `value` percent points or cents,
`category` or None for the whole cart, `min_spend` in cents, `valid_from`/`valid_until` ISO dates,
`exclusive`), except `excludes`, the list of codes it cannot be combined with (stored as one
comma-separated text: `excludes_text`, `excluded_codes`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def money(cents: int) -> float:
    """Integer cents as decimal currency units (as tools show prices)."""
    return round(cents / 100, 2)


def cents(value: Any) -> int:
    """Decimal currency units (as tools show them) back to integer cents."""
    return int(round(float(value) * 100))


def excludes_text(codes: Iterable[str]) -> str:
    """The stored form of a coupon's excluded codes: sorted, comma-separated, "" for none."""
    return ",".join(sorted(codes))


def excluded_codes(text: str | None) -> list[str]:
    """The codes a stored `excludes` text names."""
    return text.split(",") if text else []


def valid_on(coupon: Mapping[str, Any], date: str) -> bool:
    """Whether a coupon is valid on an ISO date (both ends of its validity included)."""
    return bool(coupon["valid_from"] <= date <= coupon["valid_until"])


def coupon_applies(coupon: Mapping[str, Any], base: int) -> bool:
    """Whether a coupon's condition holds: its base (the pre-discount price of the cart items it
    covers) is above zero and reaches its minimum spend."""
    return base > 0 and base >= coupon["min_spend"]


def coupon_discount(coupon: Mapping[str, Any], base: int) -> int:
    """Discount in cents of one coupon over the pre-discount base it covers: percent discounts round
    down to the cent, fixed ones never exceed their base."""
    if coupon["kind"] == "percent":
        return base * coupon["value"] // 100
    return min(coupon["value"], base)


def delivery_fee(store: Mapping[str, Any], goods: int, delivery: bool) -> int:
    """The delivery fee in cents a cart pays at `store` (`delivery_fee`, `free_delivery_over` or None),
    when delivery applies: charged unless the discounted subtotal `goods` reaches the threshold."""
    if delivery and (store["free_delivery_over"] is None or goods < store["free_delivery_over"]):
        return store["delivery_fee"]
    return 0


def price_cart(lines: Mapping[str, int], prices: Mapping[str, int], category_of: Mapping[str, str],
               coupons: list[Mapping[str, Any]], store: Mapping[str, Any],
               delivery: bool) -> tuple[int, int, int, dict[str, int]]:
    """(subtotal, discount, total, base per coupon code) of a cart of sku -> quantity; prices in
    cents. Each coupon is computed on the pre-discount prices of the items it covers (its category,
    or the whole cart); conditions are not checked here (`coupon_applies`)."""
    subtotal = sum(prices[s] * q for s, q in lines.items())
    bases, discount = {}, 0
    for c in coupons:
        base = sum(prices[s] * q for s, q in lines.items() if c["category"] in (None, category_of[s]))
        bases[c["code"]] = base
        discount += coupon_discount(c, base)
    goods = max(subtotal - discount, 0)
    return subtotal, discount, goods + delivery_fee(store, goods, delivery), bases


def compatible(coupons: list[Mapping[str, Any]], limit: int | None) -> bool:
    """Whether coupons may be used together: at most `limit` of them (None: no cap), no exclusive
    coupon combined with another, none combined with a code it excludes."""
    if limit is not None and len(coupons) > limit:
        return False
    codes = {c["code"] for c in coupons}
    for c in coupons:
        if c["exclusive"] and len(coupons) > 1:
            return False
        if codes & set(c["excludes"]):
            return False
    return True


def meets_need(need: Mapping[str, Any], category: str, rating: float, unit_price: int | None) -> bool:
    """Whether a product counts toward a shopping-list entry (`category`, `min_rating` or None,
    `max_unit_price` in cents or None): its category, its rating, and its unit price at the chosen
    store (None when the store does not carry it, which fails any price cap)."""
    return (category == need["category"]
            and (need["min_rating"] is None or rating >= need["min_rating"])
            and (need["max_unit_price"] is None or (unit_price is not None and unit_price <= need["max_unit_price"])))
