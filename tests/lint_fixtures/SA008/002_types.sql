ALTER TABLE users ALTER COLUMN name TYPE varchar(20);
ALTER TABLE users ALTER COLUMN score TYPE bigint;
-- widenings PostgreSQL makes without a rewrite: not reported
ALTER TABLE users ALTER COLUMN nick TYPE text;
ALTER TABLE users ALTER COLUMN price TYPE numeric(12, 2);
