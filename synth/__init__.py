"""synth: verifiable <environment, tools, task, verifier> tuples for agentic post-training.

The public surface of the core. Data flows generate -> verify -> rollout -> export; this package is
the contract at the bottom of that flow (records, tools, run store, registry). Families live in
`synth.environments`, verifiers in `synth.verifiers`, the command line in `synth.cli`.
"""

from ._errors import (
    ConfigError,
    GenerationError,
    ModelError,
    SandboxError,
    StoreError,
    SynthError,
    ToolError,
    VerifierError,
)
from ._family import Control, Environment, Family, FamilyInfo, RuntimeEnvironment
from ._records import (
    SCHEMA_VERSION,
    AssetRef,
    Check,
    EnvironmentSpec,
    FunctionCall,
    Message,
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
from ._registry import (
    catalog,
    categories,
    category,
    family,
    grade,
    load,
    register_category,
    register_family,
    register_verifier,
    verifier,
)
from ._store import Journal, Run, atomic_write
from ._templates import render
from ._tools import Tool, ToolClient, ToolResult, ToolRuntime, tool_from_function

__version__ = "0.1.0"

__all__ = [name for name in dir() if not name.startswith("_")]
