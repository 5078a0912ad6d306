"""Execution of non-Python code tasks in a sandbox: toolchain images, readings, validation, grading.

Sits between the language rules (`_base.py` and one module per language) and `synth.sandbox`;
the verifier (`code.tests`) reads what this writes (`GradingArtifacts` with `TestRun`s whose JUnit
XML synth wrote from the runners' streams). Guarantees:

- The toolchain image is the Debian base image plus the language's Debian packages, tagged by
  the hash of that recipe (built once per machine); the environment image adds the repository
  and its dependencies (host network); the task image a fresh single-commit git repository.
- A reading copies the task tree (no .git) into a fresh root-owned folder the test user can read
  but not write, adds the canary files, closes /testbed to the test user while it runs, builds
  (Go as root: a Go build runs no project code) and runs each test process as uid 1000 through
  `setpriv` under a root shell that writes the process's stream to a root-only folder; what the
  test user started is killed after each process, before the streams are read back. No network
  (the container has none).
- Grading refuses a diff the strict reader refuses, drops tests and test or build configuration
  by the language's rules, refuses a diff whose added lines trip the language's tamper scan, asks
  git which paths the diff touches and which changed (and refuses undeclared, protected or
  forbidden ones), applies the test patch, runs the main reading and, when it passes the task, a
  second reading of the FAIL_TO_PASS and PASS_TO_PASS tests by id in fresh processes.
"""

from __future__ import annotations

import hashlib
import io
import json
import secrets
import shlex
import tarfile
import time
from typing import Any, Callable

from synth import SandboxError
from synth.sandbox import Sandbox, build_layer, ensure_base, start_sandbox
from synth.verifiers.code import HARNESS_VERSION, GradingArtifacts, TestRun, judge, parse, problems

from .._exec import TEST_LIMITS, USER, Validation, apply_patch, classify, env_image, git_judged
from ._base import Language, Stream, new_nonce, to_run

SUITE = "trixie"
"""Debian suite of toolchain images (Go 1.24, Node 20, Rust 1.85, OpenJDK 21)."""
TOOLCHAIN_VERSION = 1
_EXCLUDE = "node_modules\ntarget/\n.gradle/\n*.class\n__pycache__/\n"
SETPRIV = "setpriv --reuid=1000 --regid=1000 --clear-groups --inh-caps=-all --no-new-privs"
PATH = "/usr/local/bin:/usr/bin:/bin:/usr/lib/go/bin"


def toolchain_image(language: Language, *, log: Callable[[str], None] | None = None) -> str:
    """The base image with the language's toolchain from Debian packages (tag = recipe hash)."""
    base = ensure_base(SUITE, log=log)
    packages = " ".join(language.packages)

    def steps(box: Sandbox) -> None:
        if log:
            log(f"building the {language.name} toolchain image ({packages}; once per machine)")
        result = box.exec("apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "
                          f"--no-install-recommends {packages} >/dev/null && rm -rf /var/lib/apt/lists/* "
                          "/var/cache/apt/archives/*.deb && mkdir -p /opt/synth", timeout=1800, user="0:0",
                          output_cap=64 * 1024)
        if result.exit_code != 0:
            raise SandboxError(f"installing the {language.name} toolchain failed: {result.output[-1200:]}")

    return build_layer("toolchain", base, {"language": language.toolchain or language.name, "packages": list(language.packages),
                                           "version": TOOLCHAIN_VERSION}, steps, network="host")


def dependency_tree(language: Language, tree: bytes) -> bytes | None:
    """The part of a tree its dependencies are installed from (the manifest and lockfiles), as a
    tar.gz; None when the language's environment needs the whole tree (Go warms a build cache of
    the project's own packages)."""
    import gzip

    if not language.dependency_files:
        return None
    out = io.BytesIO()
    with tarfile.open(fileobj=io.BytesIO(tree)) as source, tarfile.open(fileobj=out, mode="w",
                                                                          format=tarfile.PAX_FORMAT) as tar:
        for member in source.getmembers():
            if member.isfile() and member.name in language.dependency_files:
                tar.addfile(member, source.extractfile(member))
    return gzip.compress(out.getvalue(), mtime=0)


