"""Writes through the store: refused while read-only or offline, journalled before sending
and with their outcome after (``ok`` / ``failed`` / ``unknown``), counted while in flight, and
followed by the cache updates and invalidations they cause."""

from __future__ import annotations

import asyncio
import functools
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel

from preo_tui.api.errors import NetworkError, PreoError, RateLimited, ReadOnlyError, ServerError

from .entries import JournalError, OfflineError, StoreEvent
from .invalidation import InvalidatingStore, _item_id
from .journal import Outcome

log = logging.getLogger(__name__)

R = TypeVar("R")


class WritingStore(InvalidatingStore):
    """The cache and invalidation plus journalled writes."""

    # ---------------------------------------------------------------------------------------
    # Writes

    async def write(
        self,
        call: Callable[[str], Awaitable[R]],
        *,
        resource: str,
        action: str,
        object_ids: Sequence[str] = (),
        summary: str = "",
        idempotency_key: str | None = None,
        invalidates: Iterable[str] = (),
        update: bool = True,
        journal_id: str | None = None,
        operation: str | None = None,
        args: dict[str, Any] | None = None,
    ) -> R:
        """Run one logical write: ``await call(idempotency_key)``.

        Refused with :class:`ReadOnlyError` on a read-only store and :class:`OfflineError`
        while offline (nothing sent, nothing journalled). Otherwise journalled as
        ``pending`` before the request and with its outcome after: ``ok``; ``failed`` for a
        definite refusal (4xx, validation, conflict); ``unknown`` when the request may or may
        not have been applied (network failure, 5xx, cancellation) — retry with the same
        ``idempotency_key`` or re-read the object. Counted in ``writes_in_flight`` while it
        runs. On success, a returned model with an ``id`` is patched into the cache
        (``update_item``) and ``resource`` plus ``invalidates`` are invalidated.

        To retry an action whose outcome was ``unknown``, pass its ``idempotency_key`` and
        its ``journal_id`` (the entry's ``action_id``): the journal then shows one action with
        two attempts, and the server applies it at most once.

        ``operation`` and ``args`` (the client operation key and its JSON arguments) are
        journalled so that the action can be resolved or resent after a restart
        (``preo_tui.actions``).
        """
        if self.read_only:
            raise ReadOnlyError(f"Read-only profile: {summary or action} was not sent")
        if self.offline:
            raise OfflineError()
        key = idempotency_key or str(uuid.uuid4())
        entry_id: str | None = None
        if self.journal is not None:
            try:
                # The disk sync runs in a thread: the UI keeps drawing while it happens.
                begun = await asyncio.to_thread(
                    functools.partial(
                        self.journal.begin,
                        resource=resource,
                        action=action,
                        object_ids=object_ids,
                        summary=summary,
                        idempotency_key=key,
                        action_id=journal_id,
                        operation=operation,
                        args=args,
                    )
                )
                entry_id = begun.action_id
            except OSError as exc:
                # Never send what could not be recorded: after a crash it would be invisible.
                raise JournalError(
                    f"The journal ({self.journal.path}) cannot be written "
                    f"({exc.strerror or exc}); {summary or action} was not sent"
                ) from None
        self._writes_in_flight += 1
        self._emit(StoreEvent("writes", writes_in_flight=self._writes_in_flight))
        try:
            result = await call(key)
        except asyncio.CancelledError:
            # No awaiting while being cancelled: record the outcome synchronously.
            self._journal_outcome(entry_id, *_classify_failure(asyncio.CancelledError()))
            raise
        except BaseException as exc:
            outcome, message = _classify_failure(exc)
            await self._journal_outcome_async(entry_id, outcome, message)
            raise
        finally:
            self._writes_in_flight -= 1
            self._emit(StoreEvent("writes", writes_in_flight=self._writes_in_flight))
        await self._journal_outcome_async(entry_id, "ok", None)
        if update:
            items = result if isinstance(result, list) else [result]
            for item in items:
                item_id = _item_id(item)
                if isinstance(item, BaseModel) and item_id is not None:
                    self.update_item(resource, item_id, item)
        self.invalidate([resource, *[r for r in invalidates if r != resource]])
        if update:
            self.follow(resource, result if isinstance(result, list) else [result])
        return result

    async def _journal_outcome_async(
        self, journal_id: str | None, outcome: Outcome, error: str | None
    ) -> None:
        if self.journal is None or journal_id is None:
            return
        try:
            await asyncio.to_thread(self.journal.finish, journal_id, outcome, error)
        except OSError:
            log.exception("could not journal the outcome of %s", journal_id)

    def _journal_outcome(self, journal_id: str | None, outcome: Outcome, error: str | None) -> None:
        if self.journal is None or journal_id is None:
            return
        try:
            self.journal.finish(journal_id, outcome, error)
        except OSError:
            log.exception("could not journal the outcome of %s", journal_id)


def _classify_failure(exc: BaseException) -> tuple[Outcome, str]:
    message = exc.message if isinstance(exc, PreoError) else (str(exc) or type(exc).__name__)
    if isinstance(exc, asyncio.CancelledError):
        return "unknown", "interrupted before the answer arrived"
    if isinstance(exc, NetworkError | ServerError):
        return "unknown", message
    if isinstance(exc, RateLimited):
        return "failed", message
    if isinstance(exc, PreoError):
        return "failed", message
    return "unknown", f"{type(exc).__name__}: {message}"
