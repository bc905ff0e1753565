-- What a scorecard reads besides the versions (issue 14, P8): one counter that every change of
-- a commune's settings, villages, targets, province targets and sets, quotas or mergers moves,
-- kept by statement triggers so that no write path can forget it. Each server caches a
-- commune's overview row under (server_head, facts_generation, this counter): all three live
-- in the database, so no server's cache goes stale when another server writes.
CREATE TABLE config_generation (
    id integer PRIMARY KEY CHECK (id = 1),
    generation bigint NOT NULL
);
INSERT INTO config_generation VALUES (1, 0);

CREATE FUNCTION bump_config_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE config_generation SET generation = generation + 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER communes_config AFTER INSERT OR UPDATE OR DELETE ON communes
    FOR EACH STATEMENT EXECUTE FUNCTION bump_config_generation();
CREATE TRIGGER villages_config AFTER INSERT OR UPDATE OR DELETE ON villages
    FOR EACH STATEMENT EXECUTE FUNCTION bump_config_generation();
CREATE TRIGGER commune_targets_config AFTER INSERT OR UPDATE OR DELETE ON commune_targets
    FOR EACH STATEMENT EXECUTE FUNCTION bump_config_generation();
CREATE TRIGGER province_targets_config AFTER INSERT OR UPDATE OR DELETE ON province_targets
    FOR EACH STATEMENT EXECUTE FUNCTION bump_config_generation();
CREATE TRIGGER quotas_config AFTER INSERT OR UPDATE OR DELETE ON quotas
    FOR EACH STATEMENT EXECUTE FUNCTION bump_config_generation();
CREATE TRIGGER province_sets_config AFTER INSERT OR UPDATE OR DELETE ON province_sets
    FOR EACH STATEMENT EXECUTE FUNCTION bump_config_generation();
CREATE TRIGGER mergers_config AFTER INSERT OR UPDATE OR DELETE ON mergers
    FOR EACH STATEMENT EXECUTE FUNCTION bump_config_generation();
