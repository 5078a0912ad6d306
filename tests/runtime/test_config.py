"""Rollout configuration: TOML then flags (flags win), defaults from the V3.2 report, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from synth import ConfigError
from synth import RolloutConfig, load_config


def test_defaults_follow_the_report() -> None:
    config = RolloutConfig()
    assert (config.temperature, config.top_p, config.context_threshold) == (1.0, 0.95, 0.8)
    assert config.model_name == "SmolLM2-135M-Instruct" and config.base_url is None


def test_flags_override_the_file_and_dashed_keys_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    path.write_text('[rollout]\nbase_url = "http://gpu:8000/v1"\nmodel = "ds"\nflavor = "vllm"\nthinking = true\ncontext-strategy = "summary"\ntemperature = 0.6\n')
    config = load_config(path, temperature=0.3, samples=None)
    assert config.temperature == 0.3 and config.samples == 1
    assert (config.flavor, config.thinking, config.context_strategy, config.model) == ("vllm", True, "summary", "ds")


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("top_p = 0\n", "top_p"),
        ('flavor = "tgi"\n', "flavor"),
        ('context_strategy = "drop-some"\n', "context_strategy"),
        ("max_steps = 'many'\n", "max_steps"),
        ("thinking = true\n", "thinking needs a flavor"),
    ],
)
def test_bad_values_name_the_field(tmp_path: Path, text: str, needle: str) -> None:
    path = tmp_path / "r.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=needle) as info:
        load_config(path)
    assert "\n" not in str(info.value)


def test_api_key_is_read_from_the_named_variable_only(monkeypatch: pytest.MonkeyPatch) -> None:
    config = RolloutConfig(api_key_env="SYNTH_KEY_FOR_TEST")
    monkeypatch.delenv("SYNTH_KEY_FOR_TEST", raising=False)
    with pytest.raises(ConfigError, match="SYNTH_KEY_FOR_TEST"):
        config.api_key()
    monkeypatch.setenv("SYNTH_KEY_FOR_TEST", "sk-1")
    assert config.api_key() == "sk-1"
    assert "sk-1" not in config.model_dump_json()
