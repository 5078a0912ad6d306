"""What the synthesized family's tests share: a scripted model wired into the registered family
(httpx.MockTransport) and the settings that reach it."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import agent_script as script
from fakes import Scripted

import synth


@contextlib.contextmanager
def scripted_model(reply: Callable[[dict[str, Any], int], Any]) -> Iterator[Scripted]:
    """The synthesized family talks to `reply` (through httpx.MockTransport) inside the block."""
    fam = synth.family("synthesized")
    model = Scripted(reply)
    fam.transport = model.transport()
    try:
        yield model
    finally:
        fam.transport = None


AGENT = {"agent": True, "base_url": "http://scripted.invalid/v1", "model": "scripted"}
"""general --agent settings that reach the scripted model."""


STUCK = "hotel booking that never gets harder"
RUN_AGENTS = {**script.HOTEL_AGENTS,
              STUCK: lambda: script.ScriptedAgent({1: [script.writes(script.LEVEL1)], 2: [script.writes(script.LEVEL1)]})}
"""The agents of the shared hotel run: the two hotel chains, and one whose second level is its first again."""
