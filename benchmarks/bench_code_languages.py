"""Benchmark of the language layer: validation per task in Docker vs the same test runs without synth.

For each language, on its real project (Go: the go-difflib module Debian ships; JavaScript: the
minimist npm tarball; TypeScript: the ts-dedent npm tarball, jest with ts-jest; Rust: the strsim crate Debian ships; Java: json-simple's Debian source package), the first mutant that validates at k=1 is timed three ways, side by side:

- synth: `_run.validate` at k=1 (one reading before the fix, one after, the second reading by id
  with and without the fix; each reading copies the tree, adds the canary, runs one process per
  package or file as uid 1000 and converts the streams), container start included;
- plain: the runner's own command twice (before and after the fix) in one container of the same
  task image, as root, no copy, no canary (`go test -json ./...`; `node FILE` per test file;
  `cargo test --tests` from the same warmed build folder; `mvn test` in the tree; the project's own
  `jest`: its package.json configuration, ts-jest type-checking, its cache and workers);
- host (JavaScript only: this machine has node, not go): the same per-file commands twice on the
  host, in an unpacked copy with the runner installed by npm.

Prints a markdown table; the ratios are what to read (the machine is shared: absolute times move).

With --reuse: the images of a second commit of the JavaScript project whose dependencies did not
change (index.js edited), built with the environment shared by the dependencies (package.json and
lockfiles) vs an environment of its own (the whole tree, as before), side by side.

Usage: python benchmarks/bench_code_languages.py [--languages go javascript typescript rust java] [--mutants 8] [--reuse]
       [--jest-transpile-only]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from synth.environments.code._mine import tree_from_dir
from synth.environments.code._mutate import diff, fetch_debian, fetch_npm, ts_mutants
from synth.environments.code.languages import _run, language
from synth.sandbox import start_sandbox

PROJECTS = {"go": ("debian", "golang-github-pmezard-go-difflib-dev"), "javascript": ("npm", "minimist@1.2.8"),
            "typescript": ("npm", "ts-dedent@2.2.0"),
            "rust": ("debian", "librust-strsim-dev"), "java": ("debian", "json-simple")}


def fetch(name: str, into: Path) -> Path:
    kind, spec = PROJECTS[name]
    return fetch_debian(spec, into)[0] if kind == "debian" else fetch_npm(spec, into)


TRANSPILE_ONLY = False


def plain_command(name: str, files: list[str]) -> str:
    if name == "java":  # Maven as root in the tree itself: no copy, no fork wrapper, no canary
        return "/opt/synth/mvn -q test -Dmaven.test.failure.ignore=true >/dev/null 2>&1; rm -rf target; true"
    if name == "rust":
        return "export CARGO_TARGET_DIR=/tmp/t && rm -rf /tmp/t && cp -a /opt/synth/target /tmp/t && find . -exec touch -h {} + && cargo test --offline --tests -q >/dev/null 2>&1; true"
    if name == "typescript":  # the project's `npm test` without its lint step (TRANSPILE_ONLY: as synth runs ts-jest)
        extra = """ --globals '{"ts-jest": {"isolatedModules": true}}'""" if TRANSPILE_ONLY else ""
        return f"node node_modules/jest/bin/jest.js --ci{extra} >/dev/null 2>&1; true"
    if name == "go":
        return ("export GOTOOLCHAIN=local GOPROXY=off GOFLAGS=-mod=mod GOSUMDB=off CGO_ENABLED=0 GOCACHE=/tmp/gc && "
                "rm -rf /tmp/gc && cp -a /opt/synth/gocache /tmp/gc && go test -json -vet=off -count=1 ./... >/dev/null")
    return " ; ".join(f"node {f} >/dev/null 2>&1" for f in files) + " ; true"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--languages", nargs="+", default=["go", "javascript", "rust", "java"])
    parser.add_argument("--mutants", type=int, default=8)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--jest-transpile-only", action="store_true",
                        help="the baseline jest run with ts-jest's isolatedModules, as synth runs it (no type-check)")
    args = parser.parse_args()
    global TRANSPILE_ONLY
    TRANSPILE_ONLY = args.jest_transpile_only
    if args.reuse:
        reuse()
        return
    rows = []
    for name in args.languages:
        lang = language(name)
        with tempfile.TemporaryDirectory() as tmp:
            root = fetch(name, Path(tmp) / "fetch")
            tree = tree_from_dir(root)
            script = lang.setup_script(root)
            _run.images(lang, tree, script, "")
            listing = [p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()]
            files = lang.test_files(listing)
            for mutant in list(ts_mutants(root, lang, 0))[: args.mutants]:
                old = (root / mutant.path).read_bytes().decode("utf-8")
                start, gold = diff(mutant.path, old, mutant.mutated_source), diff(mutant.path, mutant.mutated_source, old)
                task = _run.images(lang, tree, script, start)["task"]
                began = time.perf_counter()
                validation = _run.validate(task, lang, "", gold, k=1, timeout=300)
                synth_seconds = time.perf_counter() - began
                if not validation.accepted or not validation.pass_to_pass:
                    continue  # a mutant that does not compile fails every test: not a task the generator keeps
                box = start_sandbox(task, kind="test")
                try:
                    began = time.perf_counter()
                    box.exec(f"cd /testbed && {plain_command(name, files)}", user="0:0", timeout=600)
                    _run.apply_patch(box, gold)
                    box.exec(f"cd /testbed && {plain_command(name, files)}", user="0:0", timeout=600)
                    plain_seconds = time.perf_counter() - began
                finally:
                    box.close()
                host = None
                if name == "javascript" and shutil.which("node") and shutil.which("npm"):
                    work = Path(tmp) / "host"
                    shutil.copytree(root, work)
                    subprocess.run(["bash", "-c", script.replace("cd /testbed", f"cd {work}")], check=True,
                                   capture_output=True)
                    (work / mutant.path).write_bytes(mutant.mutated_source.encode())
                    began = time.perf_counter()
                    subprocess.run(plain_command(name, files), shell=True, cwd=work)
                    (work / mutant.path).write_bytes(old.encode())
                    subprocess.run(plain_command(name, files), shell=True, cwd=work)
                    host = time.perf_counter() - began
                rows.append((name, mutant, validation, synth_seconds, plain_seconds, host))
                print(f"{name}: synth {synth_seconds:.1f} s, runner alone {plain_seconds:.1f} s, host {host}", flush=True)
                break
    print("| language | task | F2P / P2P | synth validation k=1 | runner alone, 2 runs, same container | "
          "on the host, 2 runs |")
    print("|---|---|---|---|---|---|")
    for name, mutant, v, synth_s, plain_s, host in rows:
        host_text = f"{host:.1f} s (synth {synth_s / host:.2f}x)" if host else "no host toolchain"
        print(f"| {name} | {mutant.function} {mutant.operator} | {len(v.fail_to_pass)} / {len(v.pass_to_pass)} | "
              f"{synth_s:.1f} s | {plain_s:.1f} s (synth {synth_s / plain_s:.2f}x) | {host_text} |")


def reuse() -> None:
    import secrets

    from synth.environments.code._exec import env_image

    lang = language("javascript")
    with tempfile.TemporaryDirectory() as tmp:
        root = fetch("javascript", Path(tmp) / "fetch")
        script = lang.setup_script(root)
        _run.images(lang, tree_from_dir(root), script, "")  # the first commit: its environment exists
        index = root / "index.js"
        index.write_text(index.read_text() + f"// another commit {secrets.token_hex(4)}\n")
        second = tree_from_dir(root)
        began = time.perf_counter()
        shared = _run.images(lang, second, script, "")
        shared_seconds = time.perf_counter() - began
        began = time.perf_counter()
        own = env_image(_run.toolchain_image(lang), second, script)
        own = _run.task_image(own, "")
        own_seconds = time.perf_counter() - began
    print("| images of a second commit, same dependencies (minimist) | shared environment | environment of its own |")
    print("|---|---|---|")
    print(f"| seconds | {shared_seconds:.1f} s | {own_seconds:.1f} s ({own_seconds / shared_seconds:.1f}x) |")


if __name__ == "__main__":
    main()
