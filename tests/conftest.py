"""Suite-wide settings. Docker tests need an answering engine: locally they are skipped without
one; under CI (CI=true) a missing engine fails them, since `make test` starts one there."""

from __future__ import annotations

import functools
import os
import subprocess

import pytest


@functools.cache
def docker_answers() -> bool:
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.fixture(autouse=True)
def _needs_docker(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("docker") is None or docker_answers():
        return
    if os.environ.get("CI") == "true":
        pytest.fail("no Docker engine answers under CI (make test should have started dockerd)")
    pytest.skip("no Docker engine answers (make test starts one)")
