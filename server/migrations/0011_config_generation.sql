-- What a scorecard reads besides the versions (issue 14, P8): one counter that every change of
-- a commune's settings, villages, targets, province targets and sets, quotas or mergers moves,
-- kept by triggers so that no write path can forget it. The overview caches each commune's
-- scorecard under (its server head, its facts generation, this counter).
CREATE TABLE config_generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    generation INTEGER NOT NULL
);
INSERT INTO config_generation VALUES (1, 0);

CREATE TRIGGER communes_added AFTER INSERT ON communes
BEGIN UPDATE config_generation SET generation = generation + 1; END;
CREATE TRIGGER communes_changed AFTER UPDATE OF name, province, district, region, responsibilities, editions, code, valid_from, valid_until ON communes
BEGIN UPDATE config_generation SET generation = generation + 1; END;
CREATE TRIGGER communes_removed AFTER DELETE ON communes
BEGIN UPDATE config_generation SET generation = generation + 1; END;
CREATE TRIGGER villages_added AFTER INSERT ON villages
BEGIN UPDATE config_generation SET generation = generation + 1; END;
CREATE TRIGGER villages_changed AFTER UPDATE ON villages
BEGIN UPDATE config_generation SET generation = generation + 1; END;
CREATE TRIGGER villages_removed AFTER DELETE ON villages
BEGIN UPDATE config_generation SET generation = generation + 1; END;
CREATE TRIGGER commune_targets_added AFTER INSERT ON commune_targets
BEGIN UPDATE config_generation SET generation = generation + 1; END;
CREATE TRIGGER commune_targets_changed AFTER UPDATE ON commune_targets
BEGIN UPDATE config_generation SET generation = generation + 1; END;
CREATE TRIGGER commune_targets_removed AFTER DELETE ON commune_targets
BEGIN UPDATE config_generation SET generation = generation + 1; END;
CREATE TRIGGER province_targets_added AFTER INSERT ON province_targets
BEGIN UPDATE config_generation SET generation = generation + 1; END;
CREATE TRIGGER province_targets_changed AFTER UPDATE ON province_targets
BEGIN UPDATE config_generation SET generation = generation + 1; END;
CREATE TRIGGER province_targets_removed AFTER DELETE ON province_targets
BEGIN UPDATE config_generation SET generation = generation + 1; END;
CREATE TRIGGER quotas_added AFTER INSERT ON quotas
BEGIN UPDATE config_generation SET generation = generation + 1; END;
CREATE TRIGGER quotas_changed AFTER UPDATE ON quotas
BEGIN UPDATE config_generation SET generation = generation + 1; END;
CREATE TRIGGER quotas_removed AFTER DELETE ON quotas
BEGIN UPDATE config_generation SET generation = generation + 1; END;
CREATE TRIGGER province_sets_added AFTER INSERT ON province_sets
BEGIN UPDATE config_generation SET generation = generation + 1; END;
CREATE TRIGGER province_sets_changed AFTER UPDATE ON province_sets
BEGIN UPDATE config_generation SET generation = generation + 1; END;
CREATE TRIGGER province_sets_removed AFTER DELETE ON province_sets
BEGIN UPDATE config_generation SET generation = generation + 1; END;
CREATE TRIGGER mergers_added AFTER INSERT ON mergers
BEGIN UPDATE config_generation SET generation = generation + 1; END;
CREATE TRIGGER mergers_changed AFTER UPDATE ON mergers
BEGIN UPDATE config_generation SET generation = generation + 1; END;
CREATE TRIGGER mergers_removed AFTER DELETE ON mergers
BEGIN UPDATE config_generation SET generation = generation + 1; END;
