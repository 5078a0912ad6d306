"""Packaging: one import root. environments/, verifiers/ and cli/ install as synth.environments,
synth.verifiers and synth.cli; every package folder is listed, so a wheel ships them all, and no
top-level package named verifiers, environments or cli is installed."""

import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DIRS = {"synth": "synth", "environments": "synth.environments", "verifiers": "synth.verifiers", "cli": "synth.cli"}


def package_folders() -> set[str]:
    found = set()
    for folder, name in DIRS.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / folder)
            found.add(".".join([name, *rel.parts]))
    return found


def config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def test_every_package_folder_is_listed():
    listed = set(config()["packages"])
    data_only = set(config()["package-data"])  # folders of files, not modules (the viewer's page)
    assert package_folders() - listed == set(), "add these to [tool.setuptools] packages"
    assert listed - package_folders() - data_only == set(), "listed packages without a folder"
    assert all((ROOT / name.replace(".", "/")).is_dir() for name in data_only)


def test_one_import_root():
    assert config()["package-dir"] == {"synth": "synth", **{k: v for v, k in [(f, n) for f, n in DIRS.items()] if k != "synth"}}
    assert all(name == "synth" or name.startswith("synth.") for name in config()["packages"])


@pytest.mark.slow
def test_the_wheel_ships_every_package_under_synth(tmp_path):
    # built from a copy of the tracked files: setuptools writes synth.egg-info and build/ beside
    # the sources, and a stale egg-info in the checkout shadows the installed entry points
    source = tmp_path / "source"
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True).stdout.decode().split("\0")
    for name in filter(None, tracked):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), str(source)],
                   check=True, capture_output=True)
    wheel = next(tmp_path.glob("synth-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names if not n.split("/")[0].endswith((".dist-info", ".data"))}
    assert top == {"synth"}
    for package in package_folders():
        assert package.replace(".", "/") + "/__init__.py" in names, package
    assert "synth/environments/general/trip_planning/_solve.py" in names and "synth/cli/_core.py" in names
    # the viewer's page is package data
    assert {f"synth/_static/viewer/{name}" for name in ("index.html", "app.js", "app.css")} <= set(names)
