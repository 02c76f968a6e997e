"""Who a segment condition selects: the people of an edition, in a compact cached form.

:func:`compute_audience` evaluates a CEL condition once per user of an edition (the users with
at least one order in it) over ``user``, ``orders`` (with their purchases), ``edition`` and
``now``, after the audience rules (channel reachability, marketing consent; see
:mod:`preo_tui.sandbox.resources.segments`).

Speed and memory at the ``large`` scale (100,000 orders, 63,000 users in one edition):

- :func:`load_people` reads the edition in one pass (four bulk SELECTs of plain tuples) into a
  compact form: one small tuple per user, order and purchase, repeated strings (statuses,
  product ids and names, languages) shared, timestamps as epoch seconds. It is cached per
  edition until the data changes: triggers on ``users``, ``orders``, ``purchases`` and
  ``user_consents`` bump ``segment_data.version`` on every write, so the cache key costs one
  row read (:func:`data_version`), and a write from any module or connection invalidates it.
- :func:`records_for` builds the CEL records a condition needs with only the fields it reads
  (the library converts every value it is handed, so slim records evaluate several times
  faster); a few variants are cached per loaded edition.
- Everything here is pure CPU and thread-safe: call it from a worker thread.
"""

from __future__ import annotations

import gc
import logging
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from google.protobuf import timestamp_pb2

from ..cel import ConditionError, EvaluationStats, FieldUsage, compile_condition, field_usage
from . import clock
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

__all__ = [  # the CEL context lives in .cel_context; importable from here too
    "BARE_CONTEXT",
    "LANGUAGES",
    "ORDER_STATUSES",
    "ORDER_TYPES",
    "PURCHASE_STATUSES",
    "Audience",
    "AudienceError",
    "audience_for_segment",
    "compute_audience",
    "edition_context",
    "field_usage",
    "load_people",
    "reachable",
    "records_for",
    "warm_up",
]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+\d{6,15}$")

#: CEL record variants kept per loaded edition (each is one dict tree per user).
VARIANTS_KEPT = 2


# -- the compact form ------------------------------------------------------------------------------
# Column order of the compact tuples (timestamps are epoch seconds, or None).
USER_COLUMNS = (
    "id",
    "email",
    "phone",
    "first_name",
    "last_name",
    "language",
    "country_code",
    "created",
)
ORDER_COLUMNS = ("id", "order_number", "status", "type", "amount", "created")
PURCHASE_COLUMNS = ("product_id", "product_name", "quantity", "amount", "status")
USER_FIELDS = frozenset((*USER_COLUMNS, "consents"))
ORDER_FIELDS = frozenset((*ORDER_COLUMNS, "purchases"))
PURCHASE_FIELDS = frozenset(PURCHASE_COLUMNS)
EDITION_FIELDS = frozenset(("id", "name", "start_date", "end_date"))

_EPOCH = "CAST(strftime('%s', {}) AS INTEGER)"  # ISO text with offset -> epoch seconds


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


Purchase = tuple[Any, ...]  # PURCHASE_COLUMNS
Order = tuple[tuple[Any, ...], tuple[Purchase, ...]]  # (ORDER_COLUMNS, purchases)


@dataclass(slots=True)
class Person:
    id: str
    email: str
    phone: str
    consents: tuple[str, ...]  # sorted
    has_pass: bool
    row: tuple[Any, ...]  # USER_COLUMNS
    orders: list[Order]


@dataclass
class People:
    """The users of one edition, compact, cached per data fingerprint; records built on demand."""

    edition_id: str
    fingerprint: tuple[Any, ...]
    edition: tuple[Any, ...]  # id, name, start_date, end_date
    persons: list[Person] = field(default_factory=list)
    #: CEL records per field usage (see :func:`records_for`), most recent last
    variants: dict[FieldUsage | None, list[dict[str, Any]]] = field(default_factory=dict)


_people_cache: dict[str, People] = {}
_people_lock = threading.Lock()
_load_gates: dict[str, threading.Lock] = {}
_gc_lock = threading.Lock()
_gc_holders = 0
_gc_was_enabled = True


