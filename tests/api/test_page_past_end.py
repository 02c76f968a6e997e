"""A page past the end of a list (it shrank while the operator worked through it) is the end
of the list, never "Not supported by this server" (issue 19)."""

from __future__ import annotations

from preo_tui.api import NotFound, PreoClient, Unsupported
from preo_tui.api._resource import is_page_past_end
from preo_tui.api.refunds import RefundStatus

from .conftest import Sandbox, preo_client


async def test_a_page_past_the_end_is_the_last_page(preo: PreoClient) -> None:
    first = await preo.refunds.list(status=RefundStatus.REQUESTED, page_size=5)
    last = -(-first.count // 5)
    assert last >= 2, "the seed needs more than one page of requested refunds"
    expected = await preo.refunds.list(status=RefundStatus.REQUESTED, page_size=5, page=last)
    assert expected.page == last and not expected.past_end

    beyond = await preo.refunds.list(status=RefundStatus.REQUESTED, page_size=5, page=last + 3)

    assert beyond.past_end is True
    assert beyond.page == last
    assert beyond.count == first.count
    assert [r.id for r in beyond.results] == [r.id for r in expected.results]


async def test_past_the_end_of_a_list_that_emptied(preo: PreoClient) -> None:
    page = await preo.refunds.list(search="no-such-order-anywhere", page=4)
    assert page.count == 0 and page.results == [] and page.page == 1 and page.past_end


async def test_the_queue_shrinking_under_a_walk_ends_it(sandbox: Sandbox) -> None:
    async with preo_client(sandbox) as preo:
        requested = await preo.refunds.list(status=RefundStatus.REQUESTED, page_size=500)
        assert requested.count > 5
        seen: list[str] = []
        async for item in preo.refunds.iterate(status=RefundStatus.REQUESTED, page_size=5):
            seen.append(item.id)
            if len(seen) == 1:  # another operator approves all the rest meanwhile
                for other in requested.results[5:]:
                    await preo.refunds.approve(other.id)
        assert seen == [r.id for r in requested.results[:5]]


async def test_a_missing_route_on_page_two_is_still_unsupported() -> None:
    route = Unsupported("x", status=404, detail={"detail": "Not Found"})
    html = Unsupported("x", status=404, detail=None)
    drf = Unsupported("x", status=404, detail={"detail": "Invalid page."})
    translated = Unsupported("x", status=404, detail={"detail": "Ugyldig side."})
    gone_parent = NotFound("x", status=404, detail={"detail": "Not found."})
    nested = NotFound("x", status=404, detail={"detail": "Invalid page."})
    assert not is_page_past_end(route, 2)
    assert not is_page_past_end(html, 2)
    assert not is_page_past_end(drf, 1)  # page 1 of an empty list is never a 404
    assert is_page_past_end(drf, 2)
    assert is_page_past_end(translated, 9)
    assert not is_page_past_end(gone_parent, 2)
    assert is_page_past_end(nested, 2)
