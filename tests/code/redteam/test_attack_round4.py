"""Round 4 of the red team (issue 17): an independent attacker after the vault, by class, graded
through `synth.score`'s path against the red team's two real projects (round4_payloads.py). A
payload that still wins (the task graded pass, or a FAIL_TO_PASS test counted as passed although
nothing was fixed) is a strict xfail naming its class; one that loses asserts the fail."""

from __future__ import annotations

import shlex
from string import Template

import pytest

from synth.environments.code._exec import derive_patches

from . import round4_payloads as payloads
from .test_attack17 import _appended, _check, _f2p_passing
from .test_redteam import _grade, _through_tools

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def _test_module(test_id: str) -> str:
    """The module of a test id (`tests.test_more.Class::name` -> tests.test_more)."""
    parts = test_id.partition("::")[0].split(".")
    cut = next(i for i, part in enumerate(parts) if part.startswith("test_"))
    return ".".join(parts[: cut + 1])


def _source(target, payload: str) -> str:
    f2p = target.record.verifier.args["fail_to_pass"]
    classes = sorted({i.partition("::")[0].rpartition(".")[2] for i in f2p} - {_test_module(f2p[0]).rpartition(".")[2]})
    return Template(payload).substitute(func=target.function, pkg=target.target.split("/")[0],
                                        testmod=_test_module(f2p[0]), classes=",".join(classes))


def _forged(verdict) -> bool:
    return verdict.status == "pass" or _f2p_passing(verdict) > 0


def _logs(artifacts) -> str:
    return " | ".join(r.get("log", "")[-600:] for r in artifacts.get("runs", []))


WINS: dict[tuple[str, str], str] = {}
"""(payload, project) -> class, for the payloads that still win (strict xfail)."""


def _cases(names, projects):
    for name in names:
        for project in projects:
            won = (name, project) in WINS
            marks = [pytest.mark.xfail(strict=True, raises=AssertionError, reason=WINS[name, project])] if won else []
            yield pytest.param(name, project, id=f"{name.lower()}-{project}", marks=marks)


@pytest.mark.parametrize(("payload", "project"), list(_cases(["SWAP_TESTS"], ["toolz", "moreit"])) +
                         list(_cases(["FUNCTION_PROXY"], ["toolz"])))
def test_collection_test_functions_swapped_through_a_package_getattr(payload, project, redteam_targets):
    """R1: the F2P module's test functions replaced during collection (package `__getattr__`)."""
    target = redteam_targets[project]
    verdict, artifacts = _grade(target, _appended(target, _source(target, getattr(payloads, payload))))
    failing = [(c.name, c.message) for c in verdict.checks if not c.passed]
    assert not _forged(verdict), (verdict.status, _f2p_passing(verdict), failing, _logs(artifacts)[-1500:])


@pytest.mark.parametrize("project", ["toolz"])
def test_collection_swap_at_run_time_is_seen_by_the_guard(project, redteam_targets):
    """R1c (control): the same swap made by the function under test during a test: items already
    hold their functions, and the guard watches the test module's names from collection on."""
    target = redteam_targets[project]
    verdict, artifacts = _grade(target, _appended(target, _source(target, payloads.SWAP_AT_RUN_TIME)))
    assert not _forged(verdict), (verdict.status, _f2p_passing(verdict), _logs(artifacts)[-1500:])
    assert verdict.status == "fail" and verdict.reward == 0.0
    assert "the runner changed" in _logs(artifacts) or not _check(verdict, "test_run_valid").passed, \
        _logs(artifacts)[-1500:]


@pytest.mark.parametrize(("payload", "project"), list(_cases(["ASSERTS_SHADOWED"], ["moreit"])))
def test_executor_assert_methods_shadowed_on_the_test_class(payload, project, redteam_targets):
    """R2: unittest's assert methods set on the TestCase subclasses during collection. The payload's
    non-fix (`$func` yielding nothing) passes a few F2P tests by itself (more-itertools: 2 of 26), so
    the shadowing loses when it passes no more than that non-fix alone."""
    target = redteam_targets[project]
    verdict, artifacts = _grade(target, _appended(target, _source(target, getattr(payloads, payload))))
    failing = [(c.name, c.message) for c in verdict.checks if not c.passed]
    if _forged(verdict) and verdict.status != "pass" and (payload, project) not in WINS:
        alone, _ = _grade(target, _appended(target, _source(target, payloads.ASSERTS_SHADOWED_NONFIX)))
        assert alone.status == "fail" and _f2p_passing(verdict) <= _f2p_passing(alone), \
            (_f2p_passing(verdict), _f2p_passing(alone), failing, _logs(artifacts)[-1500:])
        return
    assert not _forged(verdict), (verdict.status, _f2p_passing(verdict), failing, _logs(artifacts)[-1500:])


@pytest.mark.parametrize(("payload", "project"), list(_cases(["RAISES"], ["toolz"])))
def test_strength_test_helper_in_the_package_weakened(payload, project, redteam_targets):
    """R3: the tests' own helper shipped in the package (`toolz.utils.raises`) made to say yes.
    test_memoize then passes in the main reading, but the function the gold fixes (memoize's key)
    still returns None where the gold's returned the arguments: the cross-check against the gold
    (`gold_values`, issue 17 item 6) names it, so no F2P pass stands unchallenged."""
    from .test_attack_strength import forged

    target = redteam_targets[project]
    script = ("printf '\\n\\ndef raises(err, lamda):\\n    try:\\n        lamda()\\n    except Exception:\\n"
              "        pass\\n    return True\\n' >> toolz/utils.py")
    diff = derive_patches(target.task_image, [("", script, True)])[0]
    verdict, artifacts = _grade(target, diff)
    failing = [(c.name, c.message) for c in verdict.checks if not c.passed]
    caught = forged(verdict, artifacts, target.record.verifier.args["fail_to_pass"])
    assert verdict.status == "fail" and not caught, (verdict.status, caught, failing, _logs(artifacts)[-1500:])
    assert "memoize.<locals>.key" in next(c for c in verdict.checks if c.name == "gold_values").message


def test_collection_swap_through_the_agents_tools(redteam_targets):
    """R1 written by the agent's `bash` tool and submitted with `submit`."""
    target = redteam_targets["toolz"]
    verdict = _through_tools(target, _source(target, payloads.SWAP_TESTS))
    assert verdict.status == "fail" and verdict.reward == 0.0, verdict
