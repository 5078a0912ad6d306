"""Execution of code tasks in Docker: image layers, test runs, validation, grading runs.

Sits between the code family's generator/environment and `synth.sandbox`; every test run is made
from the code verifier's `Harness` with its launcher, so validation and grading run one command.
Guarantees:

- The environment image holds the repository at one commit with its dependencies (one image per
  repository@commit+setup script, shared by all its tasks); the task image holds the task's
  starting tree as a fresh single-commit git repository at /testbed: no history, no reflog, no
  remote, no object of the fix, and never the test patch or gold patch.
- A test run copies the launcher and the run's spec into a fresh root-owned folder; the launcher
  runs as root, makes the repository read-only, runs the tests as uid 1000 (no network, memory,
  pids and CPU limits, a timeout) with the hardened interpreter and pytest options, and kills what
  they leave; the JUnit XML, the capped log and the exit code are the run's artifact.
- `probe` asks the container's own pytest, on the task's files before any submission, which
  configuration file and rootdir it uses and which plugins are installed: the harness a task is
  validated with, recorded in the tuple and reused at grading.
- Validation runs the tests k times before and after the gold patch; the last reading after it
  also confirms each test that failed before in its own fork of that process (the solo reading
  grading confirms a pass with), and the audit events the gold's runs asked for become the task's
  allowances, each naming the function that asked.
- A grading run refuses a diff the strict reader refuses; in a fresh container it drops test and
  test-configuration sections, asks git which paths the rest touches and which paths changed
  after applying it (tracked and untracked, ignoring nothing) and refuses any it did not declare,
  any protected or forbidden path and any new module that shadows an installed one; then it
  applies the test patch afresh and runs one test process: the F2P tests each in a fork of it
  first (the solo reading), then the main reading. Its artifacts are all that grading reads.
  Containers are removed in `finally` on every path (validation's in a thread of its own, once its
  readings are read: the removal overlaps what runs next).
"""

from __future__ import annotations

import hashlib
import io
import json
import secrets
import shlex
import tarfile
import threading
from dataclasses import dataclass, field
from typing import Any, Callable

from synth import SandboxError
from synth.sandbox import Limits, Sandbox, build_layer, ensure_base, start_sandbox
from synth.verifiers.code import (
    ALLOW_MARK,
    HARNESS_VERSION,
    LAUNCHER,
    MAX_JUNIT_BYTES,
    PROBE_MARK,
    ROOT,
    GradingArtifacts,
    Harness,
    Reading,
    TestRun,
    forbidden_path,
    judge,
    parse_junit,
    problems,
    is_python,
    recorded,
    values_of,
    watched,
    scan_python,
)

from ._patch import drop_protected, is_protected_path, parse

TEST_LIMITS = Limits(network="none", user="1000:1000", memory="2g", pids=256, cpus=1.0)
USER = "1000:1000"
LOG_CAP = 256 * 1024

_EXCLUDE = "*.egg-info/\n__pycache__/\n*.pyc\n.pytest_cache/\nbuild/\ndist/\n.eggs/\n.tox/\n.hypothesis/\n"


def env_image(base: str, tree_tar: bytes, setup_script: str, *, log: Callable[[str], None] | None = None) -> str:
    """The environment image: the repository tree with its dependencies installed (host network)."""
    tree_digest = hashlib.sha256(tree_tar).hexdigest()

    def steps(box: Sandbox) -> None:
        if log:
            log(f"building the environment image for tree {tree_digest[:12]} (setup script, host network)")
        box.put_tree("/testbed", tree_tar)
        box.write_file("/tmp/synth-setup.sh", setup_script.encode(), mode=0o755, user="0:0")
        result = box.exec("cd /testbed && bash /tmp/synth-setup.sh", timeout=1800, user="0:0", output_cap=LOG_CAP)
        if result.exit_code != 0:
            raise SandboxError(f"setup script failed (exit {result.exit_code}): {result.output[-1200:]}")
        box.exec("rm -f /tmp/synth-setup.sh && chown -R 1000:1000 /testbed", user="0:0")

    return build_layer("env", base, {"tree": tree_digest, "setup": setup_script}, steps, network="host")


