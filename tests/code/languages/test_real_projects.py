"""Real projects in Docker, end to end: a Go module, a crate and a Maven project from Debian, an npm package and a
TypeScript npm package tested with jest (ts-dedent) become validated
mutation tasks (F2P > 0, P2F = 0), the gold passes `synth verify`, the empty patch and every
exploit control fail on the check they target, and with the static scan off the same exploits
still fail, on the canary test (the dynamic defence alone)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

import synth

pytestmark = pytest.mark.docker

CONTROLS = {
    "go": {"gold", "empty", "perturb:go_exit0_at_start", "perturb:go_forged_result_lines", "perturb:go_skip_all_tests",
           "perturb:go_config_change"},
    "javascript": {"gold", "empty", "perturb:js_exit0_at_start", "perturb:js_forged_result_lines",
                   "perturb:js_exit_code_on_exit", "perturb:javascript_config_change"},
    "rust": {"gold", "empty", "perturb:rust_exit0_at_start", "perturb:rust_forged_result_lines",
             "perturb:rust_config_change"},
    "java": {"gold", "empty", "perturb:java_exit0_at_start", "perturb:java_forged_result_lines",
             "perturb:java_skip_by_assumption", "perturb:java_config_change"},
    "typescript": {"gold", "empty", "perturb:ts_exit0_at_start", "perturb:ts_forged_result_lines",
                   "perturb:ts_exit_code_on_exit", "perturb:typescript_config_change"},
}
FIXTURES = {"go": ("go", "go_run"), "javascript": ("javascript", "js_run"), "rust": ("rust", "rust_run"),
            "java": ("java", "java_run"), "typescript-jest-npm": ("typescript", "ts_npm_run"),
            "typescript-tsx-fixture": ("typescript", "ts_run")}
VERIFIED = [key for key in FIXTURES if key != "typescript-tsx-fixture"]
"""The projects whose controls run here too: synth's own TypeScript fixture (node:test through tsx) only
proves that path yields a validated task; TypeScript's controls run on ts-dedent, a real project."""


@pytest.fixture(params=list(FIXTURES))
def lang_run(request):
    name, fixture = FIXTURES[request.param]
    return name, request.getfixturevalue(fixture)


@pytest.fixture(params=VERIFIED)
def verified_run(request):
    name, fixture = FIXTURES[request.param]
    return name, request.getfixturevalue(fixture)


def test_a_real_project_yields_validated_mutation_tasks(lang_run):
    name, run = lang_run
    (record,) = run.tuples().read()
    args = record.verifier.args
    assert args["language"] == name and record.environment.metadata["language"] == name
    assert args["fail_to_pass"] and args["pass_to_pass"]
    assert not set(args["fail_to_pass"]) & set(args["pass_to_pass"])
    assert all("synth-canary" not in t for t in args["fail_to_pass"] + args["pass_to_pass"])
    assert record.task.category == "mutation" and "fail" in record.task.prompt
    assert args["fail_to_pass"][0] in record.task.prompt  # the statement is written from the failing tests


def test_verify_passes_the_gold_and_fails_the_empty_patch_and_every_exploit(verified_run):
    name, run = verified_run
    summary = synth.verify(run)
    assert summary.ok, summary.unsound
    verdicts = {v.control: v for v in run.verdicts()}
    assert set(verdicts) == CONTROLS[name]
    assert verdicts["gold"].verdict.status == "pass"
    for control, v in verdicts.items():
        assert v.sound, (control, v.verdict.checks)
        if control.startswith("perturb:") and not control.endswith("config_change"):
            failed = {c.name for c in v.verdict.checks if not c.passed}
            assert "submission_allowed" in failed  # the static scan names the construct


