"""`synth generate FAMILY`: one sub-command per registered family, built from its settings model.

Sits at the top of the generate stage. The commands are made when asked for (so `synth --help`
loads no family): each field of `Family.settings` becomes an option `--field-name` with the field's
docstring as help, its default shown, numeric bounds enforced by the parser, `Flag` metadata as
extra names, `bool` as `--x/--no-x`, `Literal` as a choice, `list[...]` as a repeatable option.
A new family (a `synth.plugins` entry point) gets its command with no CLI code. Errors are one
line naming the option, exit 2.
"""

from __future__ import annotations

import enum
import inspect
import types
import typing
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import typer

from synth import Family, Flag

from ._app import SynthGroup, fail
from ._executor import ExecutorKind, ExecutorOption, RayAddressOption, make_executor


def _option_names(name: str, info: Any) -> list[str]:
    names = [f"--{name.replace('_', '-')}"]
    for meta in info.metadata:
        if isinstance(meta, Flag):
            names += list(meta.names)
    return names


def _bounds(info: Any) -> dict[str, Any]:
    """Inclusive numeric bounds of a field as typer's min/max (open bounds are left to pydantic)."""
    found: dict[str, Any] = {}
    for meta in info.metadata:
        if getattr(meta, "ge", None) is not None:
            found["min"] = meta.ge
        if getattr(meta, "le", None) is not None:
            found["max"] = meta.le
    return found


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """(the annotation without Optional, whether None is allowed)."""
    origin = typing.get_origin(annotation)
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False


def _parameter(name: str, info: Any) -> tuple[inspect.Parameter, Any]:
    """A typer parameter for one settings field, and a function turning its parsed value back."""
    annotation, optional = _unwrap(info.annotation)
    convert: Any = lambda value: value  # noqa: E731
    help_text = (info.description or "").strip()
    names = _option_names(name, info)
    default = info.get_default(call_default_factory=True) if not info.is_required() else ...
    origin = typing.get_origin(annotation)
    if origin is Literal:
        choices = [str(c) for c in typing.get_args(annotation)]
        choice = enum.Enum(f"{name}_choice", {c: c for c in choices}, type=str)  # type: ignore[misc]
        annotation = choice
        default = choice(default) if default not in (..., None) else default
        convert = lambda value: None if value is None else value.value  # noqa: E731
    elif origin in (list, tuple, set):
        item = (typing.get_args(annotation) or (str,))[0]
        annotation = list[item]  # type: ignore[valid-type]
        default = list(default) if default not in (..., None) else ([] if default is ... else default)
        convert = lambda value: list(value or [])  # noqa: E731
    extra: dict[str, Any] = {}
    if origin in (list, tuple, set):
        extra["metavar"] = getattr(typing.get_args(annotation)[0], "__name__", "value").upper()
    if annotation is bool:
        base = names[0][2:]
        names = [f"--{base}/--no-{base}", *names[1:]]
    if optional and annotation is not bool:
        annotation = typing.Optional[annotation]
    option = typer.Option(*names, help=help_text, show_default=default not in (..., None, []), **_bounds(info),
                          **extra)
    parameter = inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default,
                                  annotation=Annotated[annotation, option])
    return parameter, convert


def command_for(fam: Family) -> Any:
    """The click command of `synth generate FAM` (made through typer from a synthetic signature)."""
    out = inspect.Parameter("out", inspect.Parameter.KEYWORD_ONLY,
                            annotation=Annotated[Path, typer.Option("--out", "-o", help="Run directory to create or resume.")])
    executor = inspect.Parameter("executor", inspect.Parameter.KEYWORD_ONLY, default=ExecutorKind.local, annotation=ExecutorOption)
    ray_address = inspect.Parameter("ray_address", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=RayAddressOption)
    parameters, converters = [out, executor, ray_address], {}
    for name, info in fam.settings.model_fields.items():
        parameter, convert = _parameter(name, info)
        parameters.append(parameter)
        converters[name] = convert

    def generate(**values: Any) -> None:
        from pydantic import ValidationError

        from synth import generate as generate_stage

        from ._progress import progress

        target = values.pop("out")
        kind, address = values.pop("executor"), values.pop("ray_address")
        chosen = {name: converters[name](value) for name, value in values.items()}
        try:
            settings = fam.settings.model_validate(chosen)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = f"--{str(first['loc'][0]).replace('_', '-')}: " if first["loc"] else ""
            fail(where + first["msg"].removeprefix("Value error, "))
        with make_executor(kind, address) as chosen:
            report = generate_stage(target, fam, settings, progress=progress, executor=chosen)
        rejected = f"; {report.rejected} candidates rejected, reasons in {Path(target) / 'rejections.jsonl'}" if report.rejected else ""
        typer.echo(f"{report.tuples} tuples in {target} ({report.new} new{rejected})")

    generate.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    generate.__doc__ = f"Generate {fam.name} tuples: {fam.description}\n\n{_examples(fam)}"
    sub = typer.Typer(cls=SynthGroup, add_completion=False, rich_markup_mode=None)
    sub.command(fam.name)(generate)
    return typer.main.get_command(sub)


def _examples(fam: Family) -> str:
    lines = fam.examples or (f"synth generate {fam.name} --out runs/{fam.name}",)
    return "Examples:\n\n\b\n" + "\n".join(f"  {line}" for line in lines)


def get_command(name: str) -> Any:
    """The command of family `name`, or None when no such family is registered."""
    from synth import families

    fam = families().get(name)
    return None if fam is None else command_for(fam)
