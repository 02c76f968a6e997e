"""SQLite persistence for the sandbox (stdlib ``sqlite3``).

One :class:`Database` per sandbox: a single connection in autocommit mode shared by the event
loop and the rare worker thread (segment evaluation), serialised by a re-entrant lock. Files
use WAL journaling; ``":memory:"`` is for tests. Writes go through :meth:`Database.transaction`
(``BEGIN IMMEDIATE`` ... ``COMMIT``, nested calls become savepoints), so a failed request never
leaves a partial write.

Each resource module contributes its DDL (tables *and* indexes) as ``SCHEMA``; the core tables
shared by every resource live here in :data:`CORE_SCHEMA`. Conventions for resource tables:

- ``pk INTEGER PRIMARY KEY`` (the rowid, used as the stable tie-breaker of every ordering and by
  the deferred-join paging) plus ``id TEXT NOT NULL UNIQUE`` (the public prefixed id; the big
  seeded tables declare ``CREATE UNIQUE INDEX <table>_id`` instead, built after the bulk insert);
- timestamps as fixed-width ISO text from :func:`preo_tui.sandbox.clock.iso` (sort = time order);
- lists and nested objects as JSON text (:func:`dumps` / :func:`loads`);
- an index for every filter + ordering pair a list endpoint offers at the large scale.
"""

from __future__ import annotations

import itertools
import json
import random
import secrets
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from . import clock

Row = sqlite3.Row
Params = Sequence[Any] | dict[str, Any]

