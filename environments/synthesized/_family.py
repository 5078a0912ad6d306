"""The synthesized family: environments a model wrote (`synth generate general --agent`), proven by
the gate, run like any other tuple.

Sits on the core contract, `synth.sandbox` and the `synthesized.sandbox` verifier (cli -> stages
-> families -> verifiers -> core). Generate: `settings` is `AgentSettings` and `generator()` the
agent's `AgentGenerator`; the general family's agent mode hands its settings here. Episodes:
`open()` starts a container with tools.py and the database and offers the environment's tools
(validated by synth's tool path, run by the harness) and submit_result. The gold solution is the
stored solution.py, run in a container of its own without the database, every call through the
client it is given. Null controls: the empty answer (added by verify), the no-op, null and
wrong-type answers, and the agent's perturbations from perturb.py. Nothing happens at import:
`prepare()` checks the engine, installs the signal handlers that remove containers and makes sure
the sandbox image exists.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, ClassVar

from synth import (
    ConfigError,
    Control,
    Family,
    FamilySettings,
    Run,
    ToolClient,
    TupleRecord,
    Verdict,
    grade,
    register_family,
)
from synth.sandbox import engine, install_signal_handlers
from synth.verifiers.synthesized import parse_answer, sandbox_image, stored_files

from ._environment import SynthesizedEnvironment, answer_text, db_of, perturbations, run_solution, timeout_of
from ._generate import AgentGenerator
from ._settings import AgentSettings

MIN_PERTURBATIONS = 2
_graders = ThreadPoolExecutor(max_workers=3, thread_name_prefix="synth-grade")
"""Controls are graded side by side: each grading is a fresh sandbox that mostly waits on the engine."""
RESERVED_CONTROLS = ("empty", "noop", "null", "wrong_type", "*")


def noop_of(answer: Any) -> Any:
    """The answer that does nothing: the empty value of the answer's type."""
    if isinstance(answer, bool):
        return False
    if isinstance(answer, (int, float)):
        return 0
    return type(answer)() if isinstance(answer, (str, list, dict)) else None


def wrong_type_of(answer: Any) -> Any:
    """An answer of another JSON type than the gold's."""
    return ["answer"] if isinstance(answer, str) else "answer"


def probe(settings: AgentSettings) -> None:
    """Fail with one line when the model server does not answer (before anything starts)."""
    import httpx

    from synth import RolloutConfig

    key = RolloutConfig(base_url=settings.base_url, api_key_env=settings.api_key_env).api_key()
    url = f"{(settings.base_url or '').rstrip('/')}/models"
    try:
        response = httpx.get(url, headers={"Authorization": f"Bearer {key}"} if key else {}, timeout=10.0)
    except httpx.HTTPError as exc:
        raise ConfigError(f"the model server at {settings.base_url} does not answer ({type(exc).__name__}); "
                          "start it or correct --base-url") from None
    if response.status_code in (401, 403):
        raise ConfigError(f"the model server at {settings.base_url} refuses the key (HTTP {response.status_code}); "
                          "check --api-key-env")


@register_family
class SynthesizedFamily(Family):
    name = "synthesized"
    description = ("Environments a model wrote and synth proved (synth generate general --agent): database, tools, "
                   "task and verifier run in a sandbox.")
    settings: ClassVar[type[FamilySettings]] = AgentSettings
    examples = (
        "synth generate general --agent --category 'trip planning' --base-url http://127.0.0.1:8000/v1 --model M --out runs/agent",
        "synth generate synthesized --categories categories.jsonl --n 2 --difficulty 3 --base-url URL --model M --out runs/env",
    )
    blocking = True
    """Every tool call runs generated code in a container: rollouts run these environments in worker threads."""
    transport: Any = None
    """An httpx transport for the agent's model client (tests: httpx.MockTransport); None: the network."""

    def __init__(self) -> None:
        self._ahead: dict[tuple[Any, str, Any], Future[Verdict]] = {}

    # -- generate ---------------------------------------------------------------------------------
    def check_settings(self, settings: FamilySettings) -> None:
        """Categories readable, a model that answers (probed), an engine and the sandbox image; all
        before the run directory exists."""
        assert isinstance(settings, AgentSettings)
        settings.entries()
        if settings.base_url is None:
            from synth import embedded_server

            embedded_server(log=Path(os.devnull))  # ConfigError when the embedded model is not installed
        elif self.transport is None:
            probe(settings)
        self.prepare()

    def stage_config(self, settings: FamilySettings) -> dict[str, Any]:
        assert isinstance(settings, AgentSettings)
        return settings.stage_config(self.name)

    def generator(self, run: Run, settings: FamilySettings) -> AgentGenerator:
        assert isinstance(settings, AgentSettings)
        return AgentGenerator(run, settings, transport=self.transport)

    def candidate_key(self, record: TupleRecord) -> str:
        return str(record.environment.metadata["candidate"])

    def prepare(self) -> None:
        engine()
        install_signal_handlers()
        sandbox_image()

    # -- episodes ---------------------------------------------------------------------------------
    def open(self, record: TupleRecord, run: Run) -> SynthesizedEnvironment:
        return SynthesizedEnvironment(record, run)

    def solve_gold(self, record: TupleRecord, run: Run, client: ToolClient) -> None:
        answer = run_solution(stored_files(run, record)["solution.py"], client, timeout_of(record))
        client.submit_result(answer_text=answer_text(answer))

    def controls(self, record: TupleRecord, run: Run, gold_submission: Any) -> list[Control]:
        gold, fmt = parse_answer(gold_submission)
        if not fmt.passed:
            raise ValueError(f"the gold answer is unreadable: {fmt.message}")
        made = perturbations(stored_files(run, record), db_of(run, record), gold, timeout_of(record))
        if len(made) < MIN_PERTURBATIONS:
            raise ValueError(f"perturb.py returned {len(made)} perturbations (at least {MIN_PERTURBATIONS})")
        names = [p["name"] for p in made]
        for p in made:
            if not isinstance(p["name"], str) or not p["name"] or p["name"] in RESERVED_CONTROLS or names.count(p["name"]) > 1:
                raise ValueError(f"perturbation name {p['name']!r} must be a unique string other than {', '.join(RESERVED_CONTROLS)}")
            if not isinstance(p["breaks"], str):
                raise ValueError(f"perturbation {p['name']}: 'breaks' must name a check of verify.py")
        controls = [Control("noop", answer_text(noop_of(gold)), "verify"), Control("null", json.dumps(None), "verify"),
                    Control("wrong_type", answer_text(wrong_type_of(gold)), "verify")]
        controls += [Control(p["name"], answer_text(p["answer"]), p["breaks"]) for p in made]
        for control in controls:  # graded ahead, side by side; evaluate() collects them in order
            key = (run.path, record.key, control.submission)
            self._ahead.setdefault(key, _graders.submit(grade, record, control.submission, run))
        return controls

    def evaluate(self, record: TupleRecord, run: Run, submission: Any) -> Verdict:
        """The registered verifier's verdict (each in a fresh sandbox), graded ahead when controls() could."""
        ahead = self._ahead.pop((run.path, record.key, submission), None)
        return ahead.result() if ahead is not None else grade(record, submission, run)
