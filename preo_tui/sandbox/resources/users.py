"""Users (customers, contract §6): list, retrieve, partial update.

A user belongs to an edition when they have at least one order in it: ``GET
/v1/users?edition_id=`` lists exactly those. Phones use the documented country codes; the
``country_code`` follows the phone's prefix. ``order_count``/``total_spent`` are computed
(confirmed and completed orders count towards ``total_spent``).
"""

from __future__ import annotations

import itertools
import random
import re
from bisect import bisect
from collections.abc import Iterator
from datetime import timedelta
from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from .. import clock, schemas
from ..auth import Principal, PrincipalDep
from ..db import Database, Row
from ..errors import ApiError, FieldErrors, not_found
from ..paging import (
    Paging,
    PagingDep,
    Where,
    cached_count,
    envelope,
    like_pattern,
    order_by,
    paginate,
    window,
)
from ..seeding import SeedContext, batched, below
from ..state import StateDep
from .editions import COUNTRY_CODES
from .orders import refresh_order_search

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    pk INTEGER PRIMARY KEY,
    id TEXT NOT NULL,  -- unique: users_id, built after the seed's bulk insert (as orders_id)
    organization_id TEXT NOT NULL,
    email TEXT NOT NULL COLLATE NOCASE,
    phone TEXT,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    language TEXT NOT NULL,
    country_code TEXT,
    search TEXT NOT NULL,
    created TEXT NOT NULL,
    modified TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS users_id ON users (id);
CREATE INDEX IF NOT EXISTS users_org_created ON users (organization_id, created);
CREATE INDEX IF NOT EXISTS users_org_email ON users (organization_id, email);
CREATE INDEX IF NOT EXISTS users_org_last_name ON users (organization_id, last_name);
-- for callers in several organizations (organization_id IN (...)): ordered, covering scans
CREATE INDEX IF NOT EXISTS users_created_org ON users (created, organization_id);
-- (also serves `email = ?` lookups: a separate index on email alone would only cost seeding)
CREATE INDEX IF NOT EXISTS users_email_org ON users (email, organization_id);
CREATE INDEX IF NOT EXISTS users_last_name_org ON users (last_name, organization_id);
CREATE INDEX IF NOT EXISTS users_phone ON users (phone);
CREATE VIRTUAL TABLE IF NOT EXISTS users_search USING fts5(
    search, content='users', content_rowid='pk', tokenize='trigram'
);
CREATE TRIGGER IF NOT EXISTS users_search_insert AFTER INSERT ON users BEGIN
    INSERT INTO users_search (rowid, search) VALUES (new.pk, new.search);
END;
CREATE TRIGGER IF NOT EXISTS users_search_delete AFTER DELETE ON users BEGIN
    INSERT INTO users_search (users_search, rowid, search) VALUES ('delete', old.pk, old.search);
END;
CREATE TRIGGER IF NOT EXISTS users_search_update AFTER UPDATE OF search ON users BEGIN
    INSERT INTO users_search (users_search, rowid, search) VALUES ('delete', old.pk, old.search);
    INSERT INTO users_search (rowid, search) VALUES (new.pk, new.search);
