//! The device database's schema, as migrations applied in order at open (rusqlite_migration keeps
//! the applied count in SQLite's `user_version`). Append new migrations; never edit applied ones.

use rusqlite_migration::{Migrations, M};

const MIGRATIONS: &[M<'static>] = &[
    M::up(
        r#"
-- Small settings and cursors: `pull_cursor`, `last_sync_at`, `settings` (JSON).
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- Every identity this store has written under. Exactly one may be current (not retired); a
-- retired one keeps its token only to deliver what its outbox still holds.
CREATE TABLE identities (
    device_id      TEXT PRIMARY KEY,
    server_url     TEXT NOT NULL,
    token          TEXT NOT NULL,
    role           TEXT NOT NULL,
    commune_id     TEXT NOT NULL,
    -- The install marker file's content when this identity was enrolled (see `Store::open`).
    install_marker TEXT NOT NULL,
    -- The last device_seq handed out; sequences are dense and never go back.
    last_seq       INTEGER NOT NULL DEFAULT 0,
    -- The highest acked_through_seq the server has answered.
    acked_seq      INTEGER NOT NULL DEFAULT 0,
    enrolled_at    TEXT NOT NULL,
    retired_at     TEXT,
    retired_reason TEXT
) STRICT;

-- The commune's reference data: the commune as enrolled, and the configuration pulled since.
CREATE TABLE commune (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    commune     TEXT NOT NULL,
    config      TEXT,
    config_etag TEXT
) STRICT;

-- Every version the phone holds, its own and pulled ones. `json` is the wire form.
CREATE TABLE versions (
    version_id  TEXT PRIMARY KEY,
    entity_id   TEXT NOT NULL,
    kind        TEXT NOT NULL,
    village_id  TEXT,
    device_id   TEXT NOT NULL,
    device_seq  INTEGER NOT NULL,
    captured_at TEXT NOT NULL,
    deleted     INTEGER NOT NULL,
    own         INTEGER NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('pending', 'synced', 'rejected')),
    reason      TEXT,
    -- A rejected version stays listed as needing attention until the user dismisses it.
    attention   INTEGER NOT NULL DEFAULT 0,
    server_seq  INTEGER,
    saved_at    TEXT NOT NULL,
    json        TEXT NOT NULL
) STRICT;
CREATE INDEX versions_by_entity ON versions (entity_id);
CREATE INDEX versions_by_device ON versions (device_id, device_seq);

-- What still has to reach the server, saved in the same transaction as its version.
CREATE TABLE outbox (
    device_id  TEXT NOT NULL,
    device_seq INTEGER NOT NULL,
    version_id TEXT NOT NULL UNIQUE REFERENCES versions (version_id),
    PRIMARY KEY (device_id, device_seq)
) STRICT, WITHOUT ROWID;

-- Photos taken on this phone (content-addressed files under photos/), their EXIF evidence and
-- their tus upload state; the upload URL survives restarts so an upload resumes.
CREATE TABLE photos (
    photo_id       TEXT PRIMARY KEY,
    bytes          INTEGER NOT NULL,
    width          INTEGER NOT NULL,
    height         INTEGER NOT NULL,
    exif_taken_at  TEXT,
    exif_lat       REAL,
    exif_lon       REAL,
    exif_altitude_m REAL,
    added_at       TEXT NOT NULL,
    uploaded       INTEGER NOT NULL DEFAULT 0,
    upload_url     TEXT,
    uploaded_bytes INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE version_photos (
    version_id TEXT NOT NULL REFERENCES versions (version_id),
    photo_id   TEXT NOT NULL,
    PRIMARY KEY (version_id, photo_id)
) STRICT, WITHOUT ROWID;
"#,
    ),
    // The identity lifecycle: each version keeps the commune it was saved for (the lists and the
    // offline scorecard show the enrolled commune only; another commune's unsent versions wait),
    // and a photo upload remembers the identity that created it (a tus upload belongs to its
    // creator; a new identity starts it over).
    M::up(
        r#"
ALTER TABLE versions ADD COLUMN commune_id TEXT;
UPDATE versions SET commune_id = json_extract(json, '$.commune_id');
CREATE INDEX versions_by_commune ON versions (commune_id);
ALTER TABLE photos ADD COLUMN upload_device TEXT;
-- Why an identity was retired, for the engine: `restored` (a copy of this database: take a new
-- identity by itself), `enrolled` (enrolled again), beside the words in `retired_reason`.
ALTER TABLE identities ADD COLUMN retired_kind TEXT;
UPDATE identities SET retired_kind = CASE WHEN retired_reason LIKE 'restored%' THEN 'restored' ELSE 'enrolled' END
    WHERE retired_at IS NOT NULL;
"#,
    ),
];

pub(super) fn migrations() -> Migrations<'static> {
    Migrations::from_slice(MIGRATIONS)
}

#[cfg(test)]
mod tests {
    #[test]
    fn migrations_are_valid() {
        super::migrations().validate().unwrap();
    }
}
