"""synth's harness for generated environment code. It runs inside the sandbox image and is never
imported by synth: the image build copies this file to /opt/synth/harness.py.

Sits at the very bottom of the synthesized family's execution: every run of code a model wrote
(database build, tool calls, the reference solution, the verifier, the perturbations) is one
`python3 /opt/synth/harness.py COMMAND` in a container with no network, as an unprivileged user
that can write no file outside a small tmpfs, over files it cannot change (root's, read-only).

Two processes. The parent never loads generated code: it reads the inputs, forks one child per
piece of work, reads what the child reports through pipes, and alone writes the result line
`<mark> <json>` on the real stdout (the mark is a per-run secret synth passes in SYNTH_MARK; the
parent removes it from its environment before any fork, and no child holds the real stdout). Each
child, before it loads generated code:

- arms an audit hook whose state lives only in the hook's closure and default arguments (no
  module global, no builtin looked up at call time: nothing generated code can reach or patch).
  It refuses and reports network access, new processes, file writes, native code
  (`ctypes`, `_posixsubprocess`, `_posixshmem` and the like refused at import), `/proc`, frame
  and code-object access, new audit hooks, and, in the solution, opening a database or any file
  but Python's libraries. Each attempt goes to the parent at once through a pipe the hook checks
  is still its own (a child that closes or swaps it is killed by its own hook);
- gives every sqlite connection (the harness's and any generated code opens) an authorizer that
  refuses ATTACH and DETACH and reports each column read, no attached databases at all (VACUUM
  INTO and ATTACH fail), and a statement trace that reports any executed statement which is not a
  string literal of the generated code with bound values in its ? places: SQL parameterized in
  fact, not in text;
- sees a fixed clock (`time`, `datetime`; SYNTH_CLOCK, default the project's epoch) and no
  entropy (`os.urandom` refused; `random` seeded with 0);
- prints into a pipe the parent drains: it keeps the tail for messages and counts every byte
  (the true size is reported as `output_bytes`).

Commands: build | call NAME ARGS_JSON | replay | explore | solve | grade | grade_many | perturb.
"""

import base64
import datetime
import json
import os
import posix
import random
import re
import resource
import select
import signal
import sqlite3
import sys
import sysconfig
import time
import traceback
import types

ENV = "/env"
IO = "/io"
DB_URI = "file:/state/db.sqlite?mode=ro&immutable=1"
FILE_LIMIT = 16 << 20
MAX_CALLS = 200
MAX_DB = 8 << 20
MAX_RESULT = 32 << 20
"""Largest report of one child, in bytes."""
OUTPUT_TAIL = 2000
"""Characters of a child's printed output kept for messages."""
OUTPUT_KILL = 256 << 20
"""A child that prints this much is killed (its count stops there)."""
CLOCK = 1767225600.0
"""The fixed clock generated code sees: 2026-01-01T00:00:00Z (SYNTH_CLOCK overrides it)."""
TAMPERED = 97
"""Exit code of a child whose hook found its report pipe closed or swapped."""

NETWORK = ("socket.", "urllib.", "http.", "ftplib.", "smtplib.", "poplib.", "imaplib.", "nntplib.", "telnetlib.",
           "webbrowser.")
PROCESSES = ("subprocess.", "os.fork", "os.forkpty", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.kill",
             "os.killpg", "pty.spawn", "os.startfile", "os.popen", "_posixsubprocess.", "signal.pthread_kill")
FILES = ("os.remove", "os.unlink", "os.rename", "os.replace", "os.rmdir", "os.mkdir", "os.chmod", "os.chown", "os.link",
         "os.symlink", "os.truncate", "os.utime", "os.mkfifo", "os.mknod", "shutil.", "os.chdir", "os.chroot",
         "os.setxattr", "os.removexattr", "mmap.")
NATIVE = ("ctypes.", "sqlite3.enable_load_extension", "sqlite3.load_extension", "cpython.run_", "code.__new__",
          "function.__new__", "sys.addaudithook", "sys.settrace", "sys.setprofile",
          "sys._current_frames", "sys.unraisablehook", "cpython._PySys_ClearAuditHooks")
