"""The search-QA verifier: `search.answer` (normalized exact match with aliases, numeric and date
tolerance, and an optional rubric-based model judge whose stored verdict is read, never re-asked).

Sits between the search family and the core (families -> verifiers -> core) and imports only the
core: a reviewer reads the reward of a search task here alone. `_match.py` holds the matching
rules, which the search family also uses to keep answers out of questions; `_judge.py` the stored
judge verdict; `_agents.py` the format checks of the agentic pipeline's questioner and verifier. Importing this package registers the verifier and the record type (its
`synth.plugins` entry point).
"""

from ._agents import search_judgment, search_proposal
from ._judge import JudgeVerdict, submission_digest
from ._match import date_matches, name_matches, normalize, number_matches, parse_date, parse_number, strip_quotes
from ._verifier import MAX_ANSWER_CHARS, search_answer

__all__ = [
    "JudgeVerdict", "MAX_ANSWER_CHARS", "date_matches", "name_matches", "normalize", "number_matches", "parse_date",
    "parse_number", "search_answer", "search_judgment", "search_proposal", "strip_quotes", "submission_digest",
]
