SET lock_timeout = '2s';
ALTER TABLE users ALTER COLUMN email SET NOT NULL;
-- a validated CHECK (name IS NOT NULL) proves it without a scan: not reported
ALTER TABLE users ALTER COLUMN name SET NOT NULL;
