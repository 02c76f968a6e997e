"""Who a segment condition selects: CEL records of an edition's people, and their evaluation.

:func:`compute_audience` evaluates a CEL condition once per user of an edition (the users with
at least one order in it) over ``user``, ``orders`` (with their purchases), ``edition`` and
``now``, after the audience rules (channel reachability, marketing consent; see
:mod:`preo_tui.sandbox.resources.segments`).

Speed at the ``large`` scale (100,000 orders, 63,000 users in one edition):

- the people come from :func:`~preo_tui.sandbox.audience_data.load_people` (one pass, a
  compact form cached until a write; see :mod:`preo_tui.sandbox.audience_data`);
- :func:`records_for` / :func:`variant_for` build the CEL records a condition needs with only
  the fields it reads (the library converts every value it is handed, so slim records
  evaluate several times faster); a few variants are cached per loaded edition;
- equal records are built once and evaluated once (:class:`Variant`): a condition reading a
  language and order amounts sees far fewer distinct records than users, and CEL is pure, so
  the outcome of one is the outcome of every user with that record;
- everything here is pure CPU and thread-safe: call it from a worker thread.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

from google.protobuf import timestamp_pb2

from ..cel import ConditionError, FieldUsage, compile_condition, field_usage
from . import clock
from .audience_data import (
    EDITION_FIELDS,
    ORDER_COLUMNS,
    ORDER_FIELDS,
    PURCHASE_COLUMNS,
    PURCHASE_FIELDS,
    USER_COLUMNS,
    USER_FIELDS,
    People,
    Person,
    Variant,
    cache_lock,
    cached_people,
    data_version,
    fingerprint,
    forget_people,
    load_people,
    no_gc,
    settle,
)
from .cel_context import (
    BARE_CONTEXT,
    LANGUAGES,
    ORDER_STATUSES,
    ORDER_TYPES,
    PURCHASE_STATUSES,
    edition_context,
)
from .db import Database, Row

log = logging.getLogger("preo_tui.sandbox")

__all__ = [  # the CEL context lives in .cel_context, the people in .audience_data
    "BARE_CONTEXT",
    "LANGUAGES",
    "ORDER_STATUSES",
    "ORDER_TYPES",
    "PURCHASE_STATUSES",
    "Audience",
    "AudienceError",
    "People",
    "Person",
    "Variant",
    "audience_for_segment",
    "cached_people",
    "compute_audience",
    "data_version",
    "edition_context",
    "field_usage",
    "fingerprint",
    "forget_people",
    "load_people",
    "reachable",
    "records_for",
    "variant_for",
    "warm_up",
]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+\d{6,15}$")

#: CEL record variants kept per loaded edition (each is one dict tree per distinct record).
VARIANTS_KEPT = 2


# -- CEL values ------------------------------------------------------------------------------------


def _text(value: Any) -> Any:
    return value or ""


def _number(value: Any) -> float:
    return float(value or 0.0)


def _integer(value: Any) -> int:
    return int(value or 0)


def _ts(value: Any) -> timestamp_pb2.Timestamp:
    """A CEL timestamp from epoch seconds or ISO text (zero for NULL / empty)."""
    if value is None or value == "":
        return timestamp_pb2.Timestamp()
    if isinstance(value, int):
        return timestamp_pb2.Timestamp(seconds=value)
    dt = datetime.fromisoformat(str(value))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return timestamp_pb2.Timestamp(seconds=int(dt.timestamp()))


def _converter(name: str) -> Callable[[Any], Any]:
    """How a stored column becomes the CEL context's type (zero values for NULLs)."""
    if name in ("created", "start_date", "end_date"):
        return _ts
    if name == "amount":
        return _number
    if name == "quantity":
        return _integer
    return _text


def _columns(
    names: Sequence[str], fields: frozenset[str]
) -> list[tuple[int, str, Callable[[Any], Any]]]:
    return [(i, n, _converter(n)) for i, n in enumerate(names) if n in fields]


