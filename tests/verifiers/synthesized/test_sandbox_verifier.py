"""synthesized.sandbox as a policy's target: the answer is read strictly before generated code sees
it, verify.py runs in a fresh sandbox over the stored database, and whatever verify.py does wrong
is a verifier error, never a pass and never a crash of synth. Each exploit has its test."""

from __future__ import annotations

import json
import shutil

import agent_script as script
import pytest

import synth
from synth import Run, VerdictRecord

pytestmark = pytest.mark.docker

GOLD = '{"Rome": "Pensione Tevere", "Oslo": "Nordlys"}'
ECHO = script.VERIFY.replace('"shape": True,', '"shape": [True, "answer " + repr(answer)],')


@pytest.fixture(scope="module")
def run(tmp_path_factory, base_image) -> Run:
    return Run.create(tmp_path_factory.mktemp("verifier") / "run")


@pytest.fixture(scope="module")
def hotels(run):
    return script.record_of(run, {**script.LEVEL1, "verify.py": ECHO})


def with_verify(run: Run, verify_py: str, timeout: float = 10.0):
    return script.record_of(run, {**script.LEVEL1, "verify.py": verify_py}, timeout=timeout)


def test_the_gold_answer_passes_every_check_then_verify(run, hotels):
    verdict = synth.grade(hotels, GOLD, run)
    assert verdict.status == "pass" and verdict.reward == 1.0
    assert [c.name for c in verdict.checks] == ["format", "shape", "in_city", "rating", "budget", "verify"]


def test_a_wrong_answer_fails_its_check_and_verify(run, hotels):
    verdict = synth.grade(hotels, '{"Rome": "Casa Vaticano", "Oslo": "Nordlys"}', run)
    failing = [c.name for c in verdict.checks if not c.passed]
    assert verdict.status == "fail" and failing == ["rating", "verify"]
    assert verdict.checks[-1].message == "failing: rating"


@pytest.mark.parametrize("submission, message", [
    (None, "no answer was submitted"),
    ("", "no answer was submitted"),
    ("   \n", "no answer was submitted"),
    (["not", "text"], "no answer was submitted"),
    ("Pensione Tevere and Nordlys", "the answer is not JSON"),
    ('{"Rome": NaN, "Oslo": "Nordlys"}', "NaN is not JSON"),
    ('{"Rome": Infinity}', "Infinity is not JSON"),
    ('{"Rome": ' + "9" * 5000 + "}", "the answer is not JSON"),
    ("[" * 100_000 + "]" * 100_000, "the answer is too long"),
    ("[" * 5000 + "]" * 5000, "the answer is not JSON"),
])
def test_exploit_malformed_answers_fail_format_before_any_code_runs(run, hotels, submission, message):
    verdict = synth.grade(hotels, submission, run)
    assert verdict.status == "fail" and [c.name for c in verdict.checks] == ["format"]
    assert message in verdict.checks[0].message


def test_exploit_duplicate_keys_smuggle_a_second_answer(run, hotels):
    # a lenient reader keeps the last value: the text would name an invalid hotel and still pass
    verdict = synth.grade(hotels, '{"Rome": "Casa Vaticano", "Rome": "Pensione Tevere", "Oslo": "Nordlys"}', run)
    assert verdict.status == "fail" and "duplicate key 'Rome'" in verdict.checks[0].message


def test_exploit_a_lone_surrogate_is_graded_and_the_verdict_is_storable(run, hotels):
    verdict = synth.grade(hotels, '{"Rome": "\\ud800", "Oslo": "Nordlys"}', run)
    assert verdict.status == "fail" and not next(c for c in verdict.checks if c.name == "in_city").passed
    line = VerdictRecord(task_key=hotels.key, control="x", expect="fail", verdict=verdict, sound=True).model_dump_json()
    assert "\\ufffd" in line or "\ufffd" in json.loads(line)["verdict"]["checks"][1]["message"]


@pytest.mark.parametrize("body, error", [
    ("    raise RuntimeError('boom')\n", "verify.py: RuntimeError: boom (verify.py line 5)"),
    ("    while True:\n        pass\n", "verify.py: did not finish within 2 s (killed)"),
    ("    import socket\n    socket.create_connection(('198.51.100.1', 80), timeout=1)\n",
     "verify.py attempted what generated code may not do (network"),
    ("    open('/dev/shm/note', 'w').write('graded')\n", "verify.py attempted what generated code may not do (file write"),
    ("    import ctypes\n", "verify.py attempted what generated code may not do (native code"),
    ("    return {}\n", "verify() must return a non-empty dict"),
    ("    return {'ok': 1}\n", "give {check name: True/False}"),
    ("    import os\n    os._exit(0)\n", "ended without a result"),
    # the attempt is swallowed and the harness's list of attempts emptied: it was written out already
    ("    import socket, sys\n    try:\n        socket.socket()\n    except OSError:\n        pass\n"
     "    sys.modules['__main__'].violations.clear()\n", "verify.py attempted what generated code may not do (network"),
    ("    import os\n    try:\n        os.fork()\n    except OSError:\n        pass\n    os._exit(0)\n",
     "verify.py attempted what generated code may not do (process"),
])
def test_a_verifier_that_misbehaves_is_an_error_never_a_pass(run, body, error):
    verify_py = script.VERIFY.replace("def verify(db, answer):\n", "def verify(db, answer):\n" + body, 1)
    verdict = synth.grade(with_verify(run, verify_py, timeout=2), GOLD, run)
    assert verdict.status == "error" and verdict.reward == 0.0
    assert error in verdict.error, verdict.error


def test_exploit_a_verifier_cannot_change_the_stored_database(run):
    verify_py = script.VERIFY.replace("def verify(db, answer):\n",
                                      "def verify(db, answer):\n    db.execute(\"UPDATE hotel SET rating = 5\")\n", 1)
    record = with_verify(run, verify_py)
    before = run.read_asset(record.environment.state["db"])
    verdict = synth.grade(record, GOLD, run)
    assert verdict.status == "error" and "readonly database" in verdict.error
    assert (run.path / record.environment.state["db"].path).read_bytes() == before


def test_exploit_sqlite_attach_cannot_write_a_file(run):
    verify_py = script.VERIFY.replace("def verify(db, answer):\n",
                                      "def verify(db, answer):\n    db.execute(\"ATTACH DATABASE '/dev/shm/x.db' AS x\")\n", 1)
    verdict = synth.grade(with_verify(run, verify_py), GOLD, run)
    # refused by the harness before sqlite runs it (the audit hook names the attach), never written
    assert verdict.status == "error" and "sqlite3.attach" in verdict.error, verdict.error


def test_grading_reads_only_the_stored_artifacts(run, hotels, tmp_path):
    copy = Run.open(shutil.copytree(run.path, tmp_path / "copy"))
    assert synth.grade(hotels, GOLD, copy) == synth.grade(hotels, GOLD, run)
    (copy.path / hotels.environment.state["db"].path).write_bytes(b"tampered")
    tampered = synth.grade(hotels, GOLD, Run.open(copy.path))
    assert tampered.status == "error" and "does not match its sha256" in tampered.error
