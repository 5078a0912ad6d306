"""jest as a JavaScript/TypeScript runner: the configuration synth pins, the canary, the JSON report.

Sits under `javascript.py` (which detects jest from package.json and calls these). One jest
process for the test files, `--runInBand` (the tests run in that process, as uid 1000), `--ci`
(snapshots are never written), `--no-cache` (no transform or module-map cache shared between
processes: a process cannot leave a compiled test file for the next one) and `--json`, jest's own
machine-readable report on stdout, which root keeps. The configuration is synth's, on the command
line (`--config JSON`), so a `jest.config.*` or a `jest` key in a submitted package.json is never
what runs: only the keys that say how to load the project's modules (transform, module paths,
environment, the project's setup files) are copied from package.json's `jest` key, and the
reporters, results processor, test runner, test paths and coverage are synth's. ts-jest runs with
`isolatedModules` (each file transpiled alone, nothing type-checked: what tsx does for node's
runners), so a task is about behaviour, never a type error, and a reading is 3x faster. The canary is one
more setup file (`setupFilesAfterEnv`) that registers a test whose `expect(...).toBe` fails with the
run's nonce as the received value (an `expect` neutered by the code under test makes it pass). One
test by id: a process of the ids' files with `--testNamePattern` anchored on the ids' full names and
the canary's.
"""

from __future__ import annotations

import json
import re
import shlex

from ._base import CANARY, Case, Plan, Process

JEST_KEYS = ("transform", "transformIgnorePatterns", "moduleFileExtensions", "moduleNameMapper", "moduleDirectories",
             "modulePaths", "testEnvironment", "testEnvironmentOptions", "setupFiles", "setupFilesAfterEnv", "globals",
             "preset", "extensionsToTreatAsEsm", "injectGlobals", "fakeTimers", "timers", "testTimeout")
"""The keys of a project's jest configuration synth keeps: how its modules load, never how results
are reported (reporters, testResultsProcessor, testRunner, runner, watchPlugins, collectCoverage...)."""
JEST_CLI = "node_modules/jest/bin/jest.js"
JEST_FLAGS = "--ci --json --runInBand --no-cache --no-watchman --runTestsByPath"


def jest_config(manifest: dict) -> dict:
    """The configuration synth runs jest with: the loading keys of package.json's `jest` key,
    rootDir pinned to the tree, and the canary appended to the setup files."""
    project = manifest.get("jest") if isinstance(manifest.get("jest"), dict) else {}
    config = json.loads(json.dumps({key: project[key] for key in JEST_KEYS if key in project}))
    config["rootDir"] = "."
    transform = config.get("transform") if isinstance(config.get("transform"), dict) else {}
    if "ts-jest" in json.dumps(transform) or "ts-jest" in str(config.get("preset", "")):
        # ts-jest compiles each file on its own (types stripped, as tsx does for node's runners):
        # a type error is not a failure, and a reading of ts-dedent takes 6 s instead of 18 s
        for pattern, value in transform.items():
            if isinstance(value, list) and value and value[0] == "ts-jest":
                transform[pattern] = [value[0], {**(value[1] if len(value) > 1 and isinstance(value[1], dict) else {}),
                                                 "isolatedModules": True}]
        globals_ = config.get("globals") if isinstance(config.get("globals"), dict) else {}
        own = globals_.get("ts-jest") if isinstance(globals_.get("ts-jest"), dict) else {}
        config["globals"] = {**globals_, "ts-jest": {**own, "isolatedModules": True}}
    return config


def jest_packages(manifest: dict, dev: dict) -> set[str]:
    """The development dependencies jest needs beside itself: the packages its configuration names
    (ts-jest, a preset, an environment), TypeScript for ts-jest and the type packages of those."""
    named = json.dumps(manifest.get("jest") or {})
    wanted = {name for name in dev if re.search(rf"(?<![\w@/-]){re.escape(name)}(?![\w-])", named)}
    if "ts-jest" in wanted or "ts-jest" in dev:
        wanted |= {"ts-jest", "typescript"}
    wanted |= {name for name in dev if name in ("@types/jest", "@types/node", "babel-jest")}
    return {name for name in wanted if name in dev}


