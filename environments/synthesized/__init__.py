"""The synthesized family: a model writes new general environments, synth proves them.

Data flow: `AgentGenerator` (the family's `Generator`, driven by `synth.generate` through
`synth generate general --agent` or `synth generate synthesized`) runs one `SynthesisAgent`
session per category and environment: the model writes the files (`_files.py`) in a workspace
sandbox, the gate (`_gate.py`) proves them (the core's gold and null controls, determinism,
baselines from `_baselines.py`, limits), each passed level becomes a tuple and asks for a harder
one. `SynthesizedFamily` runs the stored code in sandboxes for episodes (`_environment.py`); the
`synthesized.sandbox` verifier (`synth.verifiers.synthesized`) grades. Importing this package
registers the family (its `synth.plugins` entry point) and does nothing else.
"""

from ._agent import AGENT_TOOLS, Session, SynthesisAgent
from ._baselines import BASELINES, baseline_answers, baseline_solver, explore, first_choice, greedy, shape_of
from ._environment import SynthesizedEnvironment, ToolBox, build_database, run_solution
from ._family import SynthesizedFamily, noop_of, probe, wrong_type_of
from ._files import FILES, REQUIRED, FileProblem, Signature, problems, remote_tool, signatures
from ._gate import GateReport, Placement, make_record, run_gate
from ._generate import AgentGenerator, Level
from ._settings import AgentOptions, AgentSettings, CategoryEntry, agent_settings, read_categories

__all__ = [name for name in dir() if not name.startswith("_")]
