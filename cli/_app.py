"""The `synth` command line: one sub-command per stage, at the top of the data flow.

Every bad input (unknown name, bad flag value, unreadable or foreign run directory, malformed
JSONL) ends with one line `synth: error: ...` on stderr and exit code 2, and writes nothing
partial. Heavy imports happen inside command bodies so `synth --help` stays fast.
"""

from __future__ import annotations

import sys
from typing import Any

import typer
from typer.core import TyperGroup

from synth import SynthError


# typer ships click (vendored in recent releases); reach its exception classes through a public name
_CLICK_ERRORS = {cls.__name__: cls for cls in typer.BadParameter.__mro__}
ClickException: type[Exception] = _CLICK_ERRORS["ClickException"]
UsageError: type[Exception] = _CLICK_ERRORS["UsageError"]


def fail(message: str, code: int = 2) -> None:
    """Print one error line and exit."""
    line = " ".join(str(message).split())
    typer.echo(f"synth: error: {line}", err=True)
    sys.exit(code)


class SynthGroup(TyperGroup):
    """Runs commands with one-line errors and exit code 2 for every bad input."""

    def main(self, args: Any = None, prog_name: Any = None, complete_var: Any = None, standalone_mode: bool = True, **extra: Any) -> Any:  # type: ignore[override]
        try:
            rv = super().main(args=args, prog_name=prog_name or "synth", complete_var=complete_var, standalone_mode=False, **extra)
        except UsageError as exc:
            ctx = getattr(exc, "ctx", None)
            if type(exc).__name__ == "NoArgsIsHelpError":
                typer.echo(exc.format_message(), err=True)  # type: ignore[attr-defined]
                sys.exit(2)
            where = f"{ctx.command_path}: " if ctx is not None and ctx.command_path != "synth" else ""
            fail(where + exc.format_message())  # type: ignore[attr-defined]
        except ClickException as exc:
            fail(exc.format_message())  # type: ignore[attr-defined]
        except SynthError as exc:
            fail(str(exc))
        except (typer.Abort, KeyboardInterrupt):
            typer.echo("synth: interrupted; re-run the same command to resume", err=True)
            sys.exit(130)
        sys.exit(rv if isinstance(rv, int) else 0)


app = typer.Typer(
    cls=SynthGroup,
    name="synth",
    help="Make verifiable <environment, tools, task, verifier> tuples, roll models through them, export training data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
class GenerateGroup(SynthGroup):
    """The `generate` group: one sub-command per registered family, made from the family's settings
    model when asked for (cli/_generate.py), so a new family needs no CLI code."""

    def list_commands(self, ctx: Any) -> list[str]:
        from synth import families

        return list(families())

    def get_command(self, ctx: Any, name: str) -> Any:
        from ._generate import get_command

        return get_command(name)


generate_app = typer.Typer(
    cls=GenerateGroup,
    help="Generate tuples of one family into a run directory (re-run the same command to resume).",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(generate_app, name="generate")
