"""The edition healthcheck: dates, merchant account, receipt and refund e-mails, languages,
products and fee rule, each ``ok``, ``warning`` or ``error`` with a message."""

from __future__ import annotations

from ..db import Database, Row, loads


def health_checks(db: Database, row: Row) -> list[dict[str, str]]:
    """The checks of the edition ``row``; the edition is healthy when none is an error."""
    checks: list[dict[str, str]] = []

    def check(code: str, level: str, message: str) -> None:
        checks.append({"code": code, "level": level, "message": message})

    start, end = row["start_date"], row["end_date"]
    if not start or not end:
        check("dates", "warning", "The edition has no start or end date yet.")
    elif end < start:
        check("dates", "error", "The end date is before the start date.")
    else:
        check("dates", "ok", "Start and end dates are set.")
    if row["merchant_account_id"]:
        check("merchant_account", "ok", "A merchant account is connected.")
    else:
        check("merchant_account", "error", "No merchant account: payments cannot be taken.")
    if row["transaction_receipt_email_id"]:
        check("receipt_email", "ok", "A transaction receipt email is set.")
    else:
        check("receipt_email", "warning", "No transaction receipt email: buyers get no receipt.")
    if row["refund_confirmation_email_id"]:
        check("refund_email", "ok", "A refund confirmation email is set.")
    else:
        check("refund_email", "warning", "No refund confirmation email is set.")
    if loads(row["enabled_languages"]) and row["default_language"] in loads(
        row["enabled_languages"]
    ):
        check("languages", "ok", "The default language is enabled.")
    else:
        check("languages", "error", "The default language is not among the enabled languages.")
    products = int(
        db.scalar("SELECT COUNT(*) FROM products WHERE edition_id = ?", (row["id"],)) or 0
    )
    if products:
        check("products", "ok", f"{products} products are on sale.")
    else:
        check("products", "warning", "The edition has no products.")
    if row["fee_rule_id"]:
        check("fee_rule", "ok", "A fee rule is set.")
    else:
        check("fee_rule", "warning", "No fee rule: no booking fees are charged.")
    return checks
