"""Go: `go test` built as a binary per package, run under `go tool test2json` by root.

Sits in the language layer (`_base.py`). Detect: go.mod (GOPATH-style trees get one from their
source, e.g. a Debian -dev package). Toolchain: Debian's golang-go. Dependencies: `go mod
download` at environment build (the module proxy on a user's machine; on CI only dependency-free
modules or Debian's packaged copies under /usr/share/gocode, through GOFLAGS=-mod=mod and
GOPROXY=off). Tests: every folder holding *_test.go is one process: root runs `go test -json` there (a
Go build runs no code of the project; the build cache is a fresh copy of the image's warmed one)
and `-exec` starts the test binary as uid 1000 (`setpriv`, a root-owned copy of the binary), with
-test.paniconexit0, so the JSON stream is written by a root process the test process cannot reach
through /proc; only the binary's own stdout can say anything, and synth's canary test must fail
in it with the run's nonce. A folder whose tests do not build reports each of its tests as an
error. One test by id: `-test.run '^(A|B)$'` on the binaries of their folders.
"""

from __future__ import annotations

import json
import posixpath
import re
import shlex
from pathlib import Path

from ._base import CANARY, Case, Language, Plan, Process

_TEST_FUNC = re.compile(r"^func (Test[A-Z0-9_]\w*|Test)\(\w+ \*testing\.T\)", re.M)
_PACKAGE = re.compile(r"^package (\w+)", re.M)
ENV = ("export GOTOOLCHAIN=local GOPROXY=off GOFLAGS=-mod=mod GO111MODULE=on "
       "GOSUMDB=off CGO_ENABLED=0")