def task_image(env: str, start_patch: str) -> str:
    """The task image: a fresh single-commit repository of the starting tree at /testbed."""

    def steps(box: Sandbox) -> None:
        if start_patch:
            box.write_file("/tmp/synth-start.patch", start_patch.encode(), user="0:0")
            result = box.exec("cd /testbed && git apply --whitespace=nowarn /tmp/synth-start.patch", user="0:0")
            box.exec("rm -f /tmp/synth-start.patch", user="0:0")
            if result.exit_code != 0:
                raise SandboxError(f"the task's starting patch does not apply: {result.output[-600:]}")
        script = (
            "set -e; cd /testbed; rm -rf .git; git init -q; "
            f"printf %s {shlex.quote(_EXCLUDE)} > .git/info/exclude; "
            "git add -A; git commit -q --no-verify -m 'Task repository'; "
            "rm -rf .git/logs .git/hooks/* .git/COMMIT_EDITMSG .git/ORIG_HEAD .git/description"
        )
        box.exec("chown -R 1000:1000 /testbed", user="0:0")
        result = box.exec(script, user=USER)
        if result.exit_code != 0:
            raise SandboxError(f"making the task repository failed: {result.output[-600:]}")

    return build_layer("task", env, {"start_patch": start_patch, "layout": 1}, steps)


def ensure_images(base_suite: str, tree_tar: bytes, setup_script: str, start_patch: str,
                  log: Callable[[str], None] | None = None) -> dict[str, str]:
    base = ensure_base(base_suite, log=log)
    env = env_image(base, tree_tar, setup_script, log=log)
    return {"base": base, "env": env, "task": task_image(env, start_patch)}


def start_test_box(image: str) -> Sandbox:
    return start_sandbox(image, limits=TEST_LIMITS, kind="test")


def _close_soon(box: Sandbox) -> None:
    """Remove a test container whose readings are all read, in a thread of its own: its removal
    (stopping its processes, unmounting its layer) overlaps whatever runs next instead of delaying
    the result. The thread is not a daemon: the interpreter waits for it before exiting."""
    threading.Thread(target=box.close, name="synth-remove-test-box", daemon=False).start()


def apply_patch(box: Sandbox, patch: str, *, reverse: bool = False) -> tuple[bool, str]:
    """Apply (or take back) a git diff inside /testbed as the unprivileged user."""
    if not patch.strip():
        return True, ""
    path = f"/tmp/synth-{secrets.token_hex(8)}.patch"
    box.write_file(path, patch.encode(), user=USER)
    flag = " -R" if reverse else ""
    result = box.exec(f"cd {ROOT} && git apply{flag} --whitespace=nowarn {path}; code=$?; rm -f {path}; exit $code",
                      user=USER, timeout=60)
    return result.exit_code == 0, result.output[-2000:]


def _tree(folder: str, files: dict[str, bytes]) -> bytes:
    """A tar of a run folder for /tmp: the folder and its files root's, `out/` the test user's."""
    buffer = io.BytesIO()
    name = folder.rsplit("/", 1)[1]
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for member, uid in ((name, 0), (f"{name}/out", 1000)):
            info = tarfile.TarInfo(member)
            info.type, info.mode, info.uid, info.gid = tarfile.DIRTYPE, 0o755, uid, uid
            tar.addfile(info)
        for rel, data in files.items():
            info = tarfile.TarInfo(f"{name}/{rel}")
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _private(folder: str, files: dict[str, bytes]) -> bytes:
    """A tar of a folder for /tmp that only the test user can enter (mode 700), with its files."""
    buffer = io.BytesIO()
    name = folder.rsplit("/", 1)[1]
    uid, gid = (int(x) for x in USER.split(":"))
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo(name)
        info.type, info.mode, info.uid, info.gid = tarfile.DIRTYPE, 0o700, uid, gid
        tar.addfile(info)
        for rel, data in files.items():
            info = tarfile.TarInfo(f"{name}/{rel}")
            info.size, info.mode, info.uid, info.gid = len(data), 0o644, uid, gid
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def run_tests(box: Sandbox, harness: Harness, test_files: list[str], timeout: float, *,
              reading: Reading = "main", ids: list[str] | tuple[str, ...] = (), observe: bool = True) -> TestRun:
    """One reading of the tests by the launcher: the main one (the test files in one keyed
    process), or `solo` (each of `ids` in its own fork). `observe` (validation and mining, where
    the code is trusted): the audit events the tests ask for are listed (`allowances`) instead of
    ending the run; grading passes observe=False, so an event the task does not allow ends it."""
    return _launch(box, harness, test_files, timeout, reading, list(ids), observe, [])[0]


def run_confirmed(box: Sandbox, harness: Harness, test_files: list[str], timeout: float, confirm: list[str], *,
                  observe: bool = True) -> tuple[TestRun, TestRun]:
    """The main reading and the solo reading of `confirm` in one test process: after collection,
    before any test runs in it, each of `confirm` runs in its own fork with its own key (what the
    solo reading's process would do after its own collection), then the batch runs without those
    keys. Returns (main, solo), stored and judged as two runs."""
    main, solo = _launch(box, harness, test_files, timeout, "main", [], observe, list(confirm))
    assert solo is not None
    return main, solo


