"""How to tell from a re-read whether an action applied, per operation.

A resolver reads the object (never writes) and answers with a :class:`Resolution`:

- state transitions by the object's status: refund approve/reject, campaign
  schedule/send now/cancel, segment recalculate/reset to draft;
- updates by comparing the sent fields with the object now;
- deletes by 404;
- creates (refund request, campaign, segment, email message, edition, duplicates) by a
  server-visible marker: an object matching the sent fields made since the action started by
  this user. (The server also replays the first answer to a repeat of the same idempotency
  key, so a resend after a wrong "not applied" still cannot create a second object.)

A read that fails raises (the client's error): the action stays unknown.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, Literal

from preo_tui.api.errors import NotFound

from .action import Action, jsonable

State = Literal["applied", "not_applied", "elsewhere"]


@dataclass(frozen=True, slots=True)
class Resolution:
    state: State
    #: The object as read (None for a deleted one, or a create not found).
    value: Any = None
    #: Why, in words (journalled with the outcome).
    note: str = ""


@dataclass(frozen=True, slots=True)
class ResolveContext:
    """What a resolver may need besides the client and the action."""

    me: str | None = None
    #: Allowed clock difference between this machine and the server.
    skew: timedelta = timedelta(minutes=5)


Resolver = Callable[[Any, Action, ResolveContext], Awaitable[Resolution]]
RESOLVERS: dict[str, Resolver] = {}


def resolver(*operations: str) -> Callable[[Resolver], Resolver]:
    def register(func: Resolver) -> Resolver:
        for op in operations:
            RESOLVERS[op] = func
        return func

    return register


def can_resolve(operation: str) -> bool:
    return operation in RESOLVERS or _generic(operation) is not None


async def resolve(client: Any, action: Action, ctx: ResolveContext | None = None) -> Resolution:
    """Re-read what ``action`` touched and say whether it applied."""
    ctx = ctx or ResolveContext()
    func = RESOLVERS.get(action.operation) or _generic(action.operation)
    if func is None:
        raise LookupError(f"no resolver for {action.operation}")
    return await func(client, action, ctx)


def _generic(operation: str) -> Resolver | None:
    name = operation.split(".", 1)[1]
    if name == "delete":
        return _resolve_delete
    if name == "update":
        return _resolve_update
    return None


# -- helpers ----------------------------------------------------------------------------------


def status_of(item: Any) -> str:
    value = getattr(item, "status", None)
    value = value.value if isinstance(value, Enum) else value
    return str(value or "")


def _person_id(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return getattr(value, "id", None)


def _resource(client: Any, action: Action) -> Any:
    return getattr(client, action.resource)


async def _get(client: Any, action: Action) -> Any:
    oid = action.object_id
    if oid is None:
        raise LookupError(f"{action.operation}: no object id to re-read")
    return await _resource(client, action).get(oid)


def same(sent: Any, now: Any) -> bool:
    """Whether a sent JSON value and the value read back agree (numbers as decimals, times
    as instants, enums by value)."""
    now = jsonable(now)
    if isinstance(sent, dict) and isinstance(now, dict):
        # What was sent is a subset of what is read back (the server adds ids, defaults).
        return all(k in now and same(v, now[k]) for k, v in sent.items() if v is not None)
    if isinstance(sent, list) and isinstance(now, list):
        return len(sent) == len(now) and all(same(a, b) for a, b in zip(sent, now, strict=True))
    if sent is None or now is None:
        return sent is None and now is None
    if isinstance(sent, int | float) and not isinstance(sent, bool):
        try:
            return Decimal(str(sent)) == Decimal(str(now))
        except (InvalidOperation, ValueError):
            return False
    if isinstance(sent, str) and isinstance(now, str) and sent != now:
        a, b = _instant(sent), _instant(now)
        return a is not None and a == b
    return bool(sent == now)


def _instant(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _created_since(item: Any, action: Action, ctx: ResolveContext, field: str = "created") -> bool:
    if action.started is None:
        return True
    created = getattr(item, field, None)
    if not isinstance(created, datetime):
        return True
    created = created if created.tzinfo else created.replace(tzinfo=UTC)
    started = action.started if action.started.tzinfo else action.started.replace(tzinfo=UTC)
    return created >= started - ctx.skew


def _fields_match(item: Any, args: dict[str, Any], names: Iterable[str]) -> bool:
    for name in names:
        if (
            name in args
            and args[name] is not None
            and not same(args[name], getattr(item, name, None))
        ):
            return False
    return True


# -- state transitions --------------------------------------------------------------------------

#: Refund statuses after an approval (the payment side moves on by itself).
APPROVED = frozenset({"ready", "processing", "awaiting_gateway", "processed", "failed"})


@resolver("refunds.approve", "refunds.reject")
async def _resolve_refund_decision(client: Any, action: Action, ctx: ResolveContext) -> Resolution:
    fresh = await client.refunds.get(action.object_id)
    status = status_of(fresh)
    if status == "requested":
        return Resolution("not_applied", fresh, "not applied (re-read: still requested)")
    applied = status in APPROVED if action.name == "approve" else status == "rejected"
    decider = _person_id(fresh.decided_by)
    if applied and (ctx.me is None or decider in (None, ctx.me)):
        return Resolution("applied", fresh, "confirmed by re-reading the request")
    return Resolution("elsewhere", fresh, f"decided elsewhere (now {status})")


def _transition(
    applied: Callable[[Any, Action], bool], not_applied: frozenset[str], what: str
) -> Resolver:
    async def run(client: Any, action: Action, ctx: ResolveContext) -> Resolution:
        fresh = await _get(client, action)
        status = status_of(fresh)
        if applied(fresh, action):
            return Resolution("applied", fresh, f"confirmed by re-reading the {what} ({status})")
        if status in not_applied:
            return Resolution("not_applied", fresh, f"not applied (re-read: still {status})")
        return Resolution("elsewhere", fresh, f"changed elsewhere (now {status})")

    return run


def _scheduled_as_sent(item: Any, action: Action) -> bool:
    return status_of(item) == "scheduled" and same(
        action.args.get("scheduled_at"), getattr(item, "scheduled_at", None)
    )


RESOLVERS["campaigns.schedule"] = _transition(
    _scheduled_as_sent, frozenset({"draft", "scheduled"}), "campaign"
)
RESOLVERS["campaigns.send_now"] = _transition(
    lambda item, _a: status_of(item) in ("calculating", "sending", "sent", "failed"),
    frozenset({"draft", "scheduled"}),
    "campaign",
)
RESOLVERS["campaigns.cancel"] = _transition(
    lambda item, _a: status_of(item) == "cancelled", frozenset({"scheduled", "draft"}), "campaign"
)
# Only a pending or processing segment can be reset: one found completed or failed was not
# reset, and resending would be refused (409): its calculation ended meanwhile, elsewhere.
RESOLVERS["segments.reset_to_draft"] = _transition(
    lambda item, _a: status_of(item) == "draft",
    frozenset({"pending", "processing"}),
    "segment",
)


@resolver("segments.recalculate")
async def _resolve_recalculate(client: Any, action: Action, ctx: ResolveContext) -> Resolution:
    fresh = await client.segments.get(action.object_id)
    status = status_of(fresh)
    last = getattr(fresh, "last_calculated", None)
    recent = False
    if isinstance(last, datetime) and action.started is not None:
        last = last if last.tzinfo else last.replace(tzinfo=UTC)
        started = action.started if action.started.tzinfo else action.started.replace(tzinfo=UTC)
        recent = last >= started - timedelta(seconds=1)
    if status in ("pending", "processing") or recent:
        return Resolution("applied", fresh, f"confirmed by re-reading the segment ({status})")
    if status == "draft":
        return Resolution("elsewhere", fresh, "changed elsewhere (now draft)")
    return Resolution("not_applied", fresh, f"not applied (re-read: {status}, not recalculated)")


# -- updates and deletes --------------------------------------------------------------------------


async def _resolve_update(client: Any, action: Action, ctx: ResolveContext) -> Resolution:
    fresh = await _get(client, action)
    fields = [k for k in action.args if k != "id"]
    if all(same(action.args[k], getattr(fresh, k, None)) for k in fields):
        return Resolution("applied", fresh, "confirmed by re-reading: the fields match")
    return Resolution("not_applied", fresh, "not applied (re-read: the fields differ)")


async def _resolve_delete(client: Any, action: Action, ctx: ResolveContext) -> Resolution:
    try:
        fresh = await _get(client, action)
    except NotFound:
        return Resolution("applied", None, "confirmed: the object is gone (404)")
    return Resolution("not_applied", fresh, "not applied (re-read: the object still exists)")


# -- creates ------------------------------------------------------------------------------------


async def first_match(
    pages: Any,
    action: Action,
    ctx: ResolveContext,
    match: Callable[[Any], bool],
    *,
    created: str = "created",
) -> Resolution:
    """The first object of ``pages`` made since ``action`` started (its ``created`` field,
    ``ctx.skew`` of clock slack) that ``match`` accepts: applied; none: not applied."""
    for item in getattr(pages, "results", pages):
        if _created_since(item, action, ctx, created) and match(item):
            return Resolution("applied", item, f"confirmed by re-reading: created as {item.id}")
    return Resolution("not_applied", None, "not applied (re-read: no such object was created)")


@resolver("refunds.create", "purchases.refund")
async def _resolve_refund_create(client: Any, action: Action, ctx: ResolveContext) -> Resolution:
    args = dict(action.args)
    if action.operation == "purchases.refund":
        args["purchase_id"] = args.pop("id")
    params: dict[str, Any] = {"ordering": "-created", "page_size": 100}
    if action.started is not None:
        params["created_after"] = (action.started - ctx.skew).isoformat()
    purchase_id = args.get("purchase_id")
    if purchase_id:
        purchase = await client.purchases.get(purchase_id)
        edition = getattr(purchase, "edition_id", None)
        if edition:
            params["edition_id"] = edition
    page = await client.refunds.list(**params)

    def match(item: Any) -> bool:
        if purchase_id and item.purchase_id != purchase_id:
            return False
        mine = _person_id(item.requested_by)
        if ctx.me is not None and mine is not None and mine != ctx.me:
            return False
        return _fields_match(item, args, ("reason", "amount", "comment", "scope"))

    return await first_match(page, action, ctx, match)


def _named_create(resource: str, name_field: str, scope: tuple[str, ...]) -> Resolver:
    async def run(client: Any, action: Action, ctx: ResolveContext) -> Resolution:
        args = dict(action.args)
        name = args.get(name_field)
        params: dict[str, Any] = {k: args[k] for k in scope if args.get(k)}
        if name:
            params["search"] = name
        page = await getattr(client, resource).list(**params)
        fields = [k for k in args if k not in ("id", *scope)]

        def match(item: Any) -> bool:
            return _fields_match(item, args, [name_field] if name else fields[:3])

        return await first_match(page, action, ctx, match)

    return run


RESOLVERS["campaigns.create"] = _named_create("campaigns", "name", ("edition_id",))
RESOLVERS["segments.create"] = _named_create("segments", "name", ("edition_id",))
RESOLVERS["email_messages.create"] = _named_create("email_messages", "title", ("organization_id",))
RESOLVERS["editions.create"] = _named_create("editions", "name", ("organization_id",))


def _duplicate(resource: str, name_field: str, default_scope: str) -> Resolver:
    async def run(client: Any, action: Action, ctx: ResolveContext) -> Resolution:
        source = await _get(client, action)
        name = action.args.get(name_field)
        params: dict[str, Any] = {}
        scope = action.args.get(default_scope) or getattr(source, default_scope, None)
        if scope:
            params[default_scope] = scope
        if isinstance(name, str) and name:
            params["search"] = name
        page = await getattr(client, resource).list(**params)

        def match(item: Any) -> bool:
            if item.id == source.id:
                return False
            if isinstance(name, str) and name:
                return same(name, getattr(item, name_field, None))
            return True

        return await first_match(page, action, ctx, match)

    return run


RESOLVERS["editions.duplicate"] = _duplicate("editions", "name", "organization_id")
RESOLVERS["email_messages.duplicate"] = _duplicate("email_messages", "title", "organization_id")
RESOLVERS["email_messages.adopt"] = _duplicate("email_messages", "title", "edition_id")


__all__ = [
    "RESOLVERS",
    "Resolution",
    "ResolveContext",
    "can_resolve",
    "first_match",
    "resolve",
    "resolver",
    "same",
]
