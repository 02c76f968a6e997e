"""Pagination, ordering and filters shared by every list endpoint.

Usage in a resource module::

    @router.get("/v1/things")
    async def list_things(request: Request, state: StateDep, principal: PrincipalDep,
                          paging: PagingDep, ordering: str | None = None,
                          status: str | None = None) -> JSONResponse:
        where = Where()
        where.add("t.organization_id IN (%s)" % marks(principal.org_ids), *principal.org_ids)
        if status is not None:
            where.add("t.status = ?", status)
        order = order_by(ordering, {"created": "t.created", "name": "t.name"}, "-created")
        return JSONResponse(paginate(request, state.db, table="things", where=where,
                                     order=order, paging=paging, serialize=thing_out))

``page_size`` defaults to 100, 400 above 500; a page past the end is a 404 ``Invalid page.``
(page 1 of an empty list is an empty page). ``next``/``previous`` are absolute URLs built from
the request URL, or null. Pages are fetched with a *deferred join* (the ordered, offset rowids
first, from an index, then the rows), so deep pages stay fast at 100k rows.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Query, Request

from . import clock
from .db import Database, Row
from .errors import ApiError, bad_request

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 500


@dataclass(frozen=True)
class Paging:
    page: int
    page_size: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


async def paging_params(
    page: Annotated[int, Query(ge=1, description="1-based page number.")] = 1,
    page_size: Annotated[
        int,
        Query(ge=1, le=MAX_PAGE_SIZE, description="Items per page (default 100, maximum 500)."),
    ] = DEFAULT_PAGE_SIZE,
) -> Paging:
    """FastAPI dependency reading ``page`` and ``page_size``."""
    return Paging(page, page_size)


PagingDep = Annotated[Paging, Depends(paging_params)]


@dataclass
class Where:
    """An AND-list of SQL conditions with their parameters."""

    clauses: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)

    def add(self, clause: str, *params: Any) -> None:
        self.clauses.append(clause)
        self.params.extend(params)

    def add_in(self, column: str, values: Sequence[Any]) -> None:
        """``column IN (?, ?, ...)``; an empty list matches nothing."""
        if not values:
            self.clauses.append("0")
            return
        self.clauses.append(f"{column} IN ({marks(values)})")
        self.params.extend(values)

    def sql(self) -> str:
        return " AND ".join(self.clauses) if self.clauses else "1"


def marks(values: Sequence[Any]) -> str:
    """``?, ?, ?`` for an IN list."""
    return ", ".join("?" for _ in values)


def like_pattern(text: str) -> str:
    """A ``LIKE ... ESCAPE '\\'`` pattern for a case-insensitive *contains* match."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


#: More ordering terms than fields is a client bug (and SQLite caps ORDER BY terms): a 400.
MAX_ORDERING_TERMS = 8


def order_by(
    ordering: str | None,
    allowed: Mapping[str, str],
    default: str,
    *,
    tiebreak: str = "t.pk",
) -> str:
    """An ``ORDER BY`` body from ``ordering`` (``field`` or ``-field``), whitelisted.

    ``allowed`` maps public field names to SQL expressions. An unknown field is a 400 on
    ``ordering`` listing the choices. The row key ``tiebreak`` follows in the same direction,
    so paging is stable.
    """
    value = (ordering or default).strip()
    items = [p.strip() for p in value.split(",") if p.strip()]
    if len(items) > MAX_ORDERING_TERMS:
        raise bad_request("ordering", f"Order by at most {MAX_ORDERING_TERMS} fields.")
    parts: list[str] = []
    desc_last = False
    for item in items:
        desc = item.startswith("-")
        name = item[1:] if desc else item
        if name not in allowed:
            choices = ", ".join(sorted(allowed))
            raise bad_request("ordering", f'Unknown ordering "{item}". Choose from: {choices}.')
        parts.append(f"{allowed[name]} {'DESC' if desc else 'ASC'}")
        desc_last = desc
    if not parts:
        raise bad_request("ordering", "Ordering must not be empty.")
    parts.append(f"{tiebreak} {'DESC' if desc_last else 'ASC'}")
    return ", ".join(parts)


