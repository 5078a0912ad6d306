"""One local Ray instance with 2 CPUs per test session (on loopback), shared by the executor tests."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="session")
def ray_executor():  # type: ignore[no-untyped-def]
    import ray

    from synth._executor import RayExecutor, init_local

    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    init_local(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        yield RayExecutor()  # joins the instance above; closing it leaves the instance to this fixture
    finally:
        ray.shutdown()
