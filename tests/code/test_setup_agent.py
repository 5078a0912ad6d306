"""The LLM setup agent with a scripted model (a local OpenAI-compatible server) in a real setup
container: it iterates until the test suite collects, and its recorded script builds the
environment image. Generation runs through the stage, as `synth generate code --setup-base-url`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakes import FakeServer

import synth

from code_repos import git, write

pytestmark = pytest.mark.docker


def _reply(tool: str, arguments: dict, n: int) -> dict:
    call = {"id": f"c{n}", "type": "function", "function": {"name": tool, "arguments": json.dumps(arguments)}}
    return {"choices": [{"index": 0, "message": {"role": "assistant", "content": None, "tool_calls": [call]},
                         "finish_reason": "tool_calls"}], "usage": {"prompt_tokens": 1, "completion_tokens": 1}}


class SetupModel:
    """Says done too early, is told collection fails, writes the missing module, says done again."""

    def __init__(self) -> None:
        self.requests: list[dict] = []

    def __call__(self, body: dict, n: int) -> dict:
        self.requests.append(body)
        plan = [("done", {}), ("bash", {"command": "false"}),
                ("bash", {"command": "printf 'def ratio():\\n    return 2\\n' > "
                          "\"$(python -c 'import site; print(site.getsitepackages()[0])')/helper.py\""}),
                ("done", {})]
        tool, arguments = plan[min(n, len(plan) - 1)]
        return _reply(tool, arguments, n + 1)


def _helperless(root: Path) -> Path:
    """A project whose tests need a module no requirement names; its one fix commit uses it."""
    repo = root / "helperless"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    write(repo, {"calc.py": "from helper import ratio\n\ndef scale(x):\n    return x * 3\n",
                  "test_calc.py": "from calc import scale\n\ndef test_scale():\n    assert scale(2) == 4\n"})
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Initial")
    write(repo, {"calc.py": "from helper import ratio\n\ndef scale(x):\n    return x * ratio()\n",
                  "test_calc.py": "from calc import scale\n\ndef test_scale():\n    assert scale(2) == 4 and scale(0) == 0\n"})
    git(repo, "commit", "-q", "-am", "scale() ignores the configured ratio")
    return repo


def test_setup_agent_iterates_until_tests_collect_and_its_script_builds_the_image(tmp_path: Path, base_image):
    model = SetupModel()
    run = synth.Run.create(tmp_path / "run")
    with FakeServer(model) as server:
        report = synth.generate(run, "code", {"git": _helperless(tmp_path), "n": 1, "k": 1, "timeout": 60,
                                              "setup_base_url": server.base_url, "setup_model": "setup"})
    assert report.tuples == 1, run.rejections().read()
    record = run.tuples().read()[0]
    script = record.environment.metadata["setup_script"]
    assert "recorded by synth's LLM setup agent" in script and "helper.py" in script
    assert "false" not in script.splitlines()  # failed commands are not recorded
    told = [m for m in model.requests[1]["messages"] if m["role"] == "tool"]
    assert json.loads(told[-1]["content"])["collects"] is False
    assert record.verifier.args["fail_to_pass"] == ["test_calc::test_scale"]
