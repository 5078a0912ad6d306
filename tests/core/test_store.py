"""Run store: torn-line repair, malformed-line errors, foreign directories, stage configs; one
writer per stage, appends from several processes, and what a failed stage leaves in the manifest."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from synth import Check, Journal, Run, StoreError, Verdict, VerdictRecord


def _record(i: int) -> VerdictRecord:
    return VerdictRecord(task_key=f"k{i}", control="gold", expect="pass",
                         verdict=Verdict.from_checks([Check(name="x", passed=True)]), sound=True)


def test_append_then_read(tmp_path):
    run = Run.create(tmp_path / "r")
    with run.journal("v.jsonl", VerdictRecord) as journal:
        for i in range(3):
            journal.append(_record(i))
    assert [r.task_key for r in run.journal("v.jsonl", VerdictRecord)] == ["k0", "k1", "k2"]


def test_a_torn_last_line_is_ignored_then_repaired_on_append(tmp_path):
    run = Run.create(tmp_path / "r")
    path = tmp_path / "r" / "v.jsonl"
    with run.journal("v.jsonl", VerdictRecord) as journal:
        journal.append(_record(0))
    with open(path, "ab") as handle:
        handle.write(_record(1).model_dump_json().encode()[:25])  # a crash mid-write
    journal = run.journal("v.jsonl", VerdictRecord)
    assert [r.task_key for r in journal] == ["k0"]
    with journal:
        journal.append(_record(2))
    lines = path.read_bytes().splitlines()
    assert len(lines) == 2 and all(json.loads(line) for line in lines)
    assert [r.task_key for r in run.journal("v.jsonl", VerdictRecord)] == ["k0", "k2"]


def test_a_malformed_line_in_the_middle_names_file_and_line(tmp_path):
    run = Run.create(tmp_path / "r")
    path = tmp_path / "r" / "v.jsonl"
    path.write_text(_record(0).model_dump_json() + "\n{not json}\n" + _record(1).model_dump_json() + "\n")
    with pytest.raises(StoreError, match=r"v\.jsonl line 2"):
        run.journal("v.jsonl", VerdictRecord).read()


def test_foreign_and_missing_directories_are_refused(tmp_path):
    with pytest.raises(StoreError, match="does not exist"):
        Run.open(tmp_path / "missing")
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "notes.txt").write_text("mine")
    with pytest.raises(StoreError, match="not a synth run"):
        Run.create(tmp_path / "foreign")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "manifest.json").write_text('{"tool": "other"}')
    with pytest.raises(StoreError, match="not written by synth"):
        Run.open(tmp_path / "other")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "manifest.json").write_text("{")
    with pytest.raises(StoreError, match="unreadable"):
        Run.open(tmp_path / "broken")


def test_a_stage_rerun_with_other_settings_is_refused(tmp_path):
    run = Run.create(tmp_path / "r")
    run.begin("generate", {"n": 3, "seed": 1})
    run.begin("generate", {"n": 3, "seed": 1})  # same settings: resume
    with pytest.raises(StoreError, match="different settings .*seed"):
        Run.open(tmp_path / "r").begin("generate", {"n": 3, "seed": 2})


def test_a_run_made_before_an_option_existed_resumes_with_the_option_at_its_default(tmp_path):
    """`make demo` over runs of an older synth: a new option with a default is no other setting."""
    run = Run.create(tmp_path / "r")
    run.begin("generate", {"n": 3, "seed": 1})  # recorded before 'avoid' existed
    defaults = {"avoid": [], "seed": 0}
    run.begin("generate", {"n": 3, "seed": 1, "avoid": []}, defaults=defaults)  # resumes
    assert Run.open(tmp_path / "r").stage("generate")["config"] == {"n": 3, "seed": 1}  # the record is left as it was
    with pytest.raises(StoreError, match=r"different settings \(avoid\)"):
        run.begin("generate", {"n": 3, "seed": 1, "avoid": ["other"]}, defaults=defaults)
    with pytest.raises(StoreError, match=r"different settings \(seed\)"):  # a recorded value against a default left out
        run.begin("generate", {"n": 3}, defaults=defaults)
    with pytest.raises(StoreError, match=r"different settings \(avoid\)"):  # without defaults, a new key is a difference
        run.begin("generate", {"n": 3, "seed": 1, "avoid": []})


def test_manifest_is_replaced_atomically(tmp_path):
    run = Run.create(tmp_path / "r")
    run.begin("generate", {"n": 1})
    run.finish("generate", tuples=1)
    leftovers = [p.name for p in (tmp_path / "r").iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []
    manifest = json.loads((tmp_path / "r" / "manifest.json").read_text())
    assert manifest["tool"] == "synth" and manifest["stages"]["generate"]["complete"] is True


def test_assets_are_content_addressed_and_checked(tmp_path):
    run = Run.create(tmp_path / "r")
    ref = run.write_asset("x", b"hello", ".bin", "application/octet-stream")
    assert ref.path.startswith("assets/x/") and run.read_asset(ref) == b"hello"
    (tmp_path / "r" / ref.path).write_bytes(b"HELLO")
    with pytest.raises(StoreError, match="does not match"):
        Run.open(tmp_path / "r").read_asset(ref)


def test_journal_keys_for_resume(tmp_path):
    journal = Journal(tmp_path / "j.jsonl", VerdictRecord, key=lambda r: r.task_key)
    journal.append(_record(5))
    journal.close()
    assert journal.keys() == {"k5"}


# -- one writer per stage; appends from several processes ---------------------------------------
HOLD = """
import sys, time
from pathlib import Path
from synth import Run
run = Run.open(sys.argv[1])
with run.writing(sys.argv[2], {}):
    Path(sys.argv[3]).write_text("held")
    time.sleep(600)