@contextmanager
def no_gc() -> Iterator[None]:
    """Pause the cyclic GC while building or walking hundreds of thousands of small objects.

    Those objects hold no cycles; without the pause, collections triggered by the allocations
    themselves cost more than the work (measured: 1.25 s → 0.35 s for 280k records).
    """
    global _gc_holders, _gc_was_enabled
    with _gc_lock:
        if _gc_holders == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_holders += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_holders -= 1
            if _gc_holders == 0 and _gc_was_enabled:
                gc.enable()


def _settle(count: int) -> None:
    """After caching ``count`` objects: move them out of the cyclic GC's way.

    A cache of a few hundred thousand tuples and dicts makes every full collection of the
    process slow (about a second at the large scale, felt by unrelated requests).
    ``gc.freeze()`` parks everything alive now in the permanent generation; these acyclic
    objects are still freed by reference counting when the cache drops them.
    """
    if count >= 20_000:
        gc.freeze()


def data_version(db: Database) -> int:
    """The write counter of the data conditions read (bumped by triggers on every write)."""
    return int(db.scalar("SELECT version FROM segment_data WHERE id = 1") or 0)


def fingerprint(db: Database, edition: Row) -> tuple[Any, ...]:
    """Changes whenever anything a condition can read changes (one indexed row read).

    ``db.generation`` is unique per database object and changes when its whole content is
    replaced (:meth:`Database.copy_from`).
    """
    return (
        db.generation,
        data_version(db),
        edition["name"],
        edition["start_date"],
        edition["end_date"],
    )


def cached_people(edition_id: str) -> People | None:
    """The cached people of an edition, if any (tests, diagnostics)."""
    with _people_lock:
        return _people_cache.get(edition_id)


def forget_people() -> None:
    """Drop every cached edition (tests; a database closed for good)."""
    with _people_lock:
        _people_cache.clear()


def _cursor_rows(
    conn: sqlite3.Connection, sql: str, params: Sequence[Any]
) -> Iterator[tuple[Any, ...]]:
    """Plain tuples (faster than ``sqlite3.Row``), streamed."""
    cursor = conn.cursor()
    cursor.row_factory = None
    try:
        yield from cursor.execute(sql, params)
    finally:
        cursor.close()


@contextmanager
def _snapshot(db: Database) -> Iterator[sqlite3.Connection]:
    """A connection reading one consistent state of the database.

    A file database is read through a second, read-only connection in one read transaction
    (WAL lets it run beside the server's writes), so requests are not held up for the
    second or so a large edition takes to load. An in-memory database, or one in the middle
    of a write transaction (the seed), is read through its own connection under its lock.
    """
    with db.lock:
        shared = db.path == ":memory:" or db.conn.in_transaction
        if shared:
            yield db.conn
            return
    path = Path(db.path).expanduser().resolve()
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, check_same_thread=False)
    try:
        conn.execute("BEGIN")
        yield conn
    finally:
        conn.close()


def load_people(db: Database, edition: Row) -> People:
    """Every user with ≥1 order in the edition, in a stable order (user pk), with their data.

    Concurrent callers for one edition share a single load (the others wait for it).
    """
    eid = str(edition["id"])
    with _people_lock:
        gate = _load_gates.setdefault(eid, threading.Lock())
    with gate:
        return _load_people(db, edition, eid)


def _load_people(db: Database, edition: Row, eid: str) -> People:
    with db.lock:
        key = fingerprint(db, edition)
    with _people_lock:
        cached = _people_cache.get(eid)
    if cached is not None and cached.fingerprint == key:
        return cached
    with _snapshot(db) as conn:
        # the key of what this snapshot holds (a write may have landed since `key`)
        version = conn.execute("SELECT version FROM segment_data WHERE id = 1").fetchone()
        key = (key[0], int(version[0]) if version else 0, *key[2:])
        people = People(
            edition_id=eid,
            fingerprint=key,
            edition=(eid, edition["name"], edition["start_date"], edition["end_date"]),
        )
        with no_gc():
            count = _read(conn, eid, people)
    with _people_lock:
        if len(_people_cache) > 8:
            _people_cache.clear()
        _people_cache[eid] = people
    _settle(count)
    return people


