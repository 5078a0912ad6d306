"""`synth view`: the read-only trajectory viewer, used in a real browser (headless Debian chromium) as
a person would: list and filter tasks, open one, read its prompt, tools, controls with their checks,
and a model trajectory with its reasoning, tool calls and results. A run of 10,000 tasks opens with
one page of rows. Markup a model wrote is shown as text, and nothing but GET from this machine's
own pages is answered."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from synth import Run
from synth._viewer import Viewer
from synth.cli import app

from browser import texts, wait_for, wait_text
from sample_runs import MARKUP, shared_big_run, shared_sample_run

runner = CliRunner()


@pytest.fixture(scope="module")
def sample_viewer():  # type: ignore[no-untyped-def]
    with Viewer(shared_sample_run(), port=0) as viewer:
        yield viewer


def click(driver, css: str) -> None:  # type: ignore[no-untyped-def]
    wait_for(driver, css).click()


@pytest.mark.browser
def test_list_filter_and_open_a_task(browser, sample_viewer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.support.ui import Select

    browser.get(sample_viewer.url)
    wait_text(browser, "#count", "8 tasks")
    wait_text(browser, "#range", "1–8 of 8 matching")
    assert len(browser.find_elements("css selector", "#tasks tbody tr")) == 8

    Select(browser.find_element("id", "f-category")).select_by_value("shopping")
    wait_text(browser, "#range", "1–2 of 2 matching")
    assert set(texts(browser, "#tasks tbody td:nth-child(3)")) == {"shopping"}
    Select(browser.find_element("id", "f-verdict")).select_by_value("fail")
    wait_text(browser, "#range", "1–1 of 1 matching")
    assert texts(browser, "#tasks tbody td:nth-child(7)") == ["0/1"]

    click(browser, "#tasks tbody tr")
    wait_text(browser, "#task-title", "general / shopping / difficulty 3")
    assert "Tools (" in browser.find_element("css selector", "#tools h2").text
    assert "submit_result" in texts(browser, "#tools summary code")
    # the controls: gold passes, every null control fails, each one sound
    controls = {row.get_attribute("data-control"): row for row in browser.find_elements("css selector", ".control-row")}
    assert controls["gold"].find_element("css selector", "td:nth-child(3)").text == "pass"
    assert controls["empty"].find_element("css selector", "td:nth-child(3)").text == "fail"
    assert all(row.find_element("css selector", "td:nth-child(4)").text == "yes" for row in controls.values())
    controls["empty"].click()
    messages = [m for m in texts(browser, ".control-checks:not([hidden]) .check-message") if m]
    assert "no answer was submitted" in messages

    # the model's failing trajectory: reasoning, its tool calls, the tool's error result, the verdict
    click(browser, "tr.episode[data-n='1']")
    wait_text(browser, "#trajectory-title", "model scripted sample 0: submitted")
    assert "Let me look around first." in texts(browser, "#messages .reasoning")
    assert texts(browser, "#messages .tool-name")[:1] == [browser.find_element("css selector", "#tools summary code").text + "()"]
    assert any("invalid_json" in t for t in texts(browser, "#messages .message.tool pre"))
    assert MARKUP in texts(browser, "#messages .message.assistant .content")
    assert browser.execute_script("return document.querySelectorAll('#messages img, #messages script').length") == 0
    verdict = browser.find_element("css selector", "#trajectory .verdict p").text
    assert verdict.startswith("verdict: fail")
    failing = [m for m in texts(browser, "#trajectory .check-message") if m]
    assert failing, "a failing verdict shows the message of its failing check"
    browser.execute_script("document.getElementById('trajectory').scrollIntoView()")
    browser.save_screenshot(str(tmp_path / "viewer-trajectory.png"))
    assert (tmp_path / "viewer-trajectory.png").stat().st_size > 10_000


@pytest.mark.browser
def test_ten_thousand_tasks_open_one_page_at_a_time(browser) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.support.ui import Select

    with Viewer(shared_big_run(), port=0) as viewer:
        browser.get(viewer.url)
        wait_text(browser, "#count", "10000 tasks")
        wait_text(browser, "#range", "1–50 of 10000 matching")
        assert len(browser.find_elements("css selector", "#tasks tbody tr")) == 50
        # what the page fetched: the summary and one page of rows, not the run
        fetched = browser.execute_script(
            "return performance.getEntriesByType('resource').filter(e => e.name.includes('/api/'))"
            ".reduce((n, e) => n + e.encodedBodySize, 0)")
        assert 0 < fetched < 100_000
        click(browser, "#next")
        wait_text(browser, "#range", "51–100 of 10000 matching")
        Select(browser.find_element("id", "f-category")).select_by_value("gamma")
        wait_text(browser, "#range", "1–50 of 2500 matching")
        Select(browser.find_element("id", "f-difficulty")).select_by_value("3")
        wait_text(browser, "#range", "of 500 matching")
        assert set(texts(browser, "#tasks tbody td:nth-child(4)")) == {"3"}


def test_the_api_pages_and_filters(sample_viewer) -> None:  # type: ignore[no-untyped-def]
    base = sample_viewer.url
    summary = httpx.get(base + "api/summary").json()
    assert summary["tasks"] == 8 and summary["facets"]["verdict"] == {"fail": 4, "pass": 4}
    page = httpx.get(base + "api/tasks", params={"offset": 6, "limit": 5}).json()
    assert page["total"] == 8 and len(page["rows"]) == 2
    assert httpx.get(base + "api/tasks", params={"limit": 10**9}).json()["limit"] == 500
    assert httpx.get(base + "api/tasks", params={"offset": "x"}).status_code == 400
    key = page["rows"][0]["key"]
    task = httpx.get(base + "api/task", params={"key": key}).json()
    assert task["record"]["key"] == key and [e["source"] for e in task["episodes"]] == ["gold", "model"]
    assert httpx.get(base + "api/trajectory", params={"key": key, "n": 1}).json()["source"] == "model"
    assert httpx.get(base + "api/trajectory", params={"key": key, "n": 2}).status_code == 404
    assert httpx.get(base + "api/task", params={"key": "nope"}).status_code == 404


def test_read_only_and_local(sample_viewer) -> None:  # type: ignore[no-untyped-def]
    base = sample_viewer.url
    assert sample_viewer.url.startswith("http://127.0.0.1:")
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        assert httpx.request(method, base + "api/summary").status_code == 405
    # a page on another name (DNS rebinding) gets nothing
    assert httpx.get(base + "api/summary", headers={"Host": "attacker.example:80"}).status_code == 403
    assert httpx.get(base.replace("127.0.0.1", "localhost") + "api/summary").status_code == 200
    for path in ("static/../../../etc/passwd", "static/%2e%2e/app.js", "manifest.json", "tuples.jsonl"):
        assert httpx.get(base + path).status_code == 404
    page = httpx.get(base)
    assert "script-src 'self'" in page.headers["Content-Security-Policy"] and page.headers["X-Content-Type-Options"] == "nosniff"
    assert httpx.get(base + "static/app.js").headers["Content-Type"].startswith("text/javascript")


def test_appended_records_show_up_and_rewrites_are_reread(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    shutil.copytree(shared_sample_run(), run_dir)
    lines = (run_dir / Run.TRAJECTORIES).read_text().splitlines(keepends=True)
    (run_dir / Run.TRAJECTORIES).write_text("".join(lines[:8]))  # the gold trajectories only
    with Viewer(run_dir, port=0) as viewer:
        assert httpx.get(viewer.url + "api/summary").json()["facets"]["verdict"] == {"none": 8}
        with open(run_dir / Run.TRAJECTORIES, "a") as handle:  # a rollout appends, then writes half a line
            handle.writelines(lines[8:])
            handle.write(lines[8][:40])
        assert httpx.get(viewer.url + "api/summary").json()["facets"]["verdict"] == {"fail": 4, "pass": 4}
        (run_dir / Run.TRAJECTORIES).write_text("".join(lines[:8]))  # rewritten (regrade) shorter
        assert httpx.get(viewer.url + "api/summary").json()["facets"]["verdict"] == {"none": 8}


def test_synth_view_serves_until_stopped(tmp_path: Path) -> None:
    process = subprocess.Popen([sys.executable, "-m", "synth.cli", "view", str(shared_sample_run()), "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()  # type: ignore[union-attr]
        assert "8 tasks of" in line and "read-only" in line
        url = line.split(" at ")[1].split()[0]
        assert httpx.get(url + "api/summary", timeout=60).json()["tasks"] == 8
    finally:
        process.terminate()
        process.wait(timeout=60)


@pytest.mark.parametrize(("args", "needle"), [(["{missing}"], "does not exist"), (["{run}", "--port", "{busy}"], "cannot listen")])
def test_bad_input_is_one_line(tmp_path: Path, args: list[str], needle: str) -> None:
    with Viewer(shared_sample_run(), port=0) as busy:
        names = {"missing": tmp_path / "missing", "run": shared_sample_run(), "busy": busy.port}
        result = runner.invoke(app, ["view", *[a.format(**names) for a in args]])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("synth: error: ") and needle in lines[0]


def test_json_of_any_text_travels_escaped(tmp_path: Path) -> None:
    """Lone surrogates and control characters in a trajectory reach the page as JSON escapes."""
    run_dir = tmp_path / "run"
    shutil.copytree(shared_sample_run(), run_dir)
    path = run_dir / Run.TRAJECTORIES
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    rows[-1]["messages"][-1]["content"] = "\ud800 \u0000 </script>"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with Viewer(run_dir, port=0) as viewer:
        key = rows[-1]["task_key"]
        task = httpx.get(viewer.url + "api/task", params={"key": key}).json()
        n = [e["source"] for e in task["episodes"]].index("model")
        response = httpx.get(viewer.url + "api/trajectory", params={"key": key, "n": n})
        assert response.status_code == 200 and response.content.isascii()
        assert "\\ud800" in response.text
