"""Prompt rendering: jinja2 with StrictUndefined, so a template that names a missing value fails
loudly at generation time instead of shipping a prompt with a hole in it."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import jinja2

_ENV = jinja2.Environment(
    undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False, trim_blocks=True, lstrip_blocks=True
)


@lru_cache(maxsize=256)
def _compile(source: str) -> jinja2.Template:
    return _ENV.from_string(source)


def render(source: str, **values: Any) -> str:
    """Render a template; an undefined name raises jinja2.UndefinedError."""
    return _compile(source).render(**values).strip()
