"""Writes that carry a file's body, as durable actions: upload a file (``files.upload``),
create a data import from a file (``data_imports.create``), import external orders from a
file (``data_imports.external_orders``).

The body is never journalled (megabytes a line). The action's ``file`` argument describes
where it comes from instead — the local file's absolute ``path`` (or, for a file already
uploaded to the organization, its server ``file_id``), its ``size`` and ``sha256`` — next to
the other arguments (organization, edition, names, tags, the CSV's encoding and delimiter…).

Before every send, :func:`prepare_args` turns the journalled arguments into the client
method's arguments: the body kept in memory by the action that read it (:attr:`Action.body`)
or, when the action was read back from the journal (a retry after a restart), the file read
again from disk (or downloaded again) and checked against its size and SHA-256. Unchanged:
it is sent with the action's original idempotency key. Changed or gone: :class:`FileChanged`,
nothing is sent, and the runner records "not resent: the file changed" — never a silent
resend of other content.

Resolvers (resolve-by-re-read): neither the contract nor the sandbox exposes an object's
idempotency key, so a lost answer is resolved by a server-visible marker: a file of that name
(and size, when the server says it) uploaded since the action started; a data import of that
file name (and name) in that edition created since; an external-orders import of that
service (and number of orders) in that edition created since (:func:`~.resolve.first_match`,
5 minutes' clock slack).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from preo_tui.imports_local import normalized_csv, parse_external_orders

from .action import Action
from .resolve import Resolution, ResolveContext, first_match, resolver

#: The argument that describes the body's source (``path`` or ``file_id``, ``size``, ``sha256``).
FILE_ARG = "file"
#: The operations whose body comes from a file.
FILE_OPERATIONS = frozenset({"files.upload", "data_imports.create", "data_imports.external_orders"})


class FileChanged(Exception):
    """The file of a journalled action changed or is gone since it was first sent: it is not
    resent (other content under the same idempotency key would be another write)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def describe(
    data: bytes, *, path: Path | str | None = None, file_id: str | None = None
) -> dict[str, Any]:
    """The journalled description of a body read from ``path`` (made absolute) or from the
    server's file ``file_id``."""
    if (path is None) == (file_id is None):
        raise ValueError("a file body comes from a local path or a server file, not both")
    source: dict[str, Any] = (
        {"path": str(Path(path).expanduser().resolve())}
        if path is not None
        else {"file_id": file_id}
    )
    return {**source, "size": len(data), "sha256": sha256_of(data)}


def file_action(
    operation: str,
    summary: str,
    data: bytes,
    *,
    path: Path | str | None = None,
    file_id: str | None = None,
    invalidates: tuple[str, ...] = (),
    **args: Any,
) -> Action:
    """A new file-body action: ``args`` (no body) plus the description of ``data`` read from
    ``path`` or the server file ``file_id``; ``data`` rides along in memory for the first
    send. Hashes the body: call it off the event loop for a large file."""
    if operation not in FILE_OPERATIONS:
        raise ValueError(f"{operation} does not carry a file body")
    return Action(
        operation,
        {FILE_ARG: describe(data, path=path, file_id=file_id), **args},
        summary,
        invalidates=tuple(invalidates),
        body=data,
    )


# -- reading the body back --------------------------------------------------------------------


def _label(source: Mapping[str, Any]) -> str:
    if source.get("path"):
        return str(source["path"])
    return f"the uploaded file {source.get('file_id')}"


def check_body(data: bytes, source: Mapping[str, Any]) -> None:
    """Raise :class:`FileChanged` unless ``data`` has the journalled size and SHA-256."""
    size, digest = source.get("size"), source.get("sha256")
    if (size is not None and len(data) != size) or (digest and sha256_of(data) != digest):
        raise FileChanged(
            f"not resent: the file changed since it was first sent ({_label(source)}:"
            f" {len(data):,} bytes now, {size:,} then) — send it again as a new write"
            if isinstance(size, int)
            else f"not resent: the file changed since it was first sent ({_label(source)})"
        )


async def load_body(client: Any, source: Mapping[str, Any]) -> bytes:
    """The body again, from disk or the server, checked against its size and SHA-256."""
    if source.get("path"):
        path = Path(str(source["path"]))
        try:
            data = await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            raise FileChanged(f"not resent: the file is gone ({path})") from None
        except OSError as exc:
            raise FileChanged(
                f"not resent: the file cannot be read ({path}: {exc.strerror or exc})"
            ) from None
    elif source.get("file_id"):
        from preo_tui.api.errors import NotFound

        try:
            item = await client.files.get(str(source["file_id"]))
        except NotFound:
            raise FileChanged(f"not resent: {_label(source)} is gone") from None
        data = await client.files.download(item)
    else:
        raise FileChanged("not resent: the journal does not say where the file was")
    check_body(data, source)
    return data


async def body_of(client: Any, action: Action) -> bytes:
    source = action.args.get(FILE_ARG)
    if not isinstance(source, Mapping):
        raise FileChanged("not resent: the journal does not say where the file was")
    if action.body is not None:
        check_body(action.body, source)
        return action.body
    return await load_body(client, source)


