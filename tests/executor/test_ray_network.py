"""Ray's network: the local instance `--executor ray` starts listens on 127.0.0.1 only (every socket
of every process it starts), and the README's multi-node recipe works after a local run (which
leaves ~/.ray/auth_token behind and so puts a later `ray start --head` in token mode)."""

from __future__ import annotations

import operator
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from synth import Run

pytestmark = pytest.mark.ray

LOOPBACK = ("127.0.0.1", "::ffff:127.0.0.1", "::1")


def _descendants(root: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = {root}, [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _address(hex_address: str) -> str:
    host, port = hex_address.split(":")
    raw = bytes.fromhex(host)
    if len(raw) == 4:
        return f"{socket.inet_ntop(socket.AF_INET, raw[::-1])}:{int(port, 16)}"
    words = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
    return f"{socket.inet_ntop(socket.AF_INET6, words)}:{int(port, 16)}"


def listening(pids: set[int]) -> dict[str, list[str]]:
    """Listening TCP sockets of `pids`: process name -> local addresses (read from /proc)."""
    inodes: dict[str, str] = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in open(table).read().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A":  # LISTEN
                inodes[fields[9]] = _address(fields[1])
    out: dict[str, list[str]] = {}
    for pid in pids:
        try:
            name = open(f"/proc/{pid}/comm").read().strip()
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:[") and target[8:-1] in inodes:
                out.setdefault(f"{name}[{pid}]", []).append(inodes[target[8:-1]])
    return out


def test_every_socket_of_the_local_instance_listens_on_loopback_only(ray_executor) -> None:  # type: ignore[no-untyped-def]
    assert list(ray_executor.map(operator.add, [1, 2, 3], shared=10)) == [11, 12, 13]  # workers started too
    sockets = listening(_descendants(os.getpid()))
    names = " ".join(sockets)
    assert "gcs_server" in names and "raylet" in names, sockets
    outward = {name: [a for a in addresses if a.rsplit(":", 1)[0] not in LOOPBACK] for name, addresses in sockets.items()}
    assert not any(outward.values()), outward


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_readme_multi_node_recipe_works_after_a_local_run(tmp_path: Path, ray_executor) -> None:  # type: ignore[no-untyped-def]
    from synth._executor import LOOPBACK_ENV

    assert (Path.home() / ".ray" / "auth_token").exists()  # what a local run leaves: a later head is in token mode
    ray = str(Path(sys.executable).with_name("ray"))
    port = _free_port()
    # the recipe's environment (README): token mode set, the token where Ray looks for it; the head
    # kept on this machine's loopback (the brief's rule for servers in tests)
    env = {**os.environ, **LOOPBACK_ENV, "RAY_AUTH_MODE": "token", "RAY_USAGE_STATS_ENABLED": "0"}
    env.pop("RAY_ADDRESS", None)
    head = subprocess.Popen([ray, "start", "--head", "--node-ip-address", "127.0.0.1", "--port", str(port), "--num-cpus", "1",
                             "--include-dashboard", "false", "--disable-usage-stats", "--block"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert head.poll() is None and time.monotonic() < deadline, head.stderr.read().decode()[-2000:] if head.stderr else ""
                time.sleep(0.5)
        out = tmp_path / "run"
        driver_env = env  # a driver on the same machine as a loopback head says so too (README)
        done = subprocess.run([str(Path(sys.executable).with_name("synth")), "generate", "general", "--n", "1",
                               "--category", "meeting_scheduling", "--out", str(out), "--executor", "ray",
                               "--ray-address", f"127.0.0.1:{port}"],
                              env=driver_env, capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, done.stderr[-2000:]
        assert len(Run.open(out).tuples().read()) == 1
        sockets = listening(_descendants(head.pid))
        assert "gcs_server" in " ".join(sockets), sockets
        outward = {n: [a for a in addrs if a.rsplit(":", 1)[0] not in LOOPBACK] for n, addrs in sockets.items()}
        assert not any(outward.values()), outward
    finally:
        members = _descendants(head.pid)
        try:
            os.killpg(head.pid, signal.SIGTERM)
        except OSError:
            pass
        try:
            head.wait(timeout=60)
        except subprocess.TimeoutExpired:
            pass
        for pid in members:  # what left the session (Ray's own daemons) goes too; only ours
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        recorded = Path("/tmp/ray/ray_current_cluster")  # what `ray stop` would remove, if it names our head
        if recorded.exists() and recorded.read_text().strip() == f"127.0.0.1:{port}":
            recorded.unlink()
