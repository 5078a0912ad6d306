"""Rust: each integration test target (tests/*.rs) built by the test user, run as uid 1000 by root.

Sits in the language layer (`_base.py`). Detect: Cargo.toml. Toolchain: Debian's rustc and cargo.
Dependencies: `cargo generate-lockfile` and a first build at environment build (crates.io on a
user's machine; on CI dependency-free crates such as those Debian ships as librust-*-dev, with
`--offline`). Tests: one process per integration test file: the test user builds it (`cargo test
--no-run --test NAME`, build scripts and proc macros run as uid 1000 in the build folder, never in
the tree), root copies the binary it names into a root-owned folder and runs it as uid 1000 with
libtest's JSON events (`-Z unstable-options --format json`, allowed on stable by RUSTC_BOOTSTRAP=1
in the test process's environment only). Unit tests inside src/ are part of the source an agent edits,
so only integration tests decide Rust tasks. One test by id: `--exact NAME` on its file's binary.
"""

from __future__ import annotations

import json
import posixpath
import re
import shlex
from pathlib import Path

from ._base import CANARY, Case, Language, Plan, Process

_TEST_FN = re.compile(r"#\[test\]\s*(?:#\[[^\]]*\]\s*)*fn\s+(\w+)")


class Rust(Language):
    name = "rust"
    runners = ("cargo-libtest",)
    manifests = ("Cargo.toml",)
    packages = ("rustc", "cargo")
    extensions = (".rs",)
    grammar = "tree_sitter_rust"
    test_patterns = ("tests/*.rs", "tests/**/*.rs")
    config_patterns = ("Cargo.toml", "Cargo.lock", "build.rs", "rust-toolchain", "rust-toolchain.toml", ".cargo/*",
                       "*/.cargo/*", "*/Cargo.toml", ".synth*")
    test_dirs = frozenset({"tests", "benches"})
    tamper_rules = (
        ("process exit (process::exit, abort, libc exit)", r"\b(process::exit|process::abort|libc::_?exit|libc::abort)\b"),
        ("code that runs before main (.init_array, ctor)", r"link_section|init_array|\.ctors|#\[\s*ctor|#\[\s*used"),
        ("libtest output text or flags", r"\"type\"\s*:\s*\"test\"|test result: |RUSTC_BOOTSTRAP|unstable-options|--format"),
        ("unsafe code, foreign functions or /proc", r"\bunsafe\b|extern\s+\"C\"|/proc/"),
    )

    def setup_script(self, root: Path) -> str:
        return """set -eu
export CARGO_HOME=/opt/synth/cargo CARGO_TARGET_DIR=/opt/synth/target CARGO_NET_OFFLINE=true
mkdir -p $CARGO_HOME $CARGO_TARGET_DIR
cd /testbed
[ -f Cargo.lock ] || cargo generate-lockfile --offline
# warm the build folder every reading starts from (a copy of it: a reading never writes the image's)
cargo test --offline --no-run --tests -q >/dev/null 2>&1 || true
chmod -R a+rX /opt/synth
"""

    def test_files(self, listing: list[str]) -> list[str]:
        return sorted(p for p in listing if re.fullmatch(r"tests/[^/]+\.rs", p))

    def plan(self, listing: list[str], tests: dict[str, str], ids: list[str] | None, nonce: str,
             manifest: dict | None = None) -> Plan:
        wanted: dict[str, set[str]] | None = None
        if ids is not None:
            wanted = {}
            for ident in ids:
                file, _, name = ident.partition("::")
                wanted.setdefault(file, set()).add(name)
        processes, files = [], {}
        for path in self.test_files(listing):
            if wanted is not None and path not in wanted:
                continue
            text = tests.get(path, "")
            files[path] = text + f'\n#[test]\nfn synth_canary() {{ panic!("{CANARY} {nonce}"); }}\n'
            target = posixpath.splitext(posixpath.basename(path))[0]
            names = sorted(set(_TEST_FN.findall(text)))
            selected = sorted(wanted[path]) if wanted is not None else []
            filters = (" ".join(shlex.quote(n) for n in selected + ["synth_canary"]) + " --exact") if selected else ""
            processes.append(Process(
                name=path,
                build=f"cargo test --offline --no-run --test {shlex.quote(target)} --message-format=json",
                command=("X=$(grep -o '\"executable\":\"[^\"]*\"' $R/out/$INDEX.build | tail -1 | cut -d'\"' -f4); "
                         "[ -n \"$X\" ] && cp \"$X\" $R/bin/t$INDEX && chmod 711 $R/bin/t$INDEX && "
                         f"$AS_USER env RUSTC_BOOTSTRAP=1 $R/bin/t$INDEX -Z unstable-options --format json --test-threads 1 {filters}"),
                cwd=".",
                expected=[f"{path}::{n}" for n in names if wanted is None or n in wanted[path]],
            ))
        return Plan(processes, files, nonce)

    def read(self, process: Process, stream: str) -> tuple[list[Case], str]:
        cases, closing = [], ""
        for line in stream.splitlines():
            if not line.startswith("{"):
                continue
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if not isinstance(event, dict):
                continue
            if event.get("type") == "suite" and event.get("event") in ("ok", "failed"):
                closing = str(event.get("event"))
            if event.get("type") != "test" or event.get("event") not in ("ok", "failed", "ignored", "timeout"):
                continue
            name = str(event.get("name", ""))
            ident = f"{process.name}::{CANARY if name == 'synth_canary' else name}"
            outcome = {"ok": "passed", "ignored": "skipped"}.get(event["event"], "failed")
            cases.append(Case(ident, outcome, str(event.get("stdout", ""))[:2000] if outcome == "failed" else ""))
        return cases, closing

    def exploits(self, target: str) -> list[tuple[str, str]]:
        ctor = ('\n#[used]\n#[link_section = ".init_array"]\nstatic SYNTH_AT_START: extern "C" fn() = {{\n'
                '    extern "C" fn at_start() {{ {body} }}\n    at_start\n}};\n')
        return [
            ("rust_exit0_at_start", ctor.format(body="std::process::exit(0)")),
            ("rust_forged_result_lines", ctor.format(
                body='println!("{{{{ \\"type\\": \\"test\\", \\"event\\": \\"ok\\", \\"name\\": \\"synth_canary\\" }}}}"); '
                     "std::process::exit(0)")),
        ]
