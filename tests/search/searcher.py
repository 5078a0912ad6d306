"""A scripted multi-step searcher written from outside the generator: it reads what a question
states (the task's clue list, which says what the prompt says and nothing more), searches for each
clue's own words, keeps the documents whose clues it can check with `find`/`open`, and walks the
links back from the farthest entity to the answer by searching for the names it found.

It walks back from every candidate it found, in the order found, until its budget of searches is spent (a beam of
the first 5 left most of the budget unused: on the same 20 dictionary questions it solved 11 where walking every
candidate solves 20, wiki 8 -> 12). A search for a name with the level's words that finds a document naming it and
fitting the level's clues is not followed by a search for the name alone (a search saved for another branch).

Used by tests/search (the generator's questions must not be this easy: it may solve at most a
third) and by benchmarks/bench_search.py for the issue's solve-rate figures. It only calls the
tools (search, open, find), never the generator's tables.
"""

from __future__ import annotations

import re
from typing import Any

from synth import ToolError
from synth.environments.search._tools import Workspace, find, open_document, search

YEAR = re.compile(r"\b(1[0-9]{3}|20[0-2][0-9])\b")
NUMBER = re.compile(r"(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?")


class Searcher:
    def __init__(self, ws: Workspace, budget: int = 80, beam: int | None = None) -> None:
        """`budget`: search calls at most; `beam`: candidates walked back from at each level (None: every one, in the
        order found, while the budget lasts)."""
        self.ws, self.budget, self.beam, self.calls = ws, budget, beam, 0

    def _search(self, query: str, k: int = 10) -> list[str]:
        if self.calls >= self.budget or not query.strip():
            return []
        self.calls += 1
        try:
            return [r["id"] for r in search(self.ws, query, k)["results"]]
        except ToolError:
            return []

    def _find(self, doc: str, pattern: str) -> list[dict[str, Any]]:
        try:
            return find(self.ws, doc, pattern)["matches"]
        except ToolError:
            return []

    def _text(self, doc: str) -> str:
        first = open_document(self.ws, doc)
        pages = [first["text"]] + [open_document(self.ws, doc, p)["text"] for p in range(2, min(first["pages"], 4) + 1)]
        return " ".join(pages)

    @staticmethod
    def words(clue: dict[str, Any]) -> str:
        """What a reader of the clue would search for."""
        kind = clue["kind"]
        if kind in ("category", "topic", "genus", "listed", "qualifier"):
            return str(clue.get("value", ""))
        if kind == "event":
            return str(clue.get("verb", ""))
        if kind in ("number_range", "date_range"):
            return str(clue.get("label", ""))
        return ""

    def check(self, doc: str, clue: dict[str, Any]) -> bool:
        """Whether document `doc` satisfies the clue, as far as the tools show (unknown kinds pass)."""
        kind = clue["kind"]
        title = self.ws.corpus.by_id[doc].title
        if kind in ("category", "topic", "genus", "qualifier"):
            return bool(self._find(doc, str(clue["value"])))
        if kind == "listed":
            return any(str(clue["value"]).casefold() in m["passage"].casefold() for m in self._find(doc, f"{clue['label']}:"))
        if kind == "name_prefix":
            return re.sub(r"[^a-z0-9]", "", title.casefold()).startswith(str(clue["value"]).casefold())
        if kind == "name_words":
            return len(re.sub(r"\s*\([^)]*\)\s*$", "", title).split()) == clue["value"]
        if kind == "year_range":
            return any(clue["lo"] <= int(y) <= clue["hi"] for y in YEAR.findall(self._text(doc)))
        if kind == "event":
            text = self._text(doc)
            return any(clue["lo"] <= int(m.group(1)) <= clue["hi"]
                       for m in re.finditer(rf"\b{re.escape(str(clue['verb']))}\b[^.]{{0,60}}?\b(1[0-9]{{3}}|20[0-2][0-9])\b", text, re.I))
        if kind in ("number_range", "date_range"):
            for match in self._find(doc, f"{clue['label']}:"):
                passage = match["passage"]
                at = passage.casefold().find(f"{clue['label']}:".casefold())
                line = passage[at + len(clue["label"]) + 1 :].split("\n")[0]
                if kind == "date_range":
                    years = [int(y) for y in YEAR.findall(line)]
                    return bool(years) and clue["lo"] <= years[0] <= clue["hi"]
                number = NUMBER.search(line)
                if number:
                    value = float(number.group(1).replace(",", "") + ("." + number.group(2) if number.group(2) else ""))
                    return clue["lo"] <= value <= clue["hi"]
            return False
        return True

    def best(self, docs: list[str], clues: list[dict[str, Any]]) -> list[str]:
        """The documents that pass the most clue checks (a clue the tools cannot confirm costs a point,
        not the candidate), in the order they were found."""
        scores = {d: sum(self.check(d, c) for c in clues) for d in docs}
        top = max(scores.values(), default=0)
        return [d for d in docs if scores[d] == top]

    def solve(self, clues: list[dict[str, Any]]) -> str | None:
        """The title the searcher submits, or None when it found nothing.

        From the farthest entity described, it walks back one level at a time: the documents that name a
        candidate of the level before (searched by that name, confirmed with `find`) and pass the most clue
        checks of their own level. An entity with no clue of its own is any document that names a candidate.
        At the answer it also tries the shortcut a person tries first, searching the answer's own clues: a
        document found so competes with those the walk reached, and wins ties only if it names a candidate."""
        depth = max((int(c["subject"][1:]) for c in clues if c["subject"] != "answer"), default=0)
        levels = ["answer", *[f"X{i}" for i in range(1, depth + 1)]]
        own = {s: [c for c in clues if c["subject"] == s] for s in levels}
        far = next((s for s in reversed(levels) if own[s]), "answer")
        queries = [self.words(c) for c in own[far]]
        queries.append(" ".join(q for q in queries if q))
        found = list(dict.fromkeys(d for q in dict.fromkeys(queries) for d in self._search(q)))  # a query once
        candidates = self.best(found, own[far])
        for level in reversed(levels[: levels.index(far)]):
            nxt: list[str] = []
            names = {known: re.sub(r"\s*\([^)]*\)\s*$", "", self.ws.corpus.by_id[known].title) for known in candidates[: self.beam or len(candidates)]}
            words = " ".join(self.words(c) for c in own[level])
            for known, name in names.items():
                for query in dict.fromkeys([f"{name} {words}".strip(), name]):
                    fits = [hit for hit in self._search(query) if hit != known and self._find(hit, name)]
                    nxt += [hit for hit in fits if hit not in nxt]
                    if fits and all(self.check(hit, c) for hit in fits[:1] for c in own[level]):
                        break  # the name and the level's words found a document that names it and fits: no second search
            if level == "answer" and own[level]:  # the shortcut: the answer's own clues searched directly
                direct = [w for w in (self.words(c) for c in own[level]) if w]
                for query in dict.fromkeys([" ".join(direct), *direct]):
                    nxt += [hit for hit in self._search(query) if hit not in nxt]
                linked = {d for d in nxt if any(d != k and self._find(d, n) for k, n in names.items())}
                scores = {d: 2 * sum(self.check(d, c) for c in own[level]) + (d in linked) for d in nxt}
                top = max(scores.values(), default=0)
                candidates = [d for d in nxt if scores[d] == top]
            else:
                candidates = self.best(nxt, own[level])
        return self.ws.corpus.by_id[candidates[0]].title if candidates else None


def solve_rate(run: Any) -> tuple[int, int]:
    """(solved, tasks) of the searcher over the entity-answer search tasks of a run."""
    from synth.environments.search import corpus_of
    from synth.environments.search._generate import prepared_index
    from synth.verifiers.search import name_matches

    solved = total = 0
    for record in run.tuples():
        if record.task.metadata.get("answer_type") != "entity":
            continue
        corpus = corpus_of(record, run)
        ws = Workspace(corpus, prepared_index(corpus, "bm25"))
        got = Searcher(ws).solve(record.task.metadata["clues"])
        args = record.verifier.args
        total += 1
        solved += got is not None and name_matches(got, [args["answer"], *args.get("aliases", [])]) is not None
    return solved, total


if __name__ == "__main__":
    import sys

    from synth import Run

    for path in sys.argv[1:]:
        s, t = solve_rate(Run.open(path))
        print(f"{path}: searcher solved {s}/{t} entity questions ({s / max(t, 1):.0%})")
