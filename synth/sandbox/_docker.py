"""The Docker implementation of the sandbox contract (docker SDK against a real engine).

Sits under the code family: every container synth starts goes through `DockerSandbox.start`
(families reach it through `synth.sandbox.start_sandbox`; image layers use it directly, since
`commit` is Docker's alone). Every method blocks: callers on an event loop run it in a worker
thread (the rollout runtime does so for blocking environments). Guarantees:

- Every container carries the labels `synth.sandbox=1` and `synth.pid=<owner pid>`; it is removed
  in `close()` (callers put it in `finally`), at interpreter exit, and on SIGTERM/SIGHUP (turned
  into SystemExit so `finally` blocks run, as Ctrl-C does; the handlers are installed when a
  container starts in the main thread, or by `install_signal_handlers()`, which a family calls in
  its `prepare()` before it starts containers from worker threads; never at import). `cleanup()` (`synth sandbox cleanup`)
  removes leftovers of processes that died harder (SIGKILL).
- Agent and test steps run with no network, as a non-root user, with memory, pids and CPU limits,
  no-new-privileges and all capabilities dropped; setup steps may ask for the host network.
- Quotas (`Limits.disk`, `Limits.nofile`) on every sandbox whose commands run as an unprivileged
  user: scratch folders are size-limited tmpfs (counted in the memory limit, never the host's
  disk), one file can grow no larger than the quota (RLIMIT_FSIZE), the container's writable layer
  is measured on the host every second and the user's processes are killed past the quota (the
  command's output ends with a line saying so), and open files are limited per process.
- A sandbox the model's own commands broke (a command whose processes would not die, so the
  container had to be removed) raises `BrokenByModel` from then on; a container that vanished
  for any other reason raises `SandboxError` (infrastructure).
- Nothing in a container names a host path: assets are copied in, never bind-mounted (bind mounts
  show their host source in /proc/self/mountinfo).
- A command is run under `timeout` in its own process group (the whole group dies at the deadline);
  a host-side watchdog kills what is left if the engine does not return; output is capped.
- A spawned process (`spawn`) is an exec with stdin attached: one hijacked engine connection read
  by a pump thread that demultiplexes stdout (lines for the caller) from stderr (capped); it ends
  with `kill()` (every process of its user, as after a command) or with the container.
"""

from __future__ import annotations

import atexit
import io
import os
import signal
import socket
import tarfile
import threading
import time
from typing import Any

from .._errors import BrokenByModel, SandboxError
from ._contract import (
    CHANNEL_BUFFER,
    DEFAULT_OUTPUT_CAP,
    ExecResult,
    Limits,
    OutputCap,
    Process,
    ProcessExited,
    Sandbox,
    size_bytes,
)

LABEL = "synth.sandbox"
PID_LABEL = "synth.pid"
KIND_LABEL = "synth.kind"

_client: Any = None
_client_lock = threading.Lock()
_live: dict[str, "DockerSandbox"] = {}
_live_lock = threading.Lock()
_atexit_registered = False
_signals_installed = False


def engine() -> Any:
    """The docker SDK client of the local engine; SandboxError naming the fix when none answers."""
    global _client
    with _client_lock:
        if _client is not None:
            return _client
        try:
            import docker

            client = docker.from_env(timeout=600)
            client.ping()
        except Exception as exc:
            raise SandboxError(
                f"no Docker engine answers ({type(exc).__name__}); start one with scripts/setup.d/10-docker.sh"
            ) from None
        _client = client
        return client


def engine_answers() -> bool:
    try:
        engine()
        return True
    except SandboxError:
        return False