def _launch(box: Sandbox, harness: Harness, test_files: list[str], timeout: float, reading: Reading, ids: list[str],
            observe: bool, confirm: list[str]) -> tuple[TestRun, TestRun | None]:
    folder = f"/tmp/synth-run-{secrets.token_hex(12)}"
    spec = harness.spec(reading, run=folder, test_files=test_files, ids=ids, timeout=timeout, observe=observe,
                        confirm=confirm)
    box.put_tree("/tmp", _tree(folder, {"launch.py": LAUNCHER, "spec.json": json.dumps(spec).encode()}))
    command = f"cd {ROOT} && exec python -I -S {folder}/launch.py run {folder}/spec.json"
    if confirm:  # both readings' XML read back in one file (as root, after the supervisor killed the test user's processes)
        command = (f"cd {ROOT} && python -I -S {folder}/launch.py run {folder}/spec.json; code=$?; "
                   + _BUNDLE.format(files=f"{spec['junit']} {spec['junit_solo']}", out=f"{folder}/verdict")
                   + "; exit $code")
    result = box.exec(command, timeout=timeout + 30, user="0:0", output_cap=LOG_CAP)
    bundled: dict[str, bytes | None] = {}
    if confirm and not result.timed_out:
        try:
            bundled = dict(zip((spec["junit"], spec["junit_solo"]), _unbundle(
                box.read_file(f"{folder}/verdict", limit=2 * (MAX_JUNIT_BYTES + 32)), 2)))
        except SandboxError:
            bundled = {spec["junit"]: None, spec["junit_solo"]: None}

    def xml_of(path: str) -> str | None:
        if result.timed_out:
            return None
        if path in bundled:
            data = bundled[path]
            return None if data is None or len(data) > MAX_JUNIT_BYTES else data.decode("utf-8", "replace")
        try:
            return box.read_file(path, limit=MAX_JUNIT_BYTES).decode("utf-8", "replace")
        except SandboxError:
            return None

    timed_out = result.timed_out or result.exit_code == 124
    main = TestRun(runner="keyed", exit_code=result.exit_code, timed_out=timed_out, junit_xml=xml_of(spec["junit"]),
                   log=result.output, duration=round(result.duration, 3), command=harness.command(reading, test_files, ids))
    if not confirm:
        return main, None
    # the supervisor prints the solo reading's summary line just before the main one (the log's
    # last): the solo run's log ends before that last line; its exit code is the run's when that
    # is not a test result (invalid, tampered, timed out), else what its own records say
    cut = result.output.rfind("\nsynth-keyed (main): ")
    solo_log = result.output[:cut + 1] if cut >= 0 else ""
    solo_xml = xml_of(spec["junit_solo"])
    code = result.exit_code
    if code in (0, 1) and solo_xml is not None:
        results = _parse_results(solo_xml)
        code = 1 if results is None or any(v in ("failed", "error") for v in results.values()) else 0
    solo = TestRun(runner="keyed", exit_code=code, timed_out=timed_out, junit_xml=solo_xml, log=solo_log,
                   duration=0.0, command=harness.command("solo", test_files, confirm) + " (forks of the main reading's process)")
    return main, solo


_BUNDLE = ("for f in {files}; do if [ -f \"$f\" ] && [ ! -L \"$f\" ]; then stat -c %s -- \"$f\" && cat -- \"$f\"; "
           "else echo -1; fi; done > {out}")
"""Shell that writes regular files (not symlinks) into one: per file its length and a newline, then its bytes
(`-1` and a newline for a file that is missing or not a regular file); `_unbundle` reads it back."""


def _unbundle(data: bytes, count: int) -> list[bytes | None]:
    """The `count` files of a `_BUNDLE` (None for one that was missing); SandboxError when malformed."""
    found: list[bytes | None] = []
    for _ in range(count):
        head, newline, data = data.partition(b"\n")
        try:
            size = int(head)
        except ValueError:
            raise SandboxError("a bundle of files read back from the container is malformed") from None
        if not newline or size > len(data):
            raise SandboxError("a bundle of files read back from the container is malformed")
        found.append(None if size < 0 else data[:size])
        data = data[max(size, 0):]
    if data:
        raise SandboxError("a bundle of files read back from the container is malformed")
    return found


def _parse_results(xml: str) -> dict[str, str] | None:
    try:
        return dict(parse_junit(xml)[0])
    except ValueError:
        return None


def allowances(run: TestRun) -> list[str]:
    """The audit events an observed run's tests asked for (the launcher's SYNTH-ALLOW line)."""
    found: set[str] = set()
    for line in run.log.splitlines():
        if line.startswith(ALLOW_MARK):
            try:
                found.update(str(e) for e in json.loads(line[len(ALLOW_MARK):]))
            except ValueError:
                pass
    return sorted(found)


