-- A commune's facts are cached in each server's memory, keyed by (server_head,
-- facts_generation): a push moves the head, and a recompute, which may rewrite facts without
-- storing a version, moves the generation. Every server sees both, so no cache goes stale.
ALTER TABLE commune_sync ADD COLUMN facts_generation bigint NOT NULL DEFAULT 0;
