ALTER TABLE users DROP COLUMN legacy_name;
-- a rename keeps the data: not reported
ALTER TABLE users RENAME COLUMN email TO mail;
ALTER TABLE users ADD COLUMN plan text, DROP COLUMN nick;
