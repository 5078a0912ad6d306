"""General constraint environments: procedural categories over sandbox SQLite databases."""

from ._base import SUBMIT, Built, GeneralCategory, GeneralFamily, check, item_rng, load_db, new_db, rows, shape_problem, stored_db

from . import _trip  # noqa: F401,E402  (registers trip_planning)
from . import _meetings  # noqa: F401,E402  (registers meeting_scheduling)
from . import _shopping  # noqa: F401,E402  (registers shopping)
from . import _timetable  # noqa: F401,E402  (registers course_timetabling)

__all__ = ["SUBMIT", "Built", "GeneralCategory", "GeneralFamily", "check", "item_rng", "load_db", "new_db", "rows", "shape_problem", "stored_db"]
