"""The one retry loop under every HTTP client: attempts, waits, giving up (sync and async)."""

from __future__ import annotations

import asyncio
import random

import pytest

from synth import Attempt, Retry, RetryPolicy, aretrying, retrying


class Boom(Exception):
    pass


def _script(outcomes):
    seen: list[Attempt] = []

    def attempt(at: Attempt):
        seen.append(at)
        outcome = outcomes[at.number]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    return attempt, seen


def test_retries_until_a_result_waiting_the_servers_time_else_the_backoff():
    attempt, seen = _script([Retry("busy"), Retry("limited", wait=7.0), Retry("busy"), "ok"])
    sleeps: list[float] = []
    result = retrying(attempt, RetryPolicy(attempts=5, base=1.0, cap=3.0), give_up=Boom, sleep=sleeps.append)
    assert result == "ok"
    assert sleeps == [1.0, 7.0, 3.0]  # backoff 1, the server's 7, backoff 4 capped at 3
    assert [at.last for at in seen] == [False, False, False, False]


def test_gives_up_with_the_callers_error_after_the_last_attempt_without_sleeping_again():
    attempt, seen = _script([Retry("one"), Retry("two"), Retry("three")])
    sleeps: list[float] = []
    with pytest.raises(Boom, match="three; 3 attempts"):
        retrying(attempt, RetryPolicy(attempts=3), sleep=sleeps.append,
                 give_up=lambda last: Boom(f"{last.reason}; 3 attempts"))
    assert len(sleeps) == 2 and seen[-1].last


def test_an_exception_stops_at_once():
    attempt, seen = _script([Retry("busy"), ValueError("refused"), "never"])
    with pytest.raises(ValueError, match="refused"):
        retrying(attempt, RetryPolicy(attempts=3), give_up=Boom, sleep=lambda s: None)
    assert len(seen) == 2


def test_jitter_draws_each_backoff_within_its_share():
    policy = RetryPolicy(attempts=10, base=1.0, cap=1000.0, jitter=0.5)
    rng = random.Random(3)
    for number in range(6):
        assert 0.5 * 2**number <= policy.backoff(number, rng) <= 2**number


def test_the_async_entry_point_behaves_the_same():
    attempt, _ = _script([Retry("busy"), Retry("limited", wait=2.5), "ok"])
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    async def go():
        async def call(at: Attempt):
            return attempt(at)

        return await aretrying(call, RetryPolicy(attempts=3, base=0.5), give_up=Boom, sleep=sleep)

    assert asyncio.run(go()) == "ok"
    assert sleeps == [0.5, 2.5]