END;
"""


def search_clause(text: str, pk: str = "t.pk") -> tuple[str, str]:
    """``(sql, param)`` for a users "contains" search: trigram index for 3+ characters."""
    term = text.strip().lower()
    if len(term) >= 3:
        return (
            f"{pk} IN (SELECT rowid FROM users_search WHERE users_search MATCH ?)",
            '"' + term.replace('"', '""') + '"',
        )
    return (
        f"{pk} IN (SELECT pk FROM users WHERE search LIKE ? ESCAPE '\\')",
        like_pattern(term),
    )


router = APIRouter(tags=["users"])

DANISH_FIRST = [
    "Mads",
    "Freja",
    "Emil",
    "Ida",
    "Magnus",
    "Clara",
    "Oliver",
    "Sofie",
    "Noah",
    "Alma",
    "Frederik",
    "Ella",
    "Lucas",
    "Anna",
    "Victor",
    "Laura",
    "Søren",
    "Mette",
    "Rasmus",
    "Maja",
    "Jens",
    "Karen",
    "Asger",
    "Astrid",
    "Bjørn",
    "Signe",
]
DANISH_LAST = [
    "Jensen",
    "Nielsen",
    "Hansen",
    "Pedersen",
    "Andersen",
    "Christensen",
    "Larsen",
    "Sørensen",
    "Rasmussen",
    "Jørgensen",
    "Petersen",
    "Madsen",
    "Kristensen",
    "Olsen",
    "Thomsen",
    "Poulsen",
    "Møller",
    "Mortensen",
    "Østergaard",
    "Dahl",
]
SWEDISH_FIRST = [
    "Erik",
    "Linnea",
    "Lars",
    "Elsa",
    "Johan",
    "Saga",
    "Axel",
    "Wilma",
    "Oskar",
    "Ebba",
    "Gustav",
    "Märta",
    "Nils",
    "Agnes",
    "Björn",
    "Åsa",
    "Karl",
    "Ingrid",
]
SWEDISH_LAST = [
    "Andersson",
    "Johansson",
    "Karlsson",
    "Nilsson",
    "Eriksson",
    "Larsson",
    "Olsson",
    "Persson",
    "Svensson",
    "Gustafsson",
    "Lindström",
    "Åberg",
    "Söderberg",
    "Lindqvist",
    "Berg",
    "Holmgren",
]
ENGLISH_FIRST = [
    "James",
    "Olivia",
    "Harry",
    "Amelia",
    "George",
    "Isla",
    "Jack",
    "Emily",
    "Thomas",
    "Grace",
    "William",
    "Chloe",
    "Charlotte",
    "Henry",
    "Lily",
    "Daniel",
]
ENGLISH_LAST = [
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Evans",
    "Walker",
    "Wright",
    "Thompson",
    "Hughes",
    "Roberts",
    "Clarke",
    "Hall",
]
DOMAINS = [
    "gmail.com",
    "outlook.com",
    "hotmail.com",
    "yahoo.com",
    "icloud.com",
    "mail.dk",
    "live.se",
    "protonmail.com",
]

# country code, (first names, last names), language, local number length, first digits
PROFILES: list[tuple[str, tuple[list[str], list[str]], str, int, str, float]] = [
    ("+45", (DANISH_FIRST, DANISH_LAST), "da", 8, "2345678", 0.58),
    ("+46", (SWEDISH_FIRST, SWEDISH_LAST), "se", 9, "7", 0.2),
    ("+44", (ENGLISH_FIRST, ENGLISH_LAST), "en", 10, "7", 0.1),
    ("+47", (SWEDISH_FIRST, DANISH_LAST), "en", 8, "49", 0.03),
    ("+49", (ENGLISH_FIRST, DANISH_LAST), "en", 10, "1", 0.03),
    ("+31", (ENGLISH_FIRST, ENGLISH_LAST), "nl", 9, "6", 0.03),
    ("+48", (ENGLISH_FIRST, ENGLISH_LAST), "pl", 9, "5", 0.02),
    ("+1", (ENGLISH_FIRST, ENGLISH_LAST), "en", 10, "2", 0.01),
]
_ASCII = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "ä": "a", "ö": "o", "é": "e"})
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")


def search_text(email: str, phone: str | None, first: str, last: str) -> str:
    return f"{email} {phone or ''} {first} {last}".lower()


def country_of(phone: str | None) -> str | None:
    """The documented country code a phone starts with (longest match), or None."""
    if not phone:
        return None
    for code in sorted(COUNTRY_CODES, key=len, reverse=True):
        if phone.startswith(code):
            return code
    return None


#: cumulative profile weights (``rng.choices`` draws exactly as with ``weights=``)
_PROFILE_CUM = list(itertools.accumulate(p[5] for p in PROFILES))


def make_person(rng: random.Random, index: int, profile: int | None = None) -> dict[str, Any]:
    code, (firsts, lasts), lang, length, starts, _ = (
        PROFILES[profile]
        if profile is not None
        else rng.choices(PROFILES, cum_weights=_PROFILE_CUM)[0]
    )
    first, last = rng.choice(firsts), rng.choice(lasts)
    local = rng.choice(starts) + f"{rng.randrange(10 ** (length - 1)):0{length - 1}d}"
    email = f"{first}.{last}{index}@{rng.choice(DOMAINS)}".lower().translate(_ASCII)
    return {
        "email": email,
        "phone": code + local,
        "first_name": first,
        "last_name": last,
        "language": lang,
        "country_code": code,
    }


UserRow = tuple[Any, ...]
Grant = tuple[str, str, str]


def seed(ctx: SeedContext) -> None:
    """Customers of both organizations, generated and inserted in chunks (flat memory).

    The random draws happen in the same order as ever, so a seed gives the same users.
    """
    org_main, org_second = ctx.shared["organizations"]
    users: dict[str, list[str]] = {org_main: [], org_second: []}
    for chunk in batched(_generate(ctx, users)):
        ctx.db.executemany(
            "INSERT INTO users (id, organization_id, email, phone, first_name, last_name,"
            " language, country_code, search, created, modified) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (row for row, _ in chunk),
        )
        ctx.db.executemany(
            "INSERT INTO user_consents (user_id, consent_id, created) VALUES (?,?,?)",
            (grant for _, grants in chunk for grant in grants),
        )
    ctx.db.execute("INSERT INTO users_search (users_search) VALUES ('rebuild')")
    ctx.shared["users"] = users


def _generate(
    ctx: SeedContext, users: dict[str, list[str]]
) -> Iterator[tuple[UserRow, list[Grant]]]:
    """``(users row, consent grants)`` per customer; appends each id to ``users[org]``."""
    rng = ctx.rng("users")
    org_main, org_second = ctx.shared["organizations"]
    counts = [(org_main, ctx.scale.users), (org_second, max(30, ctx.scale.users // 10))]
    consents = {
        "main": [
            ("cns_newsletter", 0.45),
            ("cns_sms_offers", 0.25),
            ("cns_partner_offers", 0.1),
            ("cns_survey", 0.15),
        ],
        "second_org": [(c, 0.5) for c in ctx.shared["consents"][4:]],
    }
    index = 0
    span = 3 * 365 * 24 * 3600
    # make_person's draws with fewer Python calls (the same users): draw(n) is
    # rng.randrange(n), seq[draw(len(seq))] is rng.choice(seq), the profile is rng.choices'
    draw = below(rng)
    random = rng.random
    getrandbits = rng.getrandbits
    profile_total = _PROFILE_CUM[-1] + 0.0
    last_profile = len(PROFILES) - 1
    n_domains = len(DOMAINS)
    for org, count in counts:
        ids = users[org]
        key = "main" if org == org_main else "second_org"
        shares = consents[key]
        second = key == "second_org"
        for _ in range(count):
            index += 1
            if second and random() < 0.8:
                profile = PROFILES[1]
            else:
                profile = PROFILES[bisect(_PROFILE_CUM, random() * profile_total, 0, last_profile)]
            code, (firsts, lasts), lang, length, starts, _ = profile
            first = firsts[draw(len(firsts))]
            last = lasts[draw(len(lasts))]
            local = starts[draw(len(starts))] + f"{draw(10 ** (length - 1)):0{length - 1}d}"
            email = f"{first}.{last}{index}@{DOMAINS[draw(n_domains)]}".lower().translate(_ASCII)
            phone: str | None = code + local
            if random() < 0.03:
                phone = None
            uid = f"usr_{getrandbits(64):016x}"
            created = ctx.ts(timedelta(seconds=-draw(span)))
            ids.append(uid)
            grants = [(uid, consent, created) for consent, share in shares if random() < share]
            yield (
                (
                    uid,
                    org,
                    email,
                    phone,
                    first,
                    last,
                    lang,
                    code if phone else None,
                    search_text(email, phone, first, last),
                    created,
                    created,
                ),
                grants,
            )


COLUMNS = (
    "t.*, (SELECT COUNT(*) FROM orders o WHERE o.customer_id = t.id) AS order_count,"
    " (SELECT COALESCE(SUM(o.amount), 0) FROM orders o WHERE o.customer_id = t.id"
    " AND o.status IN ('confirmed', 'completed')) AS total_spent,"
    " (SELECT group_concat(c.consent_id) FROM user_consents c WHERE c.user_id = t.id) AS consent_ids"
)


def user_out(row: Row) -> dict[str, Any]:
    consents = sorted(str(row["consent_ids"]).split(",")) if row["consent_ids"] else []
    return {
        "id": row["id"],
        "email": row["email"],
        "phone": row["phone"],
        "first_name": row["first_name"],
        "last_name": row["last_name"],
        "language": row["language"],
        "country_code": row["country_code"],
        "consents": consents,
        "order_count": int(row["order_count"]),
        "total_spent": round(float(row["total_spent"]), 2),
        "created": row["created"],
        "modified": row["modified"],
    }


def get_user(db: Database, principal: Principal, user_id: str) -> dict[str, Any]:
    row = db.one(f"SELECT {COLUMNS} FROM users t WHERE t.id = ?", (user_id,))
    if row is None:
        raise not_found("User not found.")
    principal.require_access(row["organization_id"], "User not found.")
    return user_out(row)


USER_ORDERINGS = {"created": "created", "email": "email", "last_name": "last_name"}


@router.get("/v1/users", response_model=schemas.Page[schemas.User], summary="List users")
async def list_users(
    request: Request,
    state: StateDep,
    principal: PrincipalDep,
    paging: PagingDep,
    edition_id: str | None = Query(None, description="users with at least one order in it"),
    organization_id: str | None = None,
    search: str | None = Query(None, description="email, phone or name (contains)"),
    ordering: str | None = Query(None, description="created, email, last_name (- for descending)"),
) -> JSONResponse:
    db = state.db
    if edition_id is not None:
        return JSONResponse(
            list_edition_users(
                request, db, principal, paging, edition_id, organization_id, search, ordering
            )
        )
    where = Where()
    if organization_id is not None:
        where.add_in(
            "t.organization_id", [organization_id] if principal.role_in(organization_id) else []
        )
    else:
        where.add_in("t.organization_id", principal.org_ids)
    if search and search.strip():
        clause, param = search_clause(search)
        where.add(clause, param)
    columns = {k: f"t.{v}" for k, v in USER_ORDERINGS.items()}
    order = order_by(ordering, columns, "-created")
    return JSONResponse(
        paginate(
            request,
            db,
            table="users",
            where=where,
            order=order,
            paging=paging,
            serialize=user_out,
            columns=COLUMNS,
        )
    )


def list_edition_users(
    request: Request,
    db: Database,
    principal: Principal,
    paging: Paging,
    edition_id: str,
    organization_id: str | None,
    search: str | None,
    ordering: str | None,
) -> dict[str, Any]:
    """Members of an edition, paged from ``edition_users`` (kept by the orders module)."""
    org = db.scalar("SELECT organization_id FROM editions WHERE id = ?", (edition_id,))
    order_m = order_by(
        ordering, {k: f"m.{v}" for k, v in USER_ORDERINGS.items()}, "-created", tiebreak="m.user_pk"
    )
    order_t = order_by(ordering, {k: f"t.{v}" for k, v in USER_ORDERINGS.items()}, "-created")
    visible = principal.role_in(org) is not None and organization_id in (None, org)
    where = Where()
    where.add("m.edition_id = ?", edition_id)
    if not visible:
        where.add("0")
    if search and search.strip():
        clause, param = search_clause(search, "m.user_pk")
        where.add(clause, param)
    with db.lock:
        count = cached_count(
            db, f"SELECT COUNT(*) FROM edition_users m WHERE {where.sql()}", where.params
        )
        if paging.page > 1 and paging.offset >= count:
            raise ApiError(404, "Invalid page.")
        inner, limit, offset, _ = window(count, paging, order_m)
        rows = db.query(
            f"SELECT {COLUMNS} FROM users t WHERE t.pk IN (SELECT m.user_pk FROM edition_users m"
            f" WHERE {where.sql()} ORDER BY {inner} LIMIT ? OFFSET ?) ORDER BY {order_t}",
            [*where.params, limit, offset],
        )
    return envelope(request, paging, count, [user_out(r) for r in rows])


@router.get("/v1/users/{id}", response_model=schemas.User, summary="Retrieve user")
async def retrieve_user(id: str, state: StateDep, principal: PrincipalDep) -> JSONResponse:
    return JSONResponse(get_user(state.db, principal, id))


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore")
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=32)
    first_name: str | None = Field(None, min_length=1, max_length=100)
    last_name: str | None = Field(None, min_length=1, max_length=100)
    language: Literal["en", "da", "se", "nl", "pl"] | None = None


@router.patch("/v1/users/{id}", response_model=schemas.User, summary="Partially update user")
async def update_user(
    id: str, body: UserUpdate, state: StateDep, principal: PrincipalDep
) -> JSONResponse:
    db = state.db
    current = get_user(db, principal, id)
    changes = body.model_dump(exclude_unset=True)
    errors = FieldErrors()
    for key in ("email", "first_name", "last_name", "language"):
        if key in changes and changes[key] is None:
            errors.add(key, "This field may not be null.")
    if changes.get("email") is not None:
        email = str(changes["email"]).strip()
        if not EMAIL_RE.match(email):
            errors.add("email", "Enter a valid email address.")
        changes["email"] = email
    if "phone" in changes and changes["phone"] is not None:
        phone = re.sub(r"[\s\-()]", "", str(changes["phone"]))
        code = country_of(phone)
        if not re.fullmatch(r"\+\d{6,15}", phone):
            errors.add("phone", "Enter the phone in international format, e.g. +4520123456.")
        elif code is None:
            errors.add(
                "phone",
                "Unsupported country code; use one of " + ", ".join(COUNTRY_CODES) + ".",
            )
        changes["phone"] = phone
    errors.raise_if_any()
    if changes:
        merged = {**current, **changes}
        if "phone" in changes:
            changes["country_code"] = country_of(changes["phone"])
        changes["search"] = search_text(
            merged["email"], merged["phone"], merged["first_name"], merged["last_name"]
        )
        sets = ", ".join(f"{k} = ?" for k in changes)
        with db.transaction():
            db.execute(
                f"UPDATE users SET {sets}, modified = ? WHERE id = ?",
                (*changes.values(), clock.now_iso(), id),
            )
            if "email" in changes or "phone" in changes:
                refresh_order_search(db, id)
    return JSONResponse(get_user(db, principal, id))