FORBIDDEN_MODULES = frozenset({"ctypes", "_ctypes", "cffi", "_posixsubprocess", "_posixshmem", "gc", "_testcapi",
                               "_testinternalcapi", "_xxsubinterpreters", "_xxinterpchannels", "posix", "nt", "_winapi",
                               "multiprocessing", "_multiprocessing", "subprocess", "pty", "mmap", "faulthandler",
                               "tracemalloc", "resource", "fcntl", "termios", "_signal"})
"""Modules generated code may not import (native code, processes, memory, interpreter internals)."""
FRAME_ATTRIBUTES = frozenset({"tb_frame", "gi_frame", "cr_frame", "ag_frame", "f_back", "f_globals", "f_locals",
                              "f_builtins", "__code__", "gi_code", "cr_code", "ag_code"})
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
LIBRARY = tuple(sorted({sysconfig.get_path(k) + "/" for k in ("stdlib", "platstdlib", "purelib", "platlib")}
                       | {"/usr/lib/python3/"}))
"""Python's own libraries: their frames may look at their callers (namedtuple, logging); no other code may."""
READABLE = tuple(sorted({sysconfig.get_path(k) + "/" for k in ("stdlib", "platstdlib", "purelib", "platlib")}
                        | {"/usr/lib/python3/", "/opt/synth/", f"{ENV}/solution.py"}))
"""What the solution may open: Python's own libraries and its file (nothing of the environment)."""
OPENABLE = READABLE + ("/usr/", f"{ENV}/", "/dev/null")
"""What generated code may open or stat: Python's libraries, /usr and the environment's files (never
/io, the harness's state; /etc or /dev, whose times and contents are the real clock and entropy)."""
PLACEHOLDER = re.compile(r"\?\d*|[:@$][A-Za-z_][A-Za-z0-9_]*")
BOUND = r"(?:\?\d*|[:@$][A-Za-z_][A-Za-z0-9_]*|'(?:[^']|'')*'|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|NULL|[xX]'[0-9A-Fa-f]*')"
"""What a ? of a literal statement may read as in the trace: itself, or a value SQLite bound there."""


