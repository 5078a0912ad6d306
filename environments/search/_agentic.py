"""Agentic question synthesis (when a model is configured): the report's pipeline on the rollout
runtime. A question-construction agent explores a long-tail entity with the tools and proposes a
question; N answer agents with heterogeneous configurations (model, system prompt, temperature,
with or without tools) try it; a verification agent with search checks the ground truth and every
wrong candidate over several passes. A question is kept only when the gate passes: the answer is
stated by an evidence document and confirmed by every verification pass, it does not leak, one
search does not answer it, every answer agent is wrong, and no wrong candidate is judged to satisfy
the question. Questions that answerers solved are grown (blurred, an entity replaced by a
description) for up to `rounds` rounds.

Sits beside `_programmatic.py` under `_generate.py`. Every agent is an episode of
`synth.run_episode` (context management, malformed replies and tool errors handled as in any
rollout) over an ephemeral tuple whose tools are the corpus tools plus the role's submit tool;
every conversation is stored with the task (the `audit` asset) or with its rejection.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from synth import (
    ConfigError,
    EnvironmentSpec,
    Family,
    Item,
    Rejection,
    Run,
    RuntimeEnvironment,
    TaskSpec,
    ToolError,
    ToolRuntime,
    Trajectory,
    TupleRecord,
    VerifierSpec,
    tool_from_function,
)
from synth.verifiers.search import date_matches, name_matches, normalize, number_matches, parse_date, parse_number

from ._clues import features
from ._gate import Refusal, check_instructions, check_leaks, name_table, single_search, unique_aliases
from ._generate import CorpusGenerator, candidate_error, environment_metadata
from ._gold import GoldPath, GoldPathBroken, Step, replay
from ._programmatic import SYSTEM_PROMPT, Draft, long_tail
from ._settings import SearchSettings
from ._tools import FIND, OPEN, SEARCH, SUBMIT, Workspace, find, open_document, search


MAX_QUESTION_CHARS = 2000
"""The longest question the agentic gate keeps."""
SINGLE_SEARCH_K = 5
"""The single-search gate refuses a question whose whole text, searched once, ranks the answer's document this high."""


def calls(trajectory: Trajectory) -> list[tuple[str, dict[str, Any], Any]]:
    """(tool, arguments, decoded result) of every tool call of an episode, in order."""
    results = {m.tool_call_id: m.content for m in trajectory.messages if m.role == "tool"}
    out = []
    for message in trajectory.messages:
        for tool_call in message.tool_calls or []:
            try:
                args = json.loads(tool_call.function.arguments or "{}")
                result = json.loads(results.get(tool_call.id) or "null")
            except ValueError:
                continue
            if isinstance(args, dict):
                out.append((tool_call.function.name, args, result))
    return out


_NUMBER_TOKEN = re.compile(r"(?<![\w.,])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?![\w]|[.,]\d)")
_DATE_TOKEN = re.compile(r"\b(\d{1,2})\s+([A-Z][a-z]+)\s+(\d{4})\b|\b([A-Z][a-z]+)\s+(\d{1,2}),?\s+(\d{4})\b|(?<![\w.,])(\d{4})(?![\w]|[.,]\d)")


def states(text: str, answer: str, kind: str) -> bool:
    """Whether `text` states `answer`: a number as a parsed value at token boundaries ('314' is not in
    '1,314'), a date at the precision it is given (a year, or the day), anything else as a whole phrase."""
    if kind == "number":
        value = parse_number(answer)
        return value is not None and any(float(m.group(1).replace(",", "") + (m.group(2) or "")) == value for m in _NUMBER_TOKEN.finditer(text))
    if kind == "date":
        parsed = parse_date(answer)
        if parsed is None:
            return False
        for m in _DATE_TOKEN.finditer(text):
            found = parse_date(m.group(0))
            if found is None:
                continue
            if parsed[0] == "year" and (found[1] if found[0] == "year" else found[1].year) == parsed[1]:  # type: ignore[union-attr]
                return True
            if parsed[0] == "day" and found == parsed:
                return True
        return False
    needle = normalize(answer)
    return bool(needle) and re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", normalize(text)) is not None


