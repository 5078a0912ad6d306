"""synth's test launcher: copied into a test container and run there, never imported by synth.

Runs with the container's Python (3.9 or newer) and its standard library only. Modes (argv[1]):

  probe ROOT ARGS...   as the test user: print one line `SYNTH-PROBE {json}` with the configuration
                       file and rootdir pytest chooses for ARGS, the pytest11 plugins installed, and
                       pytest's version; no conftest, no test and no project module is imported.
  run SPEC             as root, started `python -I -S` (nothing but the standard library): delete the
                       repository's bytecode, make it read-only (root-owned, no write bits; .git
                       aside), start the child as the test user, kill every process the test user
                       left, give the tree back, and decide the exit code from the child's result
                       stream: a tamper report is exit 86 whatever the child said; for a recheck
                       the JUnit XML is written here, from the one result the child streamed for
                       each test (a second result for a test is a forgery: the run is invalid).
  child SPEC FD        as the test user, `python -I -B`: the repository goes to the end of sys.path
                       (after the standard library and the installed packages), pytest and the
                       plugins of SPEC are imported before any project code, then pytest (JUnit XML
                       to the path in SPEC) or unittest runs, with the guard: the runner's own
                       functions and classes, pytest's registered plugins, the loaders of the test
                       modules and the bytecode settings are compared with a snapshot after every
                       test; a change made by code of the repository goes to FD as a tamper report.

What this makes expensive rather than impossible: code under test runs in the child's process and
can reach anything there, including this file's objects; see docs/code-grading.md.
"""

from __future__ import annotations

import json
import os
import sys

PROBE_MARK = "SYNTH-PROBE "
TAMPERED = 86
TIMED_OUT = 124
INVALID = 3
SUMMARY = "synth-recheck"


def _load(path):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def _under(path, root):
    path = os.path.abspath(path or ".")
    return path == root or path.startswith(root.rstrip("/") + "/")


def _project_last(root):
    """Move the repository's entries of sys.path (python -I adds none; an editable install's .pth
    may) behind everything else, with the root itself last."""
    inside = [p for p in sys.path if _under(p, root)]
    sys.path[:] = [p for p in sys.path if p and not _under(p, root)]
    return inside + ([root] if root not in inside else [])


def _clean(text):
    return " ".join(str(text).split())[:300]


# -- probe -----------------------------------------------------------------------------------------
def probe(root, args):
    tail = _project_last(root)
    import importlib

    import pytest

    sys.path.extend(tail)
    from importlib import metadata

    names = set()
    for dist in metadata.distributions():
        for entry in dist.entry_points:
            if entry.group == "pytest11":
                names.add(entry.value.split(":")[0].strip())
    plugins, modules = [], []
    for name in sorted(names):
        try:
            modules.append(importlib.import_module(name))
            plugins.append(name)
        except Exception:  # a broken plugin was never loadable; autoload would have failed on it too
            pass
    out = os.dup(1)  # pytest captures fd 1 before the hook below runs

    class Probe:
        @pytest.hookimpl(tryfirst=True)
        def pytest_load_initial_conftests(self, early_config, parser, args):
            inipath = early_config.inipath
            config = None if inipath is None else os.path.relpath(str(inipath), root) if _under(str(inipath), root) else str(inipath)
            facts = {"config": config, "rootdir": os.path.relpath(str(early_config.rootpath), root),
                     "plugins": plugins, "pytest": pytest.__version__}
            os.write(out, (PROBE_MARK + json.dumps(facts) + "\n").encode())
            os._exit(0)

    code = pytest.main(list(args), plugins=modules + [Probe()])
    os.write(out, ("synth: pytest ended before choosing its configuration (exit %s)\n" % int(code)).encode())
    os._exit(2)


# -- run (the root supervisor) ---------------------------------------------------------------------
def _sweep(root):
    """Delete every bytecode file of the repository (.git aside): Python then reads only sources
    there, and with -B and a read-only tree nothing writes new ones."""
    import shutil

    for base, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not (base == root and d == ".git")]
        for name in list(dirs):
            if name == "__pycache__":
                shutil.rmtree(os.path.join(base, name), ignore_errors=True)
                dirs.remove(name)
        for name in files:
            if name.endswith((".pyc", ".pyo")):
                os.unlink(os.path.join(base, name))


