"""The runner: sends :class:`Action` values exactly once and finds out what happened.

For one action it

1. journals it (operation, arguments and idempotency key, never tokens) *before* sending —
   through the store (which also refuses writes on a read-only profile or while offline, and
   patches the cache with the answer) or straight to the journal without a store;
2. sends it with the client (whose own retries reuse the key);
3. when the answer is lost (network failure, 5xx, garbled answer, interrupted), re-reads the
   object (:mod:`preo_tui.actions.resolve`) and resolves the journal entry to applied, not
   applied (then resends it once more with the *same* key) or decided elsewhere; when even the
   re-read fails it stays ``unknown``, and :meth:`ActionRunner.resume` resolves it later (at
   start-up, from the journal view);
4. reports progress and the outcome as plain :class:`ActionEvent` values to a listener (the UI
   turns them into Textual messages).

:meth:`ActionRunner.retry` resends a journalled action with its original key and arguments.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from preo_tui.api.errors import (
    Conflict,
    DecodeError,
    NetworkError,
    PreoError,
    ReadOnlyError,
    ServerError,
)

from .action import OPERATIONS, Action, Outcome
from .files import FileChanged, prepare_args
from .resolve import Resolution, ResolveContext, can_resolve, resolve

log = logging.getLogger(__name__)

Phase = Literal["sending", "checking", "done"]


@dataclass(frozen=True, slots=True)
class ActionEvent:
    """Progress of one action: ``sending``, ``checking`` (answer lost, re-reading), ``done``
    (with its ``outcome``)."""

    action: Action
    phase: Phase
    outcome: Outcome | None = None
    value: Any = None
    message: str = ""


@dataclass(frozen=True, slots=True)
class ActionResult:
    """The outcome of :meth:`ActionRunner.run`: ``value`` is the server's answer or the
    object as re-read; ``error`` the refusal (for ``failed``/``refused``)."""

    action: Action
    outcome: Outcome
    value: Any = None
    message: str = ""
    error: BaseException | None = None

    @property
    def applied(self) -> bool:
        return self.outcome == "applied"


Listener = Callable[[ActionEvent], None]


def _now() -> datetime:
    return datetime.now(UTC)


def _lost(exc: BaseException) -> bool:
    """The request may or may not have been applied."""
    return isinstance(exc, NetworkError | ServerError | DecodeError) and not _refused(exc)


def _refused(exc: BaseException) -> bool:
    """Refused before anything was sent."""
    name = type(exc).__name__
    return isinstance(exc, ReadOnlyError) or name in ("OfflineError", "JournalError")


class ActionRunner:
    """Runs actions for one client, store and journal (one per signed-in session)."""

    #: Re-reads of an action whose answer was lost before leaving it unknown.
    CHECK_ATTEMPTS = 4
    #: First pause between re-reads (doubled each time, at most 2 s).
    CHECK_DELAY = 0.1
    #: Automatic resends (same key) of an action a re-read proved not applied.
    RESENDS = 1

    def __init__(
        self,
        client: Any,
        *,
        store: Any = None,
        journal: Any = None,
        me: str | None = None,
        clock: Callable[[], datetime] = _now,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.client = client
        self.store = store
        self._journal = journal
        self.me = me
        self.clock = clock
        self.sleep = sleep
        #: Journal ids of actions being sent or checked now (resume leaves them alone).
        self.in_flight: set[str] = set()

    @property
    def journal(self) -> Any:
        if self.store is not None and getattr(self.store, "journal", None) is not None:
            return self.store.journal
        return self._journal

    @property
    def context(self) -> ResolveContext:
        return ResolveContext(me=self.me)

    # -- sending ----------------------------------------------------------------------------------

    async def run(self, action: Action, listener: Listener | None = None) -> ActionResult:
        """Send ``action`` (journalled first), resolve a lost answer, report the outcome."""
        if action.journal_id is None or action.started is None:
            action = action.again(
                journal_id=action.journal_id or uuid.uuid4().hex,
                started=action.started or self.clock(),
            )
        assert action.journal_id is not None
        self.in_flight.add(action.journal_id)
        try:
            result = await self._run(action, listener, resends=self.RESENDS)
        finally:
            self.in_flight.discard(action.journal_id)
        self._emit(
            listener, ActionEvent(action, "done", result.outcome, result.value, result.message)
        )
        return result

    async def _run(self, action: Action, listener: Listener | None, resends: int) -> ActionResult:
        store = self.store
        if store is not None and getattr(store, "offline", False) and can_resolve(action.operation):
            # Offline: a re-read first. It brings the connection back when the server answers,
            # and tells whether an earlier attempt of this action already went through.
            early = await self._precheck(action)
            if early is not None:
                return early
        self._emit(listener, ActionEvent(action, "sending"))
        try:
            value = await self._send(action)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            if not isinstance(exc, Exception):
                raise
            if isinstance(exc, FileChanged):
                # A resend whose file is no longer what was sent: nothing sent, said so.
                self._finish(action, "failed", exc.message)
                return ActionResult(action, "refused", None, exc.message, exc)
            if _refused(exc):
                return ActionResult(action, "refused", None, _message(exc), exc)
            if _lost(exc) and can_resolve(action.operation):
                result = await self.check(action, listener)
                if result.outcome == "not_applied" and resends > 0:
                    return await self._run(action, listener, resends - 1)
                return result
            if isinstance(exc, Conflict) and can_resolve(action.operation):
                return await self._after_conflict(action, exc)
            return ActionResult(action, "failed", None, _message(exc), exc)
        return ActionResult(action, "applied", value, "done")

    async def _send(self, action: Action) -> Any:
        op = OPERATIONS[action.operation]
        method = getattr(getattr(self.client, op.resource), op.name)
        # The journalled arguments, or (a file-body action) with the file read back and
        # checked; FileChanged before anything is journalled or sent.
        args = await prepare_args(self.client, action)

        def call(key: str) -> Awaitable[Any]:
            return method(**args, idempotency_key=key)  # type: ignore[no-any-return]  # a resource method found by name

        store = self.store
        if store is not None:
            return await store.write(
                call,
                resource=action.store_resource,
                action=action.name,
                object_ids=list(action.object_ids),
                summary=action.summary,
                idempotency_key=action.key,
                invalidates=action.invalidates,
                journal_id=action.journal_id,
                operation=action.operation,
                args=dict(action.args),
            )
        journal = self.journal
        if journal is not None:
            try:
                await asyncio.to_thread(
                    journal.begin,
                    resource=action.store_resource,
                    action=action.name,
                    object_ids=action.object_ids,
                    summary=action.summary,
                    idempotency_key=action.key,
                    action_id=action.journal_id,
                    operation=action.operation,
                    args=dict(action.args),
                )
            except OSError as exc:
                from preo_tui.store.core import JournalError

                raise JournalError(f"The journal cannot be written ({exc}); not sent") from None
        try:
            value = await call(action.key)
        except BaseException as exc:
            outcome = (
                "unknown" if _lost(exc) or isinstance(exc, asyncio.CancelledError) else "failed"
            )
            self._finish(action, outcome, _message(exc))
            raise
        self._finish(action, "ok", None)
        return value

    async def _precheck(self, action: Action) -> ActionResult | None:
        try:
            found = await resolve(self.client, action, self.context)
        except Exception as exc:
            return ActionResult(action, "refused", None, "not sent: offline", exc)
        with contextlib.suppress(Exception):
            self.store.handle_connection_event("online")
        if found.state == "not_applied":
            return None
        return self._resolved(action, found)

    async def _after_conflict(self, action: Action, exc: Conflict) -> ActionResult:
        try:
            found = await resolve(self.client, action, self.context)
        except Exception:
            return ActionResult(action, "failed", None, _message(exc), exc)
        if found.state == "applied":
            self._finish(action, "ok", "applied by an earlier attempt (" + found.note + ")")
            self._remember(action, found.value)
            return ActionResult(action, "applied", found.value, found.note)
        if found.state == "elsewhere":
            self._finish(action, "failed", found.note)
            return ActionResult(action, "elsewhere", found.value, found.note, exc)
        return ActionResult(action, "failed", found.value, _message(exc), exc)

    # -- resolving ----------------------------------------------------------------------------------

    async def check(
        self, action: Action, listener: Listener | None = None, *, attempts: int | None = None
    ) -> ActionResult:
        """Re-read to learn whether ``action`` (its answer lost) applied; journal the
        resolution. ``unknown`` when no re-read succeeded."""
        tries = self.CHECK_ATTEMPTS if attempts is None else attempts
        self._emit(listener, ActionEvent(action, "checking", "unknown", None, "unknown — checking"))
        last: BaseException | None = None
        for attempt in range(tries):
            try:
                found = await resolve(self.client, action, self.context)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                last = exc
                if attempt + 1 < tries:
                    await self.sleep(min(self.CHECK_DELAY * 2**attempt, 2.0))
                continue
            return self._resolved(action, found)
        message = "unknown — the answer was lost and the server could not be re-read yet"
        return ActionResult(action, "unknown", None, message, last)

    def _resolved(self, action: Action, found: Resolution) -> ActionResult:
        if found.state == "applied":
            self._finish(action, "ok", found.note)
            self._remember(action, found.value)
            return ActionResult(action, "applied", found.value, found.note)
        self._finish(action, "failed", found.note)
        outcome: Outcome = "not_applied" if found.state == "not_applied" else "elsewhere"
        return ActionResult(action, outcome, found.value, found.note)

    def _remember(self, action: Action, value: Any) -> None:
        store = self.store
        if store is None:
            return
        with contextlib.suppress(Exception):
            item_id = getattr(value, "id", None)
            if item_id is not None:
                store.update_item(action.store_resource, str(item_id), value)
            elif action.name == "delete" and action.object_id:
                store.remove_item(action.store_resource, action.object_id)
            store.invalidate(
                [
                    action.store_resource,
                    *[r for r in action.invalidates if r != action.store_resource],
                ]
            )
            if item_id is not None:
                # As after an answer (``Store.write``): the objects that depend on it (a
                # refund's order and purchase) are marked stale, not their whole resources.
                store.follow(action.store_resource, [value])

    def _finish(self, action: Action, outcome: str, note: str | None) -> None:
        journal = self.journal
        if journal is None or action.journal_id is None:
            return
        try:
            journal.finish(action.journal_id, outcome, note)
        except OSError:
            log.exception("could not journal the outcome of %s", action.journal_id)

    @staticmethod
    def _emit(listener: Listener | None, event: ActionEvent) -> None:
        if listener is None:
            return
        try:
            listener(event)
        except Exception:
            log.exception("action listener failed")

    # -- after a restart ----------------------------------------------------------------------------

    def action_of(self, entry: Any) -> Action | None:
        """The action a journal entry recorded (None for a format-1 entry without its
        operation and arguments)."""
        operation = getattr(entry, "operation", None)
        args = getattr(entry, "args", None)
        if not operation or args is None or operation not in OPERATIONS:
            return None
        try:
            started = datetime.fromisoformat(entry.time)
        except (TypeError, ValueError):
            started = None
        try:
            return Action(
                operation,
                dict(args),
                entry.summary,
                key=entry.idempotency_key or uuid.uuid4().hex,
                object_ids=tuple(entry.object_ids),
                cache_resource=entry.resource or None,
                journal_id=entry.action_id,
                started=started,
            )
        except ValueError:
            return None

    def unresolved(self, limit: int = 500) -> list[Any]:
        """Journal entries of this server and user whose outcome is unknown (or pending from
        an earlier run that never finished), not being sent now."""
        journal = self.journal
        if journal is None:
            return []
        server = getattr(journal, "server", None) or None
        entries = journal.read(limit=limit, server=server, user=self.me)
        return [
            e
            for e in entries
            if e.outcome in ("unknown", "pending")
            and e.action_id not in self.in_flight
            and self.action_of(e) is not None
        ]

    async def resume(
        self, listener: Listener | None = None, limit: int = 500
    ) -> list[ActionResult]:
        """Re-read and resolve every unknown action of this server and user (at start-up,
        from the journal view). One re-read each; what cannot be read stays unknown."""
        results: list[ActionResult] = []
        for entry in await asyncio.to_thread(self.unresolved, limit):
            action = self.action_of(entry)
            if action is None or not can_resolve(action.operation):
                continue
            self.in_flight.add(entry.action_id)
            try:
                result = await self.check(action, listener, attempts=1)
            finally:
                self.in_flight.discard(entry.action_id)
            if result.outcome == "unknown" and entry.outcome == "pending":
                self._finish(action, "unknown", "interrupted; the server could not be re-read")
            self._emit(
                listener, ActionEvent(action, "done", result.outcome, result.value, result.message)
            )
            results.append(result)
        return results

    async def retry(self, entry: Any, listener: Listener | None = None) -> ActionResult:
        """Resend a journalled action with its original key and arguments (the journal shows
        one action with one more attempt)."""
        action = self.action_of(entry)
        if action is None:
            raise ValueError("this journal entry cannot be resent (no operation recorded)")
        return await self.run(action, listener)


def _message(exc: BaseException) -> str:
    if isinstance(exc, PreoError):
        return exc.message or type(exc).__name__
    return str(exc) or type(exc).__name__


__all__ = ["ActionEvent", "ActionResult", "ActionRunner", "Listener"]
