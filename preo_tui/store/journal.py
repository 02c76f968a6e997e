"""The write journal: every write the operator makes, as JSON lines in the user data dir.

Each write appends a ``begin`` line *before* the request is sent (outcome ``pending``) and an
``outcome`` line with the same ``action_id`` afterwards (``ok``, ``failed`` or ``unknown`` with
the error message), each synced to disk (fdatasync), so after a crash or a lost connection the
operator can see what was attempted and what went through. An ``unknown`` outcome can be
resolved later by appending another outcome line (the last one wins).

Format 2 adds to the ``begin`` line what is needed to resolve or resend the action after a
restart: ``operation`` (the client's operation key, e.g. ``refunds.approve``), ``args`` (its
JSON arguments, never tokens) and ``user`` (the signed-in user's id). Lines of format 1 (without
them) are still read; such entries can be shown but not resumed.

The file is created 0600. The reader merges the lines, newest first, and skips a truncated
or garbled line (the tail of a crash) instead of failing. Known secrets (tokens) are replaced
by ``***`` in everything written. When the file grows past ``max_bytes`` it is rotated to
``journal.jsonl.1`` (one generation kept; the reader reads both).
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

Outcome = Literal["pending", "ok", "failed", "unknown"]
OUTCOMES: tuple[str, ...] = ("pending", "ok", "failed", "unknown")
FORMAT_VERSION = 2
DEFAULT_MAX_BYTES = 8 * 1024 * 1024


#: Data (not metadata) sync where the platform has it: the line is on disk, cheaper than fsync.
_sync = getattr(os, "fdatasync", os.fsync)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class JournalEntry:
    """One write as the journal knows it (begin line merged with its latest outcome)."""

    action_id: str
    time: str
    profile: str
    server: str
    resource: str
    action: str
    object_ids: list[str] = field(default_factory=list)
    summary: str = ""
    idempotency_key: str | None = None
    outcome: Outcome = "pending"
    error: str | None = None
    finished: str | None = None
    attempts: int = 1
    """How many times it was sent (a retry reuses the action id and idempotency key)."""
    operation: str | None = None
    """The client operation key (``refunds.approve``); None on format-1 lines."""
    args: dict[str, Any] | None = None
    """The operation's JSON arguments (enough to resend it); None on format-1 lines."""
    user: str | None = None
    """The id of the user who made it (None on format-1 lines)."""

    @property
    def when(self) -> datetime:
        return datetime.fromisoformat(self.time)

    @property
    def done(self) -> bool:
        return self.outcome in ("ok", "failed")


