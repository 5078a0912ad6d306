"""synth's test launcher (harness 3): copied into a test container and run there, never imported by
synth.

Runs with the container's Python (3.9 or newer) and its standard library only. Modes (argv[1]):

  probe ROOT ARGS...   as the test user: print one line `SYNTH-PROBE {json}` with the configuration
                       file and rootdir pytest chooses for ARGS, the pytest11 plugins installed, and
                       pytest's version; no conftest, no test and no project module is imported.
  run SPEC             the root supervisor, started `python -I -S` (nothing but the standard
                       library): delete the repository's bytecode, make it read-only, then for each
                       child of SPEC: a fresh key on fd 3, a records pipe on fd 4, the child started
                       as the test user, every process of the test user killed after it; then verify
                       the records, write the JUnit XML from them and decide the exit code. A record
                       without the child's key, a second record for a test, a record for a test not
                       asked for: the run is invalid (3); a tamper report: 86.
  child SPEC INDEX     as the test user, `python -I -B`: read the key(s) from fd 3 before anything of
                       the project is imported, make the process non-dumpable, import pytest and its
                       plugins, snapshot the runner by content, install the audit hook, then run the
                       tests with synth's own executor and write one keyed record per test to fd 4
                       (a `solo` child forks once per test after collection).

The verdict is decided by the supervisor from keyed records; see docs/code-grading.md for what a
forger would still need.
"""

from __future__ import annotations

import json
import os
import sys

PROBE_MARK = "SYNTH-PROBE "
ALLOW_MARK = "SYNTH-ALLOW "
TAMPERED = 86
TIMED_OUT = 124
INVALID = 3
SUMMARY = "synth-keyed"
KEY_FD, RECORD_FD, KEY_BYTES = 3, 4, 32
OUTCOMES = ("passed", "failed", "error", "skipped")


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


def _verify(lines, keys, ids, solo, status=None):
    """The records of one child: ({id: (outcome, message, digest)}, problems, tamper reports, events).

    With `status` (the child's exit status, negative for a signal) a record counts only when the
    runner's own end followed it: in a solo child the test's fork writes `E key id` after pytest's
    protocol for the test returned and the child exits 0; a batch child writes `E key *` after its
    session ended and exits 0 or 1. A child that died by a signal, exited otherwise, or stopped
    before that end (a record forged, then the process ended) has every record made an error."""
    import hmac

    keyhex = [key.hex() for key in keys]
    records, problems, tamper, events = {}, [], [], []
    ended, died, pending = set(), {}, set()
    for line in lines:
        if not line:
            continue
        kind, _, rest = line.partition("\t")
        if kind == "T":
            tamper.append(_clean(rest))
            continue
        if kind == "A":
            events.append(_clean(rest))  # "event<TAB>where": the allowance is the event
            continue
        if kind == "X":  # the solo child's word on a test's fork that did not exit 0: only hurts
            ident, _, why = rest.partition("\t")
            died[ident] = _clean(why)
            continue
        if kind == "E":
            key, _, ident = rest.partition("\t")
            owner = next((i for i, known in enumerate(keyhex) if hmac.compare_digest(known, key)), None)
            if owner is None:
                problems.append("an end of a test without the child's key (a forgery?)")
            elif solo and ids is not None and ident in ids and ids.index(ident) == owner and ident in pending:
                ended.add(ident)
                pending.discard(ident)
            elif not solo and ident == "*":
                ended.update(pending)
                pending.clear()
            continue
        parts = rest.split("\t")
        if kind != "S" or len(parts) != 5:
            problems.append("a line that is not a keyed record: %r" % line[:80])
            continue
        key, ident, outcome, digest, message = parts
        owner = next((i for i, known in enumerate(keyhex) if hmac.compare_digest(known, key)), None)
        if owner is None:
            problems.append("a record without the child's key for %s (a forgery?)" % ident[:120])
        elif ids is not None and ident not in ids:
            problems.append("a record for a test that was not asked for: %s" % ident[:120])
        elif solo and ids.index(ident) != owner:
            problems.append("a record for %s under another test's key" % ident[:120])
        elif ident in records:
            problems.append("two records for %s (a forged record?)" % ident[:120])
        elif outcome not in OUTCOMES:
            problems.append("an unknown outcome for %s" % ident[:120])
        else:
            records[ident] = (outcome, message, digest)
            pending.add(ident)
    if status is not None:
        clean = status == 0 if solo else status in (0, 1)
        for ident in list(records):
            why = None
            if not clean:
                why = ("the test process was killed by signal %d" % -status if status < 0 else
                       "the test process exited with status %d" % status)
            elif ident in died:
                why = "the test's process ended with %s" % died[ident]
            elif ident not in ended:
                why = "the test process stopped before the runner ended the test"
            if why is not None:
                records[ident] = ("error", why + " (its record does not count)", "-")
    return records, problems, tamper, events


def _place(fds):
    """Put fds[0] on descriptor 3 and fds[1] on 4 (inheritable), whatever numbers they had."""
    import fcntl

    high = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 20) for fd in fds]
    for fd in fds:
        os.close(fd)
    for target, fd in zip((KEY_FD, RECORD_FD), high):
        os.dup2(fd, target, inheritable=True)
        os.close(fd)


def _run_child(spec, spec_path, index, child, timeout):
    """Start one child with its key(s) and read its records: (records, problems, tamper, events,
    timed out)."""
    import secrets
    import subprocess
    import threading

    uid, gid = spec["user"]
    ids = child.get("ids")
    solo = child["mode"] == "solo"
    confirm = [] if solo else list(child.get("confirm") or [])
    keys = [secrets.token_bytes(KEY_BYTES) for _ in range(len(ids) if solo else 1 + len(confirm))]
    import fcntl

    ends = []
    for fd in os.pipe() + os.pipe():  # every end away from 3 and 4 first
        ends.append(fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 20))
        os.close(fd)
    key_r, key_w, rec_r, rec_w = ends
    _place((key_r, rec_w))
    chunks = []
    reader = threading.Thread(target=_drain, args=(rec_r, chunks), daemon=True)
    env = {"PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"), "HOME": spec.get("home", "/home/synth"),
           "LANG": "C.UTF-8", "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    # a language runner's command (keyed: it reads fd 3 first, writes records to fd 4), else Python's
    argv = child.get("argv") or [sys.executable, "-I", "-B", os.path.abspath(__file__), "child", spec_path, str(index)]
    env.update({k: v for k, v in child.get("env", {}).items() if k not in env})
    sys.stdout.flush()
    try:
        process = subprocess.Popen(argv, cwd=spec["root"], env=env, pass_fds=(KEY_FD, RECORD_FD), user=uid, group=gid,
                                   extra_groups=[])
    finally:
        os.close(KEY_FD)
        os.close(RECORD_FD)
    reader.start()
    try:
        os.write(key_w, b"".join(keys))
    except OSError:
        pass
    os.close(key_w)
    timed_out = False
    try:
        process.wait(timeout=max(1.0, timeout))
    except subprocess.TimeoutExpired:
        timed_out = True
    _kill_user(uid)
    status = process.wait()
    reader.join(10)
    lines = b"".join(chunks).decode("utf-8", "replace").split("\n")
    if not confirm:
        return _verify(lines, keys, ids, solo, status) + (None, timed_out)
    return _verify_confirmed(lines, keys, ids, confirm, status) + (timed_out,)


def _verify_confirmed(lines, keys, ids, confirm, status):
    """A batch child that confirmed `confirm` in forks first (keys[0] the batch's, keys[1:] one per
    confirmed test): a record or end line under a confirmation key is the solo reading's, every
    other line the batch's (a key known to neither is a forgery there). Returns the batch's
    (records, problems, tamper, events) and the solo reading's (records, problems, tamper, events)."""
    import hmac

    solo_keys = [key.hex() for key in keys[1:]]
    solo_lines, batch_lines = [], []
    for line in lines:
        kind, _, rest = line.partition("\t")
        if kind == "X":
            solo_lines.append(line)
        elif kind in ("S", "E") and any(hmac.compare_digest(known, rest.partition("\t")[0]) for known in solo_keys):
            solo_lines.append(line)
        else:
            batch_lines.append(line)
    confirmed = _verify(solo_lines, keys[1:], confirm, True, 0 if status in (0, 1) else status)
    return _verify(batch_lines, keys[:1], ids, False, status) + (confirmed,)


