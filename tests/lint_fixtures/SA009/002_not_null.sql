ALTER TABLE users ALTER COLUMN email SET NOT NULL;
ALTER TABLE users ADD COLUMN plan text NOT NULL;
-- with a default, or backfilled in this migration: not reported
ALTER TABLE users ADD COLUMN tier text NOT NULL DEFAULT 'free';
UPDATE users SET nick = 'anonymous' WHERE nick IS NULL;
ALTER TABLE users ALTER COLUMN nick SET NOT NULL;
-- a table created in this migration holds no rows: not reported
CREATE TABLE fresh (id bigint, label text);
ALTER TABLE fresh ALTER COLUMN label SET NOT NULL;
