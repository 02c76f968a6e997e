"""A data import's row and stages: the stage names, loading an import (with access checks),
its JSON form (:func:`import_out`), moving it to another stage (recorded as a state change)
and refusing an action out of order (409)."""

from __future__ import annotations

from typing import Any

from .. import clock
from ..auth import Principal
from ..db import Database, Row
from ..errors import conflict, not_found

STAGES = (
    "uploaded",
    "needs_column_mapping",
    "needs_product_mapping",
    "importing",
    "completed",
    "failed",
    "cancelled",
)
FINISHED = ("completed", "failed", "cancelled")


# -- serialisation ---------------------------------------------------------------------------------
def import_out(row: Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "stage": row["stage"],
        "name": row["name"],
        "edition_id": row["edition_id"],
        "organization_id": row["organization_id"],
        "service": row["service"],
        "data_file_name": row["data_file_name"],
        "default_country_code": row["default_country_code"],
        "total_rows": row["total_rows"],
        "imported_orders": row["imported_orders"],
        "failed_rows": row["failed_rows"],
        "error_message": row["error_message"],
        "created": row["created"],
        "modified": row["modified"],
    }


LIST_COLUMNS = (
    "t.pk, t.id, t.stage, t.name, t.edition_id, t.organization_id, t.service, t.data_file_name,"
    " t.default_country_code, t.total_rows, t.imported_orders, t.failed_rows, t.error_message,"
    " t.created, t.modified"
)


def load_import(db: Database, principal: Principal, import_id: str) -> Row:
    row = db.one("SELECT * FROM data_imports WHERE id = ?", (import_id,))
    if row is None:
        raise not_found("Data import not found.")
    principal.require_access(row["organization_id"], "Data import not found.")
    return row


def set_stage(db: Database, row: Row, stage: str, actor: str | None, **fields: Any) -> None:
    sets = ["stage = ?", "modified = ?"] + [f"{k} = ?" for k in fields]
    db.execute(
        f"UPDATE data_imports SET {', '.join(sets)} WHERE id = ?",
        (stage, clock.now_iso(), *fields.values(), row["id"]),
    )
    if stage != row["stage"]:
        db.record_state_change("data_import", str(row["id"]), str(row["stage"]), stage, actor)


def need_stage(row: Row, *stages: str, action: str) -> None:
    if row["stage"] not in stages:
        raise conflict(
            f'Cannot {action} a data import in stage "{row["stage"]}"; allowed in '
            + ", ".join(stages)
            + "."
        )
