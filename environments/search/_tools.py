"""The agent's tools over a corpus: search, open, find, submit.

Sits between the index and every agent (gold solution, rollouts, the agentic pipeline's
questioner, answerers and verifier), all of which reach a corpus only through these functions on
the core's one tool-call path (`ToolRuntime`). Outputs are bounded as in the BrowseComp-Plus
protocol by default: `search` returns the top 5 documents, each cut to a 512-word snippet (the
window of the document with the most query words); `open` pages a document in 512-word pages;
`find` returns at most 10 passages. Bad arguments (unknown id, page out of range, top_k out of
range, an empty pattern or query) are `ToolError`s, which the runtime turns into structured errors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from synth import Tool, ToolError, tool_from_function

from ._corpus import Corpus, Document
from ._index import Index, Mode

MAX_TOP_K = 10
MAX_MATCHES = 10
CONTEXT_CHARS = 160
_WORDS = re.compile(r"\w+")
_PUNCT = "\"'()[]{}<>.,;:!?*_`~"


@dataclass
class Workspace:
    """What the tools are bound to in one episode."""

    corpus: Corpus
    index: Index
    mode: Mode = "bm25"
    snippet_words: int = 512
    page_words: int = 512

    def doc(self, doc_id: str) -> Document:
        doc = self.corpus.by_id.get(doc_id) if isinstance(doc_id, str) else None
        if doc is None:
            raise ToolError(f"no document with id {doc_id!r}; use an id from search results", "not_found")
        return doc


def snippet(text: str, query: str, words: int) -> str:
    """The `words`-word window of `text` holding the most query words (the start on ties)."""
    tokens = text.split()
    if len(tokens) <= words:
        return text
    wanted = {w for w in _WORDS.findall(query.casefold()) if len(w) > 2}
    hits = [1 if t.casefold().strip(_PUNCT) in wanted else 0 for t in tokens]
    step = max(1, words // 4)
    best, best_start, window = -1, 0, sum(hits[:words])
    for start in range(0, len(tokens) - words + step, step):
        start = min(start, len(tokens) - words)
        window = sum(hits[start : start + words])
        if window > best:
            best, best_start = window, start
    cut = tokens[best_start : best_start + words]
    return ("... " if best_start else "") + " ".join(cut) + (" ..." if best_start + words < len(tokens) else "")


def search(ws: Workspace, query: str, top_k: int = 5) -> dict[str, Any]:
    """Search the corpus. Returns the best-matching documents with their ids, titles and a snippet.

    Args:
        query: Words to search for.
        top_k: How many documents to return (1-10, default 5).
    """
    if not 1 <= top_k <= MAX_TOP_K:
        raise ToolError(f"top_k must be between 1 and {MAX_TOP_K}", "invalid_arguments")
    if not query.strip():
        raise ToolError("the query is empty", "invalid_arguments")
    hits = ws.index.search(query, top_k, ws.mode)
    results = []
    for rank, hit in enumerate(hits, start=1):
        doc = ws.corpus.documents[hit.doc]
        results.append({"rank": rank, "id": doc.id, "title": doc.title, "snippet": snippet(doc.text, query, ws.snippet_words)})
    return {"query": query, "results": results}


def pages_of(text: str, words: int) -> list[str]:
    tokens = text.split()
    return [" ".join(tokens[i : i + words]) for i in range(0, len(tokens), words)] or [""]


def open_document(ws: Workspace, id: str, page: int = 1) -> dict[str, Any]:  # noqa: A002  (the tool's argument name)
    """Open a document by id and read one page of its text.

    Args:
        id: A document id from search results.
        page: Page number, from 1.
    """
    doc = ws.doc(id)
    pages = pages_of(doc.text, ws.page_words)
    if not 1 <= page <= len(pages):
        raise ToolError(f"page must be between 1 and {len(pages)}", "invalid_arguments")
    return {"id": doc.id, "title": doc.title, "url": doc.url, "page": page, "pages": len(pages), "text": pages[page - 1]}


def find(ws: Workspace, id: str, pattern: str) -> dict[str, Any]:  # noqa: A002
    """Find the passages of a document that contain a phrase (case-insensitive, literal text).

    Args:
        id: A document id from search results.
        pattern: The phrase to look for (1-200 characters).
    """
    doc = ws.doc(id)
    if not 1 <= len(pattern.strip()) <= 200:
        raise ToolError("pattern must be 1-200 characters of text", "invalid_arguments")
    folded, needle = doc.text.casefold(), pattern.strip().casefold()
    spans = [m.start() for m in re.finditer(re.escape(needle), folded)]
    matches = []
    for start in spans[:MAX_MATCHES]:
        lo, hi = max(0, start - CONTEXT_CHARS), min(len(doc.text), start + len(needle) + CONTEXT_CHARS)
        matches.append({"offset": start, "passage": ("..." if lo else "") + doc.text[lo:hi] + ("..." if hi < len(doc.text) else "")})
    return {"id": doc.id, "title": doc.title, "pattern": pattern, "total": len(spans), "matches": matches}


def submit(ws: Workspace, answer: str) -> str:
    """Submit your final answer. This ends the task.

    Args:
        answer: The answer alone: a name, a number or a date, as the question asks.
    """
    return answer


SEARCH = tool_from_function(search)
OPEN = tool_from_function(open_document, name="open")
FIND = tool_from_function(find)
SUBMIT = tool_from_function(submit, submit=True)
TOOLS: list[Tool] = [SEARCH, OPEN, FIND, SUBMIT]
"""The tools of a search task, in the order a model sees them."""
