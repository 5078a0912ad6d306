"""The search family: questions over a local corpus behind search tools (report section 3.2.3,
search agent), made programmatically or by questioner, answerer and verifier agents.

Sits on the core contract and the `search.answer` verifier (cli -> stages -> families ->
verifiers -> core). Generate: `settings` is `SearchSettings`; `generator()` is the programmatic
`SearchGenerator` or, with a model configured, the agentic one. Episodes: `open()` binds the tools
(search, open, find, submit) to the corpus stored with the run and its index (from the cache,
rebuilt offline from the run when missing). Verify: the gold solution replays the recorded gold
path through the tools and submits what the last result shows; null controls are a different
entity, an alias of a different entity, a hedge between two answers, a wrong figure or date, and
an over-long answer, each failing on the check it names. Free-form answers (agentic mode with a
pinned judge) are judged when a submission is executed, so grading stays a pure function of
stored artifacts.
"""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any, ClassVar

from synth import (
    ConfigError,
    Control,
    Family,
    FamilySettings,
    Run,
    RuntimeEnvironment,
    ToolClient,
    ToolRuntime,
    TupleRecord,
    Verdict,
    grade,
    register_family,
)
from synth.verifiers.search import MAX_ANSWER_CHARS, normalize

from ._corpus import Corpus
from ._generate import SearchGenerator, load_source, text_only
from ._gold import GoldPath, replay
from ._index import open_index
from ._settings import SearchSettings
from ._tools import TOOLS, Workspace

_CORPORA: dict[str, Corpus] = {}


def corpus_of(record: TupleRecord, run: Run) -> Corpus:
    """The corpus a tuple was built on, from the run's own asset (checked against its digest)."""
    ref = record.environment.state["corpus"]
    found = _CORPORA.get(ref.sha256)
    if found is None:
        found = Corpus.from_data(run.read_asset(ref))
        if len(_CORPORA) >= 4:
            _CORPORA.pop(next(iter(_CORPORA)))
        _CORPORA[ref.sha256] = found
    return found


def gold_of(record: TupleRecord, run: Run) -> GoldPath:
    return GoldPath.model_validate_json(run.read_asset(record.environment.state["gold"]))


def workspace(record: TupleRecord, run: Run) -> Workspace:
    corpus = corpus_of(record, run)
    meta = record.environment.metadata
    index = open_index(corpus)
    if meta.get("retriever", "bm25") != "bm25" and index.dense is None:
        from ._generate import prepared_index

        index = prepared_index(corpus, meta["retriever"])
    return Workspace(corpus, index, meta.get("retriever", "bm25"), int(meta.get("snippet_words", 512)), int(meta.get("page_words", 512)))


class SearchEnvironment(RuntimeEnvironment):
    """One episode over a corpus; executing a free-form submission asks the pinned judge."""

    def __init__(self, record: TupleRecord, run: Run) -> None:
        self.record = record
        super().__init__(ToolRuntime.of(TOOLS, workspace(record, run)))

    def finalize(self) -> dict[str, Any]:
        judge = self.record.verifier.args.get("judge")
        if not self.submitted or not judge or self.record.verifier.args.get("type") != "text":
            return {}
        from ._judge import judge_submission

        return {"judge": judge_submission(self.record, self.submission)}