def _raise_exit(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


def install_signal_handlers() -> bool:
    """Make SIGTERM/SIGHUP unwind the stack like Ctrl-C does (SystemExit), and SIGINT raise
    KeyboardInterrupt even when it was inherited ignored, so `finally` blocks and the exit hook
    remove containers. Only the main thread can do this; returns whether it is done. Handlers
    someone else installed are left alone."""
    global _signals_installed
    if _signals_installed:
        return True
    if threading.current_thread() is not threading.main_thread():
        return False
    for sig in (signal.SIGTERM, signal.SIGHUP):
        try:
            if signal.getsignal(sig) in (signal.SIG_DFL, None):
                signal.signal(sig, _raise_exit)
        except (ValueError, OSError):
            pass
    try:
        # a process started as a background job (`cmd &`, nohup, CI wrappers) inherits SIGINT
        # ignored, and Python then installs no KeyboardInterrupt handler: install it, so Ctrl-C or
        # `kill -INT` removes containers however the process was started
        if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
            signal.signal(signal.SIGINT, signal.default_int_handler)
    except (ValueError, OSError):
        pass
    _signals_installed = True
    return True


def _install_handlers() -> None:
    global _atexit_registered
    if not _atexit_registered:
        _atexit_registered = True
        atexit.register(remove_live)
    install_signal_handlers()


def remove_live() -> int:
    """Remove every container this process still holds; returns how many."""
    with _live_lock:
        boxes = list(_live.values())
    for box in boxes:
        box.close()
    return len(boxes)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def leftovers(include_running_owners: bool = False) -> list[Any]:
    """Containers labelled by synth whose owner process is gone (or all of them)."""
    client = engine()
    found = []
    for container in client.containers.list(all=True, filters={"label": LABEL}):
        owner = container.labels.get(PID_LABEL, "")
        if include_running_owners or not owner.isdigit() or not _pid_alive(int(owner)):
            found.append(container)
    return found


def cleanup(include_running_owners: bool = False) -> int:
    """Remove leftover synth containers; returns how many were removed."""
    count = 0
    for container in leftovers(include_running_owners):
        try:
            container.remove(force=True)
            count += 1
        except Exception:
            pass
    return count


MAX_DEPTH = 256
"""Deepest folder the watch of a writable layer descends to; a deeper tree is over the quota."""


class _Unmeasurable(Exception):
    """The writable layer could not be measured whole: an error that is not a race with a
    deletion, or a tree deeper than MAX_DEPTH. The quota counts it as a violation."""


def _tree_usage(folder: str, max_entries: int) -> tuple[int, int]:
    """Disk blocks (bytes) and entries under `folder` (a container's writable layer seen from the
    host), stopping once more than `max_entries` are seen. Walked by directory descriptor (openat,
    fstatat), so no path grows past PATH_MAX however deep the tree; at most MAX_DEPTH descriptors
    are held at once. Raises `_Unmeasurable` for anything it cannot read (a file deleted while it
    is read is skipped: that is a race, not a hiding place)."""
    import errno

    gone = (errno.ENOENT, errno.ENOTDIR)
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    total = entries = 0
    try:
        top = os.open(folder, flags)
    except OSError as exc:
        raise _Unmeasurable(f"cannot open the writable layer: {exc.strerror}") from None
    stack: list[tuple[int, list[str]]] = []

    def listing(fd: int) -> list[str]:
        nonlocal total, entries
        folders = []
        with os.scandir(fd) as items:
            for item in items:
                entries += 1
                if entries > max_entries:
                    return []
                try:
                    info = item.stat(follow_symlinks=False)
                except OSError as exc:
                    if exc.errno in gone:
                        continue
                    raise
                total += info.st_blocks * 512
                if item.is_dir(follow_symlinks=False):
                    folders.append(item.name)
        return folders

    try:
        stack.append((top, listing(top)))
        while stack and entries <= max_entries:
            fd, todo = stack[-1]
            if not todo:
                os.close(stack.pop()[0])
                continue
            name = todo.pop()
            if len(stack) >= MAX_DEPTH:
                raise _Unmeasurable(f"folders nested deeper than {MAX_DEPTH} levels")
            try:
                child = os.open(name, flags, dir_fd=fd)
            except OSError as exc:
                if exc.errno in gone:
                    continue
                raise
            stack.append((child, []))
            stack[-1] = (child, listing(child))
    except OSError as exc:
        raise _Unmeasurable(f"{exc.strerror or exc}") from None
    finally:
        for fd, _ in stack:
            try:
                os.close(fd)
            except OSError:
                pass
    return total, entries


def _tree_bytes(folder: str) -> int:
    """Disk blocks under `folder` (a container's writable layer seen from the host), in bytes."""
    return _tree_usage(folder, 1 << 62)[0]


def _tar_one(name: str, data: bytes, mode: int, uid: int, gid: int) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        info.mode = mode
        info.uid, info.gid = uid, gid
        info.mtime = int(time.time())
        tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


class DockerSandbox(Sandbox):
    """One running container. Make it with `DockerSandbox.start(image, ...)`."""

    def __init__(self, container: Any, limits: Limits, env: dict[str, str] | None = None) -> None:
        self.id: str = container.id
        self.limits = limits
        self.env: dict[str, str] = dict(env or {})
        """Given to every command (not stored in the container, so committed layers never inherit it)."""
        self._removed = False
        self._procs: str | None = None
        self._memory: str | None = None
        self._spawned: list[DockerProcess] = []
        self.broken_by_model: str | None = None
        """Why the sandbox removed its own container because of what a command did (None: it did not)."""
        self._reaping = threading.RLock()
        self.quota_events = 0
        """Times the writable layer was found over `limits.disk` (and the user's processes killed)."""
        self._quota_note = ""

    # -- lifecycle -----------------------------------------------------------------------------
    @classmethod
    def start(
        cls, image: str, *, limits: Limits = Limits(), kind: str = "agent", mounts: dict[str, str] | None = None,
        env: dict[str, str] | None = None, scratch: dict[str, str | None] | None = None,
    ) -> "DockerSandbox":
        """Start a container of `image` that idles until commands arrive. `mounts` maps host paths
        to read-only paths inside (set-up steps only: a bind mount shows its host path inside);
        `env` is given to every command; `kind` labels the container (agent, test, setup);
        `scratch` maps folders to tmpfs sizes (None: `limits.disk`), owned by the limits' user."""
        client = engine()
        _install_handlers()
        from docker.types import Mount

        # HostConfig mounts (not Config.Volumes), so a committed layer does not inherit them
        binds = [Mount(target=inside, source=host, type="bind", read_only=True) for host, inside in (mounts or {}).items()]
        kwargs: dict[str, Any] = dict(
            command=["sleep", "infinity"],
            user="0:0",  # the idle main process; commands run as limits.user
            detach=True,
            init=True,
            labels={LABEL: "1", PID_LABEL: str(os.getpid()), KIND_LABEL: kind},
            network_mode=limits.network,
            mem_limit=limits.memory,
            memswap_limit=limits.memory,
            pids_limit=limits.pids,
            nano_cpus=int(limits.cpus * 1e9),
            security_opt=["no-new-privileges"],
            mounts=binds,
            working_dir="/",
            stop_signal="SIGKILL",
        )
        from docker.types import Ulimit

        ulimits = [Ulimit(name="nofile", soft=limits.nofile, hard=limits.nofile)]
        if limits.quota_applies:
            # a MiB over the quota: in a scratch tmpfs of the quota's size the write fails first,
            # with "No space left on device" (a file size limit kills a program without a word)
            biggest = size_bytes(limits.disk) + (1 << 20)
            ulimits.append(Ulimit(name="fsize", soft=biggest, hard=biggest))
        kwargs["ulimits"] = ulimits
        if scratch:
            uid, _, gid = limits.user.partition(":")
            owner = f",uid={uid},gid={gid or uid}" if uid.isdigit() else ""
            kwargs["tmpfs"] = {
                folder: f"rw,nosuid,nodev,exec,size={size_bytes(size or limits.disk)},nr_inodes={limits.inodes},mode=0755{owner}"
                for folder, size in scratch.items()
            }
        if limits.network == "none":
            kwargs["cap_drop"] = ["ALL"]
            # root steps of setup keep default capabilities; agent/test containers keep only what
            # exec-as-another-user needs
            kwargs["cap_add"] = ["SETUID", "SETGID", "CHOWN", "DAC_OVERRIDE", "FOWNER", "KILL"]
        try:
            container = client.containers.create(image, **kwargs)
        except Exception as exc:
            raise SandboxError(f"cannot create a container of {image}: {exc}") from None
        box = cls(container, limits, env)
        with _live_lock:
            _live[box.id] = box
        try:
            container.start()
        except BaseException as exc:
            box.close()
            if isinstance(exc, Exception):
                raise SandboxError(f"cannot start a container of {image}: {exc}") from None
            raise
        if limits.quota_applies:
            upper = ((container.attrs.get("GraphDriver") or {}).get("Data") or {}).get("UpperDir")
            threading.Thread(target=box._watch_disk, args=(upper, size_bytes(limits.disk)),
                             name=f"synth-disk-{box.id[:8]}", daemon=True).start()
        return box

    # -- quotas and health ---------------------------------------------------------------------
    def _watch_disk(self, upper: str | None, limit: int, interval: float = 1.0) -> None:
        """Measure the writable layer every `interval` seconds (on the host when the engine is
        local, else through the engine, less often); past `limit`, kill the user's processes."""
        local = bool(upper) and os.path.isdir(str(upper))
        uid = self.limits.user.split(":")[0]
        last: tuple[int, int] | None = None  # (bytes, entries) when the quota last killed
        while not self._removed:
            time.sleep(interval if local else 5 * interval)
            if self._removed:
                return
            note = None
            try:
                if local:
                    used, entries = _tree_usage(str(upper), self.limits.inodes)
                    used += self._held_deleted_bytes()
                else:
                    used, entries = self._engine_size(), 0
            except _Unmeasurable as exc:  # what cannot be measured is over the quota, never zero
                note = f"the sandbox's writable storage could not be measured ({exc}), which counts as over its quota"
            except Exception:
                continue  # the engine or the container went away: not the model's doing
            else:
                over = used > limit or entries > self.limits.inodes
                # past a quota the user's processes are killed once, and again only when the storage
                # grows further: files already written stay (the model reads why and may delete them;
                # a kernel can start again), while every new write past the quota is stopped
                growing = over and (last is None or used > last[0] + (1 << 20) or entries > last[1] + 64)
                last = (used, entries) if over and (last is None or growing) else (last if over else None)
                if growing and used > limit:
                    note = f"the sandbox's writable storage reached {used >> 20} MiB, over its {self.limits.disk} disk quota"
                elif growing:
                    note = (f"the sandbox's writable storage holds more than {self.limits.inodes} files and folders, over"
                            f" its inode quota")
            if note is None and local:
                held = self._open_files()
                if held > self.limits.open_files:
                    note = (f"the sandbox's processes held {held} open files, over its quota of {self.limits.open_files}"
                            f" across all processes")
            if note is not None:
                self.quota_events += 1
                self._quota_note = f"[{note}: every process of the command was killed; delete files to go on]"
                try:
                    self._reap(uid)
                except Exception:
                    pass

    @property
    def quota_note(self) -> str:
        """What the last quota kill was, as the model should read it ("" before any)."""
        return self._quota_note

    def _open_files(self) -> int:
        """Descriptors open across the container's processes, read from the host's /proc (0 when
        that cannot be read)."""
        procs = self._procs_file()
        if procs is None:
            return 0
        try:
            pids = open(procs).read().split()
        except OSError:
            return 0
        held = 0
        for pid in pids:
            try:
                held += len(os.listdir(f"/proc/{pid}/fd"))
            except OSError:
                continue
        return held

    def _held_deleted_bytes(self) -> int:
        """Bytes of files the container's processes deleted but still hold open on its own root
        filesystem: they fill the host's disk yet no longer show in the writable layer's tree (a
        file unlinked right after opening was written past the quota unseen). Read from the host's
        /proc through the container's cgroup; 0 when that cannot be read (a remote engine)."""
        procs = self._procs_file()
        if procs is None:
            return 0
        seen: dict[tuple[int, int], int] = {}
        try:
            pids = open(procs).read().split()
        except OSError:
            return 0
        for pid in pids:
            try:
                root = os.stat(f"/proc/{pid}/root/").st_dev
                fds = os.listdir(f"/proc/{pid}/fd")
            except OSError:
                continue
            for fd in fds:
                path = f"/proc/{pid}/fd/{fd}"
                try:
                    if not os.readlink(path).endswith(" (deleted)"):
                        continue
                    info = os.stat(path)
                except OSError:
                    continue
                if info.st_dev == root:  # tmpfs scratch files are bounded by their own size
                    seen[(info.st_dev, info.st_ino)] = info.st_blocks * 512
        return sum(seen.values())

    def _engine_size(self) -> int:
        api = engine().api
        info = api._result(api._get(api._url("/containers/{0}/json", self.id), params={"size": 1}), True)
        return int(info.get("SizeRw") or 0)

    def running(self) -> bool | None:
        """Whether the container still runs: True, False (gone or stopped), None when the engine
        does not answer (then nothing can be said about who broke what)."""
        try:
            state = engine().api.inspect_container(self.id).get("State") or {}
        except Exception as exc:
            if type(exc).__name__ == "NotFound":
                return False
            return None
        return bool(state.get("Running"))

    def oom_kills(self) -> int | None:
        """Processes the memory limit has killed in this container so far (None when the cgroup
        cannot be read here, e.g. a remote engine)."""
        if self._memory is None:
            import glob

            found = glob.glob(f"/sys/fs/cgroup/memory/**/{self.id}*/memory.oom_control", recursive=True)
            self._memory = found[0] if found else ""
        if not self._memory:
            return None
        try:
            for line in open(self._memory):
                if line.startswith("oom_kill "):
                    return int(line.split()[1])
        except (OSError, ValueError):
            return None
        return None

    def close(self) -> None:
        """Remove the container now (idempotent, never raises)."""
        if self._removed:
            return
        self._removed = True
        for process in self._spawned:
            process.detach()
        try:
            engine().api.remove_container(self.id, force=True)
        except Exception:
            pass
        finally:
            with _live_lock:
                _live.pop(self.id, None)

    # -- commands ------------------------------------------------------------------------------
    def exec(
        self,
        command: str,
        *,
        timeout: float = 60.0,
        user: str | None = None,
        workdir: str | None = None,
        env: dict[str, str] | None = None,
        output_cap: int = DEFAULT_OUTPUT_CAP,
    ) -> ExecResult:
        if self.broken_by_model:
            raise BrokenByModel(self.broken_by_model)
        api = engine().api
        user = user if user is not None else self.limits.user
        quota_before = self.quota_events
        seconds = max(1, int(round(timeout)))
        # timeout puts the command in its own process group and kills the whole group at the deadline
        wrapped = ["timeout", "-s", "KILL", str(seconds), "bash", "-c", command]
        started = time.monotonic()
        try:
            with self._reaping:  # never while a reaper has the container frozen ("container is paused")
                exec_id = api.exec_create(self.id, wrapped, user=user, workdir=workdir,
                                          environment={**self.env, **(env or {})})["Id"]
                stream = api.exec_start(exec_id, stream=True)
        except Exception as exc:
            raise SandboxError(f"cannot run a command in container {self.id[:12]}: {exc}") from None
        cap = OutputCap(output_cap)
        fired = threading.Event()

        def watchdog() -> None:
            # the engine keeps the stream open while any process holds it (e.g. one that left the
            # process group): kill every process of the user, then the container itself
            fired.set()
            try:  # from the host through the cgroup: works when a fork bomb left no pid for a pkill inside
                self._reap(user.split(":")[0])
            except Exception:
                pass
            time.sleep(5)
            if not done.is_set():
                # the command's processes outlived a SIGKILL of every process of the user: only
                # what the command did can cause that, so the sandbox is the model's to have broken
                self.broken_by_model = (f"a command's processes would not stop {seconds + 5} s after its"
                                        f" {seconds} s timeout, so the sandbox was removed")
                self.close()

        done = threading.Event()
        timer = threading.Timer(seconds + 5, watchdog)
        timer.daemon = True
        timer.start()
        try:
            for chunk in stream:
                cap.feed(chunk)
        except Exception:
            if not fired.is_set():
                raise
        finally:
            done.set()
            timer.cancel()
        duration = time.monotonic() - started
        if user.split(":")[0] not in ("0", "root"):
            self._reap(user.split(":")[0])
        try:
            code = api.exec_inspect(exec_id).get("ExitCode")
        except Exception:
            code = None
        timed_out = fired.is_set() or code in (124, 137) and duration >= seconds - 0.5
        if code is None:
            code = 137 if timed_out else -1
        output = cap.text()
        if timed_out:
            output += f"\n[command killed after {seconds}s timeout]"
        over = self.quota_events != quota_before
        if over:
            output += "\n" + self._quota_note
        return ExecResult(
            exit_code=124 if timed_out else int(code), output=output, timed_out=timed_out, truncated=cap.truncated,
            output_bytes=cap.total, duration=duration, quota_exceeded=over,
        )

    def spawn(
        self, argv: list[str], *, user: str | None = None, workdir: str | None = None, env: dict[str, str] | None = None,
    ) -> "DockerProcess":
        if self.broken_by_model:
            raise BrokenByModel(self.broken_by_model)
        api = engine().api
        user = user if user is not None else self.limits.user
        try:
            with self._reaping:
                exec_id = api.exec_create(self.id, argv, stdin=True, stdout=True, stderr=True, tty=False, user=user,
                                          workdir=workdir, environment={**self.env, **(env or {})})["Id"]
                sock = api.exec_start(exec_id, socket=True)
        except Exception as exc:
            raise SandboxError(f"cannot start a process in container {self.id[:12]}: {exc}") from None
        process = DockerProcess(self, exec_id, sock, user.split(":")[0])
        self._spawned = [p for p in self._spawned if p.exit_code is None] + [process]
        return process

    def _procs_file(self) -> str | None:
        if self._procs is None:
            import glob

            found = glob.glob(f"/sys/fs/cgroup/pids/**/{self.id}*/cgroup.procs", recursive=True) or glob.glob(
                f"/sys/fs/cgroup/**/*{self.id}*/cgroup.procs", recursive=True)
            self._procs = found[0] if found else ""
        return self._procs or None

    def _user_pids(self, uid: str) -> list[int] | None:
        """Host pids of the container's processes owned by `uid` (None when not visible here)."""
        path = self._procs_file()
        if path is None:
            return None
        try:
            pids = [int(x) for x in open(path).read().split()]
        except OSError:
            return None
        mine = []
        for pid in pids:
            try:
                with open(f"/proc/{pid}/status") as handle:
                    for line in handle:
                        if line.startswith("Uid:"):
                            if line.split()[1] == uid:
                                mine.append(pid)
                            break
            except OSError:
                pass
        return mine

    def _reap(self, uid: str) -> None:
        """Kill every process the command's user left behind (background jobs, a fork bomb).

        With a local engine the container's cgroup is read on the host and its processes are killed
        from outside (this works even when the container is out of pids), with the cgroup frozen
        while a fork bomb is still forking; otherwise pkill runs inside. One reaper at a time (the
        disk watch and a command's end may both reap): the cgroup is never unfrozen under another,
        and commands wait while it is frozen (`_exec_create`)."""
        with self._reaping:
            self._reap_locked(uid)

    def _reap_locked(self, uid: str) -> None:
        api = engine().api
        for attempt in range(8):
            mine = self._user_pids(uid)
            if mine is None:
                self._reap_inside(uid)
                return
            if not mine:
                return
            frozen = False
            if attempt > 0:
                try:
                    api.pause(self.id)
                    frozen = True
                    mine = self._user_pids(uid) or []
                except Exception:
                    pass
            try:
                for pid in mine:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
            finally:
                if frozen:
                    try:
                        api.unpause(self.id)
                    except Exception:
                        pass
            time.sleep(0.02)

    def _reap_inside(self, uid: str) -> None:
        api = engine().api
        script = f"for i in 1 2 3 4 5 6 7 8 9 10; do pkill -KILL -u {uid} || exit 0; sleep 0.05; done"
        try:
            exec_id = api.exec_create(self.id, ["sh", "-c", script], user="0")["Id"]
            api.exec_start(exec_id)
        except Exception:
            pass

    # -- files ---------------------------------------------------------------------------------
    def write_file(self, path: str, data: bytes, *, mode: int = 0o644, user: str | None = None) -> None:
        if not path.startswith("/"):
            raise SandboxError(f"sandbox paths are absolute; got {path!r}")
        owner = (user if user is not None else self.limits.user).split(":")
        uid = int(owner[0]) if owner[0].isdigit() else 0
        gid = int(owner[1]) if len(owner) > 1 and owner[1].isdigit() else uid
        folder, name = os.path.split(path)
        try:
            ok = engine().api.put_archive(self.id, folder or "/", _tar_one(name, data, mode, uid, gid))
        except Exception as exc:
            raise SandboxError(f"cannot write {path} in container {self.id[:12]}: {exc}") from None
        if not ok:
            raise SandboxError(f"cannot write {path} in container {self.id[:12]}")

    def read_file(self, path: str, *, limit: int = 16 * 1024 * 1024) -> bytes:
        try:
            stream, stat = engine().api.get_archive(self.id, path)
        except Exception as exc:
            raise SandboxError(f"cannot read {path} in container {self.id[:12]}: {getattr(exc, 'explanation', exc)}") from None
        if stat.get("size", 0) > limit:
            raise SandboxError(f"{path} is {stat.get('size')} bytes, over the {limit}-byte limit")
        buffer = io.BytesIO()
        for chunk in stream:
            buffer.write(chunk)
            if buffer.tell() > limit + 1024 * 1024:
                raise SandboxError(f"{path} is over the {limit}-byte limit")
        buffer.seek(0)
        with tarfile.open(fileobj=buffer) as tar:
            member = tar.next()
            if member is None or not member.isfile():
                raise SandboxError(f"{path} is not a regular file")
            handle = tar.extractfile(member)
            assert handle is not None
            return handle.read()

    def put_tree(self, folder: str, tar_bytes: bytes) -> None:
        try:
            ok = engine().api.put_archive(self.id, folder, tar_bytes)
        except Exception as exc:
            raise SandboxError(f"cannot copy files into container {self.id[:12]}: {exc}") from None
        if not ok:
            raise SandboxError(f"cannot copy files into container {self.id[:12]}")

    def commit(self, repository: str, tag: str, labels: dict[str, str], changes: list[str] | None = None) -> str:
        """Save the container's filesystem as image repository:tag (Docker only: image layers);
        returns the image id."""
        conf = {"Labels": labels, "User": "1000:1000", "WorkingDir": "/testbed", "Cmd": ["sleep", "infinity"]}
        try:
            result = engine().api.commit(self.id, repository=repository, tag=tag, conf=conf, changes=changes)
        except Exception as exc:
            raise SandboxError(f"cannot save container {self.id[:12]} as {repository}:{tag}: {exc}") from None
        return result["Id"]


class DockerProcess(Process):
    """A process started by `DockerSandbox.spawn`: an exec whose attached connection carries stdin
    one way and multiplexed stdout/stderr frames (8-byte headers) the other, read by a pump thread."""

    def __init__(self, box: DockerSandbox, exec_id: str, sock: Any, uid: str) -> None:
        self.box, self.exec_id, self.uid = box, exec_id, uid
        self._sock = sock
        self._raw = getattr(sock, "_sock", sock)  # the socket under docker-py's SocketIO wrapper
        self._out = bytearray()
        self._err = OutputCap(DEFAULT_OUTPUT_CAP)
        self._ended = False
        self._code: int | None = None
        self._killed = False
        self._cond = threading.Condition()
        self._pump = threading.Thread(target=self._read_frames, name=f"synth-process-{exec_id[:8]}", daemon=True)
        self._pump.start()

    def _recv_exactly(self, n: int) -> bytes | None:
        data = bytearray()
        while len(data) < n:
            chunk = self._raw.recv(n - len(data))
            if not chunk:
                return None
            data += chunk
        return bytes(data)

    def _read_frames(self) -> None:
        try:
            while True:
                header = self._recv_exactly(8)
                if header is None:
                    break
                stream, size = header[0], int.from_bytes(header[4:8], "big")
                payload = self._recv_exactly(size) if size else b""
                if payload is None:
                    break
                with self._cond:
                    if stream == 2:
                        self._err.feed(payload)
                    else:
                        # backpressure: the process waits while its reader is behind, so a flood
                        # costs the host CHANNEL_BUFFER bytes, not the flood's size
                        while len(self._out) >= CHANNEL_BUFFER and not self._killed:
                            self._cond.wait(0.5)
                        self._out += payload
                        self._cond.notify_all()
        except (OSError, ValueError):
            pass
        finally:
            with self._cond:
                self._ended = True
                self._cond.notify_all()

    def send(self, data: bytes) -> None:
        if self._ended or self._killed:
            raise ProcessExited(self.exit_code)
        try:
            self._raw.sendall(data)
        except OSError:
            raise ProcessExited(self.exit_code) from None

    def readline(self, timeout: float, *, limit: int = 64 * 1024 * 1024) -> bytes:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                end = self._out.find(b"\n")
                if end >= 0:
                    line = bytes(self._out[: end + 1])
                    del self._out[: end + 1]
                    self._cond.notify_all()
                    return line
                if len(self._out) > limit or len(self._out) >= CHANNEL_BUFFER:
                    raise SandboxError(f"a line of the process's output exceeds {min(limit, CHANNEL_BUFFER)} bytes")
                if self._ended:
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no line from the process within {timeout:g}s")
                self._cond.wait(left)
        raise ProcessExited(self.exit_code)

    def read(self, timeout: float, max_bytes: int = 1 << 20) -> bytes:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not self._out:
                if self._ended:
                    raise ProcessExited(self.exit_code)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no output from the process within {timeout:g}s")
                self._cond.wait(left)
            data = bytes(self._out[:max_bytes])
            del self._out[:max_bytes]
            self._cond.notify_all()
            return data

    def stderr(self) -> str:
        with self._cond:
            return self._err.text()

    @property
    def exit_code(self) -> int | None:
        if not self._ended:
            return None
        for _ in range(50):  # the engine may report the exec as running for a moment after its output ends
            if self._code is not None:
                break
            try:
                info = engine().api.exec_inspect(self.exec_id)
            except Exception:
                break
            if not info.get("Running"):
                self._code = info.get("ExitCode")
                break
            time.sleep(0.02)
        return self._code

    def kill(self) -> None:
        if self._killed:
            return
        with self._cond:
            self._killed = True
            self._cond.notify_all()
        if self.uid not in ("0", "root") and not self.box._removed:
            try:
                self.box._reap(self.uid)
            except Exception:
                pass
        self.detach()

    def detach(self) -> None:
        """Close the connection (the container's removal ends the process itself)."""
        for close in (lambda: self._raw.shutdown(socket.SHUT_RDWR), self._raw.close, self._sock.close):
            try:
                close()
            except Exception:
                pass
        self._pump.join(timeout=5)
