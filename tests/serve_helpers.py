"""Helpers of the serving tests: `synth serve`'s app in this process (uvicorn in a thread on
127.0.0.1, a free port) and the gold answers of a run."""

from __future__ import annotations

import contextlib
import threading
import time
from pathlib import Path
from typing import Any, Iterator

from synth import Run


@contextlib.contextmanager
def serving(run: Path, **options: Any) -> Iterator[tuple[str, Any]]:
    """(base URL, app) of `synth serve RUN` with `options`, until the block ends."""
    import uvicorn

    from synth._openenv import make_app

    app = make_app(run, **options)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", app
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        if app.state.synth_recorder is not None:
            app.state.synth_recorder.close()


def gold_answers(run: Path) -> dict[str, Any]:
    return {t.task_key: t.submission for t in Run.open(run).trajectories() if t.source == "gold"}
