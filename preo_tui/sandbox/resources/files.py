"""Files (contract §10): list (with ``available_tags``), upload (multipart or base64 JSON),
get, update, delete (409 while in use unless ``force=true``).

``file_url`` points at the sandbox's own download path ``/_sandbox/files/{api_id}/{name}``
(absolute, built from the request). ``usages`` come from editions (``meta_image_id``) and the
``file_usages`` table (other modules may insert ``(file_id, model, object_id)`` rows).
"""

from __future__ import annotations

import base64
import binascii
import json
import mimetypes
import re
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.datastructures import UploadFile

from .. import clock, schemas
from ..auth import AdminDep, Principal, PrincipalDep
from ..db import Database, Row, dumps, loads, new_id
from ..errors import ApiError, FieldErrors, bad_request, conflict, not_found, validation_body
from ..paging import PagingDep, Where, csv_values, like_pattern, order_by, paginate, parse_bool
from ..seeding import SeedContext
from ..state import StateDep

SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    pk INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    organization_id TEXT NOT NULL,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    content BLOB NOT NULL,
    image_alt_text TEXT NOT NULL DEFAULT '',
    caption TEXT NOT NULL DEFAULT '',
    copyright TEXT NOT NULL DEFAULT '',
    tags TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS files_org_created ON files (organization_id, created_at);
