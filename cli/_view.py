"""`synth view RUN`: serve the run's read-only trajectory viewer (synth/_viewer.py) until Ctrl-C."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._app import app


@app.command()
def view(
    run_dir: Annotated[Path, typer.Argument(metavar="RUN", help="Run directory.")],
    port: Annotated[int, typer.Option("--port", "-p", min=0, max=65535, help="Port (0: any free port).")] = 8321,
    host: Annotated[str, typer.Option("--host", help="Address to bind; the default serves this machine only.")] = "127.0.0.1",
) -> None:
    """Browse a run's tasks, controls and trajectories in a local, read-only web page.

    Example: synth view runs/trips    (then open http://127.0.0.1:8321/)
    """
    from synth._viewer import Viewer

    viewer = Viewer(run_dir, host=host, port=port, log=lambda line: typer.echo(f"synth view: {line}", err=True))
    tasks = len(viewer.state.index.order)
    typer.echo(f"synth view: {tasks} tasks of {run_dir} at {viewer.url} (read-only; Ctrl-C stops)")
    if host not in ("127.0.0.1", "localhost", "::1"):
        typer.echo(f"synth view: warning: bound to {host}: anyone who can reach it can read this run", err=True)
    try:
        viewer.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        viewer.close()
