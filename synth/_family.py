"""The family contract: everything the stages (generate, verify, rollout, export) ask of a family.

Sits between the core records and the families: the stages drive every family through `Family`,
`Generator` and `Environment` and know none of them by name (a family is found in the registry,
filled from the `synth.plugins` entry points). Every hook a stage calls is declared here, with a
default where one makes sense, so a new family implements only what differs:

- generate: `settings` (a pydantic model the CLI turns into options), `generator()` (candidates in
  a deterministic order, each with a resume `key`, built into a tuple or a `Rejection`),
  `candidate_key()` (which candidate a stored tuple came from). Families whose items are a pure
  function of (category, seed, index, difficulty) implement `build_tuple` and inherit the rest.
- verify: `solve_gold()` (tool calls only), `empty_submission()`, `controls()`, `evaluate()`, and
  the baseline gate: `baselines()` names cheap tool-only strategies and `solve_baseline()` runs one
  through the same tool path as the gold solution (default: no baselines).
- rollout: `open()` a live `Environment`, `prompt_messages()`, `blocking`, `prepare()`.

Nothing here runs at import time; a family that needs process-wide set-up (signal handlers, an
engine check) does it in `prepare()`, which every stage calls in the calling thread before work.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Iterator, NamedTuple, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from ._errors import ConfigError
from ._records import Message, Rejection, ToolSpec, TupleRecord, Verdict
from ._tools import ToolResult, ToolRuntime

if TYPE_CHECKING:
    from ._store import Run
    from ._tools import ToolClient


class Control(NamedTuple):
    """A null control: a submission a sound verifier must reject."""

    name: str
    """perturb:<what> (the empty control is added by the core)."""
    submission: Any
    breaks: str | None = None
    """The check the perturbation is built to break; verify requires that very check to fail."""


@runtime_checkable
class Category(Protocol):
    """A category of a family as the registry and `synth list` see it."""

    name: str
    """Registered name, unique within its family."""
    description: str
    """One line for `synth list` (the first line is shown)."""


class Candidate(Protocol):
    """A unit of generation work: anything with a `key` that is unique within a run and stable
    across re-runs of the same command (the stage skips keys already built or rejected)."""

    @property
    def key(self) -> str: ...


class Flag:
    """Annotated metadata of a settings field: extra command-line names, e.g. `Flag("-c")`."""

    def __init__(self, *names: str) -> None:
        self.names = names


class FamilySettings(BaseModel):
    """Base of a family's generate settings. Each field becomes a `synth generate FAMILY` option
    (`--field-name`); the docstring under a field is its help text; `Annotated[..., Flag("-x")]`
    adds short names. Validation errors are one-line ConfigErrors."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class ItemSettings(FamilySettings):
    """Settings of a procedural family: items are a pure function of (category, seed, index,
    difficulty)."""

    category: Annotated[list[str], Flag("-c")] = Field(default_factory=list)
    """Category (repeatable); default: every category of the family."""
    n: int = Field(10, ge=1, le=1_000_000)
    """Tuples per category."""
    seed: int = Field(0, ge=0)
    """Seed; (category, seed, index, difficulty) fixes a tuple."""
    difficulty: Annotated[int, Flag("-d")] = Field(3, ge=1, le=5)
    """1 (easy) .. 5 (hard)."""


class Generator(abc.ABC):
    """One generation session of a family over a run. The generate stage iterates `candidates()`,
    skips keys already in the run, passes the rest to `build()`, appends what comes back (a tuple
    to tuples.jsonl, a `Rejection` to rejections.jsonl) and stops once `target` tuples exist.
    Close it when done (it is a context manager): it may hold containers or clients."""

    target: int | None = None
    """Tuples the run should hold when generation is complete; None: build every candidate."""
    parallel: ClassVar[bool] = False
    """`build()` of distinct candidates is independent and the generator pickles: an executor may
    build candidates ahead on other workers (the stage still appends results in candidate order,
    and discards builds past the target). Leave False when `build()` keeps state between calls."""

    @abc.abstractmethod
    def candidates(self) -> Iterator[Any]:
        """Candidates in a deterministic order; a `Rejection` yielded here is recorded as is (a
        candidate refused before any work, e.g. a pull request that fixes no issue)."""

    @abc.abstractmethod
    def build(self, candidate: Any) -> TupleRecord | Rejection:
        """Turn one candidate into a tuple, or say why not."""

    def work(self, candidate: Any) -> Any:
        """The part of `build()` an executor may run on another worker, in any order (a `parallel`
        generator's): by default all of it. Its result must pickle."""
        return self.build(candidate)

    def finish(self, done: Any) -> TupleRecord | Rejection:
        """The rest of `build()`, run on the stage's single writer in candidate order with what
        `work()` returned (numbering, assets): by default nothing more."""
        return done

    def facts(self) -> dict[str, Any]:
        """Summary figures recorded with the finished generate stage."""
        return {}

    def close(self) -> None:
        """Release what the session holds."""

    def __enter__(self) -> "Generator":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Item(NamedTuple):
    """A candidate of a procedural family."""

    category: str
    index: int

    @property
    def key(self) -> str:
        return f"{self.category}:{self.index}"


