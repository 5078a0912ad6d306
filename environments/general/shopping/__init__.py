"""shopping: fill a shopping list at one store within a budget, with coupons and required accessories.

A sandbox database of stores (delivery fee, free-delivery threshold), products (category, brand,
rating, the accessories a product requires), per-store inventory (price in cents, stock) and
coupons (store, percent or fixed, category, minimum spend, validity dates, exclusive, excluded
pairings). The task states a shopping list (category, quantity, rating floor, unit price cap), a
date and a budget; as difficulty rises: more items and stores, a tighter budget, delivery fees,
a cap on coupons per order. The answer is JSON {store, items: [{product, qty}], coupons: [...]}.

This package wires the parts: `_build` (schema, name pools, the generator with its planted
solution), `_tools`, `_solve` (the gold solver, tools only) and `_perturb`. Grading lives in
synth.verifiers.general.shopping, which recomputes every price, discount and fee from the database;
the pricing rules the prompt states are shared through synth.verifiers.general.rules.shopping.
"""

from __future__ import annotations

from synth import register_category

from .._base import GeneralCategory
from ._build import SCHEMA
from ._tools import TOOLS


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
    tools = TOOLS
