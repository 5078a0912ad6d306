"""The synth command line (typer). `main` is the console script."""

from . import _core  # noqa: F401  (registers the core stage commands)
from . import _rollout  # noqa: F401  (registers rollout and serve)
from . import _code  # noqa: F401  (registers images and sandbox)
from ._app import app, fail


def main() -> None:
    """Entry point of the `synth` console script."""
    app()


__all__ = ["app", "fail", "main"]
