"""Who is calling: the ``Principal`` dependency and role checks.

In a handler::

    async def approve(rid: str, state: StateDep, principal: PrincipalDep) -> JSONResponse:
        row = ...                                     # load the object
        principal.require_access(row["organization_id"])         # 404 when not a member
        principal.require_role(row["organization_id"], "admin", "manager")  # 403 otherwise

``Authorization: Bearer <access token>`` is required on every ``/v1`` operation except the
login ones. Missing credentials answer 401 ``{"detail": "Authentication credentials were not
provided."}``; an expired or invalid token 401 ``{"detail": ..., "code": "token_not_valid"}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from .errors import ApiError, forbidden, not_found
from .state import SandboxState, get_state

ROLES = ("admin", "manager", "staff")


@dataclass(frozen=True)
class Principal:
    """The authenticated operator and their role in each organization."""

    id: str
    email: str
    first_name: str
    last_name: str
    phone: str | None
    roles: dict[str, str] = field(default_factory=dict)  # organization_id -> role

    @property
    def org_ids(self) -> list[str]:
        """The organizations this operator may see (sorted, for stable SQL)."""
        return sorted(self.roles)

    def role_in(self, organization_id: str | None) -> str | None:
        return self.roles.get(organization_id or "")

    def has_role(self, organization_id: str | None, *roles: str) -> bool:
        return self.role_in(organization_id) in roles

    def require_access(self, organization_id: str | None, what: str = "Not found.") -> None:
        """404 unless a member of ``organization_id`` (hides other organizations' objects)."""
        if self.role_in(organization_id) is None:
            raise not_found(what)

    def require_member(self, organization_id: str | None) -> None:
        """403 unless a member (for writes naming an organization explicitly)."""
        if self.role_in(organization_id) is None:
            raise forbidden("You do not have access to this organization.")

    def require_role(self, organization_id: str | None, *roles: str) -> None:
        """403 unless the caller has one of ``roles`` in ``organization_id``."""
        role = self.role_in(organization_id)
        if role is None:
            raise forbidden("You do not have access to this organization.")
        if role not in roles:
            raise forbidden(
                f"This action needs the {' or '.join(roles)} role; you are {role} here."
            )


def load_principal(state: SandboxState, account_id: str) -> Principal | None:
    row = state.db.one(
        "SELECT id, email, first_name, last_name, phone FROM accounts WHERE id = ?",
        (account_id,),
    )
    if row is None:
        return None
    roles = {
        str(r["organization_id"]): str(r["role"])
        for r in state.db.query(
            "SELECT organization_id, role FROM memberships WHERE account_id = ?", (account_id,)
        )
    }
    return Principal(
        str(row["id"]),
        str(row["email"]),
        str(row["first_name"]),
        str(row["last_name"]),
        row["phone"],
        roles,
    )


async def current_principal(
    request: Request, state: Annotated[SandboxState, Depends(get_state)]
) -> Principal:
    """FastAPI dependency: the caller, from the bearer access token."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(
            401,
            "Authentication credentials were not provided.",
            headers={"WWW-Authenticate": 'Bearer realm="api"'},
        )
    claims = state.tokens.decode(token.strip(), "access")
    principal = state.principals.get(claims.account_id)
    if principal is None:
        principal = load_principal(state, claims.account_id)
        if principal is None:
            raise ApiError(401, "User not found", code="token_not_valid")
        state.principals[claims.account_id] = principal
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]


async def sandbox_admin(principal: PrincipalDep) -> Principal:
    """FastAPI dependency for the sandbox-only ``/_sandbox/*`` endpoints (all but health):
    401 without a valid access token, 403 unless the caller is an admin (in any organization;
    the static admin token printed at start-up qualifies). They expose customer data (the
    webhook sink, uploaded files) and fault knobs."""
    if "admin" not in principal.roles.values():
        raise forbidden("The /_sandbox endpoints need an admin token.")
    return principal


AdminDep = Annotated[Principal, Depends(sandbox_admin)]
