"""Data through the store, a part of :class:`~preo_tui.ui.base.PreoScreen` (a mixin): store
queries scoped to the current organization and edition, cached values at once, loads that fall
back to the cache offline, the data's age in the status line, and invalidation that follows the
data (``follow_data``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from textual.screen import Screen

from preo_tui.ui.errors import describe_error
from preo_tui.ui.widgets.frame import StatusLine

if TYPE_CHECKING:
    from preo_tui.ui.context import AppContext

    _Base = Screen[None]
else:
    _Base = object


class ScreenData(_Base):
    """Data and its age for a screen (PreoScreen's ``__init__`` sets the attributes)."""

    data_as_of: datetime | None
    status_note: str
    _data_follows: list[Any]
    _followed_store: Any

    if TYPE_CHECKING:

        @property
        def ctx(self) -> AppContext: ...

    # -- invalidation that follows the data ----------------------------------------------------

    def follow_data(self, resources: tuple[str, ...], on_stale: Any) -> None:
        """While this screen is mounted, call ``on_stale(key)`` (on the screen's loop turn)
        whenever the store marks a cached query of ``resources`` stale: a write elsewhere,
        or a refresh that showed a linked object changed (a refund processed → its order
        and purchase, ``preo_tui.store.links``). Idempotent per store; call it once the
        store exists (after sign-in)."""
        store = self.ctx.store
        if store is None or store is self._followed_store:
            return
        self._unfollow()
        self._followed_store = store

        def heard(event: Any) -> None:
            if event.kind == "invalidated" and event.key is not None and self.is_attached:
                self.call_later(on_stale, event.key)

        self._data_follows = [store.subscribe(heard, resource=r) for r in resources]

    def _unfollow(self) -> None:
        for unsubscribe in self._data_follows:
            unsubscribe()
        self._data_follows = []
        self._followed_store = None

    def on_unmount(self) -> None:
        self._unfollow()

    def mark_fresh(self, as_of: datetime | None = None) -> None:
        """Record the age of the data now on screen (``as_of`` from the cache, else now)."""
        self.data_as_of = as_of or datetime.now(UTC)
        self._refresh_status()

    def set_status_note(self, note: str) -> None:
        self.status_note = note
        self._refresh_status()

    def _refresh_status(self) -> None:
        for line in self.query(StatusLine):
            line.update_status()

    # -- data through the store ---------------------------------------------------------------

    def data_query(
        self,
        resource: str,
        loader: Any,
        *,
        type: Any = None,
        scoped: bool = True,
        **params: Any,
    ) -> Any:
        """A store ``Query`` scoped to the current organization and edition (unless
        ``scoped=False``)."""
        from preo_tui.store import Query

        ctx = self.ctx
        return Query(
            resource,
            loader,
            params=params,
            organization=ctx.organization.id if scoped and ctx.organization else None,
            edition=ctx.edition.id if scoped and ctx.edition else None,
            type=type,
        )

    def peek_data(self, query: Any) -> Any:
        """The cached value of ``query`` at once (None when nothing is cached); the status
        line shows its age."""
        store = self.ctx.store
        if store is None:
            return None
        entry = store.peek(query)
        if entry is None:
            return None
        self.mark_fresh(datetime.fromtimestamp(entry.fetched_at, UTC))
        return entry.value

    async def load_data(self, query: Any, *, fresh: bool = True) -> Any:
        """Load through the store (coalesced; offline falls back to the cache when there is
        one). Without a store (not signed in yet) the loader is called directly."""
        store = self.ctx.store
        if store is None:
            value = await query.loader()
            self.mark_fresh()
            return value
        if fresh:
            try:
                entry = await store.refresh(query)
            except Exception as exc:
                cached = store.peek(query)
                if cached is None or describe_error(exc).kind not in (
                    "NetworkError",
                    "OfflineError",
                ):
                    raise
                entry = cached
        else:
            entry = await store.get(query)
        self.mark_fresh(datetime.fromtimestamp(entry.fetched_at, UTC))
        return entry.value
