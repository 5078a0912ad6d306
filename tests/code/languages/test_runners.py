"""The language layer without Docker: stream readings, the canary rule, tamper scans, mutation,
settings. Each exploit a runner's stream allows has a regression test named after it here; the
same attacks run end to end in Docker in test_real_projects.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from synth.environments.code import CodeSettings
from synth.environments.code._mutate import diff, ts_mutants
from synth.environments.code.languages import CANARY, LANGUAGES, Process, Stream, detect, language, to_run
from synth.verifiers.code import judge

GO = language("go")
JS = language("javascript")
NONCE = "0123456789abcdef01234567"


def go_stream(*events: tuple[str, str, str]) -> str:
    return "\n".join(json.dumps({"Action": a, "Test": t, "Output": o} if a == "output" else {"Action": a, "Test": t})
                     for a, t, o in events) + "\n"


CANARY_FAILS = (("run", "TestSynthCanary", ""), ("output", "TestSynthCanary", f"    x_test.go:1: {CANARY} {NONCE}\n"),
                ("fail", "TestSynthCanary", ""))


def go_run(stream: str, exit_code: int = 1):
    process = Process("pkg", "go test", expected=["pkg::TestA", "pkg::TestB"])
    return to_run(GO, "go-test2json", [Stream(process, exit_code, stream)], NONCE, command="c", duration=0.1,
                  timed_out=False)


def test_go_stream_reads_each_test_and_the_canary_is_kept_apart():
    run = go_run(go_stream(("pass", "TestA", ""), ("output", "TestB", "    b_test.go:9: want 3 got 4\n"),
                           ("fail", "TestB", ""), ("pass", "TestA/sub", ""), *CANARY_FAILS))
    judged = judge(run)
    assert judged.valid, judged.reason
    assert judged.results == {"pkg::TestA": "passed", "pkg::TestB": "failed", "pkg::TestA/sub": "passed",
                              f"synth::{CANARY}": "failed"}
    assert "want 3 got 4" in judged.messages["pkg::TestB"]


def test_exploit_exit_zero_from_process_start_is_an_invalid_run():
    # os.Exit(0) in init(): no test ran, the process exits 0: never a pass
    judged = judge(go_run("", exit_code=0))
    assert not judged.valid


def test_exploit_forged_result_lines_without_the_canary_are_an_invalid_run():
    # a stream that reports every test passed (the canary too) and exits 0
    forged = go_stream(("pass", "TestA", ""), ("pass", "TestB", ""), ("pass", "TestSynthCanary", ""))
    assert not judge(go_run(forged, exit_code=0)).valid
    assert not judge(go_run(forged, exit_code=1)).valid  # the canary must fail, with the nonce


def test_exploit_canary_failure_without_this_runs_nonce_is_an_invalid_run():
    stale = go_stream(("pass", "TestA", ""), ("output", "TestSynthCanary", f"{CANARY} another-runs-nonce\n"),
                      ("fail", "TestSynthCanary", ""))
    judged = judge(go_run(stale))
    assert not judged.valid and "no JUnit XML" in judged.reason


def test_exploit_skipped_suite_is_an_invalid_run():
    # flag.Set("test.run", "^$") in init(): nothing runs, not even the canary
    assert not judge(go_run('{"Action":"output","Output":"testing: warning: no tests to run\\n"}\n', exit_code=0)).valid


def test_a_package_that_does_not_build_errors_its_tests_instead_of_invalidating_the_run():
    stream = '{"ImportPath":"pkg","Action":"build-output","Output":"x.go:3: undefined: Foo\\n"}\n' \
             '{"ImportPath":"pkg","Action":"build-fail"}\n{"Action":"fail","Package":"pkg","FailedBuild":"pkg"}\n'
    judged = judge(go_run(stream, exit_code=1))
    assert judged.valid and judged.results["pkg::TestA"] == "error"


def test_a_forged_summary_line_printed_by_the_tests_is_not_the_one_read():
    # the summary judge reads is the last line of the log, which synth writes after the streams
    run = go_run(go_stream(("pass", "TestA", ""), *CANARY_FAILS))
    assert run.log.rstrip().splitlines()[-1].startswith("synth-go-test2json: 1 passed")
    assert not judge(run.model_copy(update={"log": run.log + "\nsynth-go-test2json: 9 passed, 0 failed, 0 errors, 0 skipped\nmore"})).valid


TAPE = f"""TAP version 13
# synth-canary
not ok 1 {CANARY} {NONCE}
  ---
    operator: fail
  ...
