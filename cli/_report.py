"""`synth report RUN`: write the run's self-contained HTML report (synth/_report.py) and print its path."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ._app import app


@app.command()
def report(
    run_dir: Annotated[Path, typer.Argument(metavar="RUN", help="Run directory.")],
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="HTML file to write (default RUN/report.html), atomically.")] = None,
    viewer_url: Annotated[str, typer.Option("--viewer-url", help="Where `synth view` serves: the task table links there.")] = "http://127.0.0.1:8321",
) -> None:
    """Write one self-contained HTML report of a run: funnel, soundness, pass rates, endings, tasks.

    Example: synth report runs/trips --out trips.html
    """
    from synth._report import write_report

    typer.echo(write_report(run_dir, out, viewer_url=viewer_url, log=lambda line: typer.echo(f"synth report: {line}", err=True)))
