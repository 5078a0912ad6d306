"""The code family: real repositories in Docker, mined tasks, tests as the verifier.

Data flow: miners (`mine_history`, `GitHubMiner`, `mutants`) produce `Candidate`s; `CodeGenerator`
(the family's `Generator`, driven by `synth.generate`) filters them, builds layered images
(base -> environment -> task), validates F2P/P2P with k reruns and returns tuples or rejections;
`CodeFamily` opens agent environments (bash/view/edit/submit) and executes submissions with the
code verifier's hardened harness; `exploit_patches` are the null controls that attack the grader;
the `code.tests` verifier (`synth.verifiers.code`) grades the stored artifacts. Importing this package
registers the family (its `synth.plugins` entry point) and does nothing else.
"""

from ._exec import (
    Validation,
    apply_submission,
    classify,
    derive_patches,
    ensure_images,
    grading_run,
    probe,
    run_tests,
    validate,
)
from . import _exploits as exploits
from ._family import CodeEnvironment, CodeFamily, exploit_patches
from ._generate import CodeGenerator, Mutation
from ._github import GitHubClient, GitHubMiner, RateLimited
from ._install import setup_script
from ._mine import Candidate, archive, mine_history, open_repo, problem_from_message, tree_from_dir
from ._mutate import Mutant, checkout_head, fetch_sdist, mutants
from ._patch import PatchError, drop_protected, is_protected_path, is_test_path, parse, split
from ._settings import CodeSettings
from ._tools import TOOLS, Workspace, tool_specs

__all__ = [name for name in dir() if not name.startswith("_")]
