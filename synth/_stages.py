"""The stages: generate -> verify -> rollout -> export (and regrade), as typed library functions.

Sits above the families and below the CLI (cli -> stages -> families -> verifiers -> core). Each
stage takes a run (or, for generate, the directory to make) and a settings model, drives families
only through the `Family` contract (found in the registry by the name stored in each tuple), writes
through the run store, and returns a report the caller prints. The CLI parses arguments, calls one
stage and prints; a Python user calls the same functions. Guarantees:

- Bad input is a `SynthError` (one line) raised before anything is written: settings are validated
  and a stage's preconditions (a complete generate before verify, a verified run before rollout
  and export) are checked before the run's manifest changes.
- Every stage is resumable: items already present are skipped by key, so a killed stage re-run with
  the same settings continues, and the result is byte-identical to an uninterrupted run.
- Progress goes to an optional `progress(description, total)` context manager whose `advance(n,
  note)` the stage calls; the display itself belongs to the caller.
"""

from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, ContextManager, Iterator, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from . import _registry as registry
from ._errors import ConfigError, GenerationError, StoreError
from ._family import Family, FamilySettings
from ._records import Rejection, TupleRecord
from ._store import Run, check_output

if TYPE_CHECKING:
    from ._client import ModelClient
    from ._executor import Executor
    from ._config import RolloutConfig
    from ._records import Trajectory
    from ._grading import TaskStats
    from ._rollout import RolloutStats
    from ._verify import Summary


class Bar(Protocol):
    """A handle on one progress display."""

    def advance(self, n: int = 1, note: str | None = None) -> None: ...


Progress = Callable[[str, "int | None"], ContextManager[Bar]]
"""`progress(description, total)`: a context manager yielding a `Bar`."""


class _Quiet:
    def advance(self, n: int = 1, note: str | None = None) -> None:
        pass


@contextlib.contextmanager
def quiet(description: str, total: int | None) -> Iterator[Bar]:
    """The default progress: shows nothing."""
    yield _Quiet()


# -- generate ---------------------------------------------------------------------------------------
@dataclass
class GenerateReport:
    """What a generate stage left in the run."""

    family: str
    tuples: int
    """Tuples the run holds now."""
    new: int
    """Tuples built by this call."""
    rejected: int
    """Rejections the run holds now (reasons in rejections.jsonl)."""
    facts: dict[str, Any] = field(default_factory=dict)
    """The generator's own summary figures."""


def _family(family: str | Family) -> Family:
    return family if isinstance(family, Family) else registry.family(family)


def _build(gen: Any, candidate: Any) -> TupleRecord | Rejection:
    return candidate if isinstance(candidate, Rejection) else gen.build(candidate)


def _work(gen: Any, candidate: Any) -> Any:
    """What an executor's worker runs: the generator's `work()` (a refused candidate as is)."""
    return candidate if isinstance(candidate, Rejection) else gen.work(candidate)


def _fresh(gen: Any, done: set[str]) -> Iterator[Any]:
    """The generator's candidates whose key the run does not hold yet, each key once."""
    for candidate in gen.candidates():
        if candidate.key not in done:
            done.add(candidate.key)
            yield candidate


def prepare_families(names: tuple[str, ...]) -> None:
    """Every named family's process-wide set-up (what a worker of an executor runs first)."""
    for name in names:
        registry.family(name).prepare()


def generate(
    run: Run | str | Path,
    family: str | Family,
    settings: FamilySettings | dict[str, Any] | None = None,
    *,
    progress: Progress = quiet,
    executor: "Executor | None" = None,
) -> GenerateReport:
    """Generate tuples of `family` into `run` (a Run, or a directory made when the settings are
    valid). Candidates whose key is already in the run (built or rejected) are skipped; generation
    stops once the generator's target number of tuples exists. A remote `executor` runs `work()`
    of a `parallel` generator's candidates ahead on its workers, and `finish()` builds the records
    here in candidate order; the records are the same."""
    fam = _family(family)
    chosen = fam.parse_settings(settings)
    fam.check_settings(chosen)
    fam.prepare()  # e.g. no engine answers: fails before the run directory exists
    if not isinstance(run, Run):
        run = Run.create(run)
    with run.writing("generate", fam.stage_config(chosen), defaults=_defaults(chosen)) as session:
        report = _generate(run, fam, chosen, progress, executor)
        session.finish(tuples=report.tuples, rejected=report.rejected, **report.facts)
    return report


