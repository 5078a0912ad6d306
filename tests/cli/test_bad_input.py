"""Bad paths and failing stages at the command line: one line `synth: error: ...`, exit 2, and
nothing written: an export never lands in a run (it once overwrote the run's own tuples.jsonl), an
unwritable path is no traceback, and a stage that fails leaves the manifest as it found it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from synth.cli import app

runner = CliRunner()


def synth(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def one_line_error(result, *fragments: str) -> str:
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("synth: error: "), result.output
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def verified(tmp_path_factory: pytest.TempPathFactory) -> Path:
    run = tmp_path_factory.mktemp("bad-input") / "run"
    assert synth("generate", "general", "--category", "shopping", "--n", "2", "--seed", "3", "--out", run).exit_code == 0
    assert synth("verify", run).exit_code == 0
    return run


def snapshot(run: Path) -> dict[str, bytes]:
    return {str(p.relative_to(run)): p.read_bytes() for p in sorted(run.rglob("*")) if p.is_file() and ".locks" not in p.parts}


@pytest.mark.parametrize("target", ["tuples.jsonl", "manifest.json", "trajectories.jsonl", "sft.jsonl", "assets/x.jsonl", "new/x.jsonl"])
def test_an_export_into_a_run_is_refused_and_the_run_is_untouched(verified: Path, target: str) -> None:
    before = snapshot(verified)
    one_line_error(synth("export", verified, "--format", "sft", "--out", verified / target), "inside the run", "write exports outside")
    assert snapshot(verified) == before


@pytest.mark.parametrize(("fmt", "target"), [("verl", "tasks.parquet"), ("hf", "tasks.hf"), ("hf", "assets")])
def test_a_trainers_format_export_into_a_run_is_refused_too(verified: Path, fmt: str, target: str) -> None:
    before = snapshot(verified)
    one_line_error(synth("export", verified, "--format", fmt, "--out", verified / target), "inside the run")
    assert snapshot(verified) == before


def test_an_hf_export_onto_a_file_is_one_line_and_the_file_stays(verified: Path, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    one_line_error(synth("export", verified, "--format", "hf", "--out", tmp_path / "notes.txt"), "is a file", "dataset folder")
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_an_export_onto_the_run_directory_itself_is_refused(verified: Path) -> None:
    one_line_error(synth("export", verified, "--format", "rl", "--out", verified), "inside the run")


def test_an_export_under_a_regular_file_is_one_line(verified: Path, tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("a file")
    one_line_error(synth("export", verified, "--format", "rl", "--out", tmp_path / "plain" / "x.jsonl"), "is a file, not a folder")


def test_an_export_where_nothing_can_be_written_is_one_line(verified: Path) -> None:
    one_line_error(synth("export", verified, "--format", "rl", "--out", "/sys/synth-cannot-write-here/x.jsonl"), "cannot write --out")


def test_an_export_onto_a_device_is_refused(verified: Path) -> None:
    one_line_error(synth("export", verified, "--format", "rl", "--out", "/dev/null"), "not a regular file")
    assert Path("/dev/null").is_char_device()


def test_an_export_outside_the_run_still_works(verified: Path, tmp_path: Path) -> None:
    out = tmp_path / "deep" / "er" / "rl.jsonl"
    result = synth("export", verified, "--format", "rl", "--out", out)
    assert result.exit_code == 0 and len(out.read_text().splitlines()) == 2


def test_a_run_inside_a_run_is_refused(verified: Path) -> None:
    one_line_error(synth("generate", "general", "--n", "1", "--out", verified / "inner"), "inside the run")
    assert not (verified / "inner").exists()


def test_a_verify_that_fails_on_a_missing_asset_writes_nothing_to_the_manifest(tmp_path: Path) -> None:
    run = tmp_path / "run"
    assert synth("generate", "general", "--category", "trip_planning", "--n", "2", "--seed", "8", "--out", run).exit_code == 0
    first = json.loads((run / "tuples.jsonl").read_text().splitlines()[0])
    (run / first["environment"]["state"]["db"]["path"]).unlink()
    manifest = (run / "manifest.json").read_bytes()
    one_line_error(synth("verify", run), "asset", "unreadable")
    assert (run / "manifest.json").read_bytes() == manifest
    assert "verify" not in json.loads(manifest)["stages"]
