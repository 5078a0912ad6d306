"""Executors: where the work items of a stage run, in this process or on a Ray cluster.

Sits under the stages (generate, verify, rollout) and over nothing but the core: a stage hands an
executor a picklable function and its work items (candidates, tuples, episodes) and gets the
results back *in the order of the items*, in this process, where the stage's one writer appends
them to the run's journals. So the records are the same bytes whichever executor ran them, and
resume works the same (a killed stage loses only results not yet appended).

- `LocalExecutor`: calls the function item by item, lazily, exactly as a stage without an executor
  (nothing runs ahead; a generate that reaches its target builds nothing more).
- `RayExecutor`: sends items to Ray tasks (`map`) or to a pool of async Ray actors (`amap`, for
  I/O-bound coroutines such as model episodes), keeping a bounded window in flight, and re-raises
  a task's own exception here (a `SynthError` stays a one-line error). A local instance listens on
  127.0.0.1 only, every server of it (`init_local`). `address` joins an existing
  cluster (`ray start --head` on one node, `ray start --address HEAD:6379` on the others); without
  it a local Ray instance starts, and stops when the executor closes. Workers import synth from
  their own environment (install the same synth everywhere) and read and write the run directory
  at the same path (a shared filesystem when there are several nodes).

A function that needs process-wide set-up on a worker (a family's `prepare()`: an engine check,
signal handlers) passes `setup`, run once per worker process before its first item.
"""

from __future__ import annotations

import collections
import os
import pickle
from typing import Any, AsyncIterator, Awaitable, Callable, Iterable, Iterator, Literal, TypeVar

from ._errors import ConfigError

T = TypeVar("T")
R = TypeVar("R")
Kind = Literal["local", "ray"]

_done_setups: set[Any] = set()


def _setup_once(setup: Callable[[], None] | None) -> None:
    if setup is None:
        return
    key = pickle.dumps(setup)  # a picklable call, e.g. functools.partial(fn, names): equal calls run once
    if key not in _done_setups:
        setup()
        _done_setups.add(key)


def _call(fn: Callable[[Any, T], R], shared: Any, item: T, setup: Callable[[], None] | None) -> R:
    """What a Ray task runs: the set-up once per worker process, then the function."""
    _setup_once(setup)
    return fn(shared, item)


class Executor:
    """Runs `fn(shared, item)` for each item; results come back in item order."""

    name: str = "local"
    remote: bool = False
    """Items run in other processes (results must be picklable; families come from the registry)."""

    def map(self, fn: Callable[[Any, T], R], items: Iterable[T], *, shared: Any = None,
            setup: Callable[[], None] | None = None) -> Iterator[R]:
        _setup_once(setup)
        for item in items:
            yield fn(shared, item)

    def amap(self, fn: Callable[[Any, T], Awaitable[R]], items: Iterable[T], *, shared: Any = None,
             setup: Callable[[], None] | None = None, concurrency: int = 1) -> AsyncIterator[R]:
        """Coroutines, `concurrency` in flight, results in item order."""
        raise NotImplementedError("the local executor runs coroutines on the stage's own event loop")

    def close(self) -> None:
        pass

    def __enter__(self) -> "Executor":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


LocalExecutor = Executor


class _Worker:
    """An async Ray actor: runs coroutine functions on its own event loop, many at once."""

    def __init__(self, setup: Callable[[], None] | None) -> None:
        _setup_once(setup)

    async def call(self, fn: Callable[[Any, Any], Awaitable[Any]], shared: Any, item: Any) -> Any:
        return await fn(shared, item)