def _defaults(settings: FamilySettings) -> dict[str, Any]:
    """Each setting's default as the stage config records it: a run made before an option existed resumes
    when the option is at its default."""
    from pydantic_core import to_jsonable_python

    return {name: to_jsonable_python(field.get_default(call_default_factory=True))
            for name, field in type(settings).model_fields.items() if not field.is_required()}


def _generate(run: Run, fam: Family, chosen: FamilySettings, progress: Progress, executor: "Executor | None") -> GenerateReport:
    tuples, rejections = run.tuples(), run.rejections()
    done = {fam.candidate_key(t) for t in tuples}
    held = len(done)
    done |= rejections.keys()
    rejected = sum(1 for _ in rejections)
    new = 0
    with fam.generator(run, chosen) as gen, tuples, rejections, progress("generate", gen.target) as bar:
        bar.advance(min(held, gen.target) if gen.target is not None else held)
        ahead = executor is not None and executor.remote and gen.parallel
        # workers validate ahead (`work`), the writer builds the records in candidate order (`finish`)
        built = ((gen.finish(r) for r in executor.map(_work, _fresh(gen, done), shared=gen,  # type: ignore[union-attr]
                                                      setup=functools.partial(prepare_families, (fam.name,))))
                 if ahead else (_build(gen, candidate) for candidate in _fresh(gen, done)))
        while gen.target is None or held < gen.target:  # checked before the next candidate is drawn
            result = next(built, None)
            if result is None:
                break
            if isinstance(result, Rejection):
                rejections.append(result)
                rejected += 1
                bar.advance(0, note=f"rejected {rejected}")
                continue
            tuples.append(result)
            held += 1
            new += 1
            bar.advance()
        facts = gen.facts()
    if gen.target is not None and held == 0:
        raise GenerationError(f"no candidate became a task (reasons in {run.path / Run.REJECTIONS})")
    return GenerateReport(family=fam.name, tuples=held, new=new, rejected=rejected, facts=facts)


# -- verify -----------------------------------------------------------------------------------------
class VerifySettings(BaseModel):
    """Settings of the verify stage (none yet: every tuple gets its gold and every null control)."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


def _tuples(run: Run) -> list[TupleRecord]:
    generated = run.stage("generate")
    if generated is not None and not generated.get("complete"):
        raise StoreError(f"generation of {run.path} did not finish; re-run the same synth generate command to complete it")
    tuples = run.tuples().read()
    if not tuples:
        raise StoreError(f"run {run.path} holds no tuples; run synth generate first")
    return tuples


def _setup(tuples: list[TupleRecord]) -> Callable[[], None]:
    """The set-up of the tuples' families, as a picklable call (a worker runs it before its first item)."""
    return functools.partial(prepare_families, tuple(sorted({t.environment.family for t in tuples})))


def _prepare(tuples: list[TupleRecord]) -> None:
    _setup(tuples)()


def verify(run: Run, settings: VerifySettings | None = None, *, progress: Progress = quiet,
           executor: "Executor | None" = None) -> "Summary":
    """Prove every tuple sound (gold passes through the tools, every null control fails on its
    named check) and run the family's baseline agents (a tuple one solves is easy); tuples already
    verified are skipped. Returns the summary over all tuples. A remote `executor` verifies tuples on
    its workers; the records are the same."""
    from ._verify import verify_run

    settings = settings or VerifySettings()
    tuples = _tuples(run)
    _prepare(tuples)
    with run.writing("verify", settings.model_dump(mode="json")) as session, progress("verify", len(tuples)) as bar:
        summary = verify_run(run, tuples, bar, executor=executor, setup=_setup(tuples))
        session.finish(sound=sum(r["sound"] for r in summary.rows.values()), unsound=len({k for k, _, _ in summary.unsound}),
                       easy=sum(r["easy"] for r in summary.rows.values()))
    return summary


@dataclass
class RegradeReport:
    """What regrading changed."""

    regraded: int
    changed: int
    stats: "dict[str, TaskStats]"
    """Per task: graded model episodes and passes after regrading."""


