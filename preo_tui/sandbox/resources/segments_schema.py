"""The segments' tables, and the triggers that tell the evaluation cache what changed.

``segments`` and ``segment_members`` hold the segments and the members of their last
calculation; ``segment_data`` (a write counter) and ``segment_dirty`` (the user each write
concerns) are kept by triggers on ``users``, ``orders``, ``purchases`` and ``user_consents``:
the evaluation data of an edition (:mod:`preo_tui.sandbox.audience_data`) is cached under the
counter and patched with just the users written since.
"""

from __future__ import annotations

SCHEMA = """
CREATE TABLE IF NOT EXISTS segments (
    pk INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    organization_id TEXT NOT NULL,
    edition_id TEXT NOT NULL,
    consent_id TEXT,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    communication_type TEXT NOT NULL,
    communication_channel TEXT NOT NULL,
    condition TEXT NOT NULL,
    status TEXT NOT NULL,
    user_count INTEGER,
    last_calculated TEXT,
    error_message TEXT,
    generation INTEGER NOT NULL DEFAULT 0,
    created TEXT NOT NULL,
    modified TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS segments_org_created ON segments (organization_id, created);
CREATE INDEX IF NOT EXISTS segments_edition_created ON segments (edition_id, created);
CREATE INDEX IF NOT EXISTS segments_status ON segments (status);
CREATE INDEX IF NOT EXISTS segments_consent ON segments (consent_id);
-- a counter of writes to the data a condition reads: the key of the evaluation cache
-- (see audience_data.fingerprint). Every insert, update or delete of a user, order, purchase
-- or consent grant bumps it, whichever module or connection writes, and logs the user it
-- concerns in segment_dirty (with the new count), so a cache can re-read just those users;
-- triggers come after the seed.
CREATE TABLE IF NOT EXISTS segment_data (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT OR IGNORE INTO segment_data (id, version) VALUES (1, 0);
CREATE TABLE IF NOT EXISTS segment_dirty (
    version INTEGER NOT NULL,
    user_id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS segment_dirty_version ON segment_dirty (version);
CREATE TRIGGER IF NOT EXISTS segment_data_users_insert AFTER INSERT ON users BEGIN
    UPDATE segment_data SET version = version + 1;
    INSERT INTO segment_dirty (version, user_id)
    SELECT (SELECT version FROM segment_data WHERE id = 1), new.id;
END;
CREATE TRIGGER IF NOT EXISTS segment_data_users_update AFTER UPDATE ON users BEGIN
    UPDATE segment_data SET version = version + 1;
    INSERT INTO segment_dirty (version, user_id)
    SELECT (SELECT version FROM segment_data WHERE id = 1), old.id;
    INSERT INTO segment_dirty (version, user_id)
    SELECT (SELECT version FROM segment_data WHERE id = 1), new.id;
END;
CREATE TRIGGER IF NOT EXISTS segment_data_users_delete AFTER DELETE ON users BEGIN
    UPDATE segment_data SET version = version + 1;
    INSERT INTO segment_dirty (version, user_id)
    SELECT (SELECT version FROM segment_data WHERE id = 1), old.id;
END;
CREATE TRIGGER IF NOT EXISTS segment_data_orders_insert AFTER INSERT ON orders BEGIN
    UPDATE segment_data SET version = version + 1;
    INSERT INTO segment_dirty (version, user_id)
    SELECT (SELECT version FROM segment_data WHERE id = 1), new.customer_id;
END;
CREATE TRIGGER IF NOT EXISTS segment_data_orders_update AFTER UPDATE ON orders BEGIN
    UPDATE segment_data SET version = version + 1;
    INSERT INTO segment_dirty (version, user_id)
    SELECT (SELECT version FROM segment_data WHERE id = 1), old.customer_id;
    INSERT INTO segment_dirty (version, user_id)
    SELECT (SELECT version FROM segment_data WHERE id = 1), new.customer_id;
END;
CREATE TRIGGER IF NOT EXISTS segment_data_orders_delete AFTER DELETE ON orders BEGIN
    UPDATE segment_data SET version = version + 1;
    INSERT INTO segment_dirty (version, user_id)
    SELECT (SELECT version FROM segment_data WHERE id = 1), old.customer_id;
END;
CREATE TRIGGER IF NOT EXISTS segment_data_purchases_insert AFTER INSERT ON purchases BEGIN
    UPDATE segment_data SET version = version + 1;
    INSERT INTO segment_dirty (version, user_id)
    SELECT (SELECT version FROM segment_data WHERE id = 1), customer_id FROM orders
    WHERE id = new.order_id;
END;
CREATE TRIGGER IF NOT EXISTS segment_data_purchases_update AFTER UPDATE ON purchases BEGIN
    UPDATE segment_data SET version = version + 1;
    INSERT INTO segment_dirty (version, user_id)
    SELECT (SELECT version FROM segment_data WHERE id = 1), customer_id FROM orders
    WHERE id = old.order_id;
    INSERT INTO segment_dirty (version, user_id)
    SELECT (SELECT version FROM segment_data WHERE id = 1), customer_id FROM orders
    WHERE id = new.order_id;
END;
CREATE TRIGGER IF NOT EXISTS segment_data_purchases_delete AFTER DELETE ON purchases BEGIN
    UPDATE segment_data SET version = version + 1;
    INSERT INTO segment_dirty (version, user_id)
    SELECT (SELECT version FROM segment_data WHERE id = 1), customer_id FROM orders
    WHERE id = old.order_id;
END;
CREATE TRIGGER IF NOT EXISTS segment_data_user_consents_insert AFTER INSERT ON user_consents BEGIN
    UPDATE segment_data SET version = version + 1;
    INSERT INTO segment_dirty (version, user_id)
    SELECT (SELECT version FROM segment_data WHERE id = 1), new.user_id;
END;
CREATE TRIGGER IF NOT EXISTS segment_data_user_consents_update AFTER UPDATE ON user_consents BEGIN
    UPDATE segment_data SET version = version + 1;
    INSERT INTO segment_dirty (version, user_id)
    SELECT (SELECT version FROM segment_data WHERE id = 1), old.user_id;
    INSERT INTO segment_dirty (version, user_id)
    SELECT (SELECT version FROM segment_data WHERE id = 1), new.user_id;
END;
CREATE TRIGGER IF NOT EXISTS segment_data_user_consents_delete AFTER DELETE ON user_consents BEGIN
    UPDATE segment_data SET version = version + 1;
    INSERT INTO segment_dirty (version, user_id)
    SELECT (SELECT version FROM segment_data WHERE id = 1), old.user_id;
END;
-- the members found by the last completed calculation (what export-csv returns)
CREATE TABLE IF NOT EXISTS segment_members (
    segment_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    user_id TEXT NOT NULL,
    PRIMARY KEY (segment_id, position)
) WITHOUT ROWID;
"""

__all__ = ["SCHEMA"]
