"""Writes as durable actions: idempotency key, journal, resolve-by-re-read, resume.

Every write of the app is an :class:`Action` (a client operation, its JSON arguments, one
idempotency key, a human summary) run by an :class:`ActionRunner`, which journals it before
sending, resolves a lost answer by re-reading (:mod:`.resolve`), reports progress as
:class:`ActionEvent` values and, after a restart, resolves or resends what the journal left
unknown. A write that carries a file's body journals where the file is and its SHA-256, not
the body (:mod:`.files`). No Textual here (``tests/test_boundaries.py``): the UI turns events into messages.
"""

from __future__ import annotations

from .action import FINAL, OPERATIONS, Action, Outcome, make, new_key
from .files import FILE_OPERATIONS, FileChanged, file_action
from .resolve import RESOLVERS, Resolution, ResolveContext, can_resolve, resolve
from .runner import ActionEvent, ActionResult, ActionRunner, Listener

__all__ = [
    "FILE_OPERATIONS",
    "FINAL",
    "OPERATIONS",
    "RESOLVERS",
    "Action",
    "FileChanged",
    "ActionEvent",
    "ActionResult",
    "ActionRunner",
    "Listener",
    "Outcome",
    "Resolution",
    "ResolveContext",
    "can_resolve",
    "file_action",
    "make",
    "new_key",
    "resolve",
]
