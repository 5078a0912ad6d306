"""The general categories' oracle: OR-Tools CP-SAT, which proves a random instance feasible, finds its
answer and proves that answer unique (issue 18: generate, then solve; nothing planted).

Sits under the category generators (`<category>/_build.py`); imports OR-Tools and the standard
library only. Every solve is single-threaded with a fixed seed, so its answer and its effort
(branches, conflicts) are a pure function of the model: byte identity of the tuples holds. Wall
time is not deterministic, so it is never stored in a tuple (benchmarks/bench_general.py measures
it); branches and conflicts are, as the difficulty's evidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ortools.sat.python import cp_model


class Undecided(RuntimeError):
    """A capped solve (`Oracle.max_conflicts`) that reached its cap undecided."""


@dataclass
class Effort:
    """What the oracle spent on one instance, summed over its solves (the tuple records it)."""

    solves: int = 0
    branches: int = 0
    conflicts: int = 0
    booleans: int = 0
    """Boolean variables of the model (its size)."""

    def as_params(self) -> dict[str, int]:
        return {"solves": self.solves, "branches": self.branches, "conflicts": self.conflicts,
                "booleans": self.booleans}


@dataclass
class Oracle:
    """One CP-SAT model and its solver, solved again as constraints are added."""

    model: cp_model.CpModel = field(default_factory=cp_model.CpModel)
    effort: Effort = field(default_factory=Effort)
    linearization: int = 0
    """CP-SAT's linearization_level: 0 (no LP) suits pure routing models; shopping's money sums need
    the LP relaxation (2) to prove optimality fast."""
    max_conflicts: int | None = None
    """A deterministic cap on one solve's conflicts (None: none): past it `solve` raises Undecided, and
    the generator draws another instance rather than wait on a rare hard one."""

    def solve(self) -> cp_model.CpSolver | None:
        """The solver holding an optimal (or, without objective, a feasible) solution, or None when
        the model is infeasible. Raises RuntimeError if CP-SAT could not decide (never expected on
        these sizes; no time limit is set, so the verdict cannot depend on the machine's speed)."""
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.random_seed = 0
        # these models are small (tens to hundreds of booleans): CP-SAT's probing, symmetry detection
        # and LP relaxation cost more than they save (measured: about 2x faster generation without)
        solver.parameters.cp_model_probing_level = 0
        solver.parameters.symmetry_level = 0
        solver.parameters.linearization_level = self.linearization
        if self.max_conflicts is not None:
            solver.parameters.max_number_of_conflicts = self.max_conflicts
        status = solver.solve(self.model)
        self.effort.solves += 1
        self.effort.branches += int(solver.num_branches)
        self.effort.conflicts += int(solver.num_conflicts)
        self.effort.booleans = max(self.effort.booleans, len(self.model.proto.variables))
        if status == cp_model.FEASIBLE and self.max_conflicts is not None and self.model.has_objective():
            # the cap stopped it before optimality was proven: a solution, not the optimum
            raise Undecided(f"CP-SAT did not prove optimality within {self.max_conflicts} conflicts")
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return solver
        if status == cp_model.INFEASIBLE:
            return None
        if self.max_conflicts is not None and status == cp_model.UNKNOWN:
            raise Undecided(f"CP-SAT gave up after {self.max_conflicts} conflicts")
        raise RuntimeError(f"CP-SAT returned {solver.status_name(status)}")

    def exclude(self, literals: list[Any]) -> None:
        """Forbid the assignment in which every one of `literals` (booleans) is true."""
        self.model.add_bool_or([lit.Not() for lit in literals])
