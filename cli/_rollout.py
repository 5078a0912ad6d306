"""Model commands: `synth rollout` (roll a model through a run's tuples); the model server is `synth model serve` (cli/_serve.py).

Sits at the top of the rollout stage (verify -> rollout -> export). `rollout` builds a
`RolloutConfig` from an optional TOML file plus flags (flags win), calls the rollout stage (which
starts the embedded model when no base URL is configured), and prints the effective settings,
progress while episodes run, and pass@k. A bad config or flag, a dead or wrong server, or another
process rolling the same model through the run is one line on stderr and exit 2; a rollout that
stopped early on infrastructure failures exits 1; re-running the same command resumes.
"""

from __future__ import annotations

import sys
import time
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from ._app import app
from ._executor import ExecutorKind, ExecutorOption, RayAddressOption, make_executor


class FlavorOption(str, Enum):
    vllm = "vllm"
    sglang = "sglang"
    deepseek = "deepseek"
    openai = "openai"


class StrategyOption(str, Enum):
    discard_all = "discard-all"
    discard_75 = "discard-75"
    summary = "summary"
    none = "none"


class EndpointOption(str, Enum):
    chat = "chat"
    completions = "completions"


def _value(option: Enum | None) -> Any:
    return None if option is None else option.value


@app.command()
def rollout(
    run_dir: Annotated[Path, typer.Argument(metavar="RUN", help="A verified run directory.")],
    model: Annotated[Optional[str], typer.Option("--model", "-m", help="Model name sent to the server.")] = None,
    base_url: Annotated[
        Optional[str], typer.Option("--base-url", help="OpenAI-compatible root, e.g. http://127.0.0.1:8000/v1; unset: the embedded model.")
    ] = None,
    config: Annotated[Optional[Path], typer.Option("--config", "-c", help="TOML file of rollout settings (flags override it).")] = None,
    samples: Annotated[Optional[int], typer.Option("--samples", "-k", help="Episodes per task (pass@k).")] = None,
    concurrency: Annotated[Optional[int], typer.Option("--concurrency", "-j", help="Episodes in flight at once.")] = None,
    flavor: Annotated[Optional[FlavorOption], typer.Option("--flavor", help="Server kind: how thinking is switched on.")] = None,
    thinking: Annotated[Optional[bool], typer.Option("--thinking/--no-thinking", help="Thinking mode.")] = None,
    temperature: Annotated[Optional[float], typer.Option("--temperature", help="Sampling temperature (default 1.0).")] = None,
    top_p: Annotated[Optional[float], typer.Option("--top-p", help="Nucleus mass (default 0.95).")] = None,
    max_tokens: Annotated[Optional[int], typer.Option("--max-tokens", help="Completion tokens per call.")] = None,
    max_steps: Annotated[Optional[int], typer.Option("--max-steps", help="Model calls per episode.")] = None,
    context_window: Annotated[Optional[int], typer.Option("--context-window", help="Server context in tokens.")] = None,
    context_strategy: Annotated[
        Optional[StrategyOption], typer.Option("--context-strategy", help="At 80% of the window: discard-all, discard-75, summary, none.")
    ] = None,
    endpoint: Annotated[
        Optional[EndpointOption], typer.Option("--endpoint", help="chat, or completions with synth's DeepSeek-V3.2 encoding.")
    ] = None,
    api_key_env: Annotated[Optional[str], typer.Option("--api-key-env", help="Environment variable holding the API key.")] = None,
    timeout: Annotated[Optional[float], typer.Option("--timeout", help="Seconds per request.")] = None,
    logprobs: Annotated[Optional[bool], typer.Option("--logprobs/--no-logprobs", help="Keep token logprobs and ids.")] = None,
    seed: Annotated[Optional[int], typer.Option("--seed", help="Sampling seed (sample i uses seed+i).")] = None,
    tasks: Annotated[Optional[int], typer.Option("--tasks", min=1, help="Only the first N sound tasks of the run (smoke runs).")] = None,
    max_consecutive_failures: Annotated[
        Optional[int],
        typer.Option("--max-consecutive-failures", min=0, help="Stop after this many episodes in a row fail on infrastructure (default 10; 0: never)."),
    ] = None,
    executor: ExecutorOption = ExecutorKind.local,
    ray_address: RayAddressOption = None,
) -> None:
    """Roll a model through the sound tuples of RUN; trajectories are graded and appended to the run.

    Examples (the first starts and stops the embedded CPU model itself):

    \b
      synth rollout runs/demo --samples 2
      synth rollout runs/demo --base-url http://127.0.0.1:8000/v1 --model deepseek-ai/DeepSeek-V3.2 \\
          --flavor vllm --thinking --samples 8 --concurrency 64
    """
    from synth import Run
    from synth import rollout as rollout_stage
    from synth._config import load_config

    from ._progress import progress

    cfg = load_config(
        config,
        model=model,
        base_url=base_url,
        samples=samples,
        concurrency=concurrency,
        flavor=_value(flavor),
        thinking=thinking,
        temperature=temperature,
        top_p=top_p,
        max_tokens=max_tokens,
        max_steps=max_steps,
        context_window=context_window,
        context_strategy=_value(context_strategy),
        endpoint=_value(endpoint),
        api_key_env=api_key_env,
        timeout=timeout,
        logprobs=logprobs,
        seed=seed,
        max_consecutive_failures=max_consecutive_failures,
    )
    run = Run.open(run_dir)
    interactive = sys.stderr.isatty()
    last_line = [time.monotonic()]

    def on_episode(stats: Any, trajectory: Any) -> None:
        every = max(1, stats.episodes // 10)
        if not interactive and (stats.done % every == 0 or time.monotonic() - last_line[0] > 30):
            last_line[0] = time.monotonic()
            typer.echo(f"rollout: {stats.done}/{stats.episodes} done  {stats.note()}", err=True)

    def on_reply(stats: Any) -> None:  # without a terminal: a line every 15 s while episodes run
        if not interactive and time.monotonic() - last_line[0] > 15:
            last_line[0] = time.monotonic()
            typer.echo(f"rollout: {stats.done}/{stats.episodes} done  {stats.note()}", err=True)

    with make_executor(executor, ray_address) as chosen:
        report = rollout_stage(run, cfg, tasks=tasks, progress=progress, on_episode=on_episode, on_reply=on_reply,
                               log=lambda message: typer.echo(message, err=True), executor=chosen)
    stats, facts, k = report.stats, report.tasks, report.samples
    n = sum(s.n for s in facts.values())
    passed = sum(s.passed for s in facts.values())
    ends = ", ".join(f"{name} {count}" for name, count in sorted(stats.terminations.items())) or "none"
    typer.echo(
        f"rollout {report.model}: {stats.done} episodes run, {stats.skipped} already done; "
        f"{passed}/{n} graded episodes pass over {len(facts)} tasks; pass@1 {report.pass_at(1):.3f}"
        + (f", pass@{k} {report.pass_at(k):.3f}; " if k > 1 else "; ")
        + f"{stats.tokens_per_second:.1f} completion tok/s; endings: {ends}"
    )
    if stats.aborted:
        reason = " ".join(stats.aborted.split())
        typer.echo(f"synth: error: rollout {reason}; the manifest marks the stage aborted; "
                   "fix the cause and re-run the same command to resume", err=True)
        raise typer.Exit(1)
    if stats.done and stats.infrastructure == stats.done:
        typer.echo(f"synth: error: every episode failed on infrastructure (model_error/environment_error); see {run.path}", err=True)
        raise typer.Exit(1)
