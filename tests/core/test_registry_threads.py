"""The registry loads its plug-ins once, and threads that ask at the same moment all see it whole
(the environment server resolves families from many session threads at once)."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_threads_asking_at_once_all_see_every_family() -> None:
    # a fresh interpreter, so the registry starts empty; 16 threads released together ask for it
    code = textwrap.dedent("""
        import threading
        from synth import _registry
        barrier = threading.Barrier(16)
        seen = []
        def ask():
            barrier.wait()
            seen.append(tuple(_registry.families()))
        threads = [threading.Thread(target=ask) for _ in range(16)]
        for t in threads: t.start()
        for t in threads: t.join()
        print(len(set(seen)), len(seen[0]), sorted(seen[0]))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out[0] == "1", f"threads saw different registries: {out}"
    assert int(out[1]) >= 5, f"families missing: {out}"
