"""Micro-benchmark of the value recorder (issue 17 item 6) without Docker: the launcher's recorder
and tracer, at a git ref (e.g. main) and in this tree, driven in fresh processes side by side on
the same workloads, as a confirming fork drives them (start, the test's calls, digest).

Workloads: a small watched function called 100,000 times; a watched method of an object holding a
1,000-item list called 2,000 times (its `self` is an argument); 1,000,000 calls of an unwatched
function (what the tracer costs every other call); and each of them untraced (the baseline).
Prints a markdown table of median seconds and the ratio of this tree to the ref.

Usage: python benchmarks/bench_recorder.py [--before main] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

MODULE = '''
class Box:
    def __init__(self):
        self.items = list(range(1000))

    def total(self, k):
        return self.items[k % 1000] + k

def small(x):
    return (x, x + 1)

def other(x):
    return x

def run(workload):
    if workload == "small":
        for i in range(100000):
            small(i)
    elif workload == "method":
        box = Box()
        for i in range(2000):
            box.total(i)
    else:
        for i in range(1000000):
            other(i)
'''

DRIVER = '''
import importlib.util, os, sys, time
launcher_path, root, workload, mode = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
spec = importlib.util.spec_from_file_location("launcher", launcher_path)
launcher = importlib.util.module_from_spec(spec)
spec.loader.exec_module(launcher)
launcher.RECORD_FD = 2
names = ["small", "Box.total"]
if hasattr(launcher, "_values"):
    send, lock = launcher._values({os.path.join(root, "mod.py"): names}, root, launcher_path)
else:
    import threading
    recorder = launcher._recorder(launcher_path, os.write, os._exit, sys._getframe, sys.settrace)
    next(recorder)
    send, lock = recorder.send, threading.Lock()
    trace = launcher._value_tracer(frozenset((os.path.join(root, "mod.py"), n) for n in names), send, len(root) + 1)
    send(trace)
ours = {}
exec(compile("def start(s, l):\\n    with l: return s(('start',))\\n"
             "def digest(s, l):\\n    with l: return s(('digest',))", launcher_path, "exec"), ours)
sys.path.insert(0, root)
import mod
started = time.perf_counter()
if mode == "traced":
    ours["start"](send, lock)
mod.run(workload)
if mode == "traced":
    ours["digest"](send, lock)
print(time.perf_counter() - started)
'''


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", default="main")
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        (base / "repo").mkdir()
        (base / "repo" / "mod.py").write_text(MODULE)
        (base / "drive.py").write_text(DRIVER)
        launchers = {options.before: base / "before.py", "this tree": base / "after.py"}
        launchers[options.before].write_bytes(subprocess.run(
            ["git", "show", f"{options.before}:verifiers/code/_launcher.py"], cwd=ROOT, check=True,
            capture_output=True).stdout)
        launchers["this tree"].write_bytes((ROOT / "verifiers" / "code" / "_launcher.py").read_bytes())
        times: dict[tuple[str, str, str], list[float]] = {}
        for _ in range(options.rounds):
            for workload in ("small", "method", "other"):
                for label, path in launchers.items():
                    for mode in ("traced", "plain"):
                        done = subprocess.run([sys.executable, str(base / "drive.py"), str(path), str(base / "repo"),
                                               workload, mode], capture_output=True, text=True, check=True)
                        times.setdefault((workload, label, mode), []).append(float(done.stdout.split()[-1]))
    print(f"| workload | untraced (s) | {options.before} (s) | this tree (s) | this tree / {options.before} |")
    print("|---|---|---|---|---|")
    for workload in ("small", "method", "other"):
        plain = statistics.median(times[workload, "this tree", "plain"])
        old = statistics.median(times[workload, options.before, "traced"])
        new = statistics.median(times[workload, "this tree", "traced"])
        print(f"| {workload} | {plain:.3f} | {old:.3f} | {new:.3f} | {new / old:.2f}x |")


if __name__ == "__main__":
    main()
