"""Invalidation that follows the data: a refund written or seen changed marks its order's and
purchase's cached views stale (lists, pages, details, nested copies), so screens re-read them."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel

from preo_tui.api._base import Page
from preo_tui.store import Query, Store, StoreEvent


class Refund(BaseModel):
    id: str
    status: str
    purchase_id: str | None = None
    order_id: str | None = None


class Purchase(BaseModel):
    id: str
    order_id: str
    refunded: Decimal = Decimal(0)


class Order(BaseModel):
    id: str
    purchases: list[Purchase] = []


class Server:
    """The sandbox's figures, in small: processing a refund moves money."""

    def __init__(self) -> None:
        self.refund = Refund(id="rfr_1", status="approved", purchase_id="pur_1", order_id="ord_1")
        self.purchase = Purchase(id="pur_1", order_id="ord_1")
        self.other = Purchase(id="pur_2", order_id="ord_2")

    def process(self) -> None:
        self.refund = self.refund.model_copy(update={"status": "processed"})
        self.purchase = self.purchase.model_copy(update={"refunded": Decimal("100.00")})

    async def refunds(self) -> Page[Refund]:
        return Page[Refund](count=1, results=[self.refund])

    async def get_refund(self) -> Refund:
        return self.refund

    async def get_purchase(self) -> Purchase:
        return self.purchase

    async def get_other(self) -> Purchase:
        return self.other

    async def order(self) -> Order:
        return Order(id="ord_1", purchases=[self.purchase])

    async def purchases_of_order(self) -> list[Purchase]:
        return [self.purchase]


def queries(server: Server) -> dict[str, Query[object]]:
    return {
        "refunds": Query("refunds", server.refunds, params={"status": "approved"}),
        "purchase": Query("purchases", server.get_purchase, params={"id": "pur_1"}),
        "other": Query("purchases", server.get_other, params={"id": "pur_2"}),
        "order": Query("orders", server.order, params={"id": "ord_1"}),
        "by_order": Query("purchases", server.purchases_of_order, params={"order": "ord_1"}),
    }


async def test_a_refund_seen_processed_marks_its_purchase_and_order_stale() -> None:
    server = Server()
    store = Store()
    q = queries(server)
    for query in q.values():
        await store.refresh(query)
    events: list[StoreEvent] = []
    store.subscribe(events.append)

    server.process()
    await store.refresh(q["refunds"])  # a poll of the refund queue sees it processed

    for name in ("purchase", "order", "by_order"):
        entry = store.peek(q[name])
        assert entry is not None and entry.stale, name
    other = store.peek(q["other"])
    assert other is not None and not other.stale  # an unrelated purchase keeps its cache
    invalidated = {e.key for e in events if e.kind == "invalidated"}
    assert {q["purchase"].key, q["order"].key, q["by_order"].key} <= invalidated

    # A screen reading through the store now gets the new figures.
    fresh = await store.get(q["purchase"])
    assert fresh.stale  # the stale copy first; its refresh runs in the background
    assert (await store.refresh(q["purchase"])).value.refunded == Decimal("100.00")  # type: ignore[attr-defined]


async def test_an_unchanged_refresh_invalidates_nothing() -> None:
    server = Server()
    store = Store()
    q = queries(server)
    for query in q.values():
        await store.refresh(query)
    await store.refresh(q["refunds"])
    for name in ("purchase", "order", "by_order", "other"):
        entry = store.peek(q[name])
        assert entry is not None and not entry.stale, name


async def test_a_refund_write_invalidates_the_linked_purchase() -> None:
    server = Server()
    store = Store()
    q = queries(server)
    await store.refresh(q["purchase"])
    await store.refresh(q["order"])

    async def approve(key: str) -> Refund:
        server.process()
        return server.refund

    await store.write(approve, resource="refunds", action="approve", object_ids=["rfr_1"])
    for name in ("purchase", "order"):
        entry = store.peek(q[name])
        assert entry is not None and entry.stale, name


async def test_a_refreshed_object_updates_other_views_of_it() -> None:
    server = Server()
    store = Store()
    single = Query("refunds", server.get_refund, params={"id": "rfr_1"})
    listed = Query("refunds", server.refunds, params={"status": "approved"})
    await store.refresh(single)
    await store.refresh(listed)
    server.process()
    await store.refresh(single)  # the detail is re-read
    entry = store.peek(listed)
    assert entry is not None
    assert entry.value.results[0].status == "processed"
    assert entry.stale  # and re-read: it may no longer match the list's filter