def _lock(root):
    """Make the repository read-only for the test user (root-owned, readable, not writable; .git
    left alone); returns what to give back."""
    paths = [root]
    for base, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not (base == root and d == ".git")]
        paths += [os.path.join(base, name) for name in dirs + files]
    changed = []
    for path in paths:
        info = os.lstat(path)
        changed.append((path, info.st_uid, info.st_gid, info.st_mode))
        os.lchown(path, 0, 0)
        if not os.path.islink(path):
            readable = 0o555 if os.path.isdir(path) else 0o444
            os.chmod(path, (info.st_mode & 0o7777 & ~0o022) | readable)
    return changed


def _unlock(changed):
    for path, uid, gid, mode in reversed(changed):
        try:
            os.lchown(path, uid, gid)
            if not os.path.islink(path):
                os.chmod(path, mode & 0o7777)
        except OSError:
            pass


def _kill_user(uid):
    import signal
    import time

    for _ in range(100):
        pids = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) == os.getpid():
                continue
            try:
                with open("/proc/%s/status" % entry) as handle:
                    for line in handle:
                        if line.startswith("Uid:"):
                            if int(line.split()[1]) == uid:
                                pids.append(int(entry))
                            break
            except OSError:
                pass
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.02)


def _drain(fd, chunks, limit=16 * 1024 * 1024):
    total = 0
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        total += len(chunk)
        if total <= limit:
            chunks.append(chunk)
    os.close(fd)


def _xml_escape(text):
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;"))


def _recheck_verdict(spec, stream):
    """The recheck's JUnit XML and exit code from the child's stream: (xml, code, problems)."""
    wanted = list(spec["ids"])
    results, problems = {}, []
    for line in stream:
        kind, _, rest = line.partition("\t")
        if kind == "R":
            ident, _, rest = rest.partition("\t")
            outcome, _, message = rest.partition("\t")
            if ident not in wanted:
                problems.append("a result for a test that was not asked for: %s" % ident[:120])
            elif ident in results:
                problems.append("two results for %s (a forged result?)" % ident[:120])
            else:
                results[ident] = (outcome, message)
    cases, counts = [], {"passed": 0, "failed": 0, "error": 0, "skipped": 0}
    for ident in wanted:
        outcome, message = results.get(ident, ("error", "the test gave no result"))
        outcome = outcome if outcome in counts else "error"
        counts[outcome] += 1
        classname, _, name = ident.rpartition("::")
        inner = "" if outcome == "passed" else '<%s message="%s"/>' % (
            {"failed": "failure", "error": "error", "skipped": "skipped"}[outcome], _xml_escape(message))
        cases.append('<testcase classname="%s" name="%s">%s</testcase>' % (_xml_escape(classname), _xml_escape(name), inner))
    xml = ('<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="%s" tests="%d" failures="%d" errors="%d" '
           'skipped="%d">%s</testsuite></testsuites>\n' % (SUMMARY, len(wanted), counts["failed"], counts["error"],
                                                         counts["skipped"], "".join(cases)))
    print("%s (%s): %d passed, %d failed, %d errors, %d skipped" % (
        SUMMARY, spec["runner"], counts["passed"], counts["failed"], counts["error"], counts["skipped"]))
    if problems:
        return xml, INVALID, problems
    return xml, 0 if counts["passed"] == len(wanted) else 1, problems


def supervise(spec_path):
    import subprocess
    import threading

    spec = _load(spec_path)
    root, folder = spec["root"], spec["run"]
    uid, gid = spec["user"]
    _sweep(root)
    locked = _lock(root)
    read_fd, write_fd = os.pipe()
    chunks = []
    reader = threading.Thread(target=_drain, args=(read_fd, chunks), daemon=True)
    env = {"PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"), "HOME": spec.get("home", "/home/synth"),
           "LANG": "C.UTF-8", "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    argv = [sys.executable, "-I", "-B", os.path.abspath(__file__), "child", spec_path, str(write_fd)]
    sys.stdout.flush()
    try:
        child = subprocess.Popen(argv, cwd=root, env=env, pass_fds=(write_fd,), user=uid, group=gid, extra_groups=[])
    except BaseException:
        _unlock(locked)
        raise
    finally:
        os.close(write_fd)
    reader.start()
    try:
        code = child.wait(timeout=spec["timeout"])
    except subprocess.TimeoutExpired:
        code = TIMED_OUT
        print("synth: the test run hit its %s s timeout" % spec["timeout"])
    _kill_user(uid)
    reader.join(10)
    _unlock(locked)
    stream = b"".join(chunks).decode("utf-8", "replace").splitlines()
    tampered = [line.partition("\t")[2] for line in stream if line.startswith("T\t")]
    if spec["reading"] == "recheck" and code != TIMED_OUT:
        xml, code, problems = _recheck_verdict(spec, stream)
        with open(spec["junit"], "w", encoding="utf-8") as handle:
            handle.write(xml)
        for problem in problems:
            print("synth: invalid recheck: " + problem)
    if tampered and code != TIMED_OUT:
        print("synth: the test process changed the test runner: " + "; ".join(sorted(set(tampered))[:5]))
        code = TAMPERED
    sys.stdout.flush()
    return code


