-- a lock_timeout set earlier in the migration covers what follows: not reported
SET lock_timeout = '2s';
ALTER TABLE orders ADD COLUMN tag text;
