"""Check a server against the client's operation registry.

Read-only by default: every GET operation is called (collections with ``page_size=1``; object
operations with an id taken from their collection), its answer decoded by the model the client
uses for it; then a deliberate 404 and a deliberate 400 show the error bodies. With ``write``
(refused on production) a safe round trip creates and deletes a draft segment, a consent and
a webhook endpoint pointing at a non-routable address (TEST-NET-1, RFC 5737: nothing is ever
delivered there).
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from preo_tui.api import PreoClient
from preo_tui.api._base import Page
from preo_tui.api._resource import decode
from preo_tui.api.client import ALL_OPERATIONS, RESOURCES
from preo_tui.api.errors import (
    AuthError,
    Conflict,
    DecodeError,
    NetworkError,
    NotFound,
    PermissionDenied,
    PreoError,
    Unsupported,
    ValidationFailed,
)
from preo_tui.api.registry import Operation

from .fields import enum_text, inspect_answer
from .report import Finding, OperationResult, Outcome, Report, safe
from .suggest import candidates

#: An id no server has (the deliberate 404).
MISSING_ID = "doctor_missing_0"

#: Where an object operation's id comes from when no collection shares its path prefix.
ID_SOURCES: dict[str, tuple[str, str]] = {"purchases.get": ("orders.get", "purchases")}

#: The deliberate 400: a list filter with a value no server can read.
BAD_FILTER = ("refunds.list", {"created_after": "not-a-date", "page_size": 1})

Progress = Callable[[str], None]


class WriteRefused(Exception):
    """``--write`` against production: doctor never writes there."""


def answer_type(op: Operation) -> Any:
    """The type the client decodes ``op``'s answer as (its method's return annotation)."""
    cls = RESOURCES[op.resource]
    method = getattr(cls, op.name, None)
    if method is None:
        return None
    return typing.get_type_hints(method).get("return")


def _object_id(item: Any) -> str | None:
    for name in ("id", "api_id"):
        value = getattr(item, name, None)
        if isinstance(value, str) and value:
            return value
    return None


class Doctor:
    """One run against one client. ``run()`` returns the :class:`Report`."""

    def __init__(
        self,
        client: PreoClient,
        *,
        environment: str,
        write: bool = False,
        production: bool = False,
        progress: Progress | None = None,
        suggest: bool = True,
    ) -> None:
        if write and production:
            raise WriteRefused(
                "--write is refused on a production server: doctor writes only to "
                "development, staging or a sandbox"
            )
        self.client = client
        self.write = write
        self.suggest = suggest
        self.progress = progress or (lambda _text: None)
        self.report = Report(
            server=client.base_url,
            environment=environment,
            started=datetime.now(UTC),
            write=write,
            override_problems=list(client.override_problems),
        )
        self.results: dict[str, OperationResult] = {}
        self.scope: dict[str, str] = {}
        self._ids: dict[tuple[str, tuple[tuple[str, str], ...]], str | None] = {}
        self._list_params: dict[str, dict[str, str]] = {}

    # -- the run --------------------------------------------------------------------------------

    async def run(self) -> Report:
        for base in ALL_OPERATIONS:
            op = self.client.operation(base.key)
            self.results[base.key] = OperationResult(
                key=op.key,
                summary=op.summary,
                method=op.method,
                path=op.path,
                mark=op.mark,
                writes=op.is_write,
                overridden=op.key in self.client.overrides,
            )
        self.report.operations = list(self.results.values())
        if not await self._sign_in():
            return self.report
        for base in ALL_OPERATIONS:
            if base.method == "GET":
                self.progress(base.key)
                await self._check_read(self.client.operation(base.key))
        await self._check_validate_cel()
        await self._check_error_bodies()
        if self.write:
            await self._round_trips()
        for result in self.results.values():
            if result.state == "not checked" and result.writes:
                result.add("route", "unchecked", "a write: checked only with --write")
            elif result.state == "not checked":
                result.add("route", "unchecked", "not called by doctor")
        return self.report

    async def _sign_in(self) -> bool:
        result = self.results["auth.me"]
        op = self.client.operation("auth.me")
        try:
            response = await self.client.send(op)
        except AuthError as exc:
            result.state = "failed"
            result.http_status = exc.status
            result.add("auth", "failed", f"the bearer token was refused: {exc.message}")
            self.report.general.append(_finding("auth", "failed", "signing in failed"))
            return False
        except NetworkError as exc:
            result.state = "failed"
            result.add("route", "failed", exc.message)
            self.report.general.append(
                _finding("server", "failed", f"the server could not be reached: {exc.message}")
            )
            return False
        except PreoError as exc:  # no "me" here: the other operations can still be read
            self._record_error(result, exc)
            if self._route_missing(exc):
                await self._suggest(op, {}, {}, result)
            return True
        self.report.general.append(_finding("auth", "held", "Bearer token accepted"))
        me = self._decode_into(result, op, response)
        if me is not None:
            orgs = getattr(me, "organizations", None) or []
            if orgs and getattr(orgs[0], "id", None):
                self.scope["organization_id"] = str(orgs[0].id)
            email = getattr(me, "email", None)
            self.report.signed_in_as = safe(email) if email else None
        return True

    # -- reads ----------------------------------------------------------------------------------

    async def _check_read(self, op: Operation) -> None:
        result = self.results[op.key]
        if result.state != "not checked":
            return  # already read as another operation's id source
        ids = await self._ids_for(op)
        if ids is None:
            result.state = "skipped"
            result.add("route", "unchecked", "no object to read it with")
            return
        if op.key == "segments.export_csv":
            await self._check_export(op, ids, result)
            return
        params = self._params_for(op)
        try:
            response = await self.client.send(op, ids=ids, params=params)
        except ValidationFailed as exc:
            if op.addresses_object or not await self._retry_with_scope(op, ids, result):
                self._record_error(result, exc)
            return
        except PreoError as exc:
            self._record_error(result, exc)
            if self._route_missing(exc):
                await self._suggest(op, ids, params, result)
            return
        self._record_answer(op, result, response)
        if op.addresses_object:
            await self._check_not_found(op, ids, result)

    async def _check_not_found(
        self, op: Operation, ids: Mapping[str, str], result: OperationResult
    ) -> None:
        """The deliberate 404: the same operation for an object that does not exist answers
        404 with the contract's ``{"detail": "…"}`` body."""
        missing = {**ids, op.params[-1]: MISSING_ID}
        try:
            await self.client.send(op, ids=missing)
        except NotFound:
            # The client raises NotFound only for a 404 with a non-empty {"detail"} message
            # (api._errormap.is_missing_endpoint); any other 404 is Unsupported, below.
            result.add("error 404", "held", "")
        except Unsupported as exc:
            result.add(
                "error 404", "failed", f"HTTP {exc.status} without a JSON detail for no such id"
            )
        except (ValidationFailed, PermissionDenied) as exc:
            result.add("error 404", "unchecked", f"no such id: HTTP {exc.status}")
        except PreoError as exc:
            result.add("error 404", "failed", f"no such id: {exc.message}")
        else:
            result.add("error 404", "failed", "answered 2xx for an id that does not exist")

    async def _retry_with_scope(
        self, op: Operation, ids: Mapping[str, str], result: OperationResult
    ) -> bool:
        """A collection that wants a scope (orders need an edition or organization [ours])."""
        for name in ("organization_id", "edition_id"):
            value = await self._scope_value(name)
            if value is None:
                continue
            params = {**self._params_for(op), name: value}
            try:
                response = await self.client.send(op, ids=ids, params=params)
            except ValidationFailed:
                continue
            except PreoError as exc:
                self._record_error(result, exc)
                return True
            self._list_params[op.key] = {name: value}
            self._record_answer(op, result, response)
            result.add("scope", "info", f"needs {name}")
            return True
        return False

    async def _scope_value(self, name: str) -> str | None:
        if name == "edition_id" and name not in self.scope:
            try:
                page = await self.client.editions.list(
                    page_size=1, organization_id=self.scope.get("organization_id")
                )
            except PreoError:
                return None
            if page.results:
                self.scope["edition_id"] = page.results[0].id
        return self.scope.get(name)

    def _params_for(self, op: Operation) -> dict[str, Any]:
        if self._is_collection(op):
            return {"page_size": 1, **self._list_params.get(op.key, {})}
        return {}

    @staticmethod
    def _is_collection(op: Operation) -> bool:
        tp = answer_type(op)
        return isinstance(tp, type) and issubclass(tp, Page)

    def _record_answer(self, op: Operation, result: OperationResult, response: Any) -> Any:
        result.state = "ok"
        result.http_status = response.status_code
        result.add("route", "held", "")
        decoded = self._decode_into(result, op, response)
        if decoded is not None and isinstance(decoded, Page):
            self._check_envelope(result, response, decoded)
        return decoded

    def _decode_into(self, result: OperationResult, op: Operation, response: Any) -> Any:
        tp = answer_type(op)
        try:
            decoded = decode(tp, response, op, op.path)
        except DecodeError as exc:
            result.add("decodes", "failed", exc.message)
            return None
        result.add("decodes", "held", "")
        try:
            raw = response.json()
        except ValueError:
            return decoded
        found = inspect_answer(decoded, raw)
        result.unknown_fields = sorted(found.unknown)
        result.missing_fields = sorted(found.missing)
        result.enum_values = enum_text(found.enum_values)
        if found.objects:
            if found.missing:
                names = ", ".join(safe(n, 60) for n in result.missing_fields)
                result.add("fields", "failed", f"never sent: {names}")
            else:
                result.add("fields", "held", "")
        if found.unknown:
            names = ", ".join(safe(n, 60) for n in result.unknown_fields[:8])
            more = len(result.unknown_fields) - 8
            result.add(
                "unknown fields",
                "info",
                f"unknown fields kept: {names}" + (f" (+{more})" if more > 0 else ""),
            )
        if found.enum_values:
            result.add(
                "enums", "info", "values outside the known sets: " + "; ".join(result.enum_values)
            )
        return decoded

    def _check_envelope(self, result: OperationResult, response: Any, page: Page[Any]) -> None:
        try:
            raw = response.json()
        except ValueError:
            return
        if not isinstance(raw, dict):
            result.add("paging", "failed", "a bare list, not {count, next, previous, results}")
            return
        lacking = [k for k in ("count", "next", "previous", "results") if k not in raw]
        if lacking:
            result.add("paging", "failed", f"paging envelope lacks {', '.join(lacking)}")
        elif len(page.results) > 1:
            result.add("paging", "failed", f"page_size=1 answered {len(page.results)} items")
        elif page.count > 1 and not page.next:
            result.add("paging", "failed", f"count {page.count} but no next link")
        else:
            result.add("paging", "held", "")

    async def _check_export(
        self, op: Operation, ids: Mapping[str, str], result: OperationResult
    ) -> None:
        try:
            status, kind = await self.client.send_head(op, ids=ids)
        except PreoError as exc:
            self._record_error(result, exc)
            return
        result.state = "ok"
        result.http_status = status
        result.add("route", "held", "")
        if "csv" in kind or "text/" in kind or "octet-stream" in kind:
            result.add("decodes", "held", "")
        else:
            result.add("decodes", "failed", f"a CSV export answered {safe(kind, 60) or 'no type'}")

    # -- ids --------------------------------------------------------------------------------

    async def _ids_for(self, op: Operation) -> dict[str, str] | None:
        ids: dict[str, str] = {}
        base = next(b for b in ALL_OPERATIONS if b.key == op.key)
        parts = base.path.split("/")
        for index, part in enumerate(parts):
            if not (part.startswith("{") and part.endswith("}")):
                continue
            value = await self._id_from(base, "/".join(parts[:index]), ids)
            if value is None:
                return None
            ids[part[1:-1]] = value
        return ids

    async def _id_from(self, base: Operation, prefix: str, ids: dict[str, str]) -> str | None:
        source = ID_SOURCES.get(base.key)
        if source is not None:
            return await self._nested_id(source, ids)
        collection = next(
            (o for o in ALL_OPERATIONS if o.method == "GET" and o.path == prefix), None
        )
        if collection is None:
            return None
        cache_key = (collection.key, tuple(sorted(ids.items())))
        if cache_key in self._ids:
            return self._ids[cache_key]
        op = self.client.operation(collection.key)
        result = self.results[collection.key]
        value: str | None = None
        if result.state == "not checked":
            await self._check_read(op)
        readable = result.state == "ok"
        if result.state == "missing" and result.suggestion:
            # The list answers under its suggested path: read the ids there (the suggestion
            # is still only shown, never applied to the profile).
            op = replace(op, path=result.suggestion.partition(" ")[2])
            readable = True
        if readable:
            try:
                response = await self.client.send(op, ids=ids, params=self._params_for(op))
                page = decode(answer_type(op), response, op, op.path)
                value = _object_id(page.results[0]) if page.results else None
            except PreoError:
                value = None
        self._ids[cache_key] = value
        return value

    async def _nested_id(self, source: tuple[str, str], ids: dict[str, str]) -> str | None:
        key, attribute = source
        op = self.client.operation(key)
        parent_ids = await self._ids_for(op)
        if parent_ids is None:
            return None
        try:
            response = await self.client.send(op, ids=parent_ids)
            parent = decode(answer_type(op), response, op, op.path)
        except PreoError:
            return None
        children = getattr(parent, attribute, None) or []
        return _object_id(children[0]) if children else None

    # -- errors -----------------------------------------------------------------------------

    @staticmethod
    def _route_missing(exc: PreoError) -> bool:
        return isinstance(exc, Unsupported | NotFound)

    def _record_error(self, result: OperationResult, exc: PreoError) -> None:
        result.http_status = exc.status
        if isinstance(exc, Unsupported):
            result.state = "missing"
            result.add("route", "failed", f"HTTP {exc.status}: no such route")
        elif isinstance(exc, NotFound):
            result.state = "missing"
            result.add("route", "failed", "HTTP 404 for an object its list returned")
        elif isinstance(exc, PermissionDenied):
            result.state = "forbidden"
            result.add("route", "unchecked", "HTTP 403: this account may not read it")
        elif isinstance(exc, ValidationFailed | Conflict):
            result.state = "refused"
            result.add("route", "held", "")
            result.add("decodes", "unchecked", f"HTTP {exc.status}: {exc.message}")
        elif isinstance(exc, AuthError):
            result.state = "failed"
            result.add("auth", "failed", f"HTTP 401: {exc.message}")
        else:
            result.state = "failed"
            result.add("route", "failed", exc.message)

    async def _suggest(
        self,
        op: Operation,
        ids: Mapping[str, str],
        params: Mapping[str, Any],
        result: OperationResult,
    ) -> None:
        """Try the neighbour paths; suggest the first that answers as ``op`` should."""
        if not self.suggest:
            return
        for path in candidates(op.resource, op.path):
            probe = replace(op, path=path)
            try:
                response = await self.client.send(probe, ids=ids, params=params)
                decode(answer_type(op), response, probe, path)
            except PreoError:
                continue
            result.suggestion = f"{op.method} {path}"
            return

    async def _check_validate_cel(self) -> None:
        result = self.results["segments.validate_cel"]
        edition = await self._scope_value("edition_id")
        if edition is None:
            return
        try:
            await self.client.segments.validate_cel("true", edition)
        except DecodeError as exc:
            result.state = "ok"
            result.add("route", "held", "")
            result.add("decodes", "failed", exc.message)
            return
        except PreoError as exc:
            self._record_error(result, exc)
            return
        result.state = "ok"
        result.add("route", "held", "")
        result.add("decodes", "held", "")

    async def _check_error_bodies(self) -> None:
        general = self.report.general
        checked = [f for r in self.results.values() for f in r.findings if f.check == "error 404"]
        held = sum(1 for f in checked if f.outcome == "held")
        if checked and held == len(checked):
            general.append(
                _finding("error 404", "info", f'404 body is {{"detail": "…"}} ({held} operations)')
            )
        key, params = BAD_FILTER
        op = self.client.operation(key)
        try:
            await self.client.send(op, params={**params, **self._list_params.get(key, {})})
            general.append(
                _finding("error 400", "unchecked", "an invalid date filter was accepted")
            )
        except ValidationFailed as exc:
            body = exc.detail
            shaped = isinstance(body, dict) and all(
                isinstance(v, list)
                and all(isinstance(m, str) for m in v)
                or (k in ("detail", "code") and isinstance(v, str))
                for k, v in body.items()
            )
            if shaped and exc.status == 400:
                general.append(
                    _finding("error 400", "held", '400 body is {"field": ["message", …]}')
                )
            else:
                general.append(
                    _finding("error 400", "failed", f"HTTP {exc.status} body is not field lists")
                )
        except Unsupported:
            general.append(_finding("error 400", "unchecked", f"{key} is missing"))
        except PreoError as exc:
            general.append(_finding("error 400", "unchecked", f"invalid filter: {exc.message}"))

    async def _round_trips(self) -> None:
        from .writes import round_trips

        await round_trips(self)


def _finding(check: str, outcome: Outcome, message: str) -> Finding:
    return Finding(check, outcome, message)


async def run_doctor(
    client: PreoClient,
    *,
    environment: str,
    write: bool = False,
    production: bool = False,
    progress: Progress | None = None,
) -> Report:
    """Check ``client``'s server; see :class:`Doctor`."""
    doctor = Doctor(
        client, environment=environment, write=write, production=production, progress=progress
    )
    return await doctor.run()
