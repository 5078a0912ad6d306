"""Suite-wide settings. Docker tests need an answering engine: locally they are skipped without
one; under CI (CI=true) a missing engine fails them, since `make test` starts one there."""

from __future__ import annotations

import functools
import os

import pytest


@functools.cache
def docker_answers() -> bool:
    from synth.sandbox import engine_answers

    return engine_answers()


def require_docker() -> None:
    """Skip without an engine locally; fail under CI, where `make test` must have started one."""
    if docker_answers():
        return
    if os.environ.get("CI") == "true":
        pytest.fail("no Docker engine answers under CI (make test should have started dockerd)")
    pytest.skip("no Docker engine answers (make test starts one)")


@pytest.fixture(autouse=True)
def _needs_docker(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("docker") is not None:
        require_docker()


@pytest.fixture(scope="session")
def base_image() -> str:
    """The sandbox base image, built once per machine (cached by its recipe hash). Session fixtures
    are set up before the per-test Docker check, so it applies the check itself."""
    from synth.sandbox import ensure_base

    require_docker()
    return ensure_base()
