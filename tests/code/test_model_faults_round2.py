"""Issue 20, round 2 (an independent attacker): a code-family model that stops calling tools and
answers in plain text when it is losing. Its episode ends `answered` with that text as the
submission; nothing is executed, and the code verifier, finding no grading artifacts, cannot grade:
a verdict of status error, which the rollout's figures, pass rates and pass@k leave out, where a
wrong answer must count as a fail (reward 0) like an episode that never submits."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from synth import ModelClient, RolloutConfig, TerminationReason, family, run_episode

from .helpers import add_fix_task

pytestmark = pytest.mark.docker


def _episode(calc_run, text: str):
    def model(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                                      "finish_reason": "stop"}],
                                         "usage": {"prompt_tokens": 10, "completion_tokens": 5}})

    config = RolloutConfig(base_url="http://model.test/v1", model="quitter", max_steps=4)
    record = add_fix_task(calc_run)

    async def go():
        async with ModelClient(config, transport=httpx.MockTransport(model)) as client:
            return await run_episode(client, config, family("code"), record, calc_run, 0)

    return asyncio.run(go())


@pytest.mark.parametrize("text", ["I give up.", "diff --git a/calc/__init__.py b/calc/__init__.py\n"], ids=["prose", "diff"])
def test_a_text_answer_instead_of_submit_is_a_graded_fail(calc_run, text: str) -> None:
    trajectory = _episode(calc_run, text)
    assert trajectory.termination is TerminationReason.ANSWERED
    assert trajectory.verdict is not None
    assert trajectory.verdict.status == "fail" and trajectory.verdict.reward == 0, trajectory.verdict
    assert [c.name for c in trajectory.verdict.checks] == ["submitted"]

