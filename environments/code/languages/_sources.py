"""Debian source packages as a code source (`--debian NAME` when NAME is a source package).

Sits beside `_mutate.fetch_debian` (binary packages that ship a project's source: golang-*-dev,
librust-*-dev): languages whose Debian binary packages ship no source (Java: jars in
/usr/share/maven-repo) come from their source package, `apt-get source` in a throwaway container
of synth's Debian base image (the suite of the toolchain images) with the host network, which
unpacks the upstream tarball with Debian's patches applied and its `debian/` folder (how Debian
builds it: the Maven rules the Java environment uses). Only Debian's archive is reached.
"""

from __future__ import annotations

import io
import re
import shlex
import tarfile
from pathlib import Path

from synth import ConfigError, SandboxError


def fetch_debian_source(package: str, into: Path, *, log=None) -> tuple[Path, str]:  # type: ignore[no-untyped-def]
    """Unpack the Debian source package `package` (of the toolchain images' suite) under `into`;
    returns (root, version)."""
    from synth.sandbox import ensure_base
    from synth.sandbox._contract import Limits
    from synth.sandbox._docker import DockerSandbox
    from synth.sandbox._hostconf import host_settings

    from ._run import SUITE

    if not re.fullmatch(r"[a-z0-9][a-z0-9+.-]+", package):
        raise ConfigError(f"--debian {package!r}: not a Debian package name")
    base = ensure_base(SUITE, log=log)
    settings = host_settings()
    box = DockerSandbox.start(base, limits=Limits(network="host", user="0:0", pids=1024, memory="2g", cpus=2.0),
                              kind="setup", mounts=settings.mounts, env=settings.env)
    try:
        script = (
            "set -eu; sed -n 's/^deb /deb-src /p' /etc/apt/sources.list > /etc/apt/sources.list.d/synth-src.list; "
            "apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "
            "dpkg-dev xz-utils >/dev/null; mkdir -p /tmp/src && cd /tmp/src && chown _apt /tmp/src; "
            f"apt-get source -qq {shlex.quote(package)} >/dev/null 2>&1 || apt-get source {shlex.quote(package)}; "
            "d=$(find . -mindepth 1 -maxdepth 1 -type d | head -1); [ -n \"$d\" ]; rm -rf \"$d/.pc\"; "
            "v=$(ls *.dsc | head -1 | sed 's/^[^_]*_//; s/\\.dsc$//'); "
            "tar -C \"$d\" -czf /tmp/synth-source.tgz . && echo \"SYNTH-VERSION $v\"")
        result = box.exec(script, user="0:0", timeout=900, output_cap=1024 * 1024)
        if result.exit_code != 0:
            raise ConfigError(f"--debian {package}: apt-get source could not fetch it: {result.output.strip()[-300:]}")
        version = next((ln.split()[1] for ln in result.output.splitlines() if ln.startswith("SYNTH-VERSION ")), "0")
        data = box.read_file("/tmp/synth-source.tgz", limit=256 * 1024 * 1024)
    except SandboxError as exc:
        raise ConfigError(f"--debian {package}: fetching the source package failed: {' '.join(str(exc).split())[:300]}") from None
    finally:
        box.close()
    root = into / "source"
    root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(root, filter="data")
    return root, version
