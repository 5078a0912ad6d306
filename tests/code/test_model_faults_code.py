"""Issue 20 (written by its helper): a scripted model that floods, kills, deletes and exhausts inside
the code agent's container gets tool results it reads and a graded episode, never
`environment_error`; the container's quotas are the sandbox's `Limits` defaults (1g disk, 4096
open files), which this family passes unchanged."""

from __future__ import annotations

import json

import pytest

from synth import TerminationReason

from .test_rollout_code import _episode

pytestmark = pytest.mark.docker

FAULTS = [
    ("bash", {"command": "dd if=/dev/zero of=/tmp/big bs=1M count=3000; ls -l /tmp/big | cut -d' ' -f5", "timeout": 60}),
    ("bash", {"command": "cd /tmp && for i in $(seq 60); do dd if=/dev/zero of=f$i bs=1M count=40 status=none; done; echo done",
              "timeout": 100}),
    ("bash", {"command": "rm -f /tmp/f* /tmp/big; python3 -c \"fs = [open('/proc/self/stat') for _ in range(10000)]\"", "timeout": 30}),
    ("bash", {"command": "setsid bash -c 'b(){ b | b & }; b' & sleep 30", "timeout": 3}),
    ("bash", {"command": "kill -9 -1; echo after", "timeout": 10}),
    ("bash", {"command": "rm -rf /testbed/.git /testbed/*; echo gone", "timeout": 30}),
    ("submit", {}),
]


def test_faults_the_model_causes_in_its_container_are_its_own(calc_run):
    _, trajectory, _ = _episode(calc_run, FAULTS)
    results = [json.loads(m.content) for m in trajectory.messages if m.role == "tool"]
    assert len(results) == len(FAULTS), (trajectory.termination, trajectory.extra.get("error"), results[-1])
    big, many, files, bomb, kill, gone, _ = results
    # whichever comes first at 1 GiB: the file size limit, or the host's watch of the writable layer
    assert "File size limit exceeded" in big["output"] or "disk quota" in big["output"], big
    assert "disk quota" in many["output"] and "done" not in many["output"]
    assert "Too many open files" in files["output"]
    assert bomb["timed_out"]
    assert gone["output"].strip().endswith("gone")
    assert not trajectory.termination.infrastructure, trajectory.extra.get("error")
    assert trajectory.termination is TerminationReason.SUBMITTED
    assert trajectory.verdict is not None and trajectory.verdict.status == "fail" and trajectory.verdict.reward == 0
