"""Every write of the UI goes through here: an :class:`~preo_tui.actions.Action` run by the
session's :class:`~preo_tui.actions.ActionRunner` (journalled before sending, resolved by
re-reading when the answer is lost, resumable after a restart).

- :func:`runner_of`: the runner of the app context (one per session, kept in step with the
  client, store, journal and signed-in user).
- :func:`perform`: run an action for a screen; its progress reaches the screen as
  :class:`ActionProgress` messages; returns the server's object when it applied and raises
  otherwise (the refusal itself, :class:`ActionNotApplied`, :class:`ActionUnknown`, or a
  ``Conflict`` when the object was changed elsewhere) so the usual error reporting says why.
- :func:`resume_unknown`: resolve what the journal left unknown (start-up, ``:journal``).
"""

from __future__ import annotations

import asyncio
import functools
from typing import TYPE_CHECKING, Any

from textual.message import Message

from preo_tui.actions import Action, ActionEvent, ActionResult, ActionRunner
from preo_tui.api.errors import Conflict, NetworkError

if TYPE_CHECKING:
    from pathlib import Path

    from textual.dom import DOMNode

    from preo_tui.ui.context import AppContext


class ActionProgress(Message):
    """An action's progress (``sending``, ``checking``, ``done``), posted to the screen that
    started it."""

    def __init__(self, event: ActionEvent) -> None:
        super().__init__()
        self.event = event


class ActionNotApplied(NetworkError):
    """The answer was lost and a re-read proved the server did not apply the write."""


class ActionUnknown(NetworkError):
    """The answer was lost and the server could not be re-read yet."""


def runner_of(ctx: AppContext) -> ActionRunner | None:
    """The session's runner (None before signing in)."""
    client = ctx.client
    if client is None:
        return None
    me = getattr(ctx.me, "id", None)
    me = str(me) if me is not None else None
    journal = ctx.journal
    if journal is not None and me is not None:
        journal.user = me
    runner: ActionRunner | None = ctx.actions
    if runner is None:
        runner = ActionRunner(client, store=ctx.store, journal=journal, me=me)
        ctx.actions = runner
    runner.client, runner.store, runner._journal, runner.me = client, ctx.store, journal, me
    return runner


def poster(node: DOMNode | None) -> Any:
    """A listener that posts each event to ``node`` as an :class:`ActionProgress`."""
    if node is None:
        return None

    def post(event: ActionEvent) -> None:
        node.post_message(ActionProgress(event))

    return post


async def run(ctx: AppContext, action: Action, node: DOMNode | None = None) -> ActionResult:
    """Run ``action``; progress goes to ``node`` as :class:`ActionProgress` messages."""
    runner = runner_of(ctx)
    if runner is None:
        raise NetworkError("Not signed in: nothing was sent.")
    return await runner.run(action, poster(node))


async def perform(ctx: AppContext, action: Action, node: DOMNode | None = None) -> Any:
    """Run ``action`` and return the server's object when it applied; raise otherwise. When
    its outcome stays unknown, it is re-read in the background until it is known (the
    outcome then reaches ``node`` as an :class:`ActionProgress` and a toast)."""
    result = await run(ctx, action, node)
    if result.outcome == "unknown" and node is not None:
        runner = runner_of(ctx)
        if runner is not None:
            node.app.run_worker(
                keep_checking(runner, result.action, node),
                group="actions-check",
                exit_on_error=False,
            )
    return value_or_raise(result)


#: Background re-reads of an action left unknown: how many, and the pause between them.
KEEP_CHECKING = (20, 3.0)


async def keep_checking(runner: ActionRunner, action: Action, node: DOMNode) -> ActionResult:
    """Re-read ``action`` every few seconds until its outcome is known; say it."""
    attempts, pause = KEEP_CHECKING
    result = ActionResult(action, "unknown")
    for _ in range(attempts):
        await runner.sleep(pause)
        result = await runner.check(action, attempts=1)
        if result.outcome != "unknown":
            break
    else:
        return result
    node.post_message(
        ActionProgress(ActionEvent(action, "done", result.outcome, result.value, result.message))
    )
    applied = result.outcome == "applied"
    node.app.notify(
        f"{action.summary}: {result.message}",
        title="Write confirmed" if applied else "Write not applied",
        severity="information" if applied else "warning",
        timeout=8,
    )
    return result


def value_or_raise(result: ActionResult) -> Any:
    outcome = result.outcome
    if outcome == "applied":
        return result.value
    summary = result.action.summary or result.action.operation
    if outcome in ("failed", "refused") and result.error is not None:
        raise result.error
    if outcome == "elsewhere":
        raise Conflict(f"{summary}: not applied — {result.message}")
    if outcome == "not_applied":
        raise ActionNotApplied(
            f"{summary}: the answer was lost and the server did not apply it. Nothing changed;"
            " retry it (the same request) from :journal."
        )
    raise ActionUnknown(
        f"{summary}: the answer was lost. It will be checked again from :journal and at the"
        " next start."
    )


async def resume_unknown(ctx: AppContext, node: DOMNode | None = None) -> list[ActionResult]:
    """Re-read and resolve the unknown writes of this server and user."""
    runner = runner_of(ctx)
    if runner is None or runner.journal is None:
        return []
    return await runner.resume(poster(node))


__all__ = [
    "ActionNotApplied",
    "ActionProgress",
    "ActionUnknown",
    "perform",
    "resume_unknown",
    "run",
    "runner_of",
    "value_or_raise",
]


async def perform_operation(
    ctx: AppContext,
    operation: str,
    summary: str,
    node: DOMNode | None = None,
    *,
    invalidates: tuple[str, ...] = (),
    **args: Any,
) -> Any:
    """The one-line write of the screens: the client's ``operation`` (``"webhooks.rotate"``)
    with ``args`` as a durable action (:func:`preo_tui.actions.make`: a new idempotency key,
    the ``id`` argument as its object), run by :func:`perform` with its progress posted to
    ``node``. ``invalidates`` names further cached resources the write makes stale. The
    summary and the arguments go to the journal: never put a secret in them."""
    from preo_tui.actions import make

    action = make(operation, summary, invalidates=invalidates, **args)
    return await perform(ctx, action, node)


__all__ += ["perform_operation"]


async def perform_file(
    ctx: AppContext,
    operation: str,
    summary: str,
    data: bytes,
    node: DOMNode | None = None,
    *,
    path: Path | str | None = None,
    file_id: str | None = None,
    invalidates: tuple[str, ...] = (),
    **args: Any,
) -> Any:
    """A write that carries a file's body (``files.upload``, ``data_imports.create``,
    ``data_imports.external_orders``) as a durable action like every other write
    (:func:`preo_tui.actions.file_action`): the journal keeps ``args`` and where the body
    came from — the local file's ``path`` or the organization's uploaded file ``file_id`` —
    with its size and SHA-256, never the body; a lost answer is resolved by re-reading, and a
    resend (same key, from ``:journal``, after a restart) reads the file again and refuses
    when it changed."""
    from preo_tui.actions import file_action

    action = await asyncio.to_thread(
        functools.partial(
            file_action,
            operation,
            summary,
            data,
            path=path,
            file_id=file_id,
            invalidates=invalidates,
            **args,
        )
    )
    return await perform(ctx, action, node)


__all__ += ["perform_file"]