def given_names(corpus: Any, doc_id: str) -> set[str]:
    """Normalized names the corpus gives a document: its title, its name without a parenthetical, its stated
    aliases, and a name its own text introduces ('officially the Kyrgyz Republic', 'also known as ...')."""
    doc = corpus.by_id[doc_id]
    names = {normalize(n) for n in (doc.title, doc.name, *doc.aliases)}
    for m in re.finditer(r"(?:also known as|officially(?: the)?|formerly(?: known as)?|also called)\s+(?:the\s+)?[\"“]?"
                         r"([A-Z][\w'’\- ]{1,60}?)[\"”]?(?=[,.;()]|\s+(?:and|or|is|was)\b|$)", doc.text):
        names.add(normalize(m.group(1)))
    names.discard("")
    return names


class AgentConfig(BaseModel):
    """One agent of the pipeline."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    base_url: str
    model: str
    api_key_env: str | None = None
    system_prompt: str = ""
    temperature: float = Field(1.0, ge=0.0, le=2.0)
    tools: bool = True
    """With the search tools; without, the agent can only submit (answers from memory)."""

    def identity(self) -> dict[str, Any]:
        """What shapes the agent's behaviour (recorded in the stage config; not URLs or keys)."""
        return self.model_dump(exclude={"base_url", "api_key_env"})


QUESTIONER = (
    "You write hard search questions with one verifiable answer. Explore the seed entity with the "
    "tools, follow links {depth} hops away (up to {breadth} links per document), and propose a question "
    "whose clues describe the entities on the way without naming them (vague dates, partial names, "
    "ranges for numbers, categories instead of names). The answer must be stated in one of the "
    "evidence documents; never put the answer or its aliases in the question."
)
ANSWERER_VARIANTS = (
    ("researcher", "You are a careful researcher. Search, read, check every clue, then submit the answer alone.", 1.0, True),
    ("quick", "Answer quickly: at most three searches, then submit your best answer alone.", 0.6, True),
    ("closed-book", "Answer from what you know, without searching. Submit the answer alone.", 1.0, False),
)
VERIFIER = "You check answers to search questions against the documents. Use the tools, then give your verdict."


def agent_configs(settings: SearchSettings) -> dict[str, list[AgentConfig]]:
    """The questioner, answerers and verifier: from --agents TOML ([questioner], [[answerer]],
    [verifier]; base_url and model default to --base-url and --model), else the built-in mix."""
    base: dict[str, Any] = {"base_url": settings.base_url, "model": settings.model, "api_key_env": settings.api_key_env}
    table: dict[str, Any] = {}
    if settings.agents is not None:
        try:
            table = tomllib.loads(Path(settings.agents).read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"cannot read agents file {settings.agents}: {exc.strerror}") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"agents file {settings.agents} is not valid TOML: {exc}") from None
        unknown = set(table) - {"questioner", "answerer", "verifier"}
        if unknown:
            raise ConfigError(f"agents file {settings.agents}: unknown table {sorted(unknown)[0]!r} (questioner, answerer, verifier)")

    def make(role: str, name: str, values: dict[str, Any], defaults: dict[str, Any]) -> AgentConfig:
        merged = {**{k: v for k, v in base.items() if v is not None}, "name": name, **defaults, **values}
        missing = [k for k in ("base_url", "model") if not merged.get(k)]
        if missing:
            raise ConfigError(f"the {role} agent needs {' and '.join(missing)} (--base-url/--model or the agents file)")
        try:
            return AgentConfig.model_validate(merged)
        except ValidationError as exc:
            first = exc.errors()[0]
            raise ConfigError(f"{role} agent {name}: {'.'.join(map(str, first['loc']))}: {first['msg']}") from None

    answerers = table.get("answerer")
    if answerers is None:
        answerers = []
        for i in range(settings.answerers):
            label, prompt, temperature, tools = ANSWERER_VARIANTS[i % len(ANSWERER_VARIANTS)]
            answerers.append({"name": f"{label}-{i}", "system_prompt": prompt, "temperature": temperature, "tools": tools})
    if not isinstance(answerers, list) or not answerers:
        raise ConfigError("agents file: [[answerer]] must list at least one answer agent")
    return {
        "questioner": [make("questioner", "questioner", table.get("questioner", {}),
                            {"system_prompt": QUESTIONER.format(depth=settings.depth, breadth=settings.breadth), "temperature": 1.0})],
        "answerer": [make("answerer", a.get("name", f"answerer-{i}"), a, {"system_prompt": ANSWERER_VARIANTS[0][1]})
                     for i, a in enumerate(answerers)],
        "verifier": [make("verifier", "verifier", table.get("verifier", {}), {"system_prompt": VERIFIER, "temperature": 0.3})],
    }


