"""One retry loop for every HTTP client synth has (the model client, the GitHub miner).

Sits in the core, under every client. A client writes one attempt as a function that returns its
result, returns `Retry(reason, wait)` to be tried again, or raises to stop at once; the policy
says how often and how long to wait. What each client retries (statuses, headers, transport
errors) stays with the client, because each server speaks differently; the loop, the backoff and
the giving up are here, once, in a synchronous and an asynchronous entry point. Guarantees:

- At most `policy.attempts` attempts; the last `Retry` becomes the caller's own error (`give_up`).
- Between attempts the wait is the server's (`Retry.wait`, e.g. from Retry-After, as the client
  capped it), else exponential backoff `base * 2**n`, scaled by a jitter factor drawn in
  `[1 - jitter, 1]`, at most `cap`.
- `sleep` and `rng` are injectable, so tests run instantly and see every wait.

Not tenacity: the same behaviour there needs custom wait, retry, stop and error callbacks (a
server-given wait per attempt, a last attempt that may return instead of retrying, each client's
own give-up error), which is more code than this loop, plus a dependency.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass
from typing import Awaitable, Callable, NamedTuple, TypeVar

T = TypeVar("T")


class Attempt(NamedTuple):
    """Which attempt this is."""

    number: int
    """0 for the first attempt."""
    attempts: int
    """Attempts the policy allows in all."""

    @property
    def last(self) -> bool:
        """No retry follows this attempt (a `Retry` returned now gives up)."""
        return self.number >= self.attempts - 1


class Retry(NamedTuple):
    """An attempt's answer that it should be tried again."""

    reason: str
    """One line: what went wrong (used in the give-up error)."""
    wait: float | None = None
    """Seconds the server asked for (already capped by the client); None: the policy's backoff."""


@dataclass(frozen=True)
class RetryPolicy:
    """How often to try and how long to wait between tries."""

    attempts: int
    """Attempts in all (at least 1)."""
    base: float = 1.0
    """Backoff before the second attempt, in seconds; it doubles for each later one."""
    cap: float = 30.0
    """Longest backoff, in seconds."""
    jitter: float = 0.0
    """Share of each backoff drawn at random: 0.5 waits between half and all of it."""

    def backoff(self, number: int, rng: random.Random) -> float:
        """Seconds to wait after failed attempt `number` (0-based)."""
        delay = self.base * (2**number)
        if self.jitter:
            delay *= (1 - self.jitter) + self.jitter * rng.random()
        return min(delay, self.cap)


def retrying(
    attempt: Callable[[Attempt], "T | Retry"],
    policy: RetryPolicy,
    *,
    give_up: Callable[[Retry], BaseException],
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
) -> T:
    """Call `attempt` until it returns something other than a `Retry`; raise `give_up(last)`
    when the attempts run out. Exceptions from `attempt` pass through untouched."""
    rng = rng or random.Random()
    for number in range(max(1, policy.attempts)):
        outcome = attempt(Attempt(number, policy.attempts))
        if not isinstance(outcome, Retry):
            return outcome
        if number >= policy.attempts - 1:
            raise give_up(outcome)
        sleep(outcome.wait if outcome.wait is not None else policy.backoff(number, rng))
    raise AssertionError("unreachable")


async def aretrying(
    attempt: Callable[[Attempt], Awaitable["T | Retry"]],
    policy: RetryPolicy,
    *,
    give_up: Callable[[Retry], BaseException],
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    rng: random.Random | None = None,
) -> T:
    """`retrying` for coroutines: the attempt is awaited and so is the wait."""
    rng = rng or random.Random()
    for number in range(max(1, policy.attempts)):
        outcome = await attempt(Attempt(number, policy.attempts))
        if not isinstance(outcome, Retry):
            return outcome
        if number >= policy.attempts - 1:
            raise give_up(outcome)
        await sleep(outcome.wait if outcome.wait is not None else policy.backoff(number, rng))
    raise AssertionError("unreachable")
