"""`synth report`: one self-contained HTML file, opened in a real browser (headless Debian chromium)
and read as a person would: the funnel and its rejection reasons, soundness per category and
difficulty, pass rates, endings, per-episode figures, validation facts, and a task table whose links
lead to the viewer. Nothing in it loads from the network or runs as script, whatever the run holds."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

import synth
from synth import Rejection, Run
from synth.cli import app

from browser import texts, wait_for
from sample_runs import shared_big_run, shared_sample_run

runner = CliRunner()


def table(driver, ident: str, keys: int = 1) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    """Rows of the table with id `ident`, by the text of their first `keys` cells joined with '/'."""
    from selenium.webdriver.common.by import By

    out = {}
    for row in driver.find_elements(By.CSS_SELECTOR, f"#{ident} tbody tr"):
        cells = [c.text for c in row.find_elements(By.TAG_NAME, "td")]
        out["/".join(cells[:keys])] = cells[keys:]
    return out


def open_report(driver, path: Path) -> None:  # type: ignore[no-untyped-def]
    driver.get(path.resolve().as_uri())
    wait_for(driver, "#tasks-table")


@pytest.mark.browser
def test_the_report_shows_what_the_run_holds(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run = shared_sample_run()
    out = tmp_path / "sample report.html"
    result = runner.invoke(app, ["report", str(run), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(out)
    open_report(browser, out)

    assert "8 tasks (general 8), 8 sound, 8 model episodes" in browser.find_element("id", "summary").text
    funnel = table(browser, "funnel-table")
    assert {stage: cells[0] for stage, cells in funnel.items()} == {
        "candidates": "8", "built": "8", "validated": "8", "sound": "8",
        "kept": str(8 - len(synth.easy_keys(Run.open(run))))}  # easy tuples (a baseline solves them) are not kept
    by_category = table(browser, "soundness-category", keys=2)
    assert {name: cells[:3] for name, cells in by_category.items()} == {
        f"general/{c}": ["2", "2", "0"] for c in ("course_timetabling", "meeting_scheduling", "shopping", "trip_planning")}
    assert table(browser, "soundness-difficulty", keys=2)["general/3"][:2] == ["8", "8"]
    # the scripted model submits the gold answer on every other task: pass@1 0.5 at difficulty 3
    rates = table(browser, "pass-rates-table")
    assert rates["3"][0] == "8" and rates["3"][1] == "100.0%" and rates["3"][4] == "0.500"
    endings = table(browser, "endings")
    assert endings["scripted"][0] == "8"  # eight episodes ended by submitting
    per_episode = table(browser, "per-episode")
    assert per_episode["tool calls"][0] == "2.0" and per_episode["tool errors"][0] == "1.0"
    # every task is in the table and links to its trajectories in the viewer
    links = browser.find_elements("css selector", "#tasks-table tbody a")
    keys = [t.key for t in Run.open(run).tuples()]
    assert [a.get_attribute("href") for a in links] == [f"http://127.0.0.1:8321/#/task/{key}" for key in keys]
    assert len(browser.find_elements("css selector", "figure svg")) >= 5
    # self-contained: the document loaded nothing else, and holds no script
    loaded = browser.execute_script("return performance.getEntriesByType('resource').length")
    assert loaded == 0
    assert browser.execute_script("return document.scripts.length") == 0
    browser.save_screenshot(str(tmp_path / "report.png"))
    assert (tmp_path / "report.png").stat().st_size > 10_000


@pytest.mark.browser
def test_rejections_and_validation_facts_at_scale(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "big.html"
    result = runner.invoke(app, ["report", str(shared_big_run()), "--out", str(out), "--viewer-url", "http://127.0.0.1:9000"])
    assert result.exit_code == 0, result.output
    open_report(browser, out)
    funnel = table(browser, "funnel-table")
    # 10,000 tuples, 1,000 rejections of which 500 after validation ran
    assert [funnel[s][0] for s in ("candidates", "built", "validated", "sound", "kept")] == ["11000", "10500", "10000", "10000", "10000"]
    reasons = table(browser, "rejections")
    assert reasons["gold patch touches N files (limit N)"][0] == "500"
    assert reasons["no test fails before the fix and passes after it (F2P = N)"][0] == "500"
    facts = table(browser, "facts-scale")
    assert facts["fail_to_pass"][:2] == ["10000", "2"]  # tuples, mean of 1,2,3
    assert facts["flaky"][3] == "4"  # p90 of 0..4 flaky tests
    assert len(browser.find_elements("css selector", "#tasks-table tbody tr")) == 10_000
    first = browser.find_element("css selector", "#tasks-table tbody a").get_attribute("href")
    assert first.startswith("http://127.0.0.1:9000/#/task/")


@pytest.mark.browser
def test_run_contents_are_shown_as_text(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run = tmp_path / "run"
    shutil.copytree(shared_sample_run(), run)
    evil = "<script>document.title='owned'</script><img src=http://127.0.0.1:1/x onerror=alert(1)>"
    opened = Run.open(run)
    with opened.rejections() as journal:
        journal.append(Rejection(key="evil", family="general", reason=evil))
    opened.finish("generate", rejected=sum(1 for _ in opened.rejections()))  # as generate records what it rejected
    out = tmp_path / "report.html"
    assert runner.invoke(app, ["report", str(run), "--out", str(out)]).exit_code == 0
    assert evil not in out.read_text() and "&lt;script&gt;" in out.read_text()
    open_report(browser, out)
    assert any(evil in text for text in texts(browser, "#rejections td"))
    assert browser.title.startswith("synth report")
    assert browser.execute_script("return document.images.length") == 0
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0


def test_the_same_run_gives_the_same_bytes(tmp_path: Path) -> None:
    a, b = tmp_path / "a.html", tmp_path / "b.html"
    for out in (a, b):
        assert runner.invoke(app, ["report", str(shared_sample_run()), "--out", str(out)]).exit_code == 0
    assert a.read_bytes() == b.read_bytes()
    assert "<svg" in a.read_text() and "http-equiv='Content-Security-Policy'" in a.read_text()


def test_default_path_is_inside_the_run(tmp_path: Path) -> None:
    run = tmp_path / "run"
    shutil.copytree(shared_sample_run(), run)
    result = runner.invoke(app, ["report", str(run)])
    assert result.exit_code == 0 and result.output.strip() == str(run / "report.html")
    assert (run / "report.html").read_text().startswith("<!DOCTYPE html>")


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["{missing}"], "does not exist"),
        (["{run}", "--out", "{dir}"], "is a directory"),
        (["{run}", "--viewer-url", "javascript:alert(1)"], "--viewer-url"),
        (["{foreign}"], "not a synth run directory"),
        (["{torn}"], "malformed JSONL"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(tmp_path: Path, args: list[str], needle: str) -> None:
    run = tmp_path / "run"
    shutil.copytree(shared_sample_run(), run)
    (run / "report.html").unlink(missing_ok=True)
    (tmp_path / "foreign").mkdir()
    torn = tmp_path / "torn"
    shutil.copytree(run, torn)
    with open(torn / Run.VERDICTS, "a") as handle:
        handle.write("not json\n")
    (tmp_path / "dir").mkdir()
    names = {"missing": tmp_path / "missing", "run": run, "dir": tmp_path / "dir", "foreign": tmp_path / "foreign", "torn": torn}
    result = runner.invoke(app, ["report", *[a.format(**names) for a in args]])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("synth: error: ") and needle in lines[0]
    assert not (run / "report.html").exists() and not (torn / "report.html").exists()
    assert list((tmp_path / "dir").iterdir()) == []


def test_a_torn_last_line_is_left_for_later(tmp_path: Path) -> None:
    """A writer still appending (or killed mid-line) leaves a line without its newline: the report
    reads the complete lines and says nothing of the partial one."""
    run = tmp_path / "run"
    shutil.copytree(shared_sample_run(), run)
    with open(run / Run.TRAJECTORIES, "a") as handle:
        handle.write(json.dumps({"task_key": "x", "source": "model"})[:20])
    assert runner.invoke(app, ["report", str(run)]).exit_code == 0
    assert "8 model episodes" in (run / "report.html").read_text()