# -- child (the test process) ----------------------------------------------------------------------
WATCHED = ("unittest", "unittest.case", "unittest.result", "unittest.suite", "unittest.loader", "unittest.runner",
           "unittest.main", "unittest.signals", "pytest", "_pytest.reports", "_pytest.runner", "_pytest.junitxml",
           "_pytest.terminal", "_pytest.main", "_pytest.python", "_pytest.unittest", "_pytest.outcomes",
           "_pytest.skipping", "_pytest.nodes", "_pytest.config", "_pytest.fixtures", "_pytest.subtests",
           "_pytest.capture", "_pytest.assertion.rewrite", "pluggy", "pluggy._hooks", "pluggy._callers",
           "pluggy._manager", "pluggy._result")


def _import_watched(prefix):
    """Import the watched runner modules now, before any project code, so the snapshot holds
    them (pytest imports some of its own plugins only when a session starts)."""
    import importlib

    for name in WATCHED:
        if name.startswith(prefix):
            try:
                importlib.import_module(name)
            except ImportError:
                pass  # not in this pytest version


class Guard:
    """Snapshot of what the test runner is made of; `check` names what changed since (and was
    changed by code of the repository, or by code whose origin is hidden)."""

    def __init__(self, root, emit, plugin_names):
        self.root, self.emit = root, emit
        self.plugin_tops = {name.split(".")[0] for name in plugin_names} | {"_pytest", "pytest", "pluggy"}
        self.reported = set()
        self.entries = []
        """(label, namespace, key, value): every watched name and what it was."""
        self.spaces = []
        """(label, namespace, names): every watched namespace and the names it had (names judged
        since are added)."""
        for name in WATCHED:
            module = sys.modules.get(name)
            if module is None:
                continue
            self.entries.append(("sys.modules", sys.modules, name, module))
            self._watch_space(name, vars(module))
            for value in list(vars(module).values()):
                if isinstance(value, type) and value.__module__ == name:
                    self._watch_space(name + "." + value.__name__, value.__dict__)
        self.flags = (getattr(sys, "pycache_prefix", None), sys.dont_write_bytecode)
        self.manager = None
        self.allowed = []
        self.test_modules = {}
        """Test modules by the file they must come from (set once collected; checked once)."""
        self.plugins_seen = set()
        """ids of the pytest plugins already judged."""

    @staticmethod
    def _callable(value):
        return callable(value) or isinstance(value, (classmethod, staticmethod, property))

    def _watch_space(self, label, space):
        self.spaces.append((label, space, set(space)))
        for key, value in list(space.items()):
            if self._callable(value):
                self.entries.append((label, space, key, value))

    def _origin(self, value):
        """The file that defines a function, class or method (None when it cannot be told)."""
        for attr in ("__func__", "fget", "func", "__wrapped__"):
            inner = getattr(value, attr, None)
            if inner is not None and inner is not value:
                return self._origin(inner)
        code = getattr(value, "__code__", None)
        if code is not None:
            return code.co_filename
        module = sys.modules.get(getattr(value, "__module__", None) or "")
        return getattr(module, "__file__", None) if module is not None else None

    def _by_project(self, value):
        """A value made by code in the repository, or whose origin is hidden (pytest replaces a few
        of its own methods while it configures itself: those come from outside)."""
        origin = self._origin(value)
        return origin is None or _under(origin, self.root)

    def _loaded_from_source(self, module, path):
        """Whether a test module was made from its own file by a loader from outside the repository
        (an import hook of the project's could serve other code under the test's name)."""
        spec = getattr(module, "__spec__", None)
        loader = getattr(spec, "loader", None)
        origin = getattr(spec, "origin", None)
        if loader is None or origin is None or os.path.realpath(origin) != os.path.realpath(path):
            return False
        if getattr(loader, "path", origin) != origin:
            return False
        loader_module = sys.modules.get(type(loader).__module__ or "")
        loader_file = getattr(loader_module, "__file__", None)
        return loader_module is not None and (loader_file is None or not _under(loader_file, self.root))

    def _plugin_allowed(self, plugin, declared):
        if any(plugin is ok for ok in self.allowed):
            return True
        if isinstance(plugin, type(sys)):
            name = plugin.__name__
            if os.path.basename(getattr(plugin, "__file__", "") or "") == "conftest.py" or name in declared:
                return True
        else:
            name = type(plugin).__module__ or ""
        return name.split(".")[0] in self.plugin_tops

    def check(self):
        problems = []
        for label, space, key, value in self.entries:
            current = space.get(key)
            if current is not value and (current is None or label == "sys.modules" or self._by_project(current)):
                problems.append("sys.modules[%r]" % key if label == "sys.modules" else "%s.%s" % (label, key))
        for label, space, names in self.spaces:
            if len(space) != len(names):
                for key, value in list(space.items()):
                    if key not in names:
                        names.add(key)
                        if self._callable(value) and self._by_project(value):
                            problems.append("%s.%s" % (label, key))
        for path, module in list(self.test_modules.items()):
            if not self._loaded_from_source(module, path):
                problems.append("the test module %s was not loaded from its file" % getattr(module, "__name__", path))
        self.test_modules.clear()  # modules are made once; their loaders were judged now
        if (getattr(sys, "pycache_prefix", None), sys.dont_write_bytecode) != self.flags:
            problems.append("the bytecode settings of sys")
        plugins = list(self.manager.get_plugins()) if self.manager is not None else []
        if any(id(plugin) not in self.plugins_seen for plugin in plugins):
            self.plugins_seen = {id(plugin) for plugin in plugins}
            declared = set()
            for plugin in plugins:
                listed = getattr(plugin, "pytest_plugins", ()) if isinstance(plugin, type(sys)) else ()
                declared.update([listed] if isinstance(listed, str) else list(listed or ()))
            for plugin in plugins:
                if not self._plugin_allowed(plugin, declared):
                    problems.append("a pytest plugin registered from %s" % (
                        getattr(plugin, "__name__", None) or type(plugin).__module__))
        for problem in problems:
            if problem not in self.reported:
                self.reported.add(problem)
                self.emit("T\t" + _clean(problem))
        return problems


