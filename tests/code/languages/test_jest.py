"""jest without Docker (a TypeScript project tested with jest and ts-jest, shaped as ts-dedent 2.2.0,
the npm package test_real_projects.py builds tasks from): detection, the configuration synth pins
on the command line, the canary as a setup file, one test by id, reading jest's `--json` report,
and the attacks on it (each a regression test named after it)."""

from __future__ import annotations

import json
import shlex

from synth.environments.code.languages import CANARY, Process, Stream, detect, language, to_run
from synth.environments.code._mutate import diff
from synth.verifiers.code import judge

from lang_projects import write

TS = language("typescript")
NONCE = "0123456789abcdef01234567"
MANIFEST = {
    "name": "dedent-like", "version": "1.0.0", "main": "dist/index.js",
    "scripts": {"test": "jest", "pretest": "npm run lint", "lint": "eslint ."},
    "devDependencies": {"@types/jest": "^26.0.24", "eslint": "^7.32.0", "jest": "^27.0.6", "ts-jest": "^27.0.4",
                        "typescript": "~4.3.5", "codecov": "^3.8.3"},
    "jest": {"transform": {".ts": "ts-jest"}, "testRegex": "\\.(test|spec)\\.ts$",
             "moduleFileExtensions": ["ts", "tsx", "js", "json"],
             "reporters": ["./my-reporter.js"], "testResultsProcessor": "./processor.js"},
}
PROJECT = {
    "package.json": json.dumps(MANIFEST, indent=2) + "\n",
    "src/index.ts": "export function dedent(s: string): string {\n  return s.trim();\n}\n",
    "src/__tests__/index.spec.ts": "import { dedent } from '..';\n\ndescribe('dedent', () => {\n"
                                   "  it('trims', () => { expect(dedent(' a ')).toEqual('a'); });\n});\n",
}
FILE = "src/__tests__/index.spec.ts"


def file_result(file: str, *tests: tuple[str, str], status: str = "failed", message: str = "") -> dict:
    results = [{"fullName": name, "title": name, "status": status,
                "failureMessages": [f"Error: expect(received).toBe(expected)\n\nReceived: \"{name}\""]
                if status == "failed" else []} for name, status in tests]
    return {"name": f"/tmp/synth-lrun-0a1b2c/src/{file}", "status": status, "message": message,
            "assertionResults": results}


def report(*tests: tuple[str, str], file_status: str = "failed", message: str = "", more: tuple = ()) -> str:
    # jest ends its report without a newline; the stderr synth keeps follows it
    return json.dumps({"numTotalTests": len(tests), "numFailedTests": sum(s == "failed" for _, s in tests),
                       "testResults": [file_result(FILE, *tests, status=file_status, message=message), *more]}) + \
        "ts-jest[config] (WARN) message\nFAIL src/__tests__/index.spec.ts\n"


CANARY_CASE = (f"{CANARY} {NONCE}", "failed")


def read(stream: str, exit_code: int = 1, expected: list[str] | None = None):
    process = Process("jest", "$AS_USER node node_modules/jest/bin/jest.js --json", expected=expected or [])
    return judge(to_run(TS, "jest", [Stream(process, exit_code, stream)], NONCE, command="c", duration=0.1,
                        timed_out=False))


def test_a_jest_typescript_project_is_typescript_run_by_jest(tmp_path):
    assert detect(write(tmp_path, PROJECT)) == "typescript"
    assert TS.runner(MANIFEST) == "jest" and language("javascript").runner(MANIFEST) == "jest"


def test_jest_runs_the_test_files_with_synth_s_configuration_and_its_json_report():
    plan = TS.plan(list(PROJECT), {}, None, NONCE, MANIFEST)
    (process,) = plan.processes
    argv = shlex.split(process.command)
    assert argv[:3] == ["$AS_USER", "node", "node_modules/jest/bin/jest.js"]  # never `npm test`, never tsx
    assert {"--ci", "--json", "--runInBand", "--no-cache", "--runTestsByPath"} <= set(argv) and argv[-1] == FILE
    config = json.loads(argv[argv.index("--config") + 1])
    assert config["transform"] == {".ts": "ts-jest"} and config["rootDir"] == "."
    assert config["globals"] == {"ts-jest": {"isolatedModules": True}}  # types stripped, as tsx does
    # the project's reporters and results processor are not what runs; the canary is a setup file
    assert "reporters" not in config and "testResultsProcessor" not in config and "testRegex" not in config
    assert config["setupFilesAfterEnv"] == ["<rootDir>/.synth-canary.cjs"]
    assert f"test('{CANARY} {NONCE}', () => {{ expect('{CANARY} {NONCE}').toBe(" in plan.files[".synth-canary.cjs"]


def test_one_jest_test_by_id_is_an_anchored_name_pattern_with_the_canary():
    ids = [f"{FILE}::dedent trims (a+b)"]
    (process,) = TS.plan(list(PROJECT) + ["src/__tests__/other.spec.ts"], {}, ids, NONCE, MANIFEST).processes
    argv = shlex.split(process.command)
    assert argv[-1] == FILE and "src/__tests__/other.spec.ts" not in argv  # only the ids' files
    pattern = argv[argv.index("--testNamePattern") + 1]
    assert pattern == f"^(?:dedent trims \\(a\\+b\\)|{CANARY} {NONCE})$"
    assert process.expected == ids