# -- per operation: the client method's arguments ------------------------------------------------

Preparer = Callable[[Any, Action], Awaitable[dict[str, Any]]]
PREPARERS: dict[str, Preparer] = {}


def _rest(action: Action, *drop: str) -> dict[str, Any]:
    return {k: v for k, v in action.args.items() if k not in (FILE_ARG, *drop)}


async def _prepare_upload(client: Any, action: Action) -> dict[str, Any]:
    data = await body_of(client, action)
    # JSON (base64) rather than multipart: the same bytes on every attempt, so a repeat of
    # the key is answered with the first answer (a multipart boundary differs each time,
    # which a server that binds a key to its request's body refuses).
    return {"source": data, "as_base64": True, **_rest(action)}


async def _prepare_import(client: Any, action: Action) -> dict[str, Any]:
    data = await body_of(client, action)
    csv = action.args.get("csv")
    if isinstance(csv, Mapping):
        # Re-encoded as UTF-8 with commas (what the preview showed), as the first time.
        data = await asyncio.to_thread(
            normalized_csv, data, str(csv["encoding"]), str(csv["delimiter"])
        )
    return {"data_file": data, **_rest(action, "csv")}


async def _prepare_external(client: Any, action: Action) -> dict[str, Any]:
    data = await body_of(client, action)
    source = action.args[FILE_ARG]
    name = Path(str(source.get("path") or "orders.json")).name
    try:
        parsed = await asyncio.to_thread(parse_external_orders, data, name)
    except ValueError as exc:
        raise FileChanged(f"not resent: the file cannot be read any more ({exc})") from None
    return {"orders": parsed.orders, **_rest(action, "order_count")}


PREPARERS["files.upload"] = _prepare_upload
PREPARERS["data_imports.create"] = _prepare_import
PREPARERS["data_imports.external_orders"] = _prepare_external


async def prepare_args(client: Any, action: Action) -> dict[str, Any]:
    """The client method's keyword arguments for ``action`` (its journalled arguments, with
    the body read back for a file-body operation); :class:`FileChanged` when it must not be
    sent."""
    prepare = PREPARERS.get(action.operation)
    if prepare is None:
        return dict(action.args)
    return await prepare(client, action)


# -- resolvers -------------------------------------------------------------------------------------


def _mine(item: Any, ctx: ResolveContext, field: str) -> bool:
    who = getattr(item, field, None)
    return ctx.me is None or who is None or str(who) == ctx.me


@resolver("files.upload")
async def _resolve_upload(client: Any, action: Action, ctx: ResolveContext) -> Resolution:
    args = action.args
    name = args.get("file_name") or Path(str(args[FILE_ARG].get("path") or "")).name
    size = args[FILE_ARG].get("size")
    params: dict[str, Any] = {"ordering": "-created_at", "page_size": 100}
    if args.get("organization_id"):
        params["organization_id"] = args["organization_id"]
    if name:
        params["file_name"] = name
    page = await client.files.list(**params)

    def match(item: Any) -> bool:
        if name and item.file_name != name:
            return False
        if size is not None and item.size is not None and item.size != size:
            return False
        return _mine(item, ctx, "uploaded_by")

    return await first_match(page, action, ctx, match, created="created_at")


def _since(action: Action, ctx: ResolveContext) -> dict[str, Any]:
    if action.started is None:
        return {}
    return {"created_after": (action.started - ctx.skew).isoformat()}


@resolver("data_imports.create")
async def _resolve_import(client: Any, action: Action, ctx: ResolveContext) -> Resolution:
    args = action.args
    page = await client.data_imports.list(
        edition_id=args.get("edition_id"),
        include_cancelled=True,
        ordering="-created",
        page_size=100,
        **_since(action, ctx),
    )
    file_name, name = args.get("data_file_name"), args.get("name")

    def match(item: Any) -> bool:
        if file_name and item.data_file_name != file_name:
            return False
        if name and item.name not in (None, name):
            return False
        return _mine(item, ctx, "created_by")

    return await first_match(page, action, ctx, match)


@resolver("data_imports.external_orders")
async def _resolve_external(client: Any, action: Action, ctx: ResolveContext) -> Resolution:
    args = action.args
    service, count = args.get("service"), args.get("order_count")
    page = await client.data_imports.list(
        edition_id=args.get("edition_id"),
        service=service,
        include_cancelled=True,
        ordering="-created",
        page_size=100,
        **_since(action, ctx),
    )

    def match(item: Any) -> bool:
        if service and item.service not in (None, service):
            return False
        if isinstance(count, int) and item.total_rows is not None and item.total_rows != count:
            return False
        return _mine(item, ctx, "created_by")

    return await first_match(page, action, ctx, match)


__all__ = [
    "FILE_ARG",
    "FILE_OPERATIONS",
    "PREPARERS",
    "FileChanged",
    "check_body",
    "describe",
    "file_action",
    "load_body",
    "prepare_args",
    "sha256_of",
]
