"""Seed fix-ups that run after every resource module has seeded (kept apart from the modules'
bulk seeding, which is tuned for speed):

- ``settle_timestamps``: record times are never in the future and ``modified >= created``
  (an order created at 23:50 was "modified" up to ten hours later: in the future);
- ``add_long_names``: a few rows with long real-world names (campaigns, email messages,
  segments, customers), so the lists are seen with what operators really type. The demo and
  large seeds get them; tests seed "tiny" and call it themselves where they want them.
"""

from __future__ import annotations

from .db import Database

#: Long names as operators write them; the end often distinguishes ("(DA)" vs "(SE)").
LONG_CAMPAIGNS = (
    "Festival guide: camping, shuttle buses and the wristband exchange (DA)",
    "Festival guide: camping, shuttle buses and the wristband exchange (SE)",
)
LONG_EMAIL_TITLE = "Practical information before the festival: arrival, camping and tickets (EN)"
LONG_SEGMENT = "Danish speakers with a camping ticket who have not opened last week's guide"
LONG_CUSTOMERS = (
    ("Maria Fernanda", "Rodríguez García de la Fuente", "maria.fernanda.rodriguez.garcia"),
    ("Anne-Sophie", "Kristiansen-Bjørnholt", "anne-sophie.kristiansen-bjornholt"),
)


def _columns(db: Database, table: str) -> list[str]:
    return [str(r[1]) for r in db.query(f'PRAGMA table_info("{table}")')]


def settle_timestamps(db: Database, now_iso: str) -> None:
    """No ``created``/``modified`` after ``now_iso``; ``modified`` never before ``created``
    (ISO strings of fixed width: they compare as times)."""
    tables = [
        str(r[0])
        for r in db.query("SELECT name FROM sqlite_master WHERE type = 'table'")
        if not str(r[0]).startswith("sqlite_")
    ]
    for table in tables:
        columns = _columns(db, table)
        if "created" not in columns or "modified" not in columns:
            continue
        db.execute(f'UPDATE "{table}" SET created = ? WHERE created > ?', (now_iso, now_iso))
        db.execute(
            f'UPDATE "{table}" SET modified = MIN(MAX(modified, created), ?)'
            " WHERE modified > ? OR modified < created",
            (now_iso, now_iso),
        )


def _copy_row(db: Database, table: str, source_id: str, new_id: str, **changes: str) -> None:
    columns = [c for c in _columns(db, table) if c != "pk"]
    chosen = ", ".join("?" if c in changes or c == "id" else f'"{c}"' for c in columns)
    params = [new_id if c == "id" else changes[c] for c in columns if c in changes or c == "id"]
    db.execute(
        f'INSERT INTO "{table}" ({", ".join(chr(34) + c + chr(34) for c in columns)})'
        f' SELECT {chosen} FROM "{table}" WHERE id = ?',
        (*params, source_id),
    )


def add_long_names(db: Database) -> None:
    """Copy a draft campaign, an email message and a draft segment under long names, and give
    two customers long names and e-mail addresses. Idempotent (ids are fixed)."""
    if db.scalar("SELECT 1 FROM campaigns WHERE id = 'cmp_long_names_1'"):
        return
    draft = db.one("SELECT id FROM campaigns WHERE status = 'draft' ORDER BY pk LIMIT 1")
    if draft is not None:
        for number, name in enumerate(LONG_CAMPAIGNS, 1):
            _copy_row(db, "campaigns", str(draft["id"]), f"cmp_long_names_{number}", name=name)
    message = db.one(
        "SELECT id FROM email_messages WHERE scope = 'edition' AND type = 'campaign'"
        " ORDER BY pk LIMIT 1"
    )
    if message is not None:
        _copy_row(
            db, "email_messages", str(message["id"]), "eml_long_names", title=LONG_EMAIL_TITLE
        )
    segment = db.one("SELECT id FROM segments WHERE status = 'draft' ORDER BY pk LIMIT 1")
    if segment is not None:
        _copy_row(db, "segments", str(segment["id"]), "seg_long_names", name=LONG_SEGMENT)
    users = db.query(
        "SELECT id, email, phone FROM users ORDER BY pk LIMIT ?", (len(LONG_CUSTOMERS),)
    )
    for row, (first, last, local) in zip(users, LONG_CUSTOMERS, strict=False):
        email = f"{local}@example-festival-mail.com"
        search = f"{email} {row['phone'] or ''} {first} {last}".lower()
        db.execute(
            "UPDATE users SET first_name = ?, last_name = ?, email = ?, search = ? WHERE id = ?",
            (first, last, email, search, row["id"]),
        )


__all__ = ["add_long_names", "settle_timestamps"]
