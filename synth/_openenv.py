"""synth's sessions behind the OpenEnv protocol: the server app of `synth serve RUN` and its client.

Sits on `synth._envserver` (catalog, recorder, in-process `Session`): `make_app` wraps sessions in
`openenv-core`'s `create_app`; each WebSocket connection (`/ws`) is one `Session`, run in that
connection's own thread (SQLite connections and containers stay with the thread that opened them); a
disconnect, an idle timeout or `close` closes it (containers removed, an unfinished episode recorded
as abandoned). `RemoteSession` is the same interface as `Session` over openenv-core's `EnvClient`.
openenv-core is imported only here, by the commands that serve.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ._envserver import Catalog, Recorder, Session, _error
from ._store import Run

# -- the OpenEnv server -----------------------------------------------------------------------
def openenv_types() -> tuple[type, type, type]:
    """(SynthAction, SynthObservation, SynthState), made on first use (openenv-core is imported
    only by the commands that serve)."""
    global _TYPES
    if _TYPES is not None:
        return _TYPES
    from typing import Literal, Optional, Union

    from openenv.core.env_server.types import Action, Observation, State
    from pydantic import Field

    class SynthAction(Action):
        """A step: OpenEnv's MCP-style `call_tool` (tool_name, arguments: an object, or the JSON text
        the model wrote), `list_tools`, or `submit` (a completion as the model wrote it)."""

        type: Literal["call_tool", "list_tools", "submit"] = "call_tool"
        tool_name: Optional[str] = None
        arguments: Union[dict[str, Any], str, None] = None
        completion: Optional[str] = None

    class SynthObservation(Observation):
        """What reset and step return; `error` {type, message} when the request was refused or the
        tool call failed, `verdict` {reward, status, checks} once the episode is graded."""

        task_key: Optional[str] = None
        family: Optional[str] = None
        category: Optional[str] = None
        prompt: Optional[list[dict[str, Any]]] = None
        tools: Optional[list[dict[str, Any]]] = None
        tool_name: Optional[str] = None
        result: Optional[str] = None
        error: Optional[dict[str, Any]] = None
        verdict: Optional[dict[str, Any]] = None

    class SynthState(State):
        """The session's episode: task, steps, done, reward, status."""

        task_key: Optional[str] = None
        done: bool = False
        reward: Optional[float] = None
        status: Optional[str] = None
        extra: dict[str, Any] = Field(default_factory=dict)

    _TYPES = (SynthAction, SynthObservation, SynthState)
    return _TYPES


_TYPES: tuple[type, type, type] | None = None


def environment_class(catalog: Catalog, recorder: Recorder | None) -> type:
    """The OpenEnv `Environment` subclass whose instances are sessions over `catalog`."""
    from openenv.core.env_server.interfaces import Environment as OpenEnvEnvironment
    from openenv.core.env_server.types import EnvironmentMetadata

    SynthAction, SynthObservation, SynthState = openenv_types()

    def observe(data: dict[str, Any]) -> Any:
        reward = data.pop("reward", None)
        done = bool(data.pop("done", False))
        return SynthObservation(done=done, reward=reward, **{k: v for k, v in data.items() if k in SynthObservation.model_fields})

    class SynthEnvironment(OpenEnvEnvironment):
        SUPPORTS_CONCURRENT_SESSIONS = True

        def __init__(self) -> None:
            super().__init__()
            self.session = Session(catalog, recorder)

        def reset(self, seed: Optional[int] = None, episode_id: Optional[str] = None, **kwargs: Any) -> Any:
            return observe(self.session.reset(seed=seed, episode_id=episode_id, **kwargs))

        def step(self, action: Any, timeout_s: Optional[float] = None, **kwargs: Any) -> Any:
            if action.type == "list_tools":
                episode = self.session.episode
                if episode is None:
                    return observe({"error": _error("no_episode", "no episode: reset first")})
                return observe({"done": episode.done, "tools": [t.openai() for t in episode.tools]})
            if action.type == "submit":
                return observe(self.session.submit(action.completion))
            return observe(self.session.call(action.tool_name, action.arguments))

        @property
        def state(self) -> Any:
            data = self.session.state()
            episode = self.session.episode
            return SynthState(episode_id=data.get("episode_id"), step_count=data.get("step_count", 0),
                              task_key=data.get("task_key"), done=bool(data.get("done")), reward=data.get("reward"),
                              status=data.get("status"),
                              extra={k: v for k, v in data.items() if k not in ("episode_id", "step_count", "task_key", "done", "reward", "status")}
                              if episode else {})

        def close(self) -> None:
            self.session.close()

        def get_metadata(self) -> Any:
            return EnvironmentMetadata(name="synth", description=f"synth tasks of {catalog.run.path} ({len(catalog.records)} served)",
                                       version=__import__("synth").__version__)

    from typing import Optional  # noqa: E402  (annotations above are evaluated lazily)

    return SynthEnvironment


