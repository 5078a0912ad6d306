"""The synth command line (typer). `main` is the console script."""

from . import _core  # noqa: F401  (registers the core stage commands)
from . import _rollout  # noqa: F401  (registers rollout)
from . import _serve  # noqa: F401  (registers serve and model serve)
from . import _code  # noqa: F401  (registers images and sandbox)
from . import _report  # noqa: F401  (registers report)
from . import _view  # noqa: F401  (registers view)
from . import _corpus  # noqa: F401  (registers corpus)
from ._app import app, fail


def main() -> None:
    """Entry point of the `synth` console script. Messages that stages and families log under the
    `synth` logger (e.g. "building the base image") go to stderr, one line each."""
    import logging
    import sys

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    root = logging.getLogger("synth")
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    _exit_on_termination()
    app()


def _exit_on_termination() -> None:
    """SIGTERM and SIGHUP end synth through SystemExit, as Ctrl-C does through KeyboardInterrupt, so
    cleanup runs: a started model server is stopped, journals are closed, the stage is marked."""
    import signal
    import sys

    def leave(signum: int, frame: object) -> None:
        sys.exit(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(sig) is signal.SIG_DFL:
            signal.signal(sig, leave)


__all__ = ["app", "fail", "main"]
