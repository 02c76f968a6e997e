"""Files (contract §10): list (with ``available_tags``), upload (multipart or base64), get,
update, delete (``force``). Fields are [doc] (``usages`` shape [ours]); paths [ours].

A file's id field is ``api_id``; :attr:`File.id` reads it too, so files fit the same code as
every other object.
"""

from __future__ import annotations

import asyncio
import base64
import mimetypes
import os
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import IO, Any, ClassVar

import httpx
from pydantic import Field

from ._base import Count, Page, PreoModel, Timestamp
from ._resource import UNSET, Resource, body_of, body_with_unset
from ._transport import Body
from .errors import NetworkError, ValidationFailed
from .registry import Operation, operations

#: Reading a file's content at its ``file_url`` (not one of the API's operations, so not in the
#: table). The token is sent only when ``file_url`` is on the API's own origin.
_DOWNLOAD = Operation("files", "download", "GET", "/v1/files/{id}", "Download file")
_DOWNLOAD_ANONYMOUS = Operation(
    "files", "download", "GET", "/v1/files/{id}", "Download file", authenticated=False
)
#: The largest file read into memory.
MAX_DOWNLOAD = 64 * 1024 * 1024

OPERATIONS = operations(
    Operation("files", "list", "GET", "/v1/files", "List files"),
    Operation("files", "upload", "POST", "/v1/files", "Upload file"),
    Operation("files", "get", "GET", "/v1/files/{id}", "Get file details"),
    Operation("files", "update", "PATCH", "/v1/files/{id}", "Update file metadata"),
    Operation("files", "delete", "DELETE", "/v1/files/{id}", "Delete file"),
)


class Usage(PreoModel):
    model: str | None = None
    id: str | None = None


class File(PreoModel):
    api_id: str
    file_name: str | None = None
    organization_id: str | None = None
    file_url: str | None = None
    image_alt_text: str | None = None
    caption: str | None = None
    copyright: str | None = None
    tags: list[str] | None = None
    usages: list[Usage] | None = None
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None
    #: [ours, optional] the sandbox sends them; another server may not (then None).
    NOT_PROMISED: ClassVar[frozenset[str]] = frozenset({"content_type", "size", "uploaded_by"})
    content_type: str | None = None
    size: Count | None = None
    uploaded_by: str | None = None

    @property
    def id(self) -> str:
        return self.api_id


class FilePage(Page[File]):
    """The file list adds ``available_tags`` (every tag in use)."""

    available_tags: list[str] = Field(default_factory=list)


FileSource = str | os.PathLike[str] | bytes | IO[bytes]


def _read(source: FileSource, file_name: str | None) -> tuple[bytes, str]:
    if isinstance(source, bytes):
        if not file_name:
            raise ValidationFailed(
                "file_name is required when uploading bytes",
                fields={"file_name": ["This field is required."]},
            )
        return source, file_name
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        try:
            return path.read_bytes(), file_name or path.name
        except OSError as exc:
            raise ValidationFailed(
                f"Cannot read {path}: {exc.strerror or exc}",
                fields={"file": [f"Cannot read {path}."]},
            ) from None
    data = source.read()
    name = file_name or Path(str(getattr(source, "name", "") or "")).name
    if not name:
        raise ValidationFailed(
            "file_name is required for this upload",
            fields={"file_name": ["This field is required."]},
        )
    return data, name


class Files(Resource):
    name = "files"
    operations = OPERATIONS

    async def list(
        self,
        *,
        organization_id: str | None = None,
        file_name: str | None = None,
        tags: str | Sequence[str] | None = None,
        ordering: str | None = None,
        page: int | None = None,
        page_size: int | None = None,
        **filters: Any,
    ) -> FilePage:
        """``tags`` may be a list (sent comma-separated)."""
        params = dict(
            organization_id=organization_id,
            file_name=file_name,
            tags=tags,
            ordering=ordering,
            page=page,
            page_size=page_size,
            **filters,
        )
        return await self._list_page("list", FilePage, params)

    def iterate(self, **filters: Any) -> AsyncIterator[File]:
        return self._pages("list", File, filters)

    async def get(self, id: str) -> File:
        result: File = await self._call("get", File, ids={"id": id})
        return result

    async def upload(
        self,
        source: FileSource,
        *,
        organization_id: str,
        file_name: str | None = None,
        tags: Sequence[str] | None = None,
        content_type: str | None = None,
        as_base64: bool = False,
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> File:
        """Upload a file (a path, bytes, or a binary file object). Sent as multipart ``file``
        by default; ``as_base64=True`` sends JSON ``file_base64`` + ``file_name`` instead."""
        data, name = await asyncio.to_thread(_read, source, file_name)
        if as_base64:
            body = Body(
                json=body_of(
                    dict(
                        organization_id=organization_id,
                        file_name=name,
                        file_base64=base64.b64encode(data).decode("ascii"),
                        tags=list(tags) if tags is not None else None,
                        **fields,
                    )
                )
            )
        else:
            mime = content_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
            form = {"organization_id": organization_id, "file_name": name}
            if tags is not None:
                form["tags"] = ",".join(tags)
            form.update({k: str(v) for k, v in fields.items() if v is not None})
            body = Body(files={"file": (name, data, mime)}, data=form)
        result: File = await self._call("upload", File, body=body, idempotency_key=idempotency_key)
        return result

    create = upload

    async def update(
        self,
        id: str,
        *,
        image_alt_text: str | None = UNSET,
        caption: str | None = UNSET,
        copyright: str | None = UNSET,
        tags: Sequence[str] | None = UNSET,
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> File:
        body = body_with_unset(
            dict(
                image_alt_text=image_alt_text,
                caption=caption,
                copyright=copyright,
                tags=tags,
                **fields,
            )
        )
        result: File = await self._call(
            "update", File, ids={"id": id}, json_body=body, idempotency_key=idempotency_key
        )
        return result

    async def delete(
        self, id: str, *, force: bool = False, idempotency_key: str | None = None
    ) -> None:
        """409 while the file is in use, unless ``force``."""
        await self._call(
            "delete",
            None,
            ids={"id": id},
            params={"force": force},
            idempotency_key=idempotency_key,
        )

    async def download(self, file: File) -> bytes:
        """The file's content, read from its ``file_url`` (the bearer token goes only to the
        API's own origin, never to another host such as a CDN)."""
        url = file.file_url or ""
        target = httpx.URL(url)
        if target.scheme not in ("http", "https") or not target.host:
            raise ValidationFailed(
                "The file has no download address",
                fields={"file_url": ["The server gave no usable file_url."]},
            )
        base = httpx.URL(self._core.base_url)
        same_origin = (target.scheme, target.host, target.port) == (
            base.scheme,
            base.host,
            base.port,
        )
        op = _DOWNLOAD if same_origin else _DOWNLOAD_ANONYMOUS
        chunks: list[bytes] = []
        size = 0
        async with self._core.stream(op, url) as response:
            try:
                async for chunk in response.aiter_bytes(65536):
                    size += len(chunk)
                    if size > MAX_DOWNLOAD:
                        raise ValidationFailed(
                            "The file is too large to read here",
                            fields={"file": [f"Larger than {MAX_DOWNLOAD // 2**20} MB."]},
                        )
                    chunks.append(chunk)
            except (httpx.HTTPError, OSError) as exc:
                raise NetworkError(
                    f"The download was interrupted ({type(exc).__name__})",
                    method="GET",
                    path=target.path,
                    status=response.status_code,
                ) from None
        return b"".join(chunks)