def images(language: Language, tree: bytes, script: str, start_patch: str,
           log: Callable[[str], None] | None = None) -> dict[str, str]:
    """Toolchain -> environment -> task. Where the language allows (`dependency_files`), the
    environment holds only the dependencies installed from the manifest and lockfiles, so every
    commit of a repository whose dependencies did not change shares it, and the task layer adds
    the commit's tree."""
    toolchain = toolchain_image(language, log=log)
    deps = dependency_tree(language, tree)
    env = env_image(toolchain, deps if deps is not None else tree, script, log=log)
    return {"base": toolchain, "env": env, "task": task_image(env, start_patch, tree if deps is not None else None)}


def task_image(env: str, start_patch: str, tree: bytes | None = None) -> str:
    """A fresh single-commit repository of the starting tree at /testbed (`tree` copied over the
    environment's dependencies first when the environment holds only those; dependency folders are
    ignored, so the commit holds the project's own files only)."""

    def steps(box: Sandbox) -> None:
        if tree is not None:
            box.put_tree("/testbed", tree)
        if start_patch:
            box.write_file("/tmp/synth-start.patch", start_patch.encode(), user="0:0")
            result = box.exec("cd /testbed && git apply --whitespace=nowarn /tmp/synth-start.patch && "
                              "rm -f /tmp/synth-start.patch", user="0:0")
            if result.exit_code != 0:
                raise SandboxError(f"the task's starting patch does not apply: {result.output[-600:]}")
        script = (
            "set -e; cd /testbed; rm -rf .git; git init -q; "
            f"printf %s {shlex.quote(_EXCLUDE)} > .git/info/exclude; "
            # a manifest the project's own .gitignore hides (json-simple ignores *.xml) is still its manifest
            "git add -A; for f in pom.xml go.mod package.json Cargo.toml; do [ -f $f ] && git add -f -- $f; done; "
            "git commit -q --no-verify -m 'Task repository'; "
            "rm -rf .git/logs .git/hooks/* .git/COMMIT_EDITMSG .git/ORIG_HEAD .git/description"
        )
        box.exec("chown -R 1000:1000 /testbed", user="0:0")
        result = box.exec(script, user=USER)
        if result.exit_code != 0:
            raise SandboxError(f"making the task repository failed: {result.output[-600:]}")

    recipe: dict[str, Any] = {"start_patch": start_patch, "layout": "languages-2"}
    if tree is not None:
        recipe["tree"] = hashlib.sha256(tree).hexdigest()
    return build_layer("task", env, recipe, steps)


_SURVEY = r"""import json, os, subprocess, sys
root = "/testbed"
out = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=root, capture_output=True).stdout
listing = [p for p in out.decode("utf-8", "replace").split("\0") if p]
tests = {}
for p in listing:
    if p.endswith("_test.go") or (p.startswith("tests/") and p.endswith(".rs") and p.count("/") == 1) or (
            p.startswith("src/test/") and p.endswith(".java")):
        try:
            tests[p] = open(os.path.join(root, p), encoding="utf-8", errors="replace").read()
        except OSError:
            pass
manifest = None
if os.path.exists(os.path.join(root, "package.json")):
    manifest = open(os.path.join(root, "package.json"), encoding="utf-8", errors="replace").read()
print("SYNTH-SURVEY " + json.dumps({"listing": listing, "tests": tests, "manifest": manifest}))
"""


def survey(box: Sandbox) -> dict[str, Any]:
    result = box.exec(f"python3 -c {shlex.quote(_SURVEY)}", user=USER, timeout=120, output_cap=32 * 1024 * 1024)
    found = [ln for ln in result.output.splitlines() if ln.startswith("SYNTH-SURVEY ")]
    if not found:
        raise SandboxError(f"listing the task's files failed: {result.output[-400:]}")
    return json.loads(found[-1][len("SYNTH-SURVEY "):])


