"""synth's harness for generated environment code. It runs inside the sandbox image and is never
imported by synth: the image build copies this file to /opt/synth/harness.py.

Sits at the very bottom of the synthesized family's execution: every run of code a model wrote
(database build, a tool call, the reference solution, the verifier, the perturbations) is one
`python3 /opt/synth/harness.py COMMAND` in a container with no network, as an unprivileged user
that can write no file outside a small tmpfs. The harness loads the generated module, calls it,
and prints one result line `<mark> <json>` (the mark is a per-run secret synth passes in
SYNTH_MARK), after anything the generated code printed. Guarantees on top of the container's:

- An audit hook, armed before generated code is imported, refuses and records network access,
  new processes, file writes and changes, native code and, in the solution, opening a database or
  any file but Python's libraries. Each attempt is written out at once (a `<mark>! <json>` line)
  and listed again with the result, so synth rejects the environment with a reason even when the
  code swallowed the error or emptied the list.
- Files are capped (RLIMIT_FSIZE); SQLite ATTACH and VACUUM INTO are refused; the database is
  opened read-only and immutable.
- The solution never sees the database: it runs alone in its own container as another user with
  only its own file, and learns tool results from /io/results.json, written by synth after each
  call went through synth's tool path (see `solve`).

Commands: build | call NAME ARGS_JSON | replay | solve | grade | perturb.
"""

import base64
import json
import os
import resource
import sqlite3
import sys
import sysconfig
import traceback
import types

MARK = os.environ.pop("SYNTH_MARK", "")
_OUT = os.dup(1)
os.dup2(2, 1)  # what generated code prints goes to stderr, never onto the result line

ENV = "/env"
IO = "/io"
DB_URI = "file:/state/db.sqlite?mode=ro&immutable=1"
FILE_LIMIT = 16 << 20
MAX_CALLS = 200
MAX_DB = 8 << 20

NETWORK = ("socket.", "urllib.", "http.", "ftplib.", "smtplib.", "poplib.", "imaplib.", "nntplib.", "telnetlib.",
           "webbrowser.")
PROCESSES = ("subprocess.", "os.fork", "os.forkpty", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.kill",
             "os.killpg", "pty.spawn", "os.startfile", "os.popen")
FILES = ("os.remove", "os.unlink", "os.rename", "os.replace", "os.rmdir", "os.mkdir", "os.chmod", "os.chown", "os.link",
         "os.symlink", "os.truncate", "os.utime", "os.mkfifo", "os.mknod", "shutil.")
NATIVE = ("ctypes.", "sqlite3.enable_load_extension", "sqlite3.load_extension")
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND

violations = []
_READABLE = tuple(sorted({sysconfig.get_path(k) + "/" for k in ("stdlib", "platstdlib", "purelib", "platlib")}
                         | {"/usr/lib/python3/", "/opt/synth/", f"{ENV}/solution.py"}))
"""What the solution may open: Python's own libraries and its file (nothing of the environment)."""


def _kind(event, args, solution):
    """What a generated-code event attempts ("network", ...), or None when it is allowed."""
    if event.startswith(NETWORK):
        return "network"
    if event.startswith(PROCESSES):
        return "process"
    if event.startswith(NATIVE):
        return "native code"
    if event.startswith(FILES):
        return "file write"
    if event == "open":
        path, mode, flags = (list(args) + [None, None, 0])[:3]
        writing = any(c in (mode or "") for c in "wax+") or bool((flags or 0) & WRITE_FLAGS)
        if writing and not isinstance(path, int):
            return "file write"
    if event == "sqlite3.connect":
        if solution or (args and args[0] != ":memory:"):
            return "database"
    if solution and event == "open" and not str(args[0]).startswith(_READABLE):
        return "file access"
    if solution and event in ("os.listdir", "os.scandir", "glob.glob", "os.chdir"):
        return "file access"
    if event == "import" and args and str(args[0]).split(".")[0] in ("ctypes", "_ctypes", "cffi"):
        return "native code"
    return None


def arm(solution=False):
    """From now on, refuse and record what generated code must not do (cannot be undone)."""

    def hook(event, args):
        kind = _kind(event, args, solution)
        if kind is None:
            return
        detail = " ".join(str(a) for a in args[:2])[:200] if event in ("open", "sqlite3.connect") else ""
        if len(violations) < 20:
            violations.append({"kind": kind, "event": event, "detail": detail})
            _write(f"\n{MARK}! " + json.dumps(violations[-1], ensure_ascii=True) + "\n")
        raise PermissionError(f"synth sandbox: {kind} is not allowed here ({event})")

    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_LIMIT, FILE_LIMIT))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    sys.addaudithook(hook)


