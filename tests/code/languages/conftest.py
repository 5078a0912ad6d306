"""Fixtures of the language layer's Docker tests: one generated run per real project, made once per
test session (k=1, one task) from a registry CI reaches: a Go module Debian packages with its tests
(golang-github-pmezard-go-difflib-dev, apt-get download), an npm package whose tarball ships its
tape tests (minimist@1.2.8), a TypeScript npm package whose tarball ships its jest tests (ts-dedent@2.2.0, ts-jest), a crate Debian packages with its integration tests (librust-strsim-dev)
and a Maven project from its Debian source package (json-simple, `apt-get source`: 56 KB of
upstream source, JUnit 4). Toolchain images are built once per machine (cached by recipe hash)."""

from __future__ import annotations

import shutil

import pytest

GO_PACKAGE = "golang-github-pmezard-go-difflib-dev"
NPM_PACKAGE = "minimist@1.2.8"
TS_NPM_PACKAGE = "ts-dedent@2.2.0"
RUST_PACKAGE = "librust-strsim-dev"
JAVA_PACKAGE = "json-simple"


def _generated(tmp_path_factory: pytest.TempPathFactory, name: str, source: dict) -> object:
    import synth

    run = synth.Run.create(tmp_path_factory.mktemp("lang") / name)
    synth.generate(run, "code", {"n": 1, "k": 1, "timeout": 120, "max_candidates": 12, **source})
    return run


@pytest.fixture(scope="session")
def go_run(tmp_path_factory: pytest.TempPathFactory, base_image: str):
    if shutil.which("apt-get") is None:
        pytest.skip("apt-get is needed to fetch the Debian package of the Go project")
    return _generated(tmp_path_factory, "go", {"debian": GO_PACKAGE})


@pytest.fixture(scope="session")
def js_run(tmp_path_factory: pytest.TempPathFactory, base_image: str):
    if shutil.which("npm") is None:
        pytest.skip("npm is needed to fetch the npm package")
    return _generated(tmp_path_factory, "js", {"npm": NPM_PACKAGE})


@pytest.fixture(scope="session")
def rust_run(tmp_path_factory: pytest.TempPathFactory, base_image: str):
    if shutil.which("apt-get") is None:
        pytest.skip("apt-get is needed to fetch the Debian package of the crate")
    return _generated(tmp_path_factory, "rust", {"debian": RUST_PACKAGE})


@pytest.fixture(scope="session")
def java_run(tmp_path_factory: pytest.TempPathFactory, base_image: str):
    return _generated(tmp_path_factory, "java", {"debian": JAVA_PACKAGE, "timeout": 300})


@pytest.fixture(scope="session")
def ts_run(tmp_path_factory: pytest.TempPathFactory, base_image: str):
    """A TypeScript project (node:test tests in .ts, run through tsx that npm installs at
    environment build) in a git repository made here (lang_projects.TS_PROJECT): synth's own fixture
    for the tsx path (the real TypeScript project, ts-dedent, runs with jest: `ts_npm_run`)."""
    import subprocess

    from lang_projects import TS_PROJECT as PROJECT, write

    repo = write(tmp_path_factory.mktemp("tsrepo"), PROJECT)
    for args in (["init", "-q"], ["add", "-A"], ["-c", "user.name=t", "-c", "user.email=t@x", "commit", "-q", "-m", "calc"]):
        subprocess.run(["git", *args], cwd=repo, check=True)
    return _generated(tmp_path_factory, "ts", {"git": str(repo), "mutate": True})


@pytest.fixture(scope="session")
def ts_npm_run(tmp_path_factory: pytest.TempPathFactory, base_image: str):
    """A real TypeScript project from npm: ts-dedent 2.2.0 (src/index.ts, 24 jest tests in
    src/__tests__/*.spec.ts through ts-jest), on JavaScript's toolchain image; seed 1 makes its
    first mutant one that fails some tests, not all (seed 0's first breaks every call)."""
    if shutil.which("npm") is None:
        pytest.skip("npm is needed to fetch the npm package")
    return _generated(tmp_path_factory, "ts-npm", {"npm": TS_NPM_PACKAGE, "seed": 1})