def make_app(run: Run | str | Path, *, max_sessions: int = 256, idle_timeout: float | None = 600.0,
             record: bool = False, keep_easy: bool = False, unsound: bool = False) -> Any:
    """The FastAPI app of `synth serve`: OpenEnv's routes over sessions of `run`'s tasks."""
    import os

    from openenv.core.env_server import create_app
    from openenv.core.env_server.types import ConcurrencyConfig

    opened = run if isinstance(run, Run) else Run.open(run)
    catalog = Catalog(opened, keep_easy=keep_easy, unsound=unsound)
    recorder = Recorder(opened) if record else None
    SynthAction, SynthObservation, _ = openenv_types()
    os.environ.setdefault("ENABLE_WEB_INTERFACE", "false")  # the gradio UI is not installed
    app = create_app(environment_class(catalog, recorder), SynthAction, SynthObservation, env_name="synth",
                     concurrency_config=ConcurrencyConfig(max_concurrent_envs=max_sessions, session_timeout=idle_timeout))
    app.state.synth_catalog = catalog
    app.state.synth_recorder = recorder
    app.add_middleware(_QuietDisconnect)

    @app.get("/synth/sessions", tags=["synth"])
    def sessions() -> dict[str, int]:
        """Sessions alive and live environments (containers of container families): a closed or
        disconnected session leaves neither behind."""
        return {"sessions": catalog.sessions, "environments": catalog.environments, "served_tasks": len(catalog.records)}

    @app.get("/synth/tools", tags=["synth"])
    def tools() -> dict[str, Any]:
        """The tools of each family and category served (what a trainer builds its tool methods from)."""
        groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for record in catalog.records.values():
            env = record.environment
            groups.setdefault((env.family, env.category), [t.openai() for t in env.tools])
        return {"groups": [{"family": f, "category": c, "tools": t} for (f, c), t in sorted(groups.items())]}

    return app


class _QuietDisconnect:
    """OpenEnv's WebSocket endpoint closes the socket after the session ends, also when the client
    has already gone: that close raises, and the server would log a traceback for every session a
    client closed first. The session is destroyed before that close, so nothing is lost here."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        from starlette.websockets import WebSocketDisconnect

        try:
            await self.app(scope, receive, send)
        except WebSocketDisconnect:
            if scope.get("type") != "websocket":
                raise
        except Exception as exc:
            if scope.get("type") != "websocket" or type(exc).__name__ != "ClientDisconnected":
                raise


# -- the client -------------------------------------------------------------------------------
def client_class() -> type:
    """The OpenEnv client of a synth server (`EnvClient` with synth's action and observation)."""
    global _CLIENT
    if _CLIENT is not None:
        return _CLIENT
    from openenv.core.client_types import StepResult
    from openenv.core.env_client import EnvClient

    SynthAction, SynthObservation, SynthState = openenv_types()

    class SynthEnvClient(EnvClient):  # type: ignore[type-arg]
        """`async with SynthEnvClient(base_url=URL) as env: await env.reset(task_key=...)`; `.sync()`
        for a synchronous client."""

        def _step_payload(self, action: Any) -> dict[str, Any]:
            return action.model_dump(exclude_none=True) if hasattr(action, "model_dump") else dict(action)

        def _parse_result(self, payload: dict[str, Any]) -> Any:
            observation = SynthObservation(**{k: v for k, v in (payload.get("observation") or {}).items()
                                              if k in SynthObservation.model_fields},
                                           done=payload.get("done", False), reward=payload.get("reward"))
            return StepResult(observation=observation, reward=payload.get("reward"), done=payload.get("done", False))

        def _parse_state(self, payload: dict[str, Any]) -> Any:
            return SynthState(**payload)

    _CLIENT = SynthEnvClient
    return _CLIENT


_CLIENT: type | None = None


class RemoteSession:
    """A `Session` on a `synth serve` server, through the OpenEnv WebSocket client (synchronous):
    the same methods and observation dicts as the in-process `Session`."""

    def __init__(self, base_url: str, *, timeout: float = 600.0) -> None:
        SynthAction, _, _ = openenv_types()
        self._action = SynthAction
        self._client = client_class()(base_url=base_url, message_timeout_s=timeout).sync()
        self._client.connect()

    @staticmethod
    def _dict(result: Any) -> dict[str, Any]:
        data = result.observation.model_dump(exclude_none=True, exclude={"metadata"})
        data["done"], data["reward"] = result.done, result.reward
        return data

    def reset(self, **kwargs: Any) -> dict[str, Any]:
        return self._dict(self._client.reset(**{k: v for k, v in kwargs.items() if v is not None}))

    def call(self, tool_name: str, arguments: Any = None) -> dict[str, Any]:
        return self._dict(self._client.step(self._action(type="call_tool", tool_name=tool_name, arguments=arguments)))

    def submit(self, completion: str | None = None) -> dict[str, Any]:
        return self._dict(self._client.step(self._action(type="submit", completion=completion)))

    def state(self) -> dict[str, Any]:
        state = self._client.state()
        return state.model_dump() if hasattr(state, "model_dump") else dict(state)

    def close(self) -> None:
        try:
            self._client.close()
        except Exception:
            pass