def emit(payload):
    """The result line; only the last line carrying the mark counts."""
    payload["violations"] = violations
    try:
        text = json.dumps(payload, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        text = json.dumps({"error": f"the result is not JSON: {exc}", "violations": violations}, ensure_ascii=True)
    _write(f"\n{MARK} {text}\n")


def _write(text):
    data = text.encode()
    while data:
        data = data[os.write(_OUT, data):]


def describe(exc):
    """One line: the exception and where in the generated files it happened."""
    stack = traceback.StackSummary.extract(traceback.walk_tb(exc.__traceback__), lookup_lines=False)
    frames = [f for f in stack if f.filename.startswith(ENV + "/")]
    where = f" ({os.path.basename(frames[-1].filename)} line {frames[-1].lineno})" if frames else ""
    message = str(exc).strip().splitlines()[0][:500] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {message}{where}" if message else f"{type(exc).__name__}{where}"


def _authorize(action, *rest):
    return sqlite3.SQLITE_DENY if action == sqlite3.SQLITE_ATTACH else sqlite3.SQLITE_OK


def open_db():
    db = sqlite3.connect(DB_URI, uri=True)
    db.set_authorizer(_authorize)
    return db


def load(name):
    """Run /env/NAME.py as module NAME (compiled here: no bytecode cache is looked for or written)."""
    path = f"{ENV}/{name}.py"
    with open(path, encoding="utf-8") as handle:
        code = compile(handle.read(), path, "exec")
    module = types.ModuleType(name)
    module.__file__ = path
    sys.modules[name] = module
    exec(code, module.__dict__)
    return module


def function(module, name):
    fn = getattr(module, name, None)
    if not callable(fn):
        raise LookupError(f"{module.__name__}.py defines no function {name}()")
    return fn


def read_json(name):
    with open(f"{IO}/{name}", encoding="utf-8") as handle:
        return json.load(handle)


# -- commands ---------------------------------------------------------------------------------
def build():
    """schema.sql, then data.sql, then data.py's fill(db), into a fresh in-memory database."""
    db = sqlite3.connect(":memory:")
    db.set_authorizer(_authorize)
    scripts = [(name, f"{ENV}/{name}") for name in ("schema.sql", "data.sql") if os.path.exists(f"{ENV}/{name}")]
    has_code = os.path.exists(f"{ENV}/data.py")
    arm()
    for name, path in scripts:
        with open(path, encoding="utf-8") as handle:
            try:
                db.executescript(handle.read())
            except sqlite3.Error as exc:
                return {"error": f"{name}: {type(exc).__name__}: {exc}"}
    if has_code:
        function(load("data"), "fill")(db)
    db.commit()
    tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
    counts = {t: db.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}
    data = db.serialize()
    if len(data) > MAX_DB:
        return {"error": f"the database is {len(data)} bytes (at most {MAX_DB})"}
    return {"db": base64.b64encode(data).decode(), "tables": counts}


def _call(module, name, arguments, db):
    if name.startswith("_") or not callable(getattr(module, name, None)):
        return {"tool_error": {"type": "unknown_tool", "message": f"tools.py has no tool {name!r}"}}
    try:
        value = getattr(module, name)(db, **arguments)
    except Exception as exc:
        return {"tool_error": {"type": "tool_failure", "message": describe(exc)}}
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        return {"tool_error": {"type": "tool_failure", "message": f"{name} returned a value that is not JSON: {exc}"}}
    return {"result": value}


def call():
    """One tool call: argv NAME ARGUMENTS_JSON."""
    name, arguments = sys.argv[2], json.loads(sys.argv[3])
    db = open_db()
    arm()
    return _call(load("tools"), name, arguments, db)


def replay():
    """Every call of /io/calls.json in one process: the determinism check of the tools."""
    calls = read_json("calls.json")
    db = open_db()
    arm()
    module = load("tools")
    return {"results": [_call(module, c["name"], c["arguments"], db) for c in calls]}


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


def solve():
    """The reference solution, replayed from /io/results.json: it runs until it asks for a call
    synth has not answered yet (result {"call": ...}; synth runs it through its tool path and
    runs the solution again) or returns its answer."""
    tools = Tools(read_json("results.json"))
    arm(solution=True)
    try:
        answer = function(load("solution"), "solve")(tools)
    except BaseException:
        if len(tools._made) <= len(tools._results):
            raise
        answer = None
    if len(tools._made) > len(tools._results):  # a pending call, even one the solution swallowed
        return {"call": tools._made[len(tools._results)]}
    json.dumps(answer, allow_nan=False)
    return {"answer": answer}


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


def grade():
    """verify(db, answer) over the stored database and /io/answer.json."""
    answer = read_json("answer.json")
    db = open_db()
    arm()
    return {"checks": _checks(function(load("verify"), "verify")(db, answer))}


def perturb():
    """perturb(db, answer) over the stored database and the gold answer in /io/answer.json."""
    answer = read_json("answer.json")
    db = open_db()
    arm()
    made = function(load("perturb"), "perturb")(db, answer)
    if not isinstance(made, list) or not all(isinstance(p, dict) and set(p) == {"name", "breaks", "answer"} for p in made):
        raise TypeError("perturb() must return a list of {'name': ..., 'breaks': CHECK, 'answer': ...}")
    return {"perturbations": made}


COMMANDS = {"build": build, "call": call, "replay": replay, "solve": solve, "grade": grade, "perturb": perturb}


def main():
    try:
        payload = COMMANDS[sys.argv[1]]()
    except SystemExit as exc:
        payload = {"error": f"the generated code called exit({exc.code})"}
    except BaseException as exc:  # generated code failed: report it as a result, never a traceback
        payload = {"error": describe(exc)}
    emit(payload)
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
