"""General constraint environments: procedural categories over sandbox SQLite databases.

Importing this package (the `general` entry point of `synth.plugins`) registers the family and
its categories, one package each.
"""

from ._base import SUBMIT, Built, GeneralCategory, ItemRandom, answer_text, item_rng, new_db, one_per_check
from ._family import GeneralFamily

from . import trip_planning  # noqa: F401,E402  (registers trip_planning)
from . import meeting_scheduling  # noqa: F401,E402  (registers meeting_scheduling)
from . import shopping  # noqa: F401,E402  (registers shopping)
from . import course_timetabling  # noqa: F401,E402  (registers course_timetabling)

__all__ = ["SUBMIT", "Built", "GeneralCategory", "GeneralFamily", "ItemRandom", "answer_text", "item_rng", "new_db",
           "one_per_check"]
