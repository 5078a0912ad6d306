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


def test_the_spec_names_the_reading_its_children_and_where_results_go():
    spec = Harness(allow=["gc.get_objects"]).spec("solo", run="/tmp/r", test_files=[], ids=["t.T::a"], timeout=30)
    (child,) = spec["children"]
    assert (spec["reading"], child["mode"], child["ids"], spec["junit"]) == ("solo", "solo", ["t.T::a"], "/tmp/r/junit.xml")
    assert spec["allow"] == ["gc.get_objects"] and spec["observe"] is False
    main = Harness().spec("main", run="/tmp/r", test_files=["t.py"], ids=["ignored"], timeout=30, observe=True)
    assert main["children"][0]["mode"] == "batch" and main["children"][0]["ids"] is None and main["observe"]
    assert "no:junitxml" in main["children"][0]["args"] and main["trusted"] == ["t.py"]
    assert main["user"] == [1000, 1000] and main["root"] == "/testbed"


def test_the_launcher_and_the_verifier_agree_on_their_signals(launcher):
    assert launcher["TAMPERED"] == TAMPERED and launcher["PROBE_MARK"] == PROBE_MARK


def test_junit_ids_are_made_as_pytests_junit_xml_makes_them(launcher):
    junit_id = launcher["_junit_id"]
    assert junit_id("tests/test_calc.py::test_add") == "tests.test_calc::test_add"
    assert junit_id("tests/test_more.py::ChunkedTests::test_even") == "tests.test_more.ChunkedTests::test_even"
    assert junit_id("pkg/t.py::test_p[a/b::c]") == "pkg.t::test_p[a/b::c]"


KEYS = [bytes([1]) * 32, bytes([2]) * 32]


def _record(key: bytes, ident: str, outcome: str = "passed") -> str:
    return f"S\t{key.hex()}\t{ident}\t{outcome}\t-\t"


def test_keyed_records_are_verified_by_the_supervisor(launcher):
    verify = launcher["_verify"]
    records, problems, tamper, events = verify([_record(KEYS[0], "t.T::a"), _record(KEYS[1], "t.T::b", "failed")],
                                               KEYS, ["t.T::a", "t.T::b"], True)
    assert not problems and records == {"t.T::a": ("passed", "", "-"), "t.T::b": ("failed", "", "-")}
    _, _, tamper, events = verify(["T\tthe runner changed: x", "A\tgc.get_objects\tt.py:3"], KEYS[:1], None, False)
    assert tamper == ["the runner changed: x"] and events == ["gc.get_objects t.py:3"]


@pytest.mark.parametrize("lines, problem", [
    ([f"S\t{'ab' * 32}\tt.T::a\tpassed\t-\t"], "without the child's key"),
    (["R\tt.T::a\tpassed\t"], "not a keyed record"),
    ([_record(KEYS[1], "t.T::a")], "under another test's key"),
    ([_record(KEYS[0], "t.T::a"), _record(KEYS[0], "t.T::a")], "two records for t.T::a"),
    ([_record(KEYS[0], "t.T::c")], "not asked for"),
])
def test_a_forged_or_unasked_record_makes_the_run_invalid(launcher, lines, problem):
    _, problems, _, _ = launcher["_verify"](lines, KEYS, ["t.T::a", "t.T::b"], True)
    assert any(problem in p for p in problems), problems


def test_the_supervisors_xml_and_summary_are_judged_like_any_run(tmp_path, launcher, capsys, monkeypatch):
    """`supervise` writes the XML from verified records; a test with no record is an error."""
    spec = {"root": str(tmp_path), "user": [0, 0], "timeout": 30, "reading": "solo", "junit": str(tmp_path / "j.xml"),
            "children": [{"mode": "solo", "ids": ["t.T::a", "t.T::b"]}]}
    monkeypatch.setitem(launcher["supervise"].__globals__, "_load", lambda path: spec)
    for name, value in {"_sweep": lambda root: None, "_lock": lambda root: [], "_unlock": lambda changed: None,
                        "_kill_user": lambda uid: None}.items():
        monkeypatch.setitem(launcher["supervise"].__globals__, name, value)
    monkeypatch.setitem(launcher["supervise"].__globals__, "_run_child",
                        lambda *a: ({"t.T::a": ("passed", "", "-")}, [], [], [], None, False))
    code = launcher["supervise"]("spec.json")
    run = TestRun(runner="keyed", exit_code=code, junit_xml=(tmp_path / "j.xml").read_text(), log=capsys.readouterr().out)
    judged = judge(run)
    assert code == 1 and judged.valid and judged.results == {"t.T::a": "passed", "t.T::b": "error"}
    assert judged.messages["t.T::b"] == "the test gave no record"