# -- the agents' submit tools --------------------------------------------------------------------
def propose(ws: Workspace, question: str, answer: str, evidence: list[str], answer_type: str = "entity",
            aliases: list[str] = (), rubric: str = "") -> dict[str, Any]:  # type: ignore[assignment]
    """Propose the question and its answer. This ends your turn.

    Args:
        question: The question, with clues that describe entities without naming them.
        answer: The answer alone (a name, a number or a date).
        evidence: Ids of the documents that support the answer (the one stating it first).
        answer_type: entity, number, date or text.
        aliases: Other names of the answer.
        rubric: For a text answer: what a correct answer must contain.
    """
    if answer_type not in ("entity", "number", "date", "text"):
        raise ToolError("answer_type must be entity, number, date or text", "invalid_arguments")
    unknown = [e for e in evidence if e not in ws.corpus.by_id]
    if unknown or not evidence:
        raise ToolError(f"evidence must list document ids from search results (unknown: {unknown[:3]})", "invalid_arguments")
    return {"question": question, "answer": answer, "answer_type": answer_type, "aliases": list(aliases), "evidence": list(evidence),
            "rubric": rubric}


def judge(ws: Workspace, verdict: str, reason: str = "", evidence: list[str] = (), quote: str = "") -> dict[str, Any]:  # type: ignore[assignment]
    """Give your verdict. This ends your turn.

    Args:
        verdict: yes or no.
        reason: Why, in one or two sentences.
        evidence: Ids of the documents you checked.
        quote: Words copied from a document you opened that show your verdict (a yes needs one).
    """
    if verdict not in ("yes", "no"):
        raise ToolError("verdict must be yes or no", "invalid_arguments")
    return {"verdict": verdict, "reason": reason[:500], "evidence": list(evidence), "quote": str(quote)[:300]}


PROPOSE = tool_from_function(propose, submit=True)
JUDGE = tool_from_function(judge, submit=True)
ROLE_TOOLS = {"questioner": [SEARCH, OPEN, FIND, PROPOSE], "answerer": [SEARCH, OPEN, FIND, SUBMIT], "closed": [SUBMIT],
              "verifier": [SEARCH, OPEN, FIND, JUDGE]}


class _Agents(Family):
    """The pipeline's agents as a family the rollout runtime can drive (never registered)."""

    name = "search-agents"
    description = "agents of the search pipeline"
    blocking = False

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws

    def open(self, record: TupleRecord, run: Any) -> RuntimeEnvironment:
        return RuntimeEnvironment(ToolRuntime.of(ROLE_TOOLS[record.environment.metadata["role"]], self.ws))

    def solve_gold(self, record: TupleRecord, run: Any, client: Any) -> None:
        raise NotImplementedError


