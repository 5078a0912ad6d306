"""Sandbox implementations under test: each runs the same conformance suite."""

from __future__ import annotations

import asyncio

import pytest


def require_docker() -> None:
    """Session fixtures are set up before the suite's per-test Docker check: apply it here too
    (skip locally without an engine, fail under CI)."""
    import os

    from synth.sandbox import engine_answers

    if engine_answers():
        return
    if os.environ.get("CI") == "true":
        pytest.fail("no Docker engine answers under CI (make test should have started dockerd)")
    pytest.skip("no Docker engine answers (make test starts one)")


@pytest.fixture(scope="session")
def base_image() -> str:
    from synth.sandbox import ensure_base

    require_docker()
    return ensure_base()


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