def _read(conn: sqlite3.Connection, eid: str, people: People) -> int:
    """Fill ``people`` from one consistent state of the database, in one pass."""
    shared: dict[Any, Any] = {}
    share = shared.setdefault  # one object per distinct repeated string
    purchases_of: dict[str, list[Purchase]] = {}
    active_orders: set[str] = set()
    count = 0
    for order_id, product_id, name, quantity, amount, status in _cursor_rows(
        conn,
        "SELECT order_id, product_id, product_name, quantity, amount, status"
        " FROM purchases WHERE edition_id = ? ORDER BY pk",
        (eid,),
    ):
        status = share(status, status)
        purchase = (share(product_id, product_id), share(name, name), quantity, amount, status)
        found = purchases_of.get(order_id)
        if found is None:
            purchases_of[order_id] = [purchase]
        else:
            found.append(purchase)
        if status == "active":
            active_orders.add(order_id)
        count += 1
    # An edition holding a big share of all orders is read by a plain table scan: much
    # cheaper than 100,000 index probes (measured: CPU 0.43 s -> 0.16 s).
    mine = conn.execute("SELECT COUNT(*) FROM orders WHERE edition_id = ?", (eid,)).fetchone()[0]
    every = conn.execute("SELECT MAX(pk) FROM orders").fetchone()[0] or 0
    scan = "NOT INDEXED" if mine * 4 >= every else ""
    orders_of: dict[str, list[Order]] = {}
    pass_holders: set[str] = set()
    no_purchases: tuple[Purchase, ...] = ()
    for customer, oid, number, status, otype, amount, created in _cursor_rows(
        conn,
        f"SELECT customer_id, id, order_number, status, type, amount, {_EPOCH.format('created')}"
        f" FROM orders {scan} WHERE edition_id = ? ORDER BY pk",
        (eid,),
    ):
        picks = purchases_of.pop(oid, None)
        status = share(status, status)
        order = (
            (oid, number, status, share(otype, otype), amount, created),
            tuple(picks) if picks else no_purchases,
        )
        found_orders = orders_of.get(customer)
        if found_orders is None:
            orders_of[customer] = [order]
        else:
            found_orders.append(order)
        if status in ("confirmed", "completed") and oid in active_orders:
            pass_holders.add(customer)
        count += 1
    consents_of: dict[str, list[str]] = {}
    for uid, consent in _cursor_rows(
        conn,
        "SELECT g.user_id, g.consent_id FROM edition_users e JOIN users u ON u.pk = e.user_pk"
        " JOIN user_consents g ON g.user_id = u.id WHERE e.edition_id = ?",
        (eid,),
    ):
        consents_of.setdefault(uid, []).append(share(consent, consent))
    persons = people.persons
    for row in _cursor_rows(
        conn,
        "SELECT u.id, u.email, u.phone, u.first_name, u.last_name, u.language,"
        f" u.country_code, {_EPOCH.format('u.created')} FROM edition_users e"
        " JOIN users u ON u.pk = e.user_pk WHERE e.edition_id = ? ORDER BY u.pk",
        (eid,),
    ):
        uid = row[0]
        orders = orders_of.get(uid)
        if orders is None:  # edition_users only grows: keep "has an order" exact
            continue
        language, country = row[5], row[6]
        persons.append(
            Person(
                id=uid,
                email=row[1] or "",
                phone=row[2] or "",
                consents=tuple(sorted(consents_of.get(uid, ()))),
                has_pass=uid in pass_holders,
                row=(*row[:5], share(language, language), share(country, country), row[7]),
                orders=orders,
            )
        )
        count += 1
    return count


