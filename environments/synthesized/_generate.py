"""Generation on the Generator contract: categories -> agent sessions -> levels -> tuples or rejections.

Sits between the generate stage (`synth.generate`) and the synthesis agent. A candidate is one
level of one session (`CATEGORY-KEY:N:L<level>`); level L+1 of a session is offered only once
level L is a tuple, so a chain stops at its first rejected level. Guarantees: candidates come in a
deterministic order; a run killed mid-session resumes from the stored conversation and files of
the session's last accepted level (a model that answers the same way gives the same tuples); a
resumed run whose work is done starts no model server and no container; `close()` removes every
workspace container and stops the embedded model it started.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Iterator, NamedTuple

from synth import Generator, Rejection, RolloutConfig, Run, TupleRecord

from ._agent import Session, SynthesisAgent
from ._settings import AgentSettings, CategoryEntry

log = logging.getLogger(__name__)


class Level(NamedTuple):
    """A candidate: one difficulty level of one agent session."""

    session: str
    """CATEGORY-KEY:N."""
    entry: CategoryEntry
    index: int
    """Session number over the whole run."""
    level: int

    @property
    def key(self) -> str:
        return f"{self.session}:L{self.level}"


class AgentGenerator(Generator):
    """One generation session of the synthesis agent over a run (see the module docstring)."""

    target = None

    def __init__(self, run: Run, settings: AgentSettings, transport: Any = None) -> None:
        self.run, self.settings, self.transport = run, settings, transport
        self.entries = settings.entries()
        self.held: dict[str, TupleRecord] = {
            str(t.environment.metadata.get("candidate")): t for t in run.tuples() if t.environment.family == "synthesized"}
        self.sessions: dict[str, Session] = {}
        self._agent: SynthesisAgent | None = None
        self._server: Any = None
        self._started = time.monotonic()

    def candidates(self) -> Iterator[Level]:
        index = 0
        for entry in self.entries:
            for number in range(self.settings.n):
                session = f"{entry.key}:{number}"
                for level in range(1, self.settings.difficulty + 1):
                    if level > 1 and not self._passed(session, level - 1):
                        break
                    yield Level(session, entry, index, level)
                index += 1

    def _passed(self, session: str, level: int) -> bool:
        live = self.sessions.get(session)
        return f"{session}:L{level}" in self.held or (live is not None and live.passed >= level)

    def agent(self) -> SynthesisAgent:
        """The agent, with the model it talks to (the embedded one is started on first need)."""
        if self._agent is None:
            s = self.settings
            base_url = s.base_url
            if base_url is None:
                from synth import embedded_server

                log.info("starting the embedded model (SmolLM2-135M-Instruct on CPU) for the synthesis agent")
                self._server = embedded_server(log=self.run.path / "embedded-server.log")
                self._server.start(timeout=180)
                base_url = self._server.base_url
            config = RolloutConfig(base_url=base_url, model=s.model, api_key_env=s.api_key_env, flavor=s.flavor,
                                   thinking=s.thinking, temperature=s.temperature, max_tokens=s.max_tokens)
            self._agent = SynthesisAgent(self.run, s, config, self.transport)
        return self._agent

    def build(self, candidate: Level) -> TupleRecord | Rejection:
        agent = self.agent()
        session = self.sessions.get(candidate.session)
        if session is None:
            before = self.held.get(f"{candidate.session}:L{candidate.level - 1}")
            if before is not None:
                session = agent.restore(candidate.session, candidate.entry, candidate.index, before)
            else:
                session = agent.new_session(candidate.session, candidate.entry, candidate.index)
            self.sessions[candidate.session] = session
        result = agent.work(session, candidate.level)
        if isinstance(result, TupleRecord):
            self.held[candidate.key] = result
            log.info("accepted %s after %d model calls", candidate.key, session.model_calls)
        else:
            log.info("rejected %s: %s", candidate.key, result.reason)
        if isinstance(result, Rejection) or candidate.level == self.settings.difficulty:
            session.close()
        return result

    def facts(self) -> dict[str, Any]:
        """Figures of this call (kept out of the tuples): model calls, gate runs and gate seconds."""
        sessions = self.sessions.values()
        return {
            "model_calls": sum(s.model_calls - s.restored_calls for s in sessions), "gate_runs": sum(s.gate_runs for s in sessions),
            "gate_seconds": round(self._agent.gate_seconds, 2) if self._agent else 0.0,
            "tokens": sum(s.tokens for s in sessions),
        }

    def close(self) -> None:
        for session in self.sessions.values():
            session.close()
        if self._server is not None:
            self._server.stop()
            self._server = None