CREATE TABLE IF NOT EXISTS file_usages (
    file_id TEXT NOT NULL,
    model TEXT NOT NULL,
    object_id TEXT NOT NULL,
    PRIMARY KEY (file_id, model, object_id)
) WITHOUT ROWID;
"""

MAX_SIZE = 10 * 1024 * 1024
router = APIRouter(tags=["files"])

# A 1x1 transparent PNG, the content of seeded images.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)


def usages(db: Database, file_id: str) -> list[dict[str, str]]:
    out = [
        {"model": "edition", "id": str(r["id"])}
        for r in db.query("SELECT id FROM editions WHERE meta_image_id = ? ORDER BY pk", (file_id,))
    ]
    out += [
        {"model": str(r["model"]), "id": str(r["object_id"])}
        for r in db.query(
            "SELECT model, object_id FROM file_usages WHERE file_id = ? ORDER BY model, object_id",
            (file_id,),
        )
    ]
    return out


def file_out(row: Row, db: Database, base_url: str) -> dict[str, Any]:
    return {
        "api_id": row["id"],
        "file_name": row["file_name"],
        "organization_id": row["organization_id"],
        "file_url": f"{base_url.rstrip('/')}/_sandbox/files/{row['id']}/{row['file_name']}",
        "content_type": row["content_type"],
        "size": row["size"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "usages": usages(db, str(row["id"])),
        "image_alt_text": row["image_alt_text"],
        "caption": row["caption"],
        "copyright": row["copyright"],
        "tags": loads(row["tags"]),
    }


def load_file(db: Database, principal: Principal, file_id: str) -> Row:
    row = db.one("SELECT * FROM files WHERE id = ?", (file_id,))
    if row is None:
        raise not_found("File not found.")
    principal.require_access(row["organization_id"], "File not found.")
    return row


def clean_tags(value: Any, errors: FieldErrors) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        items = [v.strip() for v in value.split(",")]
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        items = [v.strip() for v in value]
    else:
        errors.add("tags", "Expected a list of strings or a comma-separated string.")
        return []
    tags = [t for t in dict.fromkeys(items) if t]
    if any(len(t) > 50 for t in tags):
        errors.add("tags", "Tags may have at most 50 characters.")
    return tags


@router.get("/v1/files", response_model=schemas.FilePage, summary="List files")
async def list_files(
    request: Request,
    state: StateDep,
    principal: PrincipalDep,
    paging: PagingDep,
    organization_id: str | None = None,
    file_name: str | None = Query(None, description="contains, case-insensitive"),
    tags: str | None = Query(None, description="comma-separated; files with any of them"),
    ordering: str | None = Query(
        None, description="created_at, updated_at, file_name (- for descending)"
    ),
) -> JSONResponse:
    db = state.db
    where = Where()
    orgs = principal.org_ids
    if organization_id is not None:
        orgs = [organization_id] if principal.role_in(organization_id) else []
    where.add_in("t.organization_id", orgs)
    scope = Where(list(where.clauses), list(where.params))
    if file_name:
        where.add("t.file_name LIKE ? ESCAPE '\\'", like_pattern(file_name))
    wanted = csv_values(tags)
    if wanted:
        where.add(
            f"EXISTS (SELECT 1 FROM json_each(t.tags) j WHERE j.value IN ({', '.join('?' for _ in wanted)}))",
            *wanted,
        )
    order = order_by(
        ordering,
        {"created_at": "t.created_at", "updated_at": "t.updated_at", "file_name": "t.file_name"},
        "-created_at",
    )
    available = [
        str(r[0])
        for r in db.query(
            f"SELECT DISTINCT j.value FROM files t, json_each(t.tags) j WHERE {scope.sql()}"
            " ORDER BY j.value",
            scope.params,
        )
    ]
    base = str(request.base_url)
    return JSONResponse(
        paginate(
            request,
            db,
            table="files",
            where=where,
            order=order,
            paging=paging,
            serialize=lambda r: file_out(r, db, base),
            columns="t.pk, t.id, t.organization_id, t.file_name, t.content_type, t.size,"
            " t.image_alt_text, t.caption, t.copyright, t.tags, t.created_at, t.updated_at",
            extra={"available_tags": available},
        )
    )


class FileJson(BaseModel):
    model_config = ConfigDict(extra="ignore")
    organization_id: str
    file_base64: str
    file_name: str = Field(min_length=1, max_length=255)
    tags: list[str] | str | None = None
    image_alt_text: str = Field("", max_length=500)
    caption: str = Field("", max_length=1000)
    copyright: str = Field("", max_length=500)


UPLOAD_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file", "organization_id"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "organization_id": {"type": "string"},
                        "file_name": {"type": "string"},
                        "tags": {"type": "string", "description": "comma-separated"},
                        "image_alt_text": {"type": "string"},
                        "caption": {"type": "string"},
                        "copyright": {"type": "string"},
                    },
                }
            },
            "application/json": {"schema": FileJson.model_json_schema()},
        },
    }
}


@router.post(
    "/v1/files",
    response_model=schemas.File,
    status_code=201,
    summary="Upload file",
    openapi_extra=UPLOAD_DOC,
)
async def upload_file(request: Request, state: StateDep, principal: PrincipalDep) -> JSONResponse:
    db = state.db
    errors = FieldErrors()
    ctype = request.headers.get("content-type", "")
    data: bytes = b""
    meta: dict[str, Any] = {}
    if ctype.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        try:
            form = await request.form(max_files=1, max_fields=20)
        except Exception:
            raise bad_request(None, "Malformed multipart body.") from None
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            errors.add("file", "No file was submitted.")
        else:
            data = await upload.read()
            meta["file_name"] = form.get("file_name") or upload.filename or "upload.bin"
        for key in ("organization_id", "tags", "image_alt_text", "caption", "copyright"):
            value = form.get(key)
            if isinstance(value, str):
                meta[key] = value
        if not meta.get("organization_id"):
            errors.add("organization_id", "This field is required.")
    else:
        try:
            raw = json.loads(await request.body() or b"null")
        except ValueError as exc:
            raise bad_request(None, f"JSON parse error - {exc}.") from None
        if not isinstance(raw, dict):
            raise bad_request(None, "Invalid data. Expected a JSON object or multipart form.")
        try:
            body = FileJson.model_validate(raw)
        except ValidationError as exc:
            raise ApiError(400, fields=validation_body(exc.errors())) from None
        try:
            data = base64.b64decode(body.file_base64, validate=True)
        except (binascii.Error, ValueError):
            errors.add("file_base64", "Not valid base64.")
        meta = body.model_dump(exclude={"file_base64"})
    errors.raise_if_any()
    org = str(meta["organization_id"])
    principal.require_member(org)
    if not data:
        errors.add("file", "The submitted file is empty.")
    if len(data) > MAX_SIZE:
        errors.add("file", f"The file is larger than {MAX_SIZE // (1024 * 1024)} MB.")
    name = str(meta.get("file_name") or "upload.bin").replace("/", "_").strip() or "upload.bin"
    tags = clean_tags(meta.get("tags"), errors)
    errors.raise_if_any()
    fid = new_id("fil")
    now = clock.now_iso()
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    with db.transaction():
        db.execute(
            "INSERT INTO files (id, organization_id, file_name, content_type, size, content,"
            " image_alt_text, caption, copyright, tags, created_at, updated_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                fid,
                org,
                name,
                content_type,
                len(data),
                data,
                str(meta.get("image_alt_text") or ""),
                str(meta.get("caption") or ""),
                str(meta.get("copyright") or ""),
                dumps(tags),
                now,
                now,
            ),
        )
    row = load_file(db, principal, fid)
    return JSONResponse(file_out(row, db, str(request.base_url)), status_code=201)


@router.get("/v1/files/{id}", response_model=schemas.File, summary="Get file details")
async def get_file(
    id: str, request: Request, state: StateDep, principal: PrincipalDep
) -> JSONResponse:
    return JSONResponse(
        file_out(load_file(state.db, principal, id), state.db, str(request.base_url))
    )


class FileUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore")
    image_alt_text: str | None = Field(None, max_length=500)
    caption: str | None = Field(None, max_length=1000)
    copyright: str | None = Field(None, max_length=500)
    tags: list[str] | None = None


@router.patch("/v1/files/{id}", response_model=schemas.File, summary="Update file metadata")
async def update_file(
    id: str, body: FileUpdate, request: Request, state: StateDep, principal: PrincipalDep
) -> JSONResponse:
    db = state.db
    load_file(db, principal, id)
    changes = body.model_dump(exclude_unset=True)
    errors = FieldErrors()
    if "tags" in changes:
        changes["tags"] = dumps(clean_tags(changes["tags"], errors))
    for key in ("image_alt_text", "caption", "copyright"):
        if key in changes and changes[key] is None:
            changes[key] = ""
    errors.raise_if_any()
    if changes:
        sets = ", ".join(f"{k} = ?" for k in changes)
        with db.transaction():
            db.execute(
                f"UPDATE files SET {sets}, updated_at = ? WHERE id = ?",
                (*changes.values(), clock.now_iso(), id),
            )
    return JSONResponse(file_out(load_file(db, principal, id), db, str(request.base_url)))


@router.delete("/v1/files/{id}", status_code=204, summary="Delete file")
async def delete_file(
    id: str,
    state: StateDep,
    principal: PrincipalDep,
    force: str | None = Query(None, description="true deletes a file that is in use"),
) -> Response:
    db = state.db
    load_file(db, principal, id)
    used = usages(db, id)
    if used and not parse_bool("force", force):
        where = ", ".join(f"{u['model']} {u['id']}" for u in used[:5])
        raise conflict(f"The file is in use ({where}); pass force=true to delete it anyway.")
    with db.transaction():
        db.execute("UPDATE editions SET meta_image_id = NULL WHERE meta_image_id = ?", (id,))
        db.execute("DELETE FROM file_usages WHERE file_id = ?", (id,))
        db.execute("DELETE FROM files WHERE id = ?", (id,))
    return Response(status_code=204)


@router.get("/_sandbox/files/{id}/{name}", include_in_schema=False)
async def download(id: str, name: str, state: StateDep, admin: AdminDep) -> Response:
    """Sandbox-only download (issue 14): the admin token is required, and the file is always
    an attachment that the browser must not sniff — an uploaded ``.html`` never renders as a
    page from the API's origin."""
    row = state.db.one("SELECT content, content_type, file_name FROM files WHERE id = ?", (id,))
    if row is None:
        raise not_found("File not found.")
    safe_name = re.sub(r"[^A-Za-z0-9_.-]+", "_", str(row["file_name"])).strip("._") or id
    return Response(
        bytes(row["content"]),
        media_type=str(row["content_type"]),
        headers={
            "Content-Disposition": f'attachment; filename="{safe_name}"',
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox; default-src 'none'",
        },
    )