def probe(box: Sandbox, test_files: list[str]) -> Harness:
    """The harness of the tree in `box` as it stands: the configuration file and rootdir pytest
    chooses for `test_files` and the pytest plugins installed (the second reading is decided by
    validation)."""
    folder = f"/tmp/synth-probe-{secrets.token_hex(8)}"
    box.put_tree("/tmp", _tree(folder, {"launch.py": LAUNCHER}))
    files = " ".join(shlex.quote(f) for f in test_files)
    result = box.exec(f"cd {ROOT} && PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 python -I -B {folder}/launch.py probe {ROOT} {files}",
                      user=USER, timeout=120, output_cap=LOG_CAP)
    found = [line for line in result.output.splitlines() if line.startswith(PROBE_MARK)]
    if not found:
        raise SandboxError(f"finding the test harness failed: {' '.join(result.output.split())[-600:]}")
    facts = json.loads(found[-1][len(PROBE_MARK):])
    return Harness(config=facts["config"], rootdir=facts["rootdir"], plugins=facts["plugins"])


# git's reading of the diff's paths, then the whole tree (tracked, untracked and ignored files:
# `add -A -f` into a private index) written as a tree before and after applying it: the paths that
# changed are what git says changed
_LISTING = """set -u
cd {root}
export GIT_INDEX_FILE={folder}/index
git apply --numstat -z {patch} > {folder}/numstat || {{ echo 'git cannot read the diff'; exit 20; }}
snapshot() {{ rm -f {folder}/index && git add -A -f . >/dev/null 2>&1 && git write-tree; }}
before=$(snapshot) || {{ echo 'git cannot list the tree'; exit 22; }}
unset GIT_INDEX_FILE
git apply --whitespace=nowarn {patch} || exit 21
export GIT_INDEX_FILE={folder}/index
after=$(snapshot) || {{ echo 'git cannot list the tree'; exit 22; }}
git diff-tree -r -z --name-only --no-renames "$before" "$after" > {folder}/changed || {{ echo 'git cannot compare the trees'; exit 22; }}
for f in numstat changed; do stat -c %s {folder}/$f && cat {folder}/$f || exit 22; done > {folder}/listing
"""
# git's two answers are read back as one file (each one's length, a newline, then its bytes), never
# parsed out of the command's output: path names are the submitter's text (a file named
# "x\n@@synth:changed@@\n..." forged a section of a mixed stream)

SCAN_CAP = 4 * 1024 * 1024
"""Largest changed file the static scan reads (a larger one is not read, as before the fold)."""

# appended to `_LISTING` when the scan's inputs are read in the same command: for each (new path,
# old path) pair of {folder}/pairs (NUL-separated; old "" for a new file), the new file as the tree
# holds it after applying (a regular file, not a symlink, at most SCAN_CAP bytes) and the old one at
# the task's commit (`git show HEAD:path`), each as length, newline, bytes (-1: none)
_FETCH = """while IFS= read -r -d '' new && IFS= read -r -d '' old; do
  if [ -f "$new" ] && [ ! -L "$new" ] && [ "$(stat -c %s -- "$new")" -le {cap} ]; then stat -c %s -- "$new" && cat -- "$new"; else echo -1; fi
  if [ -n "$old" ] && git show "HEAD:$old" > {folder}/shown 2>/dev/null; then stat -c %s {folder}/shown && cat {folder}/shown; else echo -1; fi
done < {folder}/pairs >> {folder}/listing || exit 22
"""


def listing(box: Sandbox, folder: str, fetched: int = 0) -> tuple[str, str, list[bytes | None]]:
    """(numstat, changed, the `fetched` files `_FETCH` added) that `_LISTING` left in `folder`,
    numstat and changed NUL-separated as git wrote them."""
    data = box.read_file(f"{folder}/listing", limit=2 * 64 * 1024 * 1024 + fetched * (4 * SCAN_CAP + 64) + 64)
    numstat, changed, *files = _unbundle(data, 2 + fetched)
    if numstat is None or changed is None:
        raise SandboxError("git's listing of the diff could not be read")
    return numstat.decode("utf-8", "surrogateescape"), changed.decode("utf-8", "surrogateescape"), files

_SHADOWS = """import importlib.util, json, os, sys
root = {root!r}
sys.path[:] = [p for p in sys.path if p and os.path.abspath(p) != root and not os.path.abspath(p).startswith(root + "/")]
found = []
for path in json.loads(sys.argv[1]):
    parts = path.split("/")
    name, parent = (parts[-2], parts[:-2]) if parts[-1] == "__init__.py" else (parts[-1][:-3], parts[:-1])
    if os.path.exists(os.path.join(root, *parent, "__init__.py")) or not name.isidentifier():
        continue
    if importlib.util.find_spec(name) is not None:
        found.append(path + ": a new module named like the installed module " + repr(name))
print(json.dumps(found))
"""


