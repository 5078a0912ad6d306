"""The harness's command and the launcher's bookkeeping, without Docker: the launcher is a script
for the containers, loaded here with runpy (never imported by synth)."""

from __future__ import annotations

import runpy

import pytest

from synth.verifiers.code import LAUNCHER, PROBE_MARK, TAMPERED, Harness, TestRun, judge


@pytest.fixture(scope="module")
def launcher(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The launcher's functions, from the very bytes copied into containers."""
    path = tmp_path_factory.mktemp("launcher") / "launch.py"
    path.write_bytes(LAUNCHER)
    return runpy.run_path(str(path), run_name="synth_launcher")


def test_the_command_pins_the_configuration_isolates_python_and_turns_autoload_off():
    pinned = Harness(config="setup.cfg", plugins=["pytest_mock"])
    command = pinned.command("main", ["tests/test_x.py"], [])
    assert command.startswith("PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 python -I -B launcher@")
    assert "plugins=pytest_mock" in command and "-c /testbed/setup.cfg --rootdir /testbed -p no:cacheprovider" in command
    assert "--confcutdir" not in command and command.endswith("tests/test_x.py")
    bare = Harness().pytest_args([], junit=None)
    assert bare[:6] == ["-c", "/dev/null", "--rootdir", "/testbed", "--confcutdir", "/testbed"]
    assert "-p" in bare and "no:junitxml" in bare and not any(a.startswith("--junitxml") for a in bare)


def test_the_spec_names_the_reading_its_runner_and_where_results_go():
    spec = Harness(recheck="unittest").spec("recheck", run="/tmp/r", test_files=[], ids=["t.T::a"], timeout=30)
    assert (spec["reading"], spec["runner"], spec["ids"], spec["junit"]) == ("recheck", "unittest", ["t.T::a"], "/tmp/r/junit.xml")
    main = Harness().spec("main", run="/tmp/r", test_files=["t.py"], ids=["ignored"], timeout=30)
    assert main["runner"] == "pytest" and main["ids"] == [] and "--junitxml=/tmp/r/out/junit.xml" in main["args"]
    assert main["user"] == [1000, 1000] and main["root"] == "/testbed"


def test_the_launcher_and_the_verifier_agree_on_their_signals(launcher):
    assert launcher["TAMPERED"] == TAMPERED and launcher["PROBE_MARK"] == PROBE_MARK


def test_junit_ids_are_made_as_pytests_junit_xml_makes_them(launcher):
    junit_id = launcher["_junit_id"]
    assert junit_id("tests/test_calc.py::test_add") == "tests.test_calc::test_add"
    assert junit_id("tests/test_more.py::ChunkedTests::test_even") == "tests.test_more.ChunkedTests::test_even"
    assert junit_id("pkg/t.py::test_p[a/b::c]") == "pkg.t::test_p[a/b::c]"


def _second_reading(launcher, lines: list[str], ids=("t.T::a", "t.T::b"), capsys=None):
    xml, code, problems = launcher["_recheck_verdict"]({"ids": list(ids), "runner": "unittest"}, lines)
    log = capsys.readouterr().out if capsys else ""
    return TestRun(runner="recheck", exit_code=code, junit_xml=xml, log=log), problems


def test_the_second_readings_results_are_judged_like_any_run(launcher, capsys):
    run, problems = _second_reading(launcher, ["R\tt.T::a\tpassed\t", "R\tt.T::b\tpassed\t"], capsys=capsys)
    judged = judge(run)
    assert not problems and judged.valid and judged.results == {"t.T::a": "passed", "t.T::b": "passed"}
    run, _ = _second_reading(launcher, ["R\tt.T::a\tfailed\tAssertionError: 1 != 2"], capsys=capsys)
    judged = judge(run)
    assert judged.valid and judged.results == {"t.T::a": "failed", "t.T::b": "error"}
    assert judged.messages["t.T::b"] == "the test gave no result"


@pytest.mark.parametrize("lines, problem", [
    (["R\tt.T::a\tpassed\t", "R\tt.T::a\tfailed\tboom", "R\tt.T::b\tpassed\t"], "two results for t.T::a"),
    (["R\tt.T::a\tpassed\t", "R\tt.T::b\tpassed\t", "R\tt.T::c\tpassed\t"], "not asked for"),
])
def test_a_forged_or_unasked_result_makes_the_second_reading_invalid(launcher, capsys, lines, problem):
    run, problems = _second_reading(launcher, lines, capsys=capsys)
    assert any(problem in p for p in problems) and not judge(run).valid
