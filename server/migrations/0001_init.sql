-- ntm-server storage, version 1. Portable SQL: TEXT, INTEGER, REAL; booleans as 0/1; times as
-- RFC 3339 UTC text (sortable); JSON documents as TEXT. A PostgreSQL port maps
-- `server_seq INTEGER PRIMARY KEY` to BIGSERIAL and keeps the rest.

CREATE TABLE communes (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    province TEXT NOT NULL,
    district TEXT,
    region TEXT NOT NULL,
    responsibilities TEXT NOT NULL,
    -- local date of the latest non-assessment capture: incremental facts are exact from it on
    latest_capture_date TEXT,
    created_at TEXT NOT NULL
);

CREATE TABLE villages (
    commune_id TEXT NOT NULL REFERENCES communes (id),
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (commune_id, id)
);

CREATE TABLE commune_targets (
    commune_id TEXT NOT NULL REFERENCES communes (id),
    indicator_id TEXT NOT NULL,
    target TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (commune_id, indicator_id)
);

CREATE TABLE province_targets (
    province TEXT NOT NULL,
    indicator_id TEXT NOT NULL,
    target TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (province, indicator_id)
);

CREATE TABLE quotas (
    commune_id TEXT NOT NULL REFERENCES communes (id),
    village_id TEXT NOT NULL,
    measure TEXT NOT NULL,
    target REAL NOT NULL,
    since TEXT NOT NULL,
    PRIMARY KEY (commune_id, village_id, measure)
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    commune_id TEXT,
    province TEXT,
    created_at TEXT NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    expires_at TEXT NOT NULL
);

CREATE TABLE enrollments (
    code_hash TEXT PRIMARY KEY,
    commune_id TEXT NOT NULL REFERENCES communes (id),
    role TEXT NOT NULL,
    holder TEXT,
    expires_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    used_at TEXT,
    device_id TEXT
);

CREATE TABLE devices (
    device_id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    commune_id TEXT NOT NULL REFERENCES communes (id),
    role TEXT NOT NULL,
    name TEXT NOT NULL,
    platform TEXT NOT NULL,
    holder TEXT,
    enrolled_at TEXT NOT NULL,
    revoked_at TEXT,
    high_water INTEGER NOT NULL,
    last_captured_at TEXT
);

CREATE TABLE versions (
    server_seq INTEGER PRIMARY KEY,
    version_id TEXT NOT NULL UNIQUE,
    entity_id TEXT NOT NULL,
    commune_id TEXT NOT NULL,
    village_id TEXT,
    kind TEXT NOT NULL,
    device_id TEXT NOT NULL,
    device_seq INTEGER NOT NULL,
    captured_utc TEXT NOT NULL,
    digest TEXT NOT NULL,
    content TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE INDEX versions_by_commune ON versions (commune_id, server_seq);
CREATE INDEX versions_by_entity ON versions (commune_id, entity_id);

-- The answer given for every (device, sequence number), so that a replay gets it again.
CREATE TABLE push_outcomes (
    device_id TEXT NOT NULL,
    device_seq INTEGER NOT NULL,
    version_id TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    PRIMARY KEY (device_id, device_seq)
);

-- Incremental aggregates: what each entity's current heads contribute (core EntityFact, JSON).
CREATE TABLE entity_facts (
    commune_id TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    in_conflict INTEGER NOT NULL,
    fact TEXT,
    PRIMARY KEY (commune_id, entity_id)
);

CREATE TABLE version_photos (
    photo TEXT NOT NULL,
    commune_id TEXT NOT NULL,
    PRIMARY KEY (photo, commune_id)
);

CREATE TABLE photos (
    sha256 TEXT PRIMARY KEY,
    length INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE uploads (
    id TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL,
    length INTEGER NOT NULL,
    upload_offset INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    owner TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    completed INTEGER NOT NULL
);
