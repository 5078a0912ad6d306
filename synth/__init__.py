"""synth: verifiable <environment, tools, task, verifier> tuples for agentic post-training.

The public surface of the core. Data flows generate -> verify -> rollout -> export: the stage
functions (`generate`, `verify`, `rollout`, `export`, `regrade`) drive every family through the
contract at the bottom of that flow (records, tools, run store, registry, `Family`). Families live
in `synth.environments`, verifiers in `synth.verifiers`, the command line in `synth.cli`; each
registers through the `synth.plugins` entry points, and the core names none of them.
"""

from ._errors import (
    BrokenByModel,
    ConfigError,
    EnvironmentFault,
    GenerationError,
    ModelError,
    SandboxError,
    StoreError,
    SubmissionError,
    SynthError,
    ToolError,
    VerifierError,
)
from ._family import (
    Candidate,
    Category,
    Control,
    Environment,
    Family,
    FamilyInfo,
    FamilySettings,
    Flag,
    Generator,
    Item,
    ItemSettings,
    RuntimeEnvironment,
)
from ._records import (
    SCHEMA_VERSION,
    AssetRef,
    Check,
    EnvironmentSpec,
    FunctionCall,
    Message,
    Rejection,
    TaskSpec,
    TerminationReason,
    ToolCall,
    ToolSpec,
    Trajectory,
    TupleRecord,
    Verdict,
    VerdictRecord,
    VerifierSpec,
    canonical_json,
    content_key,
)
from ._lines import RLLine, SFTLine
from ._registry import (
    catalog,
    categories,
    category,
    families,
    family,
    grade,
    load,
    records,
    register_category,
    register_family,
    register_record,
    register_verifier,
    verifier,
)
from ._retry import Attempt, Retry, RetryPolicy, aretrying, retrying
from ._stages import (
    ExportSettings,
    GenerateReport,
    RegradeReport,
    RolloutReport,
    VerifySettings,
    export,
    generate,
    regrade,
    rollout,
    verify,
)
from ._store import Journal, Run, atomic_write
from ._strict import JsonLimits, strict_loads
from ._templates import render
from ._tools import Tool, ToolClient, ToolResult, ToolRuntime, tool_from_function
from ._verify import baseline_records, control_records, easy_keys, gold_trajectory, sound_keys, verify_run

__version__ = "0.1.0"

# The model runtime pulls in httpx and asyncio machinery; it loads on first use so that importing
# synth (and `synth --help`) stays light.
_LAZY = {
    "RolloutConfig": ("._config", "RolloutConfig"),
    "load_config": ("._config", "load_config"),
    "ModelClient": ("._client", "ModelClient"),
    "ContextOverflow": ("._client", "ContextOverflow"),
    "rollout_run": ("._rollout", "rollout_run"),
    "run_episode": ("._rollout", "run_episode"),
    "grade_trajectory": ("._grading", "grade_trajectory"),
    "regrade_run": ("._grading", "regrade_run"),
    "task_stats": ("._grading", "task_stats"),
    "pass_at_k": ("._grading", "pass_at_k"),
    "render_dsv32": ("._dsv32", "render"),
    "parse_dsv32": ("._dsv32", "parse"),
    "embedded_server": ("._serve", "embedded_server"),
    "score": ("._formats", "score"),
    "write_report": ("._report", "write_report"),
    "Viewer": ("._viewer", "Viewer"),
    "executor": ("._executor", "executor"),
    "Executor": ("._executor", "Executor"),
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module, __name__), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'synth' has no attribute {name!r}")


__all__ = [name for name in dir() if not name.startswith("_")] + sorted(_LAZY)