def regrade(run: Run) -> RegradeReport:
    """Rescore every stored trajectory with its verifier from the stored artifacts alone (no model,
    no environment replay) and rewrite trajectories.jsonl atomically."""
    from ._grading import regrade_run, task_stats

    if not (run.path / Run.TRAJECTORIES).exists():
        raise StoreError(f"run {run.path} holds no trajectories to regrade; run synth verify or synth rollout first")
    with run.trajectories().locked():  # appends of a rollout running meanwhile wait, then go to the new file
        counts = regrade_run(run)
    return RegradeReport(regraded=counts["regraded"], changed=counts["changed"], stats=task_stats(run))


# -- rollout ----------------------------------------------------------------------------------------
@dataclass
class RolloutReport:
    """The figures of a rollout stage."""

    model: str
    stats: "RolloutStats"
    """This call's episodes: done, passed, endings, tokens."""
    tasks: "dict[str, TaskStats]"
    """Per task: every graded episode of this model in the run (earlier calls included)."""
    samples: int

    def pass_at(self, k: int) -> float:
        """Mean pass@k over the rolled-out tasks."""
        return sum(s.pass_at(k) for s in self.tasks.values()) / len(self.tasks) if self.tasks else 0.0


def rollout(
    run: Run,
    cfg: "RolloutConfig",
    *,
    tasks: int | None = None,
    client: "ModelClient | None" = None,
    progress: Progress = quiet,
    on_episode: "Callable[[RolloutStats, Trajectory], None] | None" = None,
    on_reply: "Callable[[RolloutStats], None] | None" = None,
    log: Callable[[str], None] = lambda message: None,
    executor: "Executor | None" = None,
) -> RolloutReport:
    """Roll `cfg.model` through the sound tuples of `run` (the first `tasks` of them), `cfg.samples`
    times each; finished episodes are skipped. Without `cfg.base_url` the embedded CPU model is
    started for the episodes that remain and stopped afterwards, with settings sized for it where
    `cfg` sets none. A server that is dead or is not an OpenAI-compatible API fails at once (a
    one-line ModelError naming the URL and the cause, nothing written); the effective settings go
    to `log`. `stats.aborted` says why a rollout stopped early (the manifest marks it aborted).
    A remote `executor` runs the episodes on its workers (`cfg.concurrency` in flight) and they
    are appended in plan order."""
    import asyncio

    from ._client import probe
    from ._grading import task_stats
    from ._rollout import plan, rollout_run, stage_name
    from ._serve import embedded_config, embedded_server

    cfg.api_key()  # a named but unset key variable fails before anything starts
    if cfg.base_url is not None and cfg.model is None:
        raise ConfigError("--base-url needs --model (the name the server knows the model by)")
    embedded = cfg.base_url is None and client is None
    if embedded:
        if cfg.model is not None:
            raise ConfigError(f"--model {cfg.model} needs --base-url; without one synth runs the embedded SmolLM2-135M-Instruct")
        if cfg.thinking:
            raise ConfigError("the embedded model has no thinking mode; drop --thinking or give --base-url")
        cfg = embedded_config(cfg)
    with run.writing(stage_name(cfg), cfg.identity()) as session:
        todo, skipped = plan(run, cfg, tasks)
        if todo and client is None and not embedded:
            note = asyncio.run(probe(cfg))  # a dead or wrong server fails here, before any episode
            if note:
                log(note)
        _prepare([episode.record for episode in todo])
        log(_settings_line(cfg, len(todo), skipped, embedded))

        def roll(cfg: "RolloutConfig") -> "RolloutStats":
            with progress(f"rollout {cfg.model_name}", len(todo)) as bar:

                def episode_done(stats: "RolloutStats", trajectory: "Trajectory") -> None:
                    bar.advance(1, note=stats.note())
                    if on_episode is not None:
                        on_episode(stats, trajectory)

                def replied(stats: "RolloutStats") -> None:
                    bar.advance(0, note=stats.note())
                    if on_reply is not None:
                        on_reply(stats)

                return asyncio.run(rollout_run(run, cfg, todo, skipped, client=client, on_episode=episode_done,
                                               on_reply=replied, session=session, executor=executor,
                                               setup=_setup([e.record for e in todo])))

        if embedded and todo:
            server = embedded_server(context=cfg.context_window, log=run.path / "embedded-server.log")
            log("starting the embedded model (SmolLM2-135M-Instruct on CPU) ...")
            with server.start():
                log(f"embedded model at {server.base_url}")
                stats = roll(cfg.model_copy(update={"base_url": server.base_url}))
        else:
            stats = roll(cfg)
    return RolloutReport(model=cfg.model_name, stats=stats, tasks=task_stats(run, cfg.model_name), samples=cfg.samples)


