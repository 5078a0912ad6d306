"""shopping's constraint model: every cart one store allows under the rules the checker states, as
a CP-SAT model (issue 18: generate, then solve).

Sits under the category's generator (`_build`, which draws a random shop and keeps it only if one
cart at one store is the cheapest and the only one within the budget) and its gold solver
(`_solve`, which builds the same model from what the tools show and asks for a cart within the
budget). The rules are those of synth.verifiers.general.rules.shopping and the checker's RULES, in
integer cents: any products the store carries (extras allowed), each line 1..MAX_QTY within stock;
every list entry covered in full by products that meet it at this store; one accessory unit per
unit that requires one (a matching: flows from products to accessories); coupons accepted here and
valid on the date, each one's base (pre-discount price of the items it covers) above zero and at
its minimum spend; percent discounts round down, fixed ones never exceed their base; no exclusive
coupon combined, no excluded pairing, at most `max_coupons`; the total is the subtotal minus
discounts (never below zero), plus the delivery fee unless that reaches the free-delivery threshold.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ortools.sat.python import cp_model

from synth.verifiers.general.rules.shopping import meets_need
from synth.verifiers.general.shopping import MAX_QTY

from .._oracle import Oracle


@dataclass
class Shop:
    """One store's side of an instance, in cents: what it carries and the coupons it accepts on the
    task's date (already filtered by store and validity)."""

    store: str
    prices: dict[str, int]
    stock: dict[str, int]
    category_of: dict[str, str]
    rating_of: dict[str, float]
    requires_of: dict[str, list[str]]
    coupons: list[dict[str, Any]]
    terms: dict[str, Any]
    needs: list[dict[str, Any]]
    delivery: bool
    max_coupons: int | None


@dataclass
class Cart:
    """A shop's model: quantity per sku, a boolean per coupon, and the total."""

    oracle: Oracle
    qty: dict[str, Any]
    use: dict[str, Any]
    total: Any

    def answer(self, solver: cp_model.CpSolver, store: str) -> dict[str, Any]:
        """The answer JSON of the solver's cart (items by sku, coupon codes sorted)."""
        return {"store": store,
                "items": [{"product": s, "qty": int(solver.value(v))} for s, v in sorted(self.qty.items())
                          if solver.value(v)],
                "coupons": sorted(c for c, v in self.use.items() if solver.value(v))}

    def exclude(self, answer: dict[str, Any]) -> None:
        """Forbid this model from giving `answer` again (any quantity or coupon differs)."""
        m = self.oracle.model
        have = {i["product"]: i["qty"] for i in answer["items"]}
        differs = []
        for sku, var in self.qty.items():
            b = m.new_bool_var("")
            m.add(var == have.get(sku, 0)).only_enforce_if(b.Not())
            m.add(var != have.get(sku, 0)).only_enforce_if(b)
            differs.append(b)
        differs += [v if code not in answer["coupons"] else v.Not() for code, v in self.use.items()]
        m.add_bool_or(differs)


def cart_model(shop: Shop, max_conflicts: int | None = None) -> Cart:
    """The model of every cart `shop` allows (no budget yet)."""
    oracle = Oracle(linearization=2, max_conflicts=max_conflicts)
    m = oracle.model
    skus = sorted(shop.prices)
    most = {s: min(shop.stock[s], MAX_QTY) for s in skus}
    qty = {s: m.new_int_var(0, most[s], f"q{s}") for s in skus}
    for need in shop.needs:
        meeting = [qty[s] for s in skus
                   if meets_need(need, shop.category_of[s], shop.rating_of[s], shop.prices[s])]
        m.add(sum(meeting) >= need["qty"])
    into: dict[str, list[Any]] = {}
    for s in skus:
        accessories = [a for a in shop.requires_of.get(s, []) if a in qty]
        if s not in shop.requires_of:
            continue
        flows = [m.new_int_var(0, most[s], "") for _ in accessories]
        m.add(sum(flows) == qty[s])
        for a, f in zip(accessories, flows):
            into.setdefault(a, []).append(f)
    for a, flows in into.items():
        m.add(sum(flows) <= qty[a])

    top = sum(shop.prices[s] * most[s] for s in skus) + 1
    subtotal = sum(shop.prices[s] * qty[s] for s in skus)
    use: dict[str, Any] = {}
    discounts = []
    for c in shop.coupons:
        x = use[c["code"]] = m.new_bool_var(c["code"])
        covered = [s for s in skus if c["category"] in (None, shop.category_of[s])]
        base = m.new_int_var(0, top, "")
        m.add(base == sum(shop.prices[s] * qty[s] for s in covered))
        m.add(base >= max(c["min_spend"], 1)).only_enforce_if(x)
        d = m.new_int_var(0, top, "")
        m.add(d == 0).only_enforce_if(x.Not())
        if c["kind"] == "percent":
            m.add(100 * d <= c["value"] * base).only_enforce_if(x)
            m.add(c["value"] * base - 100 * d <= 99).only_enforce_if(x)
        else:
            least = m.new_int_var(0, c["value"], "")
            m.add_min_equality(least, [base, c["value"]])
            m.add(d == least).only_enforce_if(x)
        discounts.append(d)
    codes = set(use)
    for c in shop.coupons:
        x = use[c["code"]]
        if c["exclusive"]:
            m.add(sum(v for k, v in use.items() if k != c["code"]) == 0).only_enforce_if(x)
        for other in c["excludes"]:
            if other in codes and other != c["code"]:
                m.add_bool_or([x.Not(), use[other].Not()])
    if shop.max_coupons is not None:
        m.add(sum(use.values()) <= shop.max_coupons)
    net = m.new_int_var(-top, top, "")
    m.add(net == subtotal - sum(discounts))
    goods = m.new_int_var(0, top, "")
    m.add_max_equality(goods, [net, 0])
    total = goods
    if shop.delivery:
        fee, free = shop.terms["delivery_fee"], shop.terms["free_delivery_over"]
        if free is None:
            total = goods + fee
        else:
            pays = m.new_bool_var("")
            m.add(goods < free).only_enforce_if(pays)
            m.add(goods >= free).only_enforce_if(pays.Not())
            total = goods + fee * pays
    return Cart(oracle, qty, use, total)


def cheapest(shop: Shop, max_conflicts: int | None = None, bound: int | None = None
             ) -> tuple[Cart, int | None, dict[str, Any] | None]:
    """(the model, the least total a cart at `shop` can reach, one such cart's answer); None, None when
    the store cannot fill the list, or (with `bound`) no cart there costs at most `bound` (a store
    that cannot match the best found so far needs no optimum: the bound prunes its search). Raises
    Undecided past `max_conflicts` in one solve."""
    cart = cart_model(shop, max_conflicts)
    if bound is not None:
        cart.oracle.model.add(cart.total <= bound)
    cart.oracle.model.minimize(cart.total)
    solver = cart.oracle.solve()
    if solver is None:
        return cart, None, None
    return cart, int(round(solver.objective_value)), cart.answer(solver, shop.store)


def within(shop: Shop, budget: int) -> dict[str, Any] | None:
    """A cart at `shop` whose total is at most `budget` (its answer), or None."""
    cart = cart_model(shop)
    cart.oracle.model.add(cart.total <= budget)
    solver = cart.oracle.solve()
    return None if solver is None else cart.answer(solver, shop.store)