def _junit_id(nodeid):
    """The id pytest's JUnit XML (xunit1) gives a node: dotted classname :: name."""
    path, bracket, params = nodeid.partition("[")
    names = path.split("::")
    names[0] = names[0].replace("/", ".")
    if names[0].endswith(".py"):
        names[0] = names[0][:-3]
    names[-1] += bracket + params
    return ".".join(names[:-1]) + "::" + names[-1]


def _pytest_plugins(pytest, guard, emit, wanted):
    """The guard as a pytest plugin, and for a recheck the result stream and the selection."""

    class GuardPlugin:
        @pytest.hookimpl(tryfirst=True)
        def pytest_configure(self, config):
            guard.manager = config.pluginmanager

        @pytest.hookimpl(hookwrapper=True, tryfirst=True)
        def pytest_runtest_makereport(self, item, call):
            yield
            if wanted is None:
                return
            # read after the other implementations: pytest's unittest support moves a TestCase's
            # failure into call.excinfo there (the test method raised nothing pytest could see)
            phases = self.phases.setdefault(item.nodeid, {})
            if call.excinfo is None:
                phases[call.when] = ("passed", "")
            else:
                skipped = call.excinfo.errisinstance((pytest.skip.Exception, pytest.xfail.Exception))
                phases[call.when] = ("skipped" if skipped else "failed" if call.when == "call" else "error",
                                     _clean(call.excinfo.exconly()))

        @pytest.hookimpl(tryfirst=True)
        def pytest_runtest_logreport(self, report):
            # a failed report of the test's own id that no phase shows (a failing subtest)
            if wanted is not None and report.failed and report.nodeid not in self.failed_reports:
                lines = str(getattr(report, "longreprtext", "")).strip().splitlines()
                self.failed_reports[report.nodeid] = _clean(lines[-1] if lines else "a failed report")

        @pytest.hookimpl(tryfirst=True)
        def pytest_runtest_logfinish(self, nodeid, location):
            guard.check()
            if wanted is None:
                return
            phases = self.phases.get(nodeid, {})
            outcome, message = "passed", ""
            for when in ("setup", "call", "teardown"):
                state, text = phases.get(when, ("error", "no %s phase" % when))
                if state != "passed":
                    outcome, message = state, text
                    break
            if outcome == "passed" and nodeid in self.failed_reports:
                outcome, message = "failed", self.failed_reports[nodeid]
            emit("R\t%s\t%s\t%s" % (_junit_id(nodeid), outcome, message))

        @pytest.hookimpl(trylast=True)
        def pytest_collection_modifyitems(self, session, config, items):
            for item in items:
                module = getattr(item, "module", None)
                if module is not None:
                    guard.test_modules[str(getattr(item, "path", None) or getattr(item, "fspath", ""))] = module
            if wanted is None:
                return
            keep = [item for item in items if _junit_id(item.nodeid) in wanted]
            dropped = [item for item in items if _junit_id(item.nodeid) not in wanted]
            if dropped:
                config.hook.pytest_deselected(items=dropped)
            items[:] = keep

        @pytest.hookimpl(trylast=True)
        def pytest_sessionfinish(self, session, exitstatus):
            guard.check()

    plugin = GuardPlugin()
    plugin.phases, plugin.failed_reports = {}, {}
    guard.allowed.append(plugin)
    return plugin


