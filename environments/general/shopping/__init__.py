"""shopping: fill a shopping list at one store within a budget, with coupons and required accessories.

A sandbox database of stores (delivery fee, free-delivery threshold), products (category, brand,
rating, the accessories a product requires), per-store inventory (price in cents, stock) and
coupons (store, percent or fixed, category, minimum spend, validity dates, exclusive, excluded
pairings). The task states a shopping list (category, quantity, rating floor, unit price cap), a
date and a budget; as difficulty rises: more items and stores, a tighter budget, delivery fees,
a cap on coupons per order. The answer is JSON {store, items: [{product, qty}], coupons: [...]}.

This package wires the parts: `_build` (schema, name pools, the random generator and its CP-SAT
oracle), `_model` (the constraint model the oracle and the gold solver share), `_tools`, `_solve` (the gold solver, tools only) and `_perturb`. Grading lives in
synth.verifiers.general.shopping, which recomputes every price, discount and fee from the database;
the pricing rules the prompt states are shared through synth.verifiers.general.rules.shopping.
"""

from __future__ import annotations

from synth import register_category

from .._base import RULES_BLOCK, GeneralCategory
from ._build import SCHEMA
from ._tools import TOOLS


@register_category("general", "shopping")
class Shopping(GeneralCategory):
    name = "shopping"
    schema = SCHEMA
    """The sandbox database's CREATE statements (for hand-built databases in tests and docs)."""
    description = "Fill a shopping list at one store within budget, with coupons, stock and required accessories."
    template = """\
Buy everything on this shopping list from a single store, on {{ date }}, for at most {{ budget_text }} in \
total.

Shopping list:
{% for n in needs %}
- {{ n.qty }} x {{ n.category }}{{ ", rated at least %s" % n.min_rating if n.min_rating is not none else "" }}\
{{ ", at most %s each" % n.max_unit_price_text if n.max_unit_price is not none else "" }}
{% endfor %}
""" + RULES_BLOCK
    tools = TOOLS
