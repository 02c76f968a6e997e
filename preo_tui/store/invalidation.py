"""Invalidation and in-place updates of cached values: marking queries stale (memory and
disk), patching a written object into every cached list and page holding it, dropping a
deleted one, and invalidation that follows the data (``links.py``: a refund's order and
purchase)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from pydantic import BaseModel

from .base import StoreBase
from .entries import StoreEvent
from .keys import Key
from .links import holds, linked


class InvalidatingStore(StoreBase):
    """The cache plus invalidation and in-place updates."""

    # ---------------------------------------------------------------------------------------
    # Invalidation and updates

    def _matching(
        self, resources: Iterable[str], predicate: Callable[[Key], bool] | None
    ) -> tuple[list[Key], list[str]]:
        """(memory keys, disk-only key ids) of the given resources matching ``predicate``."""
        wanted = set(resources)
        memory = [
            k for k in self._memory if k.resource in wanted and (predicate is None or predicate(k))
        ]
        disk_only: list[str] = []
        if self.disk is not None:
            in_memory = {k.id for k in memory}
            for resource in wanted:
                for key_id in self.disk.keys(resource):
                    if key_id in in_memory:
                        continue
                    if predicate is not None:
                        try:
                            if not predicate(Key.from_id(key_id)):
                                continue
                        except (ValueError, TypeError):
                            pass
                    disk_only.append(key_id)
        return memory, disk_only

    def invalidate(
        self,
        resource: str | Iterable[str],
        predicate: Callable[[Key], bool] | None = None,
    ) -> list[Key]:
        """Mark every cached query of ``resource`` (matching ``predicate``) stale, in memory
        and on disk; subscribers get ``invalidated`` (pollers refresh at once). Loads under
        way for these resources will store their result as stale. Returns the memory keys."""
        resources = [resource] if isinstance(resource, str) else list(resource)
        for name in resources:
            self._generation[name] = self._generation.get(name, 0) + 1
        memory, disk_only = self._matching(resources, predicate)
        for key in memory:
            self._memory[key].stale = True
        if self.disk is not None:
            self.disk.mark_stale([k.id for k in memory] + disk_only)
        for key in memory:
            self._emit(StoreEvent("invalidated", key, self._entry(key, self._memory[key])))
        return memory

    def update_item(
        self, resource: str, item_id: str, item: BaseModel, *, stale: bool = True
    ) -> int:
        """Replace the object ``item_id`` wherever it sits in cached values of ``resource``
        (single objects, lists, ``results`` of pages) with ``item``, so screens show the
        change at once. Patched entries are also marked ``stale`` (a changed object may no
        longer match a list's filter) so they are re-read; entries only on disk are marked
        stale. Returns the number of entries patched."""
        self._generation[resource] = self._generation.get(resource, 0) + 1
        patched = 0
        for key in [k for k in self._memory if k.resource == resource]:
            slot = self._memory[key]
            new_value, changed = _patch(slot.value, item_id, item)
            if not changed:
                continue
            slot.value = new_value
            slot.stale = slot.stale or stale
            patched += 1
            self._persist(key, slot)
            self._emit(StoreEvent("updated", key, self._entry(key, slot)))
        if self.disk is not None:
            in_memory = {k.id for k in self._memory if k.resource == resource}
            self.disk.mark_stale(k for k in self.disk.keys(resource) if k not in in_memory)
        return patched

    def remove_item(self, resource: str, item_id: str) -> int:
        """Drop the object ``item_id`` from cached lists/pages of ``resource`` (after a
        delete) and mark them stale; a cached single object of that id is forgotten."""
        self._generation[resource] = self._generation.get(resource, 0) + 1
        removed = 0
        for key in [k for k in self._memory if k.resource == resource]:
            slot = self._memory[key]
            if _item_id(slot.value) == item_id:
                del self._memory[key]
                if self.disk is not None:
                    self.disk.delete(key.id)
                self._emit(StoreEvent("invalidated", key, None))
                removed += 1
                continue
            new_value, changed = _remove_from(slot.value, item_id)
            if changed:
                slot.value = new_value
                slot.stale = True
                removed += 1
                self._persist(key, slot)
                self._emit(StoreEvent("updated", key, self._entry(key, slot)))
        return removed

    # -- invalidation that follows the data ----------------------------------------------------

    def follow(self, resource: str, items: Iterable[Any]) -> list[Key]:
        """Objects of ``resource`` were written or seen changed: every cached view showing an
        object that depends on them (``links``: a refund's order and purchase) is marked stale
        and its subscribers hear ``invalidated``. Returns the memory keys invalidated."""
        refs: list[tuple[str, str]] = []
        for item in items:
            for ref in linked(resource, item, self.links):
                if ref not in refs:
                    refs.append(ref)
        return self.invalidate_objects(refs)

    def invalidate_objects(self, refs: Iterable[tuple[str, str]]) -> list[Key]:
        """Mark stale every cached view of the objects ``(resource, id)``: single objects,
        lists and pages holding them (also nested, as an order holds its purchases), and
        queries whose parameters name the id; the same on disk."""
        done: list[Key] = []
        for resource, item_id in refs:
            self._generation[resource] = self._generation.get(resource, 0) + 1
            for key in [k for k in self._memory if k.resource == resource]:
                slot = self._memory[key]
                if item_id in key.param_dict.values() or holds(slot.value, item_id):
                    slot.stale = True
                    if key not in done:
                        done.append(key)
            if self.disk is not None:
                in_memory = {k.id for k in self._memory}
                self.disk.mark_stale(
                    k for k in self.disk.keys(resource) if k not in in_memory and item_id in k
                )
            # Nested copies (an order detail holding the purchase) live under other resources.
            for key in [k for k in self._memory if k.resource != resource and k not in done]:
                if holds(self._memory[key].value, item_id):
                    self._memory[key].stale = True
                    done.append(key)
        if self.disk is not None:
            self.disk.mark_stale([k.id for k in done])
        for key in done:
            self._emit(StoreEvent("invalidated", key, self._entry(key, self._memory[key])))
        return done

    def _spread(self, source: Key, items: Iterable[BaseModel]) -> None:
        """A refresh of ``source`` showed ``items`` changed: other cached views of the same
        resource holding them get the new value at once (and are marked stale, since a
        changed object may no longer match a list's filter)."""
        for item in items:
            item_id = _item_id(item)
            if item_id is None:
                continue
            for key in [k for k in self._memory if k.resource == source.resource and k != source]:
                slot = self._memory[key]
                new_value, changed = _patch(slot.value, item_id, item)
                if not changed or new_value == slot.value:
                    continue
                slot.value = new_value
                slot.stale = True
                self._persist(key, slot)
                self._emit(StoreEvent("updated", key, self._entry(key, slot)))

    def forget(self) -> None:
        """Drop everything cached (memory and disk), e.g. after signing out."""
        self._memory.clear()
        if self.disk is not None:
            self.disk.clear()


def _item_id(value: Any) -> str | None:
    item_id = getattr(value, "id", None) if isinstance(value, BaseModel) else None
    return item_id if isinstance(item_id, str) else None


def _coerce(item: BaseModel, like: BaseModel) -> BaseModel:
    """``item`` as the model type of ``like`` (a detail model may differ from a list row)."""
    if type(item) is type(like):
        return item
    try:
        return type(like).model_validate(item.model_dump(by_alias=True))
    except Exception:
        return item


def _patch(value: Any, item_id: str, item: BaseModel) -> tuple[Any, bool]:
    if isinstance(value, BaseModel):
        if _item_id(value) == item_id:
            return _coerce(item, value), True
        results = getattr(value, "results", None)
        if isinstance(results, list):
            new_results, changed = _patch(results, item_id, item)
            if changed:
                return value.model_copy(update={"results": new_results}), True
        return value, False
    if isinstance(value, list):
        changed = False
        out = []
        for element in value:
            if isinstance(element, BaseModel) and _item_id(element) == item_id:
                out.append(_coerce(item, element))
                changed = True
            else:
                out.append(element)
        return (out, True) if changed else (value, False)
    return value, False


def _remove_from(value: Any, item_id: str) -> tuple[Any, bool]:
    if isinstance(value, list):
        out = [v for v in value if _item_id(v) != item_id]
        return (out, True) if len(out) != len(value) else (value, False)
    if isinstance(value, BaseModel):
        results = getattr(value, "results", None)
        if isinstance(results, list):
            new_results, changed = _remove_from(results, item_id)
            if changed:
                update: dict[str, Any] = {"results": new_results}
                count = getattr(value, "count", None)
                if isinstance(count, int) and not isinstance(count, bool):
                    update["count"] = max(0, count - 1)
                return value.model_copy(update=update), True
    return value, False
