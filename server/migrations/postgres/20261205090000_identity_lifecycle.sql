-- The identity lifecycle of a phone.
-- The attempt a code was redeemed with: a retry of the same attempt (its answer lost on a bad
-- link) gets the same device back with a fresh token instead of "code already used".
ALTER TABLE enrollments ADD COLUMN attempt_id uuid;
-- The device a new identity replaces (`POST /api/v1/devices/reidentify`: the phone's database
-- turned out to be a copy of another phone's).
ALTER TABLE devices ADD COLUMN replaces uuid;