class Environment(abc.ABC):
    """A live instance of one tuple for one episode. Close it when done (it is a context manager)."""

    @property
    @abc.abstractmethod
    def tools(self) -> list[ToolSpec]:
        """Tools offered, in order."""

    @abc.abstractmethod
    def call(self, name: str, arguments: str | dict[str, Any] | None) -> ToolResult:
        """Run one tool call exactly as the agent wrote it; never raises for bad calls."""

    @property
    @abc.abstractmethod
    def submitted(self) -> bool:
        """Whether the submit tool was called."""

    @property
    @abc.abstractmethod
    def submission(self) -> Any:
        """What was submitted (None before)."""

    def finalize(self) -> dict[str, Any]:
        """Run post-episode execution (e.g. tests in a container) and return artifact facts that
        grading reads; stored with the trajectory under extra["artifacts"]."""
        return {}

    def close(self) -> None:
        """Release resources (containers, connections)."""

    def __enter__(self) -> "Environment":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class FamilyInfo:
    """What `synth list` shows of a family."""

    name: str
    description: str
    categories: dict[str, str] = field(default_factory=dict)


class Family(abc.ABC):
    """A family of environments (general, code, ...). Register a subclass with
    `@register_family`; one instance serves every stage."""

    name: ClassVar[str]
    description: ClassVar[str]
    settings: ClassVar[type[FamilySettings]] = ItemSettings
    """The generate settings; `synth generate NAME` offers one option per field."""
    examples: ClassVar[tuple[str, ...]] = ()
    """Command lines shown in `synth generate NAME --help`."""
    blocking: ClassVar[bool] = True
    """Environment calls may block (containers, kernels): rollouts then open, call and close
    environments in worker threads. Families of in-process tools set False."""
    control_width: ClassVar[int] = 1
    """How many null controls of one tuple `synth verify` grades at once, in threads (after the
    gold, in the controls' order in verdicts.jsonl whatever the width). Raise it where a control
    mostly waits on something outside this process, e.g. a container held to one CPU."""

    def grades_text_answer(self, record: TupleRecord) -> bool:
        """Whether a reply without a tool call (an episode ended `answered`) is graded as the
        answer. False where only what the submit tool executed can be graded (a patch run by the
        grader, a judge asked at submission): such an episode is a fail on the `submitted` check,
        never a verdict of status error that pass rates leave out."""
        return True

    # -- generate ---------------------------------------------------------------------------------
    def categories(self) -> dict[str, Category]:
        """Registered categories of this family by name."""
        from . import _registry

        return _registry.categories(self.name)

    def parse_settings(self, settings: FamilySettings | dict[str, Any] | None) -> FamilySettings:
        """`settings` as this family's settings model; a bad value is a one-line ConfigError."""
        from pydantic import ValidationError

        if isinstance(settings, self.settings):
            return settings
        try:
            return self.settings.model_validate(dict(settings or {}) if not isinstance(settings, BaseModel) else settings.model_dump())
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "settings"
            message = first["msg"].removeprefix("Value error, ")
            raise ConfigError(f"{self.name} settings: {where}: {message}" if first["loc"] else f"{self.name} settings: {message}") from None

    def stage_config(self, settings: FamilySettings) -> dict[str, Any]:
        """The generate stage's config in the run manifest (a re-run with another config is
        refused). Procedural families: family, categories (resolved), n, seed, difficulty."""
        if isinstance(settings, ItemSettings):
            return {"family": self.name, "categories": self._chosen(settings), "n": settings.n, "seed": settings.seed,
                    "difficulty": settings.difficulty}
        return {"family": self.name, **settings.model_dump(mode="json")}

    def check_settings(self, settings: FamilySettings) -> None:
        """Refuse settings that cannot work (ConfigError), before the run directory is made."""
        if isinstance(settings, ItemSettings):
            self._chosen(settings)

    def _chosen(self, settings: ItemSettings) -> list[str]:
        known = self.categories()
        for name in settings.category:
            if name not in known:
                raise ConfigError(f"unknown {self.name} category {name!r}; known: {', '.join(sorted(known)) or '(none)'}")
        return sorted(set(settings.category)) if settings.category else sorted(known)

    def generator(self, run: "Run", settings: FamilySettings) -> Generator:
        """The generation session. Default: every (category, index) item of `ItemSettings`,
        built by `build_tuple`."""
        if not isinstance(settings, ItemSettings):
            raise NotImplementedError(f"family {self.name} must implement generator() for {type(settings).__name__}")
        return _ItemGenerator(self, run, settings, self._chosen(settings))

    def build_tuple(self, run: "Run", category: str, seed: int, index: int, difficulty: int) -> TupleRecord:
        """One procedural item, a pure function of its arguments (assets stored in `run`)."""
        raise NotImplementedError(f"family {self.name} builds no procedural items; it implements generator()")

    def candidate_key(self, record: TupleRecord) -> str:
        """The key of the candidate a stored tuple was built from (resume identity)."""
        return Item(record.environment.category, record.environment.index).key

    def prepare(self) -> None:
        """Process-wide set-up before a stage works with this family (called in the stage's
        thread): e.g. check an engine answers, install signal handlers that remove containers."""

    # -- episodes ---------------------------------------------------------------------------------
    @abc.abstractmethod
    def open(self, record: TupleRecord, run: "Run") -> Environment:
        """A fresh live environment for `record`."""

    def prompt_messages(self, record: TupleRecord) -> list[Message]:
        """System and user messages that open an episode."""
        messages = []
        if record.task.system_prompt:
            messages.append(Message(role="system", content=record.task.system_prompt))
        messages.append(Message(role="user", content=record.task.prompt))
        return messages

    # -- verify -----------------------------------------------------------------------------------
    @abc.abstractmethod
    def solve_gold(self, record: TupleRecord, run: "Run", client: "ToolClient") -> None:
        """Run the reference solution through `client` (tool calls only), ending with a submission."""

    def empty_submission(self, record: TupleRecord) -> Any:
        """The 'empty answer' null control."""
        return ""

    def controls(self, record: TupleRecord, run: "Run", gold_submission: Any) -> list[Control]:
        """Perturbations of the gold submission, each breaking one named check."""
        return []

    def baselines(self, record: TupleRecord) -> tuple[str, ...]:
        """Names of the baseline agents `synth verify` runs against `record`: cheap strategies that
        use only the tools (greedy first-fit over the stated rules, the cheapest or first choice,
        one per known leak of the generator). A hard tuple defeats every one; a tuple one of them
        solves is flagged easy and left out of exports unless asked. Default: none."""
        return ()

    def solve_baseline(self, record: TupleRecord, run: "Run", client: "ToolClient", name: str) -> None:
        """Run baseline `name` (one of `baselines(record)`) through `client`, tool calls only, ending
        with a submission, exactly as `solve_gold` does."""
        raise NotImplementedError(f"family {self.name} declares no baseline {name!r}")

    def evaluate(self, record: TupleRecord, run: "Run", submission: Any) -> Verdict:
        """The verdict of a control submission. Default: the registered verifier on the submission
        alone; families whose grading reads execution artifacts execute the submission first."""
        from . import _registry

        return _registry.grade(record, submission, run)


