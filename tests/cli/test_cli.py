"""The command line as a user meets it: the stages end to end, and one-line errors with exit 2."""

import json

import pytest
from typer.testing import CliRunner

from synth.cli import app

runner = CliRunner()


def synth(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def one_line_error(result, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].startswith("synth: error: ")
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.fixture(scope="module")
def verified(tmp_path_factory):
    run = tmp_path_factory.mktemp("cli") / "run"
    result = synth("generate", "general", "--category", "trip_planning", "--n", "3", "--seed", "4", "--out", run)
    assert result.exit_code == 0, result.output
    result = synth("verify", run)
    assert result.exit_code == 0, result.output
    return run


def test_generate_verify_export_end_to_end(verified, tmp_path):
    tuples = (verified / "tuples.jsonl").read_text().splitlines()
    assert len(tuples) == 3
    verdicts = [json.loads(line) for line in (verified / "verdicts.jsonl").read_text().splitlines()]
    assert all(v["sound"] for v in verdicts)
    assert {v["control"] for v in verdicts} >= {"gold", "empty"}

    sft = tmp_path / "sft.jsonl"
    result = synth("export", verified, "--format", "sft", "--out", sft)
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in sft.read_text().splitlines()]
    assert len(lines) == 3
    first = lines[0]
    assert first["schema_version"] == 1 and first["source"] == "gold" and first["reward"] == 1.0
    roles = [m["role"] for m in first["messages"]]
    assert roles[:2] == ["system", "user"] and "tool" in roles and roles[-1] == "assistant"
    calls = [m for m in first["messages"] if m.get("tool_calls")]
    assert calls[-1]["tool_calls"][0]["function"]["name"] == "submit_result"
    tool_messages = [m for m in first["messages"] if m["role"] == "tool"]
    assert all(m["tool_call_id"].startswith("call_") for m in tool_messages)
    assert {t["function"]["name"] for t in first["tools"]} >= {"get_all_cities", "submit_result"}
    assert first["verifier"] == {"name": "general.constraints", "args": {"category": "trip_planning"}}

    rl = tmp_path / "rl.jsonl"
    result = synth("export", verified, "--format", "rl", "--out", rl)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in rl.read_text().splitlines()]
    assert len(rows) == 3
    row = rows[0]
    assert [m["role"] for m in row["prompt"]] == ["system", "user"]
    assert row["task_key"] == json.loads(tuples[0])["key"]
    state = row["environment"]["state"]["db"]
    assert (verified / state["path"]).is_file() and len(state["sha256"]) == 64
    assert row["verifier"]["name"] == "general.constraints"


def test_rerunning_a_finished_stage_adds_nothing(verified):
    before = (verified / "tuples.jsonl").read_bytes()
    result = synth("generate", "general", "--category", "trip_planning", "--n", "3", "--seed", "4", "--out", verified)
    assert result.exit_code == 0 and "(0 new)" in result.output
    assert (verified / "tuples.jsonl").read_bytes() == before
    verdicts = (verified / "verdicts.jsonl").read_bytes()
    assert synth("verify", verified).exit_code == 0
    assert (verified / "verdicts.jsonl").read_bytes() == verdicts


def test_list_and_schema():
    result = synth("list")
    assert result.exit_code == 0 and "trip_planning" in result.output and "general.constraints" in result.output
    result = synth("schema", "TupleRecord")
    schema = json.loads(result.output)
    assert "schema_version" in schema["properties"] and "environment" in schema["properties"]
    everything = json.loads(synth("schema").output)
    assert {"TupleRecord", "Trajectory", "Verdict"} <= set(everything)


def test_unknown_category(tmp_path):
    result = synth("generate", "general", "--category", "moon_landing", "--out", tmp_path / "r")
    one_line_error(result, "unknown general category 'moon_landing'", "trip_planning")
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--n", "zero"], "--n"),
        (["--n", "0"], "--n"),
        (["--difficulty", "9"], "--difficulty"),
        (["--seed", "-1"], "--seed"),
        (["--bogus"], "--bogus"),
    ],
)
def test_bad_flag_values(tmp_path, args, fragment):
    result = synth("generate", "general", "--out", tmp_path / "r", *args)
    one_line_error(result, fragment)
    assert not (tmp_path / "r").exists()


def test_missing_required_flag():
    one_line_error(synth("generate", "general"), "--out")


def test_unreadable_and_foreign_run_directories(tmp_path):
    one_line_error(synth("verify", tmp_path / "nowhere"), "does not exist")
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "data.csv").write_text("a,b\n")
    one_line_error(synth("verify", foreign), "not a synth run directory")
    one_line_error(synth("generate", "general", "--out", foreign), "not a synth run directory")
    assert [p.name for p in foreign.iterdir()] == ["data.csv"]


def test_malformed_jsonl(verified, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(verified, copy)
    lines = (copy / "tuples.jsonl").read_text().splitlines()
    lines[1] = '{"schema_version": 1, "key": "x"}'
    (copy / "tuples.jsonl").write_text("\n".join(lines) + "\n")
    one_line_error(synth("export", copy, "--format", "rl", "--out", tmp_path / "out.jsonl"), "tuples.jsonl line 2")
    assert not (tmp_path / "out.jsonl").exists()


def test_generate_with_other_settings_on_the_same_run_is_refused(verified):
    result = synth("generate", "general", "--category", "trip_planning", "--n", "3", "--seed", "5", "--out", verified)
    one_line_error(result, "different settings", "seed")


def test_export_needs_a_verified_run(tmp_path):
    run = tmp_path / "r"
    assert synth("generate", "general", "--category", "trip_planning", "--n", "1", "--out", run).exit_code == 0
    one_line_error(synth("export", run, "--format", "sft", "--out", tmp_path / "o.jsonl"), "not been verified")
    one_line_error(synth("export", run, "--format", "parquet", "--out", tmp_path / "o.jsonl"), "--format")
    assert not (tmp_path / "o.jsonl").exists()


def test_verify_reports_an_unsound_tuple_and_exits_non_zero(verified, tmp_path):
    """A verifier that accepts an empty answer is a loophole: verify names the tuple and the control."""
    import shutil

    from synth import TupleRecord

    copy = tmp_path / "copy"
    shutil.copytree(verified, copy)
    for name in ("verdicts.jsonl", "trajectories.jsonl"):
        (copy / name).unlink()
    records = [TupleRecord.model_validate_json(line) for line in (copy / "tuples.jsonl").read_text().splitlines()]
    # point the first tuple at a verifier that passes everything
    bad = records[0].model_copy(update={"verifier": records[0].verifier.model_copy(update={"name": "test.accept_all"})})
    (copy / "tuples.jsonl").write_text("".join(r.model_dump_json() + "\n" for r in [bad, *records[1:]]))

    from synth import Check, register_verifier

    @register_verifier("test.accept_all")
    def accept_all(record, submission, run, **kwargs):
        return [Check(name="anything", passed=True)]

    result = synth("verify", copy)
    assert result.exit_code == 1
    assert f"UNSOUND {bad.key[:16]} empty: null control passed (loophole)" in result.output