def _numstat_paths(raw: str) -> set[str]:
    tokens, paths, i = raw.split("\0"), set(), 0
    while i < len(tokens):
        entry = tokens[i]
        if entry.count("\t") >= 2:
            path = entry.split("\t", 2)[2]
            if path:
                paths.add(path)
            elif i + 2 < len(tokens):  # a rename or copy: the two names follow
                paths.update(tokens[i + 1: i + 3])
                i += 2
        i += 1
    return paths


def git_judged(box: Sandbox, diff: str, protected: Callable[[str], bool],
               what: str) -> tuple[list[str], bool, str, set[str]]:
    """Apply a non-empty diff with git as the judge of what it touched: (why it is refused, applied,
    log, the paths that changed). `protected` names the paths no submission may change (`what` says
    what they are); every language's grading applies diffs through this one reading."""
    return _git_judged(box, diff, protected, what, [])[:4]


def _git_judged(box: Sandbox, diff: str, protected: Callable[[str], bool], what: str,
                fetch: list[tuple[str, str]]) -> tuple[list[str], bool, str, set[str], list[bytes | None]]:
    """`git_judged`, also reading back in the same command, for each (new path, old path) of
    `fetch`, the new file after applying and the old one at the task's commit (`_FETCH`)."""
    declared = {path for section in parse(diff) for path in section.paths}
    folder = f"/tmp/synth-apply-{secrets.token_hex(8)}"
    files = {"diff.patch": diff.encode()}
    script = _LISTING.format(root=ROOT, folder=folder, patch=f"{folder}/diff.patch")
    if fetch:
        files["pairs"] = b"".join(f"{new}\0{old}\0".encode("utf-8", "surrogateescape") for new, old in fetch)
        script += _FETCH.format(folder=folder, cap=SCAN_CAP)
    box.put_tree("/tmp", _private(folder, files))
    result = box.exec(script, user=USER, timeout=120, output_cap=64 * 1024 * 1024)
    if result.exit_code != 0 or result.truncated:
        return [], False, result.output[-2000:], set(), []
    numstat, listed, fetched = listing(box, folder, 2 * len(fetch))
    seen_by_git = _numstat_paths(numstat)
    changed = {p for p in listed.split("\0") if p}
    reasons = []
    if seen_by_git != declared:
        reasons.append(f"git reads the diff's paths as {sorted(seen_by_git)[:6]}, the diff declares {sorted(declared)[:6]}")
    if changed - declared:
        reasons.append(f"applying it changed paths it does not declare: {sorted(changed - declared)[:6]}")
    reasons += [f"{path}: {what}" for path in sorted(changed) if protected(path)]
    reasons += [reason for path in sorted(changed) if (reason := forbidden_path(path))]
    return reasons, True, "", changed, fetched


Fetched = dict[str, tuple[bytes | None, str | None]]
"""new path -> (the file after applying, or None; the old file at the task's commit, or None): what
`scan_changes` reads, read back with git's listing."""


def apply_submission(box: Sandbox, diff: str) -> tuple[str, bool, str]:
    """Apply a diff (already without protected sections) the way grading does, with git as the
    judge of what it touched: (why it is refused or "", applied, log)."""
    return _apply_submission(box, diff)[:3]


def _apply_submission(box: Sandbox, diff: str) -> tuple[str, bool, str, Fetched | None]:
    """`apply_submission`, with what the static scan of `diff` reads (in the same command as git's
    listing: no command of its own per file)."""
    if not diff.strip():
        return "", True, "", None
    pairs = [(s.new_path, "" if s.old_path == "/dev/null" else s.old_path) for s in parse(diff)
             if s.new_path != "/dev/null"]
    reasons, applied, log, changed, files = _git_judged(box, diff, is_protected_path,
                                                       "a test or test-configuration file", pairs)
    if not applied:
        return "", False, log, None
    fetched: Fetched = {}
    for (new, _), after, before in zip(pairs, files[0::2], files[1::2]):
        fetched.setdefault(new, (after, None if before is None else before.decode("utf-8", "replace")))
    created = {s.new_path for s in parse(diff) if s.old_path == "/dev/null" or s.renamed}
    modules = sorted(p for p in changed & created if p.endswith(".py"))
    if modules:
        check = box.exec(f"python -I -c {shlex.quote(_SHADOWS.format(root=ROOT))} {shlex.quote(json.dumps(modules))}",
                         user=USER, timeout=60)
        try:
            reasons += json.loads(check.output.strip().splitlines()[-1])
        except (ValueError, IndexError):
            reasons.append(f"the check for modules that shadow installed ones failed: {check.output[-200:]}")
    return "; ".join(reasons)[:2000], True, "", fetched


