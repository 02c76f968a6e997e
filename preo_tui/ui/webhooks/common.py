"""Shared by the webhook screens: the contract's events with descriptions, the URL check, the
one write function of the feature, and the secret-free copy of an endpoint.

The endpoint object carries its HMAC ``secret`` [doc]. The app never keeps it: every endpoint
the screens hold goes through :func:`without_secret`, the list is read straight from the client
(never through the store's on-disk cache), and the only time a secret reaches the screen is the
one-time dialog after ``R`` (rotate).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from preo_tui.api.webhooks import WebhookEndpoint, WebhookEvent
from preo_tui.ui.writes import perform_operation

if TYPE_CHECKING:
    from textual.dom import DOMNode

    from preo_tui.ui.context import AppContext

#: Every event of the contract (§10), with what it means for a receiver.
EVENT_DESCRIPTIONS: dict[str, str] = {
    WebhookEvent.ORDER_CREATED: "an order was placed",
    WebhookEvent.ORDER_UPDATED: "an order changed (items, customer, status)",
    WebhookEvent.ORDER_CANCELLED: "an order was cancelled",
    WebhookEvent.REFUND_REQUEST_CREATED: "a refund request was filed",
    WebhookEvent.REFUND_REQUEST_APPROVED: "a refund request was approved",
    WebhookEvent.REFUND_REQUEST_REJECTED: "a refund request was rejected",
    WebhookEvent.REFUND_REQUEST_PROCESSED: "an approved refund was paid out",
    WebhookEvent.REFUND_REQUEST_FAILED: "an approved refund could not be paid out",
    WebhookEvent.CAMPAIGN_SENT: "a campaign finished sending",
    WebhookEvent.CAMPAIGN_FAILED: "a campaign failed to send",
    WebhookEvent.SEGMENT_CALCULATED: "a segment's membership was recalculated",
    WebhookEvent.DATA_IMPORT_COMPLETED: "a data import finished",
    WebhookEvent.DATA_IMPORT_FAILED: "a data import failed",
}

#: How a receiver checks the ``Preo-Signature`` header (contract §10), shown in the delivery
#: detail.
SIGNATURE_HELP = (
    "Each request carries the header\n"
    "  Preo-Signature: t=<unix seconds>,v1=<hex>\n"
    'where v1 = hex(HMAC-SHA256(secret, "<t>.<raw body>")).\n\n'
    "To verify: split the header on ',' and '='; compute the HMAC-SHA256 of t, a dot and "
    "the raw request body (the bytes as received, before any JSON parsing) with the "
    "endpoint's secret; compare it to v1 in constant time (hmac.compare_digest); reject a t "
    "older than 5 minutes. After R (rotate) only the new secret verifies."
)


def check_url(text: str) -> str | None:
    """An error message for a URL the server would refuse, else None (http(s) with a host)."""
    value = text.strip()
    if not value:
        return "Enter the endpoint's URL."
    if any(ch.isspace() for ch in value):
        return "A URL has no spaces."
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "Enter a full http:// or https:// URL (e.g. https://example.com/preo-hook)."
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        return "The port is not a number between 1 and 65535."
    return None


def without_secret(endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """The endpoint with its secret dropped (the app never keeps one)."""
    if endpoint.secret is None:
        return endpoint
    return endpoint.model_copy(update={"secret": None})


def events_text(events: Sequence[Any] | None, *, limit: int | None = None) -> str:
    names = [str(getattr(e, "value", e)) for e in events or ()]
    if not names:
        return "—"
    if limit is not None and len(names) > limit:
        return ", ".join(names[:limit]) + f" +{len(names) - limit}"
    return ", ".join(names)


async def webhook_write(
    ctx: AppContext, operation: str, summary: str, node: DOMNode | None = None, **args: Any
) -> Any:
    """The feature's one write path: ``webhooks.<operation>`` as a durable action (journalled
    before sending, resolved by re-reading when its answer is lost). The summary and the
    journalled arguments never hold a secret; endpoints are not kept in the cache."""
    return await perform_operation(ctx, f"webhooks.{operation}", summary, node, **args)