def _write_results(path, order, results):
    """The JUnit XML of one reading, from verified records; returns its counts."""
    counts = {"passed": 0, "failed": 0, "error": 0, "skipped": 0}
    cases = []
    for ident in order:
        outcome, message, digest = results[ident]
        counts[outcome] += 1
        classname, _, name = ident.rpartition("::")
        inner = "" if outcome == "passed" else '<%s message="%s"/>' % (
            {"failed": "failure", "error": "error", "skipped": "skipped"}[outcome], _xml_escape(message))
        extra = "" if digest in ("", "-") else ' synth-digest="%s"' % _xml_escape(digest)
        cases.append('<testcase classname="%s" name="%s"%s>%s</testcase>' % (
            _xml_escape(classname), _xml_escape(name), extra, inner))
    xml = ('<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="%s" tests="%d" failures="%d" errors="%d" '
           'skipped="%d">%s</testsuite></testsuites>\n' % (SUMMARY, len(order), counts["failed"], counts["error"],
                                                         counts["skipped"], "".join(cases)))
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(xml)
    return counts


def _summary(reading, counts):
    return "%s (%s): %d passed, %d failed, %d errors, %d skipped" % (
        SUMMARY, reading, counts["passed"], counts["failed"], counts["error"], counts["skipped"])


def supervise(spec_path):
    import time

    spec = _load(spec_path)
    root, uid = spec["root"], spec["user"][0]
    observe = bool(spec.get("observe"))
    _sweep(root)
    locked = _lock(root)
    deadline = time.monotonic() + spec["timeout"]
    order, results, problems, tamper, events, timed_out = [], {}, [], [], [], False
    solo_order, solo_results = [], {}
    try:
        for index, child in enumerate(spec["children"]):
            records, found, reports, seen, confirmed, late = _run_child(spec, spec_path, index, child,
                                                                        deadline - time.monotonic())
            problems += found
            tamper += reports
            events += seen
            for ident in child.get("ids") or list(records):
                if ident not in results:
                    order.append(ident)
                    results[ident] = records.get(ident, ("error", "the test gave no record", "-"))
            if confirmed is not None:  # the F2P tests confirmed in forks of this child
                problems += confirmed[1]
                for ident in child["confirm"]:
                    if ident not in solo_results:
                        solo_order.append(ident)
                        solo_results[ident] = confirmed[0].get(ident, ("error", "the test gave no record", "-"))
            if late:
                timed_out = True
                print("synth: the test run hit its %s s timeout" % spec["timeout"])
                break
    finally:
        _kill_user(uid)
        _unlock(locked)
    counts = _write_results(spec["junit"], order, results)
    if spec.get("junit_solo"):  # its summary line comes first: the main reading's is the log's last
        print(_summary("solo", _write_results(spec["junit_solo"], solo_order, solo_results)))
    print(_summary(spec["reading"], counts))
    if events:
        for seen in sorted(set(events))[:20]:
            print("synth: the tests asked for %s (at %s)" % tuple((seen.split(" ", 1) + ["?"])[:2]))
        print(ALLOW_MARK + json.dumps(sorted({seen.split(" ", 1)[0] for seen in events})))
    for problem in problems[:20]:
        print("synth: invalid run: " + problem)
    if tamper:
        print("synth: the test process did what no fix needs: " + "; ".join(sorted(set(tamper))[:5]))
    sys.stdout.flush()
    if timed_out:
        return TIMED_OUT
    if problems:
        return INVALID
    if tamper and not observe:
        return TAMPERED
    return 0 if order and not counts["failed"] and not counts["error"] else 1


# -- child (the test process) ----------------------------------------------------------------------
WATCHED = ("unittest", "unittest.case", "unittest.result", "unittest.suite", "unittest.loader", "unittest.runner",
           "unittest.main", "unittest.signals", "pytest", "_pytest.reports", "_pytest.runner", "_pytest.junitxml",
           "_pytest.terminal", "_pytest.main", "_pytest.python", "_pytest.unittest", "_pytest.outcomes",
           "_pytest.skipping", "_pytest.nodes", "_pytest.config", "_pytest.fixtures", "_pytest.subtests",
           "_pytest.capture", "_pytest.assertion.rewrite", "_pytest.python_api", "_pytest.raises", "pluggy",
           "pluggy._hooks", "pluggy._callers", "pluggy._manager", "pluggy._result")
REFUSED = frozenset({"gc.get_objects", "gc.get_referrers", "gc.get_referents", "sys._current_frames",
                     "sys.addaudithook", "sys.monitoring.register_callback"})
"""Audit events refused whoever asks (unless the task allows the event)."""
TRACERS = frozenset({"sys.settrace", "sys.setprofile"})
TRACER_USERS = ("/doctest.py",)
"""Tracers are refused unless doctest asks (it saves and restores the tracer around each example)."""
JUDGED = frozenset({"sys._getframe", "object.__getattr__", "object.__setattr__", "compile", "code.__new__",
                    "marshal.loads", "open", "function.__new__"}) | REFUSED | TRACERS
FRAME_ATTRS = frozenset({"tb_frame", "gi_frame", "cr_frame", "ag_frame"})
FUNCTION_ATTRS = frozenset({"__code__", "__defaults__", "__kwdefaults__"})
TRAMPOLINES = frozenset({("inspect.py", "currentframe"), ("inspect.py", "stack"), ("inspect.py", "trace"),
                         ("inspect.py", "getouterframes"), ("inspect.py", "getinnerframes"),
                         ("__init__.py", "<lambda>"), ("__init__.py", "currentframe"), ("traceback.py", "walk_stack"),
                         ("traceback.py", "walk_tb"), ("base_tasks.py", "_task_get_stack"),
                         ("base_tasks.py", "_task_print_stack"), ("tasks.py", "get_stack"), ("tasks.py", "print_stack")})
"""Standard-library functions that hand a frame back to their caller: their caller is judged."""


def _non_dumpable():
    """No other process of the test user may read this one's memory or trace it (prctl
    PR_SET_DUMPABLE 0; kept across fork). ctypes is refused by the audit hook from then on."""
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0) == 0
    except Exception:  # no ctypes in this Python: memory stays readable to the test user
        return False


def _read_keys(count):
    data = b""
    while True:
        chunk = os.read(KEY_FD, 65536)
        if not chunk:
            break
        data += chunk
    os.close(KEY_FD)
    return [data[i * KEY_BYTES:(i + 1) * KEY_BYTES].hex() for i in range(count)]


def _junit_id(nodeid):
    """The id pytest's JUnit XML (xunit1) gives a node: dotted classname :: name."""
    path, bracket, params = nodeid.partition("[")
    names = path.split("::")
    names[0] = names[0].replace("/", ".")
    if names[0].endswith(".py"):
        names[0] = names[0][:-3]
    names[-1] += bracket + params
    return ".".join(names[:-1]) + "::" + names[-1]


def _files_of(ids, rootdir):
    """The test files the ids name (`pkg.tests.test_x.Class::name` -> pkg/tests/test_x.py, found on
    disk), or [] when one cannot be found."""
    files = []
    for ident in ids:
        parts = ident.partition("::")[0].split(".")
        found = next((os.path.join(rootdir, *parts[:cut]) + ".py" for cut in range(len(parts), 0, -1)
                      if os.path.isfile(os.path.join(rootdir, *parts[:cut]) + ".py")), None)
        if found is None:
            return []
        if found not in files:
            files.append(found)
    return files


