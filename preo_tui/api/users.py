"""Users, i.e. customers (contract §6): list, get, partial update. All [ours] except the list
operation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from ._base import Count, Money, Page, PreoModel, Timestamp, Tolerant
from ._resource import UNSET, Resource, body_with_unset
from .editions import Language
from .registry import Operation, operations

OPERATIONS = operations(
    Operation("users", "list", "GET", "/v1/users", "List users"),
    Operation("users", "get", "GET", "/v1/users/{id}", "Retrieve user"),
    Operation("users", "update", "PATCH", "/v1/users/{id}", "Partially update user"),
)


class User(PreoModel):
    id: str
    email: str | None = None
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    language: Tolerant[Language] | None = None
    country_code: str | None = None
    #: Ids of the consents the user granted.
    consents: list[str] | None = None
    order_count: Count | None = None
    total_spent: Money | None = None
    created: Timestamp | None = None
    modified: Timestamp | None = None

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)


class Users(Resource):
    name = "users"
    operations = OPERATIONS

    async def list(
        self,
        *,
        edition_id: str | None = None,
        organization_id: str | None = None,
        search: str | None = None,
        ordering: str | None = None,
        page: int | None = None,
        page_size: int | None = None,
        **filters: Any,
    ) -> Page[User]:
        """``edition_id``: the users with at least one order in that edition."""
        params = dict(
            edition_id=edition_id,
            organization_id=organization_id,
            search=search,
            ordering=ordering,
            page=page,
            page_size=page_size,
            **filters,
        )
        return await self._page("list", User, params)

    def iterate(self, **filters: Any) -> AsyncIterator[User]:
        return self._pages("list", User, filters)

    async def get(self, id: str) -> User:
        result: User = await self._call("get", User, ids={"id": id})
        return result

    async def update(
        self,
        id: str,
        *,
        email: str | None = UNSET,
        phone: str | None = UNSET,
        first_name: str | None = UNSET,
        last_name: str | None = UNSET,
        language: Language | str | None = UNSET,
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> User:
        """Only the arguments given are sent (``None`` is sent as null)."""
        body = body_with_unset(
            dict(
                email=email,
                phone=phone,
                first_name=first_name,
                last_name=last_name,
                language=language,
                **fields,
            )
        )
        result: User = await self._call(
            "update", User, ids={"id": id}, json_body=body, idempotency_key=idempotency_key
        )
        return result
