"""Stage commands of the core: generate general, verify, export, schema, list."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from ._app import app, fail, generate_app


@generate_app.command("general")
def generate_general(
    out: Annotated[Path, typer.Option("--out", "-o", help="Run directory to create or resume.")],
    category: Annotated[
        Optional[list[str]], typer.Option("--category", "-c", help="Category (repeatable); default: every category.")
    ] = None,
    n: Annotated[int, typer.Option("--n", min=1, max=1_000_000, help="Tuples per category.")] = 10,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Seed; (category, seed, index, difficulty) fixes a tuple.")] = 0,
    difficulty: Annotated[int, typer.Option("--difficulty", "-d", min=1, max=5, help="1 (easy) .. 5 (hard).")] = 3,
) -> None:
    """Generate general constraint tuples.

    Example: synth generate general --category trip_planning --n 20 --seed 1 --difficulty 3 --out runs/trips
    """
    from synth import TupleRecord, family, load
    from synth import category as find_category
    from synth._progress import progress
    from synth._store import Run
    from synth._verify import TUPLES

    load()
    fam = family("general")
    names = sorted(set(category)) if category else sorted(fam.categories())
    for name in names:
        find_category("general", name)  # unknown names fail before anything is written
    run = Run.create(out)
    run.begin("generate", {"family": "general", "categories": names, "n": n, "seed": seed, "difficulty": difficulty})
    journal = run.journal(TUPLES, TupleRecord)
    done = {(t.environment.category, t.environment.index) for t in journal}
    todo = [(name, i) for name in names for i in range(n) if (name, i) not in done]
    with journal, progress("generate", len(names) * n) as bar:
        bar.advance(len(names) * n - len(todo))
        for name, index in todo:
            journal.append(fam.build_tuple(run, name, seed, index, difficulty))  # type: ignore[attr-defined]
            bar.advance()
    run.finish("generate", tuples=len(names) * n)
    typer.echo(f"{len(names) * n} tuples in {out} ({len(todo)} new)")


@app.command()
def verify(
    run_dir: Annotated[Path, typer.Argument(metavar="RUN", help="Run directory.")],
    regrade: Annotated[
        bool, typer.Option("--regrade", help="Only rescore the stored trajectories (gold and model) with their verifiers; no model, no replay.")
    ] = False,
) -> None:
    """Prove every tuple sound: gold passes through the tools, every null control fails.

    Example: synth verify runs/trips    (synth verify runs/trips --regrade: rescore rollouts offline)
    """
    from synth._progress import progress
    from synth._store import Run
    from synth._verify import TUPLES, verify_run
    from synth import TupleRecord

    run = Run.open(run_dir)
    if regrade:
        _regrade(run)
        return
    generated = run.stage("generate")
    if generated is not None and not generated.get("complete"):
        fail(f"generation of {run_dir} did not finish; re-run the same synth generate command to complete it")
    total = sum(1 for _ in run.journal(TUPLES, TupleRecord))
    if total == 0:
        fail(f"run {run_dir} holds no tuples; run synth generate first")
    run.begin("verify", {})
    with progress("verify", total) as bar:
        summary = verify_run(run, bar)
    _print_summary(summary)
    run.finish("verify", sound=sum(r["sound"] for r in summary.rows.values()), unsound=len({k for k, _, _ in summary.unsound}))
    if not summary.ok:
        raise typer.Exit(1)


def _regrade(run) -> None:  # type: ignore[no-untyped-def]
    from synth._rollout import regrade_run, task_stats

    if not (run.path / "trajectories.jsonl").exists():
        fail(f"run {run.path} holds no trajectories to regrade; run synth verify or synth rollout first")
    counts = regrade_run(run)
    stats = task_stats(run)
    graded = sum(s.n for s in stats.values())
    passed = sum(s.passed for s in stats.values())
    typer.echo(
        f"regraded {counts['regraded']} trajectories ({counts['changed']} verdicts changed); "
        f"model episodes: {passed}/{graded} pass over {len(stats)} tasks"
    )


def _print_summary(summary) -> None:  # type: ignore[no-untyped-def]
    from rich.console import Console
    from rich.table import Table

    table = Table(title="verify")
    for column in ("family", "category", "tuples", "sound", "unsound", "controls"):
        table.add_column(column, justify="left" if column in ("family", "category") else "right")
    for (fam, cat), row in sorted(summary.rows.items()):
        table.add_row(fam, cat, str(row["tuples"]), str(row["sound"]), str(row["unsound"]), str(row["controls"]))
    console = Console(width=120)
    console.print(table)
    for key, control, reason in summary.unsound[:50]:
        console.print(f"UNSOUND {key[:16]} {control}: {reason}", markup=False, highlight=False)
    if len(summary.unsound) > 50:
        console.print(f"... and {len(summary.unsound) - 50} more")


class ExportFormat(str, Enum):
    sft = "sft"
    rl = "rl"


class ExportSource(str, Enum):
    all = "all"
    gold = "gold"
    model = "model"


@app.command()
def export(
    run_dir: Annotated[Path, typer.Argument(metavar="RUN", help="Run directory.")],
    format: Annotated[ExportFormat, typer.Option("--format", "-f", help="sft: verified trajectories; rl: one line per task.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output JSONL file (written atomically).")],
    source: Annotated[ExportSource, typer.Option("--source", help="For sft: gold, model or all trajectories.")] = ExportSource.all,
    pass_rate: Annotated[
        Optional[str],
        typer.Option("--pass-rate", metavar="RANGE", help="Keep tasks whose model rollouts pass at a rate in RANGE, e.g. '(0,1]' (non-zero pass rate) or '[0.1,0.9]'."),
    ] = None,
    model: Annotated[Optional[str], typer.Option("--model", help="Only this model's rollouts (for sft lines and --pass-rate).")] = None,
) -> None:
    """Export verified data as JSONL for SFT or RL.

    Example: synth export runs/trips --format sft --out trips.sft.jsonl
    (synth export runs/trips --format rl --pass-rate '(0,1)' --out hard.rl.jsonl: tasks neither always nor never solved)
    """
    from synth._export import PassRange, keys_in_range, rl_lines, sft_lines, write_jsonl
    from synth._store import Run

    run = Run.open(run_dir)
    if out.is_dir():
        fail(f"--out {out} is a directory; give a file name")
    keys = keys_in_range(run, PassRange(pass_rate), model) if pass_rate is not None else None
    lines = sft_lines(run, source.value, keys=keys, model=model) if format is ExportFormat.sft else rl_lines(run, keys)
    count = write_jsonl(lines, out)
    typer.echo(f"{count} {format.value} records -> {out}")


@app.command()
def schema(
    record: Annotated[Optional[str], typer.Argument(help="One record type; default: all.")] = None,
) -> None:
    """Print the JSON Schema of synth's records.

    Example: synth schema TupleRecord
    """
    import synth

    names = ["TupleRecord", "EnvironmentSpec", "TaskSpec", "VerifierSpec", "ToolSpec", "Verdict", "VerdictRecord", "Trajectory"]
    if record is not None and record not in names:
        fail(f"unknown record type {record!r}; known: {', '.join(names)}")
    chosen = [record] if record else names
    schemas = {name: getattr(synth, name).model_json_schema() for name in chosen}
    typer.echo(json.dumps(schemas[record] if record else schemas, indent=2))


@app.command("list")
def list_(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """List registered families, categories and verifiers."""
    from synth import catalog

    families, verifiers = catalog()
    if as_json:
        typer.echo(json.dumps({"families": [f.__dict__ for f in families], "verifiers": verifiers}, indent=2))
        return
    for fam in families:
        typer.echo(f"family {fam.name}: {fam.description}")
        for name, text in fam.categories.items():
            typer.echo(f"  category {name}: {text}")
    typer.echo("verifiers: " + ", ".join(verifiers))
