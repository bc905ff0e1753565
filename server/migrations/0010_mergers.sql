-- Communes that merge or split (issue 14): a commune's official code and validity dates, and
-- the mergers recorded (JSON of ntm_field's Merger), one per new commune. Versions keep the
-- commune id they were recorded under: a merger moves no row.
ALTER TABLE communes ADD COLUMN code TEXT;
ALTER TABLE communes ADD COLUMN valid_from TEXT;
ALTER TABLE communes ADD COLUMN valid_until TEXT;

CREATE TABLE mergers (
    commune_id TEXT PRIMARY KEY REFERENCES communes (id),
    merger_date TEXT NOT NULL,
    legal_basis TEXT NOT NULL,
    body TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
