"""The one way families start a sandbox: `start_sandbox(image, ...) -> Sandbox`.

Sits between the families and the implementations: a family names the contract (`Sandbox`) and
this factory, never an implementation, so adding a back-end (a local process, another engine) is a
change here and a new parameter of the conformance suite, not an edit of every family.
"""

from __future__ import annotations

from ._contract import Limits, Sandbox


def start_sandbox(
    image: str, *, limits: Limits = Limits(), kind: str = "agent", mounts: dict[str, str] | None = None,
    env: dict[str, str] | None = None, scratch: dict[str, str | None] | None = None,
) -> Sandbox:
    """A running sandbox of `image` (today a Docker container). `limits` bounds it (network, user,
    memory, pids, CPU); `kind` labels it (agent, test, setup); `mounts` maps host paths to
    read-only paths inside (set-up only: bind mounts show host paths inside; copy files in with
    `put_tree` instead); `env` is given to every command; `scratch` maps writable folders to
    tmpfs sizes (None: `limits.disk`). Close it (or use `with`)."""
    from ._docker import DockerSandbox

    return DockerSandbox.start(image, limits=limits, kind=kind, mounts=mounts, env=env, scratch=scratch)