def page_links(request: Request, paging: Paging, count: int) -> tuple[str | None, str | None]:
    """Absolute ``next`` and ``previous`` URLs (``None`` at the ends)."""
    url = request.url
    nxt = None
    if paging.offset + paging.page_size < count:
        nxt = str(url.include_query_params(page=paging.page + 1))
    prev = None
    if paging.page > 1:
        prev_page = paging.page - 1
        prev = str(
            url.remove_query_params("page")
            if prev_page == 1
            else url.include_query_params(page=prev_page)
        )
    return nxt, prev


def envelope(
    request: Request, paging: Paging, count: int, results: list[Any], **extra: Any
) -> dict[str, Any]:
    """``{count, next, previous, results}`` (plus ``extra`` keys such as ``available_tags``)."""
    if paging.page > 1 and paging.offset >= count:
        raise ApiError(404, "Invalid page.")
    nxt, prev = page_links(request, paging, count)
    body: dict[str, Any] = {"count": count, "next": nxt, "previous": prev, "results": results}
    body.update(extra)
    return body


def cached_count(db: Database, sql: str, params: Sequence[Any]) -> int:
    """``SELECT COUNT(*)`` memoised per database until its next write (``total_changes``)."""
    key = (sql, tuple(params))
    changes = db.conn.total_changes
    hit = db.count_cache.get(key)
    if hit is not None and hit[1] == changes:
        return hit[0]
    count = int(db.scalar(sql, params) or 0)
    if len(db.count_cache) > 512:
        db.count_cache.clear()
    db.count_cache[key] = (count, changes)
    return count


def invert_order(order: str) -> str:
    """The exact reverse of an ``order_by`` result (every ``ASC`` ↔ ``DESC``)."""
    parts = []
    for part in order.split(", "):
        expr, _, direction = part.rpartition(" ")
        parts.append(f"{expr} {'ASC' if direction == 'DESC' else 'DESC'}")
    return ", ".join(parts)


def window(count: int, paging: Paging, order: str) -> tuple[str, int, int, bool]:
    """``(order, limit, offset, reversed)`` to fetch one page cheaply.

    Past the middle of the list the page is read from the other end (a deep page near the
    end then skips few index entries instead of almost all of them) and reversed in Python.
    """
    if paging.offset <= count // 2:
        return order, paging.page_size, paging.offset, False
    limit = max(0, min(paging.page_size, count - paging.offset))
    return invert_order(order), limit, max(0, count - paging.offset - limit), True