class Journal:
    """Append-only journal of writes for one profile and server (the reader sees all)."""

    def __init__(
        self,
        path: Path | None = None,
        *,
        profile: str = "",
        server: str = "",
        clock: Callable[[], datetime] = _now,
        secrets: Iterable[str] = (),
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        if path is None:
            from preo_tui.config import journal_path

            path = journal_path()
        self.path = path
        self.profile = profile
        self.server = server
        self.user: str | None = None
        """The signed-in user's id, recorded on every begin line (set after sign-in)."""
        self.clock = clock
        self.max_bytes = max_bytes
        self._secrets: tuple[str, ...] = tuple(s for s in secrets if s)
        self._lock = threading.Lock()
        self._size_after_last = -1  # file size after our last append
        self.skipped_lines = 0
        """Lines the last :meth:`read` could not parse (a truncated tail, garbage)."""

    def set_secrets(self, secrets: Iterable[str]) -> None:
        self._secrets = tuple(s for s in secrets if s)

    # ---------------------------------------------------------------------------------------
    # Writing

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            if len(secret) >= 4:
                text = text.replace(secret, "***")
        return text

    def _append(self, record: dict[str, Any]) -> None:
        line = self._scrub(json.dumps(record, ensure_ascii=False, separators=(",", ":"))) + "\n"
        data = line.encode("utf-8")
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._maybe_rotate()
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                info = os.fstat(fd)
                if info.st_mode & 0o777 != 0o600:
                    os.fchmod(fd, 0o600)
                # Someone else wrote since our last line (or this is our first): a crash may
                # have left a partial line there; never glue onto it.
                if info.st_size not in (0, self._size_after_last) and not self._ends_with_newline():
                    data = b"\n" + data
                os.write(fd, data)
                self._size_after_last = info.st_size + len(data)
                _sync(fd)
            finally:
                os.close(fd)

    def _ends_with_newline(self) -> bool:
        try:
            with open(self.path, "rb") as handle:
                handle.seek(-1, os.SEEK_END)
                return handle.read(1) == b"\n"
        except OSError:
            return True

    def _maybe_rotate(self) -> None:
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            return
        if size >= self.max_bytes:
            os.replace(self.path, self._rotated)

    @property
    def _rotated(self) -> Path:
        return self.path.with_name(self.path.name + ".1")

    def begin(
        self,
        *,
        resource: str,
        action: str,
        object_ids: Sequence[str] = (),
        summary: str = "",
        idempotency_key: str | None = None,
        action_id: str | None = None,
        operation: str | None = None,
        args: dict[str, Any] | None = None,
    ) -> JournalEntry:
        """Record a write about to be sent (outcome ``pending``). Pass the ``action_id`` of an
        earlier entry to record a retry of that same action (it becomes pending again and
        counts one more attempt)."""
        entry = JournalEntry(
            action_id=action_id or uuid.uuid4().hex,
            time=self.clock().isoformat(),
            profile=self.profile,
            server=self.server,
            resource=resource,
            action=action,
            object_ids=[str(i) for i in object_ids],
            summary=summary,
            idempotency_key=idempotency_key,
            operation=operation,
            args=dict(args) if args is not None else None,
            user=self.user,
        )
        record = {"v": FORMAT_VERSION, "kind": "begin", **asdict(entry)}
        del record["outcome"], record["error"], record["finished"], record["attempts"]
        for optional in ("operation", "args", "user"):
            if record[optional] is None:
                del record[optional]
        self._append(record)
        return entry

    def finish(self, action_id: str, outcome: Outcome, error: str | None = None) -> None:
        """Record the outcome of a write (also to resolve an ``unknown`` one later)."""
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}")
        self._append(
            {
                "v": FORMAT_VERSION,
                "kind": "outcome",
                "action_id": action_id,
                "outcome": outcome,
                "error": error,
                "time": self.clock().isoformat(),
            }
        )

    # ---------------------------------------------------------------------------------------
    # Reading

    def _lines(self) -> list[str]:
        lines: list[str] = []
        for path in (self._rotated, self.path):
            with contextlib.suppress(FileNotFoundError):
                lines.extend(path.read_text(encoding="utf-8", errors="replace").splitlines())
        return lines

    def read(
        self,
        limit: int | None = None,
        *,
        profile: str | None = None,
        server: str | None = None,
        outcome: str | None = None,
        user: str | None = None,
    ) -> list[JournalEntry]:
        """Entries newest first, each with its latest outcome; filter by profile, server or
        outcome, user; at most ``limit``. Unparseable lines are skipped and counted."""
        entries: dict[str, JournalEntry] = {}
        skipped = 0
        for line in self._lines():
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                kind = record["kind"]
                if kind == "begin":
                    entry = JournalEntry(
                        action_id=str(record["action_id"]),
                        time=str(record["time"]),
                        profile=str(record.get("profile", "")),
                        server=str(record.get("server", "")),
                        resource=str(record.get("resource", "")),
                        action=str(record.get("action", "")),
                        object_ids=[str(i) for i in record.get("object_ids") or []],
                        summary=str(record.get("summary") or ""),
                        idempotency_key=record.get("idempotency_key"),
                        operation=record.get("operation"),
                        args=record["args"] if isinstance(record.get("args"), dict) else None,
                        user=record.get("user"),
                    )
                    earlier = entries.get(entry.action_id)
                    if earlier is not None:  # a retry of the same logical action
                        entry.time = earlier.time
                        entry.attempts = earlier.attempts + 1
                    entries[entry.action_id] = entry
                elif kind == "outcome":
                    found = entries.get(str(record["action_id"]))
                    value = record["outcome"]
                    if found is None or value not in OUTCOMES:
                        skipped += 1
                        continue
                    found.outcome = value
                    found.error = record.get("error")
                    found.finished = record.get("time")
                else:
                    skipped += 1
            except (ValueError, KeyError, TypeError):
                skipped += 1
        self.skipped_lines = skipped
        selected = [
            e
            for e in entries.values()
            if (profile is None or e.profile == profile)
            and (server is None or e.server == server)
            and (outcome is None or e.outcome == outcome)
            and (user is None or e.user == user)
        ]
        selected.reverse()  # appended in time order
        return selected[:limit] if limit is not None else selected

    def get(self, action_id: str) -> JournalEntry | None:
        for entry in self.read():
            if entry.action_id == action_id:
                return entry
        return None