"""


def hold(run: Path, stage: str, ready: Path) -> subprocess.Popen:
    """Another process holding `stage` of `run` (until killed)."""
    process = subprocess.Popen([sys.executable, "-c", HOLD, str(run), stage, str(ready)])
    deadline = time.monotonic() + 120
    while not ready.exists():
        assert process.poll() is None and time.monotonic() < deadline, "the holder did not start"
        time.sleep(0.02)
    return process


def test_a_second_writer_of_a_stage_is_refused_naming_the_holders_pid(tmp_path):
    Run.create(tmp_path / "r")
    holder = hold(tmp_path / "r", "rollout:m", tmp_path / "ready")
    try:
        with pytest.raises(StoreError, match=rf"another synth process \(pid {holder.pid}\) is running the rollout:m stage"):
            with Run.open(tmp_path / "r").writing("rollout:m", {}):
                pass
        with Run.open(tmp_path / "r").writing("rollout:other", {}) as session:  # another stage may run meanwhile
            session.finish()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    with Run.open(tmp_path / "r").writing("rollout:m", {}) as session:  # the kernel freed a killed holder's lock
        session.finish()
    stages = Run.open(tmp_path / "r").manifest["stages"]
    assert stages["rollout:m"]["complete"] and stages["rollout:other"]["complete"]


def test_an_append_waits_for_a_line_in_progress_and_never_cuts_it(tmp_path):
    # a newly opened writer's torn-line repair used to truncate another writer's line in progress
    path = tmp_path / "v.jsonl"
    line = _record(0).model_dump_json().encode() + b"\n"
    other = Journal(path, VerdictRecord, key=lambda r: r.task_key)
    with other.locked() as fd:
        os.write(fd, line[:20])  # a line half written, its writer alive and holding the lock
        appender = threading.Thread(target=lambda: Journal(path, VerdictRecord, key=lambda r: r.task_key).append(_record(1)))
        appender.start()
        appender.join(0.3)
        os.write(fd, line[20:])
    appender.join()
    assert [r.task_key for r in Journal(path, VerdictRecord, key=lambda r: r.task_key)] == ["k0", "k1"]


KILLED_MID_LINE = """
import fcntl, os, signal, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_APPEND | os.O_CREAT)
fcntl.flock(fd, fcntl.LOCK_EX)
os.write(fd, b'{"schema_version":1,"task_key":"torn","cont')
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_writer_killed_mid_line_never_leaves_a_broken_line_mid_file(tmp_path):
    # another writer appending after the kill used to leave the torn line in the middle of the file,
    # after which synth rollout and synth export refused the run until it was repaired by hand
    path = tmp_path / "v.jsonl"
    ours = Journal(path, VerdictRecord, key=lambda r: r.task_key)
    ours.append(_record(0))  # our writer is open before and after the other one dies
    killed = subprocess.run([sys.executable, "-c", KILLED_MID_LINE, str(path)])
    assert killed.returncode == -signal.SIGKILL and not path.read_bytes().endswith(b"\n")
    ours.append(_record(1))
    ours.close()
    assert [r.task_key for r in Journal(path, VerdictRecord, key=lambda r: r.task_key)] == ["k0", "k1"]