# -- the child's guard (everything it needs is bound here, before generated code exists) -----------
def guard(report_fd, solution, nonce, connection=None, traced=True):
    """Arm the child's audit hook; returns (note, allow, permit): note(kind, event, detail) reports
    to the parent, allow(texts) adds the literal statements SQL may be, permit() lets the harness
    read a traceback's frames once the generated code has returned."""
    stat = os.fstat(report_fd)
    permitted = []
    connecting = []
    identity = (stat.st_dev, stat.st_ino)
    templates = set()
    patterns = []
    seen_reads = set()

    def note(kind, event, detail="", _write=os.write, _fstat=os.fstat, _exit=os._exit, _fd=report_fd,
             _identity=identity, _hex=bytes.hex, _enc=str.encode, _nonce=nonce):
        """One line to the parent: kind, event, detail (hex); kills the child if the pipe is not its own."""
        try:
            now = _fstat(_fd)
            if (now.st_dev, now.st_ino) != _identity:
                _exit(TAMPERED)
            line = _enc("%s %s %s %s\n" % (_nonce, _hex(_enc(kind)), _hex(_enc(event)), _hex(_enc(detail[:300]))))
            _write(_fd, line)
        except BaseException:
            _exit(TAMPERED)

    def refuse(kind, event, detail="", _note=note, _error=PermissionError):
        _note(kind, event, detail)
        raise _error("synth sandbox: %s is not allowed here (%s)" % (kind, event))

    def kind_of(event, args, _network=NETWORK, _processes=PROCESSES, _files=FILES, _native=NATIVE, _str=str,
                _isinstance=isinstance, _int=int, _flags=WRITE_FLAGS, _modules=FORBIDDEN_MODULES,
                _frames=FRAME_ATTRIBUTES, _readable=READABLE, _solution=solution, _len=len, _permitted=permitted,
                _connecting=connecting, _library=LIBRARY, _type=type, _abspath=os.path.abspath, _openable=OPENABLE):
        if event.startswith(_network):
            return "network"
        if event.startswith(_processes):
            return "process"
        if event.startswith(_files):
            return "file write"
        if event == "sys._getframe":  # allowed when the frame asked for is the standard library's own
            frame = args[0] if args else None
            name = frame.f_code.co_filename if frame is not None else ""
            return None if _type(name) is _str and name.startswith(_library) else "frame access"
        if event in ("object.__setattr__", "object.__delattr__"):  # types' attributes, a function's code
            return "native code" if _len(args) > 1 and args[1] == "__code__" else None
        if event == "object.__getattr__":
            if _permitted and _len(args) > 1 and args[1] in ("tb_frame", "f_code"):
                return None
            return "frame access" if _len(args) > 1 and args[1] in _frames else None
        if event.startswith(_native):
            return "native code"
        if event == "import":
            name = _str(args[0]) if args else ""
            return "native code" if name.split(".")[0] in _modules else None
        if event == "open":
            path, mode, flags = (list(args) + [None, None, 0])[:3]
            if _isinstance(path, _int):
                return None
            text = path.decode("utf-8", "replace") if _isinstance(path, bytes) else _str(path)
            if any(c in (mode or "") for c in "wax+") or bool((flags or 0) & _flags):
                return "file write"
            if text.startswith(("/proc", "/dev/mem", "/dev/kmem", "/sys")):
                return "file access"
            if _solution and not text.startswith(_readable):
                return "file access"
            where = _abspath(text)
            if where.startswith(IO):
                return "harness tampering"
            if where.startswith(("/dev/urandom", "/dev/random")):
                return "entropy"
            return None if where.startswith(_openable) else "file access"
        if event == "sqlite3.connect":  # only through the harness's connect, which secures the connection
            if _solution or not _connecting or not args or args[0] != ":memory:":
                return "database"
            return None
        if _solution and event in ("os.listdir", "os.scandir", "glob.glob", "os.walk"):
            return "file access"
        return None

    def authorize(action, first, second, database, trigger, _deny=sqlite3.SQLITE_DENY, _ok=sqlite3.SQLITE_OK,
                  _banned=(sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH), _read=sqlite3.SQLITE_READ, _seen=seen_reads,
                  _note=note, _schema=("sqlite_master", "sqlite_schema", "sqlite_temp_master", "sqlite_temp_schema")):
        if action in _banned:
            _note("database write", "sqlite3.attach", str(first))
            return _deny
        if action == _read and first is not None and (first, second) not in _seen and (
                not str(first).startswith("sqlite_") or str(first).lower() in _schema):  # the schema's text is data too
            _seen.add((first, second))
            _note("read", "column", "%s.%s" % (first, second))
        return _ok

    def trace(statement, _templates=templates, _patterns=patterns, _note=note, _len=len):
        text = statement.strip()
        if text in ("BEGIN", "BEGIN DEFERRED", "BEGIN IMMEDIATE", "BEGIN EXCLUSIVE", "COMMIT", "ROLLBACK"):
            return  # the transactions Python's sqlite3 opens itself
        if text[:6].upper() in ("VACUUM", "ATTACH", "DETACH"):
            _note("database write", "sqlite3.execute", text[:300])
            return
        if text in _templates or any(text in t for t in _templates if _len(t) > _len(text)):
            return
        for pattern in _patterns:
            if pattern.fullmatch(text):
                return
        _note("sql built from values", "sqlite3.execute", text[:300])

    def secure(connection, _attached=sqlite3.SQLITE_LIMIT_ATTACHED):
        connection.set_authorizer(authorize)
        connection.setlimit(_attached, 0)
        connection.set_trace_callback(trace)

    def connect(*args, _real=sqlite3.connect, _connecting=connecting, _secure=secure, **kwargs):
        """sqlite3.connect for generated code: in-memory databases only, each secured."""
        _connecting.append(True)
        try:
            connection = _real(*args, **kwargs)
        finally:
            _connecting.pop()
        _secure(connection)
        return connection

    sqlite3.connect = sqlite3.dbapi2.connect = connect

    def hook(event, args, _kind=kind_of, _refuse=refuse, _type=type, _str=str, _int=int):
        kind = _kind(event, args)
        if kind is not None:
            shown = [a if _type(a) in (_str, _int) else _type(a).__name__ for a in args[:2]]
            detail = " ".join(_str(a) for a in shown)[:200] if event in ("open", "sqlite3.connect", "import") else ""
            _refuse(kind, event, detail)

    def allow(sources, _templates=templates, _patterns=patterns, _compile=re.compile, _escape=re.escape,
              _placeholder=PLACEHOLDER, _bound=BOUND):
        """The string literals of generated code are the statements it may run (values bound at ?)."""
        for text in sources:
            text = text.strip()
            if not text or text in _templates:
                continue
            _templates.add(text)
            if _placeholder.search(text):
                parts = _placeholder.split(text)
                _patterns.append(_compile(_bound.join(_escape(p) for p in parts), 16))  # re.DOTALL

    def permit(_permitted=permitted):
        _permitted.append(True)

    if connection is not None:  # the harness's own connection, opened before the guard
        connection.set_authorizer(authorize)
        connection.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
        if traced:
            connection.set_trace_callback(trace)

    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_LIMIT, FILE_LIMIT))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    sys.addaudithook(hook)
    return note, allow, permit