class Go(Language):
    name = "go"
    runners = ("go-test2json",)
    manifests = ("go.mod",)
    packages = ("golang-go",)
    extensions = (".go",)
    grammar = "tree_sitter_go"
    test_patterns = ("*_test.go",)
    config_patterns = ("go.mod", "go.sum", "go.work", "go.work.sum", "vendor/modules.txt", ".synth*")
    test_dirs = frozenset({"testdata"})
    tamper_rules = (
        ("process exit (os.Exit, syscall.Exit, runtime.Goexit)", r"\b(os\.Exit|syscall\.Exit|runtime\.Goexit)\s*\("),
        ("an init function (runs before any test)", r"^\s*func\s+init\s*\(\s*\)"),
        ("imports the testing package outside a test", r"\"testing(/\w+)?\""),
        ("test-runner framing text (=== RUN, --- PASS, ^V)", r"(=== (RUN|PAUSE|CONT)|--- (PASS|FAIL|SKIP)|\\x16|\\u0016|\x16)"),
        ("test flags (-test.*)", r"\"-?test\.\w+"),
        ("unsafe, linkname or raw syscalls", r"(\"unsafe\"|go:linkname|\"syscall\"|/proc/)"),
    )

    def is_protected_path(self, path: str) -> bool:
        """Also vendored modules (the testing package's callers live beside them)."""
        return "vendor" in path.split("/")[:-1] or super().is_protected_path(path)

    def setup_script(self, root: Path) -> str:
        return f"""set -eu
{ENV}
export GOPATH=/opt/synth/gopath GOCACHE=/opt/synth/gocache
mkdir -p $GOPATH $GOCACHE
cd /testbed
# modules Debian packages (golang-*-dev) are found through GOPATH-style vendoring when present
if [ -d /usr/share/gocode/src ] && grep -q '^require' go.mod 2>/dev/null; then export GOFLAGS=-mod=mod GOPROXY=off; fi
go list ./... >/dev/null
# warm the build cache every test run starts from (a copy of it: a run never writes the image's)
go test -vet=off -count=1 -run '^$' ./... >/dev/null 2>&1 || true
chmod -R a+rX /opt/synth
"""

    def test_files(self, listing: list[str]) -> list[str]:
        return sorted(p for p in listing if p.endswith("_test.go") and not p.startswith(("vendor/", "testdata/"))
                      and "/testdata/" not in p and "/vendor/" not in p)

    def plan(self, listing: list[str], tests: dict[str, str], ids: list[str] | None, nonce: str,
             manifest: dict | None = None) -> Plan:
        folders: dict[str, list[str]] = {}
        for path in self.test_files(listing):
            folders.setdefault(posixpath.dirname(path) or ".", []).append(path)
        wanted: dict[str, set[str]] | None = None
        if ids is not None:
            wanted = {}
            for ident in ids:
                folder, _, name = ident.partition("::")
                wanted.setdefault(folder, set()).add(name.split("/")[0])
        processes, files = [], {}
        for folder, paths in sorted(folders.items()):
            if wanted is not None and folder not in wanted:
                continue
            texts = [tests.get(p, "") for p in paths]
            package = next((m.group(1) for t in texts if (m := _PACKAGE.search(t))), None)
            if package is None:
                continue
            names = sorted({m.group(1) for t in texts for m in _TEST_FUNC.finditer(t)})
            canary = f"{folder}/0synth_canary_test.go" if folder != "." else "0synth_canary_test.go"  # runs first
            files[canary] = (f'package {package}\n\nimport "testing"\n\nfunc TestSynthCanary(t *testing.T) '
                             f'{{ t.Fatal("{CANARY} {nonce}") }}\n')
            selected = sorted(wanted[folder]) if wanted is not None else []
            run = "-run " + shlex.quote("^(" + "|".join(selected + ["TestSynthCanary"]) + ")$") if selected else ""
            pkg = "./" + folder if folder != "." else "."
            processes.append(Process(
                name=folder,
                command=f"env {ENV[len('export '):]} go test -json -vet=off -count=1 -p 1 -exec $R/exec.sh "
                        f"-timeout $TIMEOUTs {run} {shlex.quote(pkg)}",
                cwd=".",
                expected=[f"{folder}::{n}" for n in names if wanted is None or n in wanted[folder]],
            ))
        return Plan(processes, files, nonce, private=True)

    def read(self, process: Process, stream: str) -> tuple[list[Case], str]:
        outcomes: dict[str, str] = {}
        output: dict[str, list[str]] = {}
        closing = ""
        for line in stream.splitlines():
            if not line.startswith("{"):
                continue
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if not isinstance(event, dict):
                continue
            test, action = event.get("Test"), event.get("Action")
            if event.get("FailedBuild") or action == "build-fail":
                closing = "build-failed"
            if not test:
                if action in ("pass", "fail") and closing != "build-failed":
                    closing = action
                continue
            if action == "output":
                output.setdefault(test, []).append(str(event.get("Output", "")))
            elif action in ("pass", "fail", "skip"):
                outcomes[test] = action
        cases = []
        for test, action in outcomes.items():
            ident = f"{process.name}::{CANARY if test == 'TestSynthCanary' else test}"
            text = "".join(output.get(test, []))
            lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith(("=== ", "--- "))]
            if action == "pass":
                cases.append(Case(ident, "passed"))
            elif action == "skip":
                cases.append(Case(ident, "skipped"))
            else:
                cases.append(Case(ident, "failed", " ".join(lines)[:2000]))
        return cases, closing

    def exploits(self, target: str) -> list[tuple[str, str]]:
        return [
            ("go_exit0_at_start", 'import "os"\n\nfunc init() { os.Exit(0) }\n'),
            ("go_forged_result_lines", 'import "os"\n\nfunc init() {\n\tos.Stdout.WriteString("\\x16=== RUN   '
             'TestSynthCanary\\n\\x16--- PASS: TestSynthCanary (0.00s)\\n\\x16PASS\\n")\n\tos.Exit(0)\n}\n'),
            ("go_skip_all_tests", 'import "flag"\n\nfunc init() { flag.Set("test.run", "^$") }\n'),
        ]
