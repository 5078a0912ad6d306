"""The interpreter family: tasks that need computation, solved in a stateful notebook kernel.

Data flow: a category (`DataCategory`, `MathCategory`, `LogicCategory`, or a user's JSONL through
`read_tasks`) builds a `Problem` (question, data files, typed `Answer`, gold cells, decoys);
`InterpreterFamily` turns it into a tuple, opens episodes on a `Kernel` (a persistent Python in a
sandbox of the kernel image, `kernel_image`) with the tools `python` and `submit`, and runs the
gold cells through the python tool in verify; the `interpreter.answer` verifier
(`synth.verifiers.interpreter`) grades the stored answer. Importing this package registers the
family and its categories (its `synth.plugins` entry point) and does nothing else.
"""

from ._data import DataCategory, build_shop
from ._family import InterpreterEnvironment, InterpreterFamily, InterpreterGenerator, generic_decoys
from ._file import FileTask, read_tasks
from ._kernel import (
    DATA,
    GRACE,
    KERNEL_MAIN,
    PACKAGES,
    WORK,
    Execution,
    Kernel,
    KernelRestarted,
    KernelSettings,
    kernel_image,
)
from ._logic import LogicCategory
from ._math import MathCategory
from ._problem import Decoy, Problem
from ._settings import CATEGORIES, GENERATED, InterpreterSettings
from ._tools import TOOLS, Notebook

__all__ = [name for name in dir() if not name.startswith("_")]
