"""Create or edit a webhook endpoint (contract §10: name, url, events, edition, is_active,
timeout_seconds).

Checked before sending: a name, a full http(s) URL, at least one event (chosen from the
contract's list, each with its description), a timeout of 1–60 seconds. On edit only the
changed fields are sent. The server's 400 lands under the fields it names.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.widgets import Checkbox, Input, Select, SelectionList
from textual.widgets.selection_list import Selection

from preo_tui.api.webhooks import WebhookEndpoint
from preo_tui.ui.editions.fields import FormModal
from preo_tui.ui.webhooks.common import (
    EVENT_DESCRIPTIONS,
    check_url,
    webhook_write,
    without_secret,
)

ALL_EDITIONS = "__all__"


class WebhookFormModal(FormModal[WebhookEndpoint]):
    """Create (``endpoint=None``) or edit an endpoint; dismisses with the saved endpoint (its
    secret dropped)."""

    FORM_TITLE: ClassVar[str] = "Webhook endpoint"
    FIELD_ALIASES: ClassVar[dict[str, str]] = {"is_active": "active"}

    def __init__(
        self,
        ctx: Any,
        endpoint: WebhookEndpoint | None = None,
        *,
        editions: dict[str, str] | None = None,
    ) -> None:
        self.ctx = ctx
        self.endpoint = endpoint
        self.editions = editions or {}
        title = "New webhook endpoint" if endpoint is None else "Edit webhook endpoint"
        sub = "" if endpoint is None else f"{endpoint.name or endpoint.id} · {endpoint.id}"
        super().__init__(title=title, subtitle=sub)

    def compose_fields(self) -> ComposeResult:
        e = self.endpoint
        yield from self.field_row("name", "Name", Input(e.name or "" if e else "", id="f-name"))
        yield from self.field_row(
            "url",
            "URL",
            Input(
                (e.url or "") if e else "", id="f-url", placeholder="https://example.com/preo-hook"
            ),
        )
        chosen = {str(getattr(v, "value", v)) for v in (e.events or ())} if e else set()
        selections = [
            Selection(f"{name}  {text}", str(name), str(name) in chosen)
            for name, text in EVENT_DESCRIPTIONS.items()
        ]
        # events the server knows but this version does not: kept, shown as-is
        selections += [
            Selection(f"{name}  (not in the contract's list)", name, True)
            for name in sorted(chosen - {str(n) for n in EVENT_DESCRIPTIONS})
        ]
        yield from self.field_row(
            "events", "Events", SelectionList[str](*selections, id="f-events")
        )
        pairs = [("All editions", ALL_EDITIONS)] + [
            (name, eid) for eid, name in self.editions.items()
        ]
        current = (e.edition_id if e else None) or ALL_EDITIONS
        if current not in {v for _, v in pairs}:
            pairs.append((current, current))
        yield from self.field_row(
            "edition_id",
            "Edition",
            Select[str](pairs, id="f-edition_id", value=current, allow_blank=False),
        )
        yield from self.field_row(
            "timeout_seconds",
            "Timeout (s)",
            Input(
                str(int(e.timeout_seconds)) if e and e.timeout_seconds is not None else "10",
                id="f-timeout_seconds",
            ),
        )
        active = True if e is None or e.is_active is None else bool(e.is_active)
        yield from self.field_row(
            "active", "Active", Checkbox("deliver events", active, id="f-active")
        )

    def collect(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        name = self.text("name").strip()
        if not name:
            self.fail("name", "Give the endpoint a name.")
        values["name"] = name
        url = self.text("url").strip()
        problem = check_url(url)
        if problem:
            self.fail("url", problem)
        values["url"] = url
        events = self.choices("events")
        if not events:
            self.fail("events", "Choose at least one event (space toggles).")
        values["events"] = events
        edition = self.choice("edition_id")
        values["edition_id"] = None if edition in (None, ALL_EDITIONS) else edition
        timeout = self.text("timeout_seconds").strip()
        try:
            seconds = int(timeout)
        except ValueError:
            seconds = 0
        if not 1 <= seconds <= 60:
            self.fail("timeout_seconds", "A whole number of seconds from 1 to 60.")
        values["timeout_seconds"] = seconds
        values["is_active"] = self.checked("active")
        return values

    def changes(self, values: dict[str, Any]) -> dict[str, Any]:
        e = self.endpoint
        if e is None:
            return values
        out: dict[str, Any] = {}
        for key, value in values.items():
            old = getattr(e, key, None)
            if key == "events":
                old = [str(getattr(v, "value", v)) for v in old or ()]
                if sorted(old) != sorted(value):
                    out[key] = value
            elif key == "timeout_seconds":
                if old is None or int(old) != value:
                    out[key] = value
            elif value != old:
                out[key] = value
        return out

    async def send(self, values: dict[str, Any]) -> WebhookEndpoint:
        e = self.endpoint
        if e is None:
            org = self.ctx.organization
            org_id = org.id if org else ""

            made: WebhookEndpoint = await webhook_write(
                self.ctx,
                "create",
                f"create webhook endpoint {values['name']}",
                organization_id=org_id,
                **values,
            )
            return without_secret(made)
        changes = self.changes(values)
        if not changes:
            return e
        endpoint_id = e.id

        saved: WebhookEndpoint = await webhook_write(
            self.ctx,
            "update",
            f"edit webhook endpoint {e.name or endpoint_id} ({', '.join(sorted(changes))})",
            id=endpoint_id,
            **changes,
        )
        return without_secret(saved)
