"""Importing the code family does nothing process-wide: no signal handler changes, no engine."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import signal
before = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)}
import synth.environments.code
import synth.verifiers.code
from synth import family
family("code")  # loading the registry imports every plug-in
after = {sig: signal.getsignal(sig) for sig in before}
import synth.sandbox._docker as docker
print(before == after, docker._client is None)
"""


def test_importing_the_code_family_touches_no_signal_handler_and_no_engine():
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True"]
