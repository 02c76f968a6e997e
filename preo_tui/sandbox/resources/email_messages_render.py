"""Rendering an email message: the template variables (with sample values), their values for
a chosen user, edition and organization, ``{{ placeholder }}`` substitution (unknown ones left
visible) and the preview as subject, HTML and plain text."""

from __future__ import annotations

import html
import re

from ..auth import Principal
from ..db import Database, Row, loads
from ..errors import bad_request

TEMPLATE_VARIABLES: tuple[tuple[str, str, str], ...] = (
    ("user.first_name", "The recipient's first name", "Freja"),
    ("user.last_name", "The recipient's last name", "Nielsen"),
    ("user.email", "The recipient's email address", "freja.nielsen@example.com"),
    ("user.phone", "The recipient's phone number", "+4528123456"),
    ("user.language", "The recipient's language code", "da"),
    ("edition.name", "The edition's name", "Nordlys 2026"),
    ("edition.start_date", "First day of the edition (in its time zone)", "2026-07-02"),
    ("edition.end_date", "Last day of the edition (in its time zone)", "2026-07-05"),
    ("organization.name", "The organizer's name", "Nordlys Festivals ApS"),
    ("order.order_number", "The recipient's latest order number in the edition", "NL-100234"),
    ("order.amount", "That order's amount with currency", "1,650.00 DKK"),
    ("user_portal_url", "Link to the recipient's ticket portal", "https://my.preo.dev/p/abc123"),
    ("unsubscribe_url", "Link to unsubscribe from marketing", "https://my.preo.dev/u/abc123"),
)

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*\}\}")

FOOTER = {
    "en": "You receive this email because you bought a ticket.",
    "da": "Du modtager denne e-mail, fordi du har købt en billet.",
    "se": "Du får detta mejl eftersom du har köpt en biljett.",
    "nl": "Je ontvangt deze e-mail omdat je een ticket hebt gekocht.",
    "pl": "Otrzymujesz tę wiadomość, ponieważ kupiłeś bilet.",
}


# -- rendering ------------------------------------------------------------------------------------
def render(text: str, values: dict[str, str], *, escape: bool) -> str:
    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        if name in values:
            value = values[name]
            return html.escape(value) if escape else value
        return html.escape(m.group(0)) if escape else m.group(0)

    if escape:
        # escape the literal text but keep placeholders recognisable
        parts = []
        last = 0
        for m in _PLACEHOLDER.finditer(text):
            parts.append(html.escape(text[last : m.start()]))
            parts.append(sub(m))
            last = m.end()
        parts.append(html.escape(text[last:]))
        return "".join(parts)
    return _PLACEHOLDER.sub(sub, text)


def _sample_values() -> dict[str, str]:
    return {name: example for name, _desc, example in TEMPLATE_VARIABLES}


def _values_for(
    db: Database, message: Row, principal: Principal, user_id: str | None
) -> tuple[dict[str, str], str | None]:
    values = _sample_values()
    language: str | None = None
    edition = None
    if message["edition_id"]:
        edition = db.one("SELECT * FROM editions WHERE id = ?", (message["edition_id"],))
    if edition is not None:
        values["edition.name"] = str(edition["name"])
        values["edition.start_date"] = str(edition["start_date"] or "")[:10]
        values["edition.end_date"] = str(edition["end_date"] or "")[:10]
    org_id = message["organization_id"]
    if org_id:
        org = db.one("SELECT name, currency FROM organizations WHERE id = ?", (org_id,))
        if org is not None:
            values["organization.name"] = str(org["name"])
    if user_id is None:
        return values, language
    user = db.one("SELECT * FROM users WHERE id = ?", (user_id,))
    if user is None:
        raise bad_request("user_id", "Unknown user.")
    if principal.role_in(user["organization_id"]) is None:
        raise bad_request("user_id", "Unknown user.")
    for name in ("first_name", "last_name", "email", "phone", "language"):
        values[f"user.{name}"] = str(user[name] or "")
    language = str(user["language"]) if user["language"] else None
    token = str(user["id"]).split("_", 1)[-1][:8]
    values["user_portal_url"] = f"https://my.preo.dev/p/{token}"
    values["unsubscribe_url"] = f"https://my.preo.dev/u/{token}"
    if edition is not None:
        order = db.one(
            "SELECT order_number, amount, currency FROM orders WHERE edition_id = ?"
            " AND customer_id = ? ORDER BY created DESC LIMIT 1",
            (edition["id"], user_id),
        )
        if order is not None:
            values["order.order_number"] = str(order["order_number"])
            values["order.amount"] = f"{float(order['amount']):,.2f} {order['currency']}"
    return values, language


def render_preview(message: Row, values: dict[str, str], language: str) -> dict[str, str]:
    blocks = loads(message["blocks"]) or []
    subject = render(str(message["subject"]), values, escape=False)
    html_parts = [
        f'<!DOCTYPE html><html lang="{html.escape(language)}"><head><meta charset="utf-8">'
        f"<title>{html.escape(subject)}</title></head>"
        f'<body class="template-{html.escape(str(message["template"]))}">'
    ]
    text_parts: list[str] = []
    for block in blocks:
        kind = block.get("type")
        text = str(block.get("text") or "")
        url = str(block.get("url") or "")
        if kind == "heading":
            html_parts.append(f"<h1>{render(text, values, escape=True)}</h1>")
            text_parts.append(render(text, values, escape=False))
        elif kind == "text":
            html_parts.append(f"<p>{render(text, values, escape=True)}</p>")
            text_parts.append(render(text, values, escape=False))
        elif kind == "button":
            href = render(url, values, escape=True)
            html_parts.append(
                f'<p><a class="button" href="{href}">{render(text, values, escape=True)}</a></p>'
            )
            text_parts.append(
                f"{render(text, values, escape=False)}: {render(url, values, escape=False)}"
            )
        elif kind == "image":
            src = render(url, values, escape=True)
            html_parts.append(f'<img src="{src}" alt="{render(text, values, escape=True)}">')
            if text:
                text_parts.append(f"[{render(text, values, escape=False)}]")
        elif kind == "divider":
            html_parts.append("<hr>")
            text_parts.append("-" * 40)
    footer = FOOTER.get(language, FOOTER["en"])
    html_parts.append(f'<p class="footer">{html.escape(footer)}</p></body></html>')
    text_parts.append(footer)
    return {"subject": subject, "html": "".join(html_parts), "text": "\n\n".join(text_parts)}
