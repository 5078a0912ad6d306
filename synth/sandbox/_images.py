"""Images in layers: base -> environment -> task, each tagged by the content hash of its recipe.

Sits between the sandbox and the code family. The base image holds Debian, Python (a venv at
/opt/venv with pytest), git and a non-root user `synth` (uid 1000); it is pulled as
python:3.X-slim where a registry answers and otherwise built from Debian packages (debootstrap
minbase, then imported). An environment image adds a repository at one commit with its
dependencies installed by a setup script (host network, host CA bundle and pip settings); a task
image adds the task's starting tree as a fresh single-commit git repository at /testbed.

Guarantees: a tag is a pure function of its recipe (`synth-base:<hash>`, `synth-env:<hash>`,
`synth-task:<hash>`), so an existing tag is reused and never rebuilt; every image carries
`synth.image` and `synth.recipe` labels, which `list_images`/`prune` read; a failed layer leaves no
image and no container behind.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._errors import SandboxError
from .._records import content_key
from ._contract import Limits
from ._docker import DockerSandbox, engine
from ._hostconf import host_settings

IMAGE_LABEL = "synth.image"
RECIPE_LABEL = "synth.recipe"
PARENT_LABEL = "synth.parent"
BASE_VERSION = 1
SUITES = {"bullseye": "3.9", "bookworm": "3.11", "trixie": "3.13"}
DEFAULT_SUITE = "bookworm"
PACKAGES = ("python3", "python3-venv", "python3-pip", "git", "ca-certificates", "procps", "patch")
PATH = "/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# run as root with the host network inside the new base; the same for both ways of getting Debian
_FINISH = r"""
set -eu
if ! command -v git >/dev/null || ! command -v pkill >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends git procps patch >/dev/null
fi
id synth >/dev/null 2>&1 || useradd --create-home --uid 1000 --shell /bin/bash synth
python3 -m venv /opt/venv
/opt/venv/bin/python -m pip install --quiet {pytest}
git config --system user.name synth
git config --system user.email synth@localhost
git config --system init.defaultBranch main
git config --system safe.directory '*'
git config --system gc.auto 0
mkdir -p /testbed && chown synth:synth /testbed
rm -rf /var/cache/apt/archives/*.deb /var/lib/apt/lists/* /usr/share/doc /usr/share/man /root/.cache
"""


@dataclass(frozen=True)
class ImageInfo:
    """One synth image as `synth images list` shows it."""

    tag: str
    kind: str
    recipe: str
    parent: str
    size: int
    created: str


def _tag(kind: str, recipe: dict[str, Any]) -> tuple[str, str]:
    digest = content_key(recipe)
    return f"synth-{kind}:{digest[:16]}", digest


def image_exists(tag: str) -> bool:
    try:
        engine().images.get(tag)
        return True
    except Exception as exc:
        if type(exc).__name__ in ("ImageNotFound", "NotFound"):
            return False
        raise SandboxError(f"cannot inspect image {tag}: {exc}") from None


def base_recipe(suite: str = DEFAULT_SUITE, source: str = "debootstrap") -> dict[str, Any]:
    """The recipe of a base image; its hash is the image's tag."""
    if suite not in SUITES:
        raise SandboxError(f"unknown Debian suite {suite!r}; known: {', '.join(SUITES)}")
    return {
        "kind": "base",
        "version": BASE_VERSION,
        "source": source,
        "suite": suite,
        "python": SUITES[suite],
        "packages": list(PACKAGES),
        "finish": _FINISH,
        "pytest": "pytest>=7,<10",
    }


def _mirror() -> str:
    if os.environ.get("SYNTH_DEBIAN_MIRROR"):
        return os.environ["SYNTH_DEBIAN_MIRROR"]
    for path in [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]:
        try:
            text = path.read_text()
        except OSError:
            continue
        match = re.search(r"(?:URIs:|deb)\s+(https?://\S+/debian)\b(?!-security)", text)
        if match:
            return match.group(1)
    return "http://deb.debian.org/debian"


def _finish(image: str, tag: str, digest: str, recipe: dict[str, Any], parent: str) -> str:
    settings = host_settings()
    box = DockerSandbox.start(
        image, limits=Limits(network="host", user="0:0", pids=4096, memory="4g", cpus=2.0), kind="setup",
        mounts=settings.mounts, env=settings.env,
    )
    try:
        script = recipe["finish"].replace("{pytest}", f"'{recipe['pytest']}'")
        result = box.exec(script, timeout=900, user="0:0", env={"PATH": PATH})
        if result.exit_code != 0:
            raise SandboxError(f"finishing the base image failed (exit {result.exit_code}): {result.output[-1500:]}")
        repository, version = tag.split(":")
        box.commit(
            repository, version, labels={IMAGE_LABEL: "base", RECIPE_LABEL: digest, PARENT_LABEL: parent},
            changes=[f"ENV PATH={PATH}", "ENV PYTHONDONTWRITEBYTECODE=1", "ENV LANG=C.UTF-8"],
        )
    finally:
        box.close()
    return tag


def _pull(python: str) -> str | None:
    try:
        engine().images.pull("python", tag=f"{python}-slim")
        return f"python:{python}-slim"
    except Exception:
        return None


def _debootstrap(suite: str, log: Any) -> str:
    if shutil.which("debootstrap") is None:
        raise SandboxError("no image registry answers and debootstrap is missing; run scripts/setup.d/10-docker.sh")
    if os.geteuid() != 0:
        raise SandboxError("building the base image with debootstrap needs root")
    root = Path(tempfile.mkdtemp(prefix="synth-rootfs-"))
    try:
        command = [
            "debootstrap", "--variant=minbase", f"--include={','.join(PACKAGES)}", suite, str(root), _mirror(),
        ]
        log(f"building the base image from Debian {suite} packages (debootstrap, about a minute)")
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            raise SandboxError(f"debootstrap failed (exit {done.returncode}): {(done.stderr or done.stdout)[-800:]}")
        tarball = root.with_suffix(".tar")
        subprocess.run(["tar", "-C", str(root), "-cf", str(tarball), "."], check=True)
        try:
            with open(tarball, "rb") as handle:
                engine().api.import_image(src=handle, repository="synth-rootfs", tag=suite)
        finally:
            tarball.unlink(missing_ok=True)
        return f"synth-rootfs:{suite}"
    finally:
        shutil.rmtree(root, ignore_errors=True)


def ensure_base(suite: str = DEFAULT_SUITE, *, source: str | None = None, rebuild: bool = False, log: Any = None) -> str:
    """Tag of the base image for `suite`, building it when absent. `source` is auto (pull where a
    registry answers, else debootstrap), pull or debootstrap; SYNTH_BASE_SOURCE sets the default."""
    log = log or (lambda message: None)
    source = source or os.environ.get("SYNTH_BASE_SOURCE", "auto")
    if source not in ("auto", "pull", "debootstrap"):
        raise SandboxError(f"unknown base image source {source!r}; use auto, pull or debootstrap")
    kinds = ["pull", "debootstrap"] if source == "auto" else [source]
    if not rebuild:
        for kind in kinds:
            tag, _ = _tag("base", base_recipe(suite, kind))
            if image_exists(tag):
                return tag
    for kind in kinds:
        recipe = base_recipe(suite, kind)
        tag, digest = _tag("base", recipe)
        if kind == "pull":
            parent = _pull(recipe["python"])
            if parent is None:
                log("no image registry answers; building the base image from Debian packages")
                continue
        else:
            parent = _debootstrap(suite, log)
        try:
            return _finish(parent, tag, digest, recipe, parent)
        finally:
            if kind == "debootstrap":
                try:
                    engine().images.remove(parent, noprune=False)
                except Exception:
                    pass
    raise SandboxError("could not get a base image")


def build_layer(
    kind: str, parent: str, recipe: dict[str, Any], steps: Any, *, network: str = "none", timeout: float = 1800
) -> str:
    """An image `synth-KIND:<hash of recipe and parent>` made by running `steps(box)` in a
    container of `parent`; reused when it exists. `steps` raises SandboxError to refuse."""
    tag, digest = _tag(kind, {"parent": parent, **recipe})
    if image_exists(tag):
        return tag
    settings = host_settings() if network == "host" else None
    box = DockerSandbox.start(
        parent,
        limits=Limits(network="host" if network == "host" else "none", user="0:0", pids=4096, memory="4g", cpus=2.0),
        kind="setup",
        mounts=settings.mounts if settings else None,
        env=settings.env if settings else None,
    )
    try:
        steps(box)
        repository, version = tag.split(":")
        box.commit(repository, version, labels={IMAGE_LABEL: kind, RECIPE_LABEL: digest, PARENT_LABEL: parent})
    finally:
        box.close()
    return tag


def list_images() -> list[ImageInfo]:
    """Every image synth made, newest first."""
    found = []
    for image in engine().images.list(filters={"label": IMAGE_LABEL}):
        labels = image.labels or {}
        for tag in image.tags or ["<none>"]:
            found.append(
                ImageInfo(
                    tag=tag, kind=labels.get(IMAGE_LABEL, "?"), recipe=labels.get(RECIPE_LABEL, "")[:16],
                    parent=labels.get(PARENT_LABEL, ""), size=int(image.attrs.get("Size", 0)),
                    created=str(image.attrs.get("Created", ""))[:19],
                )
            )
    return sorted(found, key=lambda i: i.created, reverse=True)


def prune(kinds: tuple[str, ...] = ("task", "env")) -> int:
    """Remove synth images of the given kinds (children first); returns how many were removed."""
    order = {"task": 0, "env": 1, "base": 2}
    removed = 0
    for info in sorted(list_images(), key=lambda i: order.get(i.kind, 3)):
        if info.kind in kinds and info.tag != "<none>":
            try:
                engine().images.remove(info.tag, force=False)
                removed += 1
            except Exception:
                pass
    return removed


def image_size(tag: str) -> tuple[int, int]:
    """(total bytes, bytes of its own top layer) of an image."""
    api = engine().api
    total = int(api.inspect_image(tag).get("Size", 0))
    history = api.history(tag)
    own = int(history[0].get("Size", 0)) if history else 0
    return total, own
