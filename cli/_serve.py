"""Serving commands: `synth serve RUN` (the run's environments to RL trainers, over the OpenEnv
protocol) and `synth model serve` (a model server for rollouts: the embedded CPU model, vLLM or
SGLang). `synth serve` with the model server's options says in one line where they went."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ._app import SynthGroup, app, fail

model_app = typer.Typer(cls=SynthGroup, help="Model servers for rollouts.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(model_app, name="model")


@app.command()
def serve(
    run_dir: Annotated[Optional[Path], typer.Argument(metavar="RUN", help="Run directory whose tasks are served.")] = None,
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port on the host (0: any free port).")] = 8330,
    host: Annotated[str, typer.Option("--host", help="Address to listen on (127.0.0.1: this machine only).")] = "127.0.0.1",
    max_sessions: Annotated[int, typer.Option("--max-sessions", min=1, help="Concurrent sessions (WebSocket connections); one environment each.")] = 256,
    idle_timeout: Annotated[float, typer.Option("--idle-timeout", min=1.0, help="Seconds after which an idle session is closed (its containers removed).")] = 600.0,
    record: Annotated[bool, typer.Option("--record", help="Append every finished episode to the run's trajectories (model serve:NAME), for synth report and synth view.")] = False,
    keep_easy: Annotated[bool, typer.Option("--keep-easy", help="Also serve tuples a baseline agent solved.")] = False,
    unsound: Annotated[bool, typer.Option("--unsound", help="Also serve tuples that failed verification (or a run never verified).")] = False,
    embedded: Annotated[bool, typer.Option("--embedded", hidden=True)] = False,
    vllm: Annotated[Optional[str], typer.Option("--vllm", hidden=True)] = None,
    sglang: Annotated[Optional[str], typer.Option("--sglang", hidden=True)] = None,
    tensor_parallel: Annotated[Optional[int], typer.Option("--tp", hidden=True)] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", hidden=True)] = False,
) -> None:
    """Serve a run's environments to RL trainers over the OpenEnv protocol (WebSocket sessions at /ws).

    Each session resets to a task (task_key=..., a family/category/difficulty filter, or seed=...),
    runs tool calls through synth's tools and ends with the task verifier's reward. Ctrl-C stops it.

    Examples:

    \b
      synth serve runs/demo --port 8330 --record
      synth model serve --embedded        (the model server moved there)
    """
    if embedded or vllm is not None or sglang is not None or tensor_parallel is not None or dry_run:
        fail("synth serve now serves environments to trainers; the model server moved to `synth model serve` "
             "(same options, e.g. synth model serve --embedded)")
    if run_dir is None:
        fail("synth serve: missing RUN (the run directory whose tasks are served)")
    import uvicorn

    from synth import Run
    from synth._openenv import make_app

    run = Run.open(run_dir)
    app_ = make_app(run, max_sessions=max_sessions, idle_timeout=idle_timeout, record=record, keep_easy=keep_easy,
                    unsound=unsound)
    catalog = app_.state.synth_catalog
    config = uvicorn.Config(app_, host=host, port=port, log_level="warning", ws_max_size=16 * 1024 * 1024)
    server = uvicorn.Server(config)

    def announce() -> None:
        bound = [s.getsockname()[1] for srv in server.servers for s in srv.sockets] if server.servers else [port]
        typer.echo(f"http://{host}:{bound[0]}")
        typer.echo(f"serving {len(catalog.records)} tasks of {run.path} ({', '.join(catalog.families())}; "
                   f"{catalog.withheld} unsound or easy withheld) at ws://{host}:{bound[0]}/ws"
                   + ("; recording episodes" if record else "") + "; Ctrl-C stops", err=True)

    import asyncio

    async def main() -> None:
        task = asyncio.create_task(server.serve())
        while not server.started and not task.done():
            await asyncio.sleep(0.05)
        if server.started:
            announce()
        await task

    try:
        asyncio.run(main())
    finally:
        if app_.state.synth_recorder is not None:
            app_.state.synth_recorder.close()
    if not server.started:
        fail(f"cannot listen on {host}:{port} (in use, or not an address of this machine)")


@model_app.command("serve")
def model_serve(
    embedded: Annotated[bool, typer.Option("--embedded", help="SmolLM2-135M-Instruct on CPU via llama-cpp-python.")] = False,
    vllm: Annotated[Optional[str], typer.Option("--vllm", metavar="MODEL", help="Serve MODEL with vLLM (GPUs).")] = None,
    sglang: Annotated[Optional[str], typer.Option("--sglang", metavar="MODEL", help="Serve MODEL with SGLang (GPUs).")] = None,
    port: Annotated[Optional[int], typer.Option("--port", min=1, max=65535, help="Port on 127.0.0.1.")] = None,
    tensor_parallel: Annotated[int, typer.Option("--tp", min=1, help="GPUs per model replica (vLLM/SGLang).")] = 8,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the server command and exit.")] = False,
    timeout: Annotated[Optional[float], typer.Option("--timeout", help="Seconds to wait for health (default 120 embedded, 3600 GPU).")] = None,
) -> None:
    """Start a model server and wait until it answers; prints its base URL. Ctrl-C stops it.

    Examples:

    \b
      synth model serve --embedded --port 8765
      synth model serve --vllm deepseek-ai/DeepSeek-V3.2 --dry-run
    """
    from synth import ConfigError
    from synth._serve import Server, embedded_command, free_port, quote, sglang_command, vllm_command

    if sum([embedded, vllm is not None, sglang is not None]) != 1:
        raise ConfigError("choose exactly one of --embedded, --vllm MODEL, --sglang MODEL")
    if embedded:
        port = port or (8765 if dry_run else free_port())
        command = embedded_command(port)
    elif vllm is not None:
        port = port or 8000
        command = vllm_command(vllm, port=port, tensor_parallel=tensor_parallel)
    else:
        port = port or 30000
        command = sglang_command(sglang or "", port=port, tensor_parallel=tensor_parallel)
    if dry_run:
        typer.echo(quote(command))
        return
    server = Server(command, f"http://127.0.0.1:{port}/v1")
    typer.echo(f"starting: {quote(command)}", err=True)
    try:
        server.start(timeout=timeout or (120.0 if embedded else 3600.0))
        typer.echo(server.base_url)
        typer.echo("serving; Ctrl-C stops the server", err=True)
        assert server.process is not None
        code = server.process.wait()
        typer.echo(f"synth: error: the server exited with code {code}: {server.log_tail()}", err=True)
        raise typer.Exit(1)
    finally:
        server.stop()
