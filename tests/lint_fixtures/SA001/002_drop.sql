DROP TABLE audit_log;
-- drops nothing at this point of the history: not reported
DROP TABLE IF EXISTS never_created;
-- a column of another table is SA002's business
ALTER TABLE accounts DROP COLUMN id;