def _make_hook(root, trusted_prefixes, trusted_files, allow, observe, report, stop):
    """The audit hook: a closure over immutable values and functions captured now; it is never
    bound to a name the project can reach. `report(line)` writes to the records pipe; `stop()`
    ends the process (exit 86)."""
    getframe, realpath, getpid, read = sys._getframe, os.path.realpath, os.getpid, os.read
    open_fd, close_fd, str_type, bytes_type = os.open, os.close, str, bytes
    allowed, mine, code_type = frozenset(allow), (), type(_make_hook.__code__)
    stdlib_dir, launcher = os.path.dirname(os.__file__) + "/", os.path.abspath(__file__)
    rewrite = "/_pytest/assertion/rewrite.py"

    conftest = (root.rstrip("/") + "/", "/conftest.py")

    def trusted_name(name):
        return (name.startswith(trusted_prefixes) or name in trusted_files
                or name.startswith(conftest[0]) and name.endswith(conftest[1]))

    def trusted(code):
        name = code.co_filename
        return type(name) is str_type and (name.startswith("<frozen ") or trusted_name(name))

    def asker():
        """The frame that caused the event (the hook's own frames and trampolines skipped), or None."""
        frame = getframe(0)
        while frame is not None:
            code = frame.f_code
            if code is not mine[0] and code is not mine[1] and code is not mine[2] and code is not mine[3] and \
                    code is not mine[5] and (
                    (code.co_filename.rpartition("/")[2], code.co_name) not in TRAMPOLINES or not trusted(code)):
                return frame
            frame = frame.f_back
        return None

    def untrusted_asker():
        frame = asker()
        return frame is not None and not trusted(frame.f_code)

    def library(code):
        """Code of the standard library or of an installed package (not the launcher's)."""
        name = code.co_filename
        if type(name) is not str_type:
            return False
        return name.startswith("<frozen ") or name.startswith(trusted_prefixes) and name != launcher

    def untrusted_requester():
        """Whether the code that wants a frame is untrusted: every library frame between the event
        and it (standard library and installed packages: traceback's frame walk with
        capture_locals, inspect, pytest's ExceptionInfo... hand what frames hold back to whoever
        called them) counts as its caller, the launcher's own frames aside. What a library function
        does with a frame internally (namedtuple reads its caller's module name) is allowed by an
        allowance naming that function (`event@place`), never by the event alone."""
        frame = getframe(0)
        while frame is not None:
            code = frame.f_code
            if code is not mine[0] and code is not mine[1] and code is not mine[2] and code is not mine[3] and \
                    code is not mine[4] and not library(code):
                return not trusted(code)
            frame = frame.f_back
        return False

    def place():
        """Where the asker is, as an allowance names it: its file (relative to the standard library,
        the site directory or the repository) and function."""
        frame = asker()
        if frame is None:
            return "?"
        code = frame.f_code
        name = code.co_filename if type(code.co_filename) is str_type else "?"
        for prefix in (stdlib_dir, root.rstrip("/") + "/") + trusted_prefixes:
            if name.startswith(prefix) and name != prefix:
                name = name[len(prefix):]
                break
        return ("%s:%s" % (name, code.co_name)).replace(" ", "_").replace("\t", "_")

    def content_of(path):
        try:
            fd = open_fd(path, os.O_RDONLY)
        except OSError:
            return None
        try:
            chunks = []
            while True:
                chunk = read(fd, 1 << 20)
                if not chunk:
                    return b"".join(chunks)
                chunks.append(chunk)
        finally:
            close_fd(fd)

    def channel_path(path):
        if type(path) is int:
            return path == RECORD_FD  # (descriptor 3 was closed once the keys were read: it is reused)
        if type(path) is bytes_type:
            path = path.decode("utf-8", "replace")
        if type(path) is not str_type or "proc" not in path and "/dev/fd" not in path:
            return False
        real = realpath(path)
        parts = real.split("/")
        if len(parts) < 3 or parts[1] != "proc":
            return False
        pid = parts[2]
        if pid in ("self", "thread-self") or pid.isdigit():
            rest = parts[3:]
            if rest[:1] == ["task"]:
                rest = rest[2:]
            return bool(rest) and rest[0] in ("mem", "fd", "map_files", "fdinfo")
        return False

    def refuse(event, detail="", allowable=True):
        if event in allowed and allowable:  # a tuple validated before allowances named the asker
            return
        named = event + "@" + place()
        if named in allowed and allowable:
            return
        line = "%s %s" % (named, detail)
        if observe and allowable:
            frame = asker()
            where = "%s:%s" % (frame.f_code.co_filename, frame.f_lineno) if frame is not None else "?"
            report("A\t%s\t%s" % (named, where))
            return
        report("T\tthe test process asked for " + line.strip())
        stop()

    def hook(event, args):
        if event not in JUDGED:
            if event.startswith("ctypes."):
                refuse(event)
            return
        if event in REFUSED:
            refuse(event)
        elif event in TRACERS:
            frame = asker()
            if frame is None or not (trusted(frame.f_code) and (frame.f_code.co_filename.endswith(TRACER_USERS)
                                                                  or frame.f_code.co_filename == launcher)):
                refuse(event)
        elif event == "object.__getattr__":
            if len(args) > 1 and type(args[1]) is str_type and args[1] in FRAME_ATTRS and untrusted_requester():
                refuse("frame-access", args[1])
        elif event == "sys._getframe":
            if not args or args[0].f_code is mine[0] or args[0].f_code is mine[4]:
                return  # the hook's own request (or Python < 3.11, which passes no frame to judge)
            if untrusted_requester():
                refuse(event)
        elif event == "object.__setattr__":
            if len(args) > 1 and type(args[1]) is str_type and args[1] in FUNCTION_ATTRS and untrusted_asker():
                refuse("function-attribute-write", args[1])
        elif event == "compile":
            source, filename = args[0], args[1]
            if type(filename) is not str_type or not trusted_name(filename):
                return
            if filename == launcher:  # fresh copies of synth's own functions: nothing needs them
                refuse("compile-under-a-trusted-name", filename, allowable=False)
            if type(source) in (str_type, bytes_type):
                data = content_of(filename)
                text = source.encode("utf-8") if type(source) is str_type else source
                if data is None or data != text:
                    refuse("compile-under-a-trusted-name", filename)
            else:
                frame = asker()
                if frame is None or not frame.f_code.co_filename.endswith(rewrite):
                    refuse("compile-under-a-trusted-name", filename)
        elif event == "code.__new__":
            filename = args[1] if len(args) > 1 else None
            if type(filename) is str_type and trusted_name(filename) and untrusted_asker():
                refuse(event, filename)
        elif event == "marshal.loads":
            if untrusted_asker():
                refuse(event)
        elif event == "function.__new__":
            if args and type(args[0]) is code_type and args[0].co_filename == launcher:  # a copy of synth's
                refuse("function-copy-of-the-launcher", "", allowable=False)
        elif event == "open":
            if args and channel_path(args[0]):
                refuse("open-the-channel-or-memory", str(args[0])[:80])

    mine = (asker.__code__, untrusted_asker.__code__, hook.__code__, refuse.__code__, untrusted_requester.__code__,
            place.__code__)
    return hook


def _function_state(value):
    """What a function is made of, by identity: its code object, defaults and closure contents
    (a `__code__` swap, a new default or a swapped cell changes it)."""
    inner = _inner(value)
    if type(inner).__name__ != "function":
        return None
    code = inner.__code__
    cells = []
    for cell in inner.__closure__ or ():
        try:
            cells.append(id(cell.cell_contents))
        except ValueError:
            cells.append(None)
    return (id(code), id(getattr(inner, "__defaults__", None)), id(getattr(inner, "__kwdefaults__", None)), tuple(cells))


def _inner(value):
    if isinstance(value, (classmethod, staticmethod)):
        return value.__func__
    if isinstance(value, property):
        return value.fget
    return value


def _has_contents(cell):
    try:
        cell.cell_contents
        return True
    except ValueError:
        return False


RUN_HOOKS = ("pytest_runtest_protocol", "pytest_runtest_setup", "pytest_runtest_call", "pytest_runtest_teardown",
             "pytest_runtest_makereport", "pytest_runtest_logreport", "pytest_runtest_logfinish", "pytest_pyfunc_call",
             "pytest_report_teststatus", "pytest_runtest_logstart")


def _plugin_state(manager):
    """pytest's plugin manager by identity: its plugins, the implementations of the hooks a test's
    run goes through, and its hook executor (what `add_hookcall_monitoring` replaces)."""
    hooks = tuple(tuple(id(impl.function) for impl in getattr(manager.hook, name).get_hookimpls())
                  for name in RUN_HOOKS if hasattr(manager.hook, name))
    return (tuple(sorted(id(p) for _, p in manager.list_name_plugin())), hooks, id(getattr(manager, "_inner_hookexec", None)),
            id(manager.hook))


def _loaded_from_source(module, path, root):
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
    return loader_module is not None and (loader_file is None or not _under(loader_file, root))


def _decorated_defs(path):
    """The names of the functions a test file defines with a decorator (read with `ast`, once per
    file by the caller): only those may reach pytest as a wrapper of the test file's function."""
    import ast

    names = set()
    try:
        with open(path, "rb") as handle:
            tree = ast.parse(handle.read(), "<synth: %s>" % os.path.basename(path))
    except Exception:  # unreadable: no wrapper is allowed for it
        return names
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.decorator_list:
            names.add(node.name)
    return names


def _test_code_problem(obj, name, files, modules, decorated_of):
    """Why the object pytest made an item of is not the test file's function `name` (None when it
    is): its code (or, for a function the test file decorates, the code found down its
    `__wrapped__` chain, judged only to find it) must come from one of the task's test files
    (`files`, names the audit hook keeps honest), bear the test's name, and run in the globals of a
    test module loaded from that file (`modules`: file -> module namespaces)."""
    function, outer = getattr(obj, "__func__", obj), True
    for _ in range(32):
        code = getattr(function, "__code__", None) if type(function).__name__ == "function" else None
        filename = getattr(code, "co_filename", None)
        if code is not None and type(filename) is str and os.path.realpath(filename) in files \
                and code.co_name == name:
            filename = os.path.realpath(filename)
            if not any(function.__globals__ is space for space in modules.get(filename, ())):
                return "its globals are not those of the test module %s" % filename
            if not outer and name not in decorated_of(filename):
                return "a wrapper of a function the test file does not decorate"
            return None
        outer = False
        try:
            function = getattr(function, "__wrapped__", None)
        except Exception:
            function = None
        if function is None:
            break
    where = getattr(getattr(getattr(obj, "__func__", obj), "__code__", None), "co_filename", "?")
    return "its code is not the test file's (%s)" % where


