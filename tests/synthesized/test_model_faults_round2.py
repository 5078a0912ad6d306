"""Issue 20, round 2 (an independent attacker): the other direction of the rule. A fault the model
could not have caused must end the episode `environment_error` (retried by a re-run), never be
shown to the model as its tool's failure and graded as its loss. The synthesized family's episode
builds its ToolRuntime without a probe, so whatever its container does is read as the tool's fault.
"""

from __future__ import annotations

import sqlite3

import pytest

import synth
from synth.environments.synthesized import _environment as environment
from synth.environments.synthesized._files import remote_tool, signatures

pytestmark = pytest.mark.docker

TOOLS = '''
def count_rows(db) -> int:
    """Count the rows of the table."""
    return db.execute("SELECT COUNT(*) FROM t").fetchone()[0]
'''


@pytest.fixture
def episode_env(tmp_path, base_image: str, monkeypatch: pytest.MonkeyPatch):
    """A SynthesizedEnvironment as an episode opens it (its real ToolBox container and ToolRuntime),
    over a one-tool tools.py and a one-row database instead of a generated record."""
    path = tmp_path / "db.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE t (x)")
        db.execute("INSERT INTO t VALUES (1)")
    monkeypatch.setattr(environment, "stored_files", lambda run, record: {"tools.py": TOOLS})
    monkeypatch.setattr(environment, "db_of", lambda run, record: path.read_bytes())
    monkeypatch.setattr(environment, "timeout_of", lambda record: 10.0)
    monkeypatch.setattr(environment, "tools_of_record",
                        lambda record: [remote_tool(s) for s in signatures(TOOLS)] + [environment.submit_tool()])
    env = environment.SynthesizedEnvironment(None, None)  # type: ignore[arg-type]
    try:
        yield env
    finally:
        env.close()


def test_a_tool_box_removed_from_outside_is_an_environment_fault_not_the_model_s(episode_env) -> None:
    from synth.sandbox._docker import engine

    assert episode_env.call("count_rows", "{}").content == "1"
    engine().api.remove_container(episode_env.runtime.context.box.id, force=True)
    with pytest.raises(synth.EnvironmentFault):
        episode_env.call("count_rows", "{}")
