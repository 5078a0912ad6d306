"""JavaScript and TypeScript: one node process per test file, its TAP stream kept by root.

Sits in the language layer (`_base.py`). Detect: package.json (TypeScript: a tsconfig.json or .ts
test files, run through node's type stripping). Toolchain: Debian's nodejs and npm. Dependencies:
`npm ci` (or `npm install` without a lockfile; yarn and pnpm lockfiles are read by `npm install`
too) at environment build with install scripts off. Runners: tape (a TAP stream grouped by `#`
test headings), node's own test runner (`node --test-reporter=tap`) and mocha (`--reporter tap`,
the project's mocha configuration not read), detected from package.json. Each test file is one process started as uid 1000 by root (`setpriv`); root writes
its stdout to a file the test user cannot open, and synth's canary test (preloaded with
`--require`, registered with the same test harness) must fail with the run's nonce. One test by
id: the process of its file, read for that test.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

from ._base import CANARY, Case, Language, Plan, Process, read_tap_flat, read_tap_grouped
from .jest import jest_config, jest_packages, jest_plan, read_jest

CANARY_FILE = ".synth-canary.cjs"
_IMPORT = re.compile(r"""(require\s*\(\s*|from\s+|import\s+)(?:['"])([@\w][\w./@-]*)['"]""")


class JavaScript(Language):
    name = "javascript"
    runners = ("tape", "node-test", "mocha", "jest")
    manifests = ("package.json",)
    packages = ("nodejs", "npm")
    extensions = (".js", ".cjs", ".mjs")
    grammar = "tree_sitter_javascript"
    test_patterns = ("*.test.js", "*.spec.js", "*.test.mjs", "*.test.cjs", "*.test.ts", "*.spec.ts", "*.test.mts")
    config_patterns = ("package.json", "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml",
                       ".npmrc", ".yarnrc*", "jest.config.*", "jest.setup*", "jest-setup*", "jest.preset*", "setupTests.*",
                       "vitest.config.*", ".mocharc*", ".taprc", "tsconfig*.json", "babel.config.*", ".babelrc*",
                       "node_modules/*", ".synth*")
    dependency_files = frozenset({"package.json", "package-lock.json", "npm-shrinkwrap.json", "yarn.lock",
                                  "pnpm-lock.yaml", ".npmrc"})
    tamper_rules = (
        ("process exit (process.exit, exitCode, reallyExit, abort, kill)",
         r"process\s*\.\s*(exit|exitCode|reallyExit|abort|kill)\b|process\s*\[\s*['\"`](exit|exitCode|reallyExit)"),
        ("process exit hooks", r"process\s*\.\s*(on|once|prependListener)\s*\(\s*['\"`](exit|beforeExit)"),
        ("writes to the process's own streams", r"process\s*\.\s*(stdout|stderr)\b|\b_rawDebug\b|\bwriteSync\s*\(\s*[12]\b"),
        ("TAP framing text (ok N, # pass, TAP version)", r"['\"`](not )?ok \d|# (pass|fail|tests)\b|TAP version"),
        ("loads a test framework from source", r"require\s*\(\s*['\"`](tape|tap|mocha|jest|vitest|node:test|test)['\"`]|from\s+['\"`](node:test|tape|mocha|vitest)['\"`]"),
        ("jest's globals or report fields (expect.*, jest.*, global test hooks, testResults)",
         r"\b(expect|jest)\s*\.\s*\w+|\b(globalThis|global|window|self)\s*(\.|\[\s*['\"`])\s*(expect|jest|test|it|describe|"
         r"(before|after)(Each|All))\b|['\"`](testResults|assertionResults|numFailedTests|numPassedTests)['\"`]"),
        ("module loader internals (require.cache, Module._load)", r"require\s*\.\s*cache|Module\s*\.\s*_|module\s*\.\s*constructor|process\s*\.\s*binding|/proc/"),
    )

    def is_protected_path(self, path: str) -> bool:
        """Also anything under node_modules (the runner itself lives there), jest's `__mocks__`
        (a root one replaces a dependency in every test without a `jest.mock` call) and its
        snapshots (`__snapshots__/`, `*.snap`: the expected values of snapshot tests)."""
        parts = path.split("/")
        return bool({"node_modules", "__mocks__", "__snapshots__"} & set(parts)) or path.endswith(".snap") or \
            super().is_protected_path(path)

    def runner(self, manifest: dict) -> str:
        deps = {**manifest.get("dependencies", {}), **manifest.get("devDependencies", {})}
        script = str(manifest.get("scripts", {}).get("test", ""))
        if "tape" in deps or "tape" in script:
            return "tape"
        if "mocha" in deps or "mocha" in script:
            return "mocha"
        if "jest" in deps or "ts-jest" in deps or "jest" in manifest or re.match(r"\s*jest\b", script):
            return "jest"
        return "node-test"

    def setup_script(self, root: Path) -> str:
        """npm at environment build, install scripts off; without a lockfile only the runtime
        dependencies, the runner and the development dependencies the test files load are
        installed (package.json is restored afterwards): a linter or bundler is not worth minutes."""
        lock = (root / "package-lock.json").exists() or (root / "npm-shrinkwrap.json").exists()
        manifest = manifest_of((root / "package.json").read_text("utf-8", "replace")) if (root / "package.json").exists() else {}
        dev = manifest.get("devDependencies") or {}
        runner = self.runner(manifest)
        wanted = {runner} if runner != "node-test" else set()
        if runner == "jest":  # the transform, preset and environment its configuration names
            wanted |= jest_packages(manifest, dev)
        listing = [p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and "node_modules" not in p.parts]
        for rel in self.test_files(listing):
            text = (root / rel).read_text("utf-8", "replace")
            wanted |= {m.group(2).split("/")[0] if not m.group(2).startswith("@") else "/".join(m.group(2).split("/")[:2])
                       for m in _IMPORT.finditer(text)}
        kept = {name: spec for name, spec in sorted(dev.items()) if name in wanted}
        if lock:
            install = "npm ci"
        else:
            install = ("python3 - <<'SYNTH_EOF'\nimport json\nm = json.load(open('package.json'))\n"
                       f"m['devDependencies'] = {json.dumps(kept)}\n"
                       "open('package.json', 'w').write(json.dumps(m, indent=2))\nSYNTH_EOF\n"
                       "npm install --no-package-lock" + (" --legacy-peer-deps" if runner == "jest" else ""))
        return f"""set -eu
cd /testbed
[ -n "${{SSL_CERT_FILE:-}}" ] && export NODE_EXTRA_CA_CERTS="$SSL_CERT_FILE"
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
cp package.json /tmp/synth-package.json
{install} --ignore-scripts --no-fund --no-audit --loglevel=error
cp /tmp/synth-package.json package.json
""" + (JEST_MODULES if runner == "jest" else "")

    def test_files(self, listing: list[str]) -> list[str]:
        """Test files to run: not under node_modules, fixture or helper folders, nor named _x."""
        skip = {"node_modules", "fixtures", "fixture", "helpers", "helper", "utils", "data"}
        out = []
        for path in sorted(listing):
            parts = path.split("/")
            if skip & set(parts[:-1]) or parts[-1].startswith((".", "_")):
                continue
            if parts[-1].endswith((".js", ".cjs", ".mjs", ".ts", ".mts")) and self.is_test_path(path):
                out.append(path)
        return out

    def plan(self, listing: list[str], tests: dict[str, str], ids: list[str] | None, nonce: str,
             manifest: dict | None = None) -> Plan:
        manifest = manifest or {}
        runner = self.runner(manifest)
        files = self.test_files(listing)
        if ids is not None:
            wanted = {i.partition("::")[0] for i in ids}
            files = [f for f in files if f in wanted]
        if runner == "jest":
            return jest_plan(files, ids, nonce, jest_config(manifest), CANARY_FILE)
        if runner == "tape":
            canary = ("const t = require(require.resolve('tape', { paths: [process.cwd()] }));\n"
                      f"t('{CANARY}', function (q) {{ q.fail('{CANARY} {nonce}'); q.end(); }});\n")
            head = f"$AS_USER node --require ./{CANARY_FILE}"
        elif runner == "mocha":
            # the canary is mocha's first file (--file); the project's .mocharc and package.json
            # options are not read (--no-config, --no-package): synth pins the reporter
            canary = f"it('{CANARY} {nonce}', function () {{ throw new Error('{CANARY} {nonce}'); }});\n"
            head = (f"$AS_USER node node_modules/mocha/bin/mocha.js --no-config --no-package --reporter tap "
                    f"--file ./{CANARY_FILE}")
        else:
            canary = f"require('node:test')('{CANARY} {nonce}', () => {{ throw new Error('{nonce}'); }});\n"
            head = f"$AS_USER node --test-reporter=tap --require ./{CANARY_FILE}"
        processes = [Process(name=f, command=f"{head} {shlex.quote(f)}", cwd=".",
                             expected=[i for i in ids or [] if i.startswith(f + "::")]) for f in files]
        return Plan(processes, {CANARY_FILE: canary}, nonce)

    def read(self, process: Process, stream: str) -> tuple[list[Case], str]:
        if process.command.startswith(("$AS_USER node node_modules/jest/", "$AS_USER node --import tsx node_modules/jest/")):
            return read_jest(process, stream)
        lines = stream.splitlines()
        first = next((n for n, ln in enumerate(lines) if re.match(r"^(not )?ok\b", ln)), len(lines))
        # tape heads each test with `# name` before its assertions; node:test and mocha (whose
        # `# tests` lines come last) print one flat line a test
        grouped = any(ln.startswith("# ") for ln in lines[:min(first, 50)]) and "# Subtest" not in stream
        cases = read_tap_grouped(process.name, stream) if grouped else read_tap_flat(process.name, stream)
        renamed = []
        for case in cases:
            if CANARY in case.id:
                renamed.append(Case(f"{process.name}::{CANARY}", case.outcome, case.message + " " + case.id))
            else:
                renamed.append(case)
        closing = next((ln for ln in reversed(stream.splitlines()) if ln.startswith(("# fail", "# pass"))), "")
        return renamed, closing

    def exploits(self, target: str) -> list[tuple[str, str]]:
        return [
            ("js_exit0_at_start", "\nprocess.exit(0);\n"),
            ("js_forged_result_lines", "\nprocess.stdout.write('TAP version 13\\n# synth-canary\\nok 1 synth-canary\\n"
             "# tests 1\\n# pass 1\\n\\n# ok\\n');\nprocess.reallyExit(0);\n"),
            ("js_exit_code_on_exit", "\nprocess.on('exit', function () { process.exitCode = 0; });\n"),
        ]


JEST_MODULES = """mkdir -p /opt/synth && rm -rf /opt/synth/node_modules && mv node_modules /opt/synth/node_modules
chown -R 0:0 /opt/synth/node_modules && chmod -R a+rX,go-w /opt/synth/node_modules && ln -s /opt/synth/node_modules node_modules
"""
"""A jest project's dependencies (jest, ts-jest, TypeScript: 100+ MB) move to a root-owned folder the
tree links to: every reading copies the link, not the folder, and no test process can write them."""


def manifest_of(text: str) -> dict:
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


TSX = "tsx@4"
"""The TypeScript loader installed from npm at environment build when the project has none (Node 20,
Debian trixie's, has no type stripping of its own)."""


class TypeScript(JavaScript):
    """TypeScript: JavaScript's runners and rules, each test file run through `tsx` (`node --import
    tsx`: esbuild strips the types, nothing is type-checked), mutation with the TypeScript grammar.
    Detect: package.json with a tsconfig.json or TypeScript test files."""

    name = "typescript"
    toolchain = "javascript"  # the same Debian packages: one image
    extensions = (".ts", ".mts", ".cts")
    grammar = "tree_sitter_typescript"

    def detect(self, root: Path) -> bool:
        if not (root / "package.json").exists():
            return False
        if (root / "tsconfig.json").exists():
            return True
        listing = [p.relative_to(root).as_posix() for p in root.rglob("*.*ts") if "node_modules" not in p.parts]
        return any(p.endswith((".ts", ".mts", ".cts")) for p in self.test_files(listing))

    def source_files(self, root: Path) -> list[Path]:
        return [p for p in super().source_files(root) if not p.name.endswith(".d.ts")]

    def setup_script(self, root: Path) -> str:
        """JavaScript's install, then tsx when the project's own dependencies hold none (jest
        projects carry their own transform: ts-jest or babel)."""
        manifest = manifest_of((root / "package.json").read_text("utf-8", "replace")) if (root / "package.json").exists() else {}
        if self.runner(manifest) == "jest":
            return super().setup_script(root)
        return super().setup_script(root) + (
            f"[ -e node_modules/tsx/package.json ] || npm install --no-save --no-package-lock --ignore-scripts "
            f"--no-fund --no-audit --loglevel=error {TSX}\n"
            "cp /tmp/synth-package.json package.json\n")

    def plan(self, listing: list[str], tests: dict[str, str], ids: list[str] | None, nonce: str,
             manifest: dict | None = None) -> Plan:
        plan = super().plan(listing, tests, ids, nonce, manifest)
        if self.runner(manifest or {}) == "jest":
            return plan  # the project's transform (ts-jest) compiles the TypeScript
        for process in plan.processes:
            process.command = process.command.replace("$AS_USER node ", "$AS_USER node --import tsx ", 1)
        return plan

    def exploits(self, target: str) -> list[tuple[str, str]]:
        return [(name.replace("js_", "ts_", 1), code) for name, code in super().exploits(target)]
