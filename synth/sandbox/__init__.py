"""Sandboxes: isolated machines for executing untrusted code (agent commands, test suites).

Sits under the families that run code (today the code family). One small synchronous contract
(`Sandbox`), started through one factory (`start_sandbox`), one implementation on a real Docker
engine (`DockerSandbox`), layered images (`ensure_base`, `build_layer`), and cleanup of leftovers
(`cleanup`). Families name `Sandbox`, `Process` and `start_sandbox` only. See each module for its guarantees.
"""

from ._contract import CHANNEL_BUFFER, DEFAULT_OUTPUT_CAP, ExecResult, Limits, OutputCap, Process, ProcessExited, Sandbox, size_bytes
from ._docker import (
    KIND_LABEL,
    LABEL,
    PID_LABEL,
    DockerProcess,
    DockerSandbox,
    cleanup,
    engine,
    engine_answers,
    install_signal_handlers,
    leftovers,
    remove_live,
)
from ._hostconf import HostSettings, host_settings
from ._images import (
    DEFAULT_SUITE,
    SUITES,
    ImageInfo,
    base_recipe,
    build_layer,
    ensure_base,
    image_exists,
    image_size,
    list_images,
    prune,
)
from ._start import start_sandbox

__all__ = [name for name in dir() if not name.startswith("_")]