@register_family
class SearchFamily(Family):
    name = "search"
    description = "Search QA over a local corpus (search/open/find tools): obfuscated multi-hop questions, unique answers, gold tool paths."
    settings: ClassVar[type[FamilySettings]] = SearchSettings
    examples = (
        "synth generate search --corpus wiki --n 20 --seed 1 --out runs/search   (4 hops; --hops 2: easier questions, faster)",
        "synth generate search --corpus factbook --answer-type number --n 10 --out runs/figures",
        "synth generate search --corpus docs.jsonl --n 10 --out runs/mine   (or a folder of .md/.html/.txt files)",
        "synth generate search --corpus wiki --base-url http://127.0.0.1:8000/v1 --model M --n 5 --out runs/agentic",
    )
    blocking = True
    """Tool calls are in-process and fast, but opening a corpus and judging free-form answers block:
    rollouts run this family's environments in worker threads."""

    def stage_config(self, settings: FamilySettings) -> dict[str, Any]:
        assert isinstance(settings, SearchSettings)
        corpus = load_source(settings.corpus)
        agents = None
        if settings.agentic:
            from ._agentic import agent_configs

            agents = {role: [a.identity() for a in configs] for role, configs in agent_configs(settings).items()}
        return settings.stage_config(corpus.hash, corpus.name, agents, text_only(corpus))

    def check_settings(self, settings: FamilySettings) -> None:
        """An unknown corpus, an unreadable or link-less one, or a bad agents file fails here."""
        assert isinstance(settings, SearchSettings)
        corpus = load_source(settings.corpus)
        if settings.answer_type in ("number", "date") and not settings.agentic:
            if not any(f.kind == settings.answer_type for d in corpus.documents for f in d.facts.values()):
                raise ConfigError(f"--answer-type {settings.answer_type}: corpus {corpus.name} has no {settings.answer_type} facts"
                                  " (the factbook has; give entity or any)")
        if settings.agentic:
            from ._agentic import agent_configs

            agent_configs(settings)

    def generator(self, run: Run, settings: FamilySettings) -> Any:
        assert isinstance(settings, SearchSettings)
        if settings.agentic:
            from ._agentic import AgenticGenerator

            return AgenticGenerator(run, settings)
        return SearchGenerator(run, settings)

    def open(self, record: TupleRecord, run: Run) -> SearchEnvironment:
        return SearchEnvironment(record, run)

    def solve_gold(self, record: TupleRecord, run: Run, client: ToolClient) -> None:
        answer = replay(gold_of(record, run), client.call)
        client.submit(answer=answer)

    def grades_text_answer(self, record: TupleRecord) -> bool:
        # a free-form answer is graded by the judge's verdict, asked only when the submit tool runs
        return record.verifier.args.get("type") != "text"

    def controls(self, record: TupleRecord, run: Run, gold_submission: Any) -> list[Control]:
        args = record.verifier.args
        gold = str(gold_submission)
        corpus = corpus_of(record, run)
        path = gold_of(record, run)
        other = next((corpus.by_id[e] for e in path.evidence[1:] if e in corpus.by_id and e != path.answer_doc), None)
        if other is None:
            other = next(d for d in corpus.documents if d.id != path.answer_doc)
        kind = args.get("type", "entity")
        compared = "judge" if kind == "text" else "answer"
        controls = [Control("hedged", f"{gold} or {other.title}", compared),
                    Control("overlong", (gold + " ") * (MAX_ANSWER_CHARS // max(1, len(gold)) + 2), "answer_format")]
        if kind == "entity":
            accepted = {normalize(a) for a in [args["answer"], *args.get("aliases", [])]}
            controls.append(Control("other_entity", other.title, "answer"))
            alias = _foreign_alias(corpus, path.answer_doc, accepted, other)
            if alias is not None:
                controls.append(Control("alias_of_other_entity", alias, "answer"))
        elif kind == "number":
            value = float(args["value"])
            wrong = value * (1 + 3 * float(args.get("tolerance", 0.01)) + 0.02) + 1
            controls.append(Control("wrong_figure", f"{wrong:,.0f}", "answer"))
        elif kind == "text":
            controls.append(Control("other_entity", other.title, "judge"))
        elif kind == "date":
            year = int(str(args["value"])[:4])
            controls.append(Control("other_year", re.sub(str(year), str(year + 1), gold), "answer"))
            if len(str(args["value"])) > 4:
                controls.append(Control("year_only", str(year), "answer"))
        return controls

    def evaluate(self, record: TupleRecord, run: Run, submission: Any) -> Verdict:
        """Controls of free-form answers are judged like any execution; the rest are graded directly."""
        judge = record.verifier.args.get("judge")
        if judge and record.verifier.args.get("type") == "text" and isinstance(submission, str) and submission.strip():
            from ._judge import judge_submission

            artifacts = {"judge": judge_submission(record, submission)}
            return grade(record, submission, run, SimpleNamespace(extra={"artifacts": artifacts}))
        return grade(record, submission, run)


def _foreign_alias(corpus: Corpus, answer_doc: str, accepted: set[str], fallback: Any) -> str | None:
    """A name of another document that is not an accepted alias: one sharing the answer's first word
    when there is one (e.g. 'Mercury' for 'Mercury (planet)'), else the fallback's name."""
    answer = corpus.by_id[answer_doc]
    first = normalize(answer.name).split()[:1]
    for doc in corpus.documents:
        if doc.id == answer_doc or not first:
            continue
        for name in (doc.name, *doc.aliases):
            if normalize(name).split()[:1] == first and normalize(name) not in accepted:
                return name
    for name in (fallback.name, *fallback.aliases):
        if normalize(name) not in accepted:
            return name
    return None


__all__ = ["SearchEnvironment", "SearchFamily", "corpus_of", "gold_of", "workspace"]
