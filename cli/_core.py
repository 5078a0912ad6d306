"""Stage commands: verify (and --regrade), export, schema, list. Each parses its arguments, calls
one stage of `synth` and prints; `synth generate FAMILY` is made per family in _generate.py."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from ._app import app, fail
from ._executor import ExecutorKind, ExecutorOption, RayAddressOption, make_executor


@app.command()
def verify(
    run_dir: Annotated[Path, typer.Argument(metavar="RUN", help="Run directory.")],
    regrade: Annotated[
        bool, typer.Option("--regrade", help="Only rescore the stored trajectories (gold and model) with their verifiers; no model, no replay.")
    ] = False,
    executor: ExecutorOption = ExecutorKind.local,
    ray_address: RayAddressOption = None,
) -> None:
    """Prove every tuple sound: gold passes through the tools, every null control fails.

    Example: synth verify runs/trips    (synth verify runs/trips --regrade: rescore rollouts offline)
    """
    from synth import Run
    from synth import verify as verify_stage

    from ._progress import progress

    run = Run.open(run_dir)
    if regrade:
        _regrade(run)
        return
    with make_executor(executor, ray_address) as chosen:
        summary = verify_stage(run, progress=progress, executor=chosen)
    _print_summary(summary)
    if not summary.ok:
        raise typer.Exit(1)


def _regrade(run) -> None:  # type: ignore[no-untyped-def]
    from synth import regrade

    report = regrade(run)
    graded = sum(s.n for s in report.stats.values())
    passed = sum(s.passed for s in report.stats.values())
    typer.echo(
        f"regraded {report.regraded} trajectories ({report.changed} verdicts changed); "
        f"model episodes: {passed}/{graded} pass over {len(report.stats)} tasks"
    )


def _print_summary(summary) -> None:  # type: ignore[no-untyped-def]
    from rich.console import Console
    from rich.table import Table

    table = Table(title="verify")
    for column in ("family", "category", "tuples", "sound", "unsound", "controls", "easy"):
        table.add_column(column, justify="left" if column in ("family", "category") else "right")
    for (fam, cat), row in sorted(summary.rows.items()):
        table.add_row(fam, cat, str(row["tuples"]), str(row["sound"]), str(row["unsound"]), str(row["controls"]),
                      str(row["easy"]))
    console = Console(width=120)
    console.print(table)
    if summary.levels:
        levels = Table(title="baselines: tuples each solved (a tuple any baseline solves is easy, not exported)")
        for column in ("family", "category", "difficulty", "tuples", "easy", "baselines"):
            levels.add_column(column, justify="left" if column in ("family", "category", "baselines") else "right")
        for (fam, cat, difficulty), level in sorted(summary.levels.items()):
            rates = ", ".join(f"{name} {level.passed[name]}/{runs} ({level.passed[name] / runs:.0%})"
                              for name, runs in sorted(level.runs.items()))
            levels.add_row(fam, cat, str(difficulty), str(level.tuples), str(level.easy), rates)
        console.print(levels)
    for key, control, reason in summary.unsound[:50]:
        console.print(f"UNSOUND {key[:16]} {control}: {reason}", markup=False, highlight=False)
    if len(summary.unsound) > 50:
        console.print(f"... and {len(summary.unsound) - 50} more")


class ExportFormat(str, Enum):
    sft = "sft"
    rl = "rl"
    verl = "verl"
    hf = "hf"


class ExportView(str, Enum):
    rl = "rl"
    sft = "sft"


class ExportSource(str, Enum):
    all = "all"
    gold = "gold"
    model = "model"


@app.command()
def export(
    run_dir: Annotated[Path, typer.Argument(metavar="RUN", help="Run directory.")],
    format: Annotated[ExportFormat, typer.Option("--format", "-f", help="sft: verified trajectories; rl: one line per task (JSONL); verl: verl's RL parquet; hf: a Hugging Face datasets folder.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output file, or folder for hf (written atomically).")],
    source: Annotated[ExportSource, typer.Option("--source", help="For sft: gold, model or all trajectories.")] = ExportSource.all,
    pass_rate: Annotated[
        Optional[str],
        typer.Option("--pass-rate", metavar="RANGE", help="Keep tasks whose model rollouts pass at a rate in RANGE, e.g. '(0,1]' (non-zero pass rate) or '[0.1,0.9]'."),
    ] = None,
    model: Annotated[Optional[str], typer.Option("--model", help="Only this model's rollouts (for sft lines and --pass-rate).")] = None,
    keep_easy: Annotated[
        bool, typer.Option("--keep-easy", help="Also export tuples a baseline agent solved (left out by default).")
    ] = False,
    view: Annotated[ExportView, typer.Option("--view", help="For hf: rl (one row per task, TRL's prompt form) or sft (one row per verified trajectory, TRL's messages form).")] = ExportView.rl,
    arguments_as_text: Annotated[
        bool, typer.Option("--arguments-as-text", help="For hf --view sft: keep tool-call arguments as JSON text (default: objects, TRL's dataset format).")
    ] = False,
    empty_content: Annotated[
        bool, typer.Option("--empty-content", help="For hf --view sft: \"\" instead of null content (for chat templates that read message['content'], e.g. SmolLM2's).")
    ] = False,
) -> None:
    """Export verified data as JSONL for SFT or RL.

    Example: synth export runs/trips --format sft --out trips.sft.jsonl
    (synth export runs/trips --format rl --pass-rate '(0,1)' --out hard.rl.jsonl: tasks neither always nor never solved)
    (synth export runs/trips --format verl --out trips.parquet: also trips.tools.yaml, verl's tool config;
    synth export runs/trips --format hf --out trips.hf)
    """
    from synth import ExportSettings, Run, easy_keys
    from synth import export as export_stage

    run = Run.open(run_dir)
    settings = ExportSettings(format=format.value, out=out, source=source.value, pass_rate=pass_rate, model=model,
                              keep_easy=keep_easy, view=view.value,
                              arguments="text" if arguments_as_text else "object", empty_content=empty_content)
    count = export_stage(run, settings)
    easy = 0 if keep_easy else len(easy_keys(run))
    typer.echo(f"{count} {format.value} records -> {out}"
               + (f" ({easy} easy tuples left out: a baseline solved them; --keep-easy keeps them)" if easy else ""))


@app.command()
def schema(
    record: Annotated[Optional[str], typer.Argument(help="One record type; default: all.")] = None,
) -> None:
    """Print the JSON Schema of synth's records.

    Example: synth schema TupleRecord
    """
    from synth import records

    known = records()
    if record is not None and record not in known:
        fail(f"unknown record type {record!r}; known: {', '.join(known)}")
    chosen = [record] if record else list(known)
    schemas = {name: known[name].model_json_schema() for name in chosen}
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