def _vault(batch_key, key_of, wanted, junit_id, write, getframe, end, library, trusted_files, conftest):
    """The executor's verdict and the keys, held only as this generator's frame locals (a frame is
    reached only through `gi_frame`, frames and the heap, which the audit hook refuses to project
    code; closures, defaults and globals hold no key and no result). Synth's hooks send it what
    happened (`send((kind, ...))`); it accepts a message only from one of synth's own functions
    (`codes`, registered first, by code identity: a copy made with `types.FunctionType` is refused
    by the hook), whose closure cells still hold what they held then, with no frame on the stack
    below it that is not the runner's (the standard library, site-packages, the launcher, the
    task's test files and conftest.py): a finaliser, thread or project function that replays a
    hook is refused. Failures stick: a phase or body that did not pass is never made to pass by a
    later message. It writes the keyed records and end lines itself."""
    codes, closures, sealed, forked = frozenset(), (), False, batch_key is None
    collected, functions, phases, body, reported, done, values = {}, {}, {}, {}, {}, set(), {}
    trusted, runner_codes = set(trusted_files), set()  # runner_codes: frames already judged the runner's
    str_type, getcells, same = str, _cells_of, _same

    def refuse(why):
        write(RECORD_FD, ("T\tthe executor was sent a message by %s\n" % why).encode("utf-8", "replace"))
        end(TAMPERED)

    answer = None
    while True:
        message = yield answer
        answer = None
        kind = message[0]
        sender = getframe(1)
        if kind == "codes" and not codes:  # before any project code: synth's functions, as they are now
            codes = frozenset(f.__code__ for f in message[1])
            closures = tuple((f, getcells(f)) for f in message[1])
            continue
        if sender.f_code not in codes:
            refuse("code that is not synth's (%s)" % sender.f_code.co_name)
        frame = sender.f_back
        while frame is not None:
            code = frame.f_code
            if code not in codes and code not in runner_codes:
                name = code.co_filename
                if type(name) is not str_type or not (library(name) or name in trusted or
                                                      name.startswith(conftest[0]) and name.endswith(conftest[1])):
                    refuse("a function called from project code (%s:%s)" % (name, code.co_name))
                runner_codes.add(code)
            frame = frame.f_back
        if kind in ("body", "finish", "end", "end-batch", "seal"):
            for function, cells in closures:
                if not same(getcells(function), cells):
                    refuse("synth's %s with a closure cell changed" % function.__code__.co_name)
        if kind == "collected" and not sealed:
            _, nodeid, item, function, path = message
            collected[nodeid], functions[nodeid] = item, function
            trusted.add(path)
        elif kind == "seal":
            sealed = True
        elif kind == "body":  # the test body: "returned" only for the item and function collection gave
            _, nodeid, item, function, state = message
            if state == "returned" and (collected.get(nodeid) is not item or functions.get(nodeid) is not function):
                state = "not the test collected"
            if body.get(nodeid, "returned") == "returned":
                body[nodeid] = state
        elif kind == "phase":
            _, nodeid, when, outcome, text = message
            seen = phases.setdefault(nodeid, {})
            if when not in seen or seen[when][0] == "passed":
                seen[when] = (outcome, text)
        elif kind == "failed-report":
            reported[message[1]] = "a failed report"
        elif kind == "values" and type(message[2]) is str_type:  # the recorder's digest of the test's call
            values.setdefault(message[1], " ".join(message[2].split("\t")).replace("\n", " ") or "-")
        elif kind == "finish":
            nodeid = message[1]
            ident = junit_id(nodeid)
            seen, state = phases.pop(nodeid, {}), body.pop(nodeid, "not run")
            if wanted is not None and ident not in wanted or ident in done:
                continue
            outcome, text = "passed", ""
            for when in ("setup", "call", "teardown"):
                phase, why = seen.get(when, ("failed", "no %s phase" % when))
                if phase != "passed":
                    outcome = "skipped" if phase == "skipped" else "failed" if when == "call" else "error"
                    text = why or phase
                    break
            if outcome == "passed" and nodeid in reported:
                outcome, text = "failed", reported.pop(nodeid)
            if outcome == "passed" and state != "returned":
                outcome, text = "failed", "the test body did not return normally (%s)" % state
            key = key_of.get(ident) if forked else batch_key
            done.add(ident)
            write(RECORD_FD, ("S\t%s\t%s\t%s\t%s\t%s\n" % (key or "0" * 64, ident, outcome, values.pop(nodeid, "-"),
                                                             " ".join(str_type(text).split())[:300])).encode("utf-8", "replace"))
        elif kind == "fork":  # this process is the fork that confirms one test: only its key stays
            mine = key_of.get(message[1])
            key_of, batch_key, forked = ({message[1]: mine} if mine is not None else {}), None, True
            del mine
        elif kind == "confirming":
            answer = tuple(key_of)
        elif kind == "batch":  # the confirmations are done: the batch runs without their keys
            key_of = {}
        elif kind == "end" and forked and message[1] in key_of and message[1] in done:
            write(RECORD_FD, ("E\t%s\t%s\n" % (key_of[message[1]], message[1])).encode())
        elif kind == "end-batch" and not forked:
            write(RECORD_FD, ("E\t%s\t*\n" % batch_key).encode())


_EMPTY = object()


def _cells_of(function):
    """What a function's closure cells hold (the objects themselves; an empty cell as a marker)."""
    out = []
    for cell in function.__closure__ or ():
        try:
            out.append(cell.cell_contents)
        except ValueError:
            out.append(_EMPTY)
    return tuple(out)


def _same(one, other):
    """Two tuples of the same objects, by identity (never `==`, which an object can answer)."""
    return len(one) == len(other) and all(a is b for a, b in zip(one, other))


