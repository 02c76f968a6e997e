"""The on-disk cache: one SQLite file per server and user in the cache directory.

Never fatal: a file that is not a database, is corrupt, or has another schema version is
deleted and recreated; an error in the middle of a session (disk full, file removed) turns the
disk cache off for the rest of the session and the store carries on in memory. Payloads that
contain a secret the store was told about (the current tokens) are refused, so a token can
never land in the cache even if a model were to carry one. The file is created 0600.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

#: Bump when the table layout or the payload format changes: old files are discarded.
SCHEMA_VERSION = 1
DEFAULT_MAX_ROWS = 2000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS entries (
    key TEXT PRIMARY KEY,
    resource TEXT NOT NULL,
    tag TEXT NOT NULL,
    payload TEXT NOT NULL,
    fetched_at REAL NOT NULL,
    stale INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS entries_resource ON entries (resource);
CREATE INDEX IF NOT EXISTS entries_fetched ON entries (fetched_at);
"""


def cache_file_name(server: str, user: str) -> str:
    """``<hash>.sqlite3``: the names of the server and user are hashed, not written."""
    digest = hashlib.sha256(f"{server.rstrip('/')}\n{user}".encode()).hexdigest()
    return f"{digest[:24]}.sqlite3"


#: Cache files not used for this long are deleted when another cache is opened.
STALE_DAYS = 30
_NAME = re.compile(r"^[0-9a-f]{24}\.sqlite3(-wal|-shm|-journal)?$")


def prune_stale(directory: Path, keep: Path, *, days: float = STALE_DAYS) -> list[Path]:
    """Delete this cache's sibling files (ours by name) untouched for ``days``; never fails.

    Caches of servers no longer used (an old sandbox port, a retired profile) would
    otherwise pile up in the cache directory. Returns the paths removed.
    """
    removed: list[Path] = []
    cutoff = time.time() - days * 86400
    try:
        entries = list(directory.iterdir())
    except OSError:
        return removed
    for path in entries:
        if not _NAME.match(path.name) or path.name.startswith(keep.name.split(".")[0]):
            continue
        with contextlib.suppress(OSError):
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed.append(path)
    if removed:
        log.info("removed %d stale cache files", len(removed))
    return removed


@dataclass(frozen=True, slots=True)
class Row:
    key: str
    resource: str
    tag: str
    payload: str
    fetched_at: float
    stale: bool