def paginate(
    request: Request,
    db: Database,
    *,
    table: str,
    where: Where,
    order: str,
    paging: Paging,
    serialize: Callable[[Row], Any],
    columns: str = "t.*",
    joins: str = "",
    select_joins: str = "",
    alias: str = "t",
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Count, fetch one page and wrap it in the envelope.

    ``table`` is aliased ``t`` (``alias``). ``joins`` are available to ``where`` and ``order``
    (and so take part in counting); ``select_joins`` only feed ``columns`` of the page rows
    (e.g. ``JOIN users u ON u.id = t.customer_id`` to embed the customer) and cost nothing
    for the count. Prefer ``t.col IN (SELECT ...)`` filters over ``joins`` on big tables.
    """
    cond = where.sql()
    with db.lock:
        count = cached_count(
            db, f"SELECT COUNT(*) FROM {table} {alias} {joins} WHERE {cond}", where.params
        )
        if paging.page > 1 and paging.offset >= count:
            raise ApiError(404, "Invalid page.")
        inner, limit, offset, _ = window(count, paging, order)
        rows = db.query(
            f"SELECT {columns} FROM {table} {alias} {joins} {select_joins} WHERE {alias}.pk IN ("
            f"SELECT {alias}.pk FROM {table} {alias} {joins} WHERE {cond} "
            f"ORDER BY {inner} LIMIT ? OFFSET ?) ORDER BY {order}",  # outer: requested order
            [*where.params, limit, offset],
        )
    return envelope(request, paging, count, [serialize(r) for r in rows], **dict(extra or {}))


def paginate_json(
    request: Request,
    db: Database,
    *,
    table: str,
    where: Where,
    order: str,
    paging: Paging,
    row_json: str,
    exact: str = "1",
    select_joins: str = "",
    alias: str = "t",
) -> bytes | None:
    """:func:`paginate`'s answer as JSON bytes, every row built by SQLite (``row_json``, a
    ``json_object(...)`` expression over the page's columns): no Python object per row or per
    field, no ``json.dumps`` of the page (a list of 500 orders: issue 20, the CSV export).

    ``exact`` is an SQL condition true when SQLite renders the row as Python's ``json`` would
    (its numbers keep 15 significant digits, Python's the shortest exact form): None when a row
    of the page fails it, and the caller serves the page with :func:`paginate`.
    """
    cond = where.sql()
    with db.lock:
        count = cached_count(db, f"SELECT COUNT(*) FROM {table} {alias} WHERE {cond}", where.params)
        if paging.page > 1 and paging.offset >= count:
            raise ApiError(404, "Invalid page.")
        inner, limit, offset, _ = window(count, paging, order)
        cursor = db.conn.cursor()
        cursor.row_factory = None  # plain tuples
        rows = cursor.execute(
            f"SELECT {row_json}, {exact} FROM {table} {alias} {select_joins} WHERE {alias}.pk IN ("
            f"SELECT {alias}.pk FROM {table} {alias} WHERE {cond} "
            f"ORDER BY {inner} LIMIT ? OFFSET ?) ORDER BY {order}",
            [*where.params, limit, offset],
        ).fetchall()
    if not all(row[1] for row in rows):
        return None
    nxt, prev = page_links(request, paging, count)
    head = json.dumps(
        {"count": count, "next": nxt, "previous": prev}, ensure_ascii=False, separators=(",", ":")
    )
    # {"count":..,"next":..,"previous":..,"results":[row,row,...]}: envelope()'s keys, in order
    return f'{head[:-1]},"results":[{",".join(row[0] for row in rows)}]}}'.encode()


def parse_bool(name: str, value: str | None) -> bool | None:
    """``true/false/1/0/yes/no`` (any case) or None; anything else is a 400 on ``name``."""
    if value is None or value == "":
        return None
    lowered = value.strip().lower()
    if lowered in ("true", "1", "yes", "on"):
        return True
    if lowered in ("false", "0", "no", "off"):
        return False
    raise bad_request(name, "Must be a valid boolean.")


def parse_time(name: str, value: str | None) -> str | None:
    """An ISO 8601 query/body value normalised to the stored UTC form, or a 400 on ``name``."""
    if value is None or value == "":
        return None
    try:
        return clock.iso(clock.parse_iso(value))
    except (ValueError, OverflowError):
        raise bad_request(name, "Enter a valid ISO 8601 date/time.") from None


def time_value(name: str, value: datetime | str | None) -> str | None:
    """Like :func:`parse_time` but also accepts a parsed ``datetime`` (naive means UTC)."""
    if isinstance(value, datetime):
        return edge_checked_iso(name, value)
    return parse_time(name, value)


def edge_checked_iso(name: str, value: datetime | None) -> str | None:
    """``clock.iso(value)``, or a 400 on ``name`` for an instant at the edge of the calendar
    that has no UTC form (``0001-01-01T00:00:00+01:00``, ``9999-12-31T23:59:59-01:00``)."""
    try:
        return clock.iso(value)
    except (ValueError, OverflowError):
        raise bad_request(name, "Date/time out of range (years 1 to 9999 in UTC).") from None


def csv_values(value: str | None) -> list[str]:
    """Split a comma-separated query value, dropping blanks."""
    if not value:
        return []
    return [v.strip() for v in value.split(",") if v.strip()]


def check_choice(name: str, value: str | None, choices: Sequence[str]) -> str | None:
    """400 on ``name`` unless ``value`` is one of ``choices`` (None passes)."""
    if value is None:
        return None
    if value not in choices:
        raise bad_request(
            name, f'"{value}" is not a valid choice; expected one of {", ".join(choices)}.'
        )
    return value
