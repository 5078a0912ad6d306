"""Exploit null controls of the language layer: diffs that attack a language's runner.

Sits under the code family's `controls()` for tasks of a language other than Python: each
language lists its attacks (`Language.exploits`: exit 0 at process start, forged result lines, a
skipped suite) as code added to the package the gold patch changes, and one more control changes
the project's test or build configuration. Verify requires each to fail on the check it names:
the static tamper scan refuses the first kind (`submission_allowed`); grading drops the
configuration change, so the failing tests still fail (`fail_to_pass`). With the scan off, the
canary test makes the same attacks invalid runs (tests/code/languages).
"""

from __future__ import annotations

import io
import re
import subprocess
import tarfile
import tempfile
from pathlib import Path, PurePosixPath

from synth.verifiers.code import parse

from .._mutate import diff
from ._base import Language


def task_files(tree: bytes, start_patch: str) -> Path:
    """The task's starting tree unpacked into a temporary folder (the caller removes it)."""
    folder = Path(tempfile.mkdtemp(prefix="synth-controls-"))
    with tarfile.open(fileobj=io.BytesIO(tree)) as tar:
        tar.extractall(folder, filter="data")
    if start_patch.strip():
        subprocess.run(["git", "apply", "--whitespace=nowarn", "-"], input=start_patch.encode(), cwd=folder,
                       check=True, capture_output=True)
    return folder


def exploit_diffs(language: Language, root: Path, gold_patch: str) -> list[tuple[str, str, str]]:
    """(name, diff, check it must fail) for a task whose starting tree is at `root`."""
    targets = [s.path for s in parse(gold_patch) if s.new_path != "/dev/null" and not language.is_protected_path(s.path)]
    controls: list[tuple[str, str, str]] = []
    if targets:
        target = targets[0]
        old = (root / target).read_bytes().decode("utf-8")
        for name, code in language.exploits(target):
            if language.name == "go":  # Go cannot add imports at a file's end: a new file of the package
                package = re.search(r"^package (\w+)", old, re.M)
                path = str(PurePosixPath(target).with_name("synth_exploit.go"))
                body = f"package {package.group(1) if package else 'main'}\n\n{code}"
                controls.append((name, diff(path, "", body).replace(
                    f"--- a/{path}", "new file mode 100644\n--- /dev/null", 1), "submission_allowed"))
            else:
                controls.append((name, diff(target, old, language.exploit_text(old, code)), "submission_allowed"))
    for manifest in language.manifests:
        if (root / manifest).is_file():
            old = (root / manifest).read_bytes().decode("utf-8")
            if manifest == "go.mod":
                new = old.rstrip("\n") + "\n// synth: a changed configuration\n"
            elif manifest == "pom.xml":
                new = (old.replace("<properties>", "<properties>\n    <skipTests>true</skipTests>", 1) if "<properties>" in old
                       else old.replace("</project>", "  <properties><skipTests>true</skipTests></properties>\n</project>", 1))
            elif manifest == "Cargo.toml":
                new = old.rstrip("\n") + "\n\n# synth: a changed configuration\n[profile.test]\nopt-level = 0\n"
            elif '"scripts": {' in old:
                new = old.replace('"scripts": {', '"scripts": {\n    "test": "exit 0",', 1)
            else:
                new = old.rstrip().rstrip("}") + ',\n  "scripts": {"test": "exit 0"}\n}\n'
            controls.append((f"{language.name}_config_change", diff(manifest, old, new), "fail_to_pass"))
            break
    return controls


def exploit_controls(language: Language, tree: bytes, start_patch: str, gold_patch: str) -> list[tuple[str, str, str]]:
    import shutil

    root = task_files(tree, start_patch)
    try:
        return exploit_diffs(language, root, gold_patch)
    finally:
        shutil.rmtree(root, ignore_errors=True)
