"""The gate every search question passes, whichever mode made it: the answer is unique, it does
not leak, and one search does not answer it (the agentic mode adds: every answer agent is wrong).

Sits between question synthesis and the tuple: `_programmatic.py` and `_agentic.py` call these
checks and turn a refusal into a `Rejection` with its reason (rejections.jsonl). Reasons are
`gate:detail` strings so the funnel can be counted by gate. Pure functions of the corpus, its
index and the question, so a rejected candidate is rejected again on resume.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from synth.verifiers.search import name_matches, normalize

from ._corpus import Corpus
from ._index import Index, Mode


@dataclass
class Refusal(Exception):
    """A candidate the gate refuses: `reason` is 'gate' or 'gate:detail'."""

    reason: str
    details: dict[str, Any] = field(default_factory=dict)


def _contains(normalized_text: str, phrase: str, plurals: bool = False) -> bool:
    needle = normalize(phrase)
    if not needle:
        return False
    ending = r"(?:s|es)?" if plurals and needle[-1:].isalpha() else ""
    return re.search(rf"(?<!\w){re.escape(needle)}{ending}(?!\w)", normalized_text) is not None


CONFUSABLES = str.maketrans({
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "һ": "h", "к": "k",
    "ӏ": "l", "ɡ": "g", "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T", "Х": "X",
    "У": "Y", "І": "I", "Ј": "J", "Ѕ": "S", "α": "a", "ο": "o", "ρ": "p", "ν": "v", "ι": "i", "κ": "k", "υ": "u", "Α": "A", "Β": "B",
    "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
    "ı": "i", "ℓ": "l",
})
"""Letters of other scripts that look like Latin ones (a Cyrillic 'а' in 'Kyrgyzstаn')."""


def disguised(text: str) -> str:
    """`text` with its disguises undone, normalized: compatibility forms (NFKC), invisible format
    characters (a zero-width space) removed, look-alike letters of other scripts made Latin, letters
    spaced one by one ('K y r g y z') and words split by hyphens or dots ('Kyr-gyz-stan') joined."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf").translate(CONFUSABLES)
    text = re.sub(r"(?<=\w)[-‐‑‒–—.·•_*/](?=\w)", "", text)
    text = re.sub(r"\b(\w)(?:[ \t]+(\w)\b)+", lambda m: m.group(0).replace(" ", "").replace("\t", ""), text)
    return normalize(text)


def check_leaks(question: str, answer: str, aliases: list[str], *, hidden: list[str] = (), figures: list[str] = ()) -> None:  # type: ignore[assignment]
    """The answer, its aliases, a figure of it (number/date answers) or an entity the question
    must not name (`hidden`) appears in the question, as written or disguised (a plural, a
    look-alike letter, spaced or hyphenated letters, an invisible character): Refusal('leak:...')."""
    normalized = normalize(question)
    undone = disguised(question)
    for alias in [answer, *aliases]:
        if _contains(normalized, alias) or _contains(undone, alias, plurals=True):
            raise Refusal("leak:answer_in_question", {"alias": alias})
    for figure in figures:
        digits = re.sub(r"\D", "", figure)
        if figure and (figure in question or (len(digits) >= 3 and digits in re.sub(r"[^\d ]", "", question).replace(" ", " "))):
            raise Refusal("leak:answer_in_question", {"figure": figure})
    for name in hidden:
        if _contains(normalized, name) or _contains(undone, name):
            raise Refusal("leak:names_intermediate", {"name": name})


def single_search(question: str, corpus: Corpus, index: Index, mode: Mode, answer_doc: str, answer: str, aliases: list[str],
                  plausible: Any = None, k: int = 5) -> str | None:
    """The single-search baseline: search the whole question once and answer with the first hit
    that `plausible(position)` accepts (default: the first hit). Refusal('leak:top_hit') when the
    top hit is the answer document, Refusal('single_search') when the baseline's pick is right;
    else the title it picked (a wrong candidate, for the record)."""
    hits = index.search(question, k, mode)
    if not hits:
        return None
    top = corpus.documents[hits[0].doc]
    if top.id == answer_doc:
        raise Refusal("leak:top_hit", {"query": "the whole question"})
    for hit in hits:
        if plausible is None or plausible(hit.doc):
            doc = corpus.documents[hit.doc]
            if doc.id == answer_doc or name_matches(doc.title, [answer, *aliases]) is not None:
                raise Refusal("single_search", {"rank": hits.index(hit) + 1, "picked": doc.title})
            return doc.title
    return None


INSTRUCTIONS = re.compile(
    r"\b(?:ignore|disregard|forget)\b.{0,30}\b(?:previous|prior|above|earlier|all|any|these|your)\b.{0,20}\b(?:instructions?|rules?|prompts?)\b"
    r"|\bnote\s+to\s+(?:the\s+)?(?:reviewers?|graders?|verifiers?|judges?|models?|assistants?|annotators?|evaluators?|readers?)\b"
    r"|\b(?:reviewers?|graders?|verifiers?|judges?|evaluators?|annotators?)\s*[:,]"
    r"|\b(?:mark|grade|score|judge|rate|accept)\s+(?:this|the|my|any)\s+(?:answer|response|submission)s?\b"
    r"|\byou\s+(?:must|should|are\s+to)\s+(?:answer|say|respond|reply|grade|mark|accept|output)\b"
    r"|\bsystem\s+prompt\b|\bas\s+an\s+ai\b|<\|?(?:im_start|system|assistant)\|?>",
    re.IGNORECASE | re.DOTALL)
"""Text addressed to a reader or grader of the question rather than a clue (prompt injection)."""


def check_instructions(question: str) -> None:
    """Refusal('invalid_proposal:instructions') for a question that tells its reader or grader what to do."""
    found = INSTRUCTIONS.search(disguised(question).replace("  ", " ")) or INSTRUCTIONS.search(question)
    if found is not None:
        raise Refusal("invalid_proposal:instructions", {"text": found.group(0)[:120]})


def unique_aliases(corpus: Corpus, names: dict[str, set[str]], doc_id: str) -> list[str]:
    """Names of `doc_id` (title, title without parenthetical, aliases) that name no other document;
    the title is always kept. `names` maps a normalized name to the ids it names."""
    doc = corpus.by_id[doc_id]
    out = []
    for name in dict.fromkeys([doc.name, *doc.aliases]):
        if name != doc.title and names.get(normalize(name), {doc_id}) <= {doc_id}:
            out.append(name)
    return out


def name_table(corpus: Corpus) -> dict[str, set[str]]:
    """Normalized title, name and alias -> ids of the documents it names."""
    table: dict[str, set[str]] = {}
    for doc in corpus.documents:
        for name in {doc.title, doc.name, *doc.aliases}:
            table.setdefault(normalize(name), set()).add(doc.id)
    return table
