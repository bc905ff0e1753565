-- The server's clock flags of a version (JSON array, NULL when none), kept beside its content so
-- that the content can be serialised before the writer's transaction starts. `server_seq` is
-- likewise taken from its column when a version is read.
ALTER TABLE versions ADD COLUMN flags TEXT;
