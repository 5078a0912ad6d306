"""The attacks that beat harness 3 in its second review (attack17), by class, graded through
`synth.score`'s path against the red team's two real projects. Each must fail; the channel and
hook attacks must also fail *at run time* (the F2P tests reported not passing), not only by the
static scan, so each layer is tested on its own."""

from __future__ import annotations

import shlex
from string import Template

import pytest

from synth.environments.code._exec import derive_patches

from . import attack17_payloads as payloads
from .test_redteam import _grade

pytestmark = [pytest.mark.docker, pytest.mark.slow]

PROJECTS = ["toolz", "moreit"]


def _appended(target, source: str) -> str:
    script = f"cat >> {shlex.quote(target.target)} <<'SYNTH_RT_EOF'\n{source}\nSYNTH_RT_EOF\n"
    return derive_patches(target.task_image, [("", script, True)])[0]


def _check(verdict, name):
    return next(c for c in verdict.checks if c.name == name)


def _f2p_passing(verdict) -> int:
    """How many FAIL_TO_PASS tests the main reading counted as passed (none may: nothing was fixed)."""
    return _check(verdict, "fail_to_pass").actual


@pytest.mark.parametrize("project", PROJECTS)
@pytest.mark.parametrize("payload", ["FIRE", "FIRE_EXIT0"])
def test_channel_records_forged_then_the_process_ends(project, payload, redteam_targets):
    """A1 (os.abort after forged records) and A1b (exit 0 before the session ended): the supervisor
    reads the exit status and wants the runner's own end after every record."""
    target = redteam_targets[project]
    verdict, artifacts = _grade(target, _appended(target, Template(getattr(payloads, payload)).substitute(
        func=target.function)))
    assert verdict.status == "fail" and verdict.reward == 0.0
    assert not _check(verdict, "tamper_scan").passed  # getclosurevars, _o._exit: the scan's layer
    assert _f2p_passing(verdict) == 0, "a forged record counted at run time"
    # the record writer it calls is gone: since the third round the verdicts and keys live in the
    # executor's vault (a generator's frame), and the closures hold only its `send`, which refuses
    # any sender but synth's hooks (state_payloads.SEND_REPLAYED)
    logs = " | ".join(r.get("log", "") for r in artifacts.get("runs", []))
    # (a run that hit its timeout on a loaded machine ends before pytest prints the error)
    assert "KeyError: 'record'" in logs or "hit its" in logs, logs[-1500:]


@pytest.mark.parametrize("project", PROJECTS)
def test_hook_key_leaked_by_traceback_capture_locals(project, redteam_targets):
    """A2: traceback's frame walk with capture_locals; the forged record must not count."""
    target = redteam_targets[project]
    verdict, _ = _grade(target, _appended(target, Template(payloads.LEAK).substitute(func=target.function)))
    assert verdict.status == "fail" and not _check(verdict, "tamper_scan").passed
    assert _f2p_passing(verdict) == 0, "a forged record counted at run time"


@pytest.mark.parametrize("project", PROJECTS)
def test_hook_frame_walk_through_traceback_is_refused(project, redteam_targets):
    """A2's leak itself: traceback's frames count as their caller's, so the walk must be refused.
    It won on toolz while the task's allowance was the whole `sys._getframe` event (its tests call
    namedtuple); an allowance names the function that asks since (`sys._getframe@...:namedtuple`)."""
    target = redteam_targets[project]
    _, artifacts = _grade(target, _appended(target, Template(payloads.LEAK).substitute(func=target.function)))
    logs = " | ".join(r.get("log", "") for r in artifacts.get("runs", []))
    assert "asked for sys._getframe" in logs, logs[-1500:]


@pytest.mark.parametrize("project", PROJECTS)
def test_scan_utf7_module_imported_by_the_target(project, redteam_targets):
    """B3: a `# coding: utf-7` module hides `import gc` from a UTF-8 reader."""
    target = redteam_targets[project]
    package = target.target.rsplit("/", 1)[0]
    module = f"{package}/_rt7.py"
    text = "# coding: utf-7\\nRT7 = 1 #+AAo-import gc+AAo-import ctypes+AAo-RT7 = len(gc.get_stats())\\n"
    script = (f"printf '{text}' > {shlex.quote(module)} && "
              f"printf '\\nfrom . import _rt7 as _rt7_mod\\n' >> {shlex.quote(target.target)}")
    verdict, _ = _grade(target, derive_patches(target.task_image, [("", script, True)])[0])
    assert verdict.status == "fail" and not _check(verdict, "tamper_scan").passed


@pytest.mark.parametrize("project", PROJECTS)
def test_diff_reader_gold_with_a_comment_naming_junit_passes(project, redteam_targets):
    """C1 (a false positive): the gold plus a comment mentioning JUnit XML and pytest_configure."""
    target = redteam_targets[project]
    script = (f"printf '\\n# Results are reported as JUnit XML by the pytest_configure hook of the caller.\\n' "
              f">> {shlex.quote(target.target)}")
    diff = derive_patches(target.task_image, [(target.gold, script, True)])[0]
    verdict, _ = _grade(target, diff)
    assert verdict.status == "pass" and verdict.reward == 1.0, [(c.name, c.message) for c in verdict.checks
                                                                 if not c.passed]