# issue 17, second review (attack17): the supervisor reads the child's exit status, and a record
# counts only when the runner's own end of the test (solo) or of the session (batch) followed it
@pytest.mark.parametrize("lines, status, solo, passed", [
    ([_record(KEYS[0], "t.T::a"), f"E\t{KEYS[0].hex()}\tt.T::a"], 0, True, True),
    ([_record(KEYS[0], "t.T::a"), f"E\t{KEYS[0].hex()}\tt.T::a"], -6, True, False),  # forged, then os.abort()
    ([_record(KEYS[0], "t.T::a")], 0, True, False),  # forged, then os._exit(0): no end of the test
    ([f"E\t{KEYS[0].hex()}\tt.T::a", _record(KEYS[0], "t.T::a")], 0, True, False),  # an end before the record
    ([_record(KEYS[0], "t.T::a"), f"E\t{KEYS[0].hex()}\tt.T::a", "X\tt.T::a\tstatus 134"], 0, True, False),
    ([_record(KEYS[0], "t.T::a"), f"E\t{KEYS[0].hex()}\t*"], 1, False, True),
    ([_record(KEYS[0], "t.T::a"), f"E\t{KEYS[0].hex()}\t*"], 2, False, False),
    ([_record(KEYS[0], "t.T::a")], 0, False, False),  # A1b: records forged, exit 0 before the session ended
    ([_record(KEYS[0], "t.T::a"), f"E\t{KEYS[0].hex()}\t*"], -9, False, False),
])
def test_channel_a_record_counts_only_with_a_clean_exit_and_the_runners_own_end(launcher, lines, status, solo, passed):
    records, problems, _, _ = launcher["_verify"](lines, KEYS[:1], ["t.T::a"], solo, status)
    assert not problems
    assert (records["t.T::a"][0] == "passed") is passed, records


# issue 17, third round: the F2P tests confirmed in forks of the main reading's own process
def test_a_confirming_batch_child_gives_two_readings_each_under_its_own_keys(launcher):
    keys = [bytes([i]) * 32 for i in range(1, 4)]  # the batch's, then one per confirmed test
    batch, one, two = (key.hex() for key in keys)
    lines = [f"S\t{one}\tt.T::a\tpassed\t-\t", f"E\t{one}\tt.T::a",  # fork of a: record, then its end
             f"S\t{two}\tt.T::b\tpassed\t-\t",  # fork of b: a record with no end after it
             f"S\t{batch}\tt.T::a\tfailed\t-\tboom", f"S\t{batch}\tt.T::b\tpassed\t-\t", f"S\t{batch}\tt.T::c\tpassed\t-\t",
             f"E\t{batch}\t*"]
    records, problems, _, _, solo = launcher["_verify_confirmed"](lines, keys, None, ["t.T::a", "t.T::b"], 1)
    assert not problems and {k: v[0] for k, v in records.items()} == {"t.T::a": "failed", "t.T::b": "passed",
                                                                       "t.T::c": "passed"}
    assert not solo[1] and solo[0]["t.T::a"][0] == "passed" and solo[0]["t.T::b"][0] == "error"
    # a record under a confirmation key for a test it does not confirm, or under no key: invalid
    forged = lines + [f"S\t{one}\tt.T::b\tpassed\t-\t", f"S\t{'0' * 64}\tt.T::d\tpassed\t-\t"]
    _, problems, _, _, solo = launcher["_verify_confirmed"](forged, keys, None, ["t.T::a", "t.T::b"], 0)
    assert solo[1] and problems
    # a child killed by a signal: neither reading's records count
    records, _, _, _, solo = launcher["_verify_confirmed"](lines, keys, None, ["t.T::a", "t.T::b"], -9)
    assert {v[0] for v in records.values()} == {"error"} and {v[0] for v in solo[0].values()} == {"error"}
