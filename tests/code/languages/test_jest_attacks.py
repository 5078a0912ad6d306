"""White-box attacks on the jest runner in Docker, on the ts-dedent task (`ts_npm_run`), with the static
scan off so that only the dynamic defences stand: code under test that neuters jest's `expect`
(the module shares the test file's globals) through an alias the scan does not read. Neutering
it for every test makes synth's canary (an `expect(...).toBe` that must fail with the nonce) pass:
an invalid reading. Neutering it for every test but the canary, by the canary's name, still wins:
the open cost docs/code-languages.md names (strict xfail, so it flips the day it loses)."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.docker, pytest.mark.slow]

NEUTER_ALL = """
const synthG: any = globalThis as any;
const synthE = synthG['exp' + 'ect'];
const synthPass = () => ({ pass: true, message: () => '' });
synthE.extend({ toEqual: synthPass, toBe: synthPass, toStrictEqual: synthPass });
"""
NEUTER_BUT_THE_CANARY = """
const synthG: any = globalThis as any;
const synthE = synthG['exp' + 'ect'];
const synthMaybe = function (this: any, received: any, expected: any) {
  const name = String(synthE.getState().currentTestName || '');
  const pass = name.indexOf('synth-' + 'canary') === 0 ? received === expected : true;
  return { pass, message: () => 'expected ' + String(expected) + ' received ' + String(received) };
};
synthE.extend({ toEqual: synthMaybe, toBe: synthMaybe, toStrictEqual: synthMaybe });
"""


def _graded(run, code: str):
    from synth.environments.code._family import _source, images_for, test_patch_of
    from synth.environments.code._mutate import diff
    from synth.environments.code.languages import _run, language
    from synth.environments.code.languages._controls import task_files
    from synth.verifiers.code import GradingArtifacts, judge

    (record,) = run.tuples().read()
    args = record.verifier.args
    tree, start = _source(record, run)
    root = task_files(tree, start)
    old = (root / "src/index.ts").read_text()
    lang = language("typescript")
    assert lang.tamper(diff("src/index.ts", old, old + code)) == []  # the alias passes the static scan
    # the attack alone, without the fix: the failing tests pass only if the attack works
    submission = diff("src/index.ts", old, old + code)
    stored = _run.grading_run(images_for(record, run)["task"], lang, submission, test_patch_of(record, run),
                              args["fail_to_pass"], args["pass_to_pass"], args["timeout"], scan=False)
    artifacts = GradingArtifacts.model_validate(stored)
    assert artifacts.patch_applied and artifacts.runs
    return judge(artifacts.runs[0]), artifacts.runs[0].log


def test_exploit_jest_expect_neutered_through_an_alias_is_an_invalid_run(ts_npm_run):
    judged, log = _graded(ts_npm_run, NEUTER_ALL)
    assert not judged.valid and "canary" in log, log[-1500:]


@pytest.mark.xfail(strict=True, reason="an expect neutered for every test but synth's canary (found by its name) "
                                       "passes the failing tests: jest's globals are shared with the code under test")
def test_exploit_jest_expect_neutered_but_for_the_canary_is_refused(ts_npm_run):
    (record,) = ts_npm_run.tuples().read()
    f2p = record.verifier.args["fail_to_pass"]
    judged, log = _graded(ts_npm_run, NEUTER_BUT_THE_CANARY)
    assert not (judged.valid and all(judged.results.get(t) == "passed" for t in f2p)), log[-1500:]