def fence_paths(note):
    """os.stat and its kin (os.path.exists, getmtime, pathlib) see only OPENABLE: a file's times are
    the real clock, and /io holds the harness's state (which files exist tells the gate from a
    rollout). The audit hook raises no event for them, so they are wrapped (closures: the real
    function is reachable only through `__closure__`, which the static check refuses)."""
    abspath, fspath, decode = os.path.abspath, os.fspath, os.fsdecode

    def fenced(real, event):
        def call(path=".", *args, **kwargs):
            if not isinstance(path, int):
                where = abspath(decode(fspath(path)))
                if where != ENV and not where.startswith(OPENABLE):
                    kind = "harness tampering" if where.startswith(IO) else "clock"
                    note(kind, event, where[:200])
                    raise PermissionError("synth sandbox: %s of %s is not allowed here" % (event, where))
            return real(path, *args, **kwargs)
        return call

    for name in ("stat", "lstat", "access", "listdir", "scandir", "readlink", "statvfs"):
        if hasattr(os, name):
            setattr(os, name, fenced(getattr(os, name), "os." + name))


def fix_time_and_entropy(clock, note):
    """A fixed clock (`time`, `datetime`) and no entropy source, before generated code is loaded
    (the modules are imported by the parent, before any fork; the child patches its copies)."""

    def urandom(n, _note=note, _error=PermissionError):
        _note("entropy", "os.urandom", "")
        raise _error("synth sandbox: entropy is not allowed here (os.urandom)")

    os.urandom = urandom
    if hasattr(os, "getrandom"):
        os.getrandom = urandom
    fixed = float(clock)
    for name in ("time", "monotonic", "perf_counter", "process_time", "thread_time"):
        setattr(time, name, lambda _v=fixed: _v)
    for name in ("time_ns", "monotonic_ns", "perf_counter_ns", "process_time_ns", "thread_time_ns"):
        setattr(time, name, lambda _v=int(fixed * 1e9): _v)
    # closures, not lambda defaults: a default (`__defaults__`) would hand generated code the real
    # function; a cell is reachable only through `__closure__`, which the static check refuses
    def at_fixed(real):
        def call(secs=None):
            return real(fixed if secs is None else secs)
        return call

    real_gmtime, real_strftime = time.gmtime, time.strftime
    time.localtime, time.gmtime, time.ctime = at_fixed(time.localtime), at_fixed(time.gmtime), at_fixed(time.ctime)

    def strftime(fmt, t=None):
        return real_strftime(fmt, real_gmtime(fixed) if t is None else t)

    time.strftime = strftime

    base_dt, base_date = datetime.datetime, datetime.date

    class FixedDateTime(base_dt):
        @classmethod
        def now(cls, tz=None):
            return base_dt.fromtimestamp(fixed, tz or datetime.timezone.utc).replace(tzinfo=tz)

        @classmethod
        def utcnow(cls):
            return base_dt.fromtimestamp(fixed, datetime.timezone.utc).replace(tzinfo=None)

        @classmethod
        def today(cls):
            return cls.utcnow()

    class FixedDate(base_date):
        @classmethod
        def today(cls):
            return base_date.fromtimestamp(fixed)

    datetime.datetime, datetime.date = FixedDateTime, FixedDate
    random._urandom = urandom
    random.seed(0)


