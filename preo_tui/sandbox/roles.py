"""The sandbox's role matrix [ours]: who may write what (issue 14).

The contract (``preo-api.md``) names three roles (admin, manager, staff) and leaves most of
the write rules to us. The rule in its spirit: *staff prepare, managers commit*. Once a
manager has scheduled a campaign (or it is being calculated or sent), staff can no longer
change what goes out — neither the campaign, nor the text of its email message, nor who its
segment selects. Everything else staff may do in their organization stays open to them.

"Locked" below means: used by a campaign that is ``scheduled``, ``calculating`` or ``sending``.
State rules (409) still apply after the role check: e.g. nobody may edit a ``sending`` campaign.

=================================================  =======  =======  =====
Write operation                                    admin    manager  staff
=================================================  =======  =======  =====
campaign: create (a draft)                         yes      yes      yes
campaign: update / delete, draft (cancelled,       yes      yes      yes
failed: delete)
campaign: update / delete, scheduled or sending    yes*     yes*     403
campaign: schedule, send-now, cancel               yes      yes      403
segment: create; update name/description           yes      yes      yes
segment: change condition, type, channel or        yes      yes      403 when locked
consent; delete
email message: update / delete                     yes      yes      403 when locked
edition: create / update / duplicate               yes      yes      403
consent: create / update / delete                  yes      yes      403
refund request: approve / reject                   yes      yes      403
webhook endpoint: create / update / delete / test  yes      yes      403
data import: mapping, validate, start, cancel      yes      yes      403
=================================================  =======  =======  =====

``*`` then subject to the state rules (409). ``tests/sandbox/test_roles.py`` checks the
matrix row by row.
"""

from __future__ import annotations

from .auth import Principal
from .db import Database, Row
from .errors import forbidden

#: Campaign statuses in which what goes out is committed: staff may not touch it.
LOCKED_CAMPAIGN_STATUSES = ("scheduled", "calculating", "sending")
#: Roles that may change locked campaigns, their segments' audience and their messages.
COMMITTER_ROLES = ("admin", "manager")


def _is_staff(principal: Principal, organization_id: str | None) -> bool:
    role = principal.role_in(organization_id)
    return role is not None and role not in COMMITTER_ROLES


def require_campaign_write(principal: Principal, campaign: Row) -> None:
    """403 for staff on a scheduled, calculating or sending campaign."""
    if campaign["status"] in LOCKED_CAMPAIGN_STATUSES and _is_staff(
        principal, campaign["organization_id"]
    ):
        raise forbidden(
            f"A {campaign['status']} campaign can only be changed by an admin or manager;"
            " you are staff here."
        )


def _locking_campaign(db: Database, column: str, value: str) -> Row | None:
    if not db.scalar("SELECT name FROM sqlite_master WHERE type='table' AND name='campaigns'"):
        return None
    marks = ", ".join("?" for _ in LOCKED_CAMPAIGN_STATUSES)
    return db.one(
        f"SELECT name, status FROM campaigns WHERE {column} = ? AND status IN ({marks}) LIMIT 1",
        (value, *LOCKED_CAMPAIGN_STATUSES),
    )


def require_segment_audience_write(db: Database, principal: Principal, segment: Row) -> None:
    """403 for staff changing who a segment selects (or deleting it) while a scheduled or
    sending campaign uses it."""
    if not _is_staff(principal, segment["organization_id"]):
        return
    campaign = _locking_campaign(db, "segment_id", str(segment["id"]))
    if campaign is not None:
        raise forbidden(
            f"The {campaign['status']} campaign {campaign['name']!r} uses this segment: only"
            " an admin or manager may change who it selects."
        )


def require_message_write(db: Database, principal: Principal, message: Row) -> None:
    """403 for staff changing (or deleting) the email message of a scheduled or sending
    campaign."""
    if not _is_staff(principal, message["organization_id"]):
        return
    campaign = _locking_campaign(db, "email_message_id", str(message["id"]))
    if campaign is not None:
        raise forbidden(
            f"The {campaign['status']} campaign {campaign['name']!r} sends this message: only"
            " an admin or manager may change it."
        )