def _child(spec, index):
    import fcntl
    import functools
    import importlib
    import types

    child = spec["children"][index]
    root, solo, ids = spec["root"], child["mode"] == "solo", child.get("ids")
    confirm = [] if solo else list(child.get("confirm") or [])  # F2P tests confirmed in forks first
    keys = _read_keys(len(ids) if solo else 1 + len(confirm))
    fcntl.fcntl(RECORD_FD, fcntl.F_SETFD, fcntl.FD_CLOEXEC)
    _non_dumpable()
    write, end, fork, waitpid, flush_out = os.write, os._exit, os.fork, os.waitpid, sys.stdout.flush
    base_exception, str_type, type_of, zip_, all_ = BaseException, str, type, zip, all
    # the launcher's own helpers as the check and the records use them (not looked up in the
    # launcher's module, which the project can reach as __main__)
    has_contents, function_state, inner_of, junit_id = _has_contents, _function_state, _inner, _junit_id
    plugin_state = _plugin_state
    test_code_problem, decorated_defs, realpath = _test_code_problem, _decorated_defs, os.path.realpath

    def loaded_from(module, path, check=_loaded_from_source):
        return check(module, path, root)
    wanted = frozenset(ids) if ids is not None else None
    manager_state = []

    def report(line):
        write(RECORD_FD, (" ".join(line.split("\n")) + "\n").encode("utf-8", "replace"))

    def stop():
        try:
            flush_out()
        except base_exception:
            pass
        end(TAMPERED)

    tail = _project_last(root)
    import pytest
    import unittest

    sys.path.extend(tail)
    plugins = [importlib.import_module(name) for name in spec.get("plugins", [])]
    for name in WATCHED:
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    case_methods = tuple((k, v) for k, v in vars(unittest.TestCase).items() if isinstance(v, types.FunctionType)
                         and not k.startswith("__") and k not in ("run", "debug", "setUp", "tearDown", "doCleanups"))
    method_type, partial, skip, fail = types.MethodType, functools.partial, pytest.skip, pytest.fail
    test_case = unittest.TestCase
    function_item = pytest.Function
    # the runner, by content: every watched function's code, defaults and closure contents
    entries = []

    def watch(label, space):
        for key, value in list(space.items()):
            state = _function_state(value)
            if state is not None or callable(value):
                entries.append((label, space, key, (value,), (state,)))

    import builtins

    watch("the launcher", vars(sys.modules["__main__"]))
    watch("builtins", vars(builtins))
    for name in WATCHED:
        module = sys.modules.get(name)
        if module is None:
            continue
        watch(name, vars(module))
        for value in list(vars(module).values()):
            if isinstance(value, type) and value.__module__ == name:
                watch(name + "." + value.__name__, value.__dict__)
    stdlib = os.path.dirname(os.__file__) + "/"
    here = os.path.dirname(os.path.abspath(__file__))
    prefixes = tuple(sorted({stdlib} | {p.rstrip("/") + "/" for p in sys.path if p and not _under(p, root)
                                        and os.path.abspath(p) != here} | {os.path.abspath(__file__)}))
    trusted_files = frozenset(os.path.join(root, f) for f in spec.get("trusted", []))

    cells = [(label + "." + key, cell, cell.cell_contents) for label, space, key, values, states in entries
             if states[0] is not None for cell in (_inner(values[0]).__closure__ or ()) if _has_contents(cell)]

    def settle():
        """Accept what pytest changed in itself while it configured (a function of a trusted file in
        place of another: the audit hook keeps file names honest); from collection on, nothing."""
        for at, (label, space, key, values, states) in enumerate(entries):
            current = space.get(key)
            if all_(current is not value for value in values):
                inner = inner_of(current)
                code = getattr(inner, "__code__", None) if type_of(inner).__name__ == "function" else None
                if code is not None and code.co_filename.startswith(prefixes):
                    # pytest undoes some of these when it unconfigures: both are its own
                    entries[at] = (label, space, key, values + (current,), states + (function_state(current),))
                    cells.extend((label + "." + key, cell, cell.cell_contents) for cell in inner.__closure__ or ()
                                 if has_contents(cell))

    def check(full=False):
        """What changed in the runner: every watched name must hold the same object, every cell of
        its functions the same contents (`__code__` and defaults writes are refused by the audit
        hook; `full` compares them too), every signal handler the project's code installed is one."""
        problems = []
        for label, space, key, values, states in entries:
            current = space.get(key)
            if current is values[0] and not full:
                continue  # the common case, kept cheap: this runs after every test
            known = [state for value, state in zip_(values, states) if current is value]
            if not known or full and function_state(current) != known[0]:
                problems.append("%s.%s" % (label, key))
        for label, cell, contents in cells:
            if not has_contents(cell) or cell.cell_contents is not contents:
                problems.append("a closure cell of " + label)
        for number, handler in handlers.items():
            current = getsignal(number)
            if current is not handler:
                code = getattr(current, "__code__", None)
                if code is not None and not code.co_filename.startswith(prefixes):
                    problems.append("a signal handler installed by the project (%d)" % number)
        return problems

    # signal handlers receive the interrupted frame (not audited): a handler the project installs
    # is a change of the runner at the next check
    import signal

    signals = [getattr(signal, n) for n in dir(signal) if n.startswith("SIG") and not n.startswith("SIG_")
               and isinstance(getattr(signal, n), int)]
    handlers = {}
    for number in signals:
        try:
            handlers[number] = signal.getsignal(number)
        except (ValueError, OSError):
            pass
    getsignal = signal.getsignal

    launcher_file = os.path.abspath(__file__)

    def library(name):
        return name.startswith("<frozen ") or name.startswith(prefixes) or name == launcher_file

    # values (issue 17 item 6): in a confirming fork, what the functions the gold changes return on
    # the test's calls, kept by a recorder whose state is its frame's locals, like the vault's
    record, values_on = child.get("record") or {}, []
    value_send = value_lock = None
    if record:
        value_send, value_lock = _values(record, root, os.path.abspath(__file__))
    # the keys and the verdicts from here on live only in the vault's frame (docs/code-grading.md)
    vault = _vault(None if solo else keys[0], dict(zip(ids, keys)) if solo else dict(zip(confirm, keys[1:])), wanted,
                   _junit_id, os.write, sys._getframe, os._exit, library, trusted_files, (root.rstrip("/") + "/", "/conftest.py"))
    next(vault)
    send = vault.send
    del keys, vault
    sys.addaudithook(_make_hook(root, prefixes, trusted_files, spec.get("allow", []), bool(spec.get("observe")), report, stop))

    test_modules = set()
    environ = os.environ

    def unmarked():
        """A test confirmed in its own fork runs its body without pytest's "a test is running"
        variable (set by pytest's own pytest_runtest_call, after synth's): code that is right only
        while PYTEST_CURRENT_TEST is set stays wrong there (T4; pytest sets it again for teardown)."""
        if values_on:
            environ.pop("PYTEST_CURRENT_TEST", None)

    def run_case(item):
        """A TestCase test by synth's executor: setUp, the method, tearDown and the cleanups, each
        inside `except BaseException`; the runner's methods bound on the instance first."""
        case = getattr(item, "_testcase", None) or item.instance  # pytest < 8.2 kept it in _testcase
        name = item.name
        method = getattr(case, name)
        called = getattr(method, "__func__", method)
        cls = type_of(case)
        if getattr(cls, "__unittest_skip__", False) or getattr(method, "__unittest_skip__", False):
            send(("body", item.nodeid, item, called, "skipped"))
            skip(getattr(method, "__unittest_skip_why__", "") or getattr(cls, "__unittest_skip_why__", ""))
        own = str_type(getattr(item, "path", None) or getattr(item, "fspath", ""))
        for attr, function in case_methods:
            owner = next((k for k in cls.__mro__ if attr in vars(k)), None)
            winner = inner_of(vars(owner)[attr]) if owner is not None else None
            code = getattr(winner, "__code__", None) if type_of(winner).__name__ == "function" else None
            name = getattr(code, "co_filename", None)
            # unittest's own unless the test file (or a library) defines it: a name the project
            # set on the test class (a no-op `assertEqual`) is not what the test runs
            if owner is test_case or type_of(name) is not str_type or not (
                    name in trusted_files or name == own or library(name)):
                case.__dict__[attr] = method_type(function, case)
        case._outcome = None
        unmarked()
        expecting = getattr(method, "__unittest_expecting_failure__", False) or \
            getattr(cls, "__unittest_expecting_failure__", False)
        errors = []
        try:
            case.setUp()
        except base_exception as exc:
            errors.append(exc)
        if not errors:
            try:
                method()
            except base_exception as exc:
                errors.append(exc)
            try:
                case.tearDown()
            except base_exception as exc:
                errors.append(exc)
        while getattr(case, "_cleanups", None):
            function, args, kwargs = case._cleanups.pop()
            try:
                function(*args, **kwargs)
            except base_exception as exc:
                errors.append(exc)
        if expecting:
            send(("body", item.nodeid, item, called, "an expected failure"))
            if errors:
                skip("expected failure")
            fail("unexpected success")
        if errors:
            send(("body", item.nodeid, item, called, "raised " + type_of(errors[0]).__name__))
            raise errors[0]
        send(("body", item.nodeid, item, called, "returned"))

    # synth's plugin: functions in a namespace, not a class (a class is found by anyone through
    # object.__subclasses__()); what they learn goes to the vault, none of it stays in a closure
    hookimpl = pytest.hookimpl

    @hookimpl(tryfirst=True)
    def pytest_pyfunc_call(pyfuncitem):
        function = pyfuncitem.obj
        nodeid = pyfuncitem.nodeid
        called = getattr(function, "__func__", function)
        if getattr(function, "__code__", None) is not None and function.__code__.co_flags & 0x380:
            send(("body", nodeid, pyfuncitem, called, "a coroutine or generator"))
            return None
        funcargs = pyfuncitem.funcargs
        arguments = {arg: funcargs[arg] for arg in pyfuncitem._fixtureinfo.argnames}
        unmarked()
        try:
            function(**arguments)
        except base_exception as exc:
            send(("body", nodeid, pyfuncitem, called, "raised " + type_of(exc).__name__))
            raise
        send(("body", nodeid, pyfuncitem, called, "returned"))
        return True

    @hookimpl(tryfirst=True)
    def pytest_runtest_call(item, _on=values_on, _values=value_send, _lock=value_lock):
        if type_of(item).__name__ == "TestCaseFunction" and (getattr(item, "_testcase", None) or item.instance) is not None:
            item.runtest = partial(run_case, item)
        if _on and _values is not None:  # the recorder installs its own tracer (it takes none from here)
            with _lock:
                _values(("start",))

    @hookimpl(tryfirst=True)
    def pytest_runtest_logreport(report, _on=values_on, _values=value_send, _lock=value_lock):
        if report.when == "call" and _on and _values is not None:
            with _lock:
                digest = _values(("digest",))  # (the recorder removes its tracer first)
            if digest is not None:
                send(("values", report.nodeid, digest))
        if report.when in ("setup", "call", "teardown"):
            text = "" if report.passed else " ".join(str_type(getattr(report, "longreprtext", "")).split()[-40:])
            send(("phase", report.nodeid, report.when, report.outcome, text))
        elif report.failed:
            send(("failed-report", report.nodeid))

    @hookimpl(tryfirst=True)
    def pytest_runtest_logfinish(nodeid, location):
        problems = check()
        if manager_state and manager_state[0] != plugin_state(manager_state[1]):
            problems.append("pytest's plugin manager (a plugin or hook implementation registered, removed or "
                            "monitored after collection)")
        if problems:
            report("T\tthe runner changed: " + ", ".join(problems[:5]))
            stop()
        send(("finish", nodeid))

    @hookimpl(tryfirst=True)
    def pytest_collection(session):
        settle()

    @hookimpl(trylast=True)
    def pytest_collection_modifyitems(session, config, items):
        for item in items:
            module = getattr(item, "module", None)
            if module is not None and id(module) not in test_modules:
                test_modules.add(id(module))
                path = str(getattr(item, "path", None) or getattr(item, "fspath", ""))
                if not loaded_from(module, path):
                    report("T\tthe test module %s was not loaded from its file" % getattr(module, "__name__", path))
                    stop()
                watch(getattr(module, "__name__", "a test module"), vars(module))
        files = {realpath(f) for f in trusted_files}
        files.update(realpath(str_type(getattr(item, "path", None) or getattr(item, "fspath", ""))) for item in items)
        modules = {}
        for module in list(sys.modules.values()):
            module_file = getattr(module, "__file__", None)
            if type_of(module_file) is str_type and realpath(module_file) in files and \
                    loaded_from(module, module_file):
                modules.setdefault(realpath(module_file), []).append(vars(module))
        decorated = {}

        def decorated_of(path):
            if path not in decorated:
                decorated[path] = decorated_defs(path)
            return decorated[path]

        for item in items:
            if not isinstance(item, function_item):
                continue
            try:
                obj = item.obj
            except base_exception:
                continue
            name = item.name if type_of(item).__name__ == "TestCaseFunction" else \
                (getattr(item, "originalname", None) or item.name.partition("[")[0])
            problem = test_code_problem(obj, name, files, modules, decorated_of)
            if problem is not None:
                report("T\tthe test %s is not the test file's function: %s" % (item.nodeid, problem))
                stop()
        del decorated_of, decorated, modules, files
        if wanted is not None:
            keep = [item for item in items if junit_id(item.nodeid) in wanted]
            dropped = [item for item in items if junit_id(item.nodeid) not in wanted]
            if dropped:
                config.hook.pytest_deselected(items=dropped)
            items[:] = keep
        for item in items:  # the items (and test functions) the executor may record, by identity
            try:
                obj = item.obj
            except base_exception:
                obj = None
            path = str(getattr(item, "path", None) or getattr(item, "fspath", ""))
            send(("collected", item.nodeid, item, getattr(obj, "__func__", obj), path))

    @hookimpl(tryfirst=True)
    def pytest_runtestloop(session):
        manager = session.config.pluginmanager
        manager_state[:] = [plugin_state(manager), manager]
        send(("seal",))
        halted = session.testsfailed and not session.config.option.continue_on_collection_errors
        if not solo:
            # a batch child confirming F2P tests: each in its own fork first, before any test ran
            # here; then the batch, in this process, without their keys
            confirming = send(("confirming",))
            if confirming and not halted:
                fork_each([item for item in session.items if junit_id(item.nodeid) in confirming])
            send(("batch",))
            return None
        if halted:
            raise session.Interrupted("%d errors during collection" % session.testsfailed)
        fork_each(session.items)
        return True

    def fork_each(items):
        import _thread
        import warnings

        for item in items:
            flush_out()
            sys.stderr.flush()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # fork in a multi-threaded process: ours, deliberate
                pid = fork()
            if pid == 0:
                # this fork keeps only its own test's key and runs the test in a thread of its own:
                # the thread that forked (the fork's main thread, where signal handlers run) waits,
                # and a thread that is not the main one may not install a signal handler
                ident = junit_id(item.nodeid)
                send(("fork", ident))
                values_on.append(True)
                _in_a_thread(_thread, lambda: item.config.hook.pytest_runtest_protocol(item=item, nextitem=None))
                flush_out()
                send(("end", ident))  # the runner's own end of this test: the record before it counts
                end(0)
            status = waitpid(pid, 0)[1]
            if status != 0:
                report("X\t%s\tstatus %d" % (junit_id(item.nodeid), status))

    keyed = types.SimpleNamespace(**{name: value for name, value in locals().items() if name.startswith("pytest_")})

    files = list(child.get("files", []))
    if solo and not child.get("collect_all"):  # only the files of the tests asked for are collected
        files = _files_of(ids, child.get("rootdir", root)) or files
    args = list(child["args"]) + ["-p", "no:debugging"] + files
    scope = dict(locals())
    ours = [value for value in scope.values() if type_of(value) is types.FunctionType
            and value.__code__.co_filename == launcher_file and value.__code__ is not library.__code__]
    ours.append(sys.modules["__main__"]._child)
    del scope
    send(("codes", ours))
    del ours
    code = pytest.main(args, plugins=plugins + [keyed])
    problems = check(full=True)
    if problems:
        report("T\tthe runner changed: " + ", ".join(problems[:5]))
        stop()
    if not solo:  # the runner's own end of the session: the records before it count
        send(("end-batch",))
    flush_out()
    sys.stderr.flush()
    return int(code)


