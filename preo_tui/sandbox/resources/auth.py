"""Auth [ours]: password login, refresh, PIN login, ``me``; seeds organizations and operators.

Demo operators (password ``sandbox``): ``admin@`` (admin in both organizations),
``manager@`` (manager in the main organization, staff in the second) and ``staff@`` (staff in
the main organization only) ``sandbox.preo.dev``. PINs are "sent" by writing them to the log
(logger ``preo_tui.sandbox``) and kept in ``state.pins[phone]``.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from .. import clock, ratelimit, schemas
from ..auth import PrincipalDep
from ..errors import ApiError, bad_request, too_many
from ..seeding import SeedContext
from ..state import DEMO_PASSWORD, StateDep, demo_email
from ..tokens import check_password, hash_password

log = logging.getLogger("preo_tui.sandbox")

SCHEMA = ""  # organizations, accounts, memberships and pins are core tables (db.CORE_SCHEMA)

PIN_TTL = timedelta(minutes=10)
PIN_TRIES = 5

router = APIRouter(tags=["auth"])

ORGANIZATIONS = [("Nordlys Festivals ApS", "DKK"), ("Midsommar Live AB", "SEK")]
OPERATORS = [
    # role, first, last, phone, {org index: role}
    ("admin", "Astrid", "Holm", "+4520000001", {0: "admin", 1: "admin"}),
    ("manager", "Mikkel", "Brandt", "+4520000002", {0: "manager", 1: "staff"}),
    ("staff", "Sofie", "Lund", "+4520000003", {0: "staff"}),
]


def seed(ctx: SeedContext) -> None:
    rng = ctx.rng("auth")
    db = ctx.db
    created = ctx.ts(timedelta(days=-900))
    org_ids = []
    for name, currency in ORGANIZATIONS:
        oid = ctx.new_id("org", rng)
        org_ids.append(oid)
        db.execute(
            "INSERT INTO organizations (id, name, currency, created, modified) VALUES (?,?,?,?,?)",
            (oid, name, currency, created, created),
        )
    accounts: dict[str, str] = {}
    password = hash_password(DEMO_PASSWORD, salt="sandbox")
    for role, first, last, phone, roles in OPERATORS:
        aid = ctx.new_id("usr", rng)
        accounts[role] = aid
        db.execute(
            "INSERT INTO accounts (id, email, password_hash, first_name, last_name, phone,"
            " created, modified) VALUES (?,?,?,?,?,?,?,?)",
            (aid, demo_email(role), password, first, last, phone, created, created),
        )
        for index, org_role in roles.items():
            db.execute(
                "INSERT INTO memberships (account_id, organization_id, role) VALUES (?,?,?)",
                (aid, org_ids[index], org_role),
            )
    ctx.shared["organizations"] = org_ids
    ctx.shared["accounts"] = accounts


class TokenIn(BaseModel):
    email: str = Field(min_length=1, max_length=254)
    password: str = Field(min_length=1, max_length=200)


class RefreshIn(BaseModel):
    refresh: str = Field(min_length=1)


class PinIn(BaseModel):
    phone: str = Field(min_length=4, max_length=32, description="E.164, e.g. +4520000001")


class PinVerifyIn(BaseModel):
    phone: str = Field(min_length=4, max_length=32)
    pin: str = Field(min_length=1, max_length=12)


def normalize_phone(phone: str) -> str:
    return "".join(ch for ch in phone if ch.isdigit() or ch == "+")


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post("/v1/auth/token", response_model=schemas.Tokens, summary="Password login")
async def password_login(body: TokenIn, state: StateDep, request: Request) -> JSONResponse:
    email = body.email.strip().lower()
    limits = state.rate_limits
    limits.check(ratelimit.LOGIN_FAILURES_PER_EMAIL, email, "failed sign-ins for this account")
    limits.check(ratelimit.LOGIN_FAILURES_PER_CLIENT, _client(request), "failed sign-ins")
    row = state.db.one(
        "SELECT id, password_hash FROM accounts WHERE email = ? COLLATE NOCASE", (email,)
    )
    if row is None or not check_password(body.password, str(row["password_hash"])):
        limits.hit(ratelimit.LOGIN_FAILURES_PER_EMAIL, email)
        limits.hit(ratelimit.LOGIN_FAILURES_PER_CLIENT, _client(request))
        raise ApiError(401, "No active account found with the given credentials")
    return JSONResponse(state.tokens.pair(str(row["id"])))


@router.post("/v1/auth/token/refresh", response_model=schemas.AccessToken, summary="Refresh")
async def refresh(body: RefreshIn, state: StateDep) -> JSONResponse:
    claims = state.tokens.decode(body.refresh.strip(), "refresh")
    if state.db.one("SELECT 1 FROM accounts WHERE id = ?", (claims.account_id,)) is None:
        raise ApiError(401, "User not found", code="token_not_valid")
    return JSONResponse({"access": state.tokens.issue(claims.account_id, "access")})


@router.post("/v1/auth/pin", status_code=204, summary="PIN login, step 1")
async def request_pin(body: PinIn, state: StateDep) -> Response:
    phone = normalize_phone(body.phone)
    if not phone.startswith("+") or len(phone) < 8:
        raise bad_request(
            "phone", "Enter a phone number in international format, e.g. +4520000001."
        )
    state.rate_limits.check(ratelimit.PIN_REQUESTS_PER_PHONE, phone, "PIN requests")
    state.rate_limits.hit(ratelimit.PIN_REQUESTS_PER_PHONE, phone)
    row = state.db.one("SELECT id FROM accounts WHERE phone = ?", (phone,))
    if row is not None:  # unknown numbers get the same 204: no account enumeration
        pin = f"{secrets.randbelow(1_000_000):06d}"
        expires = clock.iso(clock.now() + PIN_TTL)
        old = state.db.one("SELECT expires, tries FROM pins WHERE phone = ?", (phone,))
        tries = 0
        if old is not None and clock.parse_iso(str(old["expires"])) > clock.now():
            # Wrong tries survive a new PIN: asking again never buys 5 more guesses. A phone
            # locked out stays locked until its current PIN would have expired.
            tries = int(old["tries"])
            if tries >= PIN_TRIES:
                expires = str(old["expires"])
        with state.db.transaction():
            state.db.execute(
                "INSERT OR REPLACE INTO pins (phone, account_id, pin, expires, tries)"
                " VALUES (?,?,?,?,?)",
                (phone, row["id"], pin, expires, tries),
            )
        state.pins[phone] = pin
        log.warning("PIN for %s: %s (valid 10 minutes; sandbox: no SMS is sent)", phone, pin)
    return Response(status_code=204)


@router.post("/v1/auth/pin/verify", response_model=schemas.Tokens, summary="PIN login, step 2")
async def verify_pin(body: PinVerifyIn, state: StateDep, request: Request) -> JSONResponse:
    phone = normalize_phone(body.phone)
    db = state.db
    state.rate_limits.check(ratelimit.PIN_FAILURES_PER_CLIENT, _client(request), "wrong PINs")
    row = db.one("SELECT account_id, pin, expires, tries FROM pins WHERE phone = ?", (phone,))
    if row is None:
        raise bad_request("pin", "No PIN was requested for this phone number.")
    if clock.parse_iso(str(row["expires"])) <= clock.now():
        raise bad_request("pin", "This PIN has expired; request a new one.")
    if int(row["tries"]) >= PIN_TRIES:
        left = int((clock.parse_iso(str(row["expires"])) - clock.now()).total_seconds())
        raise too_many("Too many wrong PINs; request a new PIN.", max(1, left))
    # compare_digest on str raises for non-ASCII: compare the UTF-8 bytes (a 6-digit PIN never
    # matches a non-ASCII one; the try is counted like any wrong PIN).
    if not secrets.compare_digest(str(row["pin"]).encode(), body.pin.strip().encode()):
        state.rate_limits.hit(ratelimit.PIN_FAILURES_PER_CLIENT, _client(request))
        with db.transaction():
            db.execute("UPDATE pins SET tries = tries + 1 WHERE phone = ?", (phone,))
        remaining = PIN_TRIES - int(row["tries"]) - 1
        raise bad_request("pin", f"Incorrect PIN; {remaining} tries left.")
    with db.transaction():
        db.execute("DELETE FROM pins WHERE phone = ?", (phone,))
    state.pins.pop(phone, None)
    return JSONResponse(state.tokens.pair(str(row["account_id"])))


@router.get("/v1/auth/me", response_model=schemas.Me, summary="Get user info")
async def me(state: StateDep, principal: PrincipalDep) -> JSONResponse:
    orgs = state.db.query(
        "SELECT o.id, o.name, m.role FROM memberships m JOIN organizations o"
        " ON o.id = m.organization_id WHERE m.account_id = ? ORDER BY o.pk",
        (principal.id,),
    )
    return JSONResponse(
        {
            "id": principal.id,
            "email": principal.email,
            "first_name": principal.first_name,
            "last_name": principal.last_name,
            "phone": principal.phone,
            "organizations": [dict(r) for r in orgs],
        }
    )
