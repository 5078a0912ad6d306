"""shopping's tools: read-only views of the sandbox database, the only way a model (or the gold
solver) learns about stores, products, stock and coupons.

Sits under the shopping category (`__init__`). Money is shown in decimal currency units (`money`
of the shared rules); a bad argument or an unknown store or product is a structured ToolError.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from synth import Tool, ToolError, tool_from_function
from synth.verifiers.general import rows
from synth.verifiers.general.rules.shopping import excluded_codes, money

from .._base import SUBMIT


def _store(db: sqlite3.Connection, store: str) -> dict[str, Any]:
    found = rows(db, "SELECT * FROM stores WHERE store = ?", store)
    if not found:
        raise ToolError(f"no store named {store!r}; list_stores shows every store", "not_found")
    return found[0]


def list_stores(db: sqlite3.Connection) -> list[dict[str, Any]]:
    """List the stores with their delivery fee and the discounted subtotal above which delivery is free."""
    return [{"store": s["store"], "city": s["city"], "delivery_fee": money(s["delivery_fee"]),
             "free_delivery_over": None if s["free_delivery_over"] is None else money(s["free_delivery_over"])}
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
    return [dict(r, price=money(r["price"])) for r in rows(db, sql + " ORDER BY i.sku", *args)]


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
            "value": c["value"] if c["kind"] == "percent" else money(c["value"]),
            "category": c["category"] or "any", "min_spend": money(c["min_spend"]),
            "valid_from": c["valid_from"], "valid_until": c["valid_until"],
            "exclusive": bool(c["exclusive"]),
            "not_combinable_with": excluded_codes(c["excludes"]),
        })
    return out


TOOLS: list[Tool] = [
    tool_from_function(list_stores),
    tool_from_function(list_categories),
    tool_from_function(search_products),
    tool_from_function(get_product),
    tool_from_function(get_store_inventory),
    tool_from_function(list_coupons),
    SUBMIT,
]
"""The category's tools, SUBMIT last."""
