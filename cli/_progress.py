"""Progress display for long stages (rich, on stderr; quiet when stderr is not a terminal).

The stages take a `progress(description, total)` callable; this is the CLI's: a rich bar with
done/total, elapsed and remaining time, and a note the stage updates (pass rate, rejections).
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Iterator

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn


class Bar:
    """A handle to advance and annotate one progress task."""

    def __init__(self, progress: Progress | None, task: int | None) -> None:
        self._progress = progress
        self._task = task

    def advance(self, n: int = 1, note: str | None = None) -> None:
        if self._progress is not None and self._task is not None:
            fields = {} if note is None else {"note": note}
            self._progress.update(self._task, advance=n, **fields)  # type: ignore[arg-type]


@contextmanager
def progress(description: str, total: int | None, *, enabled: bool | None = None) -> Iterator[Bar]:
    """`with progress("generate", n) as bar: ... bar.advance()`; shown only on a terminal."""
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        yield Bar(None, None)
        return
    console = Console(stderr=True)
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[note]}"),
    )
    with Progress(*columns, console=console, transient=False) as bar_progress:
        task = bar_progress.add_task(description, total=total, note="")
        yield Bar(bar_progress, task)
