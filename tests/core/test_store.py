"""Run store: torn-line repair, malformed-line errors, foreign directories, stage configs."""

import json

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