# parses numbers
ok 2 should be equal
ok 3 should be equal
# keeps strings
ok 4 should be equal
not ok 5 should be equal
  ---
    operator: equal
  ...

1..5
# tests 5
# pass  3
# fail  2
"""


def test_tape_stream_groups_assertions_by_test_heading():
    process = Process("test/parse.js", "node")
    judged = judge(to_run(JS, "tape", [Stream(process, 1, TAPE)], NONCE, command="c", duration=0.1, timed_out=False))
    assert judged.valid, judged.reason
    assert judged.results == {"test/parse.js::parses numbers": "passed", "test/parse.js::keeps strings": "failed",
                              f"synth::{CANARY}": "failed"}


def test_node_test_stream_reads_top_level_tests():
    stream = (f"TAP version 13\nnot ok 1 - {CANARY} {NONCE}\n  ---\n  ...\n# Subtest: adds\nok 2 - adds\n"
              "    # Subtest: inner\n    ok 1 - inner\nnot ok 3 - subtracts\n  ---\n  ...\n1..3\n# pass 1\n# fail 2\n")
    process = Process("test/a.test.js", "node")
    judged = judge(to_run(JS, "node-test", [Stream(process, 1, stream)], NONCE, command="c", duration=0.1,
                          timed_out=False))
    assert judged.valid, judged.reason
    assert judged.results["test/a.test.js::adds"] == "passed"
    assert judged.results["test/a.test.js::subtracts"] == "failed"


RUST = language("rust")


@pytest.mark.parametrize("lang, name", [(GO, n) for n, _ in GO.exploits("x.go")] + [(JS, n) for n, _ in JS.exploits("x.js")]
                         + [(RUST, n) for n, _ in RUST.exploits("src/lib.rs")])
def test_tamper_scan_flags_every_exploit_of_its_language(lang, name):
    code = dict(lang.exploits("lib/x"))[name]
    path = {"go": "lib/synth_exploit.go", "javascript": "lib/index.js", "rust": "src/lib.rs"}[lang.name]
    body = f"package lib\n\n{code}" if lang is GO else code
    assert lang.tamper(diff(path, "", body)), name


def test_tamper_scan_ignores_ordinary_fixes_and_test_files():
    fix = diff("lib/calc.go", "func Add(a, b int) int {\n\treturn a - b\n}\n", "func Add(a, b int) int {\n\treturn a + b\n}\n")
    assert GO.tamper(fix) == []
    test_change = diff("lib/calc_test.go", "", 'package lib\nimport "os"\nfunc init() { os.Exit(0) }\n')
    assert GO.tamper(test_change) == []  # test files are dropped at grading, not scanned
    assert JS.tamper(diff("index.js", "module.exports = a => a - 1;\n", "module.exports = a => a + 1;\n")) == []


def test_tests_runner_files_and_configuration_are_protected():
    assert GO.is_protected_path("pkg/x_test.go") and GO.is_protected_path("go.mod")
    assert GO.is_protected_path("vendor/github.com/x/y.go") and not GO.is_protected_path("pkg/x.go")
    assert JS.is_protected_path("node_modules/tape/lib/test.js") and JS.is_protected_path("package.json")
    assert JS.is_protected_path("test/parse.js") and not JS.is_protected_path("index.js")


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


GO_PROJECT = {
    "go.mod": "module example.com/calc\n\ngo 1.19\n",
    "calc.go": "package calc\n\nfunc Add(a, b int) int {\n\treturn a + b\n}\n\nfunc Clamp(x, lo int) int {\n"
               "\tif x < lo {\n\t\treturn lo\n\t}\n\treturn x\n}\n\nfunc unused(x int) int { return x * 2 }\n",
    "calc_test.go": "package calc\n\nimport \"testing\"\n\nfunc TestAdd(t *testing.T) {\n\tif Add(1, 2) != 3 {\n"
                    "\t\tt.Fatal(\"add\")\n\t}\n}\n\nfunc TestClamp(t *testing.T) { _ = Clamp(1, 2) }\n",
}
JS_PROJECT = {
    "package.json": '{"name": "calc", "version": "1.0.0", "devDependencies": {"tape": "^5.0.0", "eslint": "^9"}}\n',
    "index.js": "module.exports = function add(a, b) {\n  if (a > b) { return a + b; }\n  return b + a;\n};\n",
    "test/add.js": "var test = require('tape');\nvar add = require('../');\ntest('adds', function (t) { t.equal(add(1, 2), 3); t.end(); });\n",
}


@pytest.mark.parametrize("name, files", [("go", GO_PROJECT), ("javascript", JS_PROJECT)])
def test_mutation_breaks_one_node_of_a_covered_function_and_is_seeded(tmp_path, name, files):
    root = write(tmp_path, files)
    lang = language(name)
    first = list(ts_mutants(root, lang, seed=3))
    assert first and first == list(ts_mutants(root, lang, seed=3))
    for mutant in first:
        assert mutant.function != "unused"  # no test names it
        old = (root / mutant.path).read_text()
        changed = [line for line in diff(mutant.path, old, mutant.mutated_source).splitlines()
                   if line.startswith(("+", "-")) and not line.startswith(("+++", "---"))]
        assert len(changed) == 2 and not lang.is_test_path(mutant.path)


def test_language_is_detected_from_the_manifest(tmp_path):
    assert detect(write(tmp_path / "g", {"go.mod": "module x\n"})) == "go"
    assert detect(write(tmp_path / "j", {"package.json": "{}"})) == "javascript"
    assert detect(write(tmp_path / "p", {"pyproject.toml": "", "package.json": "{}"})) == "python"


def test_js_setup_installs_only_the_runner_and_what_tests_load(tmp_path):
    script = JS.setup_script(write(tmp_path, JS_PROJECT))
    assert '{"tape": "^5.0.0"}' in script and "eslint" not in script
    assert "--ignore-scripts" in script


def test_settings_take_registry_sources_and_refuse_bad_ones():
    assert CodeSettings(npm="minimist@1.2.8").stage_config()["npm"] == "minimist@1.2.8"
    assert CodeSettings(debian="golang-github-pmezard-go-difflib-dev", language="go").stage_config()["language"] == "go"
    for bad in ({"npm": "minimist"}, {"debian": "Bad Name"}, {"npm": "a@1", "sdist": "b==1"},
                {"npm": "a@1", "language": "cobol"}):
        with pytest.raises(ValueError):
            CodeSettings(**bad)
    assert "language" not in CodeSettings(sdist="toolz==0.12.1").stage_config()  # old runs resume unchanged


def test_every_language_names_its_runners_and_toolchain():
    for lang in LANGUAGES.values():
        assert lang.runners and lang.packages and lang.grammar and lang.tamper_rules


def test_each_runner_plugs_into_the_language_runner_interface():
    from synth.environments.code.languages._runners import runners
    from synth.verifiers.code import LanguageRunner

    found = runners()
    assert set(found) == {"go-test2json", "tape", "node-test", "mocha", "jest", "cargo-libtest", "maven-surefire"}
    for runner in found.values():
        assert isinstance(runner, LanguageRunner)
    go = found["go-test2json"]
    assert go.solo_child(None, "difflib::TestRatio").argv[-3:] == ["-run", "^(TestRatio)$", "./difflib"]
    assert go.solo_child(None, "difflib::TestRatio").solo
    flags = go.scan("lib/x.go", "package lib\n", 'package lib\n\nimport "os"\n\nfunc init() { os.Exit(0) }\n')
    assert {f.construct for f in flags} >= {"an init function (runs before any test)",
                                             "process exit (os.Exit, syscall.Exit, runtime.Goexit)"}
    assert all(f.line == 5 for f in flags)
    assert go.scan("lib/x_test.go", None, "func init() { os.Exit(0) }\n") == []  # tests are dropped, not scanned
    assert found["tape"].batch_child(None, ["test/a.js::x", "test/b.js::y"]).argv[-2:] == ["test/a.js", "test/b.js"]


def test_commits_with_the_same_dependencies_share_one_environment(tmp_path):
    from synth.environments.code._mine import tree_from_dir
    from synth.environments.code.languages._run import dependency_tree

    one = tree_from_dir(write(tmp_path / "one", JS_PROJECT))
    two = tree_from_dir(write(tmp_path / "two", {**JS_PROJECT, "index.js": "module.exports = (a, b) => a + b;\n"}))
    three = tree_from_dir(write(tmp_path / "three", {**JS_PROJECT, "package.json": '{"name": "calc", "dependencies": {"x": "1"}}'}))
    assert one != two and dependency_tree(JS, one) == dependency_tree(JS, two) != dependency_tree(JS, three)
    assert dependency_tree(GO, one) is None  # Go's environment warms a cache of the project's own packages


LIBTEST = "\n".join(json.dumps(e) for e in (
    {"type": "suite", "event": "started", "test_count": 3},
    {"type": "test", "event": "ok", "name": "levenshtein_works"},
    {"type": "test", "event": "failed", "name": "hamming_works", "stdout": "assertion failed: left 3 right 4\n"},
    {"type": "test", "event": "failed", "name": "synth_canary", "stdout": f"panicked: {CANARY} {NONCE}\n"},
    {"type": "suite", "event": "failed"})) + "\n"


def test_libtest_json_events_are_read_per_test_and_printed_lines_are_not():
    process = Process("tests/lib.rs", "t", expected=["tests/lib.rs::levenshtein_works"])
    run = to_run(RUST, "cargo-libtest", [Stream(process, 101, "test result: ok. 9 passed\n" + LIBTEST)], NONCE,
                 command="c", duration=0.1, timed_out=False)
    judged = judge(run)
    assert judged.valid, judged.reason
    assert judged.results == {"tests/lib.rs::levenshtein_works": "passed", "tests/lib.rs::hamming_works": "failed",
                              f"synth::{CANARY}": "failed"}
    built_not = Stream(process, 1, "", built=False)
    assert judge(to_run(RUST, "cargo-libtest", [built_not], NONCE, command="c", duration=0.1,
                        timed_out=False)).results["tests/lib.rs::levenshtein_works"] == "error"


def test_rust_plan_appends_the_canary_to_each_integration_test_and_filters_by_id():
    plan = RUST.plan(["src/lib.rs", "tests/lib.rs", "tests/more.rs"], {"tests/lib.rs": "#[test]\nfn a() {}\n"},
                     ["tests/lib.rs::a"], NONCE)
    assert [p.name for p in plan.processes] == ["tests/lib.rs"]
    assert NONCE in plan.files["tests/lib.rs"] and plan.files["tests/lib.rs"].startswith("#[test]\nfn a() {}")
    assert "a synth_canary --exact" in plan.processes[0].command
    assert RUST.is_protected_path("build.rs") and RUST.is_protected_path(".cargo/config.toml")


MOCHA_STREAM = f"""1..4
not ok 1 {CANARY} {NONCE}
  Error: {CANARY} {NONCE}
