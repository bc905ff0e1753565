-- Communes that merge or split (issue 14): a commune's official code and validity dates, and
-- the mergers recorded (JSON of ntm_field's Merger), one per new commune. Versions keep the
-- commune id they were recorded under: a merger moves no row.
ALTER TABLE communes ADD COLUMN code text;
ALTER TABLE communes ADD COLUMN valid_from date;
ALTER TABLE communes ADD COLUMN valid_until date;

CREATE TABLE mergers (
    commune_id text PRIMARY KEY REFERENCES communes (id),
    merger_date date NOT NULL,
    legal_basis text NOT NULL,
    body text NOT NULL,
    recorded_by text NOT NULL,
    recorded_at timestamptz NOT NULL
);