def describe(exc, permit=None):
    """One line: the exception and where in the generated files it happened (the traceback's
    frames are read only once `permit` says the generated code has returned)."""
    where = ""
    if permit is not None:
        permit()
        stack = traceback.StackSummary.extract(traceback.walk_tb(exc.__traceback__), lookup_lines=False)
        frames = [f for f in stack if f.filename.startswith(ENV + "/")]
        where = f" ({os.path.basename(frames[-1].filename)} line {frames[-1].lineno})" if frames else ""
    message = str(exc).strip().splitlines()[0][:500] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {message}{where}" if message else f"{type(exc).__name__}{where}"


def constants(code):
    """Every string constant of a code object and the code objects in it."""
    found = []
    for value in code.co_consts:
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, types.CodeType):
            found += constants(value)
    return found


class Loaded:
    """Generated code compiled by the parent (compiling runs none of it): the child allows its
    string literals as SQL (`allow`) and runs it as a module (`load`)."""

    def __init__(self, *names):
        self.modules = {}
        self.sources = []
        self.codes = {}
        for name in names:
            path = f"{ENV}/{name}.py"
            with open(path, encoding="utf-8") as handle:
                self.codes[name] = compile(handle.read(), path, "exec")
            self.sources += constants(self.codes[name])

    def allow(self, allow):
        allow(self.sources)
        return self

    def load(self, name):
        module = types.ModuleType(name)
        module.__file__ = f"{ENV}/{name}.py"
        sys.modules[name] = module
        exec(self.codes[name], module.__dict__)
        self.modules[name] = module
        return module


def function(module, name):
    fn = getattr(module, name, None)
    if not callable(fn):
        raise LookupError(f"{module.__name__}.py defines no function {name}()")
    return fn


def read_json(name):
    with open(f"{IO}/{name}", encoding="utf-8") as handle:
        return json.load(handle)


def open_db():
    return sqlite3.connect(DB_URI, uri=True)


# -- the parent: one child per piece of work --------------------------------------------------------
class Child:
    """What one child gave: its payload (or error), reports, printed bytes, timing out."""

    def __init__(self):
        self.payload, self.error, self.violations, self.reads = None, None, [], []
        self.output_bytes, self.output_tail, self.timed_out = 0, "", False


