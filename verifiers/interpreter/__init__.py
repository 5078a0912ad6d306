"""The interpreter verifier: `interpreter.answer`, a typed comparison of a submitted answer.

Sits between the interpreter family and the core (families -> verifiers -> core) and imports only
the core: a reviewer reads how a notebook task is graded here alone. `Answer` (`_answers.py`) is
the expected answer with its type (number, integer, string_set, list, table) and tolerance, stored
in each tuple; the family builds answers and asks them for the answer schema and the prompt's
wording, so the generator and the grader cannot disagree on what a type means. Importing this
package registers the verifier (its `synth.plugins` entry point).
"""

from ._answers import ANSWER_TYPES, MAX_ITEMS, Answer, AnswerType, read_submission
from ._verifier import interpreter_answer, stored_answer

__all__ = ["ANSWER_TYPES", "Answer", "AnswerType", "MAX_ITEMS", "interpreter_answer", "read_submission", "stored_answer"]