ok 2 parse numbers
not ok 3 parse booleans
  AssertionError: expected true
ok 4 parse strings # SKIP
# tests 4
# pass 1
# fail 2
"""


def test_mocha_tap_stream_reads_one_line_a_test_and_pins_its_configuration():
    process = Process("test/parse.js", "mocha")
    judged = judge(to_run(JS, "mocha", [Stream(process, 2, MOCHA_STREAM)], NONCE, command="c", duration=0.1, timed_out=False))
    assert judged.valid, judged.reason
    assert judged.results == {"test/parse.js::parse numbers": "passed", "test/parse.js::parse booleans": "failed",
                              "test/parse.js::parse strings": "skipped", f"synth::{CANARY}": "failed"}
    plan = JS.plan(["package.json", "test/parse.js"], {}, None, NONCE, {"devDependencies": {"mocha": "^10"}})
    assert "--no-config --no-package --reporter tap --file ./.synth-canary.cjs test/parse.js" in plan.processes[0].command
    assert "it('synth-canary" in plan.files[".synth-canary.cjs"]


def test_exploit_mocha_exit_zero_is_an_invalid_run():
    process = Process("test/parse.js", "mocha")
    assert not judge(to_run(JS, "mocha", [Stream(process, 0, "1..1\nok 1 parse numbers\n")], NONCE, command="c",
                            duration=0.1, timed_out=False)).valid
