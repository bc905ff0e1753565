-- Criteria editions (issue 14): a commune's edition settings (an open dossier under an earlier
-- edition, its dated region and commune group, as JSON of ntm_field's EditionSettings), and
-- the provinces' own sets per edition, versioned and dated (JSON of ProvinceSet).
ALTER TABLE communes ADD COLUMN editions TEXT NOT NULL DEFAULT '{}';

CREATE TABLE province_sets (
    province TEXT NOT NULL,
    edition TEXT NOT NULL,
    version INTEGER NOT NULL,
    applies_from TEXT NOT NULL,
    body TEXT NOT NULL,
    loaded_by TEXT NOT NULL,
    loaded_at TEXT NOT NULL,
    PRIMARY KEY (province, edition, version)
);