class DiskCache:
    """A small key-value table of cached query results."""

    def __init__(
        self,
        path: Path,
        *,
        max_rows: int = DEFAULT_MAX_ROWS,
        secrets: Iterable[str] = (),
    ) -> None:
        self.path = path
        self.max_rows = max_rows
        self._secrets: tuple[str, ...] = tuple(s for s in secrets if s)
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self.discarded: str | None = None
        """Why an existing file was discarded at open (``None`` when it was kept)."""
        self.disabled: str | None = None
        """Why the disk cache was turned off for this session (``None`` while it works)."""
        self._writes = 0
        self._open()

    # ---------------------------------------------------------------------------------------
    # Opening

    def _open(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            self.disabled = f"cannot create {self.path.parent}: {exc.strerror or exc}"
            log.warning("disk cache off: %s", self.disabled)
            return
        try:
            self._conn = self._connect_checked()
        except (sqlite3.DatabaseError, ValueError) as exc:
            self.discarded = f"{type(exc).__name__}: {exc}"
            log.warning("cache file %s discarded (%s)", self.path, self.discarded)
            self._remove_files()
            try:
                self._conn = self._connect_checked()
            except (sqlite3.Error, ValueError, OSError) as again:
                self.disabled = f"cannot create the cache file: {again}"
                log.warning("disk cache off: %s", self.disabled)
        except OSError as exc:
            self.disabled = f"cannot open the cache file: {exc.strerror or exc}"
            log.warning("disk cache off: %s", self.disabled)

    def _connect_checked(self) -> sqlite3.Connection:
        existed = self.path.exists() and self.path.stat().st_size > 0
        if not existed:
            # Create it 0600 before SQLite does (SQLite would follow the umask).
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600)
            os.fchmod(fd, 0o600)
            os.close(fd)
        conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        try:
            conn.execute("PRAGMA busy_timeout = 2000")
            tables = {
                row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            if existed:
                if "meta" not in tables:
                    raise ValueError("old cache format (no schema version)")
                row = conn.execute("SELECT value FROM meta WHERE name = 'schema'").fetchone()
                version = row[0] if row else None
                if version != str(SCHEMA_VERSION):
                    raise ValueError(f"cache schema {version}, expected {SCHEMA_VERSION}")
                check = conn.execute("PRAGMA quick_check").fetchone()
                if not check or check[0] != "ok":
                    raise sqlite3.DatabaseError(f"integrity check failed: {check}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.executescript(_SCHEMA)
            conn.execute(
                "INSERT OR REPLACE INTO meta (name, value) VALUES ('schema', ?)",
                (str(SCHEMA_VERSION),),
            )
        except BaseException:
            conn.close()
            raise
        with contextlib.suppress(OSError):
            os.chmod(self.path, 0o600)
        return conn

    def _remove_files(self) -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            with contextlib.suppress(OSError):
                Path(f"{self.path}{suffix}").unlink()

    # ---------------------------------------------------------------------------------------
    # Helpers

    @property
    def enabled(self) -> bool:
        return self._conn is not None

    def set_secrets(self, secrets: Iterable[str]) -> None:
        """The strings that must never be written (the current tokens)."""
        self._secrets = tuple(s for s in secrets if s)

    def _fail(self, exc: BaseException) -> None:
        self.disabled = f"{type(exc).__name__}: {exc}"
        log.warning("disk cache off for this session: %s", self.disabled)
        if self._conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
        self._conn = None

    # ---------------------------------------------------------------------------------------
    # Operations (each is a no-op once the cache is disabled)

    def get(self, key: str) -> Row | None:
        with self._lock:
            if self._conn is None:
                return None
            try:
                found = self._conn.execute(
                    "SELECT key, resource, tag, payload, fetched_at, stale FROM entries"
                    " WHERE key = ?",
                    (key,),
                ).fetchone()
            except sqlite3.Error as exc:
                self._fail(exc)
                return None
        if found is None:
            return None
        return Row(found[0], found[1], found[2], found[3], float(found[4]), bool(found[5]))

    def put(
        self, key: str, resource: str, tag: str, payload: str, fetched_at: float, stale: bool
    ) -> bool:
        """Store one entry; False when refused (holds a secret) or the cache is off."""
        if any(secret in payload for secret in self._secrets):
            log.warning("refused to cache %s: the payload holds a credential", resource)
            return False
        with self._lock:
            if self._conn is None:
                return False
            try:
                self._conn.execute(
                    "INSERT OR REPLACE INTO entries"
                    " (key, resource, tag, payload, fetched_at, stale)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (key, resource, tag, payload, fetched_at, int(stale)),
                )
                self._writes += 1
                if self._writes % 50 == 0:
                    self._prune()
            except sqlite3.Error as exc:
                self._fail(exc)
                return False
        return True

    def _prune(self) -> None:
        assert self._conn is not None
        (count,) = self._conn.execute("SELECT COUNT(*) FROM entries").fetchone()
        if count > self.max_rows:
            self._conn.execute(
                "DELETE FROM entries WHERE key IN"
                " (SELECT key FROM entries ORDER BY fetched_at ASC LIMIT ?)",
                (count - self.max_rows,),
            )

    def delete(self, key: str) -> None:
        with self._lock:
            if self._conn is None:
                return
            try:
                self._conn.execute("DELETE FROM entries WHERE key = ?", (key,))
            except sqlite3.Error as exc:
                self._fail(exc)

    def keys(self, resource: str) -> list[str]:
        with self._lock:
            if self._conn is None:
                return []
            try:
                rows = self._conn.execute(
                    "SELECT key FROM entries WHERE resource = ?", (resource,)
                ).fetchall()
            except sqlite3.Error as exc:
                self._fail(exc)
                return []
        return [r[0] for r in rows]

    def mark_stale(self, keys: Iterable[str]) -> None:
        items = [(k,) for k in keys]
        if not items:
            return
        with self._lock:
            if self._conn is None:
                return
            try:
                self._conn.executemany("UPDATE entries SET stale = 1 WHERE key = ?", items)
            except sqlite3.Error as exc:
                self._fail(exc)

    def clear(self) -> None:
        with self._lock:
            if self._conn is None:
                return
            try:
                self._conn.execute("DELETE FROM entries")
            except sqlite3.Error as exc:
                self._fail(exc)

    def count(self) -> int:
        with self._lock:
            if self._conn is None:
                return 0
            try:
                (n,) = self._conn.execute("SELECT COUNT(*) FROM entries").fetchone()
            except sqlite3.Error as exc:
                self._fail(exc)
                return 0
        return int(n)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                with contextlib.suppress(sqlite3.Error):
                    self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                    self._conn.close()
                self._conn = None
