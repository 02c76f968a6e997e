"""What a ``PagedTable`` asks its loader for and gets back, and the window's bookkeeping
that needs no Textual (trimming pages, dropping repeated ids); split out of
:mod:`preo_tui.ui.widgets.paged_table`, which re-exports what screens use."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Generic, Protocol, TypeVar

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)

MARK_COLUMN = "__mark__"
MARK_ON = "●"


@dataclass(frozen=True, slots=True)
class PageRequest:
    """What the table asks its loader for."""

    page: int
    page_size: int
    ordering: str | None = None
    search: str | None = None


class PageLike(Protocol[T_co]):
    """Anything with ``count`` and ``results`` (the client's ``Page[T]`` fits)."""

    @property
    def count(self) -> int: ...

    @property
    def results(self) -> Sequence[T_co]: ...


@dataclass(frozen=True, slots=True)
class SimplePage(Generic[T]):
    """A page built by hand (tests, loaders that wrap something else)."""

    count: int
    results: Sequence[T]


Loader = Callable[[PageRequest], Awaitable[PageLike[T]]]


def _job(fn: Callable[..., Coroutine[Any, Any, None]], *args: Any, **kwargs: Any) -> Any:
    """A worker job that Textual recognises as async (a ``partial``) and that creates its
    coroutine only when it runs: a job cancelled before it starts leaves no never-awaited
    coroutine behind."""
    return partial(fn, *args, **kwargs)


def first_load_failed(error: BaseException) -> str:
    """The list line when the first page could not be loaded and nothing is cached."""
    from preo_tui.ui.errors import error_kind

    if error_kind(error) in ("NetworkError", "OfflineError"):
        return "offline — nothing cached yet (r retries)"
    return "could not be loaded (r retries)"


def _answered_page(result: Any, asked: int) -> int:
    """The page a result holds: the one asked for, unless the loader found that page past
    the end of a list that shrank and answered its last page instead (``past_end``)."""
    if getattr(result, "past_end", False):
        number = getattr(result, "page", None)
        if isinstance(number, int) and number >= 1:
            return number
    return asked


def trim_window(
    items: list[T], first_page: int, last_page: int, page_size: int, max_rows: int, *, keep: str
) -> tuple[list[T], int, int]:
    """The window's ``(items, first_page, last_page)`` once over ``max_rows``: whole pages are
    dropped from the far end (``keep`` is ``"end"`` or ``"start"``) down to about half of it
    in one go (hysteresis), so the next rebuild is several pages away."""
    if len(items) <= max_rows:
        return items, first_page, last_page
    target = max(max_rows // 2, page_size * 2)
    while len(items) > target and last_page > first_page:
        if keep == "end":
            items = items[page_size:]
            first_page += 1
        else:
            last_len = len(items) - (last_page - first_page) * page_size
            items = items[: len(items) - max(last_len, 0)]
            last_page -= 1
    return items, first_page, last_page


def dedupe(items: Iterable[T], row_id: Callable[[T], str]) -> tuple[list[T], list[str]]:
    """``items`` without repeated ids (the first stays), and their ids."""
    seen: set[str] = set()
    out: list[T] = []
    ids: list[str] = []
    for item in items:
        key = row_id(item)
        if key in seen:
            continue
        seen.add(key)
        out.append(item)
        ids.append(key)
    return out, ids


def default_row_id(item: Any) -> str:
    return str(item.id)
