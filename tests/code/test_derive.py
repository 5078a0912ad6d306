"""Deriving a control's patch in a container: a step whose read-back or reset fails is an error, never
an empty or mixed diff (an empty derived patch was once graded as the control, and the control was
recorded unsound for a patch it never held)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from synth import SandboxError
from synth.environments.code import _exec


class Box:
    """A test box that answers each command with the exit code its script gives."""

    def __init__(self, codes: dict[str, int]):
        self.codes, self.commands, self.closed = codes, [], False

    def exec(self, command: str, **_):
        self.commands.append(command)
        code = next((c for key, c in self.codes.items() if key in command), 0)
        return SimpleNamespace(exit_code=code, output="" if code else "diff --git a/x.py b/x.py\n")

    def close(self):
        self.closed = True


@pytest.fixture
def box(monkeypatch):
    made = {}

    def start(task):
        made["box"] = Box(made.get("codes", {}))
        return made["box"]

    monkeypatch.setattr(_exec, "start_test_box", start)
    monkeypatch.setattr(_exec, "apply_patch", lambda box, patch: (True, ""))
    return made


def test_a_read_back_killed_at_its_timeout_is_an_error_not_an_empty_patch(box):
    box["codes"] = {"git diff": 137}
    with pytest.raises(SandboxError, match="reading a derived patch back failed"):
        _exec.derive_patches("task-image", [("", "echo x >> x.py", True)])
    assert box["box"].closed


def test_a_failed_reset_stops_before_the_next_step_starts_from_dirty_files(box):
    box["codes"] = {"git reset": 1}
    with pytest.raises(SandboxError, match="resetting the repository"):
        _exec.derive_patches("task-image", [("", "echo x >> x.py", True), ("", "echo y >> y.py", True)])
    assert not any("y.py" in c for c in box["box"].commands)


def test_steps_that_succeed_give_one_diff_each(box):
    assert _exec.derive_patches("task-image", [("", "echo x >> x.py", True), ("", "echo y >> y.py", False)]) == [
        "diff --git a/x.py b/x.py\n"] * 2
