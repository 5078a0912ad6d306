"""The gate every search question passes, whichever mode made it: the answer is unique, it does
not leak, and one search does not answer it (the agentic mode adds: every answer agent is wrong).

Sits between question synthesis and the tuple: `_programmatic.py` and `_agentic.py` call these
checks and turn a refusal into a `Rejection` with its reason (rejections.jsonl). Reasons are
`gate:detail` strings so the funnel can be counted by gate. Pure functions of the corpus, its
index and the question, so a rejected candidate is rejected again on resume.
"""

from __future__ import annotations

import re
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


def _contains(normalized_text: str, phrase: str) -> bool:
    needle = normalize(phrase)
    return bool(needle) and re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", normalized_text) is not None


def check_leaks(question: str, answer: str, aliases: list[str], *, hidden: list[str] = (), figures: list[str] = ()) -> None:  # type: ignore[assignment]
    """The answer, its aliases, a figure of it (number/date answers) or an entity the question
    must not name (`hidden`) appears in the question: Refusal('leak:...')."""
    normalized = normalize(question)
    for alias in [answer, *aliases]:
        if _contains(normalized, alias):
            raise Refusal("leak:answer_in_question", {"alias": alias})
    for figure in figures:
        digits = re.sub(r"\D", "", figure)
        if figure and (figure in question or (len(digits) >= 3 and digits in re.sub(r"[^\d ]", "", question).replace(" ", " "))):
            raise Refusal("leak:answer_in_question", {"figure": figure})
    for name in hidden:
        if _contains(normalized, name):
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
