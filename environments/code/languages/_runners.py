"""The language layer's runners on issue 17's interface (`synth.verifiers.code.LanguageRunner`).

Sits between the language rules (`go.py`, `javascript.py`) and the harness-3 supervisor: each
runner turns test ids into `Child` commands (argv, the ids it reports), says which build output
is swept before a run, reads its runner's summary and scans a changed file. Until the harness-3
supervisor executes children, `_run.reading` runs the same commands under synth's shell supervisor
(root-owned stream files, setpriv to uid 1000, the canary test); the commands are the same.

Reporter: `junit` in the interface's terms: the test process writes its own stream (Go's test2json
events, TAP), which the supervisor reads; the canary test with a per-run nonce is what a forged
stream must also reproduce (docs/code-languages.md says what that costs an attacker).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from synth.verifiers.code import Child, ScanFlag
from synth.verifiers.code._junit import Summary

from ._base import Language, StreamRunner


def _added(before: str | None, after: str) -> list[tuple[int, str]]:
    """(line number in `after`, text) of the lines `after` adds over `before`."""
    old = (before or "").splitlines()
    new = after.splitlines()
    added = []
    for tag, _i1, _i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if tag in ("replace", "insert"):
            added += [(j + 1, new[j]) for j in range(j1, j2)]
    return added


@dataclass
class StreamLanguageRunner:
    """One language runner: a `LanguageRunner` whose commands come from its `Language`."""

    lang: Language
    name: str
    reporter: str = "junit"
    guard_events: tuple[str, ...] = ()

    @property
    def language(self) -> str:
        return self.lang.name

    @property
    def extensions(self) -> tuple[str, ...]:
        return self.lang.extensions

    @property
    def sweep(self) -> tuple[str, ...]:
        return {"go": (), "javascript": ("node_modules/.cache/**",), "rust": ("target/**",),
                "java": ("target/**", "build/**", "**/*.class")}.get(self.lang.name, ())

    def _child(self, test_ids: list[str] | None, solo: bool) -> Child:
        if self.lang.name == "go":
            folders = sorted({i.partition("::")[0] for i in test_ids or []}) or ["./..."]
            names = sorted({i.partition("::")[2].split("/")[0] for i in test_ids or []})
            argv = ["go", "test", "-json", "-vet=off", "-count=1", "-p", "1"]
            if names:
                argv += ["-run", "^(" + "|".join(names) + ")$"]
            argv += [f if f.startswith(".") else f"./{f}" for f in folders]
        elif self.lang.name == "rust":
            files = sorted({i.partition("::")[0] for i in test_ids or []})
            names = sorted({i.partition("::")[2] for i in test_ids or []})
            argv = ["cargo", "test", "--offline"]
            for file in files:
                argv += ["--test", file.rsplit("/", 1)[-1][:-3]]
            argv += ["--", "-Z", "unstable-options", "--format", "json", "--test-threads", "1"]
            argv += names + (["--exact"] if names else [])
        elif self.lang.name == "java":
            from .java import CANARY_CLASS, MAVEN_PROPERTIES

            argv = ["/opt/synth/mvn", "test", *MAVEN_PROPERTIES.split()]
            by_class: dict[str, list[str]] = {}
            for ident in test_ids or []:
                cls, _, method = ident.partition("::")
                by_class.setdefault(cls, []).append(method)
            if by_class:
                argv.append("-Dtest=" + ",".join(f"{c}#{'+'.join(sorted(m))}" for c, m in sorted(by_class.items()))
                            + f",{CANARY_CLASS}")
        elif self.name == "jest":
            from .jest import JEST_CLI, JEST_FLAGS

            files = sorted({i.partition("::")[0] for i in test_ids or []})
            names = sorted({i.partition("::")[2] for i in test_ids or [] if not i.endswith("::*")})
            argv = ["node", JEST_CLI, *JEST_FLAGS.split()]
            if names:
                from .jest import _js_regex

                argv += ["--testNamePattern", "^(?:" + "|".join(_js_regex(n) for n in names) + ")$"]
            argv += files
        else:
            files = sorted({i.partition("::")[0] for i in test_ids or []})
            head = ["node", "--require", "./.synth-canary.cjs"]
            if self.name == "node-test":
                head.insert(1, "--test-reporter=tap")
            argv = head + files
        return Child(argv=argv, ids=test_ids, solo=solo, reporter="junit")  # type: ignore[arg-type]

    def main_child(self, harness: object, test_files: list[str]) -> Child:
        if self.lang.name in ("go", "rust", "java"):
            return self._child(None, False)
        return Child(argv=self._child([f"{f}::*" for f in test_files], False).argv, ids=None, reporter="junit")

    def batch_child(self, harness: object, test_ids: list[str]) -> Child:
        return self._child(list(test_ids), False)

    def solo_child(self, harness: object, test_id: str) -> Child:
        return self._child([test_id], True)

    def summary(self, log: str) -> Summary | None:
        return StreamRunner(self.name).summary(log)

    def scan(self, path: str, before: str | None, after: str) -> list[ScanFlag]:
        import re

        if self.lang.is_test_path(path) or not path.endswith(self.lang.extensions):
            return []
        flags = []
        for number, text in _added(before, after):
            for construct, pattern in self.lang.tamper_rules:
                if re.search(pattern, text):
                    flags.append(ScanFlag(path, number, construct))
        return flags


def runners() -> dict[str, StreamLanguageRunner]:
    """Every runner of the language layer, by name."""
    from . import LANGUAGES

    return {name: StreamLanguageRunner(lang, name) for lang in LANGUAGES.values() for name in lang.runners}