def run_child(work, timeout, clock, solution=False, database=None, traced=True):
    """Fork, run `work(allow, permit, db)` in the child under the guard (`db` the connection
    `database()` opens before it); collect what the child reports in the parent."""
    result_r, result_w = os.pipe()
    report_r, report_w = os.pipe()
    output_r, output_w = os.pipe()
    nonce = os.urandom(8).hex()
    pid = os.fork()
    if pid == 0:  # the child
        try:
            os.close(result_r), os.close(report_r), os.close(output_r)
            os.dup2(output_w, 1)
            os.dup2(output_w, 2)
            os.close(output_w)
            for fd in range(3, 64):
                if fd not in (result_w, report_w):
                    try:
                        os.close(fd)
                    except OSError:
                        pass
            sys.stdout = open(1, "w", encoding="utf-8", errors="replace", closefd=False)
            sys.stderr = open(2, "w", encoding="utf-8", errors="replace", closefd=False)
            db = database() if database is not None else None
            note, allow, permit = guard(report_w, solution, nonce, db, traced)
            fix_time_and_entropy(clock, note)
            fence_paths(note)
            try:
                payload = work(allow, permit, db)
            except SystemExit as exc:
                payload = {"error": f"the generated code called exit({exc.code})"}
            except BaseException as exc:
                payload = {"error": describe(exc, permit)}
            try:
                data = json.dumps(payload, ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode()
            except (TypeError, ValueError) as exc:
                data = json.dumps({"error": f"the result is not JSON: {exc}"}).encode()
            while data:
                data = data[os.write(result_w, data):]
        finally:
            os._exit(0)
    os.close(result_w), os.close(report_w), os.close(output_w)
    child = Child()
    chunks, reports, tail = {result_r: [], report_r: []}, b"", b""
    sizes = {result_r: 0, report_r: 0}
    import time

    deadline = time.monotonic() + timeout
    open_fds = [result_r, report_r, output_r]
    while open_fds:
        left = deadline - time.monotonic()
        if left <= 0:
            child.timed_out = True
            break
        ready, _, _ = select.select(open_fds, [], [], left)
        for fd in ready:
            data = os.read(fd, 1 << 16)
            if not data:
                open_fds.remove(fd)
                os.close(fd)
                continue
            if fd == output_r:
                child.output_bytes += len(data)
                tail = (tail + data)[-OUTPUT_TAIL:]
                if child.output_bytes >= OUTPUT_KILL:
                    child.timed_out = True
                    open_fds = []
                    break
            else:
                sizes[fd] += len(data)
                if sizes[fd] > MAX_RESULT:
                    child.error = "the generated code's report was too large"
                    open_fds = []
                    break
                chunks[fd].append(data)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    _, status = os.waitpid(pid, 0)
    for fd in open_fds:
        os.close(fd)
    child.output_tail = tail.decode("utf-8", "replace")
    for line in b"".join(chunks[report_r]).split(b"\n"):
        if not line.strip():
            continue
        try:
            parts = line.split(b" ")
            if parts[0].decode() != nonce or len(parts) != 4:
                raise ValueError("not the hook's")
            kind, event, detail = (bytes.fromhex(part.decode()).decode("utf-8", "replace") for part in parts[1:])
        except ValueError:
            kind, event, detail = "harness tampering", "report pipe", "unreadable report line"
        if kind == "read":
            child.reads.append(detail)
        else:
            child.violations.append({"kind": kind, "event": event, "detail": detail})
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) == TAMPERED:
        child.violations.append({"kind": "harness tampering", "event": "report pipe",
                                 "detail": "the generated code closed or replaced the harness's report pipe"})
    if child.timed_out and child.output_bytes >= OUTPUT_KILL:
        child.error = f"printed over {OUTPUT_KILL} bytes (killed)"
        child.timed_out = False
    elif child.timed_out:
        child.error = f"did not finish within {timeout:g} s (killed)"
    elif child.error is None:
        text = b"".join(chunks[result_r])
        try:
            payload = json.loads(text) if text else None
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            tail_text = " ".join(child.output_tail.split())[-300:]
            child.error = f"ended without a result{': ' + tail_text if tail_text else ''}"
        else:
            child.error = payload.pop("error", None)
            child.payload = payload
    return child


def merge(children):
    """One result of several children: violations, reads and output counted together."""
    seen, violations, reads = set(), [], []
    for child in children:
        for v in child.violations:
            key = json.dumps(v, sort_keys=True)
            if key not in seen:
                seen.add(key)
                violations.append(v)
        reads += [r for r in child.reads if r not in reads]
    return {"violations": violations[:20], "reads": reads, "output_bytes": sum(c.output_bytes for c in children),
            "timed_out": any(c.timed_out for c in children)}


def single(child):
    payload = dict(child.payload or {})
    if child.error is not None:
        payload["error"] = child.error
    payload.update(merge([child]))
    return payload


# -- commands -------------------------------------------------------------------------------------
def build(ctx):
    """schema.sql, then data.sql, then data.py's fill(db), into a fresh in-memory database."""
    scripts = [(name, f"{ENV}/{name}") for name in ("schema.sql", "data.sql") if os.path.exists(f"{ENV}/{name}")]
    texts = []
    for name, path in scripts:
        with open(path, encoding="utf-8") as handle:
            texts.append((name, handle.read()))
    has_code = os.path.exists(f"{ENV}/data.py")

    loaded = Loaded("data") if has_code else None

    def work(allow, permit, db):
        if loaded is not None:
            loaded.allow(allow)
        allow([text for _, text in texts])
        for name, text in texts:
            try:
                db.executescript(text)
            except sqlite3.Error as exc:
                return {"error": f"{name}: {type(exc).__name__}: {exc}"}
        if loaded is not None:
            function(loaded.load("data"), "fill")(db)
        db.commit()
        db.set_trace_callback(None)
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        counts = {t: db.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}
        data = db.serialize()
        if len(data) > MAX_DB:
            return {"error": f"the database is {len(data)} bytes (at most {MAX_DB})"}
        return {"db": base64.b64encode(data).decode(), "tables": counts}

    return single(run_child(work, ctx["timeout"], ctx["clock"], database=lambda: sqlite3.connect(":memory:"),
                            traced=False))


