"""`synth generate general --agent` as a user meets it before anything runs: the two modes of the
general family, one-line errors with exit 2 for every bad input, nothing written. No Docker and
no model are needed: every refusal here happens before either is touched."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

import synth
from synth.cli import app
from synth.environments.synthesized import CategoryEntry, read_categories

runner = CliRunner()


def refused(tmp_path: Path, *args: str, fragment: str) -> None:
    out = tmp_path / "run"
    result = runner.invoke(app, ["generate", *args, "--out", str(out)])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("synth: error: "), result.output
    assert fragment in lines[0], lines[0]
    assert not out.exists()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_procedural_mode_records_what_it_always_did():
    fam = synth.family("general")
    settings = fam.parse_settings({"category": ["shopping"], "n": 2, "seed": 3, "difficulty": 4})
    assert fam.stage_config(settings) == {"family": "general", "categories": ["shopping"], "n": 2, "seed": 3,
                                          "difficulty": 4}


@pytest.mark.parametrize("args, fragment", [
    (["--categories", "cats.txt"], "--categories goes with --agent"),
    (["--base-url", "http://127.0.0.1:9/v1"], "--base-url goes with --agent"),
    (["--pass-at", "4"], "--pass-at goes with --agent"),
    (["--category", "trip planning"], "unknown general category 'trip planning'"),
])
def test_agent_options_without_agent_are_refused(tmp_path, args, fragment):
    refused(tmp_path, "general", *args, fragment=fragment)


@pytest.mark.parametrize("args, fragment", [
    ([], "the agent needs --category TEXT or --categories FILE"),
    (["--category", "x", "--categories", "cats.txt"], "the agent needs --category TEXT or --categories FILE"),
    (["--category", "x", "--base-url", "http://127.0.0.1:9/v1"], "--base-url needs --model"),
    (["--category", "x", "--model", "m"], "--model m needs --base-url"),
    (["--category", "x", "--base-url", "ftp://host", "--model", "m"], "give http(s)://HOST[:PORT]/PATH"),
    (["--category", "x", "--base-url", "http://", "--model", "m"], "give http(s)://HOST[:PORT]/PATH"),
    (["--category", "x", "--pass-min", "2"], "--pass-min and --pass-max go with --pass-at K"),
    (["--category", "x", "--pass-at", "2", "--pass-min", "3"], "the pass band 3..2 must lie within 0..2"),
    (["--category", " "], "give a description of 1 to 500 characters"),
    (["--category", "x", "--timeout", "0"], "--timeout"),
    (["--category", "x", "--thinking"], "--thinking needs --flavor vllm, sglang or deepseek"),
])
def test_bad_agent_settings_are_one_line_errors(tmp_path, args, fragment):
    refused(tmp_path, "general", "--agent", *args, fragment=fragment)


def test_an_unreachable_model_server_is_found_by_a_probe_before_anything_starts(tmp_path):
    url = f"http://127.0.0.1:{closed_port()}/v1"
    refused(tmp_path, "general", "--agent", "--category", "x", "--base-url", url, "--model", "m",
            fragment=f"the model server at {url} does not answer (ConnectError)")


def test_a_named_but_unset_key_variable_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("SYNTH_TEST_NO_SUCH_KEY", raising=False)
    refused(tmp_path, "synthesized", "--category", "x", "--base-url", "http://127.0.0.1:9/v1", "--model", "m",
            "--api-key-env", "SYNTH_TEST_NO_SUCH_KEY", fragment="SYNTH_TEST_NO_SUCH_KEY")


@pytest.mark.parametrize("text, fragment", [
    (None, "no such file"),
    ("", "holds no category"),
    ("# only a comment\n\n", "holds no category"),
    ("trip planning\n{\"category\": \"x\"\n", "line 2: not valid JSON"),
    ('{"hints": "no category"}\n', "line 1: category: Field required"),
    ('{"category": "x", "colour": "red"}\n', "line 1: colour: Extra inputs are not permitted"),
    ("trip planning\nshopping\ntrip planning\n", "line 3: repeats line 1"),
    (b"\xff\xfe not text", "not UTF-8 text"),
])
def test_a_malformed_category_file_is_a_one_line_error(tmp_path, text, fragment):
    path = tmp_path / "cats.txt"
    if isinstance(text, bytes):
        path.write_bytes(text)
    elif text is not None:
        path.write_text(text)
    refused(tmp_path, "general", "--agent", "--categories", str(path), "--base-url", "http://127.0.0.1:9/v1",
            "--model", "m", fragment=fragment)


def test_a_category_file_holds_descriptions_or_jsonl_with_hints(tmp_path):
    path = tmp_path / "cats.jsonl"
    path.write_text('trip planning across cities\n# a comment\n\n'
                    + json.dumps({"category": "shopping", "hints": ["coupons", "stock"]}) + "\n")
    assert read_categories(path) == [CategoryEntry(category="trip planning across cities"),
                                     CategoryEntry(category="shopping", hints="coupons\nstock")]


def test_category_keys_are_stable_and_distinct():
    a, b = CategoryEntry(category="Trip planning!"), CategoryEntry(category="Trip planning!", hints="x")
    assert a.slug == "trip-planning" and a.key.startswith("trip-planning-") and a.key != b.key
    assert CategoryEntry(category="Trip planning!").key == a.key


def test_help_lists_both_modes():
    result = runner.invoke(app, ["generate", "general", "--help"])
    assert result.exit_code == 0
    for option in ("--agent", "--categories", "--base-url", "--pass-at", "--max-turns", "--category"):
        assert option in result.output