def scan_changes(box: Sandbox, diff: str, fetched: Fetched | None = None) -> list[str]:
    """The static tamper scan of the Python files `diff` changed, as the box holds them now (after
    applying it) against the task's commit: `path:line: construct` (`synth.verifiers.code.scan_python`).
    `fetched`: those files as `_apply_submission` read them back with git's listing (else each is
    read here)."""
    found = []
    for section in parse(diff) if diff.strip() else []:
        path = section.new_path
        if path == "/dev/null":
            continue
        if fetched is not None:
            after, before = fetched.get(path, (None, None))
            if after is None:
                continue
        else:
            try:  # bytes as Python reads them: the scan honours (and judges) a coding declaration
                after = box.read_file(f"{ROOT}/{path}", limit=SCAN_CAP)
            except SandboxError:
                continue
        if not path.endswith(".py") and not is_python(after):
            continue  # any other file that is Python source is scanned too (a loader can run a .txt)
        if fetched is None:
            before = None
            if section.old_path != "/dev/null":
                shown = box.exec(f"cd {ROOT} && git show HEAD:{shlex.quote(section.old_path)}", user=USER, timeout=60,
                                 output_cap=SCAN_CAP)
                before = shown.output if shown.exit_code == 0 else None
        found += [f"{path}:{line}: {construct}" for line, construct in scan_python(before, after)]
    return found


def grading_run(task: str, submission: str, test_patch: str, harness: Harness | None, test_files: list[str],
                fail_to_pass: list[str], pass_to_pass: list[str], timeout: float) -> dict[str, Any]:
    """Execute one submission for grading; returns the `GradingArtifacts` the verifier reads, as
    stored (`model_dump(mode="json")`). `harness` is the task's (None for tasks validated before
    the harness was pinned: it is found from the task's own files)."""
    return _grade(task, submission or "", test_patch, harness, test_files, fail_to_pass, pass_to_pass,
                  timeout).model_dump(mode="json")


def _passes(run: TestRun, tests: list[str]) -> bool:
    judged = judge(run)
    return judged.valid and all(judged.results.get(t) == "passed" for t in tests)


def _grade(task: str, submission: str, test_patch: str, harness: Harness | None, test_files: list[str],
           fail_to_pass: list[str], pass_to_pass: list[str], timeout: float) -> GradingArtifacts:
    base = dict(submission_sha256=hashlib.sha256(submission.encode()).hexdigest(),
                harness_version=HARNESS_VERSION, harness=harness)
    if problems(submission):  # the verifier lists them (submission_allowed); nothing is executed
        return GradingArtifacts(**base, apply_log="refused before execution")
    kept, dropped = drop_protected(submission)
    base["dropped_paths"] = dropped
    with start_test_box(task) as box:
        rejected, applied, log, fetched = _apply_submission(box, kept)
        if rejected or not applied:
            return GradingArtifacts(**base, rejected=rejected, apply_log=log)
        base["tamper"] = scan_changes(box, kept, fetched)
        tests_applied, tests_log = apply_patch(box, test_patch)
        if not tests_applied:
            return GradingArtifacts(**base, patch_applied=True, apply_log=tests_log)
        base["harness"] = harness = harness or probe(box, test_files)
        if fail_to_pass:
            # one test process: each F2P test first in its own fork (its own key, nothing of another
            # test run before it), then the main reading of every test
            runs = list(run_confirmed(box, harness, test_files, timeout, fail_to_pass, observe=False))
        else:
            runs = [run_tests(box, harness, test_files, timeout, observe=False)]
    return GradingArtifacts(**base, patch_applied=True, test_patch_applied=True, apply_log=log, runs=runs)


def derive_patches(task: str, steps: list[tuple[str, str, bool]]) -> list[str]:
    """For each (patch, script, stage_all): the diff of the task repository after applying `patch`
    and running `script` (bash, as uid 1000), all in one container, reset between steps. With
    `stage_all` the diff is taken after `git add -A`, else of the index as the script left it (so a
    script may force ignored files in)."""
    box = start_test_box(task)
    diffs = []
    try:
        for patch, script, stage_all in steps:
            ok, output = apply_patch(box, patch)
            if not ok:
                raise SandboxError(f"patch does not apply: {output[-300:]}")
            done = box.exec(f"cd {ROOT} && {script}", user=USER, timeout=60)
            if done.exit_code != 0:
                raise SandboxError(f"deriving a patch failed: {done.output[-300:]}")
            stage = "git add -A" if stage_all else "true"
            result = box.exec(f"cd {ROOT} && {stage} && git diff --cached --binary --no-color --no-renames HEAD",
                              user=USER, timeout=60, output_cap=32 * 1024 * 1024)
            if result.exit_code != 0:  # e.g. killed at its timeout on a loaded machine: its output is no diff
                raise SandboxError(f"reading a derived patch back failed (exit {result.exit_code}): {result.output[-300:]}")
            diffs.append(result.output)
            reset = box.exec(f"cd {ROOT} && git reset -q --hard HEAD && git clean -fdq", user=USER, timeout=60)
            if reset.exit_code != 0:  # the next step would start from this one's files
                raise SandboxError(f"resetting the repository between derived patches failed (exit {reset.exit_code})")
    finally:
        box.close()
    return diffs


