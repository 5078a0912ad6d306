"""The code family: real repositories in Docker, mined tasks, tests as the verifier.

Data flow: miners (`mine_history`, `GitHubMiner`, `mutants`) produce `Candidate`s; `Generator`
filters them, builds layered images (base -> environment -> task), validates F2P/P2P with k reruns
and writes tuples; `CodeFamily` opens agent environments (bash/view/edit/submit) and executes
submissions; the `code.tests` verifier (`synth.verifiers.code`) grades the stored artifacts.
"""

from ._exec import Validation, classify, ensure_images, grading_run, run_tests, validate
from ._family import TOOLS, CodeEnvironment, CodeFamily, exploit_patches, tool_specs
from ._generate import REJECTIONS, Generator, Rejection, Settings
from ._github import GitHubClient, GitHubMiner, RateLimited
from ._install import setup_script
from ._mine import Candidate, archive, mine_history, open_repo, problem_from_message, tree_from_dir
from ._mutate import Mutant, checkout_head, fetch_sdist, mutants
from ._patch import PatchError, drop_protected, is_protected_path, is_test_path, parse, split

__all__ = [name for name in dir() if not name.startswith("_")]
