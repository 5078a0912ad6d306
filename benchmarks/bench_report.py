"""`synth report` and `synth view` on a run of 10,000 real tasks.

Builds (once, cached under --root) a run of general tasks in every category at difficulty 1,
verified, with one model episode each from an instant local OpenAI-compatible server (two tool
calls, then a wrong answer: a realistic trajectory of five messages). Then measures, in the same
process:

- baseline: one pass over the run's journals with json.loads (the least any reader pays);
- the report: index + plots + HTML, its size, and the ratio to the baseline;
- the viewer: server start (index), then the first page: /api/summary plus /api/tasks of 50 rows,
  as the page asks for them, and, when Debian chromium is installed, the time a headless browser
  takes from navigation to showing the first page of rows.

    .venv/bin/python benchmarks/bench_report.py [--n 2500] [--root /tmp/synth-bench-report]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

import httpx

import synth
from synth import Run
from synth._report import write_report
from synth._viewer import Viewer

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from fakes import FakeServer, call, completion  # noqa: E402


def reply(body: dict, n: int) -> dict:
    tools = [t["function"]["name"] for t in body["tools"]]
    done = sum(1 for m in body["messages"] if m["role"] == "tool")
    if done < 2:
        return completion("Looking around.", [call(tools[done], "{}", f"call_{done}")])
    return completion(None, [call("submit_result", {"answer_text": "[]"}, "call_submit")])


def build(root: Path, n: int) -> Path:
    path = root / "run"
    stamp = root / f"built-{n}"
    if stamp.exists():
        return path
    shutil.rmtree(root, ignore_errors=True)
    t0 = time.perf_counter()
    synth.generate(path, "general", {"n": n, "seed": 0, "difficulty": 1})
    run = Run.open(path)
    synth.verify(run)
    t1 = time.perf_counter()
    with FakeServer(reply) as server:
        cfg = synth.RolloutConfig(base_url=server.base_url, model="bench", samples=1, max_steps=4, concurrency=32)
        synth.rollout(run, cfg)
    t2 = time.perf_counter()
    print(f"built the run: generate + verify {t1 - t0:.0f} s, rollout {t2 - t1:.0f} s", flush=True)
    stamp.touch()
    return path


def read_journals(path: Path) -> int:
    count = 0
    for name in (Run.TUPLES, Run.VERDICTS, Run.TRAJECTORIES, Run.REJECTIONS):
        if (path / name).exists():
            with open(path / name, "rb") as handle:
                for line in handle:
                    json.loads(line)
                    count += 1
    return count


def browser_first_page(url: str) -> float | None:
    if not (os.path.exists("/usr/bin/chromium") and os.path.exists("/usr/bin/chromedriver")):
        return None
    from browser import FLAGS  # tests/browser.py: the flags this machine needs
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait
    import tempfile

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    profile = tempfile.mkdtemp()
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=options)
    try:
        driver.get("about:blank")
        start = time.perf_counter()
        driver.get(url)
        WebDriverWait(driver, 120).until(expected_conditions.text_to_be_present_in_element((By.ID, "range"), "1–50"))
        return time.perf_counter() - start
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2500, help="tasks per category (4 categories)")
    parser.add_argument("--root", type=Path, default=Path("/tmp/synth-bench-report"))
    args = parser.parse_args()
    path = build(args.root, args.n)
    sizes = {name: (path / name).stat().st_size for name in (Run.TUPLES, Run.VERDICTS, Run.TRAJECTORIES)}
    print(f"run: {args.n * 4} tasks, journals {sum(sizes.values()) / 1e6:.0f} MB "
          f"({', '.join(f'{k} {v / 1e6:.0f} MB' for k, v in sizes.items())})")

    t0 = time.perf_counter()
    lines = read_journals(path)
    baseline = time.perf_counter() - t0
    print(f"baseline: json.loads of every line ({lines} lines): {baseline:.2f} s")

    t0 = time.perf_counter()
    out = write_report(path, args.root / "report.html")
    report = time.perf_counter() - t0
    print(f"report: {report:.2f} s ({report / baseline:.2f}x the baseline), {out.stat().st_size / 1e6:.1f} MB")

    t0 = time.perf_counter()
    with Viewer(path, port=0) as viewer:
        started = time.perf_counter() - t0
        t1 = time.perf_counter()
        summary = httpx.get(viewer.url + "api/summary", timeout=120)
        page = httpx.get(viewer.url + "api/tasks", params={"offset": 0, "limit": 50}, timeout=120)
        first = time.perf_counter() - t1
        assert summary.json()["tasks"] == args.n * 4 and len(page.json()["rows"]) == 50
        print(f"viewer: start (index) {started:.2f} s ({started / baseline:.2f}x the baseline); first page "
              f"(summary + 50 rows, {(len(summary.content) + len(page.content)) / 1e3:.0f} kB) {first * 1e3:.0f} ms")
        shown = browser_first_page(viewer.url)
        if shown is not None:
            print(f"viewer: headless chromium, navigation to the first 50 rows shown: {shown * 1e3:.0f} ms")


if __name__ == "__main__":
    main()
