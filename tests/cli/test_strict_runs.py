"""Everything read is checked the same way: a manifest of the wrong shape or one that disagrees with
the journals, a tuple changed after it was written, an asset deleted or changed after verify, a
file where a run or a folder is expected, and a model server that is not an OpenAI API are each one
line and exit 2, with nothing written."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from functools import cache
from pathlib import Path

import pytest
from typer.testing import CliRunner

import synth
from synth import Run, StoreError
from synth.cli import app

runner = CliRunner()


@cache
def _verified() -> Path:
    import atexit
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="synth-strict-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    synth.generate(folder / "run", "general", {"category": ["trip_planning"], "n": 2, "seed": 4})
    synth.verify(Run.open(folder / "run"))
    return folder / "run"


@pytest.fixture
def verified(tmp_path: Path) -> Path:
    run = tmp_path / "run"
    shutil.copytree(_verified(), run)
    return run


def one_line(*args: str) -> str:
    result = runner.invoke(app, list(args))
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 2 and len(lines) == 1 and lines[0].startswith("synth: error: "), result.output
    return lines[0]


def edit_manifest(run: Path, change) -> None:  # type: ignore[no-untyped-def]
    manifest = json.loads((run / "manifest.json").read_text())
    change(manifest)
    (run / "manifest.json").write_text(json.dumps(manifest))


@pytest.mark.parametrize("command", ["verify", "report", "rollout", "export"])
def test_a_manifest_whose_stages_are_a_list_is_one_line(verified: Path, command: str) -> None:
    edit_manifest(verified, lambda m: m.update(stages=[]))
    extra = {"rollout": ["--base-url", "http://127.0.0.1:9/v1", "--model", "m"], "export": ["--format", "sft", "--out", str(verified.parent / "x.jsonl")]}
    assert "stages is list" in one_line(command, str(verified), *extra.get(command, []))


@pytest.mark.parametrize("change, needle", [
    (lambda m: m["stages"]["generate"].pop("config"), "stages.generate.config"),
    (lambda m: m["stages"]["generate"].update(tuples="two"), "not a count"),
    (lambda m: m["stages"]["verify"].update(complete="yes"), "stages.verify.complete"),
    (lambda m: m["stages"].update(verify=7), "stages.verify is int"),
])
def test_a_manifest_of_the_wrong_shape_anywhere_is_one_line_naming_the_place(verified: Path, change, needle: str) -> None:  # type: ignore[no-untyped-def]
    edit_manifest(verified, change)
    assert needle in one_line("verify", str(verified))


def test_a_removed_stage_whose_records_remain_is_refused_naming_it(verified: Path) -> None:
    edit_manifest(verified, lambda m: m["stages"].pop("verify"))
    assert "lists no verify stage" in one_line("report", str(verified))


def test_counts_that_do_not_match_the_journals_are_refused_naming_them(verified: Path) -> None:
    edit_manifest(verified, lambda m: m["stages"]["generate"].update(tuples=5))
    assert "tuples=5 but tuples.jsonl holds 2" in one_line("verify", str(verified))


def test_report_and_view_refuse_a_tuple_changed_after_it_was_written(verified: Path, tmp_path: Path) -> None:
    tuples = verified / Run.TUPLES
    text = tuples.read_text()
    tuples.write_text(text.replace("trip_planning", "trip_plannin9", 1))
    assert "does not match" in one_line("report", str(verified), "--out", str(tmp_path / "r.html"))
    assert not (tmp_path / "r.html").exists()
    from synth._viewer import Viewer

    with pytest.raises(StoreError, match="does not match"):
        Viewer(verified, port=0)
    assert "does not match" in one_line("verify", str(verified))  # as every command that reads records


@pytest.mark.parametrize("damage", ["delete", "corrupt"])
def test_verify_rechecks_the_assets_of_a_verified_run(verified: Path, damage: str) -> None:
    asset = next(p for p in (verified / "assets").rglob("*") if p.is_file())
    if damage == "delete":
        asset.unlink()
    else:
        asset.write_bytes(asset.read_bytes() + b"x")
    line = one_line("verify", str(verified))
    assert asset.relative_to(verified).as_posix() in line


def test_a_file_where_a_run_or_a_folder_is_expected_is_named_as_a_file(verified: Path, tmp_path: Path) -> None:
    afile = tmp_path / "notes.txt"
    afile.write_text("x")
    assert f"{afile} is a file, not a run directory" in one_line("verify", str(afile))
    assert f"{afile} is a file, not a folder" in one_line("report", str(verified), "--out", str(afile / "x.html"))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_web_server_that_is_not_an_openai_api_is_refused_before_any_episode(verified: Path, tmp_path: Path) -> None:
    port = _free_port()
    web = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(tmp_path)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        line = one_line("rollout", str(verified), "--base-url", f"http://127.0.0.1:{port}/v1", "--model", "m")
    finally:
        web.terminate()
        web.wait(timeout=10)
    assert "not an OpenAI-compatible API" in line
    assert not any(json.loads(t)["source"] == "model" for t in (verified / Run.TRAJECTORIES).read_text().splitlines())
    assert "rollout:m" not in json.loads((verified / "manifest.json").read_text())["stages"]
