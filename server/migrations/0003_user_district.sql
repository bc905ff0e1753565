-- District officials: an account scoped to one district of a province (`province` and `district`
-- both set, `commune_id` empty). Communes already name their district (0001). A district name is
-- unique only within its province, so the scope is the pair.
ALTER TABLE users ADD COLUMN district TEXT;
