"""Sandbox implementations under test: each runs the same conformance suite."""

from __future__ import annotations

import asyncio

import pytest


@pytest.fixture(params=["docker"])
def sandbox(request, base_image):
    """A started sandbox of each implementation, closed afterwards; yields (sandbox, run)."""
    from synth.sandbox import DockerSandbox

    loop = asyncio.new_event_loop()
    box = loop.run_until_complete(DockerSandbox.start(base_image))
    try:
        yield box, loop.run_until_complete
    finally:
        loop.run_until_complete(box.close())
        loop.close()