# -- values (issue 17 item 6): what the functions the gold changes return in a confirming fork ------
VALUE_CALLS, VALUE_SHORT, VALUE_NODES, ARGUMENT_NODES, VALUE_DEPTH = 8, 60, 50000, 256, 200
"""Distinct calls kept one by one per function and test (for the message naming the first that
differs) and the characters of each kept; the nodes a value and each argument of a call (a
method's `self` with all it holds, at every call: the cost) are read to, and the nesting (past
any, that value or argument is one text, "<too large>" or "<too deep>")."""
VALUE_VERSION = "v2:"
"""The digest's format: a function's values are the set of its distinct (arguments -> value) pairs."""


def _encoder():
    """`encode(value) -> str`: the canonical text of a value, whole (no cut: long parts by hash),
    read without calling any method of the value's own classes (C-level getters of builtin types
    only), as a test's `==` would tell values apart: numbers by exact numeric value (1 == 1.0 ==
    True, 0.0 == -0.0, Fraction and Decimal alike), str, bytes and bytearray by content, tuple, list
    and deque as sequences, dict and its subclasses as mappings (sorted), set and frozenset alike;
    an Enum member by its class and name, an exception by its type, a type or function by its
    qualified name; any other object by its type's name, its instance attributes and slots, and a
    C type's own `__reduce__` (date, range, array; a method descriptor in the type's own dict, so C
    code the diff cannot have written); a cycle by how far up it points."""
    import collections
    import decimal
    import enum
    import fractions
    import functools
    import hashlib
    import types

    sha, type_type, str_type, tuple_type, list_type, dict_type = hashlib.sha256, type, str, tuple, list, dict
    mro_of, qualname_of, module_of, flags_of, dict_of_class = (type.__dict__[n].__get__ for n in (
        "__mro__", "__qualname__", "__module__", "__flags__", "__dict__"))
    getset_type, member_type, method_descriptor = (types.GetSetDescriptorType, types.MemberDescriptorType,
                                                  types.MethodDescriptorType)
    module_type, function_type, object_type = types.ModuleType, types.FunctionType, object
    proxy_get, proxy_items = types.MappingProxyType.get, types.MappingProxyType.items
    module_dict = types.ModuleType.__dict__["__dict__"].__get__
    function_qualname = types.FunctionType.__dict__["__qualname__"].__get__
    numerator = fractions.Fraction.__dict__["_numerator"].__get__
    denominator = fractions.Fraction.__dict__["_denominator"].__get__
    complex_real, complex_imag = complex.__dict__["real"].__get__, complex.__dict__["imag"].__get__
    deque = collections.deque
    heap = 1 << 9
    inf = float("inf")
    kinds = {bool: "int", int: "int", float: "float", complex: "complex", fractions.Fraction: "fraction",
             decimal.Decimal: "decimal", str: "str", bytes: "bytes", bytearray: "bytes", tuple: "seq", list: "seq",
             deque: "seq", dict: "map", set: "set", frozenset: "set", enum.Enum: "enum", BaseException: "exception",
             type: "type", types.FunctionType: "function", types.BuiltinFunctionType: "function",
             types.ModuleType: "module"}
    del collections, decimal, enum, fractions, functools

    def name(kind):
        module, qualname = module_of(kind, type_type), qualname_of(kind, type_type)
        return "%s.%s" % (module if type(module) is str_type else "?", qualname if type(qualname) is str_type else "?")

    def first(pair):
        return pair[0] if type(pair[0]) is str_type else ""

    def integer(value):
        try:
            return int.__repr__(value)
        except ValueError:  # more digits than str() converts
            return "0x" + int.__format__(value, "x")

    def rational(pair):
        top, bottom = pair
        return "n" + integer(top) if bottom == 1 else "q%s/%s" % (integer(top), integer(bottom))

    def real(number):  # an exact float
        if number != number:
            return "nan"
        if number == inf or number == -inf:
            return "inf" if number > 0 else "-inf"
        return rational(float.as_integer_ratio(number))

    def long(tag, data, shown):
        return tag + shown if len(shown) <= 200 else "%s#%d:%s" % (tag, len(shown), sha(data).hexdigest()[:32])

    def encode(value, depth, budget, active):
        budget[0] -= 1
        if budget[0] < 0:
            raise OverflowError("too large")
        if depth > VALUE_DEPTH:
            raise OverflowError("too deep")
        kind = type(value)
        if value is None:
            return "N"
        tag, base = None, None
        for klass in mro_of(kind, type_type):
            tag = kinds.get(klass)
            if tag is not None:
                base = klass
                break
        if tag == "int":
            return "n" + integer(int.__int__(value))
        if tag == "float":
            return real(float.__float__(value))
        if tag == "complex":
            imag = complex_imag(value)
            return real(complex_real(value)) if imag == 0 else "c(%s,%s)" % (real(complex_real(value)), real(imag))
        if tag == "fraction":
            return rational((numerator(value), denominator(value)))
        if tag == "decimal":
            if base.is_nan(value):
                return "nan"
            if base.is_infinite(value):
                return "-inf" if base.is_signed(value) else "inf"
            return rational(base.as_integer_ratio(value))
        if tag == "str":
            text = str.__str__(value)
            return long("s", str.encode(text, "utf-8", "surrogatepass"), str.__repr__(text))
        if tag == "bytes":
            shown = base.hex(value)
            return long("b", str.encode(shown, "ascii"), shown)
        if tag == "enum":
            members = instance_dict(value, kind)
            member = dict_type.get(members, "_name_") if members is not None else None
            return "e%s.%s" % (name(kind), member if type(member) is str_type else "?")
        if tag == "exception":
            return "x" + name(kind)
        if tag == "type":
            return "t" + name(value)
        if tag == "function":
            qualname = function_qualname(value) if base is function_type else None
            return "f" + (qualname if type(qualname) is str_type else "?")
        if tag == "module":
            space = module_dict(value)
            label = dict_type.get(space, "__name__") if type(space) is dict_type else None
            return "M" + (label if type(label) is str_type else "?")
        key = id(value)
        if key in active:
            return "<cycle %d>" % (depth - active[key])
        active[key] = depth
        try:
            if tag == "seq":
                return "[%s]" % ",".join([encode(item, depth + 1, budget, active) for item in list(base.__iter__(value))])
            if tag == "map":
                return "{%s}" % ",".join(sorted([encode(k, depth + 1, budget, active) + ":" + encode(v, depth + 1, budget, active)
                                                 for k, v in list(dict_type.items(value))]))
            if tag == "set":
                return "S{%s}" % ",".join(sorted([encode(item, depth + 1, budget, active) for item in list(base.__iter__(value))]))
            return plain(value, kind, depth, budget, active)
        finally:
            del active[key]

    def instance_dict(value, kind):
        for klass in mro_of(kind, type_type):
            found = proxy_get(dict_of_class(klass, type_type), "__dict__")
            if type(found) is getset_type:
                space = found.__get__(value, kind)
                return space if type(space) is dict_type else None
        return None

    def plain(value, kind, depth, budget, active):
        parts = []
        # a C type's own __reduce__ (a method descriptor in its own dict: C code the diff cannot
        # have written; array.array has only __reduce_ex__)
        own, arguments = proxy_get(dict_of_class(kind, type_type), "__reduce__"), ()
        if type(own) is not method_descriptor:
            own, arguments = proxy_get(dict_of_class(kind, type_type), "__reduce_ex__"), (4,)
        if type(own) is method_descriptor:
            try:
                reduced = own(value, *arguments)
            except Exception:
                reduced = None
            if type(reduced) is tuple_type:
                parts.append("r" + encode(tuple_type.__getitem__(reduced, slice(1, 3)), depth + 1, budget, active))
        space = instance_dict(value, kind)
        if space is not None:
            parts.extend(sorted([encode(k, depth + 1, budget, active) + "=" + encode(v, depth + 1, budget, active)
                                 for k, v in list(dict_type.items(space))]))
        for klass in mro_of(kind, type_type):
            if klass is object_type or not flags_of(klass, type_type) & heap:
                continue
            for slot, descriptor in sorted(proxy_items(dict_of_class(klass, type_type)), key=first):
                if type(descriptor) is member_type:
                    try:
                        parts.append(slot + "=" + encode(descriptor.__get__(value, kind), depth + 1, budget, active))
                    except AttributeError:  # an empty slot
                        pass
        return "o%s(%s)" % (name(kind), ",".join(parts))

    def whole(value, nodes=VALUE_NODES):
        try:
            return encode(value, 0, [nodes], {})
        except OverflowError as exc:
            return "<%s>" % exc.args[0]
        except RecursionError:
            return "<too deep>"
        except Exception as exc:  # never a project method: only a bug of ours can land here
            return "<unreadable %s>" % type(exc).__name__

    def arguments(values):
        """A call's arguments (a tuple), each read to ARGUMENT_NODES."""
        return "[%s]" % ",".join([whole(value, ARGUMENT_NODES) for value in values])

    whole.arguments = arguments
    return whole