def test_a_journal_rewritten_meanwhile_gets_the_next_append(tmp_path):
    run = Run.create(tmp_path / "r")
    appender = run.journal("v.jsonl", VerdictRecord)
    appender.append(_record(0))
    run.journal("v.jsonl", VerdictRecord).rewrite([_record(5)])  # e.g. synth verify --regrade
    appender.append(_record(1))
    appender.close()
    assert [r.task_key for r in run.journal("v.jsonl", VerdictRecord)] == ["k5", "k1"]


# -- the manifest: failed stages, concurrent stages, leftovers -------------------------------------
def test_a_stage_that_fails_before_writing_leaves_the_manifest_as_it_was(tmp_path):
    run = Run.create(tmp_path / "r")
    before = (tmp_path / "r" / "manifest.json").read_bytes()
    with pytest.raises(StoreError, match="missing asset"):
        with run.writing("verify", {}):
            raise StoreError("missing asset")
    assert (tmp_path / "r" / "manifest.json").read_bytes() == before
    with run.writing("generate", {"n": 1}) as session:
        session.finish(tuples=1)
    finished = (tmp_path / "r" / "manifest.json").read_bytes()
    with pytest.raises(RuntimeError):
        with run.writing("generate", {"n": 1}):
            raise RuntimeError("boom")
    assert (tmp_path / "r" / "manifest.json").read_bytes() == finished


def test_a_stage_that_fails_after_writing_is_marked_aborted_and_a_rerun_completes_it(tmp_path):
    run = Run.create(tmp_path / "r")
    with pytest.raises(RuntimeError):
        with run.writing("verify", {}):
            with run.verdicts() as journal:
                journal.append(_record(0))
            raise RuntimeError("the engine went away")
    entry = Run.open(tmp_path / "r").stage("verify")
    assert entry["complete"] is False and entry["aborted"] == "RuntimeError: the engine went away"
    with run.writing("verify", {}) as session:
        session.finish(sound=1)
    entry = Run.open(tmp_path / "r").stage("verify")
    assert entry["complete"] is True and "aborted" not in entry


def test_stages_running_side_by_side_keep_each_others_manifest_entries(tmp_path):
    first, second = Run.create(tmp_path / "r"), Run.open(tmp_path / "r")  # two processes' views
    first.begin("rollout:a", {"model": "a"})
    second.begin("rollout:b", {"model": "b"})
    first.finish("rollout:a", episodes=1)
    second.finish("rollout:b", episodes=2)
    stages = Run.open(tmp_path / "r").manifest["stages"]
    assert stages["rollout:a"]["episodes"] == 1 and stages["rollout:b"]["episodes"] == 2


def test_only_temporary_files_of_dead_writers_are_removed(tmp_path):
    run = Run.create(tmp_path / "r")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    mine, theirs, old = (tmp_path / "r" / f".tuples.jsonl.{os.getpid()}.ab12.tmp", tmp_path / "r" / f".tuples.jsonl.{dead.stdout.strip()}.cd34.tmp",
                         tmp_path / "r" / ".tuples.jsonl.ef56.tmp")
    for leftover in (mine, theirs, old):
        leftover.write_text("partial")
    run.begin("generate", {})
    assert mine.exists() and not theirs.exists() and not old.exists()


def test_a_run_is_never_made_inside_another_run(tmp_path):
    Run.create(tmp_path / "r")
    with pytest.raises(StoreError, match="inside the run"):
        Run.create(tmp_path / "r" / "inner" / "run")
    assert not (tmp_path / "r" / "inner").exists()



def test_threads_reading_many_assets_never_trip_over_the_cache(tmp_path):
    """Rollouts of blocking families read assets from worker threads; evicting one cache entry
    each, two threads once popped the same key (KeyError) or iterated a dict another changed."""
    import sys
    import threading

    run = Run.create(tmp_path / "r")
    refs = [run.write_asset("db", f"asset {i}".encode(), ".bin", "application/octet-stream") for i in range(300)]
    errors: list[str] = []

    def reader(offset: int) -> None:
        try:
            for _ in range(150):
                for index in range(offset, len(refs), 3):
                    assert run.read_asset(refs[index]) == f"asset {index}".encode()
        except Exception as exc:  # noqa: BLE001  # every failure is the finding
            errors.append(repr(exc))

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        threads = [threading.Thread(target=reader, args=(i % 3,)) for i in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert errors == []
