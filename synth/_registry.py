"""One registry for families, categories, verifiers and record types, filled by decorators.

Sits beside the contract: the core asks it for a name and imports no family. Every family and
verifier, built-in or third-party, arrives the same way: a distribution declares an entry point in
the `synth.plugins` group whose module registers things with the decorators below when imported
(`load()` imports each one once, on first lookup). synth's own families are entry points of synth's
own `pyproject.toml`. An unknown name is a ConfigError listing the known names.
"""

from __future__ import annotations

import threading
from importlib import metadata
from typing import Any, Callable, TypeVar

from pydantic import BaseModel

from ._errors import ConfigError, SubmissionError, SynthError, VerifierError
from ._family import Category, Family, FamilyInfo
from ._records import Check, Verdict

F = TypeVar("F")
M = TypeVar("M", bound=type[BaseModel])
VerifierFn = Callable[..., "list[Check] | Verdict"]

PLUGIN_GROUP = "synth.plugins"

_families: dict[str, Family] = {}
_categories: dict[str, dict[str, Category]] = {}
_verifiers: dict[str, VerifierFn] = {}
_records: dict[str, type[BaseModel]] = {}
_loaded = False
_loading = False
_load_lock = threading.RLock()
"""Held while the plug-ins import: a second thread waits for a full registry instead of reading a
half-filled one; the importing thread may re-enter `load` (a plug-in's import asks the registry)."""


def register_family(cls: type[Family]) -> type[Family]:
    """Class decorator: register a Family subclass under its `name`."""
    if cls.name in _families:
        raise ValueError(f"family {cls.name!r} is registered twice")
    _families[cls.name] = cls()
    _categories.setdefault(cls.name, {})
    return cls


def register_category(family: str, name: str) -> Callable[[F], F]:
    """Decorator: register a category (a class, instantiated with no arguments, or an instance)
    under a family. It must have `name` and `description` (the `Category` protocol)."""

    def decorate(obj: F) -> F:
        table = _categories.setdefault(family, {})
        if name in table:
            raise ValueError(f"category {family}/{name} is registered twice")
        instance = obj() if isinstance(obj, type) else obj
        if not isinstance(instance, Category):
            raise TypeError(f"category {family}/{name} needs a name and a description")
        table[name] = instance
        return obj

    return decorate


def register_verifier(name: str) -> Callable[[VerifierFn], VerifierFn]:
    """Decorator: register a verifier function `fn(record, submission, run, *, trajectory, **args)`."""

    def decorate(fn: VerifierFn) -> VerifierFn:
        if name in _verifiers:
            raise ValueError(f"verifier {name!r} is registered twice")
        _verifiers[name] = fn
        return fn

    return decorate


def register_record(model: M) -> M:
    """Class decorator: list a pydantic record type in `synth schema` (files a family writes)."""
    known = _records.get(model.__name__)
    if known is not None and known is not model:
        raise ValueError(f"record type {model.__name__!r} is registered twice")
    _records[model.__name__] = model
    return model


def load() -> None:
    """Import every `synth.plugins` entry point (once). A plug-in that fails to import is a
    ConfigError naming it, never a half-filled registry that fails later."""
    global _loaded, _loading
    if _loaded:
        return
    with _load_lock:
        if _loaded or _loading:
            return
        _loading = True
        try:
            for entry in sorted(metadata.entry_points(group=PLUGIN_GROUP), key=lambda e: e.name):
                try:
                    entry.load()
                except Exception as exc:
                    raise ConfigError(f"plug-in {entry.name} ({entry.value}) failed to load: {type(exc).__name__}: {exc}") from exc
        finally:
            _loading = False
            _loaded = True


def _unknown(kind: str, name: str, known: list[str]) -> ConfigError:
    return ConfigError(f"unknown {kind} {name!r}; known: {', '.join(sorted(known)) or '(none)'}")


def families() -> dict[str, Family]:
    load()
    return dict(sorted(_families.items()))


def family(name: str) -> Family:
    load()
    if name not in _families:
        raise _unknown("family", name, list(_families))
    return _families[name]


def categories(family_name: str) -> dict[str, Category]:
    family(family_name)
    return dict(_categories.get(family_name, {}))


def category(family_name: str, name: str) -> Category:
    table = categories(family_name)
    if name not in table:
        raise _unknown(f"{family_name} category", name, list(table))
    return table[name]


def verifier(name: str) -> VerifierFn:
    load()
    if name not in _verifiers:
        raise _unknown("verifier", name, list(_verifiers))
    return _verifiers[name]


def records() -> dict[str, type[BaseModel]]:
    """Every registered record type by name (core records first, then the plug-ins')."""
    load()
    return dict(_records)


def catalog() -> tuple[list[FamilyInfo], list[str]]:
    """Families with their categories, and verifier names, for `synth list`."""
    load()
    infos = []
    for name, fam in sorted(_families.items()):
        cats = {cat: (obj.description or "").strip().splitlines()[0] if obj.description else ""
                for cat, obj in sorted(_categories.get(name, {}).items())}
        infos.append(FamilyInfo(name=name, description=fam.description, categories=cats))
    return infos, sorted(_verifiers)


def _submission_fault(exc: BaseException) -> bool:
    """Whether a verifier's crash comes from the size of what it was given, not from its code:
    nesting past the interpreter's recursion limit, or an integer past the digits Python converts."""
    return isinstance(exc, RecursionError) or (
        isinstance(exc, ValueError) and "integer string conversion" in str(exc))


def grade(record: Any, submission: Any, run: Any, trajectory: Any = None) -> Verdict:
    """Grade `submission` for `record` with its registered verifier. A submission that cannot be
    graded as it is (a `SubmissionError`, or a crash its sheer size causes: too deep, a number too
    long) is a fail with the reason on a named check, reward 0: the answer's fault, counted like
    any wrong answer. A verifier that crashes otherwise, or cannot grade, gives status error, never
    a plain reward 0."""
    try:
        fn = verifier(record.verifier.name)
    except ConfigError as exc:
        return Verdict.crashed(str(exc))
    try:
        result = fn(record, submission, run, trajectory=trajectory, **record.verifier.args)
    except SubmissionError as exc:
        return Verdict.from_checks([Check(name=exc.check, passed=False, message=str(exc))])
    except VerifierError as exc:
        return Verdict.crashed(str(exc))
    except SynthError as exc:
        return Verdict.crashed(f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # the verifier is code under test too: a crash is an error verdict
        if _submission_fault(exc):
            return Verdict.from_checks([Check(name="submission", passed=False, message=(
                f"the submission is too large to grade: {type(exc).__name__}: {str(exc)[:200]}"))])
        return Verdict.crashed(f"verifier {record.verifier.name} crashed: {type(exc).__name__}: {exc}")
    if isinstance(result, Verdict):
        return result
    return Verdict.from_checks(list(result))


def _register_core() -> None:
    from . import _lines as lines
    from . import _records as r

    for model in (r.TupleRecord, r.EnvironmentSpec, r.TaskSpec, r.VerifierSpec, r.ToolSpec, r.Verdict, r.VerdictRecord,
                  r.Trajectory, r.Rejection, lines.SFTLine, lines.RLLine):
        register_record(model)


_register_core()
