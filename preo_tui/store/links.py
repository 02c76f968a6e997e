"""Which cached objects depend on which: invalidation that follows the data.

A refund request names its order and purchase; when the request is written (approved,
rejected) or a refresh shows it changed (``processing`` → ``processed``), the order's and the
purchase's refunded amounts have changed on the server too. ``LINKS`` maps a resource to a
function giving the ``(resource, id)`` of every object whose figures depend on an object of
that resource; the store marks every cached view holding one of those objects stale (single
objects, lists and pages holding it, and queries filtered by its id), so the screens showing
them re-read them.

The rules are data-level (no Textual, no screens): a screen only has to read through the
store and redraw on its ``updated``/``invalidated`` events.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from pydantic import BaseModel

Ref = tuple[str, str]
LinkRule = Callable[[Any], Iterable[Ref]]


def _ids(item: Any, *pairs: tuple[str, str]) -> Iterator[Ref]:
    for resource, attribute in pairs:
        value = getattr(item, attribute, None)
        if isinstance(value, str) and value:
            yield resource, value


def refund_links(item: Any) -> Iterable[Ref]:
    """A refund request moves money on its purchase and its order."""
    return list(_ids(item, ("purchases", "purchase_id"), ("orders", "order_id")))


def purchase_links(item: Any) -> Iterable[Ref]:
    """A purchase's amounts are part of its order's totals."""
    return list(_ids(item, ("orders", "order_id")))


#: resource → the objects (resource, id) whose figures depend on one of its objects.
LINKS: Mapping[str, LinkRule] = {
    "refunds": refund_links,
    "purchases": purchase_links,
}


def linked(resource: str, item: Any, links: Mapping[str, LinkRule] = LINKS) -> list[Ref]:
    rule = links.get(resource)
    if rule is None:
        return []
    return [ref for ref in rule(item) if ref != (resource, getattr(item, "id", None))]


def items_of(value: Any) -> list[BaseModel]:
    """The objects a cached value holds: itself, a list's elements, a page's results, and
    objects nested one level down (an order's purchases)."""
    out: list[BaseModel] = []
    if isinstance(value, list):
        for element in value:
            out.extend(items_of(element))
        return out
    if not isinstance(value, BaseModel):
        return out
    results = getattr(value, "results", None)
    if isinstance(results, list):
        return items_of(results)
    if isinstance(getattr(value, "id", None), str):
        out.append(value)
    return out


def holds(value: Any, item_id: str) -> bool:
    """Does a cached value show the object ``item_id`` (as itself, in a list or page, or
    nested one level down, e.g. a purchase inside its order)?"""
    for item in items_of(value):
        if getattr(item, "id", None) == item_id:
            return True
        for field in type(item).model_fields:
            nested = getattr(item, field, None)
            if isinstance(nested, BaseModel) and getattr(nested, "id", None) == item_id:
                return True
            if isinstance(nested, list) and any(
                isinstance(n, BaseModel) and getattr(n, "id", None) == item_id for n in nested
            ):
                return True
    return False


def changed_items(old: Any, new: Any) -> list[BaseModel]:
    """Objects of ``new`` that ``old`` also held, with a different value (a refresh that
    shows an object changed). Objects new to the value are not "changed"."""
    before = {getattr(i, "id", None): i for i in items_of(old)}
    out: list[BaseModel] = []
    for item in items_of(new):
        previous = before.get(getattr(item, "id", None))
        if previous is not None and previous != item:
            out.append(item)
    return out


__all__ = ["LINKS", "LinkRule", "Ref", "changed_items", "holds", "items_of", "linked"]