def _recorder(launcher, write, end, getframe, settrace, modules, cut, full, plain):
    """The values of one test's calls, held only as this generator's frame locals (the vault's rule:
    a frame is reached only through what the audit hook refuses to project code). Its first message
    is the tracer (`_value_tracer`), kept here; the tracer's functions send `("call", where, args,
    globals, code)` (answered with the call's label and its arguments' text) and `("returned" |
    "raised", label, value, arguments' text, arguments)`; synth's hooks send `("start",)` and
    `("digest",)` (once each), and the recorder itself installs and removes the tracer then: a
    hook's arguments can be given by whoever calls it, the tracer it installs cannot.

    A call is its pair (arguments -> value, and the arguments again after a call that returned None
    when it changed them: a procedure that works by mutation), each by `_encoder`'s text; a function's values are the
    set of its distinct pairs (a cache that calls it less, a worker thread that calls it in another
    order give the same set). Beside them, for each watched function, where the name the gold
    changed is bound (in its module, at the start and the end of the test, and in the namespaces its
    calls ran in): a function kept under the watched name while the name is rebound to other code
    differs from the gold there. `full`: the watched (file, qualified name) pairs; `plain` (before
    Python 3.11, no qualified names on code objects): a call is matched by its plain name and then
    resolved to the qualified name whose function has its code."""
    import hashlib
    import json
    import types

    encode = _encoder()
    encode_arguments = encode.arguments
    sha, dumps, str_type, type_type, code_type = hashlib.sha256, json.dumps, str, type, types.CodeType
    qualname_of, module_of = (type.__dict__[n].__get__ for n in ("__qualname__", "__module__"))
    module_type, function_type, dict_type = types.ModuleType, types.FunctionType, dict
    module_dict = types.ModuleType.__dict__["__dict__"].__get__
    function_code = types.FunctionType.__dict__["__code__"].__get__
    class_dict = type.__dict__["__dict__"].__get__
    proxy_get = types.MappingProxyType.get
    unwrap = {staticmethod: staticmethod.__dict__["__func__"].__get__, classmethod: classmethod.__dict__["__func__"].__get__,
              property: property.__dict__["fget"].__get__}
    import functools

    unwrap[functools.partial] = functools.partial.__dict__["func"].__get__
    cache_type = type(functools.lru_cache(None)(len))
    cache_dict = cache_type.__dict__["__dict__"].__get__
    del functools
    candidates = {}
    for file, qualname in full:
        candidates.setdefault((file, qualname.rpartition(".")[2]), []).append(qualname)
    senders, trace, started, finished, calls, homes = frozenset(), None, False, False, {}, {}

    def name(kind):
        module, qualname = module_of(kind, type_type), qualname_of(kind, type_type)
        return "%s.%s" % (module if type(module) is str_type else "?", qualname if type(qualname) is str_type else "?")

    def resolve(space, qualname):
        """What a namespace binds at a qualified name (dicts read directly, nothing called)."""
        found = space
        for part in qualname.split("."):
            if type(found) is dict_type:
                found = dict_type.get(found, part)
            elif issubclass(type(found), type_type):  # (never isinstance: it reads a project's __class__)
                found = proxy_get(class_dict(found, type_type), part)
            else:
                return None
        return found

    def reach(found):
        """The code a binding runs: through staticmethod, classmethod, property, partial and a
        cache wrapper (its `__wrapped__`), never through a project's own wrapper."""
        for _ in range(8):
            kind = type(found)
            if kind is function_type:
                code = function_code(found)
                return code, "%s:%s" % (code.co_filename[cut:], code.co_name if plain else code.co_qualname)
            if kind in unwrap:
                found = unwrap[kind](found)
            elif kind is cache_type:
                found = dict_type.get(cache_dict(found), "__wrapped__")
            else:
                return None, "<%s>" % name(kind)
        return None, "?"

    def label_of(file, qualname):
        return file[cut:] + ":" + qualname

    def bindings(when):
        spaces = {}
        for module in list(dict_type.values(modules)):
            if type(module) is module_type:
                space = module_dict(module)
                if type(space) is dict_type:
                    spaces.setdefault(dict_type.get(space, "__file__"), []).append(space)
        for file, qualname in full:
            if "<locals>" in qualname:
                continue
            label = label_of(file, qualname)
            seen = list(spaces.get(file, [])) + list((homes.get(label) or {}).values())
            want = label_of(file, qualname.rpartition(".")[2]) if plain else label  # (a code's plain name)
            for space in seen:
                code, where = reach(resolve(space, qualname))
                if where != want:
                    note("binding", label, "%s: %s is bound to %s" % (when, qualname, where))

    def note(tag, label, shown):
        entry = calls.get(label)
        if entry is None:
            entry = calls[label] = [0, set(), []]
        digest = sha(("%s %s" % (tag, shown)).encode("utf-8", "surrogatepass")).hexdigest()
        if digest not in entry[1]:
            entry[1].add(digest)
            if len(entry[2]) < VALUE_CALLS:
                entry[2].append([digest[:12], shown[:VALUE_SHORT]])
        return entry

    def label_for(file, qualname, space, code):
        if not plain:
            return label_of(file, qualname)
        for full_name in candidates.get((file, qualname), ()):
            found, _ = reach(resolve(space, full_name))
            if found is None or found is code:  # unresolvable (a local or a project's wrapper): by name
                return label_of(file, full_name)
        return None

    def refuse(why):
        write(RECORD_FD, ("T\tthe value recorder was sent a message by %s\n" % why).encode("utf-8", "replace"))
        end(TAMPERED)

    answer = None
    while True:
        message = yield answer
        answer = None
        sender = getframe(1).f_code
        if trace is None:  # the first message, before any project code: the tracer (and its per-frame code)
            trace = message
            senders = frozenset([trace.__code__] + [c for c in trace.__code__.co_consts if type(c) is code_type])
            continue
        kind = message[0]
        if kind == "start" or kind == "digest":
            if sender.co_filename != launcher:
                refuse("code that is not synth's (%s)" % sender.co_name)
            if kind == "start" and not started and not finished:
                started = True
                bindings("at the start")
                settrace(trace)
            elif kind == "digest" and started and not finished:
                settrace(None)
                started, finished = False, True
                bindings("at the end")
                answer = dumps({label: [count, VALUE_VERSION + sha("\n".join(sorted(pairs)).encode()).hexdigest()[:16], kept]
                                for label, (count, pairs, kept) in calls.items()},
                               sort_keys=True, separators=(",", ":"), ensure_ascii=True)
            continue
        if sender not in senders:
            refuse("code that is not synth's tracer (%s)" % sender.co_name)
        if not started:
            continue
        if kind == "call":
            where, arguments, space, code = message[1], message[2], message[3], message[4]
            label = label_for(where[0], where[1], space, code)
            if label is not None:
                if type(space) is dict_type:
                    homes.setdefault(label, {})[id(space)] = space
                answer = (label, encode_arguments(arguments))
            continue
        label, value, before, arguments = message[1], message[2], message[3], message[4]
        if kind == "raised":
            if value is GeneratorExit:  # a generator closed unfinished: when depends on the collector
                continue
            shown = "raise " + name(value)
        else:
            shown = encode(value)
        # a procedure's result is what it leaves: its arguments are read again after a call that
        # returned None (a function that returns a value is judged by it; a cache it fills on an
        # argument is not its result)
        after = encode_arguments(arguments) if kind == "returned" and value is None else before
        entry = note("call", label, before + " -> " + shown + ("" if after == before else " (then " + after + ")"))
        entry[0] += 1