class AgenticGenerator(CorpusGenerator):
    """Agent-made candidates: index 0, 1, ... each seeded by a long-tail entity."""

    mode = "agentic"

    def __init__(self, run: Run, settings: SearchSettings, *, transport: Any = None) -> None:
        super().__init__(run, settings)
        self.transport = transport
        self.ws = Workspace(self.corpus, self.index, settings.retriever, settings.snippet_words, settings.snippet_words)
        self.agents = agent_configs(settings)
        self.family = _Agents(self.ws)
        self.names = name_table(self.corpus)
        self.pool = long_tail(features(self.corpus))

    # -- one candidate ---------------------------------------------------------------------------
    def build(self, candidate: Item) -> TupleRecord | Rejection:
        audit: list[dict[str, Any]] = []
        try:
            draft, extra = asyncio.run(self._candidate(candidate.index, audit))
        except Refusal as refusal:
            ref = self._audit(audit)
            return Rejection(key=candidate.key, family="search", reason=refusal.reason,
                             details={**refusal.details, "audit": {"path": ref.path, "sha256": ref.sha256}})
        except Exception as exc:  # noqa: BLE001  (one candidate's failure is its rejection, never the run's)
            rejection = candidate_error(candidate, exc)
            ref = self._audit(audit)
            return rejection.model_copy(update={"details": {**rejection.details, "audit": {"path": ref.path, "sha256": ref.sha256}}})
        ref = self._audit(audit)
        return self.keep(candidate, draft, {"audit": {"path": ref.path, "sha256": ref.sha256}}, audit=ref, task_extra=extra)

    def _audit(self, audit: list[dict[str, Any]]) -> Any:
        data = json.dumps(audit, sort_keys=True, ensure_ascii=False).encode()
        return self.run.write_asset("search-audit", data, ".json", "application/json")

    def _record(self, role: str, prompt: str, config: AgentConfig, verifier: VerifierSpec, index: int) -> TupleRecord:
        kind = "closed" if role == "answerer" and not config.tools else role
        tools = ROLE_TOOLS[kind]
        env = EnvironmentSpec(family="search-agents", category=role, seed=self.settings.seed, index=index, difficulty=1,
                              tools=[t.spec for t in tools],
                              metadata={**environment_metadata(self.corpus, self.settings, "agentic"), "role": kind})
        task = TaskSpec(family="search-agents", category=role, environment_key=env.key, prompt=prompt,
                        system_prompt=config.system_prompt or SYSTEM_PROMPT)
        return TupleRecord.build(env, task, verifier)

    async def _episode(self, role: str, config: AgentConfig, prompt: str, verifier: VerifierSpec, index: int, sample: int,
                       audit: list[dict[str, Any]]) -> Trajectory:
        from synth import ModelClient, RolloutConfig, run_episode

        s = self.settings
        cfg = RolloutConfig(base_url=config.base_url, model=config.model, api_key_env=config.api_key_env, temperature=config.temperature,
                            max_steps=s.max_steps, max_tokens=s.max_tokens, context_window=8192 if "SmolLM" in config.model else 131072,
                            seed=s.seed * 1000 + sample)
        record = self._record(role, prompt, config, verifier, index)
        async with ModelClient(cfg, transport=self.transport) as client:
            trajectory = await run_episode(client, cfg, self.family, record, self.run, sample)
        audit.append({"role": role, "agent": config.name, "trajectory": trajectory.model_dump(mode="json")})
        return trajectory

    async def _candidate(self, index: int, audit: list[dict[str, Any]]) -> tuple[Draft, dict[str, Any]]:
        rng = random.Random(f"{self.settings.seed}:{index}")
        seed_doc = self.corpus.documents[rng.choice(self.pool)]
        s = self.settings
        feedback = ""
        questioner = self.agents["questioner"][0]
        for round_ in range(1, s.rounds + 1):
            prompt = (f"Seed entity: {seed_doc.title} (id {seed_doc.id}). Depth: {s.depth} hops; breadth: up to {s.breadth} links "
                      f"per document.\n{feedback}\nExplore with the tools, then call propose(question, answer, evidence, "
                      f"answer_type, aliases).")
            trajectory = await self._episode("questioner", questioner, prompt, VerifierSpec(name="search.proposal"), index, round_, audit)
            proposal = trajectory.submission if isinstance(trajectory.submission, dict) else None
            if proposal is None:
                raise Refusal("questioner:no_proposal", {"round": round_, "termination": trajectory.termination.value})
            draft = self._draft(proposal, calls(trajectory))
            try:
                wrong = await self._gate(draft, index, round_, audit)
            except Refusal as refusal:
                easy = refusal.reason.startswith(("single_search", "answered", "leak:top_hit"))
                if not easy or round_ == s.rounds:
                    raise
                feedback = (f"Your previous question was: {draft.prompt}\nIt was too easy ({refusal.reason}). Make it harder with "
                            "the same answer: replace a named entity with a description taken from another document, blur dates "
                            "into ranges and numbers into approximate figures. Keep the answer unique.")
                continue
            return draft, {"rounds": round_, "wrong_candidates": wrong, "agents": {r: [a.identity() for a in c] for r, c in self.agents.items()}}
        raise Refusal("questioner:no_proposal")  # pragma: no cover (the loop returns or raises)

    def _draft(self, proposal: dict[str, Any], explored: list[tuple[str, dict[str, Any], Any]] = ()) -> Draft:  # type: ignore[assignment]
        """The proposal as a draft task; Refusal('invalid_proposal:...') when it cannot be one. `explored`
        is the questioner's own tool calls (name, arguments, result): its gold path."""
        question, answer = str(proposal.get("question", "")).strip(), str(proposal.get("answer", "")).strip()
        kind, evidence = proposal.get("answer_type", "entity"), [e for e in proposal.get("evidence", []) if e in self.corpus.by_id]
        if len(question) < 20 or not answer or not evidence:
            raise Refusal("invalid_proposal:incomplete", {"question": question[:200], "answer": answer[:100]})
        if len(question) > MAX_QUESTION_CHARS:
            raise Refusal("invalid_proposal:too_long", {"chars": len(question), "limit": MAX_QUESTION_CHARS})
        check_instructions(question)
        titled = next((d for d in self.corpus.documents if normalize(d.title) == normalize(answer)), None) if kind == "entity" else None
        proposed = [str(x) for x in proposal.get("aliases", []) if str(x).strip()]
        if titled is not None:
            answer_doc = titled.id
            evidence = list(dict.fromkeys([titled.id, *evidence]))
            self._reached(titled.id, evidence, explored)
            names = given_names(self.corpus, titled.id)
            for alias in proposed:
                if normalize(alias) not in names or self.names.get(normalize(alias), {titled.id}) - {titled.id}:
                    raise Refusal("invalid_proposal:alias", {"alias": alias[:100], "reason": "not a name the corpus gives the answer"})
            gold = GoldPath(steps=self._path(explored, titled.id), answer_doc=answer_doc, evidence=evidence)
            aliases = [a for a in dict.fromkeys([*unique_aliases(self.corpus, self.names, titled.id), *proposed])
                       if self.names.get(normalize(a), {titled.id}) <= {titled.id} and normalize(a) != normalize(titled.title)]
            answer = titled.title
        else:
            stating = next((e for e in evidence if states(self.corpus.by_id[e].text, answer, kind)), None)
            if stating is None:
                raise Refusal("invalid_proposal:answer_not_in_evidence", {"answer": answer[:100]})
            answer_doc = stating
            self._reached(None, evidence, explored)
            steps = [Step(tool="open", args={"id": e}, expect=e) for e in evidence]
            gold = GoldPath(steps=steps, answer_doc=stating, answer_from="phrase", label=answer, evidence=evidence)
            for alias in proposed:
                if not any(states(self.corpus.by_id[e].text, alias, "text") for e in evidence) or re.search(r"\bor\b|[,;/]", alias):
                    raise Refusal("invalid_proposal:alias", {"alias": alias[:100], "reason": "no evidence document states it"})
            aliases = [a for a in proposed if self.names.get(normalize(a), set()) <= set()]
        try:
            replay(gold, lambda tool, **a: {"search": search, "open": open_document, "find": find}[tool](self.ws, **a))
        except (GoldPathBroken, ToolError) as exc:
            raise Refusal("gold_unreachable", {"reason": str(exc)}) from None
        args: dict[str, Any] = {"answer": answer, "aliases": aliases, "type": kind}
        if kind == "number":
            value = parse_number(answer)
            if value is None:
                raise Refusal("invalid_proposal:not_a_number", {"answer": answer[:100]})
            # exact: the figure is quoted from a document, and a relative tolerance would accept nearby years
            args.update(value=value, tolerance=0.0, aliases=[])
        elif kind == "date":
            parsed = parse_date(answer)
            if parsed is None:
                raise Refusal("invalid_proposal:not_a_date", {"answer": answer[:100]})
            args.update(value=parsed[1].isoformat() if parsed[0] == "day" else str(parsed[1]), tolerance=0, aliases=[])  # type: ignore[union-attr]
        elif kind == "text":
            if not (self.settings.judge_base_url and self.settings.judge_model):
                raise Refusal("invalid_proposal:text_without_judge", {"answer": answer[:100]})
            rubric = str(proposal.get("rubric") or f"Correct when the answer gives {answer} (or an equivalent wording); incorrect when it "
                                                  "gives anything else or several alternatives.")
            args["judge"] = {"model": self.settings.judge_model, "base_url": self.settings.judge_base_url,
                             "api_key_env": self.settings.api_key_env, "rubric": rubric}
        prompt = question + "\n\nSubmit the answer alone with the submit tool."
        return Draft(chain=[answer_doc, *[e for e in evidence if e != answer_doc]], clues=[[]], prompt=prompt, answer_type=kind,
                     verifier_args=args, gold=gold, facts={"question": question})

    def _reached(self, answer_doc: str | None, evidence: list[str], explored: list[tuple[str, dict[str, Any], Any]]) -> None:
        """The questioner reached what it proposes: it opened (or searched its way to) every evidence document,
        and an entity answer is linked with another evidence document (the clues lead to it).
        Refusal('unreachable_answer') otherwise."""
        seen = {args.get("id") for name, args, _ in explored if name in ("open", "find")}
        missing = [e for e in evidence if e not in seen]
        if missing:
            raise Refusal("unreachable_answer", {"reason": "the questioner never opened these evidence documents", "documents": missing[:5]})
        if answer_doc is not None and len(evidence) > 1:
            doc = self.corpus.by_id[answer_doc]
            linked = [e for e in evidence if e != answer_doc and (e in doc.links or answer_doc in self.corpus.by_id[e].links)]
            if not linked:
                raise Refusal("unreachable_answer", {"reason": "no evidence document links to or from the answer's", "answer": answer_doc})

    def _path(self, explored: list[tuple[str, dict[str, Any], Any]], answer_doc: str) -> list[Step]:
        """The questioner's recorded path (its searches that returned an evidence document, its opens and the
        finds that found something), ending by opening the answer's document."""
        steps = []
        for name, args, result in explored:
            if not isinstance(result, dict):
                continue
            if name == "search" and result.get("results"):
                steps.append(Step(tool="search", args=args, expect=result["results"][0]["id"]))
            elif name == "open" and result.get("id"):
                steps.append(Step(tool="open", args={k: v for k, v in args.items() if k in ("id", "page")}, expect=result["id"]))
            elif name == "find" and result.get("total"):
                steps.append(Step(tool="find", args=args, expect=str(args.get("pattern", ""))))
        steps.append(Step(tool="open", args={"id": answer_doc}, expect=answer_doc))
        return steps

    def _shown(self, verdict: Trajectory, required: list[str], what: str, p: int, quote: bool = True) -> None:
        """A verdict counts only with evidence the verifier fetched in that episode: it opened (or searched in)
        the documents `required` (any document when none is), and, with `quote`, the words it quotes are in
        one of the documents it opened, as `find` confirms. Refusal('unverified:<what>') otherwise."""
        made = calls(verdict)
        opened = {args.get("id") for name, args, result in made if name in ("open", "find") and isinstance(result, dict)}
        if not opened or any(r not in opened for r in required):
            raise Refusal(f"unverified:{what}", {"pass": p + 1, "reason": "the verifier opened none of the documents it judged",
                                                 "needed": required[:3]})
        if quote:
            said = str((verdict.submission or {}).get("quote", "")).strip() if isinstance(verdict.submission, dict) else ""
            if len(said) < 4 or not any(find(self.ws, d, said[:200])["total"] for d in opened if d in self.corpus.by_id):
                raise Refusal(f"unverified:{what}", {"pass": p + 1, "reason": "the verifier's quote is in no document it opened",
                                                     "quote": said[:120]})

    async def _correct(self, draft: Draft, text: Any, record: TupleRecord) -> bool:
        """Whether an answer agent's answer is right, by the task's own rules (the pinned judge for
        free-form answers)."""
        if not isinstance(text, str) or not text.strip():
            return False
        args = draft.verifier_args
        if args["type"] == "text":
            from ._judge import judge_submission

            verdict = await asyncio.to_thread(judge_submission, record, text, self.transport)
            return bool(verdict["correct"])
        if args["type"] == "number":
            return number_matches(text, float(args["value"]), float(args["tolerance"]))[0]
        if args["type"] == "date":
            return date_matches(text, str(args["value"]), int(args["tolerance"]))[0]
        return name_matches(text, [args["answer"], *args.get("aliases", [])]) is not None

    async def _gate(self, draft: Draft, index: int, round_: int, audit: list[dict[str, Any]]) -> list[str]:
        """Every gate in order; returns the wrong candidates checked. Raises Refusal."""
        args, s = draft.verifier_args, self.settings
        answer_doc = self.corpus.by_id[draft.chain[0]]
        check_leaks(draft.prompt, args["answer"], list(args.get("aliases", [])), figures=[args["answer"]] if args["type"] != "entity" else [])
        wrong: list[str] = []
        picked = single_search(draft.prompt, self.corpus, self.index, s.retriever, answer_doc.id,
                               args["answer"] if args["type"] == "entity" else answer_doc.title, list(args.get("aliases", [])))
        if args["type"] == "entity":
            k = max(1, min(SINGLE_SEARCH_K, len(self.corpus.documents) // 10))  # at most a tenth of the corpus
            asked = str(draft.facts.get("question") or draft.prompt)  # as the questioner wrote it, without the submit line
            ranked = [self.corpus.documents[h.doc].id for h in self.index.search(asked, k, s.retriever)]
            if answer_doc.id in ranked:
                raise Refusal("single_search", {"rank": ranked.index(answer_doc.id) + 1, "k": k})
        if args["type"] != "entity":
            picked = None  # one search reads a document, not a figure: only the leak check applies
        if picked:
            wrong.append(picked)
        spec = VerifierSpec(name="search.answer", args=args)
        runs = await asyncio.gather(*(self._episode("answerer", a, draft.prompt, spec, index, 100 * round_ + i, audit)
                                      for i, a in enumerate(self.agents["answerer"])))
        for agent, trajectory in zip(self.agents["answerer"], runs):
            if trajectory.termination.infrastructure:
                raise Refusal("infrastructure", {"agent": agent.name, "error": trajectory.extra.get("error", "")})
            record = self._record("answerer", draft.prompt, agent, spec, index)
            if await self._correct(draft, trajectory.submission, record):
                raise Refusal(f"answered:{agent.name}", {"answer": str(trajectory.submission)[:200]})
            if isinstance(trajectory.submission, str) and trajectory.submission.strip():
                wrong.append(trajectory.submission.strip()[:200])
        verifier = self.agents["verifier"][0]
        judgment = VerifierSpec(name="search.judgment")
        names = ", ".join([args["answer"], *args.get("aliases", [])])
        for p in range(s.verify_passes):
            prompt = (f"Question: {draft.prompt}\nProposed answer: {args['answer']}\nAccepted names of the answer: {names}\nEvidence "
                      f"documents: {', '.join(draft.gold.evidence)}\nIs the proposed answer correct and the only answer the clues allow? "
                      "Open the documents with the tools, then call judge(verdict='yes' or 'no', quote=words copied from a document "
                      "that show it).")
            verdict = await self._episode("verifier", verifier, prompt, judgment, index, 1000 * round_ + p, audit)
            if not (isinstance(verdict.submission, dict) and verdict.submission.get("verdict") == "yes"):
                raise Refusal("unverified:ground_truth", {"pass": p + 1, "termination": verdict.termination.value})
            self._shown(verdict, [answer_doc.id], "ground_truth", p)
        for candidate in dict.fromkeys(wrong):
            for p in range(s.verify_passes):
                prompt = (f"Question: {draft.prompt}\nCandidate answer: {candidate}\nThe question's answer: {args['answer']}\nDoes "
                          "this candidate satisfy every clue of the question, or is it another name of the question's answer (a former, "
                          "local or other-language name, a spelling variant)? Either way say yes: an answer in other words must "
                          "not count as wrong. Check with the tools, then call judge(verdict='yes' or 'no').")
                verdict = await self._episode("verifier", verifier, prompt, judgment, index, 2000 * round_ + p, audit)
                if isinstance(verdict.submission, dict) and verdict.submission.get("verdict") == "yes":
                    raise Refusal("ambiguous:candidate_satisfies_clues", {"candidate": candidate})
                named = sorted(self.names.get(normalize(candidate), set()))
                self._shown(verdict, named, "candidate_not_checked", p, quote=False)
        return list(dict.fromkeys(wrong))