def derive_patch(task: str, patch: str, script: str) -> str:
    """The diff of the task repository after applying `patch` and running `script` (as uid 1000)."""
    return derive_patches(task, [(patch, script, True)])[0]


@dataclass
class Validation:
    """Outcome of validating a task: F2P/P2P over k reruns of both states."""

    accepted: bool
    reason: str = ""
    fail_to_pass: list[str] = field(default_factory=list)
    pass_to_pass: list[str] = field(default_factory=list)
    pass_to_fail: list[str] = field(default_factory=list)
    flaky: list[str] = field(default_factory=list)
    flake_rate: float = 0.0
    """Share of tests whose outcome changed between reruns of one state."""
    k: int = 3
    seconds: float = 0.0
    """Wall-clock seconds of the test runs (reported, never stored in a tuple: it differs run to run)."""
    messages: dict[str, str] = field(default_factory=dict)
    """Failure messages of the F2P tests before the fix (for written problem statements)."""
    harness: Harness | None = None
    """The harness the task was validated with (its second reading decided): grading reuses it."""

    def facts(self) -> dict[str, Any]:
        """What the tuple's verifier args (or a rejection) record of the validation: a pure
        function of the test outcomes, so the same candidate always gives the same tuple."""
        return {
            "k": self.k, "flaky": self.flaky, "flake_rate": round(self.flake_rate, 4),
            "fail_to_pass": len(self.fail_to_pass), "pass_to_pass": len(self.pass_to_pass),
        }


def classify(before: list[TestRun], after: list[TestRun], k: int) -> Validation:
    """F2P = failed in every run before and passed in every run after; P2F rejects; flaky dropped."""
    judged_before = [judge(r) for r in before]
    judged_after = [judge(r) for r in after]
    for label, runs in (("before the fix", judged_before), ("after the fix", judged_after)):
        for j in runs:
            if not j.valid:
                return Validation(False, f"invalid test run {label}: {j.reason}", k=k)
    tests = set().union(*(j.results for j in judged_before + judged_after))
    flaky, f2p, p2p, p2f = [], [], [], []
    for test in sorted(tests):
        b = {("pass" if j.results.get(test) == "passed" else "fail" if j.results.get(test) in ("failed", "error") else "other")
             for j in judged_before}
        a = {("pass" if j.results.get(test) == "passed" else "fail" if j.results.get(test) in ("failed", "error") else "other")
             for j in judged_after}
        if len(b) > 1 or len(a) > 1:
            flaky.append(test)
            continue
        (sb,), (sa,) = b, a
        if sb == "fail" and sa == "pass":
            f2p.append(test)
        elif sb == "pass" and sa == "pass":
            p2p.append(test)
        elif sb == "pass" and sa == "fail":
            p2f.append(test)
    messages = {}
    for j in judged_before:
        for test in f2p:
            if test in j.messages and test not in messages:
                messages[test] = j.messages[test]
    rate = len(flaky) / len(tests) if tests else 0.0
    seconds = sum(r.duration for r in before + after)
    v = Validation(True, "", f2p, p2p, p2f, flaky, rate, k, seconds, messages)
    if p2f:
        v.accepted, v.reason = False, f"the gold patch breaks {len(p2f)} passing test(s), e.g. {p2f[0]}"
    elif not f2p:
        v.accepted, v.reason = False, "no test fails before the fix and passes after it (F2P = 0)"
    return v


CONFIRM_CAP = 64
"""At most this many tests failing before the fix are confirmed in forks of the last reading after it
(a start that fails the whole suite confirms the F2P tests in a solo reading of their own instead)."""


def _readings(box: Sandbox, harness: Harness, test_files: list[str], timeout: float, done: list[TestRun] | None,
              k: int, confirm: list[str] | None = None) -> tuple[list[TestRun], TestRun | None]:
    """Main readings up to k (runs already made count), stopping at the first invalid one; observed
    (the audit events the tests ask for are listed, not refused). With `confirm`, the last one also
    runs those tests each in its own fork first: (readings, that solo reading or None)."""
    runs, solo = list(done or []), None
    while len(runs) < k and all(judge(r).valid for r in runs):
        if confirm and len(runs) == k - 1:
            main, solo = run_confirmed(box, harness, test_files, timeout, confirm, observe=True)
            runs.append(main)
        else:
            runs.append(run_tests(box, harness, test_files, timeout, observe=True))
    return runs, solo