def _value_tracer(names, send, lock, frame_type, plain, suspend, caller):
    """sys.settrace's function for a confirming fork (the test's thread, and every thread it starts):
    a call of a code object named in `names` ((file, qualified name) pairs; plain names before 3.11)
    gets a per-frame function that sends its arguments, then each return (a generator's each yield;
    a coroutine's suspensions are not values) or raise, with the arguments as they are then, to the
    recorder. Holds nothing a project could swap: its arguments are defaults (writing `__defaults__`
    is refused), the per-frame functions live only in the frame's f_trace, it answers only for a
    real frame (`frame_type`: a project may reach this function through sys.gettrace(), never a
    frame of its own) and only when the interpreter calls it, for that frame (`caller(1) is frame`:
    a signal handler is handed a real frame, and calling the tracer with it from the handler is not
    the interpreter's event); only the recorder's `send` ever sees a value, never a frame."""

    def trace(frame, event, arg, _names=names, _plain=plain,
              _rest=(send, lock, frame_type, suspend, type, dict.get, caller, dict)):
        if event != "call":
            return None
        code = frame.f_code
        where = (code.co_filename, code.co_name if _plain else code.co_qualname)
        if where not in _names:
            return None  # (every other call stops here: what the tracer costs the rest, kept short)
        _send, _lock, _frame, _suspend, _type, _get, _caller, _dict = _rest
        if _type(frame) is not _frame or _caller(1) is not frame:
            return None
        flags = code.co_flags
        count = code.co_argcount + code.co_kwonlyargcount + (1 if flags & 4 else 0) + (1 if flags & 8 else 0)
        space = frame.f_locals
        if _type(space) is not dict:  # (3.13 on: a C proxy of the frame's locals)
            space = _dict(space)
        arguments = tuple([_get(space, n) for n in code.co_varnames[:count]])
        with _lock:
            answer = _send(("call", where, arguments, frame.f_globals, code))
        if answer is None:
            return None
        label, before = answer
        coroutine, pending = flags & 0x180, [None]

        def local(frame, event, arg):
            if _type(frame) is not _frame:
                return None
            if event == "line":
                if pending[0] is not None and _caller(1) is frame:
                    pending[0] = None
                return local
            if _caller(1) is not frame:  # not the interpreter's event for this frame
                return None
            if event == "exception":
                pending[0] = arg[0]
            elif event == "return":
                at = frame.f_lasti + _suspend[0]
                if coroutine and pending[0] is None and 0 <= at < len(code.co_code) and code.co_code[at] == _suspend[1]:
                    return local  # an await that suspends: not a value
                with _lock:
                    if pending[0] is not None and arg is None:
                        _send(("raised", label, pending[0], before, arguments))
                    else:
                        _send(("returned", label, arg, before, arguments))
                pending[0] = None
            return local
        return local
    return trace


def _values(record, root, launcher):
    """The recorder and its tracer for the watched functions `record` (file -> qualified names),
    and threading's threads traced too (each starts with the tracer: a fix may call a watched
    function in a worker thread). Returns the recorder's `send` and the lock every sender holds."""
    import _thread
    import opcode
    import threading

    plain = not hasattr(_values.__code__, "co_qualname")
    full = frozenset((f, q) for f, names in record.items() for q in names)
    names = frozenset((f, q.rpartition(".")[2]) for f, q in full) if plain else full
    recorder = _recorder(launcher, os.write, os._exit, sys._getframe, sys.settrace, sys.modules,
                         len(root.rstrip("/")) + 1, full, plain)
    next(recorder)
    send, lock = recorder.send, _thread.allocate_lock()
    # where a suspended coroutine's frame stands: before its YIELD_FROM (before 3.11), at its
    # YIELD_VALUE (3.11, 3.12), just after it (3.13 on)
    suspend = (2, opcode.opmap["YIELD_FROM"]) if "YIELD_FROM" in opcode.opmap else \
        (-2 if sys.version_info >= (3, 13) else 0, opcode.opmap["YIELD_VALUE"])
    trace = _value_tracer(names, send, lock, type(sys._getframe()), plain, suspend, sys._getframe)
    send(trace)

    def _bootstrap_inner(self, _inner=threading.Thread._bootstrap_inner, _set=sys.settrace, _trace=trace):
        _set(_trace)
        return _inner(self)

    threading.Thread._bootstrap_inner = _bootstrap_inner
    return send, lock


def _in_a_thread(thread_module, work):
    """Run `work` in a new thread while this one waits: signal handlers run only in the main
    thread, with its frame, and a thread that is not the main one may not install them."""
    done = thread_module.allocate_lock()
    done.acquire()
    outcome = []

    def run():
        try:
            outcome.append(work())
        except BaseException as exc:  # reported by the waiting thread
            outcome.append(exc)
        finally:
            done.release()

    thread_module.start_new_thread(run, ())
    del run
    done.acquire()
    return outcome[0] if outcome else None


def main(argv):
    mode = argv[1]
    if mode == "probe":
        probe(argv[2], argv[3:])
    elif mode == "run":
        sys.exit(supervise(argv[2]))
    elif mode == "child":
        import _thread

        spec, index = _load(argv[2]), int(argv[3])
        # the tests run in a thread of their own: the main thread holds nothing but this wait
        result = _in_a_thread(_thread, lambda: _child(spec, index))
        sys.stdout.flush()
        if isinstance(result, BaseException):
            raise result
        sys.exit(result)
    sys.exit("synth launcher: unknown mode %r" % mode)


if __name__ == "__main__":
    main(sys.argv)