Columns = list[tuple[int, str, Callable[[Any], Any]]]


def _projection(cols: Columns) -> Callable[[tuple[Any, ...]], Any]:
    """A fast key of the columns a condition reads (a value or a tuple; ``()`` for none)."""
    if not cols:
        return lambda values: ()
    return itemgetter(*(i for i, _, _ in cols))


# -- CEL records -----------------------------------------------------------------------------------
def variant_for(
    people: People, usage: FieldUsage | None, indexes: Sequence[int] | None = None
) -> Variant:
    """The records of every person (cached, a few variants) or of the persons in ``indexes``
    (a sample, or the eligible users of a one-off evaluation: built for them only, not cached;
    ``of_person`` then follows ``indexes``)."""
    with cache_lock:
        cached = people.variants.get(usage)
    if cached is not None:
        if indexes is None:
            return cached
        if cached.of_person is None:
            return Variant(cached.records, list(indexes))
        of = cached.of_person
        return Variant(cached.records, [of[i] for i in indexes])
    persons = people.persons
    chosen = persons if indexes is None else [persons[i] for i in indexes]
    variant = _build(people, usage, chosen)
    if indexes is None:
        with cache_lock:
            people.variants.pop(usage, None)
            while len(people.variants) >= VARIANTS_KEPT:
                del people.variants[next(iter(people.variants))]
            people.variants[usage] = variant
        settle(len(variant.records))
    return variant


def records_for(
    people: People, usage: FieldUsage | None, indexes: Sequence[int] | None = None
) -> list[dict[str, Any]]:
    """Per person (or per person in ``indexes``), the variables a condition reads.

    Each record has only the fields the condition reads: the library converts every value it
    is handed on every evaluation, so handing it only what the condition selects makes
    evaluation several times faster. Without a usage (the condition uses whole objects) every
    variable is complete. Equal records may be one shared (read-only) dict.
    """
    return variant_for(people, usage, indexes).expanded()