def test_jest_setup_keeps_the_runner_its_transform_and_typescript_not_the_linters(tmp_path):
    script = TS.setup_script(write(tmp_path, PROJECT))
    kept = json.loads(script.split("m['devDependencies'] = ", 1)[1].split("\n", 1)[0])
    assert set(kept) == {"jest", "ts-jest", "typescript", "@types/jest"}
    assert "--legacy-peer-deps" in script and "tsx@" not in script and "--ignore-scripts" in script


def test_jest_report_reads_each_test_and_keeps_the_canary_apart():
    judged = read(report(("dedent trims", "passed"), ("dedent keeps", "failed"), ("dedent later", "pending"),
                         CANARY_CASE))
    assert judged.valid, judged.reason
    assert judged.results == {f"{FILE}::dedent trims": "passed", f"{FILE}::dedent keeps": "failed",
                              f"{FILE}::dedent later": "skipped", f"synth::{CANARY}": "failed"}


def test_exploit_jest_exit_zero_is_an_invalid_run():
    assert not read(report(("dedent trims", "passed"), CANARY_CASE), exit_code=0).valid


def test_exploit_jest_report_without_the_failing_canary_is_an_invalid_run():
    assert not read(report(("dedent trims", "passed"))).valid
    assert not read(report(("dedent trims", "passed"), (f"{CANARY} {NONCE}", "passed"))).valid
    assert not read(report(("dedent trims", "passed"), (f"{CANARY} ffff", "failed"))).valid


def test_exploit_jest_canary_failing_without_the_nonce_in_jest_s_message_is_an_invalid_run():
    # the canary's name carries the nonce; a forger who fails it with a message of its own is refused
    stream = report(("dedent trims", "passed"), CANARY_CASE).replace(
        f'Received: \\"{CANARY} {NONCE}\\"', "forged")
    assert f"Received: \\\"{CANARY} {NONCE}" not in stream
    assert not read(stream).valid


def test_exploit_jest_forged_second_report_is_an_invalid_run():
    # code under test prints a report of its own (every test passed, the canary failing) before jest's
    forged = report(("dedent trims", "passed"), CANARY_CASE)
    real = report(("dedent trims", "failed"), CANARY_CASE)
    assert not read(forged + real).valid and not read(real + forged).valid


def test_a_test_file_that_does_not_compile_errors_its_expected_tests():
    ids = [f"{FILE}::dedent trims"]
    judged = read(report(file_status="failed", message="TS2322: Type 'number' is not assignable"), expected=ids)
    assert judged.valid and judged.results[ids[0]] == "error"
    other = "src/__tests__/other.spec.ts"
    judged = read(report(message="TS2322", more=(file_result(other, ("other ok", "passed"), CANARY_CASE),)),
                  expected=ids + [f"{other}::other ok"])
    assert judged.valid and judged.results[ids[0]] == "error" and judged.results[f"{other}::other ok"] == "passed"


def test_exploit_jest_file_without_its_canary_is_an_invalid_run():
    # a report where one file carries the failing canary and another does not (its results forged)
    other = file_result("src/__tests__/other.spec.ts", ("other ok", "passed"), status="passed")
    assert not read(report(("dedent trims", "passed"), CANARY_CASE, more=(other,))).valid


def test_jest_configuration_and_setup_files_are_protected():
    for path in ("jest.config.js", "jest.config.ts", "jest.setup.ts", "setupTests.ts", "package.json",
                 "tsconfig.json", "babel.config.js", "node_modules/jest/bin/jest.js", FILE,
                 "__mocks__/fs.js", "src/lib/__mocks__/dep.ts", "src/__snapshots__/index.ts.snap", "x.snap"):
        assert TS.is_protected_path(path), path
    assert not TS.is_protected_path("src/index.ts")


def test_tamper_scan_flags_reaching_jest_s_globals_and_report_fields():
    for code in ("\nexpect.extend({ toEqual: () => ({ pass: true }) });\n",
                 "\nglobalThis.expect = () => ({ toEqual() {} });\n",
                 "\nconst r = { 'testResults': [] };\n",
                 "\nglobal['it'] = function () {};\n"):
        assert TS.tamper(diff("src/index.ts", "", code)), code
    assert not TS.tamper(diff("src/index.ts", "", "\nexport const expected = 1;\n"))


def test_the_jest_runner_plugs_into_the_language_runner_interface():
    from synth.environments.code.languages._runners import runners

    jest = runners()["jest"]
    argv = jest.solo_child(None, f"{FILE}::dedent trims").argv
    assert argv[:2] == ["node", "node_modules/jest/bin/jest.js"] and "--json" in argv and argv[-1] == FILE
    assert argv[argv.index("--testNamePattern") + 1] == "^(?:dedent trims)$"
    assert jest.scan("src/index.js", "", "expect.extend({})\n")  # JavaScript's runner of that name