def _tar(files: dict[str, str], prefix: str) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for rel, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{prefix}/{rel}")
            info.size, info.mode, info.mtime = len(data), 0o644, int(time.time())
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def reading(box: Sandbox, language: Language, timeout: float, ids: list[str] | None = None) -> TestRun:
    """One reading of the tree in /testbed as it stands: every test (ids None) or those `ids`."""
    from . import manifest_of

    facts = survey(box)
    manifest = manifest_of(facts["manifest"]) if facts.get("manifest") else None
    nonce = new_nonce()
    plan = language.plan(facts["listing"], facts["tests"], ids, nonce, manifest)
    runner = language.runner(manifest or {})
    command = f"{language.name}:{runner} processes={len(plan.processes)}" + (f" ids={len(ids)}" if ids is not None else "")
    if not plan.processes:
        return TestRun(runner=runner, exit_code=5, log="no test process to run", command=command)
    run = f"/tmp/synth-lrun-{secrets.token_hex(10)}"
    box.put_tree("/tmp", _tar({**{f"canary/{k}": v for k, v in plan.files.items()}}, run.rsplit("/", 1)[1]))
    per = max(5, int(timeout))
    lines = [
        "set -u", f"R={run}", "umask 022",
        "chmod 711 $R; mkdir -p $R/src $R/home $R/build/bin $R/bin $R/out; chmod 700 $R/out",
        "tar -C /testbed --exclude=./.git -cf - . | tar -C $R/src -xf -",
        "cp -a $R/canary/. $R/src/ && rm -rf $R/canary",
        # every source is newer than the warmed build folder: a build never trusts an old artifact
        "find $R/src -path $R/src/node_modules -prune -o -exec touch -h {} + 2>/dev/null",
        "[ -d /opt/synth/gocache ] && cp -a /opt/synth/gocache $R/gocache || mkdir -p $R/gocache",
        # the copy is root's and read-only to the test user (a test process cannot prepare the next
        # one), and /testbed is closed to it while the reading runs (nor the next reading)
        "[ -d /opt/synth/target ] && cp -a /opt/synth/target $R/build/target",
        "chown -R 0:0 $R/src && chmod -R a+rX,go-w $R/src && chown -R 1000:1000 $R/home $R/build",
        "chown 0:0 /testbed && chmod 700 /testbed",
        *([f"chmod 600 $R/src/{shlex.quote(f)}" for f in plan.files] if plan.private else []),
        "trap 'chown 1000:1000 /testbed; chmod 755 /testbed' EXIT",
        f"USERENV=\"env -i PATH={PATH} HOME=$R/home LANG=C.UTF-8 GOCACHE=$R/gocache GOPATH=$R/home/go "
        "GOTOOLCHAIN=local GOPROXY=off GOFLAGS=-mod=mod GOSUMDB=off CGO_ENABLED=0 CARGO_HOME=$R/home/.cargo "
        "CARGO_TARGET_DIR=$R/build/target CARGO_NET_OFFLINE=true\"",
        f"AS_USER=\"{SETPRIV} $USERENV\"", "export R AS_USER",
        # `go test -exec`: the test binary runs as the test user from a root-owned copy
        "printf '%s\\n' '#!/bin/sh' 'b=\"$R/bin/${1##*/}.$$\"; cp \"$1\" \"$b\" && chmod 711 \"$b\" || exit 125' "
        "'shift; exec $AS_USER \"$b\" \"$@\"' > $R/exec.sh && chmod 700 $R/exec.sh",
        "export GOCACHE=$R/gocache GOPATH=$R/gopath GOTMPDIR= HOME=$R/rhome; mkdir -p $R/gopath $R/rhome",
    ]
    for i, process in enumerate(plan.processes):
        cwd = shlex.quote(process.cwd)
        if process.build:
            build = process.build.replace("$OUT", "$R/build")
            lines.append(f"(cd $R/src/{cwd} && timeout -k 5 {per} $AS_USER bash -c {shlex.quote(build)}) "
                         f"> $R/out/{i}.build 2>&1; echo $? > $R/out/{i}.buildrc; pkill -KILL -u 1000 2>/dev/null")
            lines.append("mv $R/build/bin/* $R/bin/ 2>/dev/null; chown -R 0:0 $R/bin; chmod 711 $R/bin; "
                         "chmod 711 $R/bin/* 2>/dev/null")
        body = process.command.replace("$OUT", "$R").replace("$TIMEOUT", str(per)).replace("$INDEX", str(i))
        lines.append(f"(cd $R/src/{cwd} && timeout -k 5 {per} bash -c {shlex.quote(body)}) > $R/out/{i}.stream "
                     f"2> $R/out/{i}.err; echo $? > $R/out/{i}.rc")
        lines.append("pkill -KILL -u 1000 2>/dev/null; true")
    # each file is read back whole from a tar archive, never cut out of the command's output: the
    # streams are the tests' own text, and a marker printed by a test forged another file's part
    lines.append("for f in $R/out/*; do truncate -s '<4000000' \"$f\"; done; tar -C $R/out -cf $R/out.tar .")
    started = time.monotonic()
    result = box.exec("\n".join(lines), user="0:0", timeout=per * len(plan.processes) * 2 + 120,
                      output_cap=64 * 1024 * 1024)
    duration = round(time.monotonic() - started, 3)
    parts: dict[str, str] = {}
    try:
        archive = box.read_file(f"{run}/out.tar", limit=len(plan.processes) * 5 * 4_000_000 + 1024 * 1024)
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            for member in tar.getmembers():
                handle = tar.extractfile(member) if member.isfile() else None
                if handle is not None:
                    parts[member.name.removeprefix("./")] = handle.read().decode("utf-8", "replace")
    except (SandboxError, tarfile.TarError):
        parts = {}
    finally:
        box.exec(f"rm -rf {shlex.quote(run)}", user="0:0", timeout=120)
    streams = []
    for i, process in enumerate(plan.processes):
        built = parts.get(f"{i}.buildrc", "0").strip() in ("0", "")
        try:
            code = int(parts.get(f"{i}.rc", "").strip())
        except ValueError:
            code = 125
        streams.append(Stream(process, code, parts.get(f"{i}.stream", "") + parts.get(f"{i}.err", "")[-4000:],
                              built=built, build_log=parts.get(f"{i}.build", "")[-3000:] if not built else ""))
    timed = result.timed_out or any(s.exit_code == 124 for s in streams)
    return to_run(language, runner, streams, nonce, command=command, duration=duration, timed_out=timed)


