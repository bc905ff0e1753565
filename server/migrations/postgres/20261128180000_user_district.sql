-- District officials: an account scoped to one district of a province (`province` and `district`
-- both set, `commune_id` empty), as in the SQLite schema (server/migrations/0003_user_district.sql).
-- Communes already name their district. A district name is unique only within its province, so
-- the scope is the pair.
ALTER TABLE users ADD COLUMN district text;
