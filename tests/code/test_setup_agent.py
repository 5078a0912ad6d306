"""The LLM setup agent with a scripted model (httpx.MockTransport) in a real setup container: it
iterates until the test suite collects, and its recorded script builds the environment image."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import httpx
import pytest

from synth import Run, TupleRecord
from synth import ModelClient
from synth import RolloutConfig
from synth.environments.code import Candidate, Generator, Settings

pytestmark = pytest.mark.docker


def _tree(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _reply(tool: str, arguments: dict, n: int) -> dict:
    call = {"id": f"c{n}", "type": "function", "function": {"name": tool, "arguments": json.dumps(arguments)}}
    return {"choices": [{"index": 0, "message": {"role": "assistant", "content": None, "tool_calls": [call]},
                         "finish_reason": "tool_calls"}], "usage": {"prompt_tokens": 1, "completion_tokens": 1}}


class SetupModel:
    """Says done too early, is told collection fails, writes the missing module, says done again."""

    def __init__(self) -> None:
        self.requests: list[dict] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.requests.append(body)
        n = len(self.requests)
        plan = [("done", {}), ("bash", {"command": "false"}),
                ("bash", {"command": "printf 'def ratio():\\n    return 2\\n' > "
                          "\"$(python -c 'import site; print(site.getsitepackages()[0])')/helper.py\""}),
                ("done", {})]
        tool, arguments = plan[min(n - 1, len(plan) - 1)]
        return httpx.Response(200, json=_reply(tool, arguments, n))


def test_setup_agent_iterates_until_tests_collect_and_its_script_builds_the_image(tmp_path: Path, base_image):
    files = {
        "calc.py": "from helper import ratio\n\ndef scale(x):\n    return x * 3\n",
        "test_calc.py": "from calc import scale\n\ndef test_scale():\n    assert scale(2) == 4\n",
    }
    gold = ("diff --git a/calc.py b/calc.py\n--- a/calc.py\n+++ b/calc.py\n@@ -2,3 +2,3 @@\n \n def scale(x):\n"
            "-    return x * 3\n+    return x * ratio()\n")
    test_patch = ("diff --git a/test_calc.py b/test_calc.py\n--- a/test_calc.py\n+++ b/test_calc.py\n@@ -3,2 +3,2 @@\n"
                  " def test_scale():\n-    assert scale(2) == 4\n+    assert scale(2) == 4 and scale(0) == 0\n")
    model = SetupModel()
    config = RolloutConfig(base_url="http://model.test/v1", model="setup")
    run = Run.create(tmp_path / "run")
    logs: list[str] = []
    gen = Generator(run, Settings(k=1, timeout=60), log=logs.append, setup_model=lambda: ModelClient(
        config, transport=httpx.MockTransport(model)))
    cand = Candidate("git", "helperless", "helperless@1", "1", _tree(files), gold, test_patch,
                     "scale() ignores the configured ratio", ["test_calc.py"])
    try:
        assert gen.consider(cand), logs
    finally:
        gen.close()
    record = run.journal("tuples.jsonl", TupleRecord).read()[0]
    script = record.environment.metadata["setup_script"]
    assert "recorded by synth's LLM setup agent" in script and "helper.py" in script
    assert "false" not in script.splitlines()  # failed commands are not recorded
    told = [m for m in model.requests[1]["messages"] if m["role"] == "tool"]
    assert json.loads(told[-1]["content"])["collects"] is False
    assert record.verifier.args["fail_to_pass"] == ["test_calc::test_scale"]
