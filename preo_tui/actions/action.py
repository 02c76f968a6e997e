"""An :class:`Action`: one logical write, as a value.

An action names a client operation (its key in the client's operation table,
``preo_tui.api.client.ALL_OPERATIONS``, e.g. ``refunds.approve``), its arguments as JSON values
(so the journal can keep them and the action can be resent after a restart), the idempotency
key every attempt reuses, and a human summary (with the order number and the amount where there
is one). How to tell from a re-read whether it applied lives in :mod:`preo_tui.actions.resolve`,
per operation.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

from preo_tui.api._resource import json_value
from preo_tui.api.client import ALL_OPERATIONS
from preo_tui.api.registry import Operation

#: Every client operation, by key (``refunds.approve``).
OPERATIONS: dict[str, Operation] = {op.key: op for op in ALL_OPERATIONS}

#: What finally happened to an action.
#: - ``applied``: the server did it (its answer, or a re-read proved it);
#: - ``not_applied``: a re-read proved it did not happen (resend it with the same key);
#: - ``elsewhere``: the object moved on without it (decided or changed by someone else);
#: - ``failed``: the server refused it (4xx: validation, permission, conflict…);
#: - ``refused``: never sent (read-only profile, offline, journal not writable);
#: - ``unknown``: the answer was lost and no re-read could tell yet.
Outcome = Literal["applied", "not_applied", "elsewhere", "failed", "refused", "unknown"]
FINAL: frozenset[str] = frozenset({"applied", "not_applied", "elsewhere", "failed", "refused"})


def new_key() -> str:
    """A fresh idempotency key (one per logical action)."""
    return uuid.uuid4().hex


def jsonable(value: Any) -> Any:
    """``value`` as JSON (enums by value, Decimal as a number, dates ISO 8601, models as
    dicts, the client's "unset" marker dropped by the caller)."""
    return json_value(value)


@dataclass(frozen=True, slots=True)
class Action:
    """One write: ``operation`` with ``args``, sent with ``key`` by every attempt."""

    operation: str
    args: Mapping[str, Any]
    summary: str
    key: str = field(default_factory=new_key)
    object_ids: tuple[str, ...] = ()
    #: Store resources to invalidate besides the operation's own.
    invalidates: tuple[str, ...] = ()
    #: The store resource the result is cached under (default: the operation's resource).
    cache_resource: str | None = None
    #: The journal entry of this action once journalled (a retry continues it).
    journal_id: str | None = None
    #: When it was first journalled (a create is matched against objects made after it).
    started: datetime | None = None
    #: A file-body action's body as first read (never journalled; None when the action was
    #: read back from the journal: :mod:`preo_tui.actions.files` reads the file again).
    body: bytes | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.operation not in OPERATIONS:
            raise ValueError(f"unknown operation {self.operation!r}")
        op = OPERATIONS[self.operation]
        if not op.is_write:
            raise ValueError(f"{self.operation} is not a write")
        args = {k: jsonable(v) for k, v in self.args.items() if not _is_unset(v)}
        object.__setattr__(self, "args", args)
        object.__setattr__(self, "object_ids", tuple(str(i) for i in self.object_ids))

    @property
    def resource(self) -> str:
        return self.operation.split(".", 1)[0]

    @property
    def name(self) -> str:
        return self.operation.split(".", 1)[1]

    @property
    def store_resource(self) -> str:
        return self.cache_resource or self.resource

    @property
    def object_id(self) -> str | None:
        value = self.args.get("id")
        if isinstance(value, str):
            return value
        return self.object_ids[0] if self.object_ids else None

    def continuing(self, previous: Action | None) -> Action:
        """This action with ``previous``'s key when it is the same write (same operation and
        arguments) whose outcome was not a success: saving a draft again after a lost or
        refused answer is the same logical action, and the server applies it at most once."""
        if (
            previous is not None
            and previous.operation == self.operation
            and previous.args == self.args
        ):
            return replace(self, key=previous.key)
        return self

    def again(self, **changes: Any) -> Action:
        """The same action (same key and arguments) with ``changes``."""
        return replace(self, **changes)


def _is_unset(value: Any) -> bool:
    return type(value).__name__ == "_Unset"


def make(
    operation: str,
    summary: str,
    *,
    object_ids: Sequence[str] = (),
    invalidates: Sequence[str] = (),
    cache_resource: str | None = None,
    key: str | None = None,
    **args: Any,
) -> Action:
    """``Action(operation, args, summary, …)`` with the arguments as keywords."""
    ids = tuple(object_ids)
    if not ids and isinstance(args.get("id"), str):
        ids = (args["id"],)
    return Action(
        operation,
        args,
        summary,
        key=key or new_key(),
        object_ids=ids,
        invalidates=tuple(invalidates),
        cache_resource=cache_resource,
    )


__all__ = ["FINAL", "OPERATIONS", "Action", "Outcome", "jsonable", "make", "new_key"]