def _call(module, name, arguments, db, permit=None):
    if name.startswith("_") or not callable(getattr(module, name, None)):
        return {"tool_error": {"type": "unknown_tool", "message": f"tools.py has no tool {name!r}"}}
    try:
        value = getattr(module, name)(db, **arguments)
    except Exception as exc:
        return {"tool_error": {"type": "tool_failure", "message": describe(exc, permit)}}
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        return {"tool_error": {"type": "tool_failure", "message": f"{name} returned a value that is not JSON: {exc}"}}
    return {"result": value}


def _tools_work(calls, loaded):
    def work(allow, permit, db):
        module = loaded.allow(allow).load("tools")
        return {"results": [_call(module, c["name"], c["arguments"], db, permit if i == len(calls) - 1 else None)
                            for i, c in enumerate(calls)]}

    return work


def call(ctx):
    """One tool call: argv NAME ARGUMENTS_JSON."""
    calls = [{"name": sys.argv[2], "arguments": json.loads(sys.argv[3])}]
    payload = single(run_child(_tools_work(calls, Loaded("tools")), ctx["timeout"], ctx["clock"], database=open_db))
    results = payload.pop("results", None)
    if results:
        payload.update(results[0])
    return payload


def replay(ctx):
    """Every call of /io/calls.json in one child: the determinism check of the tools."""
    return single(run_child(_tools_work(read_json("calls.json"), Loaded("tools")), ctx["timeout"], ctx["clock"], database=open_db))


def explore(ctx):
    """Every call of /io/calls.json, each in a child of its own (the gate's exhaustive baseline)."""
    calls = read_json("calls.json")
    loaded = Loaded("tools")
    children = [run_child(_tools_work([c], loaded), ctx["timeout"], ctx["clock"], database=open_db) for c in calls]
    results = []
    for child in children:
        if child.error is not None or child.violations:
            results.append({"tool_error": {"type": "tool_failure", "message": child.error or "forbidden action"}})
        else:
            results.append((child.payload or {}).get("results", [{}])[0])
    return {"results": results, **merge(children)}


class ToolCallError(Exception):
    """A tool call that came back as an error (kind and message as synth's tool path gave them)."""

    def __init__(self, kind, message):
        super().__init__(f"{kind}: {message}")
        self.kind, self.message = kind, message


class _Pending(BaseException):
    """The solution asked for a call whose result synth has not given yet."""


class Tools:
    """What solve(tools) receives: tools.NAME(arg=value) or tools.call(NAME, arg=value)."""

    def __init__(self, results):
        self._results = results
        self._made = []

    def call(self, _name, **arguments):
        if _name == "submit_result":
            raise ToolCallError("invalid_request", "return the answer from solve() instead of calling submit_result")
        request = {"name": _name, "arguments": json.loads(json.dumps(arguments))}
        position = len(self._made)
        if position >= MAX_CALLS:
            raise ToolCallError("too_many_calls", f"the solution may make at most {MAX_CALLS} tool calls")
        self._made.append(request)
        if position >= len(self._results):
            raise _Pending()
        known = self._results[position]
        if known["request"] != request:
            raise RuntimeError(f"the solution is not deterministic: call {position + 1} was {known['request']} "
                               f"before and is {request} now")
        if "error" in known:
            raise ToolCallError(known["error"]["type"], known["error"]["message"])
        return json.loads(json.dumps(known["result"]))

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args, **arguments: self._positional(name) if args else self.call(name, **arguments)

    @staticmethod
    def _positional(name):
        raise TypeError(f"call tools.{name}() with keyword arguments only")


