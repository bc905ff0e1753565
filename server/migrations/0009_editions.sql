-- Criteria editions (issue 14): a commune's edition settings (an open dossier under an earlier
-- edition, its dated region and commune group, as JSON of ntm_field's EditionSettings), and
-- the provinces' own sets per edition, versioned and dated (JSON of ProvinceSet).
-- A commune set up without edition settings (every commune before this migration, and one
-- created without them) keeps being assessed under 1980/QĐ-TTg, as before, through an open
-- dossier the card names, until an officer sets its edition, region or group.
ALTER TABLE communes ADD COLUMN editions TEXT NOT NULL DEFAULT '{"dossier":{"edition":"ntm-2016","name":"Đánh giá theo Bộ tiêu chí 1980/QĐ-TTg như khi xã được lập, cho đến khi đặt bộ tiêu chí, vùng hoặc nhóm xã","source":"xã lập trước khi có các bộ tiêu chí theo giai đoạn"}}';

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
