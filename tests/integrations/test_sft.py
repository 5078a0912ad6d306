"""TRL's SFTTrainer trains on the hf SFT view of a run (verified trajectories with tool calls), on
CPU, one optimizer step each: with a tool-capable chat template set on the tokenizer (TRL's
Qwen2.5 template over SmolLM2's ChatML tokens; arguments as objects, rendered once), and with
SmolLM2's own template on the `--empty-content` view (it reads message['content'])."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import pytest

import synth
from synth import Run

from sample_runs import shared_sample_run

pytestmark = pytest.mark.slow


def train(model: Any, tokenizer: Any, folder: Path, out: Path) -> tuple[float, str]:
    """One SFT step; (loss, the first example as the template renders it)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from datasets import load_from_disk
    from trl import SFTConfig, SFTTrainer

    dataset = load_from_disk(str(folder)).select_columns(["messages", "tools"]).select(range(2))
    config = SFTConfig(output_dir=str(out), max_steps=1, per_device_train_batch_size=2, max_length=384, logging_steps=1,
                       report_to="none", use_cpu=True, bf16=False, save_strategy="no", learning_rate=1e-5)
    trainer = SFTTrainer(model=model, processing_class=tokenizer, train_dataset=dataset, args=config)
    trainer.train()
    losses = [e["loss"] for e in trainer.state.log_history if "loss" in e]
    import json

    first = dataset[0]
    text = tokenizer.apply_chat_template(first["messages"], tools=json.loads(first["tools"]), tokenize=False)
    return float(losses[0]), text


def test_sft_with_a_tool_template_renders_the_calls_once(smollm2: tuple[Any, Any], tmp_path: Path) -> None:
    from synth.integrations.trl import chat_template_for_tools

    model, tokenizer = smollm2
    tokenizer = chat_template_for_tools(copy.deepcopy(tokenizer))
    synth.export(Run.open(shared_sample_run()), synth.ExportSettings(keep_easy=True, format="hf", view="sft", out=tmp_path / "sft.hf"))
    loss, text = train(copy.deepcopy(model), tokenizer, tmp_path / "sft.hf", tmp_path / "out")
    assert loss > 0
    assert "<tool_call>" in text and '"arguments": {' in text and '"arguments": "{' not in text  # objects, not re-encoded text


def test_sft_with_smollm2s_own_template_on_the_empty_content_view(smollm2: tuple[Any, Any], tmp_path: Path) -> None:
    model, tokenizer = smollm2
    synth.export(Run.open(shared_sample_run()), synth.ExportSettings(keep_easy=True, format="hf", view="sft", out=tmp_path / "null.hf"))
    from datasets import load_from_disk

    first = load_from_disk(str(tmp_path / "null.hf"))[0]["messages"]
    assert any(m["content"] is None for m in first)  # the default view keeps null content
    synth.export(Run.open(shared_sample_run()), synth.ExportSettings(keep_easy=True, format="hf", view="sft", empty_content=True,
                                                                     out=tmp_path / "empty.hf"))
    loss, text = train(copy.deepcopy(model), copy.deepcopy(tokenizer), tmp_path / "empty.hf", tmp_path / "out")
    assert loss > 0 and text.count("<|im_start|>assistant") >= 2  # past the first tool-call message
