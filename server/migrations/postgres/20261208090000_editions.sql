-- Criteria editions (issue 14): a commune's edition settings (an open dossier under an earlier
-- edition, its dated region and commune group, as JSON of ntm_field's EditionSettings), and
-- the provinces' own sets per edition, versioned and dated (JSON of ProvinceSet).
ALTER TABLE communes ADD COLUMN editions text NOT NULL DEFAULT '{}';

CREATE TABLE province_sets (
    province text NOT NULL,
    edition text NOT NULL,
    version integer NOT NULL,
    applies_from date NOT NULL,
    body text NOT NULL,
    loaded_by text NOT NULL,
    loaded_at timestamptz NOT NULL,
    PRIMARY KEY (province, edition, version)
);
