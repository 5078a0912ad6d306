"""Families of environments. Importing this package registers every built-in family.

Each family sits on the core contract (`synth`): it generates tuples into a run, opens live
environments for them, and supplies gold solutions and null controls. Families never import the CLI.
"""

from . import general  # noqa: F401  (registers the general family and its categories)
from . import code  # noqa: F401  (registers the code family)
