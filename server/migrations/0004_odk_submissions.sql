-- OpenRosa submissions (ODK Collect, KoboCollect): one row per instanceID with the SHA-256 of its
-- exact XML bytes (a replay with other bytes is refused), the files it names and those that
-- arrived (name -> photo SHA-256), the versions it becomes ([version_id, entity_id], derived from
-- the instanceID) and, once every file is in and they are stored, their push answers.
CREATE TABLE odk_submissions (
    instance_id TEXT PRIMARY KEY,
    commune_id TEXT NOT NULL REFERENCES communes (id),
    device_id TEXT NOT NULL REFERENCES devices (device_id),
    form_id TEXT NOT NULL,
    xml_sha256 TEXT NOT NULL,
    expected TEXT NOT NULL,
    received TEXT NOT NULL,
    planned TEXT NOT NULL,
    results TEXT,
    received_at TEXT NOT NULL,
    stored_at TEXT
);

-- The OpenRosa forms a commune turned off (all are on by default).
CREATE TABLE odk_forms_off (
    commune_id TEXT NOT NULL REFERENCES communes (id),
    form_id TEXT NOT NULL,
    PRIMARY KEY (commune_id, form_id)
);
