"""Doctor's ``--write`` round trips (never on production): create and delete a draft
segment, a consent and an inactive webhook endpoint whose URL is a TEST-NET-1 address
(RFC 5737, reserved for documentation: nothing answers there, nothing is delivered)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from preo_tui.api.errors import NotFound, PreoError

from .report import Finding

if TYPE_CHECKING:
    from .checks import Doctor

#: A webhook target nothing answers at (TEST-NET-1 is reserved for documentation).
UNROUTABLE_URL = "http://192.0.2.1/preo-doctor"


async def round_trips(doctor: Doctor) -> None:
    """Create and delete a draft segment, a consent and an inactive webhook endpoint."""
    org = doctor.scope.get("organization_id")
    edition = await doctor._scope_value("edition_id")
    if org is None or edition is None:
        doctor.report.general.append(
            Finding("write", "unchecked", "no organization/edition to write in")
        )
        return
    tag = f"preo-doctor {uuid.uuid4().hex[:8]}"
    client = doctor.client

    async def segment() -> str:
        made = await client.segments.create(
            organization_id=org, edition_id=edition, name=tag, condition="false"
        )
        return made.id

    async def consent() -> str:
        made = await client.consents.create(
            organization_id=org, name=tag, channel="email", edition_id=edition
        )
        return made.id

    async def webhook() -> str:
        made = await client.webhooks.create(
            organization_id=org,
            name=tag,
            url=UNROUTABLE_URL,
            events=["order.created"],
            is_active=False,
        )
        return made.id

    trips = (
        ("segments", segment, client.segments.get, client.segments.delete),
        ("consents", consent, client.consents.get, client.consents.delete),
        ("webhooks", webhook, client.webhooks.get, client.webhooks.delete),
    )
    for resource, create, get, delete in trips:
        await _round_trip(doctor, resource, create, get, delete)


async def _round_trip(doctor: Doctor, resource: str, create: Any, get: Any, delete: Any) -> None:
    created = doctor.results[f"{resource}.create"]
    deleted = doctor.results[f"{resource}.delete"]
    try:
        object_id = await create()
    except PreoError as exc:
        doctor._record_error(created, exc)
        return
    created.state = "ok"
    created.add("route", "held", "")
    created.add("decodes", "held", "")
    try:
        await get(object_id)
        await delete(object_id)
    except PreoError as exc:
        doctor._record_error(deleted, exc)
        doctor.report.general.append(
            Finding("write", "failed", f"{resource}: {object_id} was left behind")
        )
        return
    deleted.state = "ok"
    deleted.add("route", "held", "")
    try:
        await get(object_id)
    except NotFound:
        deleted.add("deleted", "held", "")
    except PreoError as exc:
        deleted.add("deleted", "unchecked", exc.message)
    else:
        deleted.add("deleted", "failed", f"{object_id} still answers after its delete")