def jest_plan(files: list[str], ids: list[str] | None, nonce: str, config: dict, canary_file: str) -> Plan:
    """One jest process for the test files (all, or those of `ids`), in band: TypeScript and the
    transform load once; the canary, a setup file of synth's configuration, runs in every file."""
    config = dict(config)
    config["setupFilesAfterEnv"] = [*config.get("setupFilesAfterEnv", []), f"<rootDir>/{canary_file}"]
    # the canary asserts through the global `expect` the project's tests use: code under test that
    # neuters expect (expect.extend, a replaced matcher) makes the canary pass and the reading invalid;
    # its failure message is jest's, with the nonce as the received value
    canary = (f"test('{CANARY} {nonce}', () => {{ expect('{CANARY} {nonce}').toBe('{CANARY}'); }});\n")
    if ids is not None:
        files = [f for f in files if any(i.startswith(f + "::") for i in ids)]
    if not files:
        return Plan([], {canary_file: canary}, nonce)
    command = f"$AS_USER node {JEST_CLI} {JEST_FLAGS} --config {shlex.quote(json.dumps(config, sort_keys=True))}"
    if ids is not None:
        names = sorted({i.partition("::")[2] for i in ids}) + [f"{CANARY} {nonce}"]
        command += " --testNamePattern " + shlex.quote("^(?:" + "|".join(_js_regex(n) for n in names) + ")$")
    command += " " + " ".join(shlex.quote(f) for f in files)
    return Plan([Process(name="jest", command=command, cwd=".", expected=list(ids or []))], {canary_file: canary}, nonce)


def _js_regex(text: str) -> str:
    """`text` as a literal in a JavaScript regular expression."""
    return re.sub(r"[\\^$.*+?()[\]{}|/]", lambda m: "\\" + m.group(0), text)


def read_jest(process: Process, stream: str) -> tuple[list[Case], str]:
    """The cases of jest's `--json` report in one process's stream. A stream with more than one
    report (a test printed one of its own) has no cases, so the canary is missing and the reading
    is invalid; a test file that did not load (a compile error in the code under test) reads as
    'build-failed' with no case, so its expected tests count as errors."""
    reports = []
    decoder = json.JSONDecoder()
    for line in stream.splitlines():
        # jest ends its report without a newline: the stderr kept after it may follow on the line
        if line.startswith("{") and '"testResults"' in line:
            try:
                data, _ = decoder.raw_decode(line)
            except ValueError:
                continue
            if isinstance(data, dict):
                reports.append(data)
    if len(reports) != 1:
        return [], ""
    cases: list[Case] = []
    results = reports[0].get("testResults") or []
    unloaded = []
    for result in results:
        # the file's path in the reading's copy of the tree, as the test ids name it
        file = re.sub(r"^.*?/synth-lrun-[0-9a-f]+/src/", "", str(result.get("name") or ""))
        tests = result.get("assertionResults") or []
        if not tests:
            unloaded.append(file)
            continue
        canaries = 0
        for test in tests:
            name = str(test.get("fullName") or test.get("title") or "")
            status = test.get("status")
            message = "\n".join(str(m) for m in test.get("failureMessages") or [])
            outcome = {"passed": "passed", "failed": "failed", "pending": "skipped", "skipped": "skipped",
                       "todo": "skipped", "disabled": "skipped"}.get(str(status), "error")
            if name.startswith(CANARY):
                canaries += 1
                cases.append(Case(f"{file}::{CANARY}", outcome, message))  # the nonce must be in jest's message
            else:
                cases.append(Case(f"{file}::{name}", outcome, message[:2000]))
        if not canaries:  # every file that ran carries the canary: one without it is a forged report
            cases.append(Case(f"{file}::{CANARY}", "passed", "the canary test is missing from this file"))
    if not cases and unloaded:
        return [], "build-failed"
    # a test file that did not load (a compile error in the code under test): its tests are errors
    cases += [Case(i, "error", "the test file did not load") for i in process.expected
              if i.partition("::")[0] in unloaded]
    total = reports[0].get("numTotalTests", 0)
    failed = reports[0].get("numFailedTests", 0)
    return cases, f"# jest: {total} tests, {failed} failed"