class RayExecutor(Executor):
    """Work items on Ray (see the module docstring)."""

    name = "ray"
    remote = True

    def __init__(self, address: str | None = None, *, window: int | None = None) -> None:
        try:
            import ray
        except ImportError:
            raise ConfigError("--executor ray needs Ray: pip install 'synth[ray]'") from None
        self.ray = ray
        self.started = False
        if address is not None:
            _answers(address)
        if not ray.is_initialized():
            os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
            # a local instance lives on loopback only; a cluster's nodes are where `ray start` put them
            try:
                if address is None:
                    init_local(include_dashboard=False, log_to_driver=False, configure_logging=False, ignore_reinit_error=True)
                else:
                    ray.init(address=address, include_dashboard=False, log_to_driver=False, configure_logging=False,
                             ignore_reinit_error=True)
            except ConnectionError as exc:
                raise ConfigError(f"--ray-address {address}: no Ray cluster answers ({' '.join(str(exc).split())[:200]})") from None
            self.started = address is None
        self.cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
        self.window = window or 2 * self.cpus
        self._task = ray.remote(_call)
        self._actor = ray.remote(_Worker)

    def _result(self, ref: Any) -> Any:
        try:
            return self.ray.get(ref)
        except self.ray.exceptions.RayTaskError as exc:
            raise exc.as_instanceof_cause() from None

    def map(self, fn: Callable[[Any, T], R], items: Iterable[T], *, shared: Any = None,
            setup: Callable[[], None] | None = None) -> Iterator[R]:
        shared_ref = self.ray.put(shared)
        pending: collections.deque[Any] = collections.deque()
        try:
            for item in items:
                pending.append(self._task.remote(fn, shared_ref, item, setup))
                if len(pending) >= self.window:
                    yield self._result(pending.popleft())
            while pending:
                yield self._result(pending.popleft())
        finally:
            for ref in pending:  # the stage stopped early (a target reached, an error): drop the rest
                self.ray.cancel(ref)

    async def amap(self, fn: Callable[[Any, T], Awaitable[R]], items: Iterable[T], *, shared: Any = None,  # type: ignore[override]
                   setup: Callable[[], None] | None = None, concurrency: int = 1) -> AsyncIterator[R]:
        workers = [self._actor.options(max_concurrency=max(1, concurrency)).remote(setup) for _ in range(self.cpus)]
        shared_ref = self.ray.put(shared)
        pending: collections.deque[Any] = collections.deque()
        try:
            for n, item in enumerate(items):
                pending.append(workers[n % len(workers)].call.remote(fn, shared_ref, item))
                if len(pending) >= max(1, concurrency):
                    yield await self._wait(pending.popleft())
            while pending:
                yield await self._wait(pending.popleft())
        finally:
            for ref in pending:
                self.ray.cancel(ref)
            for worker in workers:
                self.ray.kill(worker)

    async def _wait(self, ref: Any) -> Any:
        try:
            return await ref
        except self.ray.exceptions.RayTaskError as exc:
            raise exc.as_instanceof_cause() from None

    def close(self) -> None:
        if self.started and self.ray.is_initialized():
            self.ray.shutdown()
            self.started = False


LOOPBACK_ENV = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}
"""What makes a Ray 2.60 node live on 127.0.0.1 alone. `ray.init(_node_ip_address="127.0.0.1")`
is not enough: Ray replaces a loopback node address by the machine's outward address, and its
servers (gcs_server, raylet, workers) then listen on every interface; in Ray's single-machine mode
(this variable, read by every Ray process) the node address stays 127.0.0.1 and every server binds
there. Give it to `ray start --head` too for a head that serves this machine only."""


def init_local(**options: Any) -> None:
    """Start (or join) a Ray instance of this machine that listens on 127.0.0.1 only."""
    import ray
    from ray._private import ray_constants

    os.environ.update(LOOPBACK_ENV)  # the processes Ray starts read it at their import
    ray_constants.ENABLE_RAY_CLUSTER = False  # this process may have imported Ray before
    # address="local": a new instance, never one a `ray start` left recorded in /tmp/ray
    ray.init(address="local", _node_ip_address="127.0.0.1", **options)


def _answers(address: str, timeout: float = 5.0) -> None:
    """Fail in seconds, with one line, when HOST:PORT of a cluster's head does not answer (Ray
    itself retries for minutes). "auto" and ray:// client addresses are left to Ray."""
    import socket

    if address == "auto" or "://" in address:
        return
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ConfigError(f"--ray-address {address!r} is not HOST:PORT (e.g. 10.0.0.5:6379), auto or ray://HOST:PORT")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as exc:
        raise ConfigError(f"--ray-address {address}: no Ray head answers there ({exc.strerror or exc})") from None


def executor(kind: Kind | str = "local", address: str | None = None) -> Executor:
    """The executor a stage runs its items on: "local" (this process) or "ray"."""
    if kind == "local":
        if address is not None:
            raise ConfigError("--ray-address needs --executor ray")
        return Executor()
    if kind == "ray":
        return RayExecutor(address)
    raise ConfigError(f"unknown executor {kind!r}; use local or ray")


__all__ = ["Executor", "LocalExecutor", "RayExecutor", "executor"]