def _settings_line(cfg: "RolloutConfig", todo: int, skipped: int, embedded: bool) -> str:
    """The effective settings of a rollout, on one line."""
    where = "the embedded model on CPU" if embedded else cfg.base_url
    per_episode = f", max_episode_tokens {cfg.max_episode_tokens}" if cfg.max_episode_tokens else ""
    thinking = f", thinking {'on' if cfg.thinking else 'off'}" if cfg.flavor != "openai" else ""
    return (f"rollout {cfg.model_name} at {where}: {todo} episodes to run, {skipped} already done; "
            f"max_steps {cfg.max_steps}, max_tokens {cfg.max_tokens} a call{per_episode}, concurrency {cfg.concurrency}, "
            f"context_window {cfg.context_window}, temperature {cfg.temperature:g}, top_p {cfg.top_p:g}{thinking}"
            + (" (sized for the embedded model; flags override)" if embedded else ""))


# -- export -----------------------------------------------------------------------------------------
class ExportSettings(BaseModel):
    """What to export and where."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    format: Literal["sft", "rl", "verl", "hf"]
    """sft: verified trajectories as chat records; rl: one line per sound task (both JSONL); verl:
    verl's RL parquet; hf: a Hugging Face datasets folder of the `view`."""
    out: Path
    """Output file (a folder for hf), written atomically."""
    view: Literal["rl", "sft"] = "rl"
    """For hf: one row per task (rl) or per verified trajectory (sft)."""
    source: Literal["all", "gold", "model"] = "all"
    """For sft: gold, model or all trajectories."""
    pass_rate: str | None = Field(None)
    """Keep tasks whose model rollouts pass at a rate in this interval, e.g. '(0,1]'."""
    model: str | None = None
    """Only this model's rollouts (sft lines and the pass-rate filter)."""
    keep_easy: bool = False
    """Also export tuples a baseline agent solved (left out by default: they teach little)."""
    arguments: Literal["object", "text"] = "object"
    """For hf --view sft: tool-call arguments as objects (TRL's dataset format) or as JSON text."""
    empty_content: bool = False
    """For hf --view sft: "" instead of null where a message has no content (templates that read
    message['content'])."""


def export(run: Run, settings: ExportSettings) -> int:
    """Write the chosen view of `run` to `settings.out` atomically; returns the line count."""
    from ._export import PassRange, keys_in_range, rl_lines, sft_lines, write_jsonl

    if settings.format == "hf":  # a dataset folder: write_hf says whether an existing one may be replaced
        check_output(settings.out, folder=True)
    else:
        check_output(settings.out)
    if settings.view == "sft" and settings.format != "hf":
        raise ConfigError("--view applies to --format hf (verl's columns hold tasks; SFT data: --format sft or --format hf --view sft)")
    keys = keys_in_range(run, PassRange(settings.pass_rate), settings.model) if settings.pass_rate is not None else None
    view = "sft" if settings.format == "sft" or (settings.format == "hf" and settings.view == "sft") else "rl"
    if view == "sft":
        lines = sft_lines(run, settings.source, keys=keys, model=settings.model, keep_easy=settings.keep_easy)
    else:
        lines = rl_lines(run, keys, keep_easy=settings.keep_easy)
    if settings.format in ("verl", "hf"):  # these writers turn an OS refusal into the same one line
        from ._formats import write_hf, write_verl

        if settings.format == "verl":
            return write_verl(lines, settings.out, keep_easy=settings.keep_easy)  # type: ignore[arg-type]
        return write_hf(lines, settings.out, view, arguments=settings.arguments, empty_content=settings.empty_content)
    try:
        return write_jsonl((line.line() for line in lines), settings.out)
    except OSError as exc:
        raise ConfigError(f"cannot write --out {settings.out}: {exc.strerror or exc}") from None
