"""Local git mining, the heuristic installer and mutation: pure functions of files, no Docker."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from synth import ConfigError
from synth.environments.code import mine_history, mutants, problem_from_message, setup_script
from synth.environments.code._mutate import diff

from code_repos import FIX_MESSAGE


def _names(tree: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(tree)) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}


def test_history_gives_fix_commits_with_their_message_and_the_tree_before_the_fix(calc_repo):
    found = list(mine_history(calc_repo))
    assert len(found) == 3  # the initial commit has no parent; every later commit changes source and tests
    fix = found[-1]
    assert fix.problem == FIX_MESSAGE
    assert fix.test_files == ["tests/test_calc.py"]
    files = _names(fix.tree)
    assert b"abs(a) + abs(b)" in files["calc/__init__.py"]  # the bug is there, the fix is not
    assert b"test_add_negative" not in files["tests/test_calc.py"]
    assert not any(name.startswith(".git/") for name in files)


def test_merge_message_gives_the_pr_title_and_body():
    message = "Merge pull request #12 from someone/branch\n\nHandle empty input in parse()\n\nIt crashed."
    assert problem_from_message(message) == "Handle empty input in parse()\n\nIt crashed."


def test_not_a_repository_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="not a git repository"):
        list(mine_history(tmp_path))


def test_installer_uses_test_extras_requirements_and_plugins(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname="p"\nversion="1"\n[project.optional-dependencies]\ntest=["pytest"]\n')
    (tmp_path / "requirements-dev.txt").write_text("attrs\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_a.py").write_text("import pytest\n@pytest.mark.asyncio\nasync def test_a(mocker):\n    pass\n")
    script = setup_script(tmp_path)
    assert "pip install --quiet -e '.[test]'" in script
    assert "-r requirements-dev.txt" in script
    assert "pytest-asyncio" in script and "pytest-mock" in script
    assert script.rstrip().splitlines()[-2].startswith("python -m pytest --collect-only")
    assert setup_script(tmp_path) == script  # same tree, same script, same image tag


def test_mutants_change_one_line_compile_and_are_deterministic(calc_repo):
    found = list(mutants(calc_repo, seed=1))
    assert len(found) == 3  # one per function of calc (tests are never mutated)
    assert found == list(mutants(calc_repo, seed=1))
    for mutant in found:
        assert not mutant.path.startswith("tests/")
        original = (calc_repo / mutant.path).read_text()
        compile(mutant.mutated_source, mutant.path, "exec")
        patch = diff(mutant.path, original, mutant.mutated_source)
        assert sum(1 for l in patch.splitlines() if l.startswith("-") and not l.startswith("---")) == 1


def test_llm_judge_rejects_unclear_problem_statements_before_any_container(tmp_path, calc_repo, monkeypatch):
    from fakes import FakeServer, completion

    import synth
    import synth.environments.code._generate as generate

    def no_container(*args, **kwargs):
        raise AssertionError("a container or image was started for a rejected candidate")

    monkeypatch.setattr(generate, "ensure_base", no_container)
    monkeypatch.setattr(synth.family("code"), "prepare", lambda: None)  # no engine needed
    asked = []

    def judge(body, n):
        asked.append(body)
        return completion("No")

    run = synth.Run.create(tmp_path / "run")
    with FakeServer(judge) as server:
        with pytest.raises(synth.GenerationError, match="no candidate became a task"):
            synth.generate(run, "code", {"git": calc_repo, "n": 1, "judge_base_url": server.base_url,
                                         "judge_model": "judge"})
    reasons = [r.reason for r in run.rejections()]
    assert len(reasons) == 3 and all(r.startswith("LLM judge") for r in reasons) and len(asked) == 3
    assert asked[0]["model"] == "judge" and asked[0]["max_tokens"] == 8
    assert run.stage("generate")["config"]["judge_model"] == {"base_url": server.base_url, "model": "judge"}


def test_sdist_trees_are_byte_stable_and_zip_safe(tmp_path):
    """Wheel builders zip the unpacked tree (flit's `pip install -e .`); ZIP stores no time before 1980."""
    import io
    import tarfile

    from synth.environments.code import tree_from_dir

    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("x = 1\n")
    first, second = tree_from_dir(tmp_path), tree_from_dir(tmp_path)
    assert first == second
    with tarfile.open(fileobj=io.BytesIO(first)) as tar:
        assert {m.name for m in tar} == {"pkg", "pkg/__init__.py"}
        assert min(m.mtime for m in tar) >= 315532800
