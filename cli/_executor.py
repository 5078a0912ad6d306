"""The `--executor local|ray` and `--ray-address` options that generate, verify and rollout share."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any, Optional

import typer


class ExecutorKind(str, Enum):
    local = "local"
    ray = "ray"


ExecutorOption = Annotated[
    ExecutorKind,
    typer.Option("--executor", help="local: this process; ray: work items on Ray workers (same records, appended here)."),
]
RayAddressOption = Annotated[
    Optional[str],
    typer.Option("--ray-address", metavar="ADDR", help="Join this Ray cluster (e.g. auto, or HEAD:6379); default: start a local Ray."),
]


def make_executor(kind: ExecutorKind, address: str | None) -> Any:
    """The executor to hand a stage (close it when the stage is done)."""
    from synth._executor import executor

    return executor(kind.value, address)