def solve(ctx):
    """The reference solution, replayed from /io/results.json: it runs until it asks for a call
    synth has not answered yet (result {"call": ...}; synth runs it through its tool path and
    runs the solution again) or returns its answer."""
    results = read_json("results.json")
    loaded = Loaded("solution")

    def work(allow, permit, db):
        tools = Tools(results)
        try:
            answer = function(loaded.allow(allow).load("solution"), "solve")(tools)
        except BaseException:
            if len(tools._made) <= len(tools._results):
                raise
            answer = None
        if len(tools._made) > len(tools._results):  # a pending call, even one the solution swallowed
            return {"call": tools._made[len(tools._results)]}
        json.dumps(answer, allow_nan=False)
        return {"answer": answer}

    return single(run_child(work, ctx["timeout"], ctx["clock"], solution=True))


def _checks(result):
    if not isinstance(result, dict) or not result:
        raise TypeError("verify() must return a non-empty dict {check name: bool}")
    checks = []
    for name, value in result.items():
        message = ""
        if isinstance(value, (list, tuple)) and len(value) == 2 and isinstance(value[1], str):
            value, message = value
        if not isinstance(name, str) or not name or len(name) > 100 or not isinstance(value, bool):
            raise TypeError(f"verify() returned {name!r}: {value!r}; give {{check name: True/False}}")
        checks.append({"name": name, "passed": value, "message": message[:300]})
    return checks


def _grade_work(answer, loaded):
    def work(allow, permit, db):
        loaded.allow(allow)
        return {"checks": _checks(function(loaded.load("verify"), "verify")(db, answer))}

    return work


def grade(ctx):
    """verify(db, answer) over the stored database and /io/answer.json."""
    return single(run_child(_grade_work(read_json("answer.json"), Loaded("verify")), ctx["timeout"], ctx["clock"], database=open_db))


def grade_many(ctx):
    """verify(db, answer) for every answer of /io/answers.json, each in a child of its own."""
    graded, children = [], []
    loaded = Loaded("verify")
    for answer in read_json("answers.json"):
        child = run_child(_grade_work(answer, loaded), ctx["timeout"], ctx["clock"], database=open_db)
        children.append(child)
        item = {"checks": (child.payload or {}).get("checks")} if child.error is None else {"error": child.error}
        if child.violations:
            item["violations"] = child.violations[:3]
        graded.append(item)
    return {"graded": graded, **merge(children)}


def perturb(ctx):
    """perturb(db, answer) over the stored database and the gold answer in /io/answer.json."""
    answer = read_json("answer.json")
    loaded = Loaded("perturb")

    def work(allow, permit, db):
        made = function(loaded.allow(allow).load("perturb"), "perturb")(db, answer)
        if not isinstance(made, list) or not all(isinstance(p, dict) and set(p) == {"name", "breaks", "answer"}
                                                 for p in made):
            raise TypeError("perturb() must return a list of {'name': ..., 'breaks': CHECK, 'answer': ...}")
        return {"perturbations": made}

    # the perturbations may build SQL from the gold answer (theirs, not a model's): no trace
    return single(run_child(work, ctx["timeout"], ctx["clock"], database=open_db, traced=False))


COMMANDS = {"build": build, "call": call, "replay": replay, "explore": explore, "solve": solve, "grade": grade,
            "grade_many": grade_many, "perturb": perturb}


def main():
    mark = os.environ.pop("SYNTH_MARK", "")
    posix.environ.pop(b"SYNTH_MARK", None)
    clock = float(os.environ.pop("SYNTH_CLOCK", "") or CLOCK)
    timeout = float(os.environ.pop("SYNTH_TIMEOUT", "") or 10.0)
    out = os.dup(1)
    os.dup2(2, 1)
    for name in FORBIDDEN_MODULES:  # a module loaded before the guard would import without an event
        if name in sys.modules and name not in ("posix", "resource", "_signal"):
            sys.modules.pop(name)
    try:
        payload = COMMANDS[sys.argv[1]]({"timeout": timeout, "clock": clock})
    except BaseException as exc:  # the harness itself failed (bad inputs)
        payload = {"error": f"harness: {type(exc).__name__}: {exc}"}
    try:
        text = json.dumps(payload, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        text = json.dumps({"error": f"the result is not JSON: {exc}"}, ensure_ascii=True)
    data = f"\n{mark} {text}\n".encode()
    while data:
        data = data[os.write(out, data):]
    os._exit(0)


if __name__ == "__main__":
    main()