def _run_unittest(ids, guard, emit):
    import importlib
    import unittest

    def resolve(classname):
        parts = classname.split(".")
        for cut in range(len(parts), 0, -1):
            name = ".".join(parts[:cut])
            try:
                obj = importlib.import_module(name)
            except ModuleNotFoundError as exc:
                if exc.name == name:
                    continue
                raise
            for attr in parts[cut:]:
                obj = getattr(obj, attr)
            return obj
        raise ImportError("no module in %s" % classname)

    class Stream(unittest.TestResult):
        def __init__(self):
            super().__init__()
            self.outcomes = {}

        def _set(self, test, outcome, err=None):
            key = id(test)
            current = self.outcomes.get(key)
            if current is None or current[0] in ("passed", "skipped"):
                message = _clean(self._exc_info_to_string(err, test).strip().splitlines()[-1]) if err else ""
                self.outcomes[key] = (outcome, message)

        def addSuccess(self, test):
            self.outcomes.setdefault(id(test), ("passed", ""))

        def addFailure(self, test, err):
            self._set(test, "failed", err)

        def addError(self, test, err):
            self._set(test, "error", err)

        def addSkip(self, test, reason):
            self._set(test, "skipped")

        def addExpectedFailure(self, test, err):
            self._set(test, "skipped")

        def addUnexpectedSuccess(self, test):
            self._set(test, "failed")

        def addSubTest(self, test, subtest, err):
            if err is not None:
                self._set(test, "failed", err)

    result = Stream()
    for ident in ids:
        classname, _, name = ident.rpartition("::")
        try:
            cls = resolve(classname)
            if not (isinstance(cls, type) and issubclass(cls, unittest.TestCase)) or not hasattr(cls, name):
                emit("R\t%s\terror\tnot a unittest TestCase method" % ident)
                continue
            test = cls(name)
            module = sys.modules.get(cls.__module__)
            guard.test_modules[getattr(module, "__file__", None) or cls.__module__] = module
        except Exception as exc:
            emit("R\t%s\terror\t%s" % (ident, _clean("cannot load: %s: %s" % (type(exc).__name__, exc))))
            continue
        test.run(result)
        guard.check()
        outcome, message = result.outcomes.get(id(test), ("error", "the test gave no result"))
        emit("R\t%s\t%s\t%s" % (ident, outcome, message))
    return 0


def child(spec_path, fd):
    spec = _load(spec_path)
    stream = os.fdopen(fd, "w", buffering=1, encoding="utf-8")
    write = stream.write

    def emit(line):
        write(line.replace("\n", " ") + "\n")

    root = spec["root"]
    tail = _project_last(root)
    import importlib

    if spec["runner"] == "unittest":
        import unittest  # noqa: F401  (imported before any project code: the guard's snapshot sees it)

        sys.path.extend(tail)
        _import_watched("unittest")
        guard = Guard(root, emit, [])
        code = _run_unittest(spec["ids"], guard, emit)
    else:
        import pytest

        sys.path.extend(tail)
        modules = [importlib.import_module(name) for name in spec["plugins"]]
        _import_watched("")
        guard = Guard(root, emit, spec["plugins"])
        wanted = set(spec["ids"]) if spec["reading"] == "recheck" else None
        code = pytest.main(list(spec["args"]), plugins=modules + [_pytest_plugins(pytest, guard, emit, wanted)])
    guard.check()
    stream.flush()
    sys.stdout.flush()
    sys.stderr.flush()
    return int(code)


def main(argv):
    mode = argv[1]
    if mode == "probe":
        probe(argv[2], argv[3:])
    elif mode == "run":
        sys.exit(supervise(argv[2]))
    elif mode == "child":
        sys.exit(child(argv[2], int(argv[3])))
    sys.exit("synth launcher: unknown mode %r" % mode)


if __name__ == "__main__":
    main(sys.argv)
