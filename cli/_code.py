"""Sandbox commands: `synth images base|list|prune` and `synth sandbox cleanup`.

Sits at the top, beside the stage commands; each parses its options, calls `synth.sandbox` and
prints. `synth generate code` is not here: like every family's, it is made from the family's
settings (cli/_generate.py).
"""

from __future__ import annotations

from typing import Annotated

import typer

from ._app import SynthGroup, app, fail

images_app = typer.Typer(cls=SynthGroup, help="Docker images of code environments (base -> env -> task).",
                         no_args_is_help=True, rich_markup_mode=None)
sandbox_app = typer.Typer(cls=SynthGroup, help="Sandbox containers.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(images_app, name="images")
app.add_typer(sandbox_app, name="sandbox")


def _log(message: str) -> None:
    typer.echo(message, err=True)


@images_app.command("base")
def images_base(
    suite: Annotated[str, typer.Option("--suite", help="bullseye (Python 3.9), bookworm (3.11), trixie (3.13).")] = "bookworm",
    source: Annotated[str, typer.Option("--source", help="auto (pull where a registry answers, else debootstrap), pull, debootstrap.")] = "auto",
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Build even if the tag exists.")] = False,
) -> None:
    """Build (or find) the base image; prints its tag.

    Example: synth images base --suite bookworm
    """
    from synth.sandbox import SUITES, ensure_base

    if suite not in SUITES:
        fail(f"--suite {suite!r}: known suites are {', '.join(SUITES)}")
    if source not in ("auto", "pull", "debootstrap"):
        fail(f"--source {source!r}: use auto, pull or debootstrap")
    typer.echo(ensure_base(suite, source=source, rebuild=rebuild, log=_log))


@images_app.command("list")
def images_list() -> None:
    """List synth's images (kind, tag, size, parent)."""
    from synth.sandbox import list_images

    for info in list_images():
        typer.echo(f"{info.kind:5} {info.tag:32} {info.size / 1e6:8.1f} MB  {info.created}  parent {info.parent}")


@images_app.command("prune")
def images_prune(
    include_base: Annotated[bool, typer.Option("--all", help="Remove base images too.")] = False,
) -> None:
    """Remove task and environment images (and base images with --all)."""
    from synth.sandbox import prune

    kinds = ("task", "env", "base") if include_base else ("task", "env")
    typer.echo(f"removed {prune(kinds)} images")


@sandbox_app.command("cleanup")
def sandbox_cleanup(
    everything: Annotated[bool, typer.Option("--all", help="Also remove containers of synth processes still running.")] = False,
) -> None:
    """Remove leftover synth containers (those whose owning process is gone).

    Example: synth sandbox cleanup
    """
    from synth.sandbox import cleanup

    typer.echo(f"removed {cleanup(everything)} containers")
