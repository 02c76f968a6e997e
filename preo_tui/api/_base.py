"""Shared model plumbing: the tolerant base model, value types and ``Page[T]``.

Tolerance (contract §11): unknown fields are kept (``extra="allow"``), a missing optional field
is ``None``, an unknown enum value is kept as the plain string, money is ``Decimal``, and
timestamps are timezone-aware (a naive timestamp from a server is taken as UTC). A value of the
wrong type is a validation error, which the client turns into :class:`DecodeError`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Generic, TypeVar
from urllib.parse import parse_qsl, urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    model_validator,
)

from preo_tui.text import safe_data


class PreoModel(BaseModel):
    """Base of every response model: unknown fields kept, values not re-validated on set.

    The text-safety boundary (``preo_tui.text``): before validation every string of the
    server's answer, nested and unknown fields and dict keys included, is made terminal-safe
    (control characters, ESC sequences and bidi overrides shown as visible escapes), so no
    widget downstream ever receives raw control bytes from a server."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, frozen=False)

    @model_validator(mode="before")
    @classmethod
    def _terminal_safe(cls, data: Any) -> Any:
        return safe_data(data)

    #: Fields a list answer leaves out by design (only on the detail answer), and fields
    #: only a list answer carries: doctor does not expect them where they never come.
    ONLY_ON_DETAIL: ClassVar[frozenset[str]] = frozenset()
    ONLY_ON_LIST: ClassVar[frozenset[str]] = frozenset()
    #: Optional fields the contract does not promise (read when a server sends them): doctor
    #: does not count their absence as a failed assumption.
    NOT_PROMISED: ClassVar[frozenset[str]] = frozenset()

    @property
    def extra_fields(self) -> dict[str, Any]:
        """Fields the server sent that this client does not know."""
        return dict(self.__pydantic_extra__ or {})


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _not_bool(value: Any) -> Any:
    # JSON true/false is never a money amount or a count.
    if isinstance(value, bool):
        raise ValueError("a boolean is not a number here")
    return value


def _date_only(value: Any) -> Any:
    # "2026-07-01" or a full timestamp: keep the calendar date.
    if isinstance(value, str) and "T" in value:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    return value


#: A timezone-aware timestamp (naive input is taken as UTC).
Timestamp = Annotated[datetime, AfterValidator(_aware)]

#: A calendar date (a full timestamp is reduced to its date).
DateValue = Annotated[date, BeforeValidator(_date_only)]

#: Money in the currency's main unit, exact.
Money = Annotated[
    Decimal,
    BeforeValidator(_not_bool),
    PlainSerializer(lambda d: float(d), return_type=float, when_used="json"),
]

#: An integer count (``true`` is not a count).
Count = Annotated[int, BeforeValidator(_not_bool)]


E = TypeVar("E", bound=StrEnum)
T = TypeVar("T")

#: ``Tolerant[RefundStatus]``: an enum member when the value is known, else the plain string
#: (shown as-is). A non-string (``5``) is still a validation error.
Tolerant = Annotated[E | str, Field(union_mode="left_to_right")]


def _results_are_models(page: type[BaseModel]) -> bool:
    """Is ``page``'s ``results`` a list of ``PreoModel`` (which run the text safety)?"""
    field = page.model_fields.get("results")
    args: tuple[Any, ...] = getattr(field.annotation, "__args__", ()) if field else ()
    return len(args) == 1 and isinstance(args[0], type) and issubclass(args[0], PreoModel)


class Page(BaseModel, Generic[T]):
    """One page of a list answer (DRF pagination): ``count``, ``next``, ``previous``,
    ``results``; ``page`` is the page number that was asked for."""

    model_config = ConfigDict(extra="allow")

    count: Count = 0
    next: str | None = None
    previous: str | None = None
    results: list[T] = Field(default_factory=list)
    page: int = 1
    #: The page asked for was past the end of the list (it shrank): this is the last page
    #: that exists (``page`` says which), or an empty one. Never read from the server.
    past_end: bool = Field(default=False, exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _bare_list(cls, data: Any) -> Any:
        # Tolerance: a server answering an unpaginated list is read as one complete page.
        if isinstance(data, list):
            data = {"count": len(data), "next": None, "previous": None, "results": data}
        # Text safety (see PreoModel): results of plain types (str) and extra fields too.
        # Results that are models make themselves safe: walking them here as well doubled
        # the decoding time of every page (issue 20).
        if isinstance(data, dict) and "results" in data and _results_are_models(cls):
            return {**safe_data({k: v for k, v in data.items() if k != "results"}),
                    "results": data["results"]}  # fmt: skip
        return safe_data(data)

    @property
    def has_next(self) -> bool:
        return bool(self.next)

    @property
    def has_previous(self) -> bool:
        return bool(self.previous)

    def next_params(self) -> dict[str, str] | None:
        """The query parameters of ``next`` (the client re-requests its own path with them,
        so the token never follows a ``next`` URL to another host)."""
        if not self.next:
            return None
        return dict(parse_qsl(urlsplit(self.next).query, keep_blank_values=True))

    @property
    def extra_fields(self) -> dict[str, Any]:
        return dict(self.__pydantic_extra__ or {})
