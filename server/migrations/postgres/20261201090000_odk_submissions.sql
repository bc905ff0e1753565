-- OpenRosa submissions (ODK Collect, KoboCollect): one row per instanceID with the SHA-256 of its
-- exact XML bytes (a replay with other bytes is refused), the files it names and those that
-- arrived (name -> photo SHA-256), the versions it becomes ([version_id, entity_id], derived from
-- the instanceID) and, once every file is in and they are stored, their push answers.
CREATE TABLE odk_submissions (
    instance_id text PRIMARY KEY,
    commune_id text NOT NULL REFERENCES communes (id),
    device_id uuid NOT NULL REFERENCES devices (device_id),
    form_id text NOT NULL,
    xml_sha256 text NOT NULL,
    expected text NOT NULL,
    received text NOT NULL,
    planned text NOT NULL,
    results text,
    received_at timestamptz NOT NULL,
    stored_at timestamptz
);

-- The OpenRosa forms a commune turned off (all are on by default).
CREATE TABLE odk_forms_off (
    commune_id text NOT NULL REFERENCES communes (id),
    form_id text NOT NULL,
    PRIMARY KEY (commune_id, form_id)
);