CORE_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS organizations (
    pk INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    currency TEXT NOT NULL DEFAULT 'EUR',
    created TEXT NOT NULL,
    modified TEXT NOT NULL
);
-- operators who log in to the management API (not customers: those are `users`)
CREATE TABLE IF NOT EXISTS accounts (
    pk INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT NOT NULL,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    phone TEXT,
    created TEXT NOT NULL,
    modified TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS accounts_phone ON accounts (phone);
CREATE TABLE IF NOT EXISTS memberships (
    account_id TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'staff')),
    PRIMARY KEY (account_id, organization_id)
);
-- replayable POST responses, per caller + path + Idempotency-Key, kept 24 h
CREATE TABLE IF NOT EXISTS idempotency (
    principal TEXT NOT NULL,
    path TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status INTEGER NOT NULL,
    headers TEXT NOT NULL,
    body BLOB NOT NULL,
    created TEXT NOT NULL,
    PRIMARY KEY (principal, path, key)
);
CREATE INDEX IF NOT EXISTS idempotency_created ON idempotency (created);
-- every status transition of every object: lets tests prove "approved exactly once"
CREATE TABLE IF NOT EXISTS state_changes (
    pk INTEGER PRIMARY KEY,
    object_type TEXT NOT NULL,
    object_id TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT NOT NULL,
    actor_id TEXT,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS state_changes_object ON state_changes (object_id, pk);
-- PIN login challenges (phone -> current PIN)
CREATE TABLE IF NOT EXISTS pins (
    phone TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    pin TEXT NOT NULL,
    expires TEXT NOT NULL,
    tries INTEGER NOT NULL DEFAULT 0
);
"""


def dumps(value: Any) -> str:
    """Compact JSON text for a column."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def loads(text: str | bytes | None) -> Any:
    """Parse a JSON column (``None`` stays ``None``)."""
    if text is None:
        return None
    return json.loads(text)


#: Bytes per database page. Twice SQLite's default: the seed's bulk inserts, index builds and
#: full-text rebuilds take ~15 % less CPU (fewer pages to split, link and write), and the list
#: endpoints' index walks touch half as many pages. Same rows, same answers.
PAGE_SIZE = 8192

_SYSRAND = secrets.SystemRandom()
_GENERATIONS = itertools.count(1)


def new_id(prefix: str, rng: random.Random | None = None) -> str:
    """A public id such as ``ord_5f0c2a9be3d14a77``: the prefix and 16 hex digits.

    Pass the seeding ``rng`` for deterministic seed data; request handlers omit it.
    """
    r = rng or _SYSRAND
    return f"{prefix}_{r.getrandbits(64):016x}"


class Database:
    """The sandbox's SQLite database.

    Reads: :meth:`query`, :meth:`one`, :meth:`scalar`. Writes: inside ``with db.transaction():``
    call :meth:`execute` / :meth:`executemany`. All methods take the lock, so a worker thread
    may read too (hold ``db.lock`` yourself for a multi-statement consistent snapshot).
    """

    def __init__(self, path: str | Path = ":memory:") -> None:
        self.path = str(path)
        self.lock = threading.RLock()
        self._depth = 0
        #: unique in the process per database and per content replacement (:meth:`copy_from`):
        #: part of the keys of caches (``id()`` can be reused once a database is freed)
        self.generation = next(_GENERATIONS)
        #: list-count memo of :func:`preo_tui.sandbox.paging.cached_count`
        self.count_cache: dict[tuple[str, tuple[Any, ...]], tuple[int, int]] = {}
        if self.path == ":memory:":
            conn = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
            conn.execute(f"PRAGMA page_size={PAGE_SIZE}")  # like files: backups between them
        else:
            Path(self.path).expanduser().parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                Path(self.path).expanduser(), check_same_thread=False, isolation_level=None
            )
            # before WAL: the page size of a new file (an existing one keeps its own; the
            # sandbox rebuilds an older one's pages when it reseeds, see SandboxState.prepare)
            conn.execute(f"PRAGMA page_size={PAGE_SIZE}")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA temp_store=MEMORY")
        # 16 MB of page cache: the hot index pages of the list endpoints fit, and the OS page
        # cache holds the rest; a bigger cache only grows the process (issue 20: <= 300 MB).
        conn.execute("PRAGMA cache_size=-16384")
        self.conn = conn

    # -- reads -------------------------------------------------------------------------------
    def query(self, sql: str, params: Params = ()) -> list[Row]:
        """All rows of a SELECT."""
        with self.lock:
            return self.conn.execute(sql, params).fetchall()

    def one(self, sql: str, params: Params = ()) -> Row | None:
        """The first row of a SELECT, or ``None``."""
        with self.lock:
            row: Row | None = self.conn.execute(sql, params).fetchone()
            return row

    def scalar(self, sql: str, params: Params = ()) -> Any:
        """The first column of the first row, or ``None``."""
        row = self.one(sql, params)
        return None if row is None else row[0]

    # -- writes ------------------------------------------------------------------------------
    def execute(self, sql: str, params: Params = ()) -> sqlite3.Cursor:
        """Run one statement (use inside :meth:`transaction` for writes)."""
        with self.lock:
            return self.conn.execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        """Run one statement for many parameter rows (bulk seeding)."""
        with self.lock:
            self.conn.executemany(sql, rows)

    def executescript(self, script: str) -> None:
        """Run DDL (``CREATE TABLE IF NOT EXISTS`` ...). Not inside a transaction."""
        with self.lock:
            self.conn.executescript(script)

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on any exception).

        Nested use becomes a SAVEPOINT, so helpers can open their own transaction safely.
        """
        with self.lock:
            depth = self._depth
            name = f"sp{depth}"
            self.conn.execute("BEGIN IMMEDIATE" if depth == 0 else f"SAVEPOINT {name}")
            self._depth += 1
            try:
                yield self
            except BaseException:
                self._depth -= 1
                if depth == 0:
                    self.conn.execute("ROLLBACK")
                else:
                    self.conn.execute(f"ROLLBACK TO {name}")
                    self.conn.execute(f"RELEASE {name}")
                raise
            else:
                self._depth -= 1
                self.conn.execute("COMMIT" if depth == 0 else f"RELEASE {name}")

    # -- meta, history, copies ------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        value = self.scalar("SELECT value FROM meta WHERE key = ?", (key,))
        return None if value is None else str(value)

    def set_meta(self, key: str, value: str) -> None:
        self.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def record_state_change(
        self,
        object_type: str,
        object_id: str,
        from_status: str | None,
        to_status: str,
        actor_id: str | None = None,
    ) -> None:
        """Append to the transition log (call inside the transaction that changes status)."""
        self.execute(
            "INSERT INTO state_changes (object_type, object_id, from_status, to_status, actor_id, at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (object_type, object_id, from_status, to_status, actor_id, clock.now_iso()),
        )

    def state_changes(self, object_id: str) -> list[tuple[str | None, str]]:
        """``[(from_status, to_status), ...]`` of one object, oldest first."""
        rows = self.query(
            "SELECT from_status, to_status FROM state_changes WHERE object_id = ? ORDER BY pk",
            (object_id,),
        )
        return [(r[0], r[1]) for r in rows]

    def copy_from(self, other: Database) -> None:
        """Replace this database's content with ``other``'s (sqlite3 backup API; milliseconds)."""
        with self.lock, other.lock:
            other.conn.backup(self.conn)
            self.count_cache.clear()
            self.generation = next(_GENERATIONS)

    def close(self) -> None:
        with self.lock:
            self.conn.close()