class _ItemGenerator(Generator):
    """Every (category, index) of a procedural family, in category order."""

    parallel = True  # each item is a pure function of (category, seed, index, difficulty)

    def __init__(self, family: Family, run: "Run", settings: ItemSettings, chosen: list[str]) -> None:
        self.family, self.run, self.settings, self.chosen = family, run, settings, chosen
        self.target = len(chosen) * settings.n

    def candidates(self) -> Iterator[Item]:
        for name in self.chosen:
            for index in range(self.settings.n):
                yield Item(name, index)

    def build(self, candidate: Item) -> TupleRecord:
        s = self.settings
        return self.family.build_tuple(self.run, candidate.category, s.seed, candidate.index, s.difficulty)


class RuntimeEnvironment(Environment):
    """An Environment whose tools are in-process Python functions run by a `ToolRuntime`."""

    def __init__(self, runtime: "ToolRuntime", on_close: Any = None) -> None:
        self.runtime = runtime
        self._on_close = on_close

    @property
    def tools(self) -> list[ToolSpec]:
        return self.runtime.specs

    def call(self, name: str, arguments: str | dict[str, Any] | None) -> ToolResult:
        return self.runtime.call(name, arguments)

    @property
    def submitted(self) -> bool:
        return self.runtime.submitted

    @property
    def submission(self) -> Any:
        return self.runtime.submission

    def close(self) -> None:
        if self._on_close is not None:
            self._on_close()
            self._on_close = None


__all__ = [
    "Candidate", "Category", "Control", "Environment", "Family", "FamilyInfo", "FamilySettings", "Flag",
    "Generator", "Item", "ItemSettings", "RuntimeEnvironment",
]
