"""TypeScript without Docker: detection beside JavaScript, each test file run through tsx, tsx
installed at environment build when the project has none, mutation with the TypeScript grammar
(typed code parses; a mutant never breaks the syntax). The same project yields a validated task in
Docker in test_real_projects.py (`test_a_real_project_yields_validated_mutation_tasks[typescript-tsx-fixture]`);
TypeScript's controls run there on a real npm project, ts-dedent (jest), and in test_jest.py."""

from __future__ import annotations

from pathlib import Path

from synth.environments.code._mutate import diff, ts_mutants
from synth.environments.code.languages import detect, language

from lang_projects import TS_PROJECT as PROJECT, write

TS = language("typescript")
NONCE = "0123456789abcdef01234567"

def test_typescript_is_detected_before_javascript(tmp_path):
    assert detect(write(tmp_path / "ts", PROJECT)) == "typescript"
    no_config = {k: v for k, v in PROJECT.items() if k != "tsconfig.json"}
    assert detect(write(tmp_path / "tests-only", no_config)) == "typescript"  # .ts test files say it too
    assert detect(write(tmp_path / "js", {"package.json": "{}", "test/a.test.js": ""})) == "javascript"


def test_each_typescript_test_file_runs_through_tsx_with_the_canary():
    plan = TS.plan(list(PROJECT), {}, None, NONCE, {"name": "calc"})
    (process,) = plan.processes
    assert process.name == "test/calc.test.ts"
    assert "node --import tsx --test-reporter=tap --require ./.synth-canary.cjs" in process.command


def test_typescript_setup_installs_tsx_only_when_the_project_has_none(tmp_path):
    script = TS.setup_script(write(tmp_path, PROJECT))
    assert "[ -e node_modules/tsx/package.json ] ||" in script and "tsx@4" in script and "--ignore-scripts" in script


def test_typescript_mutation_parses_typed_code_and_is_seeded(tmp_path):
    root = write(tmp_path, PROJECT)
    first = list(ts_mutants(root, TS, seed=1))
    assert first and first == list(ts_mutants(root, TS, seed=1))
    assert {m.path for m in first} == {"src/calc.ts"}  # the module the tests load (as for JavaScript)
    for mutant in first:
        old = (root / mutant.path).read_text()
        changed = [ln for ln in diff(mutant.path, old, mutant.mutated_source).splitlines()
                   if ln.startswith(("+", "-")) and not ln.startswith(("+++", "---"))]
        assert len(changed) == 2


def test_typescript_exploits_are_javascript_s_under_their_own_names():
    names = [n for n, _ in TS.exploits("src/calc.ts")]
    assert names == ["ts_exit0_at_start", "ts_forged_result_lines", "ts_exit_code_on_exit"]
    for name, code in TS.exploits("src/calc.ts"):
        assert TS.tamper(diff("src/calc.ts", "", code)), name
