"""Auth: password and PIN login, token refresh, the signed-in user.

Contract §2. Paths and bodies are [ours] except the "Get user info" operation itself.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from ._base import PreoModel, Tolerant
from ._resource import Resource
from .registry import Operation, operations

OPERATIONS = operations(
    Operation("auth", "me", "GET", "/v1/auth/me", "Get user info"),
    # Token exchanges change no data: allowed in read-only mode, sent without a bearer token.
    Operation("auth", "login", "POST", "/v1/auth/token", "Password login",
              writes=False, authenticated=False),
    Operation("auth", "refresh", "POST", "/v1/auth/token/refresh", "Refresh the access token",
              writes=False, authenticated=False),
    Operation("auth", "request_pin", "POST", "/v1/auth/pin", "PIN login, step 1",
              writes=False, authenticated=False),
    Operation("auth", "verify_pin", "POST", "/v1/auth/pin/verify", "PIN login, step 2",
              writes=False, authenticated=False),
)  # fmt: skip


class Role(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    STAFF = "staff"


class Membership(PreoModel):
    id: str
    name: str | None = None
    role: Tolerant[Role] | None = None


class Me(PreoModel):
    id: str
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    organizations: list[Membership] = Field(default_factory=list)

    def role_in(self, organization_id: str) -> Role | str | None:
        for org in self.organizations:
            if org.id == organization_id:
                return org.role
        return None


class TokenPair(PreoModel):
    """Login / refresh answer. The token values never appear in repr."""

    access: str = Field(repr=False)
    refresh: str | None = Field(default=None, repr=False)


class Auth(Resource):
    name = "auth"
    operations = OPERATIONS

    async def me(self) -> Me:
        result: Me = await self._call("me", Me)
        return result

    async def _adopt(self, pair: TokenPair) -> TokenPair:
        await self._core.set_tokens(pair.access, pair.refresh, notify=True)
        return pair

    async def login(
        self, email: str, password: str, *, idempotency_key: str | None = None
    ) -> TokenPair:
        """Password login. The client uses the new tokens from now on (and reports them to
        ``on_tokens``)."""
        pair: TokenPair = await self._call(
            "login",
            TokenPair,
            json_body={"email": email, "password": password},
            idempotency_key=idempotency_key,
        )
        return await self._adopt(pair)

    async def refresh(
        self, refresh_token: str | None = None, *, idempotency_key: str | None = None
    ) -> TokenPair:
        """Exchange the refresh token (the client's own by default) for a new access token."""
        token = refresh_token or (self._core.tokens.refresh if self._core.tokens else None)
        if not token:
            from .errors import AuthError

            raise AuthError("No refresh token: sign in again", method="POST",
                            path=OPERATIONS["refresh"].path)  # fmt: skip
        pair: TokenPair = await self._call(
            "refresh", TokenPair, json_body={"refresh": token}, idempotency_key=idempotency_key
        )
        if pair.refresh is None:
            pair = TokenPair(access=pair.access, refresh=token)
        return await self._adopt(pair)

    async def request_pin(self, phone: str, *, idempotency_key: str | None = None) -> None:
        """Step 1 of PIN login: the server texts a 6-digit PIN to ``phone``."""
        await self._call(
            "request_pin", None, json_body={"phone": phone}, idempotency_key=idempotency_key
        )

    async def verify_pin(
        self, phone: str, pin: str, *, idempotency_key: str | None = None
    ) -> TokenPair:
        """Step 2 of PIN login. The client uses the new tokens from now on."""
        pair: TokenPair = await self._call(
            "verify_pin",
            TokenPair,
            json_body={"phone": phone, "pin": pin},
            idempotency_key=idempotency_key,
        )
        return await self._adopt(pair)