def _build(people: People, usage: FieldUsage | None, persons: Sequence[Person]) -> Variant:
    if usage is None:
        variables = frozenset(("user", "orders", "edition"))
        fields: frozenset[str] = USER_FIELDS | ORDER_FIELDS | PURCHASE_FIELDS | EDITION_FIELDS
    else:
        variables, fields = usage.variables, usage.fields
    user_cols = _columns(USER_COLUMNS, fields)
    with_consents = "consents" in fields
    order_cols = _columns(ORDER_COLUMNS, fields)
    with_purchases = "purchases" in fields
    purchase_cols = _columns(PURCHASE_COLUMNS, fields)
    edition = {
        n: _converter(n)(v)
        for n, v in zip(("id", "name", "start_date", "end_date"), people.edition, strict=True)
        if n in fields
    }
    with_user, with_orders = "user" in variables, "orders" in variables
    with_edition = "edition" in variables
    # Records are read-only for the library, so equal sub-records are one shared dict (keyed
    # by the values read), unless a unique field is read. Much less memory, each distinct
    # value is converted once, and with every part shared, equal records are found by the
    # identity of their parts and kept once (``of_person`` says whose is which).
    share_users = not ({n for _, n, _ in user_cols} & _UNIQUE_USER)
    share_orders = not ({n for _, n, _ in order_cols} & _UNIQUE_ORDER)
    dedupe = (not with_user or share_users) and (not with_orders or share_orders)
    user_key = _projection(user_cols)
    order_key = _projection(order_cols)
    purchase_key = _projection(purchase_cols)
    users_seen: dict[Any, dict[str, Any]] = {}
    orders_seen: dict[Any, dict[str, Any]] = {}
    purchases_seen: dict[Any, dict[str, Any]] = {}

    def convert(values: tuple[Any, ...], cols: Columns) -> dict[str, Any]:
        return {n: conv(values[i]) for i, n, conv in cols}

    def purchases_of(purchases: tuple[tuple[Any, ...], ...]) -> list[dict[str, Any]]:
        picks = []
        for x in purchases:
            pkey = purchase_key(x)
            pick = purchases_seen.get(pkey)
            if pick is None:
                pick = purchases_seen[pkey] = convert(x, purchase_cols)
            picks.append(pick)
        return picks

    def user_key_of(p: Person) -> Any:
        return (user_key(p.row), p.consents) if with_consents else user_key(p.row)

    def order_key_of(o: tuple[Any, ...], purchases: tuple[tuple[Any, ...], ...]) -> Any:
        if with_purchases:
            return (order_key(o), tuple(map(purchase_key, purchases)))
        return order_key(o)

    def user_of(p: Person) -> dict[str, Any]:
        if share_users:
            ukey = user_key_of(p)
            user = users_seen.get(ukey)
            if user is not None:
                return user
        user = convert(p.row, user_cols)
        if with_consents:
            user["consents"] = list(p.consents)
        if share_users:
            users_seen[ukey] = user
        return user

    def orders_of(p: Person) -> list[dict[str, Any]]:
        orders = []
        for o, purchases in p.orders:
            if share_orders:
                okey = order_key_of(o, purchases)
                slim = orders_seen.get(okey)
                if slim is not None:
                    orders.append(slim)
                    continue
            slim = convert(o, order_cols)
            if with_purchases:
                slim["purchases"] = purchases_of(purchases)
            if share_orders:
                orders_seen[okey] = slim
            orders.append(slim)
        return orders

    def record_of(p: Person) -> dict[str, Any]:
        record: dict[str, Any] = {}
        if with_user:
            record["user"] = user_of(p)
        if with_orders:
            record["orders"] = orders_of(p)
        if with_edition:
            record["edition"] = edition
        return record

    if not dedupe:
        with no_gc():
            return Variant([record_of(p) for p in persons], None)
    # Equal records have equal keys (the values read): each distinct one is built once.
    out: list[dict[str, Any]] = []
    of_person: list[int] = []
    records_seen: dict[Any, int] = {}
    get = records_seen.get
    with no_gc():
        for p in persons:
            ukey = user_key_of(p) if with_user else None
            okeys: Any = None
            if with_orders:
                if with_purchases:
                    okeys = tuple([order_key_of(o, x) for o, x in p.orders])
                else:
                    okeys = tuple([order_key(o) for o, _ in p.orders])
            rkey = (ukey, okeys)
            found = get(rkey)
            if found is None:
                found = records_seen[rkey] = len(out)
                out.append(record_of(p))
            of_person.append(found)
    return Variant(out, of_person)


_UNIQUE_USER = frozenset(("id", "email", "phone", "first_name", "last_name", "created"))
_UNIQUE_ORDER = frozenset(("id", "order_number", "created"))


# -- audiences -------------------------------------------------------------------------------------
def eligible(person: Person, channel: str, consent_id: str | None, marketing: bool) -> bool:
    if channel == "email" and not _EMAIL.match(person.email):
        return False
    if channel == "sms" and not _PHONE.match(person.phone):
        return False
    if channel == "pass_push" and not person.has_pass:
        return False
    return not (marketing and (consent_id is None or consent_id not in person.consents))


def reachable(db: Database, edition: Row, user_ids: Sequence[str], channel: str) -> list[str]:
    """The users among ``user_ids`` reachable on a sending channel (``email`` or ``sms``)."""
    people = load_people(db, edition)
    by_id = {p.id: p for p in people.persons}
    return [uid for uid in user_ids if uid in by_id and eligible(by_id[uid], channel, None, False)]


class AudienceError(Exception):
    """The condition could not select anyone (invalid, or failing for every user)."""