def _failing_throughout(runs: list[TestRun]) -> list[str]:
    """The tests that failed (or erred) in every one of `runs`: the only possible F2P tests."""
    judged = [judge(r) for r in runs]
    if not judged or not all(j.valid for j in judged):
        return []
    return sorted(t for t, o in judged[0].results.items()
                  if all(j.results.get(t) in ("failed", "error") for j in judged))


def _watching(box: Sandbox, harness: Harness, fix: str, fetched: Fetched | None) -> Harness:
    """`harness` with the functions the gold patch changes watched (the tree in `box` has the gold;
    `fetched`: the changed files `_apply_submission` already read back, else each is read here)."""

    def read(path: str) -> str | None:
        after = (fetched or {}).get(path, (None, None))[0]
        if after is not None:
            return after.decode("utf-8", "replace")
        try:
            return box.read_file(f"{ROOT}/{path}", limit=SCAN_CAP).decode("utf-8", "replace")
        except SandboxError:
            return None

    return harness.model_copy(update={"watch": watched(fix, read)})


def validate(task: str, test_patch: str, gold_patch: str, test_files: list[str], *, k: int = 3, timeout: float = 300,
             before_runs: list[TestRun] | None = None, after_runs: list[TestRun] | None = None,
             harness: Harness | None = None) -> Validation:
    """Run the tests k times on task+test patch and k times on task+test patch+gold patch (applied
    as grading applies a submission), then each F2P test alone with the fix (the reading grading
    confirms a pass with), in one container. Runs already made (e.g. a mutation screen) and their harness can be passed in."""
    box = start_test_box(task)
    try:
        ok, output = apply_patch(box, test_patch)
        if not ok:
            return Validation(False, f"the test patch does not apply: {output[-300:]}", k=k)
        harness = harness or probe(box, test_files)
        before = _readings(box, harness, test_files, timeout, before_runs, k)[0]
        fix, fixed, gold_flags, solo = drop_protected(gold_patch)[0], False, [], None
        after = list(after_runs or [])
        if len(after) < k and all(judge(r).valid for r in before):
            refused, ok, output, fetched = _apply_submission(box, fix)
            if refused or not ok:
                why = f"is refused at grading: {refused}" if refused else f"does not apply: {output[-300:]}"
                return Validation(False, f"the gold patch {why}", k=k)
            fixed, gold_flags = True, scan_changes(box, fix, fetched)
            watching = _watching(box, harness, fix, fetched)
            candidates = _failing_throughout(before)  # confirmed in forks of the last reading after the fix
            after, solo = _readings(box, watching, test_files, timeout, after, k,
                                    candidates if len(candidates) <= CONFIRM_CAP else None)
        validation = classify(before, after, k)
        if validation.accepted:
            # the gold must pass each F2P test alone, as grading confirms it; the audit events the
            # tests asked for in any reading become the task's allowance
            if not fixed:  # the "after" runs were made elsewhere (a mutation's unmutated suite)
                refused, ok, output, fetched = _apply_submission(box, fix)
                if refused or not ok:
                    return Validation(False, f"the gold patch does not apply: {refused or output[-300:]}", k=k)
                gold_flags = scan_changes(box, fix, fetched)
                watching = _watching(box, harness, fix, fetched)
            if solo is None:
                solo = run_tests(box, watching, test_files, timeout, reading="solo", ids=validation.fail_to_pass,
                                 observe=True)
            judged = judge(solo)
            alone = [t for t in validation.fail_to_pass if judged.results.get(t) != "passed"]
            # the values of the watched functions, from a second gold run in another process (values
            # that differ between the two are optional for that test: the gold never fails its own)
            again = run_tests(box, watching, test_files, timeout, reading="solo", ids=validation.fail_to_pass,
                              observe=True) if watching.watch and not alone and judged.valid else None
            values = {} if again is None else recorded(values_of(solo.junit_xml), values_of(again.junit_xml),
                                                       validation.fail_to_pass)
            allow = sorted(set(harness.allow).union(*(allowances(r) for r in before + after + [solo] + ([again] if again else []))))
            scan_allow = sorted({flag.split(": ", 1)[-1] for flag in gold_flags} | set(harness.scan_allow))
            validation.harness = harness.model_copy(update={"allow": allow, "scan_allow": scan_allow,
                                                            "watch": watching.watch if values else {}, "values": values})
            if not judged.valid or alone:
                validation.accepted = False
                validation.reason = ("the F2P tests do not pass one per process with the fix: "
                                     + (judged.reason if not judged.valid else ", ".join(alone[:3])))
        return validation
    finally:
        _close_soon(box)
