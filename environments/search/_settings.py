"""The settings of `synth generate search`: the corpus, the shape of questions, the tools, and
the models of the agentic mode.

Sits between the command line (each field is an option `--field-name`, its docstring the help)
and the search generator. Guarantees: bad values are refused with one line before the run
directory exists (an unknown corpus name or a missing path, a judge without a model, an agents
file that does not parse); the stage config records the corpus by its content hash, so a re-run
against a changed corpus is refused instead of mixing two corpora in one run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from synth import FamilySettings, Flag


HOPS, AGENTIC_HOPS = 4, 2
"""The default hops of the programmatic generator (at 2 the scripted searcher of tests/search solved 60-100% of the
questions on every corpus; at 4 at most a third) and the agentic questioner's default depth (unchanged)."""
MIN_TREE, MIN_TREE_TEXT_ONLY = 30, 50
"""The narrow_tree gate's default threshold with 3 hops or more, and on a corpus with no category or topic field (its genus comes
from first sentences, which a searcher's search for the genus words finds easily: on a 300-entry dictionary 30 left 13
of 20 questions solved, 50 one of 12, and 60 gave only 5 of 12 once a far-end kind is capped at a quarter of a run)."""


class SearchSettings(FamilySettings):
    """Where questions come from and how they are made and gated."""

    corpus: str = "wiki"
    """wiki (Wikipedia Vital Articles), factbook (CIA World Factbook), a JSONL file or a folder."""
    n: int = Field(10, ge=1, le=1_000_000)
    """Tasks to keep."""
    hops: Annotated[int | None, Flag("-H")] = Field(None, ge=1, le=5)
    """Link hops between the answer and the farthest entity a question describes. Default: 4 (a small corpus may have
    few 4-hop walks: --hops 2 gives more, easier questions); the agentic questioner's depth: 2."""
    min_tree: int | None = Field(None, ge=0, le=1000)
    """Documents a searcher must walk back from before the answer's branch is known (the far end's fitting hits and the
    middle entities reachable from them by searching their names): a question with fewer is refused (narrow_tree).
    Default: with 3 hops or more 30, or 50 on a corpus with no category or topic field (a text-only dictionary); off with fewer
    (a corpus rarely gives 2-hop walks that wide); 0 turns it off. The scripted searcher of tests/search (80 searches)
    solves at most a third at the defaults."""
    breadth: int = Field(2, ge=1, le=4)
    """Clues per entity (the answer gets more when it needs them to be unique)."""
    seed: int = Field(0, ge=0)
    """Seed; (corpus, settings, seed, index) fixes a candidate."""
    answer_type: Literal["any", "entity", "number", "date"] = "any"
    """Kind of answer: any mixes those the corpus supports (number and date need structured facts)."""
    surface_clues: bool = False
    """Allow one surface clue per question (the first letters or word count of a name, a year the text mentions);
    off by default: every clue states a fact the corpus gives, with its evidence span."""
    reuse_answers: bool = False
    """Let one answer document serve several questions of a run (one per answer type); by default each is used once."""
    avoid_answers_of: list[str] = Field(default_factory=list)
    """Run directories whose answer documents this run does not use again (repeat the option): another seed draws
    from the same long tail, so two runs of one corpus share answers without it."""
    retriever: Literal["bm25", "dense", "hybrid"] = "bm25"
    """Ranking of the search tool; dense and hybrid compute the corpus vectors once (slow on a CPU)."""
    snippet_words: int = Field(512, ge=16, le=4096)
    """Words per search-result snippet and per page of open (BrowseComp-Plus: 512 tokens)."""
    max_candidates: int | None = Field(None, ge=1)
    """Candidates to try at most (default: 100 per task, 200 with 3 hops or more, at least 200: on a big corpus most walks find no far end that its clues both find and leave ambiguous; the wiki keeps about 1 in 100 at 4 hops)."""
    base_url: str | None = None
    """OpenAI-compatible server: switches to the agentic mode (questioner, answerers, verifier agents)."""
    model: str | None = None
    """Model name for the agents (with --base-url)."""
    api_key_env: str | None = None
    """Environment variable holding the server's API key."""
    agents: Path | None = None
    """TOML file of heterogeneous agents ([questioner], [[answerer]], [verifier] tables: base_url, model, system_prompt, temperature, tools)."""
    answerers: int = Field(3, ge=1, le=16)
    """Answer agents when --agents gives none (with and without tools, varied prompts and temperatures)."""
    verify_passes: int = Field(2, ge=1, le=8)
    """Passes of the verification agent over the ground truth and over each candidate."""
    rounds: int = Field(2, ge=1, le=6)
    """Times the questioner may grow a question that answerers solved."""
    max_steps: int = Field(12, ge=2, le=200)
    """Model calls per agent episode."""
    max_tokens: int = Field(1024, ge=16)
    """Completion tokens per agent call."""
    judge_base_url: str | None = None
    """Server of a rubric-based judge for free-form answers (agentic mode); pinned in every tuple."""
    judge_model: str | None = None
    """Model name of the judge."""

    @model_validator(mode="after")
    def _consistent(self) -> "SearchSettings":
        if self.base_url is None and self.agents is None and (self.model is not None or self.api_key_env is not None):
            raise ValueError("--model and --api-key-env go with --base-url (the agentic mode)")
        if (self.judge_base_url is None) != (self.judge_model is None):
            raise ValueError("give both --judge-base-url and --judge-model, or neither")
        for run in self.avoid_answers_of:
            if not (Path(run) / "manifest.json").is_file():
                raise ValueError(f"--avoid-answers-of {run}: not a run directory (no manifest.json)")
        for url in (self.base_url, self.judge_base_url):
            if url is not None and not url.startswith(("http://", "https://")):
                raise ValueError(f"{url!r} is not an http(s) URL")
        return self

    @property
    def agentic(self) -> bool:
        return self.base_url is not None or self.agents is not None

    @property
    def depth(self) -> int:
        """The hops (`hops`, or the mode's default)."""
        return self.hops if self.hops is not None else (AGENTIC_HOPS if self.agentic else HOPS)

    def tree(self, text_only: bool = False) -> int:
        """The narrow_tree gate's threshold (`min_tree`, or its default for the hops and the corpus: `text_only` when no
        document has a category or topic field)."""
        if self.min_tree is not None:
            return self.min_tree
        return 0 if self.depth < 3 else (MIN_TREE_TEXT_ONLY if text_only else MIN_TREE)

    @property
    def candidates(self) -> int:
        return self.max_candidates or max(200, (100 if self.depth < 3 else 200) * self.n)

    def stage_config(self, corpus_hash: str, corpus_name: str, agents: dict[str, Any] | None,
                     text_only: bool = False) -> dict[str, Any]:
        """The generate config in the run manifest: everything that shapes a task (not URLs or keys); hops and
        min_tree as they apply (a default that changes between versions is then a named difference on resume)."""
        config = self.model_dump(mode="json", exclude={"corpus", "base_url", "api_key_env", "agents", "judge_base_url"})
        config.update({"family": "search", "corpus": corpus_name, "corpus_hash": corpus_hash, "max_candidates": self.candidates,
                       "mode": "agentic" if self.agentic else "programmatic", "hops": self.depth})
        if not self.agentic:  # None when off, as runs made before the default adapted recorded it
            config["min_tree"] = self.tree(text_only) or None
        if not self.agentic:
            for key in ("model", "answerers", "verify_passes", "rounds", "max_steps", "max_tokens", "judge_model"):
                config.pop(key)
        else:
            config["agents"] = agents
            models = {a.get("model") for configs in (agents or {}).values() for a in configs}
            # said in the manifest: answerers and verifier that share the questioner's model share its blind spots
            config["one_model_for_every_role"] = len(models) == 1
        return config