# -- applying diffs as grading does (git is the judge of what a diff touches: `_exec`'s listing) -----
def drop_protected(language: Language, diff: str) -> tuple[str, list[str]]:
    """The diff without sections that touch tests or test/build configuration, and their paths."""
    kept, dropped = [], []
    for section in parse(diff):
        if any(language.is_protected_path(p) for p in section.paths):
            dropped += sorted(section.paths)
        else:
            kept.append(section.text)
    return "".join(kept), dropped


def apply_checked(box: Sandbox, language: Language, diff: str) -> tuple[str, bool, str]:
    """(why git's reading refuses it or "", applied, log), as `_exec.apply_submission` for Python."""
    if not diff.strip():
        return "", True, ""
    reasons, applied, log, _ = git_judged(box, diff, language.is_protected_path, "a test or test/build configuration file")
    return ("; ".join(reasons)[:2000], True, "") if applied else ("", False, log)


def _passes(run: TestRun, tests: list[str]) -> bool:
    judged = judge(run)
    return judged.valid and all(judged.results.get(t) == "passed" for t in tests)


def grading_run(task: str, language: Language, submission: str, test_patch: str, fail_to_pass: list[str],
                pass_to_pass: list[str], timeout: float, *, scan: bool = True) -> dict[str, Any]:
    """Execute one submission for grading; returns stored `GradingArtifacts` (`scan=False` turns
    the static tamper scan off, for tests that prove the dynamic defences alone)."""
    submission = submission or ""
    base: dict[str, Any] = dict(submission_sha256=hashlib.sha256(submission.encode()).hexdigest(),
                                harness_version=HARNESS_VERSION, harness=None)
    if problems(submission):
        return GradingArtifacts(**base, apply_log="refused before execution").model_dump(mode="json")
    kept, dropped = drop_protected(language, submission)
    base["dropped_paths"] = dropped
    flags = language.tamper(kept) if scan else []
    if flags:
        return GradingArtifacts(**base, rejected=f"the {language.name} tamper scan flags: {'; '.join(flags)}",
                                apply_log="refused before execution").model_dump(mode="json")
    box = start_sandbox(task, limits=TEST_LIMITS, kind="test")
    try:
        rejected, applied, log = apply_checked(box, language, kept)
        if rejected or not applied:
            return GradingArtifacts(**base, rejected=rejected, apply_log=log).model_dump(mode="json")
        ok, tests_log = apply_patch(box, test_patch)
        if not ok:
            return GradingArtifacts(**base, patch_applied=True, apply_log=tests_log).model_dump(mode="json")
        runs = [reading(box, language, timeout)]
        if fail_to_pass and _passes(runs[0], fail_to_pass + pass_to_pass):
            runs.append(reading(box, language, timeout, ids=fail_to_pass + pass_to_pass))
    finally:
        box.close()
    return GradingArtifacts(**base, patch_applied=True, test_patch_applied=True, apply_log=log,
                            runs=runs).model_dump(mode="json")


