"""The sandbox database of a general tuple, as the tools, the checkers and the controls read it.

Sits under the general checkers and the general family. A tuple's database is a content-addressed
SQLite asset of its run; `load_db` opens a read-only in-memory copy that its caller owns;
`environment_db` gives live environments a connection that lives exactly as long as the
environments using it (those of one tuple open at once in one thread share it; the last one to
release it closes it, so no environment's coming or going closes a connection another still
uses); `stored_db` shares one per thread among synchronous readers (a checker, the controls);
`db_facts` caches what a checker derives from one live connection, and `rows` is the query helper
of tools and checkers.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from typing import Any, Callable

from synth import AssetRef, Run


def rows(db: sqlite3.Connection, sql: str, *params: Any) -> list[dict[str, Any]]:
    """Query helper: rows as dicts."""
    cursor = db.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def load_db(data: bytes) -> sqlite3.Connection:
    """A read-only in-memory copy of a stored database."""
    db = sqlite3.connect(":memory:", check_same_thread=False)
    db.deserialize(data)
    db.execute("PRAGMA query_only = ON")
    return db


_live: dict[tuple[int, str], list[Any]] = {}
"""(thread, asset digest) -> [connection, environments using it]."""
_live_lock = threading.Lock()


def environment_db(run: Run, ref: AssetRef) -> tuple[sqlite3.Connection, Callable[[], None]]:
    """A read-only connection to a stored database for one live environment, and the function that
    releases it (idempotent). Environments of the same tuple open at the same time in one thread
    share one connection (a read-only database: the schema is parsed and statements prepared once
    for all of them); it is closed when the last of them releases it, never before."""
    key = (threading.get_ident(), ref.sha256)
    with _live_lock:
        entry = _live.get(key)
        if entry is not None and not _usable(entry[0]):
            del _live[key]  # broken under an environment that is still open: later ones get their own
            entry = None
        if entry is not None:
            entry[1] += 1
    if entry is None:
        fresh = load_db(run.read_asset(ref))
        with _live_lock:
            entry = _live.setdefault(key, [fresh, 0])
            entry[1] += 1
        if entry[0] is not fresh:
            fresh.close()
    released = False

    def release() -> None:
        nonlocal released
        if released:
            return
        released = True
        with _live_lock:
            entry[1] -= 1
            if entry[1] > 0:
                return
            if _live.get(key) is entry:
                del _live[key]
        entry[0].close()

    return entry[0], release


def _usable(db: sqlite3.Connection) -> bool:
    try:
        db.total_changes  # noqa: B018  # raises on a closed connection
    except sqlite3.ProgrammingError:
        return False
    return True


_open_dbs = threading.local()


def stored_db(run: Run, ref: AssetRef) -> sqlite3.Connection:
    """The read-only database of a stored asset, shared by the verifier and the controls of one
    thread (opening a copy and parsing its schema costs more than most queries). Do not close it.
    The few most recent stay cached; one dropped from the cache is never closed here, so a caller
    still holding it keeps a working connection (it closes when its last user lets go)."""
    cache: OrderedDict[str, sqlite3.Connection] = getattr(_open_dbs, "cache", None) or OrderedDict()
    _open_dbs.cache = cache
    db = cache.get(ref.sha256)
    if db is None:
        db = load_db(run.read_asset(ref))
        cache[ref.sha256] = db
        while len(cache) > 8:
            cache.popitem(last=False)
    else:
        cache.move_to_end(ref.sha256)
    return db


_FACTS: dict[tuple[int, str], tuple[sqlite3.Connection, int, Any]] = {}


def db_facts(db: sqlite3.Connection, kind: str, read: Any) -> Any:
    """`read(db)`, computed once per live connection and content version: the verifier and the
    controls of one tuple check the same read-only database many times. The cache holds the
    connection itself (so its id cannot be reused while cached) and the connection's change
    counter (so a modified database is read again); it keeps the 16 most recent entries."""
    key = (id(db), kind)
    hit = _FACTS.get(key)
    if hit is not None and hit[0] is db and hit[1] == db.total_changes:
        return hit[2]
    value = read(db)
    _FACTS.pop(key, None)
    _FACTS[key] = (db, db.total_changes, value)
    while len(_FACTS) > 16:
        del _FACTS[next(iter(_FACTS))]
    return value