# -- seed ------------------------------------------------------------------------------------------
SEED_FILES = [
    ("nordlys-2026-hero.png", ["hero", "2026"], "Crowd at the main stage at sunset"),
    ("nordlys-logo.png", ["logo", "brand"], "Nordlys Festival logo"),
    ("site-map-2026.pdf", ["map", "2026"], ""),
    ("camping-rules.pdf", ["camping", "info"], ""),
    ("lineup-poster.png", ["lineup", "poster", "2026"], "Line-up poster"),
    ("newsletter-header.png", ["email", "header"], "Newsletter header"),
    ("sponsor-wall.png", ["sponsors"], "Our sponsors"),
    ("accessibility-guide.pdf", ["info", "accessibility"], ""),
]


def seed(ctx: SeedContext) -> None:
    rng = ctx.rng("files")
    db = ctx.db
    org_main, org_second = ctx.shared["organizations"]
    rows = []
    first_image = None
    for n in range(ctx.scale.files):
        name, tags, alt = SEED_FILES[n % len(SEED_FILES)]
        if n >= len(SEED_FILES):
            stem, ext = name.rsplit(".", 1)
            name = f"{stem}-{n // len(SEED_FILES) + 1}.{ext}"
        fid = ctx.new_id("fil", rng)
        org = org_main if n % 6 else org_second
        content = PNG if name.endswith(".png") else b"%PDF-1.4\n% sandbox sample\n"
        created = ctx.ts(timedelta(days=-rng.uniform(1, 300)))
        ctype = mimetypes.guess_type(name)[0] or "application/octet-stream"
        rows.append(
            (
                fid,
                org,
                name,
                ctype,
                len(content),
                content,
                alt,
                "",
                "© Nordlys Festivals" if alt else "",
                dumps(tags),
                created,
                created,
            )
        )
        if first_image is None and org == org_main and name.endswith(".png"):
            first_image = fid
    db.executemany(
        "INSERT INTO files (id, organization_id, file_name, content_type, size, content,"
        " image_alt_text, caption, copyright, tags, created_at, updated_at)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        rows,
    )
    if first_image:
        db.execute(
            "UPDATE editions SET meta_image_id = ? WHERE id = ?",
            (first_image, ctx.shared["editions"]["current"]),
        )
    ctx.shared["files"] = [r[0] for r in rows]
