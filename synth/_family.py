"""What a family of environments provides to the generic stages (verify, rollout, export).

Sits between the contract and the families: the core drives every family through `Family` and
`Environment` and knows none of them by name. A family opens a live `Environment` for a tuple
(tools, the call path, a submission), supplies its gold solution (which may only use a
`ToolClient`) and its null controls; grading always goes through the registered verifier named in
the tuple's `VerifierSpec`.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from ._records import Message, ToolSpec, TupleRecord
from ._tools import ToolResult, ToolRuntime

if TYPE_CHECKING:
    from ._store import Run
    from ._tools import ToolClient


class Control(NamedTuple):
    """A null control: a submission a sound verifier must reject."""

    name: str
    """perturb:<what> (the empty control is added by the core)."""
    submission: Any
    breaks: str | None = None
    """The check the perturbation is built to break; verify requires that very check to fail."""


class Environment(abc.ABC):
    """A live instance of one tuple for one episode. Close it when done (it is a context manager)."""

    @property
    @abc.abstractmethod
    def tools(self) -> list[ToolSpec]:
        """Tools offered, in order."""

    @abc.abstractmethod
    def call(self, name: str, arguments: str | dict[str, Any] | None) -> ToolResult:
        """Run one tool call exactly as the agent wrote it; never raises for bad calls."""

    @property
    @abc.abstractmethod
    def submitted(self) -> bool:
        """Whether the submit tool was called."""

    @property
    @abc.abstractmethod
    def submission(self) -> Any:
        """What was submitted (None before)."""

    def finalize(self) -> dict[str, Any]:
        """Run post-episode execution (e.g. tests in a container) and return artifact facts that
        grading reads; stored with the trajectory under extra["artifacts"]."""
        return {}

    def close(self) -> None:
        """Release resources (containers, connections)."""

    def __enter__(self) -> "Environment":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class FamilyInfo:
    """What `synth list` shows of a family."""

    name: str
    description: str
    categories: dict[str, str] = field(default_factory=dict)


class Family(abc.ABC):
    """A family of environments (general, code, search, interpreter)."""

    name: ClassVar[str]
    description: ClassVar[str]

    @abc.abstractmethod
    def open(self, record: TupleRecord, run: "Run") -> Environment:
        """A fresh live environment for `record`."""

    @abc.abstractmethod
    def solve_gold(self, record: TupleRecord, run: "Run", client: "ToolClient") -> None:
        """Run the reference solution through `client` (tool calls only), ending with a submission."""

    @abc.abstractmethod
    def controls(self, record: TupleRecord, run: "Run", gold_submission: Any) -> list[Control]:
        """Perturbations of the gold submission, each breaking one named check."""

    def empty_submission(self, record: TupleRecord) -> Any:
        """The 'empty answer' null control."""
        return ""

    def prompt_messages(self, record: TupleRecord) -> list[Message]:
        """System and user messages that open an episode."""
        messages = []
        if record.task.system_prompt:
            messages.append(Message(role="system", content=record.task.system_prompt))
        messages.append(Message(role="user", content=record.task.prompt))
        return messages


class RuntimeEnvironment(Environment):
    """An Environment whose tools are in-process Python functions run by a `ToolRuntime`."""

    def __init__(self, runtime: "ToolRuntime", on_close: Any = None) -> None:
        self.runtime = runtime
        self._on_close = on_close

    @property
    def tools(self) -> list[ToolSpec]:
        return self.runtime.specs

    def call(self, name: str, arguments: str | dict[str, Any] | None) -> ToolResult:
        return self.runtime.call(name, arguments)

    @property
    def submitted(self) -> bool:
        return self.runtime.submitted

    @property
    def submission(self) -> Any:
        return self.runtime.submission

    def close(self) -> None:
        if self._on_close is not None:
            self._on_close()
            self._on_close = None