def _exploit_artifacts(run, name: str):
    """Each exploit control executed with the static scan off: only the canary rule stands."""
    from synth.environments.code._family import _source, gold_patch_of, images_for, test_patch_of
    from synth.environments.code.languages import _run, exploit_controls, language

    (record,) = run.tuples().read()
    args = record.verifier.args
    tree, start = _source(record, run)
    lang = language(name)
    task = images_for(record, run)["task"]
    exploits = [(control, diff) for control, diff, _ in exploit_controls(lang, tree, start, gold_patch_of(record, run))
                if not control.endswith("config_change")]
    with ThreadPoolExecutor(max_workers=2) as pool:  # each grading is a container held to one CPU: two cores, two at a time
        graded = pool.map(lambda item: _run.grading_run(task, lang, item[1], test_patch_of(record, run),
                                                        args["fail_to_pass"], args["pass_to_pass"], args["timeout"],
                                                        scan=False), exploits)
        return {control: artifacts for (control, _), artifacts in zip(exploits, graded)}


def test_exploits_fail_on_the_canary_test_with_the_tamper_scan_off(verified_run):
    from synth.verifiers.code import GradingArtifacts, judge

    name, run = verified_run
    found = _exploit_artifacts(run, name)
    assert len(found) == len(CONTROLS[name]) - 3
    (record,) = run.tuples().read()
    f2p = record.verifier.args["fail_to_pass"]
    for control, stored in found.items():
        artifacts = GradingArtifacts.model_validate(stored)
        assert artifacts.patch_applied and artifacts.runs, control
        judged = judge(artifacts.runs[0])
        assert not (judged.valid and all(judged.results.get(t) == "passed" for t in f2p)), control
        if name == "rust" and "#![forbid(unsafe_code)]" in _crate_root(run):
            # strsim forbids unsafe code: a function placed before main does not compile, so every
            # test errors (the crate's own lint stands before the canary)
            assert all(judged.results.get(t) == "error" for t in f2p), control
        elif "exit0" in control or "forged" in control:
            assert not judged.valid and "synth: run invalid" in artifacts.runs[0].log, control


def _crate_root(run) -> str:
    import io
    import tarfile

    from synth.environments.code._family import _source

    (record,) = run.tuples().read()
    tree, _ = _source(record, run)
    with tarfile.open(fileobj=io.BytesIO(tree)) as tar:
        for member in tar.getmembers():
            if member.name.endswith("src/lib.rs"):
                return tar.extractfile(member).read().decode("utf-8", "replace")  # type: ignore[union-attr]
    return ""


def test_the_tests_run_as_the_unprivileged_user_without_network(go_run):
    from synth.environments.code._family import _source, gold_patch_of, images_for, test_patch_of
    from synth.environments.code._mutate import diff
    from synth.environments.code.languages import _run, language
    from synth.verifiers.code import GradingArtifacts, judge

    (record,) = go_run.tuples().read()
    args = record.verifier.args
    task = images_for(record, go_run)["task"]
    probe = ('package difflib\n\nimport (\n\t"net"\n\t"os"\n\t"testing"\n)\n\nfunc TestSynthProbe(t *testing.T) {\n'
             '\tif os.Getuid() != 1000 {\n\t\tt.Fatal("uid", os.Getuid())\n\t}\n'
             '\tif _, err := net.Dial("tcp", "1.1.1.1:80"); err == nil {\n\t\tt.Fatal("network")\n\t}\n'
             '\tif err := os.WriteFile("/testbed/difflib/x", nil, 0o644); err == nil {\n\t\tt.Fatal("wrote the task tree")\n\t}\n'
             '\tif err := os.WriteFile("difflib.go", nil, 0o644); err == nil {\n\t\tt.Fatal("wrote the reading\'s copy")\n\t}\n}\n')
    patch = diff("difflib/zz_probe_test.go", "", probe).replace(
        "--- a/difflib/zz_probe_test.go", "new file mode 100644\n--- /dev/null", 1)
    stored = _run.grading_run(task, language("go"), gold_patch_of(record, go_run), patch, args["fail_to_pass"],
                              args["pass_to_pass"], 120)
    run = GradingArtifacts.model_validate(stored).runs[0]
    assert judge(run).results["difflib::TestSynthProbe"] == "passed", run.log[-2000:]