@dataclass
class Audience:
    user_ids: list[str]
    population: int  # users of the edition
    eligible: int  # of those, the ones the channel and consent rules let through
    evaluated: int  # of those, the ones evaluated (all, or a sample)
    errors: int
    first_error: str | None


def compute_audience(
    db: Database,
    edition: Row,
    condition: str,
    *,
    channel: str = "any",
    consent_id: str | None = None,
    marketing: bool = False,
    now: datetime | None = None,
    sample: int | None = None,
    keep_records: bool = True,
) -> Audience:
    """Who the condition selects (raises :class:`AudienceError`). Pure CPU: call in a thread.

    With ``sample``, at most that many eligible users (evenly spread, deterministic) are
    evaluated: an estimate. ``keep_records=False`` builds the records without caching them
    (one-off evaluations such as the seed's: flat memory). Each distinct record is evaluated
    once (see :class:`Variant`); the counts are per user.
    """
    try:
        compiled = compile_condition(condition, edition_context(db, edition))
    except ConditionError as exc:
        raise AudienceError(f"The condition is invalid: {exc}") from exc
    people = load_people(db, edition)
    usage = field_usage(condition)
    indexes = [
        i for i, p in enumerate(people.persons) if eligible(p, channel, consent_id, marketing)
    ]
    eligible_count = len(indexes)
    if sample is not None and len(indexes) > sample:
        step = len(indexes) / sample
        indexes = [indexes[int(i * step)] for i in range(sample)]
        variant = variant_for(people, usage, indexes)
    elif not keep_records:
        variant = variant_for(people, usage, indexes)
    else:
        everyone = variant_for(people, usage)  # built for every person, and cached
        whole = len(indexes) == len(people.persons)
        variant = everyone if whole else variant_for(people, usage, indexes)
    # the record of the k-th evaluated user is variant.records[which[k]]
    which: Sequence[int]
    needed: Sequence[int]
    if variant.of_person is None:  # one record per evaluated user, in order
        which = needed = range(len(variant.records))
    else:
        which = variant.of_person
        needed = sorted(set(which))
    records = [variant.records[k] for k in needed]
    moment = now or clock.now()
    if usage is None or "now" in usage.variables:
        records = [dict(r, now=moment) for r in records]
    with no_gc():
        results = compiled.outcomes(records)
    outcome: list[bool | str] = [False] * len(variant.records)
    for k, result in zip(needed, results, strict=True):
        outcome[k] = result
    persons = people.persons
    user_ids: list[str] = []
    errors = 0
    first_error: str | None = None
    for position, k in zip(indexes, which, strict=True):
        result = outcome[k]
        if result is True:
            user_ids.append(persons[position].id)
        elif result is not False:
            errors += 1
            first_error = first_error or result
    if indexes and errors == len(indexes):
        raise AudienceError(f"The condition failed for every user: {first_error}")
    return Audience(
        user_ids=user_ids,
        population=len(persons),
        eligible=eligible_count,
        evaluated=len(indexes),
        errors=errors,
        first_error=first_error,
    )


def audience_for_segment(db: Database, segment: Row, now: datetime | None = None) -> Audience:
    edition = db.one("SELECT * FROM editions WHERE id = ?", (segment["edition_id"],))
    if edition is None:
        raise AudienceError("The segment's edition no longer exists.")
    return compute_audience(
        db,
        edition,
        str(segment["condition"]),
        channel=str(segment["communication_channel"]),
        consent_id=segment["consent_id"],
        marketing=segment["communication_type"] == "marketing",
        now=now,
    )


def warm_up(db: Database, edition_ids: list[str]) -> None:
    """Load the people of these editions ahead of the first estimate (optional work)."""
    for eid in edition_ids:
        try:
            edition = db.one("SELECT * FROM editions WHERE id = ?", (eid,))
            if edition is not None:
                load_people(db, edition)
        except Exception:  # a closed database at shutdown, say: warming is optional
            log.debug("segment warm-up of %s skipped", eid, exc_info=True)