def validate(task: str, language: Language, test_patch: str, gold_patch: str, *, k: int = 3, timeout: float = 300,
             before_runs: list[TestRun] | None = None, after_runs: list[TestRun] | None = None) -> Validation:
    """k readings before and after the gold patch (applied as grading applies a submission), then
    the second reading by id of the F2P tests with the fix and without it."""
    flags = language.tamper(gold_patch)
    if flags:
        return Validation(False, f"the gold patch trips the {language.name} tamper scan: {'; '.join(flags)}", k=k)
    box = start_sandbox(task, limits=TEST_LIMITS, kind="test")
    try:
        ok, output = apply_patch(box, test_patch)
        if not ok:
            return Validation(False, f"the test patch does not apply: {output[-300:]}", k=k)
        before = list(before_runs or [])
        while len(before) < k and all(judge(r).valid for r in before):
            before.append(reading(box, language, timeout))
        fix, dropped = drop_protected(language, gold_patch)
        after = list(after_runs or [])
        if len(after) < k and all(judge(r).valid for r in before):
            refused, ok, output = apply_checked(box, language, fix)
            if refused or not ok:
                why = f"is refused at grading: {refused}" if refused else f"does not apply: {output[-300:]}"
                return Validation(False, f"the gold patch {why}", k=k)
            while len(after) < k and all(judge(r).valid for r in after):
                after.append(reading(box, language, timeout))
            fixed = True
        else:
            fixed = False
        validation = classify(before, after, k)
        if validation.accepted:
            deciding = validation.fail_to_pass + validation.pass_to_pass
            if not fixed:
                refused, ok, output = apply_checked(box, language, fix)
                if refused or not ok:
                    return Validation(False, f"the gold patch does not apply: {refused or output[-300:]}", k=k)
            # the k main readings saw every P2P test pass with the fix; the second reading confirms
            # the F2P tests by id in fresh processes, with the fix and without it
            deciding = validation.fail_to_pass
            good = judge(reading(box, language, timeout, ids=deciding))
            ok, output = apply_patch(box, fix, reverse=True)
            bad = judge(reading(box, language, timeout, ids=validation.fail_to_pass)) if ok else None
            if not good.valid or any(good.results.get(t) != "passed" for t in deciding):
                validation.accepted = False
                validation.reason = "the second reading by id does not see every F2P test pass with the fix" + (
                    f" ({good.reason})" if good.reason else "")
            elif bad is None or not bad.valid or any(bad.results.get(t) == "passed" for t in validation.fail_to_pass):
                validation.accepted = False
                validation.reason = "the second reading by id sees an F2P test pass without the fix" + (
                    f" ({bad.reason})" if bad is not None and bad.reason else "")
        return validation
    finally:
        box.close()
