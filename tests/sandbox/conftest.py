"""Sandbox implementations under test: each runs the same conformance suite through the contract.

An implementation is a way to start a `Sandbox` and a way to tell that a closed one released
everything it held. A new back-end adds one entry to `IMPLEMENTATIONS` (with the marker of what it
needs) and is then held to every test of test_conformance.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pytest

from synth.sandbox import Sandbox


@dataclass
class Implementation:
    name: str
    start: Callable[[], Sandbox]
    """A started sandbox with the default limits (no network, uid 1000)."""
    released: Callable[[Sandbox], bool]
    """Whether a closed sandbox left nothing behind."""


def _docker(request: pytest.FixtureRequest) -> Implementation:
    from synth.sandbox import engine, start_sandbox

    image = request.getfixturevalue("base_image")

    def released(box: Sandbox) -> bool:
        return not engine().containers.list(all=True, filters={"id": box.id})  # type: ignore[attr-defined]

    return Implementation("docker", lambda: start_sandbox(image, kind="test"), released)


IMPLEMENTATIONS = [pytest.param(_docker, id="docker", marks=pytest.mark.docker)]


@pytest.fixture(params=IMPLEMENTATIONS)
def implementation(request: pytest.FixtureRequest) -> Implementation:
    return request.param(request)


@pytest.fixture
def sandbox(implementation: Implementation):
    """A started sandbox of each implementation, closed afterwards."""
    box = implementation.start()
    try:
        yield box
    finally:
        box.close()
