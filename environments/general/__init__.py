"""General constraint environments: procedural categories over sandbox SQLite databases."""

from ._base import SUBMIT, Built, GeneralCategory, GeneralFamily, check, item_rng, load_db, new_db, rows, shape_problem

__all__ = ["SUBMIT", "Built", "GeneralCategory", "GeneralFamily", "check", "item_rng", "load_db", "new_db", "rows", "shape_problem"]
