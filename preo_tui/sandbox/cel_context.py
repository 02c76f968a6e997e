"""The CEL context of an edition: the contract's variables with the edition's dynamic values
(products, consents, statuses, languages), shared by the check, the editor's context endpoint
and the evaluation (:mod:`preo_tui.sandbox.audience`)."""

from __future__ import annotations

from ..cel import (
    CONTRACT_FUNCTIONS,
    CONTRACT_VARIABLES,
    CelContext,
    Choice,
    DynamicValues,
)
from .db import Database, Row

ORDER_STATUSES = ("pending", "confirmed", "completed", "cancelled")
ORDER_TYPES = ("online", "in-person", "imported")
PURCHASE_STATUSES = ("active", "partially_refunded", "refunded", "cancelled")
LANGUAGES = ("en", "da", "se", "nl", "pl")


def dynamic_values(db: Database, edition: Row) -> DynamicValues:
    products = tuple(
        Choice(str(r["id"]), str(r["name"]))
        for r in db.query(
            "SELECT id, name FROM products WHERE edition_id = ? ORDER BY pk", (edition["id"],)
        )
    )
    consents = tuple(
        Choice(str(r["id"]), str(r["name"]))
        for r in db.query(
            "SELECT id, name FROM consents WHERE organization_id = ? AND is_active = 1"
            " AND (edition_id IS NULL OR edition_id = ?) ORDER BY pk",
            (edition["organization_id"], edition["id"]),
        )
    )
    return DynamicValues(
        products=products,
        order_statuses=ORDER_STATUSES,
        order_types=ORDER_TYPES,
        purchase_statuses=PURCHASE_STATUSES,
        languages=LANGUAGES,
        consents=consents,
    )


def edition_context(db: Database, edition: Row) -> CelContext:
    """The contract's CEL context with this edition's dynamic values."""
    return CelContext.from_schema(
        CONTRACT_VARIABLES, CONTRACT_FUNCTIONS, dynamic_values(db, edition)
    )


BARE_CONTEXT = CelContext.from_schema(CONTRACT_VARIABLES, CONTRACT_FUNCTIONS)