# -- CEL records -----------------------------------------------------------------------------------
def records_for(
    people: People, usage: FieldUsage | None, indexes: Sequence[int] | None = None
) -> list[dict[str, Any]]:
    """Per person (or per person in ``indexes``), the variables a condition reads.

    Each record has only the fields the condition reads: the library converts every value it
    is handed on every evaluation, so handing it only what the condition selects makes
    evaluation several times faster. Without a usage (the condition uses whole objects) every
    variable is complete. Records for every person are cached (a few variants); records for a
    subset (a sample) are built for that subset only and not cached.
    """
    with _people_lock:
        cached = people.variants.get(usage)
    if cached is not None:
        return cached if indexes is None else [cached[i] for i in indexes]
    persons = people.persons
    chosen = persons if indexes is None else [persons[i] for i in indexes]
    out = _build_records(people, usage, chosen)
    if indexes is None:
        with _people_lock:
            people.variants.pop(usage, None)
            while len(people.variants) >= VARIANTS_KEPT:
                del people.variants[next(iter(people.variants))]
            people.variants[usage] = out
        _settle(len(out))
    return out


def _build_records(
    people: People, usage: FieldUsage | None, persons: Sequence[Person]
) -> list[dict[str, Any]]:
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
    # Records are read-only for the library, so equal sub-records can be one shared dict:
    # purchases always (few distinct), orders and users when no unique field is read.
    # Much less memory, and each distinct value is converted once.
    share_users = not ({n for _, n, _ in user_cols} & _UNIQUE_USER)
    share_orders = not with_purchases and not ({n for _, n, _ in order_cols} & _UNIQUE_ORDER)
    users_seen: dict[tuple[Any, ...], dict[str, Any]] = {}
    orders_seen: dict[tuple[Any, ...], dict[str, Any]] = {}
    purchases_seen: dict[tuple[Any, ...], dict[str, Any]] = {}

    def convert(
        values: tuple[Any, ...], cols: list[tuple[int, str, Callable[[Any], Any]]]
    ) -> dict[str, Any]:
        return {n: conv(values[i]) for i, n, conv in cols}

    out: list[dict[str, Any]] = []
    with no_gc():
        for p in persons:
            record: dict[str, Any] = {}
            if with_user:
                row = p.row
                if share_users:
                    ukey = (*(row[i] for i, _, _ in user_cols), p.consents)
                    user = users_seen.get(ukey)
                    if user is None:
                        user = convert(row, user_cols)
                        if with_consents:
                            user["consents"] = list(p.consents)
                        users_seen[ukey] = user
                else:
                    user = convert(row, user_cols)
                    if with_consents:
                        user["consents"] = list(p.consents)
                record["user"] = user
            if with_orders:
                orders = []
                for o, purchases in p.orders:
                    if share_orders:
                        okey = tuple(o[i] for i, _, _ in order_cols)
                        slim = orders_seen.get(okey)
                        if slim is None:
                            slim = orders_seen[okey] = convert(o, order_cols)
                    else:
                        slim = convert(o, order_cols)
                    if with_purchases:
                        picks = []
                        for x in purchases:
                            pick = purchases_seen.get(x)
                            if pick is None:
                                pick = purchases_seen[x] = convert(x, purchase_cols)
                            picks.append(pick)
                        slim["purchases"] = picks
                    orders.append(slim)
                record["orders"] = orders
            if with_edition:
                record["edition"] = edition
            out.append(record)
    return out


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
    (one-off evaluations such as the seed's: flat memory).
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
        records = records_for(people, usage, indexes)
    elif not keep_records:
        records = records_for(people, usage, indexes)
    else:
        everyone = records_for(people, usage)
        records = [everyone[i] for i in indexes]
    moment = now or clock.now()
    if usage is None or "now" in usage.variables:
        records = [dict(r, now=moment) for r in records]
    stats = EvaluationStats()
    with no_gc():
        chosen = compiled.select(records, stats)
    if stats.evaluated and stats.errors == stats.evaluated:
        raise AudienceError(f"The condition failed for every user: {stats.first_error}")
    persons = people.persons
    return Audience(
        user_ids=[persons[indexes[i]].id for i in chosen],
        population=len(persons),
        eligible=eligible_count,
        evaluated=stats.evaluated,
        errors=stats.errors,
        first_error=stats.first_error,
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
