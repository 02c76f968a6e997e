"""Editions, orders, purchases and users against the sandbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from preo_tui.api import NotFound, PermissionDenied, PreoClient, ValidationFailed
from preo_tui.api.editions import Edition, EditionStatus, Language, TaxType
from preo_tui.api.orders import OrderStatus, OrderType

from .conftest import Sandbox, preo_client


async def current_edition(preo: PreoClient) -> Edition:
    page = await preo.editions.list(status=EditionStatus.CURRENT)
    assert page.results, "the seed has a current edition"
    return page.results[0]


# -- editions -----------------------------------------------------------------------------------


async def test_edition_list_filters_and_get(preo: PreoClient) -> None:
    everything = await preo.editions.list(ordering="name")
    assert everything.count >= 4 and everything.page == 1
    names = [e.name or "" for e in everything.results]
    assert names == sorted(names)
    current = await current_edition(preo)
    assert current.status is EditionStatus.CURRENT
    assert current.start_date is not None and current.start_date.tzinfo is not None
    drafts = await preo.editions.list(is_draft=True)
    assert drafts.results and all(e.is_draft for e in drafts.results)
    upcoming = await preo.editions.list(status="upcoming")
    assert upcoming.results and {e.status for e in upcoming.results} == {"upcoming"}
    with pytest.raises(ValidationFailed) as info:
        await preo.editions.list(status="someday")
    assert "status" in info.value.fields
    got = await preo.editions.get(current.id)
    assert got.id == current.id and got.slug == current.slug
    assert [e.id async for e in preo.editions.iterate(page_size=1)] == [
        e.id for e in (await preo.editions.list(page_size=100)).results
    ]


async def test_edition_create_update_duplicate(preo: PreoClient) -> None:
    current = await current_edition(preo)
    assert current.organization_id and current.event_id
    start = datetime(2027, 6, 26, 10, tzinfo=UTC)
    created = await preo.editions.create(
        organization_id=current.organization_id,
        event_id=current.event_id,
        name="Client test 2027",
        start_date=start,
        end_date=start + timedelta(days=4),
        timezone="Europe/Copenhagen",
        default_language=Language.DA,
        enabled_languages=["da", Language.EN],
        tax_type=TaxType.VAT,
    )
    assert created.slug and created.status is EditionStatus.UPCOMING
    assert created.start_date == start
    updated = await preo.editions.update(created.id, name="Renamed", is_archived=True)
    assert updated.name == "Renamed" and updated.is_archived is True
    copy = await preo.editions.duplicate(created.id, name="Copy", slug="client-copy")
    assert copy.id != created.id and copy.is_draft is True and copy.slug == "client-copy"


async def test_edition_errors(sandbox: Sandbox, preo: PreoClient) -> None:
    current = await current_edition(preo)
    with pytest.raises(ValidationFailed) as info:
        await preo.editions.update(current.id, slug="not a slug!")
    assert info.value.fields["slug"] and info.value.status == 400
    with pytest.raises(NotFound):
        await preo.editions.get("edt_doesnotexist")
    async with preo_client(sandbox, "staff") as staff:
        assert current.organization_id and current.event_id
        with pytest.raises(PermissionDenied):
            await staff.editions.create(
                organization_id=current.organization_id, event_id=current.event_id, name="No"
            )


async def test_edition_field_choices_and_healthcheck(preo: PreoClient) -> None:
    current = await current_edition(preo)
    choices = await preo.editions.field_choices(current.id)
    assert {"timezone", "default_language", "tax_type"} <= set(choices)
    assert "se" in {c.value for c in choices["default_language"]}
    health = await preo.editions.healthcheck(current.id)
    assert isinstance(health.ok, bool) and health.checks
    drafts = await preo.editions.list(is_draft=True)
    draft_health = await preo.editions.healthcheck(drafts.results[0].id)
    assert {c.level for c in draft_health.checks} <= {"ok", "warning", "error"}


# -- orders and purchases -----------------------------------------------------------------------


async def test_orders_need_a_scope_filter(preo: PreoClient) -> None:
    with pytest.raises(ValidationFailed) as info:
        await preo.orders.list()
    assert info.value.fields


async def test_order_list_filters_paging_and_detail(preo: PreoClient) -> None:
    current = await current_edition(preo)
    page1 = await preo.orders.list(edition_id=current.id, page_size=25, ordering="-amount")
    assert page1.count > 25 and len(page1.results) == 25 and page1.has_next
    amounts = [o.amount or Decimal(0) for o in page1.results]
    assert amounts == sorted(amounts, reverse=True)
    assert all(isinstance(a, Decimal) for a in amounts)
    page2 = await preo.orders.list(edition_id=current.id, page_size=25, page=2, ordering="-amount")
    assert page2.page == 2 and page2.has_previous
    assert not {o.id for o in page1.results} & {o.id for o in page2.results}

    completed = await preo.orders.list(edition_id=current.id, status=OrderStatus.COMPLETED)
    assert completed.results and all(o.status is OrderStatus.COMPLETED for o in completed.results)
    in_person = await preo.orders.list(edition_id=current.id, type=OrderType.IN_PERSON)
    assert in_person.results and {o.type for o in in_person.results} == {"in-person"}

    first = page1.results[0]
    assert first.customer and first.customer.email
    by_email = await preo.orders.list(edition_id=current.id, customer_email=first.customer.email)
    assert first.id in {o.id for o in by_email.results}
    by_search = await preo.orders.list(edition_id=current.id, search=first.order_number)
    assert first.id in {o.id for o in by_search.results}

    detail = await preo.orders.get(first.id)
    assert detail.purchases and detail.purchases[0].order_id == first.id
    purchase = await preo.purchases.get(detail.purchases[0].id)
    assert purchase.id == detail.purchases[0].id and purchase.refund_requests is not None
    assert purchase.refundable_amount is not None


async def test_orders_iterate_follows_every_page(preo: PreoClient) -> None:
    current = await current_edition(preo)
    total = (await preo.orders.list(edition_id=current.id, page_size=1)).count
    ids = [o.id async for o in preo.orders.iterate(edition_id=current.id, page_size=50)]
    assert len(ids) == total and len(set(ids)) == total


async def test_order_filters_by_date(preo: PreoClient) -> None:
    current = await current_edition(preo)
    page = await preo.orders.list(edition_id=current.id, ordering="created", page_size=10)
    pivot = page.results[5].created
    assert pivot is not None
    after = await preo.orders.list(edition_id=current.id, created_after=pivot, page_size=500)
    assert all(o.created and o.created >= pivot for o in after.results)


# -- users --------------------------------------------------------------------------------------


async def test_users_list_search_get_update(preo: PreoClient) -> None:
    current = await current_edition(preo)
    members = await preo.users.list(edition_id=current.id, ordering="email", page_size=50)
    assert members.count > 0
    emails = [u.email or "" for u in members.results]
    assert emails == sorted(emails)
    someone = members.results[0]
    found = await preo.users.list(search=(someone.email or "").split("@")[0])
    assert someone.id in {u.id for u in found.results}
    got = await preo.users.get(someone.id)
    # total_spent: the sum of the customer's confirmed and completed orders
    orders = await preo.orders.list(customer_id=someone.id, page_size=500)
    spent = sum(
        (o.amount for o in orders.results if str(o.status) in ("confirmed", "completed")),
        Decimal(0),
    )
    assert got.total_spent == spent
    updated = await preo.users.update(someone.id, first_name="Client", language=Language.PL)
    assert updated.first_name == "Client" and updated.language is Language.PL
    again = await preo.users.get(someone.id)
    assert again.first_name == "Client" and again.last_name == someone.last_name
    with pytest.raises(ValidationFailed) as info:
        await preo.users.update(someone.id, language="xx")
    assert "language" in info.value.fields
