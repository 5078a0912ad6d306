"""The grading artifacts of one code submission: everything `code.tests` reads, nothing else.

Sits between execution and grading: the code family's grading run (`grading_run`) fills one
`GradingArtifacts` in a fresh container and stores `model_dump(mode="json")` with the trajectory
(extra["artifacts"]); the verifier validates it back, so a regrade needs no container. The field
order is the stored key order: keep it (new fields go last, with defaults, so artifacts stored by
earlier versions still load), or stored trajectories stop being byte-identical.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from synth import register_record

from ._harness import Harness
from ._junit import TestRun


@register_record
class GradingArtifacts(BaseModel):
    """What executing one submission for grading left behind (stored with its trajectory)."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    submission_sha256: str
    """sha256 of the submitted diff as executed; grading refuses artifacts of another submission."""
    dropped_paths: list[str] = Field(default_factory=list)
    """Test and test-configuration files the submission touched; their changes were discarded."""
    patch_applied: bool = False
    """The submission (without the dropped paths) applied to the task repository."""
    test_patch_applied: bool = False
    """The task's test patch applied afresh on top of the submission."""
    apply_log: str = ""
    """Output of the last `git apply` (capped), or why the submission is not a diff."""
    runs: list[TestRun] = Field(default_factory=list)
    """Test runs after both patches applied: the main reading, then (when the main reading passes
    the task) the second reading of the FAIL_TO_PASS and PASS_TO_PASS tests in a fresh process;
    empty when the submission was refused or a patch did not apply."""
    rejected: str = ""
    """Why the submission was refused before any test ran, as git saw it in the grading container
    (paths the diff does not declare, protected or forbidden paths, a module that shadows an
    installed one); empty when it was not."""
    harness_version: int = 1
    """Version of the grading run: 1 before the hardened harness, 2 the hardened one (the verifier
    refuses to read either), 3 since keyed records."""
    harness: Harness | None = None
    """The harness the runs used; None when no test ran and the task pins none."""
    tamper: list[str] = Field(default_factory=list)
    """What the static tamper scan found in the changed Python files, as `path:line: construct`
    (constructs the diff adds; `_scan.py`)."""
