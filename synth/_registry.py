"""One registry for families, categories and verifiers, filled by decorators.

Sits beside the contract: the core asks it for a name and never imports a family. Built-in families
and verifiers register when `synth.environments` and `synth.verifiers` are imported (`load()` does
this once); third-party packages register through the `synth.plugins` entry-point group. An
unknown name is a ConfigError listing the known names.
"""

from __future__ import annotations

import importlib
from importlib import metadata
from typing import Any, Callable, TypeVar

from ._errors import ConfigError, SynthError, VerifierError
from ._family import Family, FamilyInfo
from ._records import Check, Verdict

F = TypeVar("F")
VerifierFn = Callable[..., "list[Check] | Verdict"]

_families: dict[str, Family] = {}
_categories: dict[str, dict[str, Any]] = {}
_verifiers: dict[str, VerifierFn] = {}
_loaded = False


def register_family(cls: type[Family]) -> type[Family]:
    """Class decorator: register a Family subclass under its `name`."""
    if cls.name in _families:
        raise ValueError(f"family {cls.name!r} is registered twice")
    _families[cls.name] = cls()
    _categories.setdefault(cls.name, {})
    return cls


def register_category(family: str, name: str) -> Callable[[F], F]:
    """Decorator: register a category object (class instance made with no arguments) under a family."""

    def decorate(obj: F) -> F:
        table = _categories.setdefault(family, {})
        if name in table:
            raise ValueError(f"category {family}/{name} is registered twice")
        table[name] = obj() if isinstance(obj, type) else obj
        return obj

    return decorate


def register_verifier(name: str) -> Callable[[VerifierFn], VerifierFn]:
    """Decorator: register a verifier function `fn(record, submission, run, **args)`."""

    def decorate(fn: VerifierFn) -> VerifierFn:
        if name in _verifiers:
            raise ValueError(f"verifier {name!r} is registered twice")
        _verifiers[name] = fn
        return fn

    return decorate


def load() -> None:
    """Import the built-in families and verifiers and any `synth.plugins` entry points (once)."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    importlib.import_module("synth.environments")
    importlib.import_module("synth.verifiers")
    for entry in metadata.entry_points(group="synth.plugins"):
        entry.load()


def _unknown(kind: str, name: str, known: list[str]) -> ConfigError:
    return ConfigError(f"unknown {kind} {name!r}; known: {', '.join(sorted(known)) or '(none)'}")


def family(name: str) -> Family:
    load()
    if name not in _families:
        raise _unknown("family", name, list(_families))
    return _families[name]


def categories(family_name: str) -> dict[str, Any]:
    family(family_name)
    return dict(_categories.get(family_name, {}))


def category(family_name: str, name: str) -> Any:
    table = categories(family_name)
    if name not in table:
        raise _unknown(f"{family_name} category", name, list(table))
    return table[name]


def verifier(name: str) -> VerifierFn:
    load()
    if name not in _verifiers:
        raise _unknown("verifier", name, list(_verifiers))
    return _verifiers[name]


def catalog() -> tuple[list[FamilyInfo], list[str]]:
    """Families with their categories, and verifier names, for `synth list`."""
    load()
    infos = []
    for name, fam in sorted(_families.items()):
        cats = {
            cat: (getattr(obj, "description", "") or "").strip().splitlines()[0] if getattr(obj, "description", "") else ""
            for cat, obj in sorted(_categories.get(name, {}).items())
        }
        infos.append(FamilyInfo(name=name, description=fam.description, categories=cats))
    return infos, sorted(_verifiers)


def grade(record: Any, submission: Any, run: Any, trajectory: Any = None) -> Verdict:
    """Grade `submission` for `record` with its registered verifier. A verifier that crashes or
    cannot grade gives status error, never a plain reward 0."""
    try:
        fn = verifier(record.verifier.name)
    except ConfigError as exc:
        return Verdict.crashed(str(exc))
    try:
        result = fn(record, submission, run, trajectory=trajectory, **record.verifier.args)
    except VerifierError as exc:
        return Verdict.crashed(str(exc))
    except SynthError as exc:
        return Verdict.crashed(f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # the verifier is code under test too: a crash is an error verdict
        return Verdict.crashed(f"verifier {record.verifier.name} crashed: {type(exc).__name__}: {exc}")
    if isinstance(result, Verdict):
        return result
    return Verdict.from_checks(list(result))
